"""A real, local OpenAI-compatible chat-completions server, scripted per test.

It listens on 127.0.0.1 on a free port, in a thread, and speaks the wire format of
``POST /v1/chat/completions`` (non-streaming): it checks a request the way the real API
does (JSON, ``model``, ``messages`` with roles and text), records every request, and
answers with the next scripted ``Reply``: a chat completion with the given content, an
error status with an OpenAI error object, a body that is not JSON, a delay, or a body
trickled out byte by byte. Without a script it answers 500 ("no reply scripted")::

    with OpenAIFake() as llm:
        llm.script(Reply(content="Die Hundesteuer ... [1]."))
        grounded_answer(question, hits, "de", config=llm.config())
        assert llm.requests[0].body["temperature"] == 0

The ``openai_fake`` fixture yields a started server and stops it after the test.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from stadtbote.config import AssistantLlmConfig

PATH = "/v1/chat/completions"
MAX_BODY = 1 << 20


@dataclass(frozen=True)
class Reply:
    """What the server answers to one request."""

    content: str | None = ""  # the assistant message's text (None: JSON null)
    status: int = 200
    delay: float = 0.0  # seconds before the status line
    finish_reason: str = "stop"
    refusal: str | None = None
    raw: bytes | None = None  # the body as is, instead of a chat completion
    trickle: float = 0.0  # seconds between bytes of the body, after the headers
    error: str = "scripted error"  # the message of an error status's error object


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]  # names lower-cased
    body: Any  # the parsed JSON, None if it was not JSON
    received_at: float  # time.monotonic()

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", [])) if isinstance(self.body, dict) else []

    def message(self, role: str) -> str:
        """The text of the first message with ``role``."""
        return next(m["content"] for m in self.messages if m.get("role") == role)


@dataclass
class _State:
    replies: list[Reply] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    completions: int = 0


class OpenAIFake:
    def __init__(self, model: str = "fake-model") -> None:
        self.model = model
        self._lock = threading.Lock()
        self._state = _State()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> OpenAIFake:
        fake = self

        class Handler(_Handler):
            owner = fake

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # cuts scripted delays short
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> OpenAIFake:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- for tests ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def config(self, *, timeout: float = 2.0, api_key: str = "") -> AssistantLlmConfig:
        """Stadtbote's configuration pointing at this server."""
        return AssistantLlmConfig(
            url=self.base_url, model=self.model, api_key=api_key, timeout=timeout
        )

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with ``replies``, in order."""
        with self._lock:
            self._state.replies.extend(replies)

    def answer(self, content: str) -> None:
        self.script(Reply(content=content))

    @property
    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._state.requests)

    # -- serving -----------------------------------------------------------------------------

    def _record(self, request: Request) -> Reply | None:
        with self._lock:
            self._state.requests.append(request)
            return self._state.replies.pop(0) if self._state.replies else None

    def _completion(self, reply: Reply) -> bytes:
        with self._lock:
            self._state.completions += 1
            number = self._state.completions
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        if reply.refusal is not None:
            message["refusal"] = reply.refusal
        return json.dumps(
            {
                "id": f"chatcmpl-fake-{number}",
                "object": "chat.completion",
                "created": 1767225600,
                "model": self.model,
                "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason}],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            }
        ).encode()


class _Handler(BaseHTTPRequestHandler):
    owner: OpenAIFake
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(min(length, MAX_BODY))
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        request = Request(
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            received_at=time.monotonic(),
        )
        reply = self.owner._record(request)
        if self.path != PATH:
            return self._error(404, f"Unknown request URL: POST {self.path}", "invalid_request")
        problem = _invalid(body, self.headers.get("Content-Type", ""))
        if problem:
            return self._error(400, problem, "invalid_request_error")
        if reply is None:
            return self._error(500, "no reply scripted", "server_error")
        if reply.delay and self.owner._stopping.wait(reply.delay):
            return
        if reply.status != 200:
            return self._error(reply.status, reply.error, "server_error", reply.trickle)
        payload = reply.raw if reply.raw is not None else self.owner._completion(reply)
        self._send(200, payload, reply.trickle)

    def _error(self, status: int, message: str, kind: str, trickle: float = 0.0) -> None:
        body = {"error": {"message": message, "type": kind, "param": None, "code": None}}
        self._send(status, json.dumps(body).encode(), trickle)

    def _send(self, status: int, payload: bytes, trickle: float = 0.0) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if not trickle:
                self.wfile.write(payload)
                return
            self.wfile.flush()
            for i in range(len(payload)):
                if self.owner._stopping.wait(trickle):
                    return
                self.wfile.write(payload[i : i + 1])
                self.wfile.flush()
        except OSError:
            pass  # the client gave up (a timeout under test)


def _invalid(body: Any, content_type: str) -> str:
    """What the real API would refuse with 400, or ""."""
    if not content_type.startswith("application/json"):
        return "Content-Type must be application/json"
    if not isinstance(body, dict):
        return "We could not parse the JSON body of your request."
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "you must provide a model parameter"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty array"
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in (
            "system",
            "developer",
            "user",
            "assistant",
        ):
            return "each message needs a role of system, developer, user or assistant"
        if not isinstance(message.get("content"), str):
            return "each message's content must be a string here"
    return ""


@pytest.fixture(name="openai_fake")
def openai_fake_fixture() -> Iterator[OpenAIFake]:
    """A started ``OpenAIFake``, stopped after the test."""
    with OpenAIFake() as fake:
        yield fake
