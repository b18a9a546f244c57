"""Confirming the citizen's phone number: the code step after saving a number, a new code,
and removing the number. Plain forms and redirects, so it works without JavaScript."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from stadtbote.core import ratelimit
from stadtbote.core.errors import InvalidInput, RateLimited
from stadtbote.subscribers import sms_codes
from stadtbote.subscribers.models import Channel, ChannelStatus
from stadtbote.tenants.models import Municipality
from stadtbote.web import prefs as forms
from stadtbote.web.common import page, tenant_or_404
from stadtbote.web.session import current_subscriber

# The API's limit and scope: guesses through the app and through the API count together.
CODE_TRIES_PER_HOUR = 20


def _pending(request: HttpRequest, tenant: str) -> tuple[Municipality, Channel | None]:
    t = tenant_or_404(tenant)
    sub = current_subscriber(request, t)
    if sub is None:
        return t, None
    channel = sub.channels.filter(type="sms", status=ChannelStatus.PENDING).first()
    return t, channel


@never_cache
@require_http_methods(["GET", "POST"])
def code(request: HttpRequest, tenant: str) -> HttpResponse:
    t, channel = _pending(request, tenant)
    if channel is None:
        # Nothing to confirm (confirmed meanwhile, removed, or no subscription here).
        return redirect(f"/{t.slug}/settings")
    if request.method == "GET":
        return _code_page(request, t, channel, notice=request.GET.get("notice", ""))
    typed = (request.POST.get("code") or "").replace(" ", "").strip()
    if len(typed) != 6 or not typed.isascii() or not typed.isdigit():
        # A typo in the form is no guess at the code, so it costs no attempt.
        return _code_page(request, t, channel, problem="format", typed=typed)
    if not ratelimit.allow("sms-code-try", str(channel.subscriber_id), CODE_TRIES_PER_HOUR, 3600):
        return _code_page(request, t, channel, problem="rate", typed=typed, status=429)
    try:
        sms_codes.confirm(channel, typed)
    except InvalidInput as exc:
        channel.refresh_from_db()
        return _code_page(request, t, channel, problem=exc.code, typed=typed)
    return redirect(f"/{t.slug}/settings?sms=confirmed")


@require_POST
def resend(request: HttpRequest, tenant: str) -> HttpResponse:
    t, channel = _pending(request, tenant)
    if channel is None:
        return redirect(f"/{t.slug}/settings")
    if channel.confirm_expires_at is not None and timezone.now() < _next_code_at(channel):
        return redirect(f"/{t.slug}/settings/sms?notice=wait")
    try:
        with transaction.atomic():
            sms_codes.request_code(channel, new_code=True)
    except RateLimited:
        return _code_page(request, t, channel, problem="send_limit", status=429)
    return redirect(f"/{t.slug}/settings/sms?notice=sent")


@require_POST
def remove(request: HttpRequest, tenant: str) -> HttpResponse:
    t = tenant_or_404(tenant)
    sub = current_subscriber(request, t)
    if sub is None:
        return redirect(f"/{t.slug}/start")
    # Only the number goes; the other channels are not checked again (a town that has since
    # dropped its app credentials must not make removing a phone number fail).
    sub.channels.filter(type="sms").delete()
    return redirect(f"/{t.slug}/settings?sms=removed")


def _next_code_at(channel: Channel) -> datetime:
    assert channel.confirm_expires_at is not None
    return channel.confirm_expires_at - sms_codes.CODE_VALID_FOR + sms_codes.RESEND_INTERVAL


def _problem_text(problem: str, channel: Channel) -> str:
    if problem == "invalid_code":
        left = max(sms_codes.MAX_ATTEMPTS - channel.confirm_attempts, 0)
        if left == 0:
            return _problem_text("too_many_attempts", channel)
        return _(
            "This code is not right. Please check the SMS and try again. Tries left: %(left)s."
        ) % {"left": left}
    texts = {
        "format": _("Enter the 6-digit code from the SMS."),
        "expired_code": _("This code has expired. Please ask for a new code below."),
        "too_many_attempts": _(
            "The code was entered wrongly too often and is no longer valid. "
            "Please ask for a new code below."
        ),
        "rate": _("Too many attempts. Please try again in an hour."),
        "send_limit": _(
            "We cannot send another code to this number right now. Please try again tomorrow."
        ),
    }
    return texts.get(problem, _("The code could not be checked. Please try again."))


def _code_page(
    request: HttpRequest,
    t: Municipality,
    channel: Channel,
    *,
    problem: str = "",
    typed: str = "",
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    # A wrong or mistyped code: straight back into the field. A dead code: the summary first,
    # because the next step is asking for a new one, not typing again.
    field_error = problem in ("format", "invalid_code") and not (
        problem == "invalid_code" and channel.confirm_attempts >= sms_codes.MAX_ATTEMPTS
    )
    context = {
        "number": forms.readable_number(channel.address, forms.NO_BREAK),
        "minutes": int(sms_codes.CODE_VALID_FOR.total_seconds() // 60),
        "error": _problem_text(problem, channel) if problem else "",
        "field_error": field_error,
        "typed": typed if field_error else "",
        "notice": notice if notice in ("sent", "wait") else "",
        "nav": "settings",
    }
    if status == 200 and problem:
        status = 422
    return page(request, "web/sms_code.html", t, context, status=status)
