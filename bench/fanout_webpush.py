"""Web Push fan-out, end to end from the publish call, vs a pywebpush loop.

    .venv/bin/python bench/fanout_webpush.py [--subscribers 20000] [--small 5000]
        [--large 0] [--processes 1,2] [--repeat 2] [--baseline-sample 0]
        [--latency-ms 20] [--variant LABEL=SRC_DIR]
        [--database-url postgres://postgres@127.0.0.1:5432/stadtbote_bench] [--json FILE]

Each run starts from a fresh copy of a prepared state (migrated, demo town, N synthetic
subscribers whose push endpoints point at the local push service): push service (separate
process), ``stadtbote worker --processes P``, ``stadtbote serve``; then one whole-town severe
message is POSTed to the API (so every subscriber is targeted) and the push service's
``/_stats`` is polled until every delivery is accepted. Measured:

* deliveries/s = N / (last accepted - publish call), from the push service's receive times;
* time to first delivery = first accepted - publish call;
* peak RSS (VmHWM) of the worker processes, for N and for the small N (flat in recipients?);
* CPU seconds of the workers, the push service and PostgreSQL, and how busy the machine was
  just before the run (a shared machine's other tenants).

A small run against a *decrypting* push service proves the payloads are valid (every message is
decrypted with the subscriber's private key and parsed). The contender is the obvious loop,
``pywebpush.webpush()`` per subscriber, over the same subscriptions read from the database and
against the same push service, in the same script run, alternated with the project's runs.
A last pair of runs has the push service answer 20 ms late, as a real one would (the loop then
runs on a sample). ``--variant`` runs another engine (``PYTHONPATH=SRC_DIR``, e.g. a ``git
archive`` of an older commit's ``src/``) in the same rounds, to compare versions.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from harness import (
    Stack,
    State,
    States,
    background_load,
    busy_share,
    cpu_seconds,
    db_server_cpu,
    exit_cleanly_on_sigterm,
    free_port,
    http_json,
    log,
    poll,
    print_machine,
    start_push_service,
    start_server,
    start_worker,
    system_cpu,
    table,
    worker_memory,
)

SEED = 1
REQUIRED_PAYLOAD = {"id", "title", "body", "severity", "url"}
MESSAGE = {
    "title": {"de": "Unwetterwarnung: Orkanböen", "en": "Severe weather: storm gusts"},
    "body": {
        "de": "Bitte bleiben Sie in Gebäuden. Meiden Sie Parks und Alleen.",
        "en": "Please stay indoors. Avoid parks and tree-lined roads.",
    },
    "severity": "severe",
    "channels": ["webpush"],
}


def prepare(push_url: str, count: int, tokens: dict[str, str]):
    def run(state: State) -> None:
        state.stadtbote("migrate", "--noinput")
        state.stadtbote(
            "demo", "--subscribers", str(count), "--push-endpoint", push_url, "--seed", str(SEED)
        )
        out = state.stadtbote(
            "apikey", "create", "--tenant", "musterstadt", "--role", "publisher", "--name", "bench"
        )
        tokens[state.var_dir.name] = out.strip().splitlines()[-1]

    return run


def run_project(
    state: State,
    token: str,
    expected: int,
    processes: int,
    push_port: int,
    decrypt: bool,
    label: str,
    latency_ms: int = 0,
    timeout: float = 240,
) -> dict[str, Any]:
    log(f"{label}: {expected} subscribers, {processes} worker process(es), decrypt={decrypt}")
    with Stack() as stack:
        push_url = start_push_service(
            stack, state.env(), push_port, SEED, decrypt, latency_ms / 1000
        )
        push_pid = stack.procs[-1][1].pid
        worker = start_worker(stack, state, processes)
        base = start_server(stack, state)
        background = background_load()
        idle = worker_memory(worker.pid)
        push_cpu0 = cpu_seconds(push_pid)
        db_cpu0 = db_server_cpu()
        sys0 = system_cpu()
        t0 = time.time()
        status, created = http_json(
            "POST", f"{base}/api/v1/musterstadt/messages", MESSAGE, token=token
        )
        t_api = time.time() - t0
        if status != 201:
            raise RuntimeError(f"publish failed: {status} {created}")
        peak_seen = 0.0

        def stats() -> dict[str, Any]:
            nonlocal peak_seen
            peak_seen = max(peak_seen, worker_memory(worker.pid)["rss_max"])
            return http_json("GET", f"{push_url}/_stats")[1]

        try:
            final = poll(
                stats,
                lambda s: s["accepted"] + s["rejected"] >= expected,
                timeout=timeout,
                every=0.05,
            )
        except TimeoutError:
            state.dump_logs()
            raise
        mem = worker_memory(worker.pid)
        push_cpu = cpu_seconds(push_pid) - push_cpu0
        db_cpu = db_server_cpu() - db_cpu0
        busy = busy_share(sys0, system_cpu())
        # The last outcomes are recorded just after the push service answered.
        summary = poll(
            lambda: http_json(
                "GET", f"{base}/api/v1/musterstadt/messages/{created['id']}/deliveries", token=token
            )[1],
            lambda s: s["by_channel"]["webpush"]["pending"] == 0 and not s["resolving"],
            timeout=60,
            every=0.2,
        )
    elapsed = final["last_at"] - t0
    timeline = state.task_timeline(t0)
    result = {
        "label": label,
        "n": expected,
        "processes": processes,
        "latency_ms": latency_ms,
        "decrypt": decrypt,
        "accepted": final["accepted"],
        "rejected": final["rejected"],
        "sent": summary["by_channel"]["webpush"]["sent"],
        "failed": summary["by_channel"]["webpush"]["failed"],
        "api_s": round(t_api, 3),
        "first_s": round(final["first_at"] - t0, 3),
        "elapsed_s": round(elapsed, 2),
        "rate": round(final["accepted"] / elapsed),
        "rss_idle_mib": round(idle["rss_max"], 1),
        "rss_peak_mib": round(mem["hwm_max"], 1),
        "connections": final["connections"],
        "max_in_flight": final["max_in_flight"],
        "timeline": timeline,
        "cpu_worker_s": round(mem["cpu_s"] - idle["cpu_s"], 2),
        "cpu_us": round((mem["cpu_s"] - idle["cpu_s"]) / expected * 1e6),
        "cpu_push_service_s": round(push_cpu, 2),
        "cpu_postgres_s": round(db_cpu, 2),
        "cpu_busy": f"{busy:.0%}",
        "background": f"{background:.0%}",
    }
    if decrypt:
        # Every message was decrypted with its subscriber's private key (else it would count
        # as rejected); the last one is shown, and must carry what SPEC.md requires.
        payload = final.get("last_payload") or {}
        result["sample_payload"] = payload
        result["payload_ok"] = set(payload) >= REQUIRED_PAYLOAD and payload["id"] == created["id"]
    if final["rejected"]:
        result["rejections"] = final["rejections"][:5]
    log(
        f"  -> {result['rate']:,}/s, first after {result['first_s']} s, all after "
        f"{result['elapsed_s']} s, peak RSS {result['rss_peak_mib']} MiB "
        f"(idle {result['rss_idle_mib']}), accepted {result['accepted']}, "
        f"rejected {result['rejected']}, sent {result['sent']}"
    )
    log(f"     timeline: {timeline}")
    log(
        f"     CPU: workers {result['cpu_worker_s']} s, push service {result['cpu_push_service_s']} s, "
        f"PostgreSQL {result['cpu_postgres_s']} s, "
        f"machine busy {result['cpu_busy']} (before the run, idle: {result['background']})"
    )
    return result


def read_subscriptions(state: State, limit: int) -> tuple[list[dict[str, Any]], str, str]:
    """The push subscriptions and the tenant's VAPID key, straight from the database."""
    channels = (
        "SELECT address, p256dh, auth FROM subscribers_channel "
        "WHERE type = 'webpush' AND status = 'confirmed' ORDER BY id"
    )
    vapid = "SELECT vapid_private_key, contact_email FROM tenants_municipality WHERE slug = %s"
    if state.database_url:
        import psycopg

        url = state.database_url.replace("postgres://", "postgresql://", 1)
        with psycopg.connect(url) as conn:
            rows = conn.execute(channels + f" LIMIT {int(limit)}").fetchall()  # type: ignore[arg-type]
            key_row = conn.execute(vapid, ("musterstadt",)).fetchone()  # type: ignore[arg-type]
    else:
        with sqlite3.connect(state.sqlite_path()) as conn:
            rows = conn.execute(channels + f" LIMIT {int(limit)}").fetchall()
            key_row = conn.execute(vapid.replace("%s", "?"), ("musterstadt",)).fetchone()
    assert key_row is not None
    subs = [{"endpoint": a, "keys": {"p256dh": p, "auth": k}} for a, p, k in rows]
    return subs, key_row[0], key_row[1]


