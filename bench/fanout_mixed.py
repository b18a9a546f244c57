"""Mixed fan-out: one warning to 20,000 subscribers over Web Push, FCM, APNs, e-mail and SMS at once.

    .venv/bin/python bench/fanout_mixed.py [--subscribers 20000] [--processes 1,2] [--repeat 1]
        [--channel-mix webpush=40,fcm=25,apns=20,email=15,sms=10] [--sms-receipts]
        [--database-url postgres://postgres@127.0.0.1:5432/stadtbote_bench_mixed] [--json FILE]

The state is prepared once (migrated, demo town, ``stadtbote demo --subscribers N
--channel-mix …``: every synthetic subscriber has one confirmed channel, the types in the given
proportions) and copied for every run. Each run starts, all as separate processes, one local
server per channel type (``CHANNELS`` below): the Web Push service of the tests with
``--no-decrypt`` (VAPID still checked on every request), the FCM server of the tests (OAuth JWT
grant + HTTP v1 send, every message validated) and the APNs server of the tests (HTTP/2 over
TLS, every ES256 provider token verified), both through ``bench/native_push_servers.py``, the
counting SMTP sink ``bench/smtp_sink.py`` and the SMPP 3.4 SMSC of the tests through
``bench/sms_server.py`` (the engine binds as a transceiver, ``STADTBOTE_SMS_PROVIDERS`` names one
SMPP provider without ``rate=``; no delivery receipts unless ``--sms-receipts``; an SMS counts
when its last part arrived); then ``stadtbote worker --processes P`` and
``stadtbote serve``. One whole-town ``severe`` message on every channel type of the mix is
POSTed to the API; every server's stats are polled until each has accepted its share, and the
deliveries summary must then show none pending. Per channel type:

* count, deliveries/s = count / (last accepted - publish call), first and last accepted after
  the publish call (each server's own clock of its accepts);
* the worker time its send batches took (sum over batches of finished - started), per delivery;

and for the whole run: deliveries/s = N / (last accepted on any channel - publish call), sender
CPU per delivery (the worker processes' CPU over N), worker peak RSS (``VmHWM`` of the largest
worker process), CPU of every local server and of PostgreSQL.
"""

from __future__ import annotations

import argparse
import bisect
import json
import statistics
import sys
import time
from datetime import UTC, datetime
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
    start_server,
    start_worker,
    system_cpu,
    table,
    worker_memory,
)
from mixed_servers import CHANNELS, SEED, Endpoint, Setup

HERE = Path(__file__).resolve().parent
DEFAULT_MIX = "webpush=40,fcm=25,apns=20,email=15,sms=10"
MESSAGE = {
    "title": {"de": "Unwetterwarnung: Orkanböen", "en": "Severe weather: storm gusts"},
    "body": {
        "de": "Bitte bleiben Sie in Gebäuden. Meiden Sie Parks und Alleen.",
        "en": "Please stay indoors. Avoid parks and tree-lined roads.",
    },
    "severity": "severe",
}


# -- preparing and running -------------------------------------------------------------------


def prepare(push_url: str, count: int, mix: str, tokens: dict[str, str]):
    def run(state: State) -> None:
        state.stadtbote("migrate", "--noinput")
        state.stadtbote(
            "demo",
            "--subscribers",
            str(count),
            "--push-endpoint",
            push_url,
            "--channel-mix",
            mix,
            "--seed",
            str(SEED),
        )
        out = state.stadtbote(
            "apikey", "create", "--tenant", "musterstadt", "--role", "publisher", "--name", "bench"
        )
        tokens[state.var_dir.name] = out.strip().splitlines()[-1]

    return run


def channel_counts(state: State) -> dict[str, int]:
    rows = state.query(
        "SELECT type, COUNT(*) FROM subscribers_channel WHERE status = 'confirmed' GROUP BY type"
    )
    return {kind: int(n) for kind, n in rows}


