"""A citizen subscribes using the keyboard alone, then a real push reaches the app."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from stadtbote.delivery import dispatch
from stadtbote.messages import service as messages
from stadtbote.subscribers.models import Subscriber
from tests.browser.support import (
    ServiceWorkers,
    outside_playwright,
    subscription_script,
    tab_to,
    wait_for_worker,
)
from tests.support.push_service import PushService
from tests.support.tasks import drain


@pytest.fixture
def push_ready(browser_context: BrowserContext, push_service: PushService, live_server: Any):
    endpoint, p256dh, auth = push_service.register("browser")
    browser_context.add_init_script(subscription_script(endpoint, p256dh, auth))
    browser_context.grant_permissions(["notifications"], origin=live_server.url)
    return endpoint


def press_next(page: Page) -> None:
    tab_to(page, page.locator("#step-next"))
    page.keyboard.press("Enter")


def test_a_citizen_subscribes_with_the_keyboard_alone(
    page: Page, open_page, tenant, push_ready, assert_accessible, console_errors
):
    open_page("/musterstadt/start")
    wait_for_worker(page)

    # Step 1: the permission prompt comes only after pressing the button.
    assert page.evaluate("Notification.permission") == "granted"  # granted by the test, not asked
    expect(page.locator("#push-subscription")).to_have_value("")
    tab_to(page, page.locator("#push-enable"))
    page.keyboard.press("Enter")
    expect(page.locator("#push-subscription")).not_to_have_value("")
    assert_accessible(page, "onboarding step 1")
    press_next(page)

    # Step 2: a district, and a point set from the map's centre after moving the map by keys.
    expect(page.locator("#step-places")).to_be_focused()
    tab_to(page, page.locator("#district-altstadt"))
    page.keyboard.press("Space")
    tab_to(page, page.locator(".map.pick"))
    for _ in range(2):
        page.keyboard.press("ArrowRight")
    tab_to(page, page.locator("#map-centre"))
    page.keyboard.press("Enter")
    expect(page.locator("#point-lat")).not_to_have_value("")
    expect(page.locator("#point-status")).not_to_be_empty()
    tab_to(page, page.locator("#point-radius"))
    page.keyboard.press("ArrowDown")  # 250 m -> 500 m
    tab_to(page, page.locator("#point-label"))
    page.keyboard.type("Zuhause")
    assert_accessible(page, "onboarding step 2")
    press_next(page)

    # Step 3: topics.
    tab_to(page, page.locator("#topic-strassensperrungen"))
    page.keyboard.press("Space")
    tab_to(page, page.locator("#topic-kita"))
    page.keyboard.press("Space")
    press_next(page)

    # Step 4: warning level (arrow keys move within the radio group) and quiet hours.
    tab_to(page, page.locator("#sev-moderate"))
    page.keyboard.press("ArrowDown")
    expect(page.locator("#sev-severe")).to_be_checked()
    tab_to(page, page.locator("#quiet-start"))
    # Debian's Chromium shows 12-hour time fields here, whatever the page's locale.
    page.keyboard.type("1000P")
    tab_to(page, page.locator("#quiet-end"))
    page.keyboard.type("0630A")
    assert_accessible(page, "onboarding step 4")
    press_next(page)

    # Step 5: e-mail, then subscribe.
    tab_to(page, page.locator("#email"))
    page.keyboard.type("anna@example.org")
    tab_to(page, page.locator("#submit"))
    page.keyboard.press("Enter")

    expect(page).to_have_url("/musterstadt/inbox?welcome=1")
    expect(page.locator("main .alert.success[role=status]")).to_be_visible()  # the welcome
    sub = Subscriber.objects.get()
    places = list(sub.places.order_by("id"))
    assert [p.district.slug for p in places if p.district] == ["altstadt"]
    point = next(p for p in places if p.district is None)
    assert (point.radius_m, point.label) == (500, "Zuhause")
    assert sorted(t.slug for t in sub.topics.all()) == ["kita", "strassensperrungen"]
    assert sub.min_severity == 3
    assert (sub.quiet_start.strftime("%H:%M"), sub.quiet_end.strftime("%H:%M")) == (
        "22:00",
        "06:30",
    )
    channels = {c.type: c for c in sub.channels.all()}
    assert channels["webpush"].address == push_ready
    assert channels["webpush"].status == "confirmed"
    assert channels["email"].status == "pending"  # double opt-in first


def test_a_published_warning_arrives_by_push_shows_its_notification_and_lands_in_the_inbox(
    page: Page, browser_context, open_page, tenant, push_ready, push_service, live_server
):
    workers = ServiceWorkers(browser_context, page)
    open_page("/musterstadt/start")
    wait_for_worker(page)
    page.locator("#push-enable").click()
    expect(page.locator("#push-subscription")).not_to_have_value("")
    page.locator("#step-next").click()
    page.locator("#district-altstadt").check()
    while page.locator("#step-next").is_visible():
        page.locator("#step-next").click()
    page.locator("#submit").click()
    expect(page).to_have_url("/musterstadt/inbox?welcome=1")

    # Staff publish a warning; the worker encrypts it and the local push service decrypts it.
    message = messages.create(
        tenant,
        {
            "title": {"de": "Sturmwarnung", "en": "Storm warning"},
            "body": {"de": "Böen bis 90 km/h.", "en": "Gusts up to 90 km/h."},
            "severity": "severe",
            "area": {"areas": ["altstadt"]},
        },
        key=None,
    )
    dispatch.submit(message)
    outside_playwright(drain)
    assert push_service.wait_for(1)
    payload = push_service.received[0].payload
    assert payload is not None
    assert payload["id"] == str(message.id)

    # The browser's push service would now wake the worker: the DevTools protocol does that.
    workers.push(live_server.url, f"{live_server.url}/musterstadt/", payload)
    # Read in the same call that waits for it: a busy machine may let Chromium's headless
    # notification centre change between two calls.
    [shown] = page.wait_for_function(
        """async () => {
          const list = await (await navigator.serviceWorker.ready).getNotifications();
          return list.length ? list.map(n => ({title: n.title, body: n.body, tag: n.tag,
                                               data: n.data})) : null;
        }"""
    ).json_value()
    assert shown["title"] == "Severe warning: Sturmwarnung" or shown["title"].endswith(
        ": Sturmwarnung"
    )
    assert shown["body"] == "Böen bis 90 km/h."
    assert shown["data"]["url"] == f"{live_server.url}/musterstadt/messages/{message.id}"
    assert shown["tag"] == str(message.id)

    # The open inbox shows it at once, and so does a fresh visit.
    item = page.locator(f'#inbox-list [data-id="{message.id}"]')
    expect(item).to_contain_text("Sturmwarnung")
    page.reload()
    expect(item).to_contain_text("Sturmwarnung")
    expect(item).to_have_class(__import__("re").compile(r"\bunread\b"))
