"""The contract of broadcast channels: one post per message to the town's own account.

Per-citizen channels (``base.Channel``) send one item per recipient; a broadcast channel posts
once to a Mastodon account, a Telegram channel, a Matrix room or an Apprise target. Like the
per-citizen channels they never touch models: the ``broadcast`` app owns the rows and hands a
``BroadcastItem`` in, a ``Posted`` (or a ``TransportError``) comes back.

Also here, as pure functions: the text each network gets (its length limit, its markup), and
the allow-list check every transport runs before its first request.
"""

from __future__ import annotations

import html
import ipaddress
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from stadtbote.delivery.channels.base import Notice, TransportError

# Seconds: a post is one small request; a hung instance must not hold a worker.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0  # per read
TOTAL_TIMEOUT = 15.0  # the whole exchange
MAX_ANSWER = 1 << 20  # bytes; the APIs answer with a few kB of JSON

MASTODON_LIMIT = 500  # characters, the default of a Mastodon instance
TELEGRAM_LIMIT = 4096  # characters of the message text after entity parsing
MATRIX_LIMIT = 4000  # ours: a room message is read on phones; the URL carries the rest
PLAIN_LIMIT = 1000  # Apprise targets vary (SMS gateways, chat hooks); keep it modest


@dataclass(frozen=True, slots=True)
class BroadcastItem:
    notice: Notice
    # Stable per account x message x kind: a resend after a crash carries the same key, so the
    # network drops the copy (Mastodon ``Idempotency-Key``, Matrix transaction id).
    key: str
    # The remote id of the post this one answers (an update or a withdrawal of that message),
    # so followers see them as one thread.
    reply_to: str | None = None


@dataclass(frozen=True, slots=True)
class Posted:
    remote_id: str
    url: str | None = None  # the public address of the post, where the network has one


class BroadcastChannel(Protocol):
    kind: str

    def post(self, post: BroadcastItem) -> Posted:
        """Publish one post; raises ``TransportError`` (permanent or retryable) on failure."""
        ...

    def close(self) -> None: ...


def http_client() -> httpx.Client:
    """One client per channel: timeouts always set, no redirects (a redirect could lead off
    the allow-list), no proxy from the environment."""
    return httpx.Client(
        timeout=httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT),
        follow_redirects=False,
        trust_env=False,
    )


