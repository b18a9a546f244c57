"""The stop link in a report mail ends mails to that address, also when the address is the e-mail
channel of someone following in the app; a subscriber who paused the app hears nothing about
the reports they follow, not even a notice that was waiting for a retry."""

from __future__ import annotations

import pytest

from stadtbote.reports import following, service
from stadtbote.reports.models import Case, CaseNotice, Follower
from stadtbote.subscribers import service as subscribers
from stadtbote.subscribers.models import Channel, Subscriber
from tests.conftest import ALTSTADT, point_place, push_channel
from tests.support import cases
from tests.support.smtp import free_port
from tests.support.tasks import drain

pytestmark = pytest.mark.django_db(transaction=True)

REPORTER = "ada@example.org"


def report(tenant) -> Case:
    return cases.report(tenant, email=REPORTER)


def app_follower(tenant, case, push_service, name: str, email: str) -> Subscriber:
    """A subscriber following ``case`` in the app, with a push and a confirmed e-mail channel."""
    sub, _ = subscribers.create(
        tenant, {"places": [point_place(ALTSTADT)], "channels": [push_channel(push_service, name)]}
    )
    Channel.objects.create(
        tenant=tenant,
        subscriber=sub,
        type="email",
        status="confirmed",
        address=email,
        address_key=email.lower(),
    )
    Follower.objects.create(case=case, subscriber=sub)
    return sub


def mailed(smtp) -> list[str]:
    return sorted(r.rcpt_tos[0] for r in smtp.received)


def stop_link(client, case, address: str):
    """The mail client's RFC 8058 one-click POST to the link in the List-Unsubscribe header."""
    token = following.unfollow_token(case, address)
    return client.post(f"/musterstadt/reports/unfollow/{token}", {"List-Unsubscribe": "One-Click"})


def test_the_stop_link_ends_mails_to_an_address_from_an_app_followers_e_mail_channel(
    client, tenant, push_service, smtp
):
    case = report(tenant)
    app_follower(tenant, case, push_service, "bert", "Bert@Example.org")
    service.reply(case, "Wir sind dran.", None)
    drain()
    assert mailed(smtp) == [REPORTER, "bert@example.org"]

    assert stop_link(client, case, "bert@example.org").status_code == 200
    smtp.received.clear()
    service.reply(case, "Erledigt.", None)
    drain()

    assert mailed(smtp) == [REPORTER]
    assert not Follower.objects.filter(case=case, subscriber__isnull=False).exists()


def test_the_stop_link_also_stops_a_mail_waiting_for_a_retry(tenant, settings, smtp, client):
    case = report(tenant)
    working_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nobody listens there
    service.reply(case, "Wir sind dran.", None)
    drain()
    assert CaseNotice.objects.get(address=REPORTER).status == "retry"

    stop_link(client, case, REPORTER)
    settings.EMAIL_PORT = working_port
    drain(fast_forward=True)

    assert smtp.received == []
    notice = CaseNotice.objects.get(address=REPORTER)
    assert (notice.status, notice.reason) == ("failed", "no longer following")


def test_a_paused_subscriber_is_neither_mailed_nor_pushed_about_a_report(
    tenant, push_service, smtp
):
    case = report(tenant)
    carla = app_follower(tenant, case, push_service, "carla", "carla@example.org")
    app_follower(tenant, case, push_service, "dora", "dora@example.org")
    subscribers.update(carla, {"paused": True})

    service.reply(case, "Wir sind dran.", None)
    drain()

    assert push_service.wait_for(1)
    assert push_service.settle()
    assert [r.endpoint for r in push_service.received] == ["sub/dora"]
    assert mailed(smtp) == [REPORTER, "dora@example.org"]
    assert not CaseNotice.objects.filter(address="carla@example.org").exists()


def test_a_subscriber_who_pauses_before_a_retry_is_not_pushed_any_more(tenant, push_service, smtp):
    case = report(tenant)
    emil = app_follower(tenant, case, push_service, "emil", "emil@example.org")
    push_service.respond("emil", 503)  # once: a retry would be accepted
    service.reply(case, "Wir sind dran.", None)
    drain()
    push = CaseNotice.objects.get(channel="webpush")
    assert push.status == "retry"

    subscribers.update(emil, {"paused": True})
    drain(fast_forward=True)

    push.refresh_from_db()
    assert (push.status, push.reason) == ("failed", "no longer following")
    assert push_service.received_for("emil") == []
