"""The FCM channel: one ``messages:send`` POST per registration token, many in flight.

``send()`` is synchronous (the engine runs in worker threads); the channel keeps its event loop
and one aiohttp session across calls (``loop.py``); do not call it from inside a running loop. Within a
call at most ``concurrency`` requests are in flight and every request has a timeout.

Access tokens come from the service account (``oauth.py``) and are shared per process. A 401
from FCM drops the token, fetches a new one and retries that message once. The transport never
retries otherwise: it reports what happened; the engine owns backoff and bookkeeping.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp

from ..base import Outcome, Outgoing
from ..loop import LoopChannel
from ..webpush.responses import MAX_RETRY_AFTER
from .message import fcm_message, token_problem
from .oauth import (
    GRANT_TYPE,
    AccessToken,
    ServiceAccount,
    TokenError,
    assertion,
    cached_token,
    forget_token,
    parse_token_response,
    store_token,
)
from .responses import classify_response, is_auth_failure

DEFAULT_ENDPOINT = "https://fcm.googleapis.com"
DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"  # noqa: S105 (a URL, not a secret)
# Google project ids: 6-30 characters, lowercase letters, digits and hyphens.
_PROJECT_RE = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_MAX_RESPONSE_READ = 4096


def _check_url(url: str, what: str) -> str:
    """https anywhere; plain http only to a loopback address (the local test server)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return url.rstrip("/")
    if parts.scheme == "http" and host:
        try:
            if ipaddress.ip_address(host).is_loopback:
                return url.rstrip("/")
        except ValueError:
            pass
    raise ValueError(f"{what} must be an https URL (plain http only on loopback), got {url!r}")


class _Batch:
    """State of one ``send()`` call: the session and the token shared by its requests."""

    def __init__(self, session: aiohttp.ClientSession, concurrency: int):
        self.session = session
        self.slots = asyncio.Semaphore(concurrency)
        self.token_lock = asyncio.Lock()
        self.token: AccessToken | None = None
        # A token failure is remembered for the batch: 50,000 messages must not mean 50,000
        # requests to a token endpoint that is down or refuses our credentials.
        self.token_failure: str | None = None


