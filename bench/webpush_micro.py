"""Micro-benchmarks for the Web Push channel.

    .venv/bin/python bench/webpush_micro.py [--messages 5000] [--decrypt]

1. RFC 8291 encryptions per second, ours vs ``http_ece.encrypt`` (one core).
2. Messages per second through ``WebPushChannel`` against the local push service, which runs in
   a separate process (``python -m tests.support.push_service``) so the two don't share a core.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from stadtbote.delivery.channels.base import Notice, Outgoing
from stadtbote.delivery.channels.webpush import WebPushChannel
from stadtbote.delivery.channels.webpush.crypto import encrypt
from stadtbote.delivery.channels.webpush.headers import payload
from stadtbote.delivery.channels.webpush.keys import b64url_decode, synthetic_subscription

ROOT = Path(__file__).resolve().parent.parent
SEED = 4242
NOTICE = Notice(
    message_id="bench-1",
    kind="message",
    title="Unwetterwarnung: Starkregen",
    body="Es ist mit Starkregen von 30 bis 40 l/m² in einer Stunde zu rechnen. " * 4,
    severity="severe",
    url="https://musterstadt.example/m/bench-1",
    language="de",
    tenant="musterstadt",
    tenant_name="Stadt Musterstadt",
    expires_at="2099-01-01T00:00:00+00:00",
)


def rate(fn: Callable[[], None], seconds: float = 1.5) -> float:
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(200):
            fn()
        count += 200
    return count / elapsed


def bench_encryption() -> None:
    sub = synthetic_subscription(SEED, 0)
    ua_public, auth = b64url_decode(sub.p256dh_b64url), sub.auth_secret
    data = payload(NOTICE)

    def ours() -> None:
        encrypt(data, ua_public, auth)

    def theirs() -> None:
        http_ece.encrypt(
            data,
            private_key=ec.generate_private_key(ec.SECP256R1()),
            dh=ua_public,
            auth_secret=auth,
            salt=os.urandom(16),
            version="aes128gcm",
        )

    a, b = rate(ours), rate(theirs)
    print(f"encrypt {len(data)} B payload: ours {a:,.0f}/s, http_ece {b:,.0f}/s ({a / b:.2f}x)")


def vapid_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def bench_sends(messages: int, batch: int, concurrency: int, decrypt: bool) -> None:
    command = [sys.executable, "-m", "tests.support.push_service", "--seed", str(SEED)]
    if not decrypt:
        command.append("--no-decrypt")
    service = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert service.stdout is not None
        url = service.stdout.readline().strip()
        host_port = url.removeprefix("http://")
        items = []
        for n in range(messages):
            sub = synthetic_subscription(SEED, n)
            items.append(
                Outgoing(
                    n,
                    f"{url}/{n}",
                    NOTICE,
                    {"p256dh": sub.p256dh_b64url, "auth": sub.auth_b64url},
                    f"bench-1:{n}",
                )
            )
        channel = WebPushChannel(
            vapid_pem(),
            "mailto:bench@stadtbote.example",
            allowed_extra_hosts=[host_port],
            concurrency_per_origin=concurrency,
        )
        statuses: dict[str, int] = {}
        start = time.perf_counter()
        with channel:
            for i in range(0, messages, batch):
                for outcome in channel.send(items[i : i + batch]):
                    statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
        elapsed = time.perf_counter() - start
        mode = "decrypting" if decrypt else "counting"
        print(
            f"send {messages} via WebPushChannel (batch {batch}, concurrency {concurrency}) "
            f"to {mode} push service: {messages / elapsed:,.0f}/s {statuses}"
        )
    finally:
        service.terminate()
        out, _ = service.communicate(timeout=10)
        print(f"push service stats: {out.strip()}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--decrypt", action="store_true")
    args = parser.parse_args()
    bench_encryption()
    bench_sends(args.messages, args.batch, args.concurrency, args.decrypt)


if __name__ == "__main__":
    main()
