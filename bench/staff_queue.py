"""The case worker's queue in a big city: how long the first page takes with many cases.

    .venv/bin/python bench/staff_queue.py [--sizes 10000,100000] [--database-url postgres://…]

For each size a fresh state (migrated, demo town) gets that many cases of the demo town in
bulk (70 % open, spread over the categories and three months, a third answered). A child
process then times, median of 15 runs each after 2 warm-ups:

(a) ``queue``: the first page of ``reports.queue.queue`` (open cases ordered by the next
deadline, computed per row) plus the count the page shows; (b) ``yardstick``: the same page
ordered by a stored column (``first_response_due``, indexed) plus the count -- what a plain
indexed list costs; (c) ``workload``: the per-department counts of the numbers page;
(d) ``page``: the whole staff queue page through Django (session, role check, template).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from typing import Any

from harness import PY, ROOT, State, States, exit_cleanly_on_sigterm, log, print_machine, table

RUNS, WARMUP = 15, 2


def child(n: int) -> None:
    """Runs inside the measured process (env: the prepared state)."""
    import django

    django.setup()
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.core.paginator import Paginator
    from django.test import Client
    from django.utils import timezone

    from stadtbote.reports import queue
    from stadtbote.reports.models import Case, Category
    from stadtbote.reports.states import OPEN
    from stadtbote.tenants.models import Municipality

    tenant = Municipality.objects.get(slug="musterstadt")
    categories = list(Category.objects.filter(tenant=tenant))
    now = timezone.now()
    statuses = ["received", "in_progress", "scheduled", "received", "in_progress", "received",
                "received", "resolved", "closed", "rejected"]  # fmt: skip
    rows = []
    for i in range(n):
        created = now - timedelta(minutes=(i * 131) % (90 * 24 * 60))
        category = categories[i % len(categories)]
        answered = i % 3 == 0
        rows.append(
            Case(
                tenant=tenant,
                number=i + 1,
                category=category,
                department_id=category.department_id,
                status=statuses[i % len(statuses)],
                lat=51.67 + (i % 100) * 1e-4,
                lon=8.34 + (i % 97) * 1e-4,
                address=f"Lange Straße {i % 200}",
                description="Loch",
                created_at=created,
                updated_at=created,
                first_response_due=created + timedelta(hours=24),
                resolve_due=created + timedelta(days=14),
                first_response_at=created + timedelta(hours=5) if answered else None,
            )
        )
    Case.objects.bulk_create(rows, batch_size=5000)
    del rows
    user = get_user_model().objects.get(username="sachbearbeitung@musterstadt.example")
    client = Client()
    client.force_login(user)
    open_values = [s.value for s in OPEN]

    def first_page() -> int:
        cases = queue.queue(tenant.pk, queue.Filters(), user.pk, now)
        page = Paginator(cases, 50).get_page(1)
        return len(list(page.object_list)) + page.paginator.count

    def yardstick() -> int:
        cases = Case.objects.filter(tenant=tenant, status__in=open_values).select_related(
            "category", "department", "assignee"
        )
        page = Paginator(cases.order_by("first_response_due", "number"), 50).get_page(1)
        return len(list(page.object_list)) + page.paginator.count

    def workload() -> int:
        return len(queue.workload(tenant.pk, now))

    def page() -> int:
        response = client.get("/musterstadt/staff/cases/")
        assert response.status_code == 200, response.status_code
        return len(response.content)

    out: dict[str, Any] = {"n": n, "open": Case.objects.filter(status__in=open_values).count()}
    for name, fn in (("queue", first_page), ("yardstick", yardstick), ("workload", workload),
                     ("page", page)):  # fmt: skip
        times = []
        for k in range(WARMUP + RUNS):
            t0 = time.perf_counter()
            fn()
            if k >= WARMUP:
                times.append((time.perf_counter() - t0) * 1000)
        out[name] = round(statistics.median(times), 1)
    print(json.dumps(out))


def measure(state: State, n: int) -> dict[str, Any]:
    # Manifest storage: pages link hashed names, which exist only after collectstatic.
    state.stadtbote("collectstatic", "--noinput")
    env = state.env()
    env["DJANGO_SETTINGS_MODULE"] = "stadtbote.settings"
    argv = [PY, __file__, "--child", str(n)]
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        child(args.child)
        return 0
    exit_cleanly_on_sigterm()
    print_machine()
    states = States(args.database_url)
    rows: list[dict[str, Any]] = []
    try:

        def prepare(state: State) -> None:
            state.stadtbote("migrate", "--noinput")
            state.stadtbote("demo")

        template = states.template("queue", prepare, {})
        for n in (int(s) for s in args.sizes.split(",")):
            r = measure(states.copy(template, f"queue{n}"), n)
            r["ratio"] = round(r["queue"] / r["yardstick"], 2)
            log(f"{n} cases: first page {r['queue']} ms, {r['ratio']}x the indexed list")
            rows.append(r)
    finally:
        states.cleanup()
    print()
    print(
        table(
            rows,
            [
                ("n", "cases"),
                ("open", "open"),
                ("queue", "queue, first page + count (ms)"),
                ("yardstick", "indexed list + count (ms)"),
                ("ratio", "queue ÷ indexed"),
                ("workload", "per-department counts (ms)"),
                ("page", "whole staff page (ms)"),
            ],
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
