"""Background work of the assistant: keeping a town's derived knowledge current (derived.py).

A change to a message, a report category, a department or the town queues one sync of that
town once the change commits (``request_sync``, connected in ``apps.py``); the upkeep queues
one for every town every ``SYNC_EVERY`` (``sync_all_towns``), so that messages leave
the knowledge when they expire, without anybody saving anything.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import OperationalError, transaction
from django.utils import timezone
from django_tasks import task

from stadtbote.core.retry import RetryPolicy
from stadtbote.core.tasks import enqueue_on_commit
from stadtbote.tenants.models import Municipality

log = logging.getLogger(__name__)

# A locked database (SQLite under load) or a serialisation failure is worth another go; the
# next upkeep would catch up anyway, so a few tries are enough.
SYNC_RETRY = RetryPolicy(max_attempts=4, base_delay=10, max_delay=300)
# How soon an expired message leaves the knowledge at the latest (nothing is saved then).
SYNC_EVERY = timedelta(minutes=10)


@task(queue_name="maintenance", priority=-10)
def sync_town_knowledge(tenant_id: int, attempt: int = 1) -> str:
    """Make the town's derived knowledge entries current; retried on a busy database.
    Below sending in priority: a warning goes out before the assistant learns of it."""
    from stadtbote.assistant import derived

    tenant = Municipality.objects.filter(pk=tenant_id).first()
    if tenant is None:
        return "skipped"
    try:
        return str(derived.sync_town(tenant))
    except OperationalError as exc:
        if SYNC_RETRY.exhausted(attempt):
            log.error("knowledge sync of town %s failed for good: %s", tenant_id, exc)
            return "failed"
        wait = timedelta(seconds=SYNC_RETRY.delay(attempt))
        enqueue_on_commit(
            sync_town_knowledge, tenant_id, attempt + 1, run_after=timezone.now() + wait
        )
        return "retry"


def sync_all_towns() -> int:
    """The upkeep's job: one sync per town, queued."""
    ids = list(Municipality.objects.order_by("pk").values_list("pk", flat=True))
    for tenant_id in ids:
        enqueue_on_commit(sync_town_knowledge, tenant_id)
    return len(ids)


class _SyncOnCommit:
    """The callback ``request_sync`` registers; recognisable, so one transaction that saves a
    town's data many times (the demo, an import) queues its sync once."""

    def __init__(self, tenant_id: int):
        self.tenant_id = tenant_id

    def __call__(self) -> None:
        sync_town_knowledge.enqueue(self.tenant_id)


def request_sync(tenant_id: int | None) -> None:
    """Queue a sync of the town once the current transaction commits (at once outside one);
    nothing if it rolls back."""
    if tenant_id is None:
        return
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        isinstance(callback, _SyncOnCommit) and callback.tenant_id == tenant_id
        for _savepoints, callback, _robust in connection.run_on_commit
    ):
        # Already queued for this commit. (A savepoint that rolls back takes the callbacks
        # registered in it along, so a save after that registers one again.)
        return
    transaction.on_commit(_SyncOnCommit(tenant_id))


def on_change(sender: type, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """post_save / post_delete of a message, category, department or town."""
    if raw:  # loaddata: rows as they are, no side effects
        return
    request_sync(instance.pk if isinstance(instance, Municipality) else instance.tenant_id)