def batch_seconds(state: State) -> dict[str, dict[str, float]]:
    """Per channel type: send tasks, and the worker time they took (finished - started).

    A send task takes the most urgent batch that is due, not necessarily the one it was queued
    for (``sending._claim``), and a batch may be taken by several tasks one after another (more
    deliveries added by the fan-out, retries), so neither the task's argument nor the batch's
    last ``claimed_at`` says what a task sent. A task returns "sent N"; its batch is the one
    with exactly N sent attempts recorded while the task ran (no other task holds that batch
    meanwhile), and of several such the one recorded last. Tasks that sent nothing (they found
    their batch done, or only retried) count as "-" when they match nothing.
    """
    attempts = state.query(
        "SELECT d.batch_id, d.channel_type, a.at FROM delivery_attempt a "
        "JOIN delivery_delivery d ON d.id = a.delivery_id WHERE a.outcome = 'sent'"
    )
    rows = state.query(
        "SELECT started_at, finished_at, return_value FROM django_tasks_database_dbtaskresult "
        "WHERE task_path LIKE %s AND finished_at IS NOT NULL",
        ("%.send_batch",),
    )

    def ts(value: Any) -> float:
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return float(value.timestamp())

    def sent_count(value: Any) -> int:
        if isinstance(value, str) and value.startswith('"'):
            value = json.loads(value)
        if isinstance(value, str) and value.startswith("sent "):
            return int(value.split()[1])
        return 0

    times: dict[int, list[float]] = {}
    kind_of: dict[int, str] = {}
    for batch, kind, at in attempts:
        times.setdefault(batch, []).append(ts(at))
        kind_of[batch] = kind
    for values in times.values():
        values.sort()
    out: dict[str, dict[str, float]] = {}
    for started, finished, value in rows:
        start, end, n = ts(started), ts(finished), sent_count(value)
        kind, best = "-", -1.0
        if n:
            kind = "?"
            for batch, values in times.items():
                lo = bisect.bisect_left(values, start - 0.001)
                hi = bisect.bisect_right(values, end + 0.001)
                if hi - lo == n and values[hi - 1] > best:
                    kind, best = kind_of[batch], values[hi - 1]
        entry = out.setdefault(kind, {"batches": 0, "seconds": 0.0, "longest": 0.0})
        entry["batches"] += 1
        entry["seconds"] += end - start
        entry["longest"] = max(entry["longest"], end - start)
    return out


def retries(state: State) -> dict[str, dict[str, int]]:
    """Per channel type: attempts that did not end in ``sent``, by reason (retried later)."""
    rows = state.query(
        "SELECT d.channel_type, a.outcome, a.reason, COUNT(*) FROM delivery_attempt a "
        "JOIN delivery_delivery d ON d.id = a.delivery_id WHERE a.outcome <> 'sent' "
        "GROUP BY d.channel_type, a.outcome, a.reason"
    )
    out: dict[str, dict[str, int]] = {}
    for kind, outcome, reason, count in rows:
        out.setdefault(kind, {})[f"{outcome}: {reason}"[:80]] = int(count)
    return out


