"""A counting SMTP sink for benchmarks (aiosmtpd), run as its own process.

    .venv/bin/python bench/smtp_sink.py [--port P]

Prints ``<smtp port> <stats url>`` on its first stdout line, then accepts every mail and only
counts it (messages, recipients, bytes, connections, first/last accept time). ``GET <stats url>``
answers the counters as JSON; SIGTERM/SIGINT stop it.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class Counter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages = 0
        self.recipients = 0
        self.bytes = 0
        self.connections = 0
        self.first_at: float | None = None
        self.last_at: float | None = None

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        now = time.time()
        size = len(envelope.content or b"")
        with self.lock:
            self.messages += 1
            self.recipients += len(envelope.rcpt_tos)
            self.bytes += size
            if self.first_at is None:
                self.first_at = now
            self.last_at = now
        return "250 Message accepted"

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "messages": self.messages,
                "recipients": self.recipients,
                "bytes": self.bytes,
                "connections": self.connections,
                "first_at": self.first_at,
                "last_at": self.last_at,
            }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)

    counter = Counter()
    http = ThreadingHTTPServer(("127.0.0.1", 0), _stats_handler(counter))
    threading.Thread(target=http.serve_forever, daemon=True).start()
    controller = Controller(counter, hostname="127.0.0.1", port=args.port or _free_port())
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"{controller.port} http://127.0.0.1:{http.server_address[1]}/_stats", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        controller.stop()
        http.shutdown()
        print(json.dumps(counter.stats()), flush=True)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stats_handler(counter: Counter) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(counter.stats()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


if __name__ == "__main__":
    main()
