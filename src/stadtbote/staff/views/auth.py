"""Signing staff in and out of one town's console."""

from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from stadtbote.core.ratelimit import allow, exhausted
from stadtbote.staff.access import SESSION_SECONDS, membership
from stadtbote.tenants.models import Municipality
from stadtbote.web.common import apply_csp

# Guessing passwords: a handful of tries per account and address, then a pause.
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


def sign_in(request: HttpRequest, tenant: str) -> HttpResponse:
    town = get_object_or_404(Municipality, slug=tenant)
    next_url = _safe_next(request, town)
    if request.method == "GET" and membership(request.user, town.slug):
        return HttpResponseRedirect(next_url)
    error, status, username = "", 200, ""
    if request.method == "POST":
        username = request.POST.get("username", "").strip()[:150]
        password = request.POST.get("password", "")
        ip = request.META.get("REMOTE_ADDR", "unknown")
        account = f"{ip}:{username.lower()}"
        # Only failures count: a colleague signing in often is not an attacker.
        if exhausted("staff-login-ip", ip, TRIES_PER_ADDRESS, WINDOW_S) or exhausted(
            "staff-login", account, TRIES_PER_ACCOUNT, WINDOW_S
        ):
            error, status = _("Too many attempts. Wait a quarter of an hour."), 429
        else:
            user = authenticate(request, username=username, password=password)
            # The same answer for a wrong password and for another town's staff: nobody learns
            # which accounts exist where.
            if user is None or membership(user, town.slug) is None:
                allow("staff-login-ip", ip, TRIES_PER_ADDRESS, WINDOW_S)
                allow("staff-login", account, TRIES_PER_ACCOUNT, WINDOW_S)
                error, status = _("Wrong e-mail address or password."), 400
            else:
                login(request, user)
                request.session.set_expiry(SESSION_SECONDS)
                return HttpResponseRedirect(next_url)
    response = render(
        request,
        "staff/login.html",
        {"tenant": town, "next": next_url, "error": error, "username": username},
        status=status,
    )
    apply_csp(response, town)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def sign_out(request: HttpRequest, tenant: str) -> HttpResponse:
    logout(request)
    return HttpResponseRedirect(f"/{tenant}/staff/login")
