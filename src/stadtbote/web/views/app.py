"""The subscriber's own pages: onboarding, inbox, settings, pause, export, erasure."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from stadtbote.core import ratelimit
from stadtbote.core.errors import InvalidInput, RateLimited
from stadtbote.core.severity import Severity
from stadtbote.delivery import inbox as inbox_domain
from stadtbote.delivery import privacy, registry
from stadtbote.geo.models import District
from stadtbote.subscribers import service as subscribers
from stadtbote.subscribers.models import ChannelStatus, Subscriber
from stadtbote.tenants.models import LANGUAGES, Municipality
from stadtbote.web import prefs as forms
from stadtbote.web.common import message_view, page, tenant_or_404
from stadtbote.web.presentation import SEVERITY_LOOKS
from stadtbote.web.session import current_subscriber, forget, remember

SIGNUPS_PER_HOUR = 30
CHANGES_PER_HOUR = 60


def _choices(t: Municipality, lang: str) -> dict[str, Any]:
    return {
        "districts": [
            {"slug": d.slug, "name": d.name.get(lang) or d.name.get(t.default_language) or d.slug}
            for d in District.objects.filter(tenant=t).order_by("slug")
        ],
        "topics": [
            {
                "slug": tp.slug,
                "name": tp.name.get(lang) or tp.name.get(t.default_language) or tp.slug,
                "description": tp.description.get(lang)
                or tp.description.get(t.default_language, ""),
            }
            for tp in t.topics.order_by("position", "slug")
        ],
        "severities": [SEVERITY_LOOKS[s] for s in Severity],
        "sms": registry.available("sms", t),
        "radii": forms.RADII_M,
        "default_radius": forms.DEFAULT_RADIUS_M,
        "languages": [(code, name) for code, name in LANGUAGES if code in t.languages] or LANGUAGES,
        "js_text": {
            "stepShort": _("Step %(n)s of %(total)s:"),
            "needPlace": _("Choose at least one place."),
            "pushUnsupported": _(
                "This browser cannot receive push messages. You can use e-mail instead."
            ),
            "pushDenied": _(
                "Notifications are blocked for this site. You can allow them in the browser "
                "settings, or use e-mail instead."
            ),
            "pushAsking": _("Please answer your browser's question."),
            "pushOn": _("Notifications are on for this device."),
            "pushFailed": _(
                "Push messages could not be switched on here. You can use e-mail instead."
            ),
            "pointSet": _("Point set at %(lat)s, %(lon)s."),
            "locating": _("Finding your location…"),
            "locateFailed": _("Your location could not be found. Please set the point on the map."),
        },
    }


def _ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


@never_cache
@require_http_methods(["GET", "POST"])
def onboarding(request: HttpRequest, tenant: str) -> HttpResponse:
    t = tenant_or_404(tenant)
    if current_subscriber(request, t) is not None:
        return redirect(f"/{t.slug}/settings")
    lang = get_language()
    context: dict[str, Any] = {
        "choices": _choices(t, lang),
        "mode": "onboarding",
        "nav": "settings",
    }
    if request.method == "GET":
        context["prefs"] = forms.Prefs(language=lang)
        return page(request, "web/onboarding.html", t, context)
    try:
        prefs = forms.from_post(request.POST, lang)
    except forms.FormError as exc:
        posted = exc.prefs or forms.Prefs(language=lang)
        return _form_error(request, t, "web/onboarding.html", context, posted, exc)
    if not ratelimit.allow("web-signup", f"{t.pk}:{_ip(request)}", SIGNUPS_PER_HOUR, 3600):
        return _form_error(request, t, "web/onboarding.html", context, prefs, None, status=429)
    channels: list[dict[str, Any]] = []
    try:
        body = prefs.body()
        channels = forms.channels_of(prefs, forms.push_channel(prefs))
        body["channels"] = channels
        sub, token = subscribers.create(t, body)
    except InvalidInput as exc:
        exc = forms.sms_error(exc, channels)
        return _form_error(request, t, "web/onboarding.html", context, prefs, exc)
    except RateLimited:
        error = forms.sms_rate_limited()
        return _form_error(request, t, "web/onboarding.html", context, prefs, error)
    next_page = "settings/sms" if _awaits_code(sub) else "inbox?welcome=1"
    response = redirect(f"/{t.slug}/{next_page}")
    remember(response, t, token)
    return response


def _form_error(
    request: HttpRequest,
    t: Municipality,
    template: str,
    context: dict[str, Any],
    prefs: forms.Prefs,
    exc: InvalidInput | None,
    status: int = 422,
) -> HttpResponse:
    if exc is None:
        error = {"step": "places", "field": "", "message": "rate"}
    else:
        field = exc.field or ""
        error = {"step": forms.step_of(field), "field": field, "message": forms.friendly(exc)}
    return page(request, template, t, {**context, "prefs": prefs, "error": error}, status=status)


@never_cache
def inbox(request: HttpRequest, tenant: str) -> HttpResponse:
    t = tenant_or_404(tenant)
    sub = current_subscriber(request, t)
    if sub is None:
        return page(request, "web/inbox.html", t, {"subscriber": None, "nav": "inbox"})
    lang = get_language()
    items = []
    for entry in inbox_domain.entries(sub):
        view = message_view(entry.message, lang)
        view.update(read=entry.read, received=entry.received)
        items.append(view)
    response = page(
        request,
        "web/inbox.html",
        t,
        {
            "subscriber": sub,
            "items": items,
            "unread": sum(1 for i in items if not i["read"]),
            "welcome": request.GET.get("welcome") == "1",
            "nav": "inbox",
            "severity_labels": {
                look.code: {"label": str(look.label), "symbol": look.symbol}
                for look in SEVERITY_LOOKS.values()
            },
        },
    )
    response["Cache-Control"] = "private, no-cache"
    return response


@require_POST
def mark_read(request: HttpRequest, tenant: str) -> HttpResponse:
    """Called by the message page's script, and by the inbox's "mark all read" form."""
    t = tenant_or_404(tenant)
    sub = current_subscriber(request, t)
    ids = request.POST.getlist("id")[:200]
    if sub is not None and ids:
        inbox_domain.mark_read(sub, ids)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"ok": sub is not None})
    return redirect(f"/{t.slug}/inbox")


@never_cache
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest, tenant: str) -> HttpResponse:
    t = tenant_or_404(tenant)
    sub = current_subscriber(request, t)
    if sub is None:
        return redirect(f"/{t.slug}/start")
    lang = get_language()
    context: dict[str, Any] = {
        "choices": _choices(t, lang),
        "mode": "settings",
        "subscriber": sub,
        "nav": "settings",
    }
    stored_sms = sub.channels.filter(type="sms").first()
    if stored_sms is not None:
        context["sms_state"] = {
            "number": forms.readable_number(stored_sms.address, forms.NO_BREAK),
            "pending": stored_sms.status == ChannelStatus.PENDING,
        }
    if request.method == "GET":
        context["prefs"] = forms.from_subscriber(sub)
        context["saved"] = request.GET.get("saved") == "1"
        context["sms_confirmed"] = request.GET.get("sms") == "confirmed"
        context["sms_removed"] = request.GET.get("sms") == "removed"
        return page(request, "web/settings.html", t, context)
    try:
        prefs = forms.from_post(request.POST, sub.language)
        prefs.has_push = sub.channels.filter(type="webpush").exists()
    except forms.FormError as exc:
        posted = exc.prefs or forms.from_subscriber(sub)
        posted.has_push = sub.channels.filter(type="webpush").exists()
        return _form_error(request, t, "web/settings.html", context, posted, exc)
    if not ratelimit.allow("web-change", f"{t.pk}:{sub.pk}", CHANGES_PER_HOUR, 3600):
        return _form_error(request, t, "web/settings.html", context, prefs, None, status=429)
    channels: list[dict[str, Any]] = []
    try:
        body = prefs.body()
        channels = _channels_after(sub, prefs)
        body["channels"] = channels
        subscribers.update(sub, body)
    except InvalidInput as exc:
        exc = forms.sms_error(exc, channels)
        return _form_error(request, t, "web/settings.html", context, prefs, exc)
    except RateLimited:
        error = forms.sms_rate_limited()
        return _form_error(request, t, "web/settings.html", context, prefs, error)
    if _awaits_code(sub):
        return redirect(f"/{t.slug}/settings/sms")
    return redirect(f"/{t.slug}/settings?saved=1")


def _awaits_code(sub: Subscriber) -> bool:
    """A number waits for its code: the citizen goes on to enter it, not back to the form."""
    return sub.channels.filter(type="sms", status=ChannelStatus.PENDING).exists()


def _channels_after(sub: Subscriber, prefs: forms.Prefs) -> list[dict[str, Any]]:
    """Channels as the settings form leaves them: a new browser subscription replaces the old
    one, "keep push" keeps the stored one, the e-mail and phone fields decide about e-mail and SMS
    (an emptied field removes its channel)."""
    channels: list[dict[str, Any]] = []
    fresh = forms.push_channel(prefs)
    if fresh is not None:
        channels.append(fresh)
    elif prefs.keep_push:
        for c in sub.channels.filter(type="webpush"):
            channels.append(
                {
                    "type": "webpush",
                    "subscription": {
                        "endpoint": c.address,
                        "keys": {"p256dh": c.p256dh, "auth": c.auth},
                    },
                }
            )
    if prefs.email:
        channels.append({"type": "email", "address": prefs.email})
    if prefs.sms:
        channels.append({"type": "sms", "address": prefs.sms})
    return channels


@require_POST
def pause(request: HttpRequest, tenant: str) -> HttpResponse:
    t = tenant_or_404(tenant)
    sub = current_subscriber(request, t)
    if sub is None:
        return redirect(f"/{t.slug}/start")
    subscribers.update(sub, {"paused": request.POST.get("paused") == "1"})
    return redirect(f"/{t.slug}/settings?saved=1")


@never_cache
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, tenant: str) -> HttpResponse:
    t = tenant_or_404(tenant)
    sub = current_subscriber(request, t)
    if request.method == "GET":
        if sub is None:
            return redirect(f"/{t.slug}/")
        return page(request, "web/delete.html", t, {"subscriber": sub})
    if sub is not None:
        privacy.erase_subscriber(sub)
    response = page(request, "web/deleted.html", t)
    forget(response, t)
    return response


@never_cache
def export(request: HttpRequest, tenant: str) -> HttpResponse:
    t = tenant_or_404(tenant)
    sub = current_subscriber(request, t)
    if sub is None:
        return redirect(f"/{t.slug}/start")
    data = privacy.export_subscriber(sub)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="stadtbote-{t.slug}-my-data.json"'
    return response
