"""Fan-out streams: each block's send batches are queued before the next block is resolved."""

from __future__ import annotations

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from stadtbote.delivery import fanout
from stadtbote.delivery.models import Delivery, DeliveryJob
from stadtbote.geo import service as geo
from stadtbote.ops.demo import add_synthetic_subscribers

pytestmark = pytest.mark.django_db(transaction=True)


def two_blocks_of_subscribers(tenant) -> None:
    """Enough synthetic subscribers to fill more than one place block."""
    add_synthetic_subscribers(
        tenant, geo.BLOCK_SIZE + 200, "http://127.0.0.1:9/", seed=1, say=lambda _: None
    )


def publish_warning(api, staff_token) -> None:
    """An extreme whole-town warning: every subscriber is a recipient."""
    api.post(
        "musterstadt/messages",
        {"title": {"de": "Warnung"}, "severity": "extreme"},
        token=staff_token,
    )


def test_send_batches_are_queued_while_later_blocks_are_still_being_resolved(
    api, tenant, staff_token, monkeypatch
):
    two_blocks_of_subscribers(tenant)
    seen_before_block: list[int] = []
    real_match = geo.match

    # Each block is matched right before its deliveries are written.
    def watching(*args, **kwargs):
        seen_before_block.append(
            DBTaskResult.objects.filter(task_path__endswith="send_batch").count()
        )
        return real_match(*args, **kwargs)

    monkeypatch.setattr(geo, "match", watching)
    publish_warning(api, staff_token)
    [job] = DeliveryJob.objects.all()
    fanout.fanout.call(job.pk)

    assert len(seen_before_block) == 2
    assert seen_before_block[0] == 0
    assert seen_before_block[1] >= 1  # block 0's batches were committed and queued already
    assert Delivery.objects.count() == geo.BLOCK_SIZE + 200


def test_a_fan_out_resumed_after_a_crash_creates_no_second_delivery(
    api, tenant, staff_token, monkeypatch
):
    two_blocks_of_subscribers(tenant)
    real_match = geo.match
    blocks_seen = 0

    def dying(*args, **kwargs):
        nonlocal blocks_seen
        blocks_seen += 1
        if blocks_seen == 2:
            raise SystemExit("worker killed")
        return real_match(*args, **kwargs)

    monkeypatch.setattr(geo, "match", dying)
    publish_warning(api, staff_token)
    [job] = DeliveryJob.objects.all()
    with pytest.raises(SystemExit):
        fanout.fanout.call(job.pk)
    first_part = Delivery.objects.count()
    assert 0 < first_part < geo.BLOCK_SIZE + 200

    monkeypatch.setattr(geo, "match", real_match)
    DeliveryJob.objects.update(lease_until=None)  # the lease ran out
    fanout.fanout.call(job.pk)
    assert Delivery.objects.count() == geo.BLOCK_SIZE + 200
    assert DeliveryJob.objects.get().targeted == geo.BLOCK_SIZE + 200


def _continuation() -> DBTaskResult:
    fanouts = DBTaskResult.objects.filter(task_path__endswith=".fanout")
    [task] = [t for t in fanouts if len(t.args_kwargs["args"]) == 3]
    return task


def test_a_worker_resolves_the_first_block_then_lets_its_batches_go_first(api, tenant, staff_token):
    two_blocks_of_subscribers(tenant)
    publish_warning(api, staff_token)
    [job] = DeliveryJob.objects.all()
    assert fanout.fanout.call(job.pk, 0.0).startswith("continues")
    first_slice = Delivery.objects.count()
    assert 0 < first_slice < geo.BLOCK_SIZE + 200

    # The continuation waits behind the batches of the first block: same priority, later.
    continuation = _continuation()
    batches = DBTaskResult.objects.filter(task_path__endswith="send_batch")
    assert batches.exists()
    assert {b.priority for b in batches} == {continuation.priority}
    assert max(b.enqueued_at for b in batches) <= continuation.enqueued_at

    assert fanout.fanout.call(*continuation.args_kwargs["args"]) == "done"
    job.refresh_from_db()
    assert job.status == "done"
    assert Delivery.objects.count() == job.targeted == geo.BLOCK_SIZE + 200


def test_a_continuation_stands_down_once_its_job_was_taken_over(api, tenant, staff_token):
    two_blocks_of_subscribers(tenant)
    publish_warning(api, staff_token)
    [job] = DeliveryJob.objects.all()
    fanout.fanout.call(job.pk, 0.0)
    continuation = _continuation()

    DeliveryJob.objects.update(lease_until=None)  # the lease ran out; upkeep takes over
    assert fanout.fanout.call(job.pk) == "done"
    assert fanout.fanout.call(*continuation.args_kwargs["args"]) == "not claimed"
    job.refresh_from_db()
    assert Delivery.objects.count() == job.targeted == geo.BLOCK_SIZE + 200


def test_no_block_query_is_left_open_while_a_block_is_written(
    api, tenant, staff_token, monkeypatch
):
    # On SQLite an unfinished SELECT pins a read snapshot; the fan-out's next BEGIN IMMEDIATE
    # then fails with "database is locked" once another worker has committed meanwhile.
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL keeps a held cursor open across commits without harm")
    two_blocks_of_subscribers(tenant)
    open_streams: set[int] = set()
    real_iter, real_create = geo.iter_blocks, fanout._create_deliveries

    def tracked(*args, **kwargs):
        open_streams.add(id(tracked))
        try:
            yield from real_iter(*args, **kwargs)
        finally:
            open_streams.discard(id(tracked))

    def create(*args, **kwargs):
        assert not open_streams, "a block query is still open"
        return real_create(*args, **kwargs)

    monkeypatch.setattr(geo, "iter_blocks", tracked)
    monkeypatch.setattr(fanout, "_create_deliveries", create)
    publish_warning(api, staff_token)
    [job] = DeliveryJob.objects.all()
    assert fanout.fanout.call(job.pk) == "done"
    assert Delivery.objects.count() == geo.BLOCK_SIZE + 200


def test_a_fan_out_stopped_by_a_withdrawal_leaves_its_job_cancelled(
    api, tenant, staff_token, monkeypatch
):
    from stadtbote.delivery.dispatch import cancel
    from stadtbote.delivery.models import JobStatus
    from stadtbote.messages.models import Message

    two_blocks_of_subscribers(tenant)
    publish_warning(api, staff_token)
    real_match = geo.match

    def withdrawn_meanwhile(*args, **kwargs):
        cancel(Message.objects.get())  # staff withdraw it while the worker resolves
        return real_match(*args, **kwargs)

    monkeypatch.setattr(geo, "match", withdrawn_meanwhile)
    [job] = DeliveryJob.objects.all()
    fanout.fanout.call(job.pk)
    assert DeliveryJob.objects.get(pk=job.pk).status == JobStatus.CANCELLED
