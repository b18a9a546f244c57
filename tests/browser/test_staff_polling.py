"""The staff console's polling in Chromium: the live follow-up of a sending and the reports
queue refresh without taking the focus away, say only a change of state, and pass axe."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from stadtbote.delivery import dispatch
from stadtbote.delivery.models import DeliveryJob, JobStatus
from stadtbote.messages.models import Message
from stadtbote.reports import service
from tests.browser.fixtures import publish, staff_sign_in
from tests.conftest import ALTSTADT

PASSWORD = "Pegelstand-Warnung-2026"


@pytest.fixture
def browser_context_args() -> dict:
    return {"locale": "en-GB", "viewport": {"width": 1280, "height": 900}}


def person(username: str, device: bool = True):
    user = get_user_model().objects.get(username=username)
    user.set_password(PASSWORD)
    user.save()
    if device:
        TOTPDevice.objects.get_or_create(user=user, name="Handy", confirmed=True)
    return user


def sending(tenant) -> Message:
    message = publish(tenant, "Hochwasser an der Mühle")
    dispatch.submit(message)  # no worker here: the job stays queued, the page keeps polling
    message.refresh_from_db()
    return message


def report(tenant, address: str):
    return service.create_case(
        tenant,
        {
            "category": "schlagloch",
            "lat": ALTSTADT[0],
            "lon": ALTSTADT[1],
            "address": address,
            "description": "Tiefes Loch",
            "answers": {"size": "large"},
        },
    )


def is_poll(url_part: str):
    return lambda r: url_part in r.url and r.request.headers.get("x-stadtbote-poll") == "1"


def wait_for_polls(page: Page, url_part: str, n: int = 2, timeout: float = 15000) -> None:
    for _ in range(n):
        with page.expect_response(is_poll(url_part), timeout=timeout) as poll:
            pass
        assert poll.value.ok
    page.wait_for_timeout(200)  # htmx settles 20 ms after the swap


def poll_queue_quickly(page: Page) -> None:
    """Once a minute is the real pace; a test cannot wait that long."""
    page.evaluate(
        """() => { const p = document.getElementById("queue-poll");
                   p.setAttribute("hx-trigger", "every 1s"); htmx.process(p); }"""
    )


def remember_focus(page: Page, selector: str) -> None:
    page.locator(selector).focus()
    page.evaluate("() => { window.__focused = document.activeElement; }")


def focus_kept(page: Page) -> bool:
    return page.evaluate(
        "() => window.__focused.isConnected && document.activeElement === window.__focused"
    )


@pytest.mark.parametrize(
    "focused",
    [".table-wrap[aria-labelledby=follow-caption]", "a.button[href*=replaces]"],
)
def test_following_a_sending_keeps_the_focus_and_says_only_when_it_finished(
    focused, page: Page, live_server, tenant, assert_accessible, console_errors
):
    user = person("presse@musterstadt.example")
    message = sending(tenant)
    url = f"/musterstadt/staff/messages/{message.pk}"
    staff_sign_in(page, user.username, PASSWORD, url)
    expect(page.locator("#follow-caption")).to_contain_text("still finding recipients")
    remember_focus(page, focused)
    wait_for_polls(page, url)
    assert focus_kept(page), page.evaluate("() => document.activeElement.outerHTML")
    expect(page.locator("#follow-news")).to_have_text("")

    DeliveryJob.objects.filter(message=message).update(status=JobStatus.DONE)
    wait_for_polls(page, url, n=1)
    expect(page.locator("#follow-caption")).not_to_contain_text("still finding recipients")
    expect(page.locator("#follow-news")).to_have_text(
        "Sending finished: nothing is pending any more."
    )
    assert focus_kept(page)
    wait_for_polls(page, url, n=1)
    assert focus_kept(page)
    assert_accessible(page, "a sending followed live")
    assert not console_errors, "\n".join(console_errors)


def test_a_withdrawn_message_stops_polling(page: Page, live_server, tenant):
    user = person("presse@musterstadt.example")
    message = sending(tenant)
    url = f"/musterstadt/staff/messages/{message.pk}"
    staff_sign_in(page, user.username, PASSWORD, url)
    Message.objects.filter(pk=message.pk).update(status="cancelled")
    wait_for_polls(page, url, n=1)
    expect(page.locator("#follow")).not_to_have_attribute("hx-trigger", "every 3s")
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if is_poll(url)(r) else None)
    page.wait_for_timeout(4000)
    assert polls == []


def test_the_queue_keeps_the_focus_and_offers_a_changed_list(
    page: Page, live_server, tenant, assert_accessible, console_errors
):
    worker = person("sachbearbeitung@musterstadt.example", device=False)
    first = report(tenant, "Lange Straße 12")
    page.goto("/musterstadt/staff/login?next=/musterstadt/staff/cases/")
    page.locator("#username").fill(worker.username)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url("**/musterstadt/staff/cases/")
    poll_queue_quickly(page)
    remember_focus(page, f"#case-link-{first.number}")
    wait_for_polls(page, "/staff/cases/")
    assert focus_kept(page)
    expect(page.locator("#queue-refresh")).to_be_hidden()
    expect(page.locator("#queue-news")).to_have_text("")

    second = report(tenant, "Am Markt 3")
    wait_for_polls(page, "/staff/cases/")
    assert focus_kept(page)
    expect(page.locator("#queue-news")).to_have_text("The list has changed since it was shown.")
    expect(page.locator("#queue-refresh")).to_be_visible()
    expect(page.locator(f"#case-link-{second.number}")).to_have_count(0)  # offered, not forced
    assert_accessible(page, "the queue with a changed list")

    page.locator("#queue-refresh").click()
    expect(page.locator(f"#case-link-{second.number}")).to_be_visible()
    expect(page.locator("#queue-count")).to_be_focused()
    expect(page.locator("#queue-refresh")).to_be_hidden()
    expect(page.locator("#queue-news")).to_have_text("")
    poll_queue_quickly(page)  # the list shown anew brings its own poller
    wait_for_polls(page, "/staff/cases/")
    expect(page.locator("#queue-refresh")).to_be_hidden()
    assert_accessible(page, "the queue after showing the current list")
    assert not console_errors, "\n".join(console_errors)


def test_filtering_the_queue_starts_over_without_an_offer(page: Page, live_server, tenant):
    worker = person("sachbearbeitung@musterstadt.example", device=False)
    report(tenant, "Lange Straße 12")
    page.goto("/musterstadt/staff/login?next=/musterstadt/staff/cases/")
    page.locator("#username").fill(worker.username)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url("**/musterstadt/staff/cases/")
    page.locator("#f-department").select_option("ordnungsamt")
    expect(page.locator("#queue-count")).to_contain_text("0 reports")
    poll_queue_quickly(page)
    assert "department=ordnungsamt" in (page.locator("#queue-poll").get_attribute("hx-get") or "")
    wait_for_polls(page, "/staff/cases/")
    expect(page.locator("#queue-refresh")).to_be_hidden()