def run_project(
    state: State,
    token: str,
    expected: dict[str, int],
    processes: int,
    setup: Setup,
    label: str,
    timeout: float = 240,
) -> dict[str, Any]:
    n = sum(expected.values())
    log(f"{label}: {n} subscribers ({', '.join(f'{k} {v}' for k, v in expected.items())})")
    with Stack() as stack:
        endpoints: dict[str, Endpoint] = {}
        for kind in expected:
            endpoints[kind] = CHANNELS[kind].start(stack, state.env(), setup)
            state.extra_env.update(endpoints[kind].env)
        worker = start_worker(stack, state, processes)
        base = start_server(stack, state)
        background = background_load()
        idle = worker_memory(worker.pid)
        server_cpu0 = {k: cpu_seconds(e.pid) for k, e in endpoints.items()}
        db_cpu0 = db_server_cpu()
        sys0 = system_cpu()
        t0 = time.time()
        body = {**MESSAGE, "channels": list(expected)}
        status, created = http_json(
            "POST", f"{base}/api/v1/musterstadt/messages", body, token=token
        )
        t_api = time.time() - t0
        if status != 201:
            raise RuntimeError(f"publish failed: {status} {created}")

        def stats() -> dict[str, dict[str, Any]]:
            return {
                kind: CHANNELS[kind].counts(http_json("GET", e.stats_url)[1])
                for kind, e in endpoints.items()
            }

        def done(s: dict[str, dict[str, Any]]) -> bool:
            # Refused requests are retried by the engine: done when every push got through.
            return all(s[k]["accepted"] >= expected[k] for k in expected)

        peak = 0.0
        deadline = time.monotonic() + timeout
        while True:
            final = stats()
            peak = max(peak, worker_memory(worker.pid)["hwm_max"])
            if done(final):
                timed_out = False
                break
            if time.monotonic() > deadline:
                timed_out = True
                log(f"  gave up after {timeout:.0f} s: {json.dumps(final)[:2000]}")
                state.dump_logs(80)
                break
            time.sleep(0.05)
        mem = worker_memory(worker.pid)
        server_cpu = {k: cpu_seconds(e.pid) - server_cpu0[k] for k, e in endpoints.items()}
        db_cpu = db_server_cpu() - db_cpu0
        busy = busy_share(sys0, system_cpu())
        summary_url = f"{base}/api/v1/musterstadt/messages/{created['id']}/deliveries"
        try:
            # The last outcomes are recorded just after the servers answered.
            summary = poll(
                lambda: http_json("GET", summary_url, token=token)[1],
                lambda s: (
                    all(s["by_channel"][k]["pending"] == 0 for k in expected) and not s["resolving"]
                ),
                timeout=5 if timed_out else 60,
                every=0.2,
            )
        except TimeoutError:
            summary = http_json("GET", summary_url, token=token)[1]
            log(f"  deliveries still open: {json.dumps(summary['by_channel'])}")
    per_batch = batch_seconds(state)
    not_sent = retries(state)
    channels: list[dict[str, Any]] = []
    for kind, count in expected.items():
        s = final[kind]
        first = (s["first_at"] - t0) if s["first_at"] else None
        last = (s["last_at"] - t0) if s["last_at"] else None
        work = per_batch.get(kind, {"batches": 0, "seconds": 0.0, "longest": 0.0})
        channels.append(
            {
                "channel": kind,
                "expected": count,
                "accepted": s["accepted"],
                "rejected": s["rejected"],
                "sent": summary["by_channel"][kind]["sent"],
                "failed": summary["by_channel"][kind]["failed"],
                "open": summary["by_channel"][kind]["pending"],
                "rate": round(s["accepted"] / last) if last else 0,
                "first_s": round(first, 3) if first is not None else None,
                "last_s": round(last, 2) if last is not None else None,
                "connections": s.get("connections"),
                "parts": s.get("parts"),  # SMS: submit_sm PDUs (a long SMS has several)
                "segments": s.get("segments"),
                "provider_tokens": s.get("provider_tokens"),  # APNs: distinct tokens seen
                "batches": int(work["batches"]),
                "batch_s": round(work["seconds"], 2),
                "batch_us": round(work["seconds"] / max(1, s["accepted"]) * 1e6),
                "longest_batch_s": round(work["longest"], 2),
                "server_cpu_s": round(server_cpu[kind], 2),
                "rejections": s.get("rejections", [])[:5],
                "retried": sum(not_sent.get(kind, {}).values()),
                "retry_reasons": not_sent.get(kind, {}),
            }
        )
    total_batch_s = sum(c["batch_s"] for c in channels) or 1.0
    for c in channels:
        c["batch_share"] = f"{c['batch_s'] / total_batch_s:.0%}"
    accepted = sum(c["accepted"] for c in channels)
    last_any = max(c["last_s"] or 0 for c in channels)
    slowest = max(channels, key=lambda c: c["last_s"] or 0)
    cpu_worker = mem["cpu_s"] - idle["cpu_s"]
    result = {
        "label": label,
        "n": n,
        "processes": processes,
        "accepted": accepted,
        "api_s": round(t_api, 3),
        "first_s": round(min(c["first_s"] or 1e9 for c in channels), 3),
        "elapsed_s": round(last_any, 2),
        "rate": round(accepted / last_any) if last_any else 0,
        "last_channel": slowest["channel"],
        "cpu_worker_s": round(cpu_worker, 2),
        "cpu_us": round(cpu_worker / max(1, accepted) * 1e6),
        "rss_idle_mib": round(idle["rss_max"], 1),
        "rss_peak_mib": round(max(peak, mem["hwm_max"]), 1),
        "timed_out": timed_out,
        # Send tasks whose batch could not be told ("?"), and those that sent nothing ("-").
        "tasks_unattributed": int(per_batch.get("?", {}).get("batches", 0)),
        "tasks_idle": int(per_batch.get("-", {}).get("batches", 0)),
        "cpu_servers_s": round(sum(server_cpu.values()), 2),
        "cpu_postgres_s": round(db_cpu, 2),
        "cpu_busy": f"{busy:.0%}",
        "background": f"{background:.0%}",
        "channels": channels,
        "timeline": state.task_timeline(t0),
    }
    log(
        f"  -> {result['rate']:,}/s overall, first after {result['first_s']} s, all after "
        f"{result['elapsed_s']} s (last: {result['last_channel']}), sender CPU "
        f"{result['cpu_us']} µs/delivery, peak RSS {result['rss_peak_mib']} MiB, machine busy "
        f"{result['cpu_busy']} (before: {result['background']})"
        + (
            f", {result['tasks_unattributed']} send tasks not matched to a batch"
            if result["tasks_unattributed"]
            else ""
        )
    )
    for c in channels:
        log(
            f"     {c['channel']:8} {c['accepted']:6} ok {c['rejected']:3} rejected "
            f"{c['rate']:6,}/s first {c['first_s']} s last {c['last_s']} s, "
            f"{c['batches']} batches {c['batch_us']} µs/delivery (longest {c['longest_batch_s']} s), "
            f"{c['connections']} conns, "
            + (f"{c['parts']} parts {c['segments']}, " if c["parts"] is not None else "")
            + f"server CPU {c['server_cpu_s']} s {' '.join(c['rejections'])}"
            + (f"; not sent at first: {c['retry_reasons']}" if c["retried"] else "")
        )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--subscribers", type=int, default=20_000)
    parser.add_argument("--processes", default="1,2", help="worker process counts to compare")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of the alternated runs")
    parser.add_argument(
        "--channel-mix", default=DEFAULT_MIX, help="type=weight,… (see `stadtbote demo`)"
    )
    parser.add_argument("--database-url", default=None, help="postgres://… (default: SQLite)")
    parser.add_argument("--timeout", type=float, default=240, help="seconds per run")
    parser.add_argument(
        "--alone",
        type=int,
        default=4000,
        help="also run each channel type alone with this many subscribers (0: not)",
    )
    parser.add_argument(
        "--apns-token-rule",
        choices=("server", "connection"),
        default="connection",
        help="where the APNs server applies Apple's 20-minute provider token rule: per "
        "connection (default), or across all connections as the tests' server does ('server'; "
        "all worker processes must then present the same token)",
    )
    parser.add_argument(
        "--sms-receipts",
        action="store_true",
        help="the SMSC sends a delivery receipt for every SMS (default: none)",
    )
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args(argv)
    exit_cleanly_on_sigterm()
    processes = [int(p) for p in args.processes.split(",")]
    unknown = {part.split("=")[0].strip() for part in args.channel_mix.split(",")} - set(CHANNELS)
    if unknown:
        parser.error(f"no local server for {', '.join(sorted(unknown))}; see CHANNELS")
    started = time.monotonic()
    machine = print_machine()
    log(f"database: {'PostgreSQL' if args.database_url else 'SQLite'}")
    log(f"APNs server: 20-minute provider token rule applied per {args.apns_token_rule}")

    setup = Setup(
        push=free_port(),
        smtp=free_port(),
        apns_token_rule=args.apns_token_rule,
        sms_receipts=args.sms_receipts,
    )
    env = {
        "STADTBOTE_WEBPUSH_ALLOWED_HOSTS": f"127.0.0.1:{setup.push}",
        "STADTBOTE_EMAIL_URL": f"smtp://127.0.0.1:{setup.smtp}",
    }
    states = States(args.database_url)
    tokens: dict[str, str] = {}
    results: list[dict[str, Any]] = []
    n = args.subscribers
    try:
        t = time.monotonic()
        push_url = f"http://127.0.0.1:{setup.push}"
        template = states.template(f"mixed{n}", prepare(push_url, n, args.channel_mix, tokens), env)
        expected = channel_counts(template)
        log(f"prepared {n} subscribers {expected} in {time.monotonic() - t:.1f} s")
        alone: dict[str, State] = {}
        if args.alone:
            for kind in expected:
                mix = f"{kind}=1"
                alone[kind] = states.template(
                    f"alone_{kind}", prepare(push_url, args.alone, mix, tokens), env
                )
        for round_no in range(args.repeat):
            for p in processes:
                state = states.copy(template, f"mixed_p{p}_{round_no}")
                label = f"stadtbote P={p}" + (f" #{round_no + 1}" if args.repeat > 1 else "")
                key = tokens[template.var_dir.name]
                results.append(run_project(state, key, expected, p, setup, label, args.timeout))
            if round_no == 0:
                # Each channel type alone, same engine and servers: what it manages by itself.
                p = max(processes)
                for kind, source in alone.items():
                    state = states.copy(source, f"alone_{kind}_p{p}")
                    key = tokens[source.var_dir.name]
                    label = f"{kind} alone P={p}"
                    only = {kind: args.alone}
                    results.append(run_project(state, key, only, p, setup, label, args.timeout))
    finally:
        states.cleanup()

    print()
    print(
        table(
            results,
            [
                ("label", "run"),
                ("n", "recipients"),
                ("rate", "deliveries/s"),
                ("first_s", "first (s)"),
                ("elapsed_s", "all (s)"),
                ("last_channel", "last channel"),
                ("cpu_us", "sender CPU/delivery (µs)"),
                ("rss_peak_mib", "worker peak RSS (MiB)"),
                ("cpu_servers_s", "servers CPU (s)"),
                ("cpu_postgres_s", "PostgreSQL CPU (s)"),
                ("cpu_busy", "CPU busy"),
                ("background", "busy before"),
            ],
        )
    )
    print()
    rows = [{"label": r["label"], **c} for r in results for c in r["channels"]]
    print(
        table(
            rows,
            [
                ("label", "run"),
                ("channel", "channel"),
                ("accepted", "accepted"),
                ("rate", "deliveries/s"),
                ("first_s", "first (s)"),
                ("last_s", "last (s)"),
                ("batches", "batches"),
                ("batch_us", "worker batch time/delivery (µs)"),
                ("batch_share", "share of worker batch time"),
                ("connections", "connections"),
                ("retried", "attempts not sent"),
                ("server_cpu_s", "server CPU (s)"),
            ],
        )
    )
    print()
    for p in processes:
        mine = [r for r in results if r["processes"] == p and r["label"].startswith("stadtbote")]
        if mine:
            print(
                f"P={p}: median {statistics.median(r['rate'] for r in mine):,.0f} deliveries/s, "
                f"{statistics.median(r['cpu_us'] for r in mine):,.0f} µs sender CPU/delivery"
            )
    alone = {r["channels"][0]["channel"]: r for r in results if " alone " in r["label"]}
    for r in results:
        if not alone or not r["label"].startswith("stadtbote"):
            continue
        if any(a["processes"] != r["processes"] for a in alone.values()):
            continue
        # Sending each channel's share at the rate it reaches alone, one channel after another.
        serial = sum(
            c["accepted"] / alone[c["channel"]]["rate"]
            for c in r["channels"]
            if alone.get(c["channel"], {}).get("rate")
        )
        print(
            f"{r['label']}: all in {r['elapsed_s']} s; each channel's share at its rate alone, "
            f"one after another: {serial:.1f} s"
        )
    bad = [
        (r["label"], c["channel"])
        for r in results
        for c in r["channels"]
        if c["accepted"] != c["expected"] or c["rejected"] or c["failed"] or c["open"]
    ]
    if bad:
        print("PROBLEM: missing, rejected or failed deliveries in", bad)
    log(f"done in {time.monotonic() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "results": results}, indent=2))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
