"""Fetching official-warning feeds over HTTPS: only from allow-listed hosts, never more than
asked for, and with the answers a poller needs (304, transient or permanent failure).

A source's URL is typed in by a town's admin, and feeds link onwards (Atom entries, redirects);
without a check the worker would fetch whatever they point at, including the town hall's
internal network. So every URL, and every redirect target, must be https on a host of
``settings.CAP_ALLOWED_HOSTS`` before a request is made. Plain http is allowed only to a
loopback address with a port listed explicitly (the tests' local servers).

Synchronous on the outside (tasks run in plain worker threads), aiohttp inside. A ``Client``
holds one event loop and one session for one poll, so the dashboard and its warnings share
connections; ``fetch()`` is the one-call form.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from urllib.parse import urljoin, urlsplit

import aiohttp
from django.conf import settings

from stadtbote.delivery.channels.webpush.responses import parse_retry_after

MAX_REDIRECTS = 3
MAX_URL_LENGTH = 2048
# A server asking to be left alone for longer than the longest backoff is not believed.
MAX_RETRY_AFTER = 3600.0
USER_AGENT = "Stadtbote/1 (official warning relay)"
REDIRECTS = (301, 302, 303, 307, 308)
_SAFE_URL = re.compile(r"^[\x21-\x7e]+$")


class FetchError(Exception):
    """The fetch failed. ``permanent``: asking again soon will not help (4xx, refused, too
    large); otherwise it may (timeout, 5xx, 429), after ``retry_after`` seconds if given."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.permanent = permanent
        self.status = status
        self.retry_after = retry_after


class NotAllowed(FetchError):
    """The URL is not on the allow-list (or not https); nothing was requested."""

    def __init__(self, message: str):
        super().__init__(message, permanent=True)


@dataclass(frozen=True)
class Fetched:
    status: int  # 200 (or another 2xx) with a body, 304 without
    body: bytes
    etag: str
    last_modified: str
    url: str = ""  # where the body came from after redirects: the base of relative links


def check_url(url: str, allowed: Sequence[str]) -> None:
    """Raise ``NotAllowed`` unless ``url`` may be fetched. Strict rather than normalising, so
    this check and aiohttp cannot read a URL differently (userinfo, odd ports, whitespace)."""
    if len(url) > MAX_URL_LENGTH or not _SAFE_URL.match(url) or "\\" in url:
        raise NotAllowed("URL is too long or contains whitespace or non-ASCII characters")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise NotAllowed(f"scheme {parts.scheme or '(none)'!r} is not allowed, only https")
    if "@" in parts.netloc:
        raise NotAllowed("URL must not contain user information")
    try:
        port = parts.port
    except ValueError:
        raise NotAllowed("URL has an invalid port") from None
    host = parts.hostname or ""
    if not host or host.endswith("."):
        raise NotAllowed("URL has no valid host")
    for entry in allowed:
        entry_host, entry_port = _entry(entry)
        if host != entry_host:
            continue
        if entry_port is None and parts.scheme == "https" and port in (None, 443):
            return
        if entry_port is not None and port == entry_port:
            if parts.scheme == "https" or _is_loopback(host):
                return
            raise NotAllowed(f"{host} must be reached over https")
    raise NotAllowed(f"{host}{f':{port}' if port else ''} is not on the CAP allow-list")


