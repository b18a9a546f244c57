"""E-mail fan-out, end to end from the publish call, vs one Django ``send_mail()`` per recipient.

    .venv/bin/python bench/email_fanout.py [--subscribers 5000] [--processes 2] [--repeat 1]
        [--database-url postgres://postgres@127.0.0.1:5432/stadtbote_bench]

The state is prepared once (migrated, demo town, N synthetic subscribers, each with an e-mail
channel confirmed directly in the database) and copied for every run. A counting SMTP sink
(aiosmtpd, ``bench/smtp_sink.py``) runs as its own process on a fixed loopback port.

* stadtbote: ``stadtbote worker`` + ``stadtbote serve``, one whole-town severe message with
  ``channels: ["email"]`` POSTed to the API; done when the sink has accepted N mails. Each
  mail is rendered from the templates (text + HTML, per recipient: the unsubscribe link differs)
  and handed over on one SMTP connection per batch of 500.
* send_mail loop: the same N addresses, one ``django.core.mail.send_mail()`` per recipient with
  a text and an HTML body rendered per recipient from the same templates (each has its own
  unsubscribe link), each call opening its own SMTP connection, as ``send_mail`` does.

mails/s = N / (last mail accepted - start), both from the sink's clock.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from harness import (
    PY,
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

HERE = Path(__file__).resolve().parent
MESSAGE = {
    "title": {"de": "Unwetterwarnung: Orkanböen", "en": "Severe weather: storm gusts"},
    "body": {
        "de": "Bitte bleiben Sie in Gebäuden. Meiden Sie Parks und Alleen.",
        "en": "Please stay indoors. Avoid parks and tree-lined roads.",
    },
    "severity": "severe",
    "channels": ["email"],
}
ADDRESS = "buerger{n}@bench.example.org"
SENDER = '"Musterstadt" <noreply@stadtbote.invalid>'

CONFIRM_EMAIL = """
from django.utils import timezone
from stadtbote.core import tokens
from stadtbote.subscribers.models import Channel, Subscriber
now = timezone.now()
subs = list(Subscriber.objects.order_by("id").values_list("id", "tenant_id"))
Channel.objects.bulk_create(
    [
        Channel(
            tenant_id=tenant_id,
            subscriber_id=sid,
            type="email",
            status="confirmed",
            address=(address := "{address}".format(n=n)),
            address_key=tokens.address_key("email", address),
            confirmed_at=now,
        )
        for n, (sid, tenant_id) in enumerate(subs)
    ],
    batch_size=2000,
)
print(len(subs))
"""


def prepare(count: int, tokens: dict[str, str]):
    def run(state: State) -> None:
        state.stadtbote("migrate", "--noinput")
        state.stadtbote("demo", "--subscribers", str(count), "--seed", "1")
        made = state.shell(CONFIRM_EMAIL.replace("{address}", ADDRESS)).strip().splitlines()[-1]
        assert int(made) == count, made
        out = state.stadtbote(
            "apikey", "create", "--tenant", "musterstadt", "--role", "publisher", "--name", "bench"
        )
        tokens["key"] = out.strip().splitlines()[-1]

    return run


def start_sink(stack: Stack, env: dict[str, str], port: int) -> str:
    import subprocess

    proc = stack.start(
        "smtp-sink", [PY, str(HERE / "smtp_sink.py"), "--port", str(port)], env, subprocess.PIPE
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().split()
    if len(line) != 2:
        raise RuntimeError("SMTP sink did not start")
    return line[1]


def run_project(state: State, token: str, n: int, processes: int, smtp_port: int) -> dict[str, Any]:
    label = f"stadtbote P={processes}"
    log(f"{label}: {n} e-mail subscribers")
    with Stack() as stack:
        stats_url = start_sink(stack, state.env(), smtp_port)
        sink_pid = stack.procs[-1][1].pid
        worker = start_worker(stack, state, processes)
        base = start_server(stack, state)
        background = background_load()
        idle = worker_memory(worker.pid)
        sink_cpu0 = cpu_seconds(sink_pid)
        db_cpu0 = db_server_cpu()
        sys0 = system_cpu()
        t0 = time.time()
        status, created = http_json(
            "POST", f"{base}/api/v1/musterstadt/messages", MESSAGE, token=token
        )
        if status != 201:
            raise RuntimeError(f"publish failed: {status} {created}")
        try:
            final = poll(
                lambda: http_json("GET", stats_url)[1],
                lambda s: s["messages"] >= n,
                timeout=240,
                every=0.05,
            )
        except TimeoutError:
            state.dump_logs()
            raise
        busy = busy_share(sys0, system_cpu())
        mem = worker_memory(worker.pid)
        sink_cpu = cpu_seconds(sink_pid) - sink_cpu0
        db_cpu = db_server_cpu() - db_cpu0
        summary = poll(
            lambda: http_json(
                "GET", f"{base}/api/v1/musterstadt/messages/{created['id']}/deliveries", token=token
            )[1],
            lambda s: s["by_channel"]["email"]["pending"] == 0 and not s["resolving"],
            timeout=60,
            every=0.2,
        )
    elapsed = final["last_at"] - t0
    result = {
        "label": label,
        "n": n,
        "mails": final["messages"],
        "sent": summary["by_channel"]["email"]["sent"],
        "failed": summary["by_channel"]["email"]["failed"],
        "first_s": round(final["first_at"] - t0, 3),
        "elapsed_s": round(elapsed, 2),
        "rate": round(final["messages"] / elapsed),
        "connections": final["connections"],
        "rss_peak_mib": round(mem["hwm_max"], 1),
        "cpu_client_s": round(mem["cpu_s"] - idle["cpu_s"], 2),
        "cpu_us": round((mem["cpu_s"] - idle["cpu_s"]) / n * 1e6),
        "cpu_sink_s": round(sink_cpu, 2),
        "cpu_postgres_s": round(db_cpu, 2),
        "cpu_busy": f"{busy:.0%}",
        "background": f"{background:.0%}",
        "kib_per_mail": round(final["bytes"] / max(1, final["messages"]) / 1024, 1),
        "timeline": state.task_timeline(t0),
    }
    _report(result)
    return result


def run_send_mail(state: State, n: int, smtp_port: int) -> dict[str, Any]:
    """One ``send_mail()`` per recipient, in this process, against the same sink.

    Each mail is rendered from the project's templates with the recipient's own unsubscribe
    link, like the project's mails, so both do the same content work per mail."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.utils import translation

    label = "send_mail loop"
    log(f"{label}: {n} recipients, one send_mail() each")
    subject = MESSAGE["title"]["de"]  # type: ignore[index]
    notice = {
        "kind": "message",
        "title": subject,
        "body": MESSAGE["body"]["de"],  # type: ignore[index]
        "url": "http://127.0.0.1:8000/musterstadt/messages/bench",
        "severity": "severe",
    }

    def send(i: int) -> None:
        context = {
            "notice": notice,
            "severity_label": "Unwetter-/Gefahrenwarnung",
            "tenant_name": "Musterstadt",
            "unsubscribe_url": f"http://127.0.0.1:8000/musterstadt/unsubscribe/{i}",
        }
        text = render_to_string("channels/email/message.txt", context)
        html = render_to_string("channels/email/message.html", context)
        send_mail(subject, text, SENDER, [ADDRESS.format(n=i)], html_message=html)

    with Stack() as stack:
        stats_url = start_sink(stack, state.env(), smtp_port)
        sink_pid = stack.procs[-1][1].pid
        background = background_load()
        sink_cpu0 = cpu_seconds(sink_pid)
        cpu0 = time.process_time()
        sys0 = system_cpu()
        t0 = time.time()
        with translation.override("de"):
            for i in range(n):
                send(i)
        cpu = time.process_time() - cpu0
        final = poll(
            lambda: http_json("GET", stats_url)[1],
            lambda s: s["messages"] >= n,
            timeout=30,
            every=0.05,
        )
        busy = busy_share(sys0, system_cpu())
        sink_cpu = cpu_seconds(sink_pid) - sink_cpu0
    elapsed = final["last_at"] - t0
    result = {
        "label": label,
        "n": n,
        "mails": final["messages"],
        "sent": final["messages"],
        "first_s": round(final["first_at"] - t0, 3),
        "elapsed_s": round(elapsed, 2),
        "rate": round(final["messages"] / elapsed),
        "connections": final["connections"],
        "cpu_client_s": round(cpu, 2),
        "cpu_us": round(cpu / n * 1e6),
        "cpu_sink_s": round(sink_cpu, 2),
        "cpu_busy": f"{busy:.0%}",
        "background": f"{background:.0%}",
        "kib_per_mail": round(final["bytes"] / max(1, final["messages"]) / 1024, 1),
    }
    _report(result)
    return result