def request(client: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """A request within ``TOTAL_TIMEOUT`` overall and ``MAX_ANSWER`` bytes of answer.

    httpx's timeouts bound each read, not the whole exchange: a server dripping a byte every
    few seconds would hold the worker for ever. Network failures are retryable
    ``TransportError``s (the instance may be back in a minute); the caller maps statuses.
    """
    deadline = time.monotonic() + TOTAL_TIMEOUT
    try:
        with client.stream(method, url, **kwargs) as streamed:
            body = bytearray()
            for chunk in streamed.iter_bytes():
                body += chunk
                if len(body) > MAX_ANSWER:
                    raise TransportError("the answer is too large")
                if time.monotonic() > deadline:
                    raise TransportError("timed out")
            # iter_bytes() has already decoded gzip or brotli: the copy must not decode again.
            headers = [
                (name, value)
                for name, value in streamed.headers.multi_items()
                if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
            ]
            return httpx.Response(
                streamed.status_code, headers=headers, content=bytes(body), request=streamed.request
            )
    except httpx.TimeoutException:
        raise TransportError("timed out") from None
    except httpx.HTTPError as exc:
        raise TransportError(f"network error: {type(exc).__name__}") from None


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as delta-seconds; HTTP dates are rare from these APIs and then ignored
    (the retry policy's own backoff applies)."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


# --- allow-list ---------------------------------------------------------------------------


class HostNotAllowed(ValueError):
    pass


def check_host(url: str, allowed: Sequence[str]) -> None:
    """Raise ``HostNotAllowed`` unless ``url`` points at an allowed host.

    Entries are "host" (https on port 443) or "host:port" (https; plain http only when the
    host is a loopback address, for test servers). Strict rather than normalising, so the
    check and the HTTP client cannot read a URL differently.
    """
    if not re.fullmatch(r"[\x21-\x7e]{1,2048}", url) or "\\" in url:
        raise HostNotAllowed("the address is too long or contains unusual characters")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise HostNotAllowed(f"scheme {parts.scheme or '(none)'!r} is not allowed, only https")
    if "@" in parts.netloc:
        raise HostNotAllowed("the address must not contain user information")
    try:
        port = parts.port
    except ValueError:
        raise HostNotAllowed("the address has an invalid port") from None
    host = (parts.hostname or "").lower()
    if not host or host.endswith("."):
        raise HostNotAllowed("the address has no valid host")
    check_host_port(host, port, parts.scheme == "https", allowed)


def check_host_port(host: str, port: int | None, secure: bool, allowed: Sequence[str]) -> None:
    host = host.lower()
    for entry in allowed:
        entry_parts = urlsplit("//" + entry.strip().lower())
        try:
            entry_host, entry_port = entry_parts.hostname or "", entry_parts.port
        except ValueError:
            continue
        if host != entry_host:
            continue
        if entry_port is None and secure and port in (None, 443):
            return
        if entry_port is not None and port == entry_port:
            if secure or _is_loopback(host):
                return
            raise HostNotAllowed(f"{host} must be reached over https")
    where = f"{host}:{port}" if port and port != (443 if secure else 80) else host
    raise HostNotAllowed(f"{where} is not on the broadcast allow-list")


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- text -------------------------------------------------------------------------------------

# A plain prefix by severity, in the notice's language: what a follower scanning a timeline
# needs first. Withdrawals and updates already say so in their title (delivery/render.py).
_LABELS = {
    "de": {"minor": "Hinweis", "moderate": "Warnung", "severe": "Unwetterwarnung"}
    | {"extreme": "Extreme Gefahr"},
    "en": {"minor": "Notice", "moderate": "Warning", "severe": "Severe warning"}
    | {"extreme": "Extreme danger"},
}


def severity_label(notice: Notice) -> str:
    """ "" for plain news (info) and for withdrawals: an all-clear must not read as an alarm."""
    if notice.kind == "withdrawal":
        return ""
    labels = _LABELS.get(notice.language, _LABELS["en"])
    return labels.get(notice.severity, "")


def _headline(notice: Notice) -> str:
    label = severity_label(notice)
    return f"{label}: {notice.title}" if label else notice.title


def shorten(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, cut at a word where possible, with "…"."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return "…"[:limit]
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def _fit(head: str, body: str, url: str, limit: int, sep: str = "\n\n") -> tuple[str, str]:
    """(head, body) shortened so that head + body + url fit ``limit``; the URL is never cut
    (it is where the full text is), the body goes first, then the head."""
    room = limit - len(url) - len(sep)
    head = shorten(head, max(1, room))
    room -= len(head)
    body = shorten(body, room - len(sep)) if body and room - len(sep) > 1 else ""
    return head, body


def _join(*parts: str, sep: str = "\n\n") -> str:
    return sep.join(p for p in parts if p)


def mastodon_text(notice: Notice, limit: int = MASTODON_LIMIT) -> str:
    """Plain text (Mastodon links URLs itself). Mastodon counts any URL as 23 characters, but
    counting it in full is simpler and never over the limit."""
    head, body = _fit(_headline(notice), notice.body, notice.url, limit)
    return _join(head, body, notice.url)


def plain_text(notice: Notice, limit: int = PLAIN_LIMIT) -> tuple[str, str]:
    """(title, body) for Apprise: the headline as the title, the URL ends the body."""
    title = shorten(_headline(notice), 250)
    _, body = _fit("", notice.body, notice.url, limit)
    return title, _join(body, notice.url)


def telegram_html(notice: Notice, limit: int = TELEGRAM_LIMIT) -> str:
    """Telegram HTML parse mode: the headline bold, text escaped (&, <, >; quotes only inside
    the href). Shortened before escaping, and the limit counts characters after parsing, so
    the escapes do not count against it."""
    head, body = _fit(_headline(notice), notice.body, notice.url, limit)
    url = notice.url
    link = f'<a href="{html.escape(url, quote=True)}">{html.escape(url, quote=False)}</a>'
    return _join(f"<b>{html.escape(head, quote=False)}</b>", html.escape(body, quote=False), link)


def matrix_content(notice: Notice, limit: int = MATRIX_LIMIT) -> dict[str, str]:
    """An ``m.text`` event: plain ``body`` for every client, ``formatted_body`` in the
    org.matrix.custom.html format for those that render it."""
    head, body = _fit(_headline(notice), notice.body, notice.url, limit)
    url = notice.url
    paragraphs = "".join(
        f"<p>{html.escape(p, quote=False)}</p>" for p in body.split("\n\n") if p.strip()
    )
    formatted = (
        f"<p><strong>{html.escape(head, quote=False)}</strong></p>{paragraphs}"
        f'<p><a href="{html.escape(url, quote=True)}">{html.escape(url, quote=False)}</a></p>'
    )
    return {
        "msgtype": "m.text",
        "body": _join(head, body, url),
        "format": "org.matrix.custom.html",
        "formatted_body": formatted,
    }
