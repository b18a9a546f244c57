"""The APNs channel: one HTTP/2 connection, many concurrent streams, one POST per device.

Like the Web Push channel, an instance owns a private event loop and one HTTP client for its
lifetime, so consecutive ``send()`` calls reuse the TLS connection to Apple (Apple asks
providers to keep connections open rather than reconnect per batch). ``send()`` is blocking;
do not call it inside a running event loop, and make one instance per worker thread.

The address is the device token (hex, as the app registered it); ``extra`` is not used.
The transport never backs off itself, except for the one retry Apple's protocol asks for:
a request refused with 403 ExpiredProviderToken is sent again with a freshly signed token.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

import httpx

from ..base import Notice, Outcome, Outgoing, fill_receipt
from ..loop import LoopChannel
from .message import PayloadTooLarge, apns_headers, device_token_problem, payload
from .responses import EXPIRED_TOKEN, MAX_RETRY_AFTER, classify, reason_of
from .token import TOKEN_LIFETIME, ProviderToken

PRODUCTION = "https://api.push.apple.com"
SANDBOX = "https://api.sandbox.push.apple.com"
_MAX_RESPONSE = 2048


class ApnsChannel(LoopChannel):
    kind = "apns"

    def __init__(
        self,
        team_id: str,
        key_id: str,
        private_key_pem: str,
        topic: str,
        *,
        endpoint: str = PRODUCTION,
        critical_alerts: bool = False,
        concurrency: int = 100,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        verify: ssl.SSLContext | bool = True,
        token_lifetime: int = TOKEN_LIFETIME,
        max_retry_after: float = MAX_RETRY_AFTER,
        clock: Callable[[], float] = time.time,
    ):
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if not topic:
            raise ValueError("APNs needs a topic (the app's bundle id)")
        if not endpoint.startswith(("https://", "http://")):
            raise ValueError("endpoint must be an https:// URL")
        # A bad key, team or key id surfaces here, before any batch.
        self._token = ProviderToken(
            private_key_pem, team_id, key_id, lifetime=token_lifetime, clock=clock
        )
        self.topic = topic
        self.endpoint = endpoint.rstrip("/")
        self.critical_alerts = critical_alerts
        self._concurrency = concurrency
        self._timeout = httpx.Timeout(timeout, connect=min(connect_timeout, timeout))
        self._timeout_seconds = timeout
        self._verify = verify
        self._max_retry_after = max_retry_after
        self._clock = clock
        self._client: httpx.AsyncClient | None = None
        self._start_loop()

    @property
    def tokens_signed(self) -> int:
        return self._token.signed

    def _release(self) -> Callable[[], Awaitable[None]] | None:
        client, self._client = self._client, None
        return client.aclose if client is not None else None

    def _ensure_client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                http1=False,
                http2=True,
                verify=self._verify,
                timeout=self._timeout,
                # One connection; HTTP/2 multiplexes the streams (bounded by our semaphore and
                # by the server's SETTINGS_MAX_CONCURRENT_STREAMS).
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                trust_env=False,
                follow_redirects=False,
                headers={"user-agent": "Stadtbote-APNs/1"},
            )
        return self._client

    async def _send_all(self, items: Sequence[Outgoing]) -> list[Outcome]:
        client = self._ensure_client()
        semaphore = asyncio.Semaphore(self._concurrency)
        payloads: dict[tuple[Notice, bool], bytes] = {}
        results = await asyncio.gather(
            *(self._send_one(client, semaphore, item, payloads) for item in items),
            return_exceptions=True,
        )
        outcomes = []
        for item, result in zip(items, results, strict=True):
            if isinstance(result, Outcome):
                outcomes.append(result)
            else:
                reason = f"unexpected {type(result).__name__}: {result}"[:200]
                outcomes.append(Outcome(item.delivery_id, "retry", reason))
        return outcomes

    async def _send_one(
        self,
        client: httpx.AsyncClient,
        semaphore: asyncio.Semaphore,
        item: Outgoing,
        payloads: dict[tuple[Notice, bool], bytes],
    ) -> Outcome:
        if device_token_problem(item.address):
            # Apple would answer 400 BadDeviceToken; the address can never work.
            return Outcome(item.delivery_id, "gone", "invalid device token")
        receipt = item.extra.get("receipt")
        try:
            key = (item.notice, bool(receipt))
            body = payloads.get(key)
            if body is None:
                body = payloads[key] = payload(
                    item.notice, critical_alerts=self.critical_alerts, receipt=bool(receipt)
                )
        except PayloadTooLarge as exc:
            return Outcome(item.delivery_id, "failed", f"payload too large: {exc}"[:200])
        if receipt:
            body = fill_receipt(body, receipt)
        now = datetime.fromtimestamp(self._clock(), UTC)
        headers = apns_headers(item.notice, item.key, self.topic, now)
        headers["content-type"] = "application/json"
        url = f"{self.endpoint}/3/device/{item.address.lower()}"
        async with semaphore:
            token = self._token.current()
            for attempt in range(2):
                headers["authorization"] = f"bearer {token}"
                try:
                    # A guard above httpx's own timeouts: a stalled HTTP/2 connection must not
                    # hold the batch forever.
                    response = await asyncio.wait_for(
                        client.post(url, content=body, headers=headers),
                        self._timeout_seconds * 2,
                    )
                except (httpx.TimeoutException, TimeoutError):
                    return Outcome(
                        item.delivery_id, "retry", f"timeout after {self._timeout_seconds:g}s"
                    )
                except httpx.HTTPError as exc:
                    reason = f"{type(exc).__name__}: {exc}"[:200]
                    return Outcome(item.delivery_id, "retry", reason)
                text = response.content[:_MAX_RESPONSE]
                if (
                    attempt == 0
                    and response.status_code == 403
                    and reason_of(text) == EXPIRED_TOKEN
                ):
                    token = self._token.expired(token)
                    continue
                return classify(
                    item.delivery_id,
                    response.status_code,
                    text,
                    response.headers.get("retry-after"),
                    datetime.fromtimestamp(self._clock(), UTC),
                    self._max_retry_after,
                )
        raise AssertionError("unreachable")  # pragma: no cover
