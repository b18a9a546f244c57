"""Server-rendered pages behind links we send: confirmation, unsubscribe, message page."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from stadtbote.core.errors import InvalidInput
from stadtbote.core.severity import Severity
from stadtbote.delivery.rules import pick_language
from stadtbote.messages.models import Message, MessageStatus
from stadtbote.subscribers import doi
from stadtbote.tenants.models import Municipality


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {"tenants": Municipality.objects.order_by("name")})


def tenant_home(request: HttpRequest, tenant: str) -> HttpResponse:
    t = get_object_or_404(Municipality, slug=tenant)
    now = timezone.now()
    current = (
        Message.objects.filter(tenant=t, status=MessageStatus.PUBLISHED)
        .exclude(expires_at__lte=now)
        .order_by("-published_at")[:20]
    )
    lang = request.LANGUAGE_CODE
    items = [_view(m, lang) for m in current]
    return render(request, "web/tenant.html", {"tenant": t, "items": items})


def _view(m: Message, lang: str) -> dict[str, object]:
    chosen = pick_language(m.title, lang, m.tenant.default_language)
    return {
        "message": m,
        "title": m.title.get(chosen, ""),
        "body": m.body.get(chosen, ""),
        "lang": chosen,
        "severity": Severity(m.severity).label,
    }


def message_page(request: HttpRequest, tenant: str, message_id: str) -> HttpResponse:
    m = get_object_or_404(
        Message.objects.select_related("tenant"),
        tenant__slug=tenant,
        pk=message_id,
        status__in=[MessageStatus.PUBLISHED, MessageStatus.CANCELLED],
    )
    response = render(
        request, "web/message.html", {"tenant": m.tenant, **_view(m, request.LANGUAGE_CODE)}
    )
    response["Cache-Control"] = "public, max-age=60, stale-while-revalidate=240"
    return response


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, tenant: str, token: str) -> HttpResponse:
    """GET shows a button, POST confirms: mail scanners that open links must not confirm."""
    t = get_object_or_404(Municipality, slug=tenant)
    channel = doi.find_pending(token)
    if channel is None or channel.tenant_id != t.pk:
        return render(request, "web/confirm.html", {"tenant": t, "state": "invalid"}, status=404)
    if request.method == "GET":
        return render(
            request, "web/confirm.html", {"tenant": t, "state": "ask", "address": channel.address}
        )
    try:
        doi.confirm(token)
    except InvalidInput:
        return render(request, "web/confirm.html", {"tenant": t, "state": "invalid"}, status=404)
    return render(
        request, "web/confirm.html", {"tenant": t, "state": "done", "address": channel.address}
    )


@csrf_exempt  # RFC 8058 one-click: the mail client POSTs without a CSRF token; the signed token authorises.
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, tenant: str, token: str) -> HttpResponse:
    t = get_object_or_404(Municipality, slug=tenant)
    channel = doi.channel_for_unsubscribe(token)
    if channel is not None and channel.tenant_id != t.pk:
        raise Http404
    if request.method == "GET":
        state = "ask" if channel is not None else "done"
        return render(
            request, "web/unsubscribe.html", {"tenant": t, "state": state, "token": token}
        )
    if not doi.unsubscribe(token):
        raise Http404
    return render(request, "web/unsubscribe.html", {"tenant": t, "state": "done"})
