from __future__ import annotations

import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from stadtbote.ops.management.commands.worker import upkeep, worker_argv
from stadtbote.ops.supervise import run_together


class Command(BaseCommand):
    help = (
        "Serve the web app and API with gunicorn (production-grade); --with-worker adds the worker."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
        parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
        parser.add_argument(
            "--with-worker", action="store_true", help="also run the background worker"
        )
        parser.add_argument("--worker-processes", type=int, default=1)

    def handle(
        self,
        *args: Any,
        bind: str,
        workers: int,
        threads: int,
        with_worker: bool,
        worker_processes: int,
        **options: Any,
    ) -> None:
        call_command("collectstatic", interactive=False, verbosity=0)
        web = [
            sys.executable,
            "-m",
            "gunicorn",
            "stadtbote.wsgi:application",
            "--bind",
            bind,
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            "gthread",
            "--timeout",
            "30",
            "--graceful-timeout",
            "10",
            "--access-logfile",
            "-",
            "--forwarded-allow-ips",
            "127.0.0.1",
        ]
        commands = [web]
        if with_worker:
            commands += [worker_argv(0.2)] * max(1, worker_processes)
        self.stdout.write(
            f"Stadtbote at http://{bind}/ (Ctrl-C stops {'web and worker' if with_worker else 'the web server'})"
        )
        sys.exit(run_together(commands, tick=upkeep if with_worker else None, tick_every=10))
