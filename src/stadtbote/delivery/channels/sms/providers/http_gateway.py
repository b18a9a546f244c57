"""A Kannel-style HTTP SMS gateway (``/cgi-bin/sendsms``), the lowest common denominator of SMS
HTTP APIs: Kannel, PlaySMS, jasmin and many operators' gateways speak it.

One GET per message with username, password, from, to, text, charset=UTF-8, coding (0 GSM,
2 UCS-2), dlr-mask and dlr-url; at most ``concurrency`` in flight, each with a timeout, no
redirects. Kannel answers "0: Accepted for delivery" or "3: Queued for later delivery" without
an id, so we make one per message and put it into the dlr-url: the receipt callback (the engine's
endpoint, parsed by ``parse_dlr``) names the message with it.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

import aiohttp

from ...webpush.responses import parse_retry_after
from ..encoding import plan
from .base import Receipt, ReceiptStatus, SmsOut, SubmitResult, accepted, failed

CODING = {"gsm7": "0", "ucs2": "2"}
# delivered | failed | buffered | smsc submit | smsc reject: everything Kannel can tell.
DLR_MASK = 31
_DLR_TYPES: dict[int, ReceiptStatus] = {
    1: "delivered",
    2: "failed",
    4: "buffered",
    8: "accepted",
    16: "rejected",
}
_MAX_BODY = 1024
_ACCEPTED_PREFIXES = ("0:", "3:")


def check_gateway_url(url: str, allowed_http_hosts: Sequence[str] = ()) -> str:
    """https anywhere; plain http only to hosts (``host`` or ``host:port``) listed explicitly,
    e.g. a gateway on the same private network or the test server. Returns the URL."""
    if isinstance(allowed_http_hosts, str):
        raise TypeError("allowed_http_hosts must be a sequence of host entries, not a string")
    if not url.isascii() or any(c.isspace() or ord(c) < 0x21 for c in url) or "\\" in url:
        raise ValueError("gateway URL contains whitespace, control or non-ASCII characters")
    parts = urlsplit(url)
    if "@" in parts.netloc or parts.fragment or parts.query:
        raise ValueError("gateway URL must not contain user information, a query or fragment")
    host = (parts.hostname or "").lower()
    if not host or host.endswith("."):
        raise ValueError(f"gateway URL has no valid host: {url!r}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"gateway URL has an invalid port: {url!r}") from None
    if parts.scheme == "https":
        return url
    allowed = {entry.strip().lower() for entry in allowed_http_hosts}
    if parts.scheme == "http" and (host in allowed or f"{host}:{port}" in allowed):
        return url
    raise ValueError(f"gateway URL must be https (plain http only for listed hosts): {url!r}")


def parse_dlr(query: Mapping[str, str]) -> Receipt:
    """The receipt in a dlr-url callback: our ``id``, Kannel's ``type`` (%d), optionally ``at``
    (%T, unix time), ``smsc_id`` (%F, the SMSC's id) and ``answer`` (%A, its raw text)."""
    message_id = (query.get("id") or "").strip()
    if not message_id or len(message_id) > 64:
        raise ValueError("a delivery report needs the message id we put into the dlr-url")
    try:
        status = _DLR_TYPES[int(query.get("type", ""))]
    except (KeyError, ValueError):
        raise ValueError(f"unknown Kannel dlr type {query.get('type')!r}") from None
    at: float | None = None
    if (query.get("at") or "").isdigit():
        at = float(query["at"])
    extra = {key: query[key][:200] for key in ("smsc_id", "answer") if query.get(key)}
    return Receipt(message_id=message_id, status=status, at=at, extra=extra)


class HttpGatewayProvider:
    def __init__(
        self,
        url: str,
        *,
        username: str,
        password: str,
        sender: str,
        dlr_url: str = "",
        name: str = "http",
        allowed_http_hosts: Sequence[str] = (),
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        concurrency: int = 20,
        max_retry_after: float = 3600.0,
        id_factory: Callable[[], str] = lambda: secrets.token_hex(8),
        clock: Callable[[], float] = time.time,
    ):
        """``dlr_url`` is the engine's receipt endpoint with ``{id}`` where our message id goes,
        e.g. ``https://stadtbote.example/sms/dlr?id={id}&type=%d&at=%T``."""
        if concurrency < 1 or timeout <= 0:
            raise ValueError("concurrency and timeout must be positive")
        if dlr_url and "{id}" not in dlr_url:
            raise ValueError("dlr_url must contain {id}")
        self.name = name
        self._url = check_gateway_url(url, allowed_http_hosts)
        self._auth = {"username": username, "password": password, "from": sender}
        self._dlr_url = dlr_url
        self._timeout = aiohttp.ClientTimeout(total=timeout, connect=min(connect_timeout, timeout))
        self._timeout_seconds = timeout
        self._concurrency = concurrency
        self._max_retry_after = max_retry_after
        self._new_id = id_factory
        self._clock = clock

    def submit(self, messages: Sequence[SmsOut]) -> list[SubmitResult]:
        if not messages:
            return []
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self._submit_all(messages))
        raise RuntimeError("HttpGatewayProvider.submit() is blocking; call it outside a loop")

    def receipts(self) -> list[Receipt]:
        # Kannel pushes receipts to the dlr-url; the engine's endpoint reads them (parse_dlr).
        return []

    def close(self) -> None:
        pass  # sessions live for one submit() call

    async def _submit_all(self, messages: Sequence[SmsOut]) -> list[SubmitResult]:
        slots = asyncio.Semaphore(self._concurrency)
        connector = aiohttp.TCPConnector(limit=self._concurrency)
        async with aiohttp.ClientSession(
            connector=connector,
            timeout=self._timeout,
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
        ) as session:
            results = await asyncio.gather(
                *(self._submit_one(session, slots, message) for message in messages),
                return_exceptions=True,
            )
        return [
            result
            if isinstance(result, SubmitResult)
            else failed(message.reference, f"unexpected {type(result).__name__}: {result}")
            for message, result in zip(messages, results, strict=True)
        ]

    async def _submit_one(
        self, session: aiohttp.ClientSession, slots: asyncio.Semaphore, message: SmsOut
    ) -> SubmitResult:
        message_id = self._new_id()
        sms = plan(message.text)
        params = {
            **self._auth,
            "to": message.to,
            "text": message.text,
            "charset": "UTF-8",
            "coding": CODING[sms.encoding],
            "dlr-mask": str(DLR_MASK) if self._dlr_url else "0",
        }
        if self._dlr_url:
            params["dlr-url"] = self._dlr_url.replace("{id}", quote(message_id, safe=""))
        async with slots:
            try:
                async with session.get(self._url, params=params, allow_redirects=False) as resp:
                    body = (await resp.content.read(_MAX_BODY)).decode("utf-8", "replace")
                    status, retry_after = resp.status, resp.headers.get("Retry-After")
            except TimeoutError:
                reason = f"timeout after {self._timeout_seconds:g}s"
                return failed(message.reference, reason, provider_failure=True)
            except aiohttp.ClientResponseError as exc:
                # Never str(exc): it holds the request URL, with the gateway's password and the
                # citizen's number and text in its query.
                reason = f"{type(exc).__name__}: HTTP {exc.status} {exc.message}"[:200]
                return failed(message.reference, reason, provider_failure=True)
            except aiohttp.ClientError as exc:
                reason = f"{type(exc).__name__}: {_without_query(str(exc))}"[:200]
                return failed(message.reference, reason, provider_failure=True)
        return self._classify(message, message_id, sms.segments, status, body, retry_after)

    def _classify(
        self,
        message: SmsOut,
        message_id: str,
        segments: int,
        status: int,
        body: str,
        retry_after_header: str | None,
    ) -> SubmitResult:
        text = " ".join(body.split())[:120]
        if 200 <= status < 300 and text.startswith(_ACCEPTED_PREFIXES):
            return accepted(message.reference, message_id, segments=segments)
        reason = f"HTTP {status}: {text}" if text else f"HTTP {status}"
        now = datetime.fromtimestamp(self._clock(), UTC)
        retry_after = parse_retry_after(retry_after_header, now, self._max_retry_after)
        if status in (401, 403, 407, 429) or status >= 500 or 200 <= status < 300:
            # Credentials, quota and outages are the gateway's, not the message's: another
            # provider may take it now. A 2xx without "0:"/"3:" is a gateway we do not understand.
            return failed(message.reference, reason, provider_failure=True, retry_after=retry_after)
        if 400 <= status < 500:
            return failed(message.reference, reason, permanent=True)
        return failed(message.reference, reason, provider_failure=True)


_QUERY = re.compile(r"\?[^\s'\"]*")


def _without_query(text: str) -> str:
    """An error text with any URL query cut off (it would carry credentials)."""
    return _QUERY.sub("?…", text)