def _report(r: dict[str, Any]) -> None:
    log(
        f"  -> {r['rate']:,} mails/s, first after {r['first_s']} s, all after {r['elapsed_s']} s, "
        f"{r['mails']} mails on {r['connections']} connections, {r['kib_per_mail']} KiB each; "
        f"CPU sender {r['cpu_client_s']} s, sink {r['cpu_sink_s']} s, machine busy {r['cpu_busy']} "
        f"(before the run, idle: {r['background']})"
    )


def setup_django(state: State, smtp_port: int) -> None:
    """Configure Django in this process like the project would be (for ``send_mail``)."""
    os.environ.update(state.env())
    os.environ["STADTBOTE_EMAIL_URL"] = f"smtp://127.0.0.1:{smtp_port}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "stadtbote.settings"
    import django

    django.setup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--subscribers", type=int, default=5_000)
    parser.add_argument("--processes", default="2", help="worker process counts, e.g. 1,2")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of project vs loop")
    parser.add_argument("--database-url", default=None, help="postgres://… (default: SQLite)")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args(argv)
    exit_cleanly_on_sigterm()
    processes = [int(p) for p in args.processes.split(",")]
    started = time.monotonic()
    machine = print_machine()
    log(f"database: {'PostgreSQL' if args.database_url else 'SQLite'}")

    smtp_port = free_port()
    env = {"STADTBOTE_EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}"}
    states = States(args.database_url)
    tokens: dict[str, str] = {}
    results: list[dict[str, Any]] = []
    n = args.subscribers
    try:
        t = time.monotonic()
        template = states.template(f"mail{n}", prepare(n, tokens), env)
        log(f"prepared {n} subscribers with confirmed e-mail in {time.monotonic() - t:.1f} s")
        setup_django(template, smtp_port)
        for round_no in range(args.repeat):
            for p in processes:
                state = states.copy(template, f"mail_p{p}_{round_no}")
                results.append(run_project(state, tokens["key"], n, p, smtp_port))
            results.append(run_send_mail(template, n, smtp_port))
    finally:
        states.cleanup()

    print()
    print(
        table(
            results,
            [
                ("label", "run"),
                ("n", "recipients"),
                ("rate", "mails/s"),
                ("first_s", "first (s)"),
                ("elapsed_s", "all (s)"),
                ("connections", "SMTP connections"),
                ("cpu_us", "sender CPU/mail (µs)"),
                ("rss_peak_mib", "peak RSS (MiB)"),
                ("mails", "accepted"),
                ("cpu_busy", "CPU busy"),
                ("background", "busy before"),
            ],
        )
    )
    print()
    ours = [r for r in results if r["label"].startswith("stadtbote")]
    base = [r for r in results if r["label"] == "send_mail loop"]
    best = max(ours, key=lambda r: r["rate"])
    base_rate = sum(r["rate"] for r in base) / len(base)
    print(
        f"stadtbote vs send_mail loop: {best['rate'] / base_rate:.1f}x "
        f"({best['label']} {best['rate']:,} mails/s, send_mail {base_rate:,.0f} mails/s)"
    )
    bad = [r for r in results if r["mails"] != r["n"] or r.get("failed")]
    if bad:
        print("PROBLEM: missing or failed mails in", [r["label"] for r in bad])
    log(f"done in {time.monotonic() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "results": results}, indent=2))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
