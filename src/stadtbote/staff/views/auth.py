"""Signing staff in and out of one town's console: password, then (for admins, publishers and
operators, and for anyone who has set one up) a code from an authenticator app."""

from __future__ import annotations

import io
import logging
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib.auth import authenticate, get_user_model, login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from stadtbote.audit import log as audit
from stadtbote.core.ratelimit import allow, exhausted
from stadtbote.staff.access import (
    SESSION_SECONDS,
    Staff,
    membership,
    second_factor_step,
    second_factor_url,
)
from stadtbote.tenants import guard
from stadtbote.tenants.models import Municipality
from stadtbote.web.common import apply_csp

log = logging.getLogger(__name__)

# Guessing passwords from one address: a handful of tries per account, then a pause. Across
# addresses the account itself locks (tenants/guard.py).
TRIES_PER_ACCOUNT = 8
TRIES_PER_ADDRESS = 40
WINDOW_S = 15 * 60


def _safe_next(request: HttpRequest, tenant: Municipality) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    home = f"/{tenant.slug}/staff/"
    if wanted.startswith(home) and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return home


def _page(
    request: HttpRequest, town: Municipality, template: str, context: dict[str, Any], status: int
) -> HttpResponse:
    response = render(request, template, {"tenant": town, **context}, status=status)
    apply_csp(response, town)
    response["Cache-Control"] = "no-store"
    return response


def _after_password(request: HttpRequest, staff: Staff, next_url: str) -> HttpResponse:
    step = second_factor_step(request, staff)
    if step is None:
        return HttpResponseRedirect(next_url)
    return HttpResponseRedirect(second_factor_url(staff.tenant.slug, step, next_url))


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest, tenant: str) -> HttpResponse:
    town = get_object_or_404(Municipality, slug=tenant)
    next_url = _safe_next(request, town)
    if request.method == "GET":
        staff = membership(request.user, town.slug)
        if staff is not None:
            return _after_password(request, staff, next_url)
    error, status, username = "", 200, ""
    notice = ""
    if request.GET.get("expired") == "1":
        notice = _("You were signed out after 30 minutes without activity.")
    if request.method == "POST":
        username = request.POST.get("username", "").strip()[:150]
        password = request.POST.get("password", "")
        ip = request.META.get("REMOTE_ADDR", "unknown")
        account = f"{ip}:{username.lower()}"
        known = get_user_model().objects.filter(username__iexact=username).first()
        now = timezone.now()
        # Only failures count: a colleague signing in often is not an attacker.
        if exhausted("staff-login-ip", ip, TRIES_PER_ADDRESS, WINDOW_S) or exhausted(
            "staff-login", account, TRIES_PER_ACCOUNT, WINDOW_S
        ):
            log.warning("staff sign-in refused for %r from %s: rate limit", username, ip)
            error, status = _("Too many attempts. Wait a quarter of an hour."), 429
        else:
            # Addresses are stored in lower case; people type them as they like.
            user = authenticate(
                request, username=known.get_username() if known else username, password=password
            )
            staff = membership(user, town.slug) if user is not None else None
            # The same answer for a wrong password, a locked account (it cannot authenticate)
            # and another town's staff: nobody learns which accounts exist where.
            if user is None or staff is None:
                allow("staff-login-ip", ip, TRIES_PER_ADDRESS, WINDOW_S)
                allow("staff-login", account, TRIES_PER_ACCOUNT, WINDOW_S)
                locked = known is not None and user is None and guard.failed(known, now)
                audit.record(
                    request,
                    town,
                    "staff.sign_in_failed",
                    after={"username": username, "locked": locked},
                )
                error, status = _("Wrong e-mail address or password."), 400
            else:
                login(request, user)
                request.session.set_expiry(SESSION_SECONDS)
                audit.record(request, town, "staff.sign_in", actor=user)
                # With a code still to enter, the count of failures goes on until a right code
                # (``verify``): a stolen password must not buy fresh guesses at the code.
                if second_factor_step(request, staff) != "verify":
                    guard.succeeded(user)
                return _after_password(request, staff, next_url)
    return _page(
        request,
        town,
        "staff/login.html",
        {"next": next_url, "error": error, "notice": notice, "username": username},
        status,
    )


