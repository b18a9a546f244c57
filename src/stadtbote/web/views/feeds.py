"""News feeds of the town's messages: Atom and RSS 2.0, for the town and for each topic.

Thin: ``web.syndication`` picks the entries and builds the documents. A feed is the same for
everyone who asks for the same language (``?lang=``, default the town's language; no cookie,
no Accept-Language), so shared caches may keep it for a minute. Feed readers poll: the ETag is
a hash of the bytes, which the builder keeps deterministic, and Last-Modified the newest
change, so a conditional poll gets a 304 until something visible changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from stadtbote.core.microcache import MicroCache
from stadtbote.tenants.models import Municipality, Topic
from stadtbote.web import syndication
from stadtbote.web.common import tenant_or_404

CONTENT_TYPES = {
    "atom": "application/atom+xml; charset=utf-8",
    "rss": "application/rss+xml; charset=utf-8",
}
CACHE_CONTROL = "public, max-age=60"


@dataclass(frozen=True)
class _Doc:
    etag: str
    last_modified: int
    lang: str
    body: bytes


# Feed readers of a whole town poll within seconds of each other: each worker reuses a built
# document for a moment (STADTBOTE_MICROCACHE_S, 0 in tests).
_FRESH: MicroCache[_Doc] = MicroCache(ttl_s=2.0, size=256)


def feed_language(request: HttpRequest, tenant: Municipality) -> str:
    """``?lang=`` when it is one of the installation's languages, else the town's."""
    wanted = request.GET.get("lang", "")
    return wanted if wanted in dict(settings.LANGUAGES) else tenant.default_language


@require_safe
def town_feed(request: HttpRequest, tenant: str, fmt: str) -> HttpResponse:
    return _feed(request, tenant, None, fmt)


@require_safe
def topic_feed(request: HttpRequest, tenant: str, topic: str, fmt: str) -> HttpResponse:
    return _feed(request, tenant, topic, fmt)


def _feed(request: HttpRequest, tenant: str, topic: str | None, fmt: str) -> HttpResponse:
    key = (fmt, tenant, topic, request.GET.get("lang", ""))
    doc = _FRESH.get(key, settings.STADTBOTE_MICROCACHE_S)
    if doc is None:
        t = tenant_or_404(tenant)
        tp = get_object_or_404(Topic, tenant=t, slug=topic) if topic else None
        scope = syndication.Scope(t, feed_language(request, t), tp)
        messages = syndication.entries(scope)
        build = syndication.atom if fmt == "atom" else syndication.rss
        body = build(scope, messages, base_url=settings.PUBLIC_URL)
        doc = _Doc(
            etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
            last_modified=int(syndication.last_modified(scope, messages).timestamp()),
            lang=scope.lang,
            body=body,
        )
        _FRESH.put(key, doc)
    response = HttpResponse(doc.body, content_type=CONTENT_TYPES[fmt])
    response["ETag"] = doc.etag
    response["Last-Modified"] = http_date(doc.last_modified)
    response["Cache-Control"] = CACHE_CONTROL
    # Set here: the locale middleware would name the visitor's language, not the feed's.
    response["Content-Language"] = doc.lang
    # If-None-Match wins over If-Modified-Since (RFC 9110, 13.2.2), weakly compared.
    conditional = get_conditional_response(
        request, etag=doc.etag, last_modified=doc.last_modified, response=response
    )
    return conditional if conditional is not None else response
