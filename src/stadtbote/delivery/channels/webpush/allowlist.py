"""SSRF defence: only POST to push services we know.

A subscription endpoint is a URL supplied by whoever called the subscribe API, and the server
POSTs to it. Without a check, anyone could make Stadtbote send requests into the town hall's
internal network. So endpoints must point at one of the browser vendors' push services, or at a
host the operator listed explicitly (self-hosted or test push services).

The check is deliberately strict about syntax: anything a browser would never hand out (userinfo,
fragments, trailing dots, non-ASCII, odd ports, numeric hosts) is rejected rather than normalised,
so there is no room for parser differentials between this check and the HTTP client.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_ENDPOINT_LENGTH = 2048

DEFAULT_HOSTS = frozenset(
    {
        "fcm.googleapis.com",  # Chrome, Edge (Chromium), Android
        "updates.push.services.mozilla.com",  # Firefox
        "push.services.mozilla.com",
        "web.push.apple.com",  # Safari
    }
)
# Wildcards cover per-region/per-shard hosts, e.g. api.push.apple.com, wns2-db5p.notify.windows.com.
DEFAULT_SUFFIXES = (".push.apple.com", ".notify.windows.com")

_HOST_RE = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"
)
# WHATWG URL parsing (and inet_aton) reads "127.1", "2130706433" or "0x7f.1" as IPv4 addresses.
_NUMERIC_LABEL_RE = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_SAFE_URL_CHARS = re.compile(r"^[\x21-\x7e]+$")


class EndpointNotAllowed(ValueError):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class _Extra:
    host: str
    port: int | None  # None: default https port only
    plain_http: bool  # loopback host:port entries, for tests and benchmarks


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _parse_extra(entry: str) -> _Extra:
    entry = entry.strip().lower()
    if not entry or not _SAFE_URL_CHARS.match(entry) or any(c in entry for c in "/@?#\\"):
        raise ValueError(f"invalid push host entry {entry!r}: expected host or host:port")
    parts = urlsplit(f"//{entry}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"invalid port in push host entry {entry!r}") from None
    host = parts.hostname or ""
    if not (_is_ip(host) or _HOST_RE.match(host)):
        raise ValueError(f"invalid host in push host entry {entry!r}")
    loopback = _is_ip(host) and ipaddress.ip_address(host).is_loopback
    return _Extra(host=host, port=port, plain_http=loopback and port is not None)


class Allowlist:
    """Parsed once per channel; ``check`` runs for every message, so it stays cheap."""

    def __init__(self, extra_hosts: Sequence[str] = ()):
        if isinstance(extra_hosts, str):
            raise TypeError("extra_hosts must be a sequence of host entries, not a string")
        self._extra = tuple(_parse_extra(e) for e in extra_hosts)

    def check(self, url: str) -> None:
        """Raise ``EndpointNotAllowed`` unless ``url`` is an acceptable push endpoint."""
        if len(url) > MAX_ENDPOINT_LENGTH:
            raise EndpointNotAllowed(f"endpoint longer than {MAX_ENDPOINT_LENGTH} characters")
        if not _SAFE_URL_CHARS.match(url) or "\\" in url:
            raise EndpointNotAllowed(
                "endpoint contains whitespace, control or non-ASCII characters"
            )
        parts = urlsplit(url)
        scheme = parts.scheme
        if scheme not in ("https", "http"):
            raise EndpointNotAllowed(f"scheme {scheme or '(none)'!r} not allowed")
        if "@" in parts.netloc:
            raise EndpointNotAllowed("endpoint must not contain user information")
        if parts.fragment or url.endswith("#"):
            raise EndpointNotAllowed("endpoint must not contain a fragment")
        try:
            port = parts.port
        except ValueError:
            raise EndpointNotAllowed("endpoint has an invalid port") from None
        host = parts.hostname or ""
        if not host:
            raise EndpointNotAllowed("endpoint has no host")
        if host.endswith("."):
            raise EndpointNotAllowed("endpoint host must not end with a dot")

        for extra in self._extra:
            if host != extra.host:
                continue
            if extra.port is None and scheme == "https" and port in (None, 443):
                return
            if port is not None and port == extra.port and (scheme == "https" or extra.plain_http):
                return
        if _is_ip(host) or _NUMERIC_LABEL_RE.match(host.rsplit(".", 1)[-1]):
            raise EndpointNotAllowed(f"IP address {host} is not an allowed push service")
        if not _HOST_RE.match(host):
            raise EndpointNotAllowed("endpoint host is not a valid hostname")
        if host in DEFAULT_HOSTS or host.endswith(DEFAULT_SUFFIXES):
            if scheme != "https":
                raise EndpointNotAllowed("push services must be reached over https")
            if port not in (None, 443):
                raise EndpointNotAllowed(f"port {port} not allowed for {host}")
            return
        raise EndpointNotAllowed(f"host {host} is not an allowed push service")


def check_endpoint(url: str, extra_hosts: Sequence[str] = ()) -> None:
    """Raise ``EndpointNotAllowed`` unless ``url`` may receive Web Push requests.

    ``extra_hosts`` entries are ``host`` (https on 443) or ``host:port`` (https on that port);
    a loopback IP with a port, e.g. ``127.0.0.1:8765``, additionally allows plain http there.
    """
    Allowlist(extra_hosts).check(url)
