"""A real, local Web Push service (RFC 8030 delivery, RFC 8291 decryption, RFC 8292 VAPID).

Used by the channel tests (``with PushService(seed=7) as ps: ...``) and by benchmarks, which run
it as a separate process::

    python -m tests.support.push_service --port 8765 --seed 7 [--no-decrypt] [--delay 0.02]

It prints its URL on the first line of stdout, serves ``GET /_stats`` as JSON and prints the same
stats when stopped (SIGINT/SIGTERM). ``POST /<n>`` is synthetic subscriber ``n`` whose keys are
``synthetic_subscription(seed, n)``; ``POST /sub/<name>`` is a subscription made by ``register``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import http_ece
from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from stadtbote.delivery.channels.webpush.keys import (
    SyntheticSubscription,
    b64url_decode,
    load_public_key,
    synthetic_subscription,
)

MAX_BODY = 4096
MAX_EXP_AHEAD = 24 * 3600
# Registered subscriptions take synthetic numbers far above any benchmark's subscriber count.
_REGISTERED_BASE = 1 << 40


@dataclass(frozen=True)
class Received:
    endpoint: str  # path without the leading slash: "3" or "sub/alice"
    ttl: int
    urgency: str | None
    topic: str | None
    payload: dict[str, Any] | None  # None when running with decrypt=False
    received_at: float


@dataclass
class _Script:
    status: int
    times: int | None  # None: forever
    retry_after: str | None
    body: str


@dataclass
class _State:
    received: list[Received] = field(default_factory=list)
    accepted: int = 0
    requests: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    dropped: int = 0  # 201 could not be written because the client had gone
    in_flight: int = 0
    max_in_flight: int = 0
    peers: set[tuple[Any, ...]] = field(default_factory=set)
    # Wall-clock (time.time()) of the first and the latest accepted message, for benchmarks.
    first_at: float | None = None
    last_at: float | None = None
    last_payload: dict[str, Any] | None = None


class PushService:
    def __init__(
        self, seed: int = 0, *, decrypt: bool = True, host: str = "127.0.0.1", port: int = 0
    ):
        self.seed = seed
        self.decrypt = decrypt
        self._host = host
        self._port = port
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._state = _State()
        self._scripts: dict[str, list[_Script]] = {}
        self._delays: dict[str | None, float] = {}
        self._registered: dict[str, SyntheticSubscription] = {}
        self._keys: dict[int, SyntheticSubscription] = {}
        self._verified: dict[str, int] = {}  # Authorization value -> exp
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> PushService:
        loop = self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=loop.run_forever, name="push-service", daemon=True)
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._start_server(), loop).result(10)
        except BaseException:
            self.stop()
            raise
        return self

    async def _start_server(self) -> None:
        app = web.Application(client_max_size=MAX_BODY * 4)
        app.router.add_get("/_stats", self._stats_handler)
        app.router.add_post("/{tail:.+}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        self._port = self._runner.addresses[0][1]

    def stop(self) -> None:
        loop, thread, runner = self._loop, self._thread, self._runner
        if loop is None or thread is None:
            return
        if runner is not None:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
        self._loop = self._thread = self._runner = None

    def __enter__(self) -> PushService:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- addresses and subscriptions ---------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._port}"

    @property
    def host_port(self) -> str:
        """What to put in ``allowed_extra_hosts`` so the channel may talk to this service."""
        return f"{self._host}:{self._port}"

    def subscription(self, n: int) -> tuple[str, str, str]:
        """``(endpoint, p256dh, auth)`` of synthetic subscriber ``n``."""
        sub = self._synthetic(n)
        return f"{self.url}/{n}", sub.p256dh_b64url, sub.auth_b64url

    def register(self, name: str) -> tuple[str, str, str]:
        """Create an explicit subscription ``/sub/<name>`` (keys deterministic per seed)."""
        with self._lock:
            index = len(self._registered)
            sub = self._registered.setdefault(
                name, synthetic_subscription(self.seed, _REGISTERED_BASE + index)
            )
        return f"{self.url}/sub/{name}", sub.p256dh_b64url, sub.auth_b64url

    def _synthetic(self, n: int) -> SyntheticSubscription:
        sub = self._keys.get(n)
        if sub is None:
            sub = self._keys[n] = synthetic_subscription(self.seed, n)
        return sub

    def _key(self, endpoint_or_n: int | str) -> str:
        if isinstance(endpoint_or_n, int):
            return str(endpoint_or_n)
        if "://" in endpoint_or_n:
            return urlsplit(endpoint_or_n).path.lstrip("/")
        if endpoint_or_n in self._registered:
            return f"sub/{endpoint_or_n}"
        return endpoint_or_n.lstrip("/")

    # -- programmable behaviour --------------------------------------------------------------

    def respond(
        self,
        endpoint_or_n: int | str,
        status: int,
        times: int | None = 1,
        retry_after: float | str | None = None,
        body: str = "",
    ) -> None:
        """Answer the next ``times`` valid requests to the endpoint with ``status`` (None: forever)."""
        after = None if retry_after is None else str(retry_after)
        with self._lock:
            queue = self._scripts.setdefault(self._key(endpoint_or_n), [])
            queue.append(_Script(status, times, after, body))

    def set_delay(self, seconds: float, endpoint_or_n: int | str | None = None) -> None:
        """Hold requests (to one endpoint, or all) for ``seconds`` before answering."""
        key = None if endpoint_or_n is None else self._key(endpoint_or_n)
        with self._lock:
            self._delays[key] = seconds

    # -- observations ------------------------------------------------------------------------

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._state.received)

    def received_for(self, endpoint_or_n: int | str) -> list[Received]:
        key = self._key(endpoint_or_n)
        return [r for r in self.received if r.endpoint == key]

    def wait_for(self, count: int, timeout: float = 5.0) -> bool:
        """Block until ``count`` messages were accepted; False on timeout.

        Needed even after the sender saw its 201s: a message is recorded only once its 201 is
        on the wire, so the client can read the response a moment before the record exists.
        """
        with self._changed:
            return self._changed.wait_for(lambda: self._state.accepted >= count, timeout)

    def settle(self, timeout: float = 5.0) -> bool:
        """Block until no request is being handled (e.g. ones the client gave up on)."""
        with self._changed:
            return self._changed.wait_for(lambda: self._state.in_flight == 0, timeout)

    def stats(self) -> dict[str, Any]:
        """Counters; ``connections`` counts distinct client peer addresses."""
        with self._lock:
            s = self._state
            return {
                "accepted": s.accepted,
                "requests": s.requests,
                "rejected": len(s.rejected),
                "rejections": [f"{st} {why}" for st, why in s.rejected[-20:]],
                "dropped": s.dropped,
                "max_in_flight": s.max_in_flight,
                "connections": len(s.peers),
                "first_at": s.first_at,
                "last_at": s.last_at,
                "decrypting": self.decrypt,
                "last_payload": s.last_payload,
            }

    # -- protocol ----------------------------------------------------------------------------

    async def _stats_handler(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats())

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        with self._lock:
            s = self._state
            s.requests += 1
            s.in_flight += 1
            s.max_in_flight = max(s.max_in_flight, s.in_flight)
            if peer is not None:
                s.peers.add(tuple(peer))
        try:
            return await self._process(request)
        finally:
            with self._changed:
                self._state.in_flight -= 1
                self._changed.notify_all()

    def _reject(self, status: int, reason: str, retry_after: str | None = None) -> web.Response:
        with self._lock:
            self._state.rejected.append((status, reason))
        headers = {"Retry-After": retry_after} if retry_after is not None else None
        return web.Response(status=status, text=reason, headers=headers)

    async def _process(self, request: web.Request) -> web.StreamResponse:
        key = request.match_info["tail"]
        synthetic = key.isascii() and key.isdigit()
        if not (synthetic or (key.startswith("sub/") and key[4:] in self._registered)):
            return self._reject(404, f"no such subscription {key}")
        try:
            self._verify_vapid(request.headers.get("Authorization", ""))
        except web.HTTPException as exc:
            return self._reject(exc.status, exc.text or exc.reason)
        ttl = request.headers.get("TTL", "")
        if not ttl.isdigit():
            return self._reject(400, "missing or invalid TTL header")
        if request.headers.get("Content-Encoding", "").lower() != "aes128gcm":
            return self._reject(400, "Content-Encoding must be aes128gcm")
        body = await request.read()
        if len(body) > MAX_BODY:
            return self._reject(413, f"body of {len(body)} bytes exceeds {MAX_BODY}")

        delay = self._delays.get(key, self._delays.get(None, 0.0))
        if delay:
            await asyncio.sleep(delay)
        script = self._next_script(key)
        if script is not None:
            return self._reject(
                script.status, script.body or f"scripted {script.status}", script.retry_after
            )

        document = None
        if self.decrypt:
            sub = self._subscriber(key)
            try:
                plaintext = http_ece.decrypt(
                    body,
                    private_key=sub.private_key,
                    auth_secret=sub.auth_secret,
                    version="aes128gcm",
                )
                document = json.loads(plaintext)
            except Exception as exc:
                return self._reject(400, f"cannot decrypt or parse payload: {type(exc).__name__}")

        response = web.Response(status=201, headers={"Location": f"{self.url}/m/{key}"})
        try:
            if request.transport is None or request.transport.is_closing():
                raise ConnectionResetError("client gave up before the 201")
            await response.prepare(request)
            await response.write_eof()
        except ConnectionError:
            # Not delivered. Returning (not raising) lets aiohttp drop it without logging an error.
            with self._lock:
                self._state.dropped += 1
            return response
        # Only now, with 201 on the wire, does the message count as accepted (RFC 8030 5).
        record = Received(
            endpoint=key,
            ttl=int(ttl),
            urgency=request.headers.get("Urgency"),
            topic=request.headers.get("Topic"),
            payload=document,
            received_at=time.time(),
        )
        with self._changed:
            self._state.accepted += 1
            if self._state.first_at is None:
                self._state.first_at = record.received_at
            self._state.last_at = record.received_at
            if self.decrypt:
                self._state.received.append(record)
                self._state.last_payload = document
            self._changed.notify_all()
        return response

    def _subscriber(self, key: str) -> SyntheticSubscription:
        # Deriving keys costs more than the rest of a request, so counting mode never does.
        return self._registered[key[4:]] if key.startswith("sub/") else self._synthetic(int(key))

    def _next_script(self, key: str) -> _Script | None:
        with self._lock:
            queue = self._scripts.get(key)
            if not queue:
                return None
            script = queue[0]
            if script.times is not None:
                script.times -= 1
                if script.times <= 0:
                    queue.pop(0)
            return script

    def _verify_vapid(self, authorization: str) -> None:
        """RFC 8292 checks; verified tokens are cached so high-rate runs stay cheap."""
        exp = self._verified.get(authorization)
        if exp is None:
            if len(self._verified) > 10_000:
                self._verified.clear()
            exp = self._verified[authorization] = verify_vapid(authorization, self.url)
        now = time.time()
        if exp <= now:
            raise web.HTTPUnauthorized(text="VAPID token expired")
        if exp > now + MAX_EXP_AHEAD:
            raise web.HTTPUnauthorized(text="VAPID exp more than 24h ahead")


def verify_vapid(authorization: str, audience: str) -> int:
    """Check signature, ``aud`` and ``sub`` of ``vapid t=..., k=...``; return ``exp``."""
    scheme, _, params = authorization.partition(" ")
    fields = dict(part.strip().partition("=")[::2] for part in params.split(","))
    if scheme.lower() != "vapid" or not fields.get("t") or not fields.get("k"):
        raise web.HTTPUnauthorized(text="Authorization must be 'vapid t=<jwt>, k=<key>'")
    try:
        public_key = load_public_key(b64url_decode(fields["k"]))
        header_b64, claims_b64, signature_b64 = fields["t"].split(".")
        header = json.loads(b64url_decode(header_b64))
        claims = json.loads(b64url_decode(claims_b64))
        signature = b64url_decode(signature_b64)
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise ValueError("JWT header and claims must be objects")
    except ValueError as exc:
        raise web.HTTPUnauthorized(text=f"malformed VAPID token: {exc}") from None
    if header.get("alg") != "ES256" or len(signature) != 64:
        raise web.HTTPUnauthorized(text="VAPID token must be ES256 with a 64-byte signature")
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    try:
        public_key.verify(
            encode_dss_signature(r, s),
            f"{header_b64}.{claims_b64}".encode("ascii"),
            ec.ECDSA(hashes.SHA256()),
        )
    except InvalidSignature:
        raise web.HTTPUnauthorized(text="VAPID signature does not verify") from None
    if claims.get("aud") != audience:
        raise web.HTTPForbidden(text=f"VAPID aud {claims.get('aud')!r} is not {audience}")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.startswith(("mailto:", "https://")):
        raise web.HTTPForbidden(text="VAPID sub must be a mailto: or https: URI")
    exp = claims.get("exp")
    if not isinstance(exp, int):
        raise web.HTTPUnauthorized(text="VAPID exp missing")
    return exp


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--no-decrypt", action="store_true", help="verify VAPID, count, don't decrypt"
    )
    parser.add_argument(
        "--delay",
        type=float,
        default=0.0,
        help="answer every request this many seconds late (a remote push service's latency)",
    )
    args = parser.parse_args(argv)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    service = PushService(args.seed, decrypt=not args.no_decrypt, host=args.host, port=args.port)
    with service:
        if args.delay:
            service.set_delay(args.delay)
        print(service.url, flush=True)
        while not stop.wait(0.5):
            pass
        print(json.dumps(service.stats()), flush=True)


if __name__ == "__main__":
    main()