class FcmChannel(LoopChannel):
    kind = "fcm"

    def __init__(
        self,
        project_id: str,
        service_account: str | Mapping[str, Any],
        *,
        endpoint: str = DEFAULT_ENDPOINT,
        token_url: str = DEFAULT_TOKEN_URL,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        concurrency: int = 50,
        max_retry_after: float = MAX_RETRY_AFTER,
        user_agent: str = "Stadtbote-FCM/1",
        clock: Callable[[], float] = time.time,
    ):
        if not _PROJECT_RE.match(project_id):
            raise ValueError(f"not a Firebase project id: {project_id!r}")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        # Configuration errors (bad key file, URLs) surface here, before any batch.
        self._account = ServiceAccount.load(service_account)
        self._project_id = project_id
        self._endpoint = _check_url(endpoint, "endpoint")
        self._token_url = _check_url(token_url, "token_url")
        self._send_url = f"{self._endpoint}/v1/projects/{quote(project_id)}/messages:send"
        self._cache_key = (self._account.client_email, self._token_url)
        self._timeout = aiohttp.ClientTimeout(total=timeout, connect=min(connect_timeout, timeout))
        self._timeout_seconds = timeout
        self._concurrency = concurrency
        self._max_retry_after = max_retry_after
        self._user_agent = user_agent
        self._clock = clock
        self._start_loop()
        self._session: aiohttp.ClientSession | None = None

    @property
    def project_id(self) -> str:
        return self._project_id

    def _release(self) -> Callable[[], Awaitable[None]] | None:
        session, self._session = self._session, None
        return session.close if session is not None else None

    def _ensure_session(self) -> aiohttp.ClientSession:
        # Kept across send() calls (a worker sends a batch in chunks): one set of connections
        # to FCM per channel, not a TLS handshake per chunk.
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._concurrency, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                headers={"User-Agent": self._user_agent},
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
            )
        return self._session

    async def _send_all(self, items: Sequence[Outgoing]) -> list[Outcome]:
        batch = _Batch(self._ensure_session(), self._concurrency)
        now = datetime.fromtimestamp(self._clock(), UTC)
        results = await asyncio.gather(
            *(self._send_one(batch, item, now) for item in items), return_exceptions=True
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

    async def _send_one(self, batch: _Batch, item: Outgoing, now: datetime) -> Outcome:
        problem = token_problem(item.address)
        if problem is not None:
            return Outcome(item.delivery_id, "gone", problem)
        try:
            body = json.dumps(
                fcm_message(item.address, item.notice, now, item.extra.get("receipt")),
                ensure_ascii=False,
            ).encode("utf-8")
        except ValueError as exc:
            return Outcome(item.delivery_id, "failed", f"payload too large: {exc}"[:200])

        async with batch.slots:
            try:
                for attempt in (1, 2):
                    try:
                        token = await self._access_token(batch)
                    except TokenError as exc:
                        return Outcome(item.delivery_id, "retry", f"oauth: {exc}"[:200])
                    status, text, retry_after = await self._post(batch.session, body, token)
                    if attempt == 1 and is_auth_failure(status, text):
                        await self._invalidate(batch, token)
                        continue
                    return classify_response(
                        item.delivery_id,
                        status,
                        text,
                        retry_after,
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
        raise AssertionError("unreachable")  # pragma: no cover

    async def _post(
        self, session: aiohttp.ClientSession, body: bytes, token: AccessToken
    ) -> tuple[int, bytes, str | None]:
        headers = {
            "Authorization": f"Bearer {token.value}",
            "Content-Type": "application/json; charset=UTF-8",
        }
        async with session.post(
            self._send_url, data=body, headers=headers, allow_redirects=False
        ) as response:
            text = await _read_capped(response, _MAX_RESPONSE_READ)
            return response.status, text, response.headers.get("Retry-After")

    async def _access_token(self, batch: _Batch) -> AccessToken:
        now = self._clock()
        if batch.token is not None and now < batch.token.refresh_at:
            return batch.token
        async with batch.token_lock:
            # Another request of this batch may have fetched one while we waited.
            now = self._clock()
            if batch.token is not None and now < batch.token.refresh_at:
                return batch.token
            if batch.token_failure is not None:
                raise TokenError(batch.token_failure)
            token = cached_token(self._cache_key, now)
            if token is None:
                try:
                    token = await self._fetch_token(batch.session)
                except TokenError as exc:
                    batch.token_failure = str(exc)
                    raise
                store_token(self._cache_key, token)
            batch.token = token
            return token

    async def _invalidate(self, batch: _Batch, token: AccessToken) -> None:
        async with batch.token_lock:
            forget_token(self._cache_key, token.value)
            if batch.token is not None and batch.token.value == token.value:
                batch.token = None

    async def _fetch_token(self, session: aiohttp.ClientSession) -> AccessToken:
        now = self._clock()
        form = {
            "grant_type": GRANT_TYPE,
            "assertion": assertion(self._account, self._token_url, int(now)),
        }
        try:
            async with session.post(self._token_url, data=form, allow_redirects=False) as response:
                text = await _read_capped(response, _MAX_RESPONSE_READ)
                return parse_token_response(response.status, text, self._clock())
        except TimeoutError:
            raise TokenError(f"token endpoint timeout after {self._timeout_seconds:g}s") from None
        except aiohttp.ClientError as exc:
            raise TokenError(f"token endpoint: {type(exc).__name__}: {exc}") from None


async def _read_capped(response: aiohttp.ClientResponse, cap: int) -> bytes:
    """Read the body up to ``cap`` bytes (reading to EOF lets the connection be reused)."""
    data = b""
    while len(data) < cap:
        chunk = await response.content.read(cap - len(data))
        if not chunk:
            break
        data += chunk
    return data
