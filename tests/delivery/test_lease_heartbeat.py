"""A chunk that takes longer than the lease (an SMS provider timing out) keeps its batch: the
lease is renewed while the channel works, so no other worker sends the chunk again."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta

import pytest

from stadtbote.delivery import registry, sending
from stadtbote.delivery.channels.base import Outcome, Outgoing
from stadtbote.delivery.models import DeliveryBatch, Status
from tests.conftest import ALTSTADT, point_place, push_channel
from tests.support.tasks import drain

pytestmark = pytest.mark.django_db(transaction=True)


class SlowChannel:
    kind = "webpush"

    def __init__(self) -> None:
        self.leases: list[object] = []

    def send(self, items: Sequence[Outgoing]) -> list[Outcome]:
        self.leases.append(DeliveryBatch.objects.values_list("lease_until", flat=True).get())
        time.sleep(0.8)
        self.leases.append(DeliveryBatch.objects.values_list("lease_until", flat=True).get())
        return [Outcome(i.delivery_id, "sent") for i in items]

    def close(self) -> None:
        pass


def test_the_lease_is_renewed_while_a_slow_channel_sends(
    api, tenant, staff_token, push_service, monkeypatch
):
    slow = SlowChannel()
    monkeypatch.setitem(registry.CHANNELS, "webpush", lambda tenant: slow)
    monkeypatch.setattr(sending, "BATCH_LEASE", timedelta(seconds=0.6))
    monkeypatch.setattr(sending, "HEARTBEAT", timedelta(seconds=0.2))
    body = {"places": [point_place(ALTSTADT)], "channels": [push_channel(push_service, "a")]}
    api.post("musterstadt/subscribers", body)

    warning = {"title": {"de": "W"}, "body": {"de": "B"}, "severity": "severe", "area": None}
    api.post("musterstadt/messages", warning, token=staff_token)
    drain()

    before, after = slow.leases
    assert after > before  # renewed during the send, not only between chunks
    assert DeliveryBatch.objects.get().status == "done"
    assert sending.Delivery.objects.get().status == Status.SENT
