"""Pages behind links we mail: e-mail confirmation and unsubscribe."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from stadtbote.core.errors import InvalidInput
from stadtbote.subscribers import doi
from stadtbote.tenants.models import Municipality


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


def short(request: HttpRequest, tenant: str, code: str) -> HttpResponse:
    """A short link from an SMS: on to the message's page."""
    from django.shortcuts import redirect

    from stadtbote.delivery import shortlinks

    t = get_object_or_404(Municipality, slug=tenant)
    message = shortlinks.resolve(t, code)
    if message is None:
        raise Http404("no such message")
    return redirect("web:message", tenant=t.slug, message_id=message.pk)
