"""Followers who subscribed in the citizen app hear about their report by push, in their
language, once; a dead subscription is removed; a busy push service is retried, then given up."""

from __future__ import annotations

import pytest

from stadtbote.reports import notify, service
from stadtbote.reports.models import Case, CaseEvent, CaseNotice, Follower
from stadtbote.subscribers import service as subscribers
from stadtbote.subscribers.models import Channel, Subscriber
from tests.conftest import ALTSTADT, point_place, push_channel
from tests.support import cases
from tests.support.tasks import drain

pytestmark = pytest.mark.django_db(transaction=True)


def report(tenant) -> Case:
    return cases.report(tenant, email="ada@example.org")


def follower(tenant, case, push_service, name: str, language: str = "de") -> Subscriber:
    sub, _ = subscribers.create(
        tenant,
        {
            "language": language,
            "places": [point_place(ALTSTADT)],
            "channels": [push_channel(push_service, name)],
        },
    )
    Follower.objects.create(case=case, subscriber=sub)
    return sub


def test_a_status_change_reaches_a_following_subscriber_by_push_in_their_language(
    tenant, push_service, smtp
):
    case = report(tenant)
    follower(tenant, case, push_service, "anna", language="en")
    service.change_status(case, "scheduled", None, text="Am Donnerstag kommt der Bauhof.")
    drain()
    assert push_service.wait_for(1)
    [got] = push_service.received_for("anna")
    assert got.payload["kind"] == "case"
    assert got.payload["title"] == "Report 1: scheduled"
    assert got.payload["body"] == "Am Donnerstag kommt der Bauhof."
    assert got.payload["url"].endswith(f"/musterstadt/reports/{case.public_id}")
    assert got.urgency == "normal"
    # The reporter's e-mail goes out as before.
    assert [r.rcpt_tos for r in smtp.received] == [["ada@example.org"]]


def test_a_reply_is_pushed_and_an_internal_note_is_not(tenant, push_service, smtp):
    case = report(tenant)
    follower(tenant, case, push_service, "bert")
    service.add_note(case, "Nur intern", None)
    service.reply(case, "Danke, wir schauen es uns an.", None)
    drain()
    assert push_service.wait_for(1)
    [got] = push_service.received_for("bert")
    assert got.payload["title"] == "Meldung 1: neue Antwort"
    assert "Nur intern" not in str(push_service.received)


def test_notices_are_prepared_once_even_when_preparing_runs_twice(tenant, push_service, smtp):
    case = report(tenant)
    follower(tenant, case, push_service, "carla")
    service.reply(case, "Ist beauftragt.", None)
    event = CaseEvent.objects.get(case=case, kind="reply")
    first, again = notify.prepare(event.pk), notify.prepare(event.pk)
    assert sorted(first) == sorted(again)
    assert sorted(CaseNotice.objects.filter(event=event).values_list("channel", flat=True)) == [
        "email",
        "webpush",
    ]


def test_a_subscription_the_push_service_calls_gone_is_removed(tenant, push_service, smtp):
    case = report(tenant)
    follower(tenant, case, push_service, "dora")
    push_service.respond("dora", 410)
    service.reply(case, "Erledigt.", None)
    drain()
    notice = CaseNotice.objects.get(channel="webpush")
    assert notice.status == "failed"
    assert "410" in notice.reason
    assert not Channel.objects.filter(address__endswith="/sub/dora").exists()


def test_a_busy_push_service_is_retried_then_given_up(tenant, push_service, smtp):
    case = report(tenant)
    follower(tenant, case, push_service, "emil")
    push_service.respond("emil", 503, times=None)
    service.reply(case, "Erledigt.", None)
    drain()
    notice = CaseNotice.objects.get(channel="webpush")
    assert (notice.status, notice.attempts) == ("retry", 1)
    drain(fast_forward=True)
    notice.refresh_from_db()
    assert notice.status == "failed"
    assert notice.attempts == notify.RETRY.max_attempts


