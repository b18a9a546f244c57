"""The local FCM and APNs servers of the tests, each as its own process for benchmarks.

    .venv/bin/python -m bench.native_push_servers fcm [--seed 1] [--project stadtbote-bench]
    .venv/bin/python -m bench.native_push_servers apns [--seed 1] [--token-rule server|connection]

(from the repository root, so ``tests.support`` imports). The servers are the test suite's
(``tests/support/fcm_server.py``: OAuth JWT grant + HTTP v1 ``messages:send``;
``tests/support/apns_server.py``: HTTP/2 over TLS with ES256 provider tokens), run in a process
of their own so they do not share a GIL with the measuring script. Credentials are derived from
``--seed`` (FOR BENCHMARKS ONLY: the seed is the key).

The first stdout line is JSON: the ``STADTBOTE_FCM_*`` / ``STADTBOTE_APNS_*`` variables the
engine needs (``env``) and a ``stats`` URL. ``GET stats`` answers ``accepted``, ``rejected``,
``first_at``/``last_at`` (epoch seconds of the first and last accepted push), ``connections``
and a few rejection reasons. SIGTERM/SIGINT stop the server; the final stats go to stdout.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import signal
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

TEAM_ID = "BENCHTEAM1"
KEY_ID = "BENCHKEY01"
TOPIC = "de.stadtbote.bench"


def apns_key(seed: int) -> ec.EllipticCurvePrivateKey:
    """A deterministic P-256 key as Apple's ``AuthKey_<key id>.p8`` would hold."""
    secret = int.from_bytes(hashlib.sha256(f"stadtbote-bench-apns:{seed}".encode()).digest())
    return ec.derive_private_key(secret % (2**255) + 1, ec.SECP256R1())


def run_fcm(seed: int, project: str) -> tuple[Callable[[], dict[str, Any]], dict[str, str], Any]:
    from aiohttp import web
    from tests.support.fcm_keys import service_account
    from tests.support.fcm_server import FcmServer

    class CountingFcm(FcmServer):
        """Also counts client connections (distinct peer addresses)."""

        def __init__(self, project_id: str) -> None:
            super().__init__(project_id)
            self.peers: set[Any] = set()

        async def _send(self, request: web.Request) -> web.StreamResponse:
            if request.transport is not None:
                self.peers.add(request.transport.get_extra_info("peername"))
            return await super()._send(request)

    account = service_account(seed, project)
    server = CountingFcm(project).start()
    server.add_account(account)

    def stats() -> dict[str, Any]:
        received = server.received
        base = server.stats()
        return {
            "accepted": len(received),
            "rejected": base["send_requests"] - len(received),
            "first_at": received[0].received_at if received else None,
            "last_at": received[-1].received_at if received else None,
            "connections": len(server.peers),
            "max_in_flight": base["max_in_flight"],
            "token_requests": base["token_requests"],
            "rejections": base["rejections"][:5],
        }

    env = {
        "STADTBOTE_FCM_PROJECT_ID": project,
        "STADTBOTE_FCM_CREDENTIALS": json.dumps(account),
        "STADTBOTE_FCM_ENDPOINT": server.url,
        "STADTBOTE_FCM_TOKEN_URL": server.token_url,
    }
    return stats, env, server.stop


def run_apns(
    seed: int, token_rule: str
) -> tuple[Callable[[], dict[str, Any]], dict[str, str], Any]:
    from tests.support.apns_server import ApnsServer

    class TimedApns(ApnsServer):
        """Also notes when the first and the latest push were accepted.

        ``token_rule``: the test server refuses a new provider token less than 20 minutes
        after the last one it accepted on *any* connection ("server"), so a second sender
        process signing its own token is refused (429 TooManyProviderTokenUpdates). With
        "connection" that rule applies per connection, the reading several APNs client
        libraries work by (one token per connection, not shared across processes).
        """

        first_at: float | None = None
        last_at: float | None = None
        per_connection: dict[int, tuple[str, int] | None] = {}

        def _answer(self, stream: Any, connection: int) -> tuple[int, list[tuple[str, str]], bytes]:
            # Runs on the server's one event-loop thread: swapping _current is safe.
            if token_rule == "connection":
                self._current = self.per_connection.get(connection)
            answer = super()._answer(stream, connection)
            if token_rule == "connection":
                self.per_connection[connection] = self._current
            if answer[0] == 200:
                now = time.time()
                if self.first_at is None:
                    self.first_at = now
                self.last_at = now
            return answer

    key = apns_key(seed)
    server = TimedApns(key.public_key(), team_id=TEAM_ID, key_id=KEY_ID, topic=TOPIC)
    server.__enter__()

    def stats() -> dict[str, Any]:
        with server._lock:
            rejected = list(server.rejected)
            return {
                "accepted": len(server.received),
                "rejected": len(rejected),
                "first_at": server.first_at,
                "last_at": server.last_at,
                "connections": server.connections,
                "max_in_flight": server.max_in_flight,
                "provider_tokens": len(server.tokens_seen),
                "rejections": sorted({f"{status} {reason}" for _, status, reason in rejected}),
            }

    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    env = {
        "STADTBOTE_APNS_TEAM_ID": TEAM_ID,
        "STADTBOTE_APNS_KEY_ID": KEY_ID,
        "STADTBOTE_APNS_KEY": pem,
        "STADTBOTE_APNS_TOPIC": TOPIC,
        "STADTBOTE_APNS_ENDPOINT": server.url,
        "STADTBOTE_APNS_CA_FILE": server.ca_file,
    }
    return stats, env, lambda: server.__exit__(None, None, None)


def _stats_server(stats: Callable[[], dict[str, Any]]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(stats()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    return http


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("kind", choices=("fcm", "apns"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--project", default="stadtbote-bench")
    parser.add_argument(
        "--token-rule",
        choices=("server", "connection"),
        default="server",
        help="APNs: where the 20-minute provider token rule applies (see run_apns)",
    )
    args = parser.parse_args(argv)
    if args.kind == "fcm":
        stats, env, stop_server = run_fcm(args.seed, args.project)
    else:
        stats, env, stop_server = run_apns(args.seed, args.token_rule)
    http = _stats_server(stats)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    url = f"http://127.0.0.1:{http.server_address[1]}/_stats"
    print(json.dumps({"stats": url, "env": env}), flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        http.shutdown()
        print(json.dumps(stats()), flush=True)
        stop_server()


if __name__ == "__main__":
    main()
