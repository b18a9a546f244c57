"""Run queued background tasks in the test process, the way a worker would."""

from __future__ import annotations

from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from stadtbote.delivery.models import Delivery, DeliveryBatch, Status


def drain(*, fast_forward: bool = False, rounds: int = 20) -> int:
    """Run every ready task until none is left; returns how many ran.

    ``fast_forward`` makes deferred tasks (retries, scheduled sends) due now, as if their time
    had come. Any task that failed raises here, so a broken task cannot pass silently.
    """
    before = DBTaskResult.objects.count()
    for _ in range(rounds):
        if fast_forward:
            now = timezone.now()
            DBTaskResult.objects.filter(status="READY", run_after__gt=now).update(run_after=now)
            Delivery.objects.filter(status=Status.RETRY, not_before__gt=now).update(not_before=now)
            DeliveryBatch.objects.filter(not_before__gt=now).update(not_before=now)
        if not DBTaskResult.objects.ready().exists():
            break
        Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="pytest",
            excluded_queue_names=[],
        ).run()
    failed = DBTaskResult.objects.filter(status="FAILED")
    if failed.exists():
        errors = [f"{t.task_path}: {t.traceback}" for t in failed[:3]]
        failed.delete()
        raise AssertionError("background task failed:\n" + "\n".join(errors))
    return DBTaskResult.objects.count() - before
