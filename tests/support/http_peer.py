"""A small real HTTP server on 127.0.0.1 for the broadcast channels' protocol fakes.

Each fake (``mastodon_server``, ``telegram_server``, ``matrix_server``, ``apprise_server``)
subclasses ``HttpPeer`` and implements ``handle``; this base runs the server in a thread on an
ephemeral port, records every request and lets a test queue scripted answers (``fail_next``)
that come before the protocol's own handling.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # raw, still percent-encoded
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))

    def fields(self) -> dict[str, Any]:
        """The body as the API reads it: JSON or a urlencoded form."""
        if self.headers.get("content-type", "").startswith("application/json"):
            parsed = self.json()
            return parsed if isinstance(parsed, dict) else {}
        return self.form()


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any = None  # JSON-serialisable, or bytes
    headers: dict[str, str] = field(default_factory=dict)
    drip: float = 0.0  # seconds between bytes of the body: a server that stalls


class HttpPeer:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._scripted: list[Answer] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- to implement -------------------------------------------------------------------

    def handle(self, request: Request) -> Answer:
        raise NotImplementedError

    # --- test controls --------------------------------------------------------------------

    def fail_next(self, answer: Answer, times: int = 1) -> None:
        """Answer the next ``times`` requests with ``answer`` instead of handling them."""
        with self._lock:
            self._scripted.extend([answer] * times)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def host_port(self) -> str:
        return self.url.removeprefix("http://")

    # --- server ------------------------------------------------------------------------------

    def __enter__(self) -> Self:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    method=self.command,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length),
                )
                answer = peer._answer(request)
                raw = (
                    answer.body
                    if isinstance(answer.body, bytes)
                    else json.dumps(answer.body).encode()
                )
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if not answer.drip:
                    self.wfile.write(raw)
                    return
                for i in range(len(raw)):
                    self.wfile.write(raw[i : i + 1])
                    self.wfile.flush()
                    time.sleep(answer.drip)

            do_GET = do_POST = do_PUT = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # A short poll: shutdown() waits for it, once per test.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._server is not None
        assert self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _answer(self, request: Request) -> Answer:
        # One request at a time: the fakes' state needs no locks of its own.
        with self._lock:
            self.requests.append(request)
            if self._scripted:
                return self._scripted.pop(0)
            try:
                return self.handle(request)
            except Exception as exc:  # a bug in the fake shows as a 500 with its reason
                return Answer(500, {"error": f"fake server error: {exc!r}"})


def path_only(path: str) -> str:
    return urlsplit(path).path