def _entry(entry: str) -> tuple[str, int | None]:
    parts = urlsplit("//" + entry.strip().lower())
    try:
        return parts.hostname or "", parts.port
    except ValueError:
        return "", None  # config.parse_hosts let it through; it matches nothing


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Client:
    """One event loop and aiohttp session, for the fetches of one poll. Not thread-safe; do
    not use it from inside a running event loop."""

    def __init__(self, *, timeout_s: float = 10, allowed: Sequence[str] | None = None):
        self._allowed = tuple(settings.CAP_ALLOWED_HOSTS if allowed is None else allowed)
        self._timeout_s = timeout_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session: aiohttp.ClientSession | None = None

    def fetch(
        self,
        url: str,
        *,
        etag: str = "",
        last_modified: str = "",
        max_bytes: int,
        timeout_s: float | None = None,
    ) -> Fetched:
        check_url(url, self._allowed)  # before anything touches the network
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise RuntimeError("Client.fetch() blocks; call it outside an event loop")
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        wait = self._timeout_s if timeout_s is None else timeout_s
        return self._loop.run_until_complete(self._fetch(url, etag, last_modified, max_bytes, wait))

    def close(self) -> None:
        loop, self._loop = self._loop, None
        if loop is None:
            return
        try:
            if self._session is not None:
                loop.run_until_complete(self._session.close())
                loop.run_until_complete(asyncio.sleep(0))  # let transports say goodbye
            loop.run_until_complete(loop.shutdown_default_executor())  # aiohttp's DNS threads
        finally:
            self._session = None
            loop.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=10, ttl_dns_cache=300),
                headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
                # We inflate ourselves, within max_bytes: a small gzip body must not grow
                # into gigabytes in memory.
                auto_decompress=False,
            )
        return self._session

    async def _fetch(
        self, url: str, etag: str, last_modified: str, max_bytes: int, timeout_s: float
    ) -> Fetched:
        session = self._ensure_session()
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        # Connecting and every pause in the body are bounded by timeout_s; the whole transfer
        # by a multiple, so a server trickling bytes cannot hold a worker indefinitely.
        timeout = aiohttp.ClientTimeout(
            total=timeout_s * 6, sock_connect=timeout_s, sock_read=timeout_s
        )
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            host = urlsplit(current).netloc
            try:
                async with session.get(
                    current, headers=headers, allow_redirects=False, timeout=timeout
                ) as response:
                    if response.status not in REDIRECTS:
                        return await _answer(response, current, etag, last_modified, max_bytes)
                    current = _redirect_target(response, current, self._allowed)
            except TimeoutError:
                raise FetchError(f"{host}: timed out", permanent=False) from None
            except aiohttp.ClientError as exc:
                raise FetchError(f"{host}: {type(exc).__name__}", permanent=False) from None
        raise FetchError(f"more than {MAX_REDIRECTS} redirects", permanent=True)


def fetch(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    max_bytes: int,
    timeout_s: float = 10,
) -> Fetched:
    """GET ``url`` once (see ``Client``); conditional when ``etag``/``last_modified`` are given."""
    with Client(timeout_s=timeout_s) as client:
        return client.fetch(url, etag=etag, last_modified=last_modified, max_bytes=max_bytes)


def _redirect_target(response: aiohttp.ClientResponse, current: str, allowed: Sequence[str]) -> str:
    location = response.headers.get("Location", "")
    if not location:
        raise FetchError(f"HTTP {response.status} without a Location", permanent=True)
    target = urljoin(current, location)
    try:
        check_url(target, allowed)
    except NotAllowed as exc:
        raise NotAllowed(f"redirect refused: {exc}") from None
    return target


async def _answer(
    response: aiohttp.ClientResponse, url: str, etag: str, last_modified: str, max_bytes: int
) -> Fetched:
    status = response.status
    host = urlsplit(url).netloc
    new_etag = response.headers.get("ETag", "")[:300]
    new_modified = response.headers.get("Last-Modified", "")[:100]
    if status == 304:
        return Fetched(304, b"", new_etag or etag, new_modified or last_modified, url)
    if 200 <= status < 300:
        body = await _read(response, host, max_bytes)
        return Fetched(status, body, new_etag, new_modified, url)
    if status == 429 or status >= 500:
        wait = None
        if status in (429, 503):
            header = response.headers.get("Retry-After")
            wait = parse_retry_after(header, datetime.now(UTC), MAX_RETRY_AFTER)
        raise FetchError(
            f"HTTP {status} from {host}", permanent=False, status=status, retry_after=wait
        )
    raise FetchError(f"HTTP {status} from {host}", permanent=True, status=status)


async def _read(response: aiohttp.ClientResponse, host: str, max_bytes: int) -> bytes:
    too_large = FetchError(f"{host}: answer larger than {max_bytes} bytes", permanent=True)
    if (response.content_length or 0) > max_bytes:
        raise too_large  # refused before a byte of it is read
    chunks, size = [], 0
    while True:
        chunk = await response.content.read(64 * 1024)
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        chunks.append(chunk)
    body = b"".join(chunks)
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding in ("gzip", "x-gzip", "deflate"):
        return _inflate(body, max_bytes, too_large)
    raise FetchError(f"{host}: unsupported Content-Encoding {encoding!r}", permanent=True)


def _inflate(data: bytes, max_bytes: int, too_large: FetchError) -> bytes:
    """gzip or zlib (or raw deflate, which some servers send as "deflate"), never more than
    ``max_bytes`` out however small the input."""
    for wbits in (47, -15):  # 47: gzip or zlib header, detected; -15: no header
        inflater = zlib.decompressobj(wbits)
        try:
            out = inflater.decompress(data, max_bytes + 1)
        except zlib.error:
            continue
        if len(out) > max_bytes or inflater.unconsumed_tail:
            raise too_large
        return out
    raise FetchError("compressed answer is corrupt", permanent=True)
