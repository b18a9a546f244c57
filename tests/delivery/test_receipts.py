"""Push receipts: every push carries a receipt the device posts back; staff then see how long
publishing-to-device took."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from stadtbote.delivery import receipts
from stadtbote.delivery.channels.base import RECEIPT_SLOT, fill_receipt
from stadtbote.delivery.models import Delivery
from stadtbote.delivery.progress import percentile
from stadtbote.tenants.models import Municipality
from tests.conftest import ALTSTADT, point_place, push_channel
from tests.staff.conftest import signed_in
from tests.support.tasks import drain

WARNING = {
    "title": {"de": "Unwetterwarnung"},
    "body": {"de": "Orkanböen ab 18 Uhr."},
    "severity": "severe",
}


def test_a_receipt_names_its_delivery_and_cannot_be_forged(settings):
    token = receipts.mint(4711)

    assert len(token) == 38
    assert receipts.parse(token) == 4711
    assert receipts.parse(receipts.mint(4712)[:16] + token[16:]) is None
    assert receipts.parse(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert receipts.parse("short") is None
    assert receipts.parse("z" * 38) is None


def test_the_slot_is_filled_only_where_it_stands_as_a_json_string():
    title = '"' + RECEIPT_SLOT + '"'  # text that looks like the slot, escaped in its string
    payload = ('{"receipt":"' + RECEIPT_SLOT + '","title":"\\' + title[:-1] + '\\""}').encode()

    filled = fill_receipt(payload, "r" * 38)

    assert filled.startswith(b'{"receipt":"' + b"r" * 38 + b'"')
    assert RECEIPT_SLOT.encode() in filled  # the title's look-alike is untouched
    with pytest.raises(ValueError, match="38 ASCII"):
        fill_receipt(payload, "too short")


def test_percentiles_are_nearest_rank():
    assert percentile([], 50) is None
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([float(n) for n in range(1, 11)], 90) == 9.0
    assert percentile([5.0], 90) == 5.0


@pytest.mark.django_db(transaction=True)
def test_the_service_worker_gets_a_receipt_and_reporting_it_records_the_arrival_once(
    api, tenant, staff_token, push_service
):
    body = {"places": [point_place(ALTSTADT)], "channels": [push_channel(push_service, "a")]}
    assert api.post("musterstadt/subscribers", body).status_code == 201
    api.post("musterstadt/messages", WARNING, token=staff_token)
    drain()
    [got] = push_service.received_for("a")
    receipt = got.payload["receipt"]

    first = api.post("musterstadt/receipts", {"receipt": receipt})
    delivery = Delivery.objects.get(channel_type="webpush")
    again = api.post("musterstadt/receipts", {"receipts": [receipt]})

    assert first.status_code == again.status_code == 204
    assert delivery.received_at is not None
    assert Delivery.objects.get(pk=delivery.pk).received_at == delivery.received_at


@pytest.mark.django_db
def test_a_forged_receipt_is_refused_naming_the_field(api, tenant):
    forged = receipts.mint(1)[:-2] + "xx"

    single = api.post("musterstadt/receipts", {"receipt": forged})
    listed = api.post("musterstadt/receipts", {"receipts": [receipts.mint(1), forged]})
    empty = api.post("musterstadt/receipts", {})

    assert single.status_code == listed.status_code == empty.status_code == 422
    assert single.json()["field"] == "receipt"
    assert listed.json()["field"] == "receipts[1]"
    assert empty.json()["field"] == "receipt"


@pytest.mark.django_db(transaction=True)
def test_a_receipt_sent_to_another_town_records_nothing(api, tenant, staff_token, push_service):
    body = {"places": [point_place(ALTSTADT)], "channels": [push_channel(push_service, "a")]}
    api.post("musterstadt/subscribers", body)
    api.post("musterstadt/messages", WARNING, token=staff_token)
    drain()
    Municipality.objects.create(slug="nachbarort", name="Nachbarort", center_lat=52, center_lon=9)
    delivery = Delivery.objects.get()

    response = api.post("nachbarort/receipts", {"receipt": receipts.mint(delivery.pk)})

    assert response.status_code == 204
    assert Delivery.objects.get().received_at is None


@pytest.mark.django_db(transaction=True)
def test_staff_see_the_publish_to_device_time_in_the_console_and_the_api(
    api, tenant, staff_token, push_service
):
    for name in ("a", "b", "c"):
        body = {"places": [point_place(ALTSTADT)], "channels": [push_channel(push_service, name)]}
        api.post("musterstadt/subscribers", body)
    message_id = api.post("musterstadt/messages", WARNING, token=staff_token).json()["id"]
    drain()
    published = Delivery.objects.first().message.published_at
    for seconds, delivery in zip((2, 4, 30), Delivery.objects.order_by("id"), strict=True):
        receipts.record(tenant, [delivery.pk], published + timedelta(seconds=seconds))

    numbers = api.get(f"musterstadt/messages/{message_id}/deliveries", token=staff_token).json()
    page = signed_in(tenant, "publisher").get(f"/musterstadt/staff/messages/{message_id}")

    assert numbers["arrival"] == {"webpush": {"received": 3, "p50_s": 4.0, "p90_s": 30.0}}
    assert "Arrived on devices" in page.content.decode()
    assert "half within 4.0 s, nine in ten within 30.0 s" in page.content.decode()
    assert timezone.now() > published
