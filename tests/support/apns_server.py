"""A real, local APNs provider API: HTTP/2 over TLS (ALPN ``h2``) with token authentication.

It verifies the ES256 provider token against the test key (``kid``, ``iss``, ``iat`` age),
validates the request the way Apple documents it (path, ``apns-*`` headers, JSON payload of at
most 4 KB), records what it accepted, and answers in Apple's format: 200 with ``apns-id``, or an
error status with ``{"reason": ...}`` (410 adds ``timestamp``). Scripted per device token::

    with ApnsServer(public_key, team_id="TEAM", key_id="KEY", topic="app") as server:
        server.script(token, 410, "Unregistered")
        server.expire_current_token()  # the next request with it gets 403 ExpiredProviderToken

A new token less than 20 minutes after the previous one is refused with 429
TooManyProviderTokenUpdates, as Apple does, unless the previous one had been declared expired.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import ssl
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h2.config
import h2.connection
import h2.events
import h2.settings
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tests.support.tls import self_signed_tls

MAX_PAYLOAD = 4096
TOKEN_MAX_AGE = 3600
TOKEN_MIN_REFRESH = 20 * 60
PUSH_TYPES = {"alert", "background", "voip", "complication", "fileprovider", "mdm", "location"}
_PATH = re.compile(r"/3/device/([0-9a-f]+)")
_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")


@dataclass(frozen=True)
class Received:
    device: str
    headers: dict[str, str]
    payload: dict[str, Any]
    token: str
    connection: int


@dataclass
class _Script:
    status: int
    reason: str
    times: int | None  # None: forever
    retry_after: str | None


@dataclass
class _Stream:
    headers: dict[str, str]
    body: bytearray = field(default_factory=bytearray)


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class ApnsServer:
    def __init__(
        self,
        public_key: ec.EllipticCurvePublicKey,
        *,
        team_id: str,
        key_id: str,
        topic: str,
        max_concurrent_streams: int = 100,
        widen_after_first: bool = True,
        lower_streams: tuple[int, int] | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self._public_key = public_key
        self.team_id = team_id
        self.key_id = key_id
        self.topic = topic
        self._max_streams = max_concurrent_streams
        self._widen_after_first = widen_after_first
        # (after n responses, new limit): a server that narrows a busy connection.
        self._lower_to = lower_streams
        self._clock = clock
        self._lock = threading.Lock()
        self._scripts: dict[str, list[_Script]] = {}
        self.received: list[Received] = []
        self.rejected: list[tuple[str, int, str]] = []  # (device, status, reason)
        self.requests = 0
        self.connections = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.tokens_seen: list[str] = []
        self._current: tuple[str, int] | None = None  # (token, iat) last accepted
        self._expired: set[str] = set()
        self._tmp = tempfile.TemporaryDirectory(prefix="apns-test-")
        self._cert, key = self_signed_tls(Path(self._tmp.name))
        self._ssl = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._ssl.minimum_version = ssl.TLSVersion.TLSv1_2
        self._ssl.load_cert_chain(self._cert, key)
        self._ssl.set_alpn_protocols(["h2"])
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- test API -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def ca_file(self) -> str:
        """The certificate to trust, as a file (what STADTBOTE_APNS_CA_FILE names)."""
        return str(self._cert)

    def client_ssl_context(self) -> ssl.SSLContext:
        """What a client needs to trust this server's certificate (and nothing else)."""
        context = ssl.create_default_context(cafile=str(self._cert))
        return context

    def script(
        self,
        device: str,
        status: int,
        reason: str,
        *,
        times: int | None = None,
        retry_after: str | None = None,
    ) -> None:
        with self._lock:
            self._scripts.setdefault(device, []).append(_Script(status, reason, times, retry_after))

    def expire_current_token(self) -> None:
        """Apple's clock says the current provider token is over an hour old."""
        with self._lock:
            if self._current is not None:
                self._expired.add(self._current[0])

    def received_for(self, device: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.device == device]

    def __enter__(self) -> ApnsServer:
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self._ssl)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="apns-server", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("APNs test server did not start")
        return self

    def __exit__(self, *exc_info: object) -> None:
        async def stop() -> None:
            assert self._server is not None
            self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        assert self._thread is not None
        self._thread.join(10)
        self._loop.close()
        self._tmp.cleanup()

    # -- protocol -------------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        ssl_object = writer.get_extra_info("ssl_object")
        if ssl_object is None or ssl_object.selected_alpn_protocol() != "h2":
            writer.close()
            return
        with self._lock:
            self.connections += 1
            number = self.connections
        conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        )
        # Token-auth connections start with one stream and are widened once a request got
        # through (as Apple's are reported to do), so a client must follow SETTINGS changes.
        initial = 1 if self._widen_after_first else self._max_streams
        conn.local_settings = h2.settings.Settings(
            client=False,
            initial_values={h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: initial},
        )
        conn.initiate_connection()
        writer.write(conn.data_to_send())
        streams: dict[int, _Stream] = {}
        answered = 0
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        streams[event.stream_id] = _Stream(dict(event.headers))  # type: ignore[arg-type]
                        with self._lock:
                            self.in_flight += 1
                            self.max_in_flight = max(self.max_in_flight, self.in_flight)
                    elif isinstance(event, h2.events.DataReceived):
                        streams[event.stream_id].body += event.data
                        conn.acknowledge_received_data(
                            event.flow_controlled_length, event.stream_id
                        )
                    elif isinstance(event, h2.events.StreamEnded):
                        stream = streams.pop(event.stream_id)
                        status, headers, body = self._answer(stream, number)
                        with self._lock:
                            self.in_flight -= 1
                        conn.send_headers(
                            event.stream_id,
                            [(":status", str(status)), *headers],
                            end_stream=not body,
                        )
                        if body:
                            conn.send_data(event.stream_id, body, end_stream=True)
                        answered += 1
                        limit = self._limit_after(answered)
                        if limit is not None:
                            conn.update_settings(
                                {h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: limit}
                            )
                    elif isinstance(event, h2.events.ConnectionTerminated):
                        break
                writer.write(conn.data_to_send())
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    def _limit_after(self, answered: int) -> int | None:
        """A new stream limit to announce after ``answered`` responses on a connection."""
        if self._widen_after_first and answered == 1:
            return self._max_streams
        if self._lower_to is not None and answered == self._lower_to[0]:
            return self._lower_to[1]
        return None

    def _answer(self, stream: _Stream, connection: int) -> tuple[int, list[tuple[str, str]], bytes]:
        headers = stream.headers
        path = headers.get(":path", "")
        match = _PATH.fullmatch(path)
        device = match.group(1) if match else path
        apns_id = headers.get("apns-id") or str(uuid.uuid4()).upper()
        with self._lock:
            self.requests += 1
            problem = self._problem(stream, match)
            if problem is None:
                problem = self._scripted(device)
                if problem is not None and problem[1] == "ExpiredProviderToken":
                    # Apple says so only of a token it saw age: a new one is then welcome.
                    self._expired.add(headers["authorization"].removeprefix("bearer "))
            if problem is not None:
                status, reason, retry_after = problem
                self.rejected.append((device, status, reason))
                doc: dict[str, Any] = {"reason": reason}
                if status == 410:
                    doc["timestamp"] = int(self._clock() * 1000)
                extra: list[tuple[str, str]] = [("retry-after", retry_after)] if retry_after else []
                body = json.dumps(doc).encode()
                return (
                    status,
                    [("apns-id", apns_id), ("content-type", "application/json"), *extra],
                    body,
                )
            token = headers["authorization"].removeprefix("bearer ")
            self.received.append(
                Received(device, headers, json.loads(stream.body), token, connection)
            )
            return 200, [("apns-id", apns_id)], b""

    def _scripted(self, device: str) -> tuple[int, str, str | None] | None:
        scripts = self._scripts.get(device)
        if not scripts:
            return None
        script = scripts[0]
        if script.times is not None:
            script.times -= 1
            if script.times <= 0:
                scripts.pop(0)
        return script.status, script.reason, script.retry_after

    def _problem(
        self, stream: _Stream, match: re.Match[str] | None
    ) -> tuple[int, str, str | None] | None:
        """Apple's own checks, in roughly Apple's order; None when the request is valid."""
        headers = stream.headers
        if headers.get(":method") != "POST":
            return 405, "MethodNotAllowed", None
        if match is None:
            return 404, "BadPath", None
        auth = headers.get("authorization")
        if not auth:
            return 403, "MissingProviderToken", None
        token_problem = self._token_problem(auth)
        if token_problem:
            status, reason = token_problem
            return status, reason, None
        topic = headers.get("apns-topic")
        if not topic:
            return 400, "MissingTopic", None
        if topic != self.topic:
            return 400, "DeviceTokenNotForTopic", None
        if headers.get("apns-push-type") not in PUSH_TYPES:
            return 400, "InvalidPushType", None
        if headers.get("apns-priority", "10") not in {"1", "5", "10"}:
            return 400, "BadPriority", None
        if not headers.get("apns-expiration", "0").isdigit():
            return 400, "BadExpirationDate", None
        collapse = headers.get("apns-collapse-id")
        if collapse is not None and len(collapse.encode()) > 64:
            return 400, "BadCollapseId", None
        ident = headers.get("apns-id")
        if ident is not None and not _UUID.fullmatch(ident):
            return 400, "BadMessageId", None
        if not stream.body:
            return 400, "PayloadEmpty", None
        if len(stream.body) > MAX_PAYLOAD:
            return 413, "PayloadTooLarge", None
        try:
            doc = json.loads(stream.body)
        except ValueError:
            return 400, "BadPayload", None
        if not isinstance(doc, dict) or not isinstance(doc.get("aps"), dict):
            return 400, "BadPayload", None
        return None

    def _token_problem(self, auth: str) -> tuple[int, str] | None:
        if not auth.startswith("bearer "):
            return 403, "InvalidProviderToken"
        token = auth.removeprefix("bearer ")
        try:
            header_b64, claims_b64, signature_b64 = token.split(".")
            header = json.loads(_b64url_decode(header_b64))
            claims = json.loads(_b64url_decode(claims_b64))
            signature = _b64url_decode(signature_b64)
        except ValueError:
            return 403, "InvalidProviderToken"
        if header.get("alg") != "ES256" or header.get("kid") != self.key_id:
            return 403, "InvalidProviderToken"
        if claims.get("iss") != self.team_id or not isinstance(claims.get("iat"), int):
            return 403, "InvalidProviderToken"
        if len(signature) != 64:
            return 403, "InvalidProviderToken"
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        try:
            self._public_key.verify(
                der, f"{header_b64}.{claims_b64}".encode("ascii"), ec.ECDSA(hashes.SHA256())
            )
        except InvalidSignature:
            return 403, "InvalidProviderToken"
        iat = claims["iat"]
        if token in self._expired or self._clock() - iat > TOKEN_MAX_AGE:
            return 403, "ExpiredProviderToken"
        if token not in self.tokens_seen:
            current = self._current
            if (
                current is not None
                and current[0] not in self._expired
                and iat - current[1] < TOKEN_MIN_REFRESH
            ):
                return 429, "TooManyProviderTokenUpdates"
            self.tokens_seen.append(token)
            self._current = (token, iat)
        return None
