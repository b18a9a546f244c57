"""Is the engine's memory flat in the number of recipients? Fan-out + send bookkeeping in one
fresh process, with a channel that accepts everything at once (no network).

    .venv/bin/python bench/fanout_memory.py [--sizes 5000,20000,50000]

For each size a fresh SQLite state is prepared (``stadtbote migrate``/``demo``), then a child
process publishes one whole-town message, runs the fan-out and every send batch the way a
worker does, and reports its peak RSS (VmHWM) before and after. It runs twice per size: with the
SQLite page cache as configured (``PRAGMA cache_size=-64000``, up to 62.5 MiB per connection)
and with a 2 MiB cache, which separates SQLite's page cache (bounded, grows with the database
touched) from the engine's own memory (which must not grow with the recipients).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any

from harness import PY, ROOT, State, States, exit_cleanly_on_sigterm, log, print_machine, table

SMALL_CACHE_KIB = 2000


def child(cache_kib: int | None) -> None:
    """Runs inside the measured process (env: the prepared state)."""
    import django

    django.setup()
    from django.db import connection

    from stadtbote.delivery import dispatch, fanout, registry, sending
    from stadtbote.delivery.channels.base import Outcome, Outgoing
    from stadtbote.delivery.models import DeliveryBatch, DeliveryJob, Status
    from stadtbote.messages import service
    from stadtbote.tenants.models import Municipality

    class Accepting:
        kind = "webpush"

        def send(self, items: list[Outgoing]) -> list[Outcome]:
            return [Outcome(i.delivery_id, "sent") for i in items]

        def close(self) -> None:
            pass

    registry.CHANNELS["webpush"] = lambda tenant: Accepting()
    tenant = Municipality.objects.get(slug="musterstadt")
    message = service.create(
        tenant,
        {"title": {"de": "Warnung"}, "severity": "severe", "channels": ["webpush"]},
        None,
    )
    dispatch.submit(message)
    if cache_kib:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size=-{int(cache_kib)}")
    before = _hwm()
    t0 = time.perf_counter()
    [job] = DeliveryJob.objects.all()
    fanout.fanout.call(job.pk)
    for batch in DeliveryBatch.objects.order_by("id").values_list("id", flat=True):
        sending.send_batch.call(batch)
    elapsed = time.perf_counter() - t0
    sent = message.deliveries.filter(status=Status.SENT).count()
    print(json.dumps({"before": before, "after": _hwm(), "sent": sent, "seconds": elapsed}))


def _hwm() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def measure(state: State, cache_kib: int | None) -> dict[str, Any]:
    env = state.env()
    env["DJANGO_SETTINGS_MODULE"] = "stadtbote.settings"
    argv = [PY, __file__, "--child", str(cache_kib or 0)]
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="5000,20000,50000")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        child(args.child or None)
        return 0
    exit_cleanly_on_sigterm()
    print_machine()
    sizes = [int(s) for s in args.sizes.split(",")]
    states = States(None)
    rows: list[dict[str, Any]] = []
    try:
        for n in sizes:

            def prepare(state: State, n: int = n) -> None:
                state.stadtbote("migrate", "--noinput")
                state.stadtbote("demo", "--subscribers", str(n), "--push-endpoint", "https://x/")

            template = states.template(f"mem{n}", prepare, {})
            for cache in (None, SMALL_CACHE_KIB):
                state = states.copy(template, f"mem{n}_{cache or 'default'}")
                r = measure(state, cache)
                row = {
                    "n": n,
                    "cache": f"{cache} KiB" if cache else "configured (64,000 KiB)",
                    "before": round(r["before"], 1),
                    "after": round(r["after"], 1),
                    "growth": round(r["after"] - r["before"], 1),
                    "sent": r["sent"],
                    "seconds": round(r["seconds"], 2),
                }
                log(f"{n} recipients, SQLite cache {row['cache']}: peak RSS +{row['growth']} MiB")
                rows.append(row)
    finally:
        states.cleanup()
    print()
    print(
        table(
            rows,
            [
                ("n", "recipients"),
                ("cache", "SQLite page cache"),
                ("before", "peak RSS before (MiB)"),
                ("after", "peak RSS after (MiB)"),
                ("growth", "growth (MiB)"),
                ("sent", "sent"),
                ("seconds", "fan-out + bookkeeping (s)"),
            ],
        )
    )
    bad = [r for r in rows if r["sent"] != r["n"]]
    return 1 if bad else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
