"""Official warnings: from a CAP document arriving to the first Web Push leaving, end to end.

    .venv/bin/python bench/cap_relay.py [--subscribers 5000] [--repeat 3]
        [--database-url postgres://postgres@127.0.0.1:5432/stadtbote_bench]

Each run starts from a fresh copy of a prepared state (demo town, N synthetic subscribers whose
push endpoints point at a local push service): push service, ``stadtbote worker``,
``stadtbote serve``. Then a severe civil-protection warning over the whole town is POSTed as
CAP 1.2 to ``/api/v1/musterstadt/cap`` (read, checked against the schema, relayed by the
town's rule, fanned out, encrypted), and the push service's receive times are polled.
Measured, alternating in the same rounds:

* CAP: POST of the CAP document -> first push accepted (goal: under one second), and -> all;
* API: the same warning POSTed as a plain message to ``/api/v1/musterstadt/messages``, the
  path that has no CAP work in it; the difference is what reading and relaying costs.

In-process, without a server: how long ``cap.reader.read`` takes for a small warning and for
the DWD's largest sample (215 KB, 820 areas), and the relay's geometry for the DWD sample.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from fanout_webpush import SEED, prepare  # the same demo town, subscribers and API key
from harness import (
    Stack,
    State,
    States,
    exit_cleanly_on_sigterm,
    free_port,
    http_json,
    log,
    poll,
    print_machine,
    start_push_service,
    start_server,
    start_worker,
    table,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
# Generous box around the demo town (Lippstadt): every subscriber is in the warned area.
RING = [(51.60, 8.20), (51.60, 8.50), (51.75, 8.50), (51.75, 8.20), (51.60, 8.20)]
HEADLINE = "Großbrand in Lippstadt: Rauchentwicklung"
TEXT = "In der Altstadt brennt eine Lagerhalle. Es kommt zu starker Rauchentwicklung."
DO = "Halten Sie Fenster und Türen geschlossen. Schalten Sie Lüftungen aus."


def cap_document() -> bytes:
    polygon = " ".join(f"{lat},{lon}" for lat, lon in RING)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>DE-NW-SO-BENCH-20311127-000</identifier>
  <sender>leitstelle@kreis-soest.example</sender>
  <sent>2031-11-27T07:00:00+01:00</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info>
    <language>de-DE</language><category>Fire</category><event>Gefahreninformation</event>
    <urgency>Immediate</urgency><severity>Severe</severity><certainty>Observed</certainty>
    <expires>2031-11-27T19:00:00+01:00</expires><senderName>Kreis Soest</senderName>
    <headline>{HEADLINE}</headline><description>{TEXT}</description>
    <instruction>{DO}</instruction>
    <area><areaDesc>Lippstadt</areaDesc><polygon>{polygon}</polygon></area>
  </info>
</alert>
""".encode()


MESSAGE = {
    "title": {"de": HEADLINE},
    "body": {"de": TEXT},
    "severity": "severe",
    "area": {"type": "Polygon", "coordinates": [[[lon, lat] for lat, lon in RING]]},
    "expires_at": "2031-11-27T19:00:00+01:00",
}


def post_cap(base: str, token: str, body: bytes) -> tuple[int, str]:
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"{base}/api/v1/musterstadt/cap",
        data=body,
        method="POST",
        headers={"Content-Type": "application/cap+xml", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.status, response.read().decode()


def run_once(state: State, token: str, n: int, push_port: int, path: str) -> dict[str, Any]:
    with Stack() as stack:
        push_url = start_push_service(stack, state.env(), push_port, SEED, decrypt=False)
        start_worker(stack, state, 2)
        base = start_server(stack, state)
        t0 = time.time()
        if path == "cap":
            status, text = post_cap(base, token, cap_document())
            if status != 200 or '"relayed"' not in text:
                raise RuntimeError(f"CAP not relayed: {status} {text}")
        else:
            status, created = http_json(
                "POST", f"{base}/api/v1/musterstadt/messages", MESSAGE, token=token
            )
            if status != 201:
                raise RuntimeError(f"publish failed: {status} {created}")
        t_call = time.time() - t0
        try:
            final = poll(
                lambda: http_json("GET", f"{push_url}/_stats")[1],
                lambda s: s["accepted"] >= n,
                timeout=240,
                every=0.02,
            )
        except TimeoutError:
            state.dump_logs()
            raise
    result = {
        "path": path,
        "n": n,
        "call_s": round(t_call, 3),
        "first_s": round(final["first_at"] - t0, 3),
        "all_s": round(final["last_at"] - t0, 2),
    }
    log(f"  {path}: call {result['call_s']} s, first push {result['first_s']} s, "
        f"all {result['all_s']} s")  # fmt: skip
    return result


def in_process(repeat: int = 20) -> list[dict[str, Any]]:
    from stadtbote.cap import geometry, reader

    dwd = (ROOT / "tests" / "cap" / "data" / "dwd" / "alert_1.xml").read_bytes()
    rows = []
    for label, data in (
        ("small warning (1 area)", cap_document()),
        ("DWD alert_1 (820 areas)", dwd),
    ):
        reader.read(data)  # the schema loads once
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            alert = reader.read(data)
            times.append(time.perf_counter() - t)
        t = time.perf_counter()
        for _ in range(repeat):
            geometry.info_geometry(alert.infos[0])
        rows.append(
            {
                "doc": label,
                "bytes": len(data),
                "read_ms": round(statistics.median(times) * 1000, 2),
                "geometry_ms": round((time.perf_counter() - t) / repeat * 1000, 2),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--subscribers", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="postgres://… (default: SQLite)")
    args = parser.parse_args(argv)
    exit_cleanly_on_sigterm()
    print_machine()
    log(f"database: {'PostgreSQL' if args.database_url else 'SQLite'}")
    push_port = free_port()
    env = {"STADTBOTE_WEBPUSH_ALLOWED_HOSTS": f"127.0.0.1:{push_port}"}
    states = States(args.database_url)
    tokens: dict[str, str] = {}
    results: list[dict[str, Any]] = []
    try:
        template = states.template(
            "cap", prepare(f"http://127.0.0.1:{push_port}", args.subscribers, tokens), env
        )
        token = tokens[template.var_dir.name]
        for round_ in range(args.repeat):
            for path in ("cap", "api"):
                state = states.copy(template, f"{path}-{round_}")
                results.append(run_once(state, token, args.subscribers, push_port, path))
    finally:
        states.cleanup()
    print()
    print(table(results, [("path", "path"), ("n", "recipients"), ("call_s", "call (s)"),
                          ("first_s", "first push (s)"), ("all_s", "all (s)")]))  # fmt: skip
    cap = statistics.median(r["first_s"] for r in results if r["path"] == "cap")
    api = statistics.median(r["first_s"] for r in results if r["path"] == "api")
    print()
    print(f"median time to first push: CAP {cap} s, plain message {api} s "
          f"(CAP costs {cap - api:+.3f} s, {cap / api:.2f}x); goal under 1 s: "
          f"{'met' if cap < 1 else 'NOT met'}")  # fmt: skip
    print()
    print(table(in_process(), [("doc", "document"), ("bytes", "bytes"),
                               ("read_ms", "read + schema (ms)"),
                               ("geometry_ms", "area geometry (ms)")]))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
