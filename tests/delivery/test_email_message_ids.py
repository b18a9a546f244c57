"""Every update of a message is a mail of its own (its own Message-ID), while a mail sent again
after a crash keeps the Message-ID of the copy that may already have arrived."""

from __future__ import annotations

import pytest
from django.utils import timezone

from stadtbote.delivery import sending
from stadtbote.delivery.models import Delivery, DeliveryBatch, Status
from stadtbote.subscribers.models import Channel
from tests.conftest import ALTSTADT, point_place
from tests.support.tasks import drain

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = "anna@example.org"


@pytest.fixture
def reader(api, tenant):
    body = {"places": [point_place(ALTSTADT)], "channels": [{"type": "email", "address": ADDRESS}]}
    assert api.post("musterstadt/subscribers", body).status_code == 201
    Channel.objects.filter(address=ADDRESS).update(status="confirmed", confirmed_at=timezone.now())
    drain()  # the confirmation mail's task; it sends nothing now


def publish(api, staff_token, title, **extra):
    body = {"title": {"de": title}, "body": {"de": "Bitte drinnen bleiben."}, "severity": "severe"}
    response = api.post("musterstadt/messages", {**body, **extra}, token=staff_token)
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def message_ids(smtp, subject):
    return [m["Message-ID"] for m in smtp.to(ADDRESS) if m["Subject"] == subject]


def test_two_updates_of_one_message_are_mailed_with_different_message_ids(
    api, tenant, staff_token, smtp, reader
):
    first = publish(api, staff_token, "Sturm")
    drain()
    publish(api, staff_token, "Sturm zieht ab", replaces=first)
    drain()
    publish(api, staff_token, "Sturm vorbei", replaces=first)
    drain()
    [original] = message_ids(smtp, "Sturm")
    [one] = message_ids(smtp, "Aktualisierung: Sturm zieht ab")
    [two] = message_ids(smtp, "Aktualisierung: Sturm vorbei")
    assert len({original, one, two}) == 3


def test_an_update_mailed_again_after_a_crash_keeps_its_message_id(
    api, tenant, staff_token, smtp, reader, monkeypatch
):
    first = publish(api, staff_token, "Sturm")
    drain()

    # The relay accepted the update's mail, then the worker died before recording that.
    def dies(*args, **kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(sending, "record", dies)
    update = publish(api, staff_token, "Sturm zieht ab", replaces=first)
    with pytest.raises(AssertionError, match="worker killed"):
        drain()
    monkeypatch.undo()
    [delivery] = Delivery.objects.filter(message_id=update)
    assert delivery.status == Status.SENDING

    # Its lease ran out; the next worker takes the batch over and sends the mail again.
    DeliveryBatch.objects.filter(pk=delivery.batch_id).update(lease_until=timezone.now())
    sending.send_batch.call(delivery.batch_id)

    delivery.refresh_from_db()
    assert delivery.status == Status.SENT
    again = message_ids(smtp, "Aktualisierung: Sturm zieht ab")
    assert len(again) == 2
    assert again[0] == again[1]
    assert again[0] not in message_ids(smtp, "Sturm")
