"""Enqueueing background work: only after the surrounding transaction commits, ids not objects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction


def enqueue_on_commit(task: Any, *args: Any, run_after: datetime | None = None) -> None:
    """Enqueue ``task(*args)`` once the current transaction commits (at once outside one).

    A task enqueued inside a transaction that later rolls back would run against rows that
    never existed; a worker could also pick it up before the rows are visible.
    """

    def _enqueue() -> None:
        (task.using(run_after=run_after) if run_after else task).enqueue(*args)

    transaction.on_commit(_enqueue)
