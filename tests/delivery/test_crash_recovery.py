"""A worker killed (SIGKILL) in the middle of a batch neither loses nor duplicates deliveries.

This runs a real worker process against the test database and the real local push service,
kills it while requests are in flight, lets the lease run out and recovers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from stadtbote.delivery import sending
from stadtbote.delivery.maintenance import take_over_stale
from stadtbote.delivery.models import Delivery, DeliveryBatch, Status
from stadtbote.ops.demo import add_synthetic_subscribers
from stadtbote.ops.management.commands.worker import worker_argv
from tests.support.tasks import drain

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

RECIPIENTS = 300


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def start_worker(push_service) -> subprocess.Popen:
    env = {
        **os.environ,
        "STADTBOTE_DATABASE_URL": database_url(),
        "STADTBOTE_WEBPUSH_ALLOWED_HOSTS": push_service.host_port,
    }
    return subprocess.Popen(
        worker_argv(0.05), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def test_a_worker_killed_mid_batch_neither_loses_nor_duplicates_a_delivery(
    api, tenant, staff_token, push_service
):
    add_synthetic_subscribers(
        tenant, RECIPIENTS, push_service.url, seed=push_service.seed, say=lambda _: None
    )
    # Slow answers keep requests in flight, so the kill lands in the middle of a chunk.
    push_service.set_delay(0.25)
    response = api.post(
        "musterstadt/messages",
        {"title": {"de": "Hochwasser"}, "severity": "extreme"},
        token=staff_token,
    )
    assert response.status_code == 201
    message_id = response.json()["id"]

    worker = start_worker(push_service)
    sent = Delivery.objects.filter(message_id=message_id, status=Status.SENT)
    try:
        # Kill once the first chunk is recorded, while the second is in flight.
        deadline = time.monotonic() + 60
        while sent.count() < sending.CHUNK and time.monotonic() < deadline:
            time.sleep(0.01)
        assert push_service.wait_for(sending.CHUNK + 1, timeout=10)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    recorded_before_kill = {
        a.rsplit("/", 2)[-1] for a in sent.values_list("channel__address", flat=True)
    }
    push_service.set_delay(0)
    push_service.settle(timeout=10)

    rows = Delivery.objects.filter(message_id=message_id)
    before = Counter(rows.values_list("status", flat=True))
    assert sending.CHUNK <= before[Status.SENT] < RECIPIENTS, before

    # Sixty seconds later the dead worker's lease has run out and upkeep takes over.
    DeliveryBatch.objects.filter(status="running").update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    time.sleep(0.01)
    take_over_stale()
    drain()
    # The fan-out may itself have died; take_over_stale re-queues it too.
    if Delivery.objects.filter(message_id=message_id).count() < RECIPIENTS:
        from stadtbote.delivery.models import DeliveryJob

        DeliveryJob.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
        take_over_stale()
        drain()

    rows = Delivery.objects.filter(message_id=message_id)
    assert rows.count() == RECIPIENTS  # one row per recipient: none lost, none doubled
    assert set(rows.values_list("status", flat=True)) == {Status.SENT}

    assert push_service.wait_for(RECIPIENTS, timeout=20)
    by_endpoint = defaultdict(list)
    for r in push_service.received:
        by_endpoint[r.endpoint].append(r)
    assert len(by_endpoint) == RECIPIENTS  # everyone got it
    # Whatever was recorded as sent before the kill was never sent again. Only requests in
    # flight at the kill can reach the push service twice, and they carry the same Topic, so
    # the push service replaces the first copy instead of showing both.
    doubled = {e: rs for e, rs in by_endpoint.items() if len(rs) > 1}
    # Recorded as sent before the kill: never sent again.
    assert not {e.rsplit("/", 1)[-1] for e in doubled} & recorded_before_kill
    assert len(doubled) <= before[Status.SENDING] <= sending.CHUNK
    for copies in doubled.values():
        assert len({c.topic for c in copies}) == 1
        assert copies[0].topic is not None
