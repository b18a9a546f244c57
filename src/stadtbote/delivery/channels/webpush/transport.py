"""The Web Push channel: encrypt, sign and POST many messages concurrently.

One channel instance owns one private event loop and one aiohttp session for its lifetime, so
consecutive ``send()`` calls within a batch reuse TLS connections to FCM, Mozilla and Apple
instead of paying a handshake per message. ``send()`` itself is synchronous because the engine
runs in plain worker threads/processes; do not call it from inside a running event loop, and do
not share one instance between threads (make one per worker, after any fork).

The transport never retries. It reports what happened; the engine owns backoff and bookkeeping.
"""

from __future__ import annotations

import asyncio
import binascii
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

import aiohttp

from ..base import Notice, Outcome, Outgoing, fill_receipt
from ..loop import LoopChannel
from .allowlist import Allowlist, EndpointNotAllowed
from .crypto import InvalidSubscriptionKeys, PayloadTooLarge, encrypt
from .headers import payload, push_headers
from .keys import b64url_decode, load_private_key
from .responses import MAX_RETRY_AFTER, classify_response
from .vapid import VapidSigner, origin_of

# Enough to read a push service's error explanation; a longer body is not worth the bandwidth
# (aiohttp then drops that one connection instead of reusing it, which is fine for errors).
_MAX_RESPONSE_READ = 2048


class WebPushChannel(LoopChannel):
    kind = "webpush"

    def __init__(
        self,
        vapid_private_key_pem: str,
        vapid_subject: str,
        *,
        allowed_extra_hosts: Sequence[str] = (),
        concurrency_per_origin: int = 100,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        max_retry_after: float = MAX_RETRY_AFTER,
        keepalive_timeout: float = 30.0,
        user_agent: str = "Stadtbote-WebPush/1",
        clock: Callable[[], float] = time.time,
    ):
        if concurrency_per_origin < 1:
            raise ValueError("concurrency_per_origin must be at least 1")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        # Configuration errors (bad key, subject or host list) surface here, before any batch.
        self._signer = VapidSigner(
            load_private_key(vapid_private_key_pem), vapid_subject, clock=clock
        )
        self._allowlist = Allowlist(allowed_extra_hosts)
        self._concurrency = concurrency_per_origin
        self._timeout = aiohttp.ClientTimeout(total=timeout, connect=min(connect_timeout, timeout))
        self._timeout_seconds = timeout
        self._max_retry_after = max_retry_after
        self._keepalive = keepalive_timeout
        self._user_agent = user_agent
        self._clock = clock
        # Created lazily in ``send`` so constructing a channel has no side effects.
        self._session: aiohttp.ClientSession | None = None
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._start_loop()

    @property
    def vapid_public_key(self) -> str:
        """The ``applicationServerKey`` browsers must subscribe with for this channel's key."""
        return self._signer.public_key

    def _release(self) -> Callable[[], Awaitable[None]] | None:
        session, self._session = self._session, None
        return session.close if session is not None else None

    def _ensure_session(self) -> aiohttp.ClientSession:
        # Must run inside our loop: aiohttp binds the session and connector to the running loop.
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=0,  # The per-origin semaphores are the real limit.
                limit_per_host=self._concurrency,
                keepalive_timeout=self._keepalive,
                ttl_dns_cache=300,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                headers={"User-Agent": self._user_agent},
                # Push services have no business setting cookies, and a shared jar would carry
                # state from one subscriber's request into the next.
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
                auto_decompress=False,
            )
        return self._session

    async def _send_all(self, items: Sequence[Outgoing]) -> list[Outcome]:
        session = self._ensure_session()
        now = datetime.fromtimestamp(self._clock(), UTC)
        payloads: dict[tuple[Notice, bool], bytes] = {}
        results = await asyncio.gather(
            *(self._send_one(session, item, now, payloads) for item in items),
            return_exceptions=True,
        )
        outcomes = []
        for item, result in zip(items, results, strict=True):
            if isinstance(result, Outcome):
                outcomes.append(result)
            else:
                # Whatever went wrong, the engine must hear about every item exactly once.
                reason = f"unexpected {type(result).__name__}: {result}"[:200]
                outcomes.append(Outcome(item.delivery_id, "retry", reason))
        return outcomes

    def _semaphore(self, origin: str) -> asyncio.Semaphore:
        sem = self._semaphores.get(origin)
        if sem is None:
            sem = self._semaphores[origin] = asyncio.Semaphore(self._concurrency)
        return sem

    async def _send_one(
        self,
        session: aiohttp.ClientSession,
        item: Outgoing,
        now: datetime,
        payloads: dict[tuple[Notice, bool], bytes],
    ) -> Outcome:
        failed = _failer(item.delivery_id)
        try:
            # Checked again at send time although the API checks on subscribe: the allow-list
            # may have shrunk since, and stored rows are not proof of anything.
            self._allowlist.check(item.address)
        except EndpointNotAllowed as exc:
            return failed(f"endpoint not allowed: {exc.reason}")
        try:
            ua_public = b64url_decode(item.extra["p256dh"])
            auth = b64url_decode(item.extra["auth"])
        except KeyError as exc:
            return failed(f"invalid subscription: missing {exc.args[0]}")
        except (ValueError, binascii.Error):
            return failed("invalid subscription: keys are not base64url")
        receipt = item.extra.get("receipt")
        try:
            key = (item.notice, bool(receipt))
            plaintext = payloads.get(key)
            if plaintext is None:
                plaintext = payloads[key] = payload(item.notice, receipt=bool(receipt))
        except PayloadTooLarge as exc:
            return failed(f"payload too large: {exc}")
        if receipt:
            plaintext = fill_receipt(plaintext, receipt)

        origin = origin_of(item.address)
        async with self._semaphore(origin):
            # Encrypt only once a slot is free, so a huge batch never holds every ciphertext.
            try:
                body = encrypt(plaintext, ua_public, auth)
            except PayloadTooLarge as exc:
                return failed(f"payload too large: {exc}")
            except InvalidSubscriptionKeys as exc:
                return failed(f"invalid subscription: {exc}")
            headers = push_headers(item.notice, item.key, now)
            headers["Authorization"] = self._signer.header_for(origin)
            try:
                async with session.post(
                    item.address, data=body, headers=headers, allow_redirects=False
                ) as response:
                    text = await _read_capped(response, _MAX_RESPONSE_READ)
                    return classify_response(
                        item.delivery_id,
                        response.status,
                        text,
                        response.headers.get("Retry-After"),
                        # Not the batch's start: an HTTP-date Retry-After is relative to now.
                        datetime.fromtimestamp(self._clock(), UTC),
                        self._max_retry_after,
                    )
            except TimeoutError:
                return Outcome(
                    item.delivery_id, "retry", f"timeout after {self._timeout_seconds:g}s"
                )
            except aiohttp.ClientConnectorError as exc:
                return Outcome(item.delivery_id, "retry", f"connection failed: {exc}"[:200])
            except aiohttp.ClientError as exc:
                return Outcome(item.delivery_id, "retry", f"{type(exc).__name__}: {exc}"[:200])


async def _read_capped(response: aiohttp.ClientResponse, cap: int) -> bytes:
    """Read the body up to ``cap`` bytes. Reading to EOF is what lets aiohttp put the
    connection back into the pool, so a short body must be read completely, not just once."""
    data = b""
    while len(data) < cap:
        chunk = await response.content.read(cap - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _failer(delivery_id: int) -> Callable[[str], Outcome]:
    def failed(reason: str) -> Outcome:
        return Outcome(delivery_id, "failed", reason[:200])

    return failed
