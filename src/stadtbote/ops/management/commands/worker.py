from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from stadtbote.ops.supervise import run_together


def worker_argv(interval: float) -> list[str]:
    return [
        sys.executable,
        "-m",
        "stadtbote.cli",
        "db_worker",
        "--queue-name",
        "*",
        "--interval",
        str(interval),
        "--no-startup-delay",
        "--no-reload",
    ]


def upkeep() -> None:
    from django.db import close_old_connections

    from stadtbote.assistant import service as assistant
    from stadtbote.broadcast import tasks as broadcast
    from stadtbote.cap import poll
    from stadtbote.delivery import maintenance, reminders
    from stadtbote.reports import escalation

    close_old_connections()
    jobs = {**maintenance.JOBS, **escalation.JOBS, **reminders.JOBS, **poll.JOBS}
    maintenance.run_due(jobs={**jobs, **assistant.JOBS, **broadcast.JOBS})


class Command(BaseCommand):
    help = "Run background workers (fan-out, sending, upkeep). Safe to run on many machines."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--processes", type=int, default=2, help="worker processes (default 2)")
        parser.add_argument(
            "--interval", type=float, default=0.2, help="poll interval in seconds when idle"
        )

    def handle(self, *args: Any, processes: int, interval: float, **options: Any) -> None:
        self.stdout.write(f"stadtbote worker: {processes} processes, polling every {interval}s")
        code = run_together([worker_argv(interval)] * max(1, processes), tick=upkeep, tick_every=10)
        sys.exit(code)
