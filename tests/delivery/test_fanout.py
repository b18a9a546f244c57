"""Fan-out streams: each block's send batches are queued before the next block is resolved."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from stadtbote.delivery import fanout
from stadtbote.delivery.models import Delivery, DeliveryJob
from stadtbote.geo import service as geo
from stadtbote.ops.demo import add_synthetic_subscribers

pytestmark = pytest.mark.django_db(transaction=True)


def test_send_batches_are_queued_while_later_blocks_are_still_being_resolved(
    api, tenant, staff_token, monkeypatch
):
    add_synthetic_subscribers(
        tenant, geo.BLOCK_SIZE + 200, "http://127.0.0.1:9/", seed=1, say=lambda _: None
    )
    seen_before_block: list[int] = []
    real_iter = geo.iter_blocks

    def watching(*args, **kwargs):
        for block_no, arrays in real_iter(*args, **kwargs):
            seen_before_block.append(
                DBTaskResult.objects.filter(task_path__endswith="send_batch").count()
            )
            yield block_no, arrays

    monkeypatch.setattr(geo, "iter_blocks", watching)
    api.post(
        "musterstadt/messages",
        {"title": {"de": "Warnung"}, "severity": "extreme"},
        token=staff_token,
    )
    [job] = DeliveryJob.objects.all()
    fanout.fanout.call(job.pk)

    assert len(seen_before_block) == 2
    assert seen_before_block[0] == 0
    assert seen_before_block[1] >= 1  # block 0's batches were committed and queued already
    assert Delivery.objects.count() == geo.BLOCK_SIZE + 200


def test_a_fan_out_resumed_after_a_crash_creates_no_second_delivery(
    api, tenant, staff_token, monkeypatch
):
    add_synthetic_subscribers(
        tenant, geo.BLOCK_SIZE + 200, "http://127.0.0.1:9/", seed=1, say=lambda _: None
    )
    real_iter = geo.iter_blocks

    def dying(*args, **kwargs):
        for n, item in enumerate(real_iter(*args, **kwargs)):
            if n == 1:
                raise SystemExit("worker killed")
            yield item

    monkeypatch.setattr(geo, "iter_blocks", dying)
    api.post(
        "musterstadt/messages",
        {"title": {"de": "Warnung"}, "severity": "extreme"},
        token=staff_token,
    )
    [job] = DeliveryJob.objects.all()
    with pytest.raises(SystemExit):
        fanout.fanout.call(job.pk)
    first_part = Delivery.objects.count()
    assert 0 < first_part < geo.BLOCK_SIZE + 200

    monkeypatch.setattr(geo, "iter_blocks", real_iter)
    DeliveryJob.objects.update(lease_until=None)  # the lease ran out
    fanout.fanout.call(job.pk)
    assert Delivery.objects.count() == geo.BLOCK_SIZE + 200
    assert DeliveryJob.objects.get().targeted == geo.BLOCK_SIZE + 200