def _at_step(
    request: HttpRequest, tenant: str, step: str
) -> tuple[Municipality, Staff, str] | HttpResponse:
    """The town, the signed-in person and where to go next, if ``step`` is theirs to take
    now; otherwise where they belong instead (sign-in, the other step, or onwards)."""
    town = get_object_or_404(Municipality, slug=tenant)
    staff = membership(request.user, town.slug)
    next_url = _safe_next(request, town)
    if staff is None:
        return HttpResponseRedirect(f"/{town.slug}/staff/login")
    # Setting one up is open to everyone without one: some actions need it whatever the role.
    if second_factor_step(request, staff, wanted=step == "setup") != step:
        return _after_password(request, staff, next_url)
    return town, staff, next_url


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, tenant: str) -> HttpResponse:
    """The code from the authenticator app, once per session."""
    found = _at_step(request, tenant, "verify")
    if isinstance(found, HttpResponse):
        return found
    town, staff, next_url = found
    error, status = "", 200
    if request.method == "POST":
        device = TOTPDevice.objects.filter(user=staff.user, confirmed=True).first()
        code = request.POST.get("code", "").replace(" ", "")[:12]
        now = timezone.now()
        if guard.is_locked(staff.user, now):
            error, status = _("Too many attempts. Wait a quarter of an hour."), 429
        elif (
            allowed := device is not None and device.verify_is_allowed()[0]
        ) and device.verify_token(code):
            guard.succeeded(staff.user)
            otp_login(request, device)
            audit.record(request, town, "staff.second_factor", actor=staff.user)
            return HttpResponseRedirect(next_url)
        else:
            # Too early after a wrong code (django-otp's growing wait) counts as a failure too.
            too_soon = device is not None and not allowed
            locked = guard.failed(staff.user, now)
            audit.record(
                request,
                town,
                "staff.second_factor_failed",
                actor=staff.user,
                after={"locked": locked},
            )
            if locked:
                logout(request)
                return HttpResponseRedirect(f"/{town.slug}/staff/login")
            error, status = (
                (_("Wait a few seconds, then enter the current code."), 429)
                if too_soon
                else (_("This code is not right. Enter the current code from the app."), 400)
            )
    return _page(request, town, "staff/verify.html", {"next": next_url, "error": error}, status)


def _qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    out = io.BytesIO()
    image.save(out)
    # The text beside it carries the meaning; the drawing is hidden from screen readers.
    return out.getvalue().decode().replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)


@never_cache
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest, tenant: str) -> HttpResponse:
    """Set up the authenticator app: scan the code (or type the key), confirm with a code."""
    found = _at_step(request, tenant, "setup")
    if isinstance(found, HttpResponse):
        return found
    town, staff, next_url = found
    device, _made = TOTPDevice.objects.get_or_create(
        user=staff.user, confirmed=False, defaults={"name": "Stadtbote"}
    )
    error, status = "", 200
    if request.method == "POST" and not device.verify_is_allowed()[0]:
        error, status = _("Wait a few seconds, then enter the current code."), 429
    elif request.method == "POST":
        if device.verify_token(request.POST.get("code", "").replace(" ", "")[:12]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            audit.record(request, town, "staff.second_factor_set_up", actor=staff.user)
            return HttpResponseRedirect(next_url)
        error, status = _("This code is not right. Enter the current code from the app."), 400
    secret = device.config_url.split("secret=", 1)[1].split("&", 1)[0]
    context = {
        "next": next_url,
        "error": error,
        "qr": _qr_svg(device.config_url),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    }
    return _page(request, town, "staff/setup.html", context, status)


@require_POST
def sign_out(request: HttpRequest, tenant: str) -> HttpResponse:
    town = Municipality.objects.filter(slug=tenant).first()
    if request.user.is_authenticated:
        audit.record(request, town, "staff.sign_out")
    logout(request)
    return HttpResponseRedirect(f"/{tenant}/staff/login")
