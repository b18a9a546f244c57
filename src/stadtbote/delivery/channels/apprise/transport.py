"""Notify through the ``apprise`` library, after checking every target against the allow-list.

An Apprise URL names the service and, for self-hosted ones, the host Stadtbote will call. The
URL comes from the operator's environment, but it is still checked before anything is sent:
only schemes listed here are accepted, and the host each one reaches (the host in the URL, or
the service's fixed API host) must be on the broadcast allow-list. Redirects are switched
off and certificates are always verified, whatever the URL's own parameters say.

Apprise answers only "worked" or "did not": a failure is reported as retryable, and the
``broadcast`` app gives up after a few attempts.
"""

from __future__ import annotations

from collections.abc import Sequence

import apprise
from apprise.utils.parse import parse_urls

from stadtbote.delivery.channels.base import TransportError
from stadtbote.delivery.channels.broadcast import (
    CONNECT_TIMEOUT,
    PLAIN_LIMIT,
    READ_TIMEOUT,
    TOTAL_TIMEOUT,
    BroadcastItem,
    HostNotAllowed,
    Posted,
    check_host_port,
    plain_text,
)

# Schemes whose URL host is the host called (generic webhooks and self-hosted services).
HOST_IN_URL = frozenset(
    {"json", "jsons", "form", "forms", "xml", "xmls", "ntfy", "ntfys", "gotify", "gotifys"}
    | {"mmost", "mmosts", "rocket", "rockets", "apprise", "apprises"}
)
# Services with one fixed API host; their URL's "host" is a token or an id.
FIXED_HOST = {"tgram": "api.telegram.org", "discord": "discord.com"}

_SEVERITY_TYPE = {"extreme": "failure", "severe": "failure", "moderate": "warning"}


def check_urls(value: str, allowed: Sequence[str]) -> list[apprise.NotifyBase]:
    """The Apprise services ``value`` (one or more URLs) names, each checked; raises
    ``HostNotAllowed`` naming the scheme or host, never the URL (it holds credentials)."""
    urls = parse_urls(value)
    if not urls:
        raise HostNotAllowed("no Apprise URL given")
    services: list[apprise.NotifyBase] = []
    for url in urls:
        scheme = url.split("://", 1)[0].lower() if "://" in url else ""
        if scheme not in HOST_IN_URL and scheme not in FIXED_HOST:
            raise HostNotAllowed(f"Apprise scheme {scheme or '(none)'!r} is not supported")
        service = apprise.Apprise.instantiate(url)
        if service is None:
            raise HostNotAllowed(f"an Apprise {scheme}:// URL is malformed")
        if scheme in FIXED_HOST:
            check_host_port(FIXED_HOST[scheme], None, True, allowed)
        else:
            host = str(getattr(service, "host", "") or "")
            port = getattr(service, "port", None)
            secure = bool(getattr(service, "secure", False))
            if not host:
                raise HostNotAllowed(f"an Apprise {scheme}:// URL has no host")
            port = int(port) if port else (443 if secure else 80)
            check_host_port(host, port, secure, allowed)
        # Whatever the URL asks for: no redirect off the allow-list, no unverified TLS, and
        # bounded waits.
        service.redirects = False
        service.verify_certificate = True
        service.socket_connect_timeout = CONNECT_TIMEOUT
        service.socket_read_timeout = READ_TIMEOUT
        services.append(service)
    return services


class AppriseChannel:
    kind = "apprise"

    def __init__(self, urls: str, *, allowed_hosts: Sequence[str], limit: int = PLAIN_LIMIT):
        self._urls = urls
        self._allowed = tuple(allowed_hosts)
        self._limit = limit

    def post(self, post: BroadcastItem) -> Posted:
        try:
            services = check_urls(self._urls, self._allowed)
        except HostNotAllowed as exc:
            raise TransportError(str(exc), permanent=True) from None
        notifier = apprise.Apprise(services)
        title, body = plain_text(post.notice, self._limit)
        notify_type = _SEVERITY_TYPE.get(post.notice.severity, "info")
        if post.notice.kind == "withdrawal":
            notify_type = "info"
        result = notifier.notify(
            body=body,
            title=title,
            notify_type=notify_type,
            body_format="text",
            # Above the services' own timeouts: a stuck one is abandoned, not waited for.
            timeout=TOTAL_TIMEOUT * 2,
        )
        if not result:
            raise TransportError(f"Apprise could not notify all of {len(services)} service(s)")
        # Apprise gives no id back: nothing to reply to later.
        return Posted(remote_id="")

    def close(self) -> None:
        pass