def run_pywebpush(
    state: State, push_port: int, count: int, label: str, latency_ms: int = 0
) -> dict[str, Any]:
    """One ``pywebpush.webpush()`` call per subscriber, the way the README of pywebpush shows."""
    from cryptography.hazmat.primitives import serialization
    from pywebpush import WebPushException, webpush

    from stadtbote.delivery.channels.webpush.keys import b64url_encode

    subs, pem, contact = read_subscriptions(state, count)
    # pywebpush takes the key as base64url DER (or a file path, or a Vapid object).
    der = serialization.load_pem_private_key(pem.encode(), None).private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    vapid_key = b64url_encode(der)
    data = json.dumps(
        {
            "id": "bench",
            "title": MESSAGE["title"]["de"],  # type: ignore[index]
            "body": MESSAGE["body"]["de"],  # type: ignore[index]
            "severity": "Severe",
            "url": "http://127.0.0.1:8000/musterstadt/messages/bench",
        }
    )
    log(f"{label}: pywebpush.webpush() loop over {len(subs)} subscriptions")
    errors = 0
    with Stack() as stack:
        push_url = start_push_service(
            stack, state.env(), push_port, SEED, decrypt=False, delay=latency_ms / 1000
        )
        background = background_load()
        sys0 = system_cpu()
        cpu0 = time.process_time()
        t0 = time.time()
        for sub in subs:
            try:
                webpush(
                    sub,
                    data,
                    vapid_private_key=vapid_key,
                    vapid_claims={"sub": f"mailto:{contact}"},
                    ttl=86400,
                    timeout=10,
                )
            except WebPushException:
                errors += 1
        elapsed = time.time() - t0
        cpu = time.process_time() - cpu0
        busy = busy_share(sys0, system_cpu())
        final = http_json("GET", f"{push_url}/_stats")[1]
    result = {
        "label": label,
        "n": len(subs),
        "processes": 1,
        "latency_ms": latency_ms,
        "accepted": final["accepted"],
        "rejected": final["rejected"],
        "first_s": round(final["first_at"] - t0, 3) if final["first_at"] else None,
        "elapsed_s": round(elapsed, 2),
        "rate": round(final["accepted"] / elapsed),
        "connections": final["connections"],
        "errors": errors,
        "cpu_us": round(cpu / max(1, len(subs)) * 1e6),
        "cpu_busy": f"{busy:.0%}",
        "background": f"{background:.0%}",
    }
    log(
        f"  -> {result['rate']:,}/s, {result['accepted']} accepted, {errors} errors, "
        f"{final['connections']} connections"
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--subscribers", type=int, default=20_000)
    parser.add_argument("--small", type=int, default=5_000, help="second size, for memory")
    parser.add_argument("--decrypt-check", type=int, default=1_000)
    parser.add_argument("--processes", default="1,2", help="worker process counts to compare")
    parser.add_argument("--repeat", type=int, default=2, help="rounds of the alternated runs")
    parser.add_argument(
        "--baseline-sample",
        type=int,
        default=0,
        help="subscriptions for the pywebpush loop (0: all of them)",
    )
    parser.add_argument("--database-url", default=None, help="postgres://… (default: SQLite)")
    parser.add_argument(
        "--latency-ms",
        type=int,
        default=20,
        help="extra pair of runs with the push service answering this late (0: none)",
    )
    parser.add_argument(
        "--latency-sample",
        type=int,
        default=500,
        help="subscriptions for the pywebpush loop against the slow push service",
    )
    parser.add_argument(
        "--large", type=int, default=0, help="third size for the memory comparison (0: none)"
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="LABEL=SRC",
        help="also run another engine (PYTHONPATH=SRC, e.g. a `git archive` of an older "
        "commit's src/) in the same rounds, to compare versions on one noisy machine",
    )
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args(argv)
    exit_cleanly_on_sigterm()
    variants = [v.split("=", 1) for v in args.variant]
    processes = [int(p) for p in args.processes.split(",")]
    started = time.monotonic()
    machine = print_machine()
    log(f"database: {'PostgreSQL' if args.database_url else 'SQLite'}")

    push_port = free_port()
    push_url = f"http://127.0.0.1:{push_port}"
    env = {"STADTBOTE_WEBPUSH_ALLOWED_HOSTS": f"127.0.0.1:{push_port}"}
    states = States(args.database_url)
    tokens: dict[str, str] = {}
    results: list[dict[str, Any]] = []
    try:
        sizes = sorted({args.decrypt_check, args.small, args.subscribers, args.large} - {0})
        templates = {}
        for n in sizes:
            t = time.monotonic()
            templates[n] = states.template(f"n{n}", prepare(push_url, n, tokens), env)
            tokens[f"n{n}"] = tokens[templates[n].var_dir.name]
            log(f"prepared {n} subscribers in {time.monotonic() - t:.1f} s")

        def project(
            n: int, p: int, decrypt: bool, label: str, src: str | None = None, latency: int = 0
        ) -> dict[str, Any]:
            state = states.copy(templates[n], f"{label}-{len(results)}")
            if src:
                state.extra_env["PYTHONPATH"] = str(Path(src).resolve())
            result = run_project(state, tokens[f"n{n}"], n, p, push_port, decrypt, label, latency)
            results.append(result)
            return result

        if args.decrypt_check:
            project(args.decrypt_check, max(processes), True, "valid payloads (decrypting)")
        big = args.subscribers
        sample = big if args.baseline_sample == 0 else min(args.baseline_sample, big)
        for _ in range(args.repeat):
            for p in processes:
                project(big, p, False, f"stadtbote P={p}")
                for name, src in variants:
                    project(big, p, False, f"{name} P={p}", src)
            results.append(run_pywebpush(templates[big], push_port, sample, "pywebpush loop"))
        for size in (args.small, args.large):
            if size and size != big:
                for p in processes:
                    project(size, p, False, f"stadtbote P={p}")
        if args.latency_ms:
            # Loopback answers in microseconds; a real push service takes tens of milliseconds,
            # which a sequential loop pays per message and the engine overlaps.
            slow = f"push service +{args.latency_ms} ms"
            p = max(processes)
            project(big, p, False, f"stadtbote P={p}, {slow}", latency=args.latency_ms)
            count = min(args.latency_sample, big)
            results.append(
                run_pywebpush(
                    templates[big], push_port, count, f"pywebpush loop, {slow}", args.latency_ms
                )
            )
    finally:
        states.cleanup()

    print()
    print(
        table(
            results,
            [
                ("label", "run"),
                ("n", "recipients"),
                ("processes", "P"),
                ("rate", "deliveries/s"),
                ("first_s", "first (s)"),
                ("elapsed_s", "all (s)"),
                ("cpu_us", "sender CPU/delivery (µs)"),
                ("rss_idle_mib", "RSS idle (MiB)"),
                ("rss_peak_mib", "peak RSS (MiB)"),
                ("accepted", "accepted"),
                ("rejected", "rejected"),
                ("cpu_busy", "CPU busy"),
                ("background", "busy before"),
            ],
        )
    )
    print()
    ours = [
        r
        for r in results
        if r["label"].startswith("stadtbote") and r["n"] == args.subscribers and not r["latency_ms"]
    ]
    base = [r for r in results if r["label"] == "pywebpush loop"]
    best = max(ours, key=lambda r: r["rate"])
    base_rate = sum(r["rate"] for r in base) / len(base)
    base_cpu = sum(r["cpu_us"] for r in base) / len(base)
    print(
        f"speed-up vs pywebpush loop: {best['rate'] / base_rate:.1f}x "
        f"(best stadtbote run P={best['processes']} {best['rate']:,}/s, "
        f"pywebpush {base_rate:,.0f}/s on average)"
    )
    for p in processes:
        mine = [r for r in ours if r["processes"] == p]
        if mine:
            rate = statistics.median(r["rate"] for r in mine)
            cpu = statistics.median(r["cpu_us"] for r in mine)
            print(
                f"  P={p}: median {rate:,.0f}/s = {rate / base_rate:.1f}x; sender CPU per "
                f"delivery {cpu:.0f} µs vs pywebpush {base_cpu:.0f} µs"
            )
    slow_ours = [r for r in results if r["label"].startswith("stadtbote") and r["latency_ms"]]
    slow_base = [r for r in results if r["label"].startswith("pywebpush") and r["latency_ms"]]
    if slow_ours and slow_base:
        a, b = slow_ours[0], slow_base[0]
        print(
            f"with the push service answering {a['latency_ms']} ms late: "
            f"{a['rate'] / b['rate']:.0f}x (stadtbote P={a['processes']} {a['rate']:,}/s, "
            f"pywebpush {b['rate']:,}/s on {b['n']} subscriptions)"
        )
    firsts = ", ".join(f"P={r['processes']} {r['first_s']} s" for r in ours)
    print(f"time to first delivery: {firsts}")
    for p in processes:
        peaks = [
            f"{r['rss_peak_mib']} MiB at {r['n']}"
            for r in sorted(results, key=lambda r: r["n"])
            if r["label"] == f"stadtbote P={p}"
        ]
        print(f"peak RSS of a worker process, P={p}: {', '.join(peaks)}")
    for name, _src in variants:
        for p in processes:
            theirs = [r["rate"] for r in results if r["label"] == f"{name} P={p}"]
            mine = [r["rate"] for r in ours if r["processes"] == p]
            if theirs and mine:
                print(
                    f"stadtbote vs {name}, P={p}: {sum(mine) / len(mine):,.0f} vs "
                    f"{sum(theirs) / len(theirs):,.0f} deliveries/s "
                    f"({sum(mine) / sum(theirs) * len(theirs) / len(mine):.2f}x)"
                )
    bad = [
        r
        for r in results
        if r.get("rejected") or r.get("accepted") != r.get("n") or r.get("payload_ok") is False
    ]
    for r in results:
        if "payload_ok" in r:
            print(
                f"decrypting run: {r['accepted']}/{r['n']} payloads decrypted and parsed, "
                f"required fields present: {r['payload_ok']}; sample: {json.dumps(r['sample_payload'])}"
            )
    if bad:
        print("PROBLEM: rejected or missing deliveries in", [r["label"] for r in bad])
    log(f"done in {time.monotonic() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "results": results}, indent=2))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
