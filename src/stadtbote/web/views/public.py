"""Pages anyone can read, with or without JavaScript: messages and the legal texts."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from stadtbote.core import ratelimit
from stadtbote.core.errors import InvalidInput
from stadtbote.core.microcache import MicroCache
from stadtbote.messages.models import Message, MessageStatus
from stadtbote.pages import service as pages
from stadtbote.pages.models import TextKind
from stadtbote.tenants.models import Municipality, Topic
from stadtbote.web import areas
from stadtbote.web.common import message_view, page, tenant_or_404
from stadtbote.web.release import release
from stadtbote.web.session import current_subscriber

FEEDBACK_PER_HOUR = 10
KIND_TITLES: dict[str, Any] = {
    TextKind.ACCESSIBILITY: _("Accessibility statement"),
    TextKind.PRIVACY: _("Privacy"),
    TextKind.IMPRINT: _("Imprint"),
}
VISIBLE = (MessageStatus.PUBLISHED, MessageStatus.CANCELLED)


def home(request: HttpRequest) -> HttpResponse:
    tenants = list(Municipality.objects.order_by("name"))
    if len(tenants) == 1:
        return redirect(f"/{tenants[0].slug}/")
    return page(request, "web/home.html", None, {"tenants": tenants})


def switch_language(request: HttpRequest) -> HttpResponse:
    """Remember the reader's language. A plain GET link/form without a CSRF token, so cached
    public pages (the message page) can carry the switch without a per-visitor token; the
    only effect is a preference cookie."""
    code = request.GET.get("language", "")
    target = request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = redirect(target)
    if code in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


def tenant_home(request: HttpRequest, tenant: str) -> HttpResponse:
    t = tenant_or_404(tenant)
    now = timezone.now()
    current = (
        Message.objects.filter(tenant=t, status=MessageStatus.PUBLISHED)
        .exclude(expires_at__lte=now)
        # A message with a published update is shown through its newest version only.
        .exclude(updates__status=MessageStatus.PUBLISHED)
        .select_related("tenant")
        .order_by("-severity", "-published_at")[:30]
    )
    lang = get_language()
    items = [message_view(m, lang) for m in current]
    subscriber = current_subscriber(request, t)
    calendars = [
        (tp.slug, tp.name.get(lang or "") or tp.name.get(t.default_language) or tp.slug)
        for tp in Topic.objects.filter(tenant=t, events__cancelled=False).distinct()
    ]
    response = page(
        request,
        "web/tenant.html",
        t,
        {
            "items": items,
            "subscribed": subscriber is not None,
            "nav": "home",
            "calendars": calendars,
        },
    )
    response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ["Cookie"])
    return response


@dataclass(frozen=True)
class _Page:
    version: int
    etag: str
    body: bytes
    csp: str | None


# Rendered message pages by (tenant, id, language). A warning storm asks for the same few pages
# thousands of times: for a moment an entry is served as it is (MicroCache); after that one
# indexed query for the version decides whether the stored body is still right.
_RENDERED: MicroCache[_Page] = MicroCache(ttl_s=float("inf"), size=256)
_FRESH: MicroCache[_Page] = MicroCache(ttl_s=2.0, size=256)


def message_page(request: HttpRequest, tenant: str, message_id: str) -> HttpResponse:
    lang = get_language()
    key = (tenant, str(message_id), lang)
    entry = _FRESH.get(key, settings.STADTBOTE_MICROCACHE_S)
    if entry is None:
        version = (
            Message.objects.filter(tenant__slug=tenant, pk=message_id, status__in=VISIBLE)
            .values_list("version", flat=True)
            .first()
        )
        if version is None:
            return page(request, "web/not_found.html", tenant_or_404(tenant), status=404)
        entry = _RENDERED.get(key)
        if entry is None or entry.version != version:
            entry = _render_entry(request, tenant, str(message_id), lang, version)
            _RENDERED.put(key, entry)
        _FRESH.put(key, entry)
    if entry.etag in request.headers.get("If-None-Match", ""):
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(entry.body, content_type="text/html; charset=utf-8")
        if entry.csp:
            response["Content-Security-Policy"] = entry.csp
    response["ETag"] = entry.etag
    # Short freshness plus revalidation: an update or withdrawal shows within a minute.
    response["Cache-Control"] = "public, max-age=60, stale-while-revalidate=300"
    patch_vary_headers(response, ["Accept-Language", "Cookie"])
    return response


def _render_entry(
    request: HttpRequest, tenant: str, message_id: str, lang: str, version: int
) -> _Page:
    rendered = _render_message(request, message_id, lang)
    etag_source = repr((tenant, message_id, version, lang, release()))
    return _Page(
        version=version,
        etag='"' + hashlib.sha256(etag_source.encode()).hexdigest()[:20] + '"',
        body=rendered.content,
        # Set by common.page only for a town with a tile server; else the middleware's default.
        csp=rendered.get("Content-Security-Policy"),
    )


def _render_message(request: HttpRequest, message_id: str, lang: str) -> HttpResponse:
    m = get_object_or_404(Message.objects.select_related("tenant", "replaces"), pk=message_id)
    view = message_view(m, lang)
    newer = m.updates.filter(status__in=VISIBLE).order_by("-published_at").first() if m.pk else None
    return page(
        request,
        "web/message.html",
        m.tenant,
        {
            **view,
            "area_text": areas.describe(m, view["lang"]),
            "area_geojson": areas.geojson(m),
            "older": message_view(m.replaces, lang)
            if m.replaces and m.replaces.status in VISIBLE
            else None,
            "newer": message_view(newer, lang) if newer else None,
            "topics": [t.name.get(lang) or t.slug for t in m.topics.all()],
            "now": timezone.now(),
        },
    )


def legal(request: HttpRequest, tenant: str, kind: str) -> HttpResponse:
    t = tenant_or_404(tenant)
    text = pages.text_for(t, kind, get_language())
    context: dict[str, Any] = {"kind": kind, "text": text, "kind_label": KIND_TITLES[kind]}
    if kind == TextKind.ACCESSIBILITY:
        context["form"] = {"page": request.GET.get("from", "")[:300]}
    return page(request, "web/legal.html", t, context)


@require_http_methods(["POST"])
def feedback(request: HttpRequest, tenant: str) -> HttpResponse:
    t = tenant_or_404(tenant)
    ip = request.META.get("REMOTE_ADDR", "")
    form = {k: request.POST.get(k, "") for k in ("text", "page", "name", "email")}
    text = pages.text_for(t, TextKind.ACCESSIBILITY, get_language())
    context: dict[str, Any] = {
        "kind": TextKind.ACCESSIBILITY,
        "text": text,
        "form": form,
        "kind_label": KIND_TITLES[TextKind.ACCESSIBILITY],
    }
    if not ratelimit.allow("feedback", f"{t.pk}:{ip}", FEEDBACK_PER_HOUR, 3600):
        context["error"] = {"field": "text", "message": "rate"}
        return page(request, "web/legal.html", t, context, status=429)
    try:
        pages.take_feedback(t, **form)
    except InvalidInput as exc:
        context["error"] = {"field": exc.field, "message": str(exc.args[0])}
        return page(request, "web/legal.html", t, context, status=422)
    return page(request, "web/feedback_thanks.html", t)
