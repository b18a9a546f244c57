"""SMS fallback for warnings: a subscriber with a phone number gets a severe warning by SMS when
they have no push, or when their push did not arrive (failed, pruned, or no receipt)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from stadtbote.core import tokens
from stadtbote.delivery import receipts
from stadtbote.delivery.fallback import CHECK_AFTER, applies, without_sms_where_push
from stadtbote.delivery.models import Delivery
from stadtbote.subscribers.models import Channel, Subscriber
from tests.conftest import ALTSTADT, point_place, push_channel
from tests.support.sms_gateway import SmsGateway
from tests.support.tasks import drain

WARNING = {
    "title": {"de": "Unwetterwarnung"},
    "body": {"de": "Orkanböen ab 18 Uhr."},
    "severity": "severe",
    "channels": ["webpush", "fcm", "apns", "email"],
}


def test_the_fallback_is_for_warnings_sent_by_push_and_not_by_sms_anyway():
    assert applies(3, ["webpush"])
    assert applies(4, ["fcm", "email"])
    assert not applies(2, ["webpush"])
    assert not applies(4, ["webpush", "sms"])
    assert not applies(4, ["email"])


def test_sms_of_subscribers_with_push_wait_for_the_check():
    rows = [(1, 10, "webpush"), (2, 10, "sms"), (3, 11, "sms"), (4, 12, "email"), (5, 12, "sms")]

    kept = without_sms_where_push(rows, type_at=2, subscriber_at=1)

    assert [r[0] for r in kept] == [1, 3, 4, 5]


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmsGateway]:
    with SmsGateway() as server:
        url = server.url.replace("http://", "kannel+http://stadtbote:secret@")
        monkeypatch.setenv("STADTBOTE_SMS_PROVIDERS", f"{url}?from=Musterstadt")
        yield server


def person(api, push_service, name: str | None, number: str | None) -> Subscriber:
    channels = [push_channel(push_service, name)] if name else []
    created = api.post(
        "musterstadt/subscribers", {"places": [point_place(ALTSTADT)], "channels": channels}
    ).json()
    sub = Subscriber.objects.get(public_id=created["id"])
    if number:
        Channel.objects.create(
            tenant=sub.tenant,
            subscriber=sub,
            type="sms",
            status="confirmed",
            address=number,
            address_key=tokens.address_key("sms", number),
        )
    return sub


def three_minutes_pass() -> None:
    """The check's wait, as if it had passed: what was sent, was sent that long ago."""
    earlier = timezone.now() - CHECK_AFTER - timedelta(seconds=1)
    Delivery.objects.filter(sent_at__isnull=False).update(sent_at=earlier)


def numbers_texted(gateway: SmsGateway) -> list[str]:
    return sorted(r["to"] for r in gateway.received)


@pytest.mark.django_db(transaction=True)
def test_a_warning_reaches_by_sms_whoever_has_no_push_at_once_and_whose_push_did_not_arrive_later(
    api, tenant, staff_token, push_service, gateway
):
    person(api, push_service, "silent-phone", "+491511000001")
    person(api, push_service, None, "+491511000002")  # no smartphone
    arrived = person(api, push_service, "good-phone", "+491511000003")
    person(api, push_service, "dead-subscription", "+491511000004")
    push_service.respond("dead-subscription", 410)

    api.post("musterstadt/messages", WARNING, token=staff_token)
    drain()
    at_once = numbers_texted(gateway)
    good = Delivery.objects.get(subscriber=arrived, channel_type="webpush")
    receipts.record(tenant, [good.pk], good.sent_at)
    three_minutes_pass()
    drain(fast_forward=True)

    assert at_once == ["+491511000002"]
    assert numbers_texted(gateway) == ["+491511000001", "+491511000002", "+491511000004"]
    assert Delivery.objects.filter(channel_type="sms", status="sent").count() == 3


