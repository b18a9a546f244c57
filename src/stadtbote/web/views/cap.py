"""The town's messages as CAP 1.2 and an Atom index of them, for CAP aggregators to poll.

Thin: ``cap.writer`` builds the documents. Both answers are public and the same for everyone
(no cookie, no language negotiation: each CAP document carries every language), so shared
caches may keep them for a minute; the ETag is a hash of the bytes, which the writer keeps
deterministic, so a poll with If-None-Match gets a 304 until something visible changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags
from django.views.decorators.http import require_safe

from stadtbote.cap import writer
from stadtbote.core.microcache import MicroCache
from stadtbote.messages.models import Message, MessageStatus
from stadtbote.web.common import tenant_or_404

CAP_TYPE = "application/cap+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
CACHE_CONTROL = "public, max-age=60"


@dataclass(frozen=True)
class _Doc:
    etag: str
    body: bytes


# Aggregators poll the same feed and fetch the same new alerts within seconds of each other:
# each worker reuses a built document for a moment (STADTBOTE_MICROCACHE_S, 0 in tests).
_FRESH: MicroCache[_Doc] = MicroCache(ttl_s=2.0, size=256)


@require_safe
def alert(request: HttpRequest, tenant: str, message_id: str) -> HttpResponse:
    key = ("alert", tenant, str(message_id))
    doc = _FRESH.get(key, settings.STADTBOTE_MICROCACHE_S)
    if doc is None:
        message = (
            Message.objects.select_related("tenant", "replaces")
            # Under this town's slug only: another town's message is not found here.
            .filter(
                tenant__slug=tenant,
                pk=message_id,
                status__in=(MessageStatus.PUBLISHED, MessageStatus.CANCELLED),
                published_at__isnull=False,
            )
            .first()
        )
        if message is None:
            raise Http404("no published message with this id")
        doc = _doc(writer.alert_xml(message, base_url=settings.PUBLIC_URL))
        _FRESH.put(key, doc)
    return _answer(request, doc, CAP_TYPE)


@require_safe
def feed(request: HttpRequest, tenant: str) -> HttpResponse:
    key = ("feed", tenant)
    doc = _FRESH.get(key, settings.STADTBOTE_MICROCACHE_S)
    if doc is None:
        t = tenant_or_404(tenant)
        doc = _doc(writer.atom(t, writer.recent(t), base_url=settings.PUBLIC_URL))
        _FRESH.put(key, doc)
    return _answer(request, doc, ATOM_TYPE)


def _doc(body: bytes) -> _Doc:
    return _Doc(etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"', body=body)


def _answer(request: HttpRequest, doc: _Doc, content_type: str) -> HttpResponse:
    # If-None-Match compares weakly (RFC 9110, 13.1.2): a W/ prefix added by a proxy matches.
    wanted = parse_etags(request.headers.get("If-None-Match", ""))
    if "*" in wanted or doc.etag in {e.removeprefix("W/") for e in wanted}:
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(doc.body, content_type=content_type)
    response["ETag"] = doc.etag
    response["Cache-Control"] = CACHE_CONTROL
    return response