def test_a_subscriber_who_also_gave_their_e_mail_gets_one_mail(tenant, push_service, smtp):
    case = report(tenant)
    sub = follower(tenant, case, push_service, "fritz")
    Channel.objects.create(
        tenant=tenant,
        subscriber=sub,
        type="email",
        status="confirmed",
        address="ADA@example.org",
        address_key="ada",
    )
    service.reply(case, "Erledigt.", None)
    drain()
    assert [r.rcpt_tos for r in smtp.received] == [["ada@example.org"]]


def test_a_followers_confirmed_e_mail_channel_is_mailed_and_an_unconfirmed_one_is_not(
    tenant, push_service, smtp
):
    case = report(tenant)
    gerd = follower(tenant, case, push_service, "gerd")
    hanna = follower(tenant, case, push_service, "hanna")
    for sub, address, status in [
        (gerd, "Gerd@Example.org", "confirmed"),
        (hanna, "hanna@example.org", "pending"),
    ]:
        Channel.objects.create(
            tenant=tenant,
            subscriber=sub,
            type="email",
            status=status,
            address=address,
            address_key=address.lower(),
        )
    service.reply(case, "Wir sind dran.", None)
    drain()
    assert sorted(r.rcpt_tos[0] for r in smtp.received) == ["ada@example.org", "gerd@example.org"]
    assert push_service.wait_for(2)
    assert {r.endpoint for r in push_service.received} == {"sub/gerd", "sub/hanna"}


def test_a_sent_notice_is_never_pushed_again(tenant, push_service, smtp):
    case = report(tenant)
    follower(tenant, case, push_service, "ida")
    service.reply(case, "Erledigt.", None)
    drain()
    assert push_service.wait_for(1)
    event = CaseEvent.objects.get(case=case, kind="reply")
    assert notify.send(notify.prepare(event.pk)) == []
    assert notify.send(list(CaseNotice.objects.values_list("pk", flat=True))) == []
    assert push_service.settle()
    assert len(push_service.received_for("ida")) == 1
    assert len(smtp.received) == 1


def test_each_change_is_a_notification_of_its_own(tenant, push_service, smtp):
    case = report(tenant)
    follower(tenant, case, push_service, "jakob")
    service.change_status(case, "in_progress", None, text="Wir schauen es uns an.")
    service.change_status(case, "resolved", None, text="Repariert.")
    drain()
    assert push_service.wait_for(2)
    got = push_service.received_for("jakob")
    assert sorted(r.payload["title"] for r in got) == [
        "Meldung 1: erledigt",
        "Meldung 1: in Bearbeitung",
    ]
    # Different tags, so the second one alerts again instead of silently replacing the first.
    assert len({r.payload["id"] for r in got}) == 2


def test_a_follower_whose_subscription_is_gone_before_sending_is_not_pushed(
    tenant, push_service, smtp
):
    case = report(tenant)
    sub = follower(tenant, case, push_service, "klara")
    service.reply(case, "Erledigt.", None)
    event = CaseEvent.objects.get(case=case, kind="reply")
    ids = notify.prepare(event.pk)
    Channel.objects.filter(subscriber=sub).delete()
    notify.send(ids)
    notice = CaseNotice.objects.get(channel="webpush")
    assert (notice.status, notice.reason) == ("failed", "subscription gone")
    assert push_service.received == []


def test_the_answer_to_a_question_is_pushed_in_the_language_it_was_asked_in(
    tenant, push_service, smtp
):
    from stadtbote.reports import inquiries

    sub, _ = subscribers.create(
        tenant, {"language": "de", "channels": [push_channel(push_service, "carla")]}
    )
    case = inquiries.open_inquiry(
        tenant, "Can I barbecue in the town park?", language="en", subscriber=sub
    )
    service.reply(case, "Yes, on the barbecue meadow.", None)
    drain()
    assert push_service.wait_for(1)
    [got] = push_service.received_for("carla")
    assert got.payload["title"] == f"Your question {case.number}: the answer"
    assert got.payload["body"] == "Yes, on the barbecue meadow."