@pytest.mark.django_db(transaction=True)
def test_news_never_falls_back_to_sms(api, tenant, staff_token, push_service, gateway):
    person(api, push_service, None, "+491511000002")
    person(api, push_service, "silent-phone", "+491511000001")

    api.post("musterstadt/messages", {**WARNING, "severity": "moderate"}, token=staff_token)
    drain()
    drain(fast_forward=True)

    assert gateway.received == []


@pytest.mark.django_db(transaction=True)
def test_a_warning_withdrawn_before_the_check_sends_no_fallback(
    api, tenant, staff_token, push_service, gateway
):
    person(api, push_service, "silent-phone", "+491511000001")
    message_id = api.post("musterstadt/messages", WARNING, token=staff_token).json()["id"]
    drain()

    api.post(f"musterstadt/messages/{message_id}/cancel", None, token=staff_token)
    drain(fast_forward=True)

    assert gateway.received == []


@pytest.mark.django_db(transaction=True)
def test_the_all_clear_reaches_the_number_the_fallback_used(
    api, tenant, staff_token, push_service, gateway
):
    person(api, push_service, None, "+491511000002")
    message_id = api.post("musterstadt/messages", WARNING, token=staff_token).json()["id"]
    drain()

    api.post(f"musterstadt/messages/{message_id}/cancel", None, token=staff_token)
    drain(fast_forward=True)

    texts = [r["text"] for r in gateway.received]
    assert len(texts) == 2
    assert "WIDERRUFEN" in texts[1]


@pytest.mark.django_db(transaction=True)
def test_a_push_still_on_its_way_at_the_check_is_waited_for_not_texted(
    api, tenant, staff_token, push_service, gateway
):
    late = person(api, push_service, "busy-service", "+491511000005")
    push_service.respond("busy-service", 503, times=1)
    api.post("musterstadt/messages", WARNING, token=staff_token)
    drain()
    assert Delivery.objects.get(subscriber=late, channel_type="webpush").status == "retry"

    from stadtbote.delivery.fallback import check_push_arrived

    message_id = str(Delivery.objects.get(channel_type="webpush").message_id)
    waited = check_push_arrived.call(message_id)
    # Meanwhile the retry goes out and the phone confirms it.
    delivery = Delivery.objects.get(subscriber=late, channel_type="webpush")
    Delivery.objects.filter(pk=delivery.pk).update(status="sent", sent_at=timezone.now())
    receipts.record(tenant, [delivery.pk], timezone.now())
    three_minutes_pass()
    drain(fast_forward=True)

    assert waited == "0 SMS"
    assert gateway.received == []


@pytest.mark.django_db(transaction=True)
def test_an_app_that_never_reports_receipts_is_not_taken_for_a_silent_phone(
    api, tenant, staff_token, push_service, gateway
):
    from stadtbote.delivery.fallback import _missed

    person(api, push_service, "a", "+491511000001")
    message_id = api.post("musterstadt/messages", WARNING, token=staff_token).json()["id"]
    drain()
    Delivery.objects.filter(channel_type="webpush").update(channel_type="apns")
    three_minutes_pass()
    from stadtbote.messages.models import Message

    missed, waiting = _missed(Message.objects.get(pk=message_id), timezone.now(), final=False)

    assert list(missed) == []
    assert waiting is False


@pytest.mark.django_db(transaction=True)
def test_an_update_reaches_the_number_the_fallback_used_even_by_push_alone(
    api, tenant, staff_token, push_service, gateway
):
    person(api, push_service, "silent-phone", "+491511000001")
    message_id = api.post("musterstadt/messages", WARNING, token=staff_token).json()["id"]
    drain()
    three_minutes_pass()
    drain(fast_forward=True)
    lowered = {
        **WARNING,
        "severity": "moderate",
        "title": {"de": "Warnung herabgestuft"},
        "replaces": message_id,
    }
    api.post("musterstadt/messages", lowered, token=staff_token)
    drain()

    texts = [r["text"] for r in gateway.received]
    assert len(texts) == 2
    assert "Warnung herabgestuft" in texts[1]
    update = Delivery.objects.exclude(message_id=message_id)
    assert sorted(update.values_list("channel_type", flat=True)) == ["sms", "webpush"]
