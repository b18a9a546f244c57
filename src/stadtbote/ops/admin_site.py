"""The Django admin, for the hosting provider's operators only.

The admin sees every town's records, so town staff (even a town's admins) never get in: they
work in their own town's staff console. Operators sign in with password *and* the code from
their authenticator app (django-otp's admin login), and failed tries count towards the same
account lock and address limit as the console's sign-in.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.admin import OTPAdminSite

from stadtbote.core.ratelimit import allow, exhausted
from stadtbote.tenants import guard
from stadtbote.tenants.models import Operator

log = logging.getLogger(__name__)
TRIES_PER_ADDRESS = 20
WINDOW_S = 15 * 60


def is_operator(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and Operator.objects.filter(user=user).exists()
    )


class OperatorAdminSite(OTPAdminSite):
    site_header = "Stadtbote"
    site_title = "Stadtbote"
    index_title = "Operator"

    def has_permission(self, request: HttpRequest) -> bool:
        # OTPAdminSite's check: active staff with a verified second factor; and an operator.
        return super().has_permission(request) and is_operator(request.user)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        if request.method != "POST":
            return super().login(request, extra_context)
        ip = request.META.get("REMOTE_ADDR", "unknown")
        if exhausted("admin-login-ip", ip, TRIES_PER_ADDRESS, WINDOW_S):
            log.warning("admin sign-in refused: too many failures from %s", ip)
            return self._refused(request)
        username = request.POST.get("username", "").strip()[:150]
        response = super().login(request, extra_context)
        if request.user.is_authenticated:  # password and code were right (OTP's login form)
            guard.succeeded(request.user)
        else:
            # A locked account fails here like a wrong password (guard.LockingBackend).
            allow("admin-login-ip", ip, TRIES_PER_ADDRESS, WINDOW_S)
            known = get_user_model().objects.filter(username__iexact=username).first()
            if known is not None:
                guard.failed(known, timezone.now())
            log.info("admin sign-in failed for %r from %s", username, ip)
        return response

    def _refused(self, request: HttpRequest) -> HttpResponse:
        context = {
            **self.each_context(request),
            "title": _("Too many attempts. Wait a quarter of an hour."),
        }
        response = TemplateResponse(request, "admin/stadtbote_refused.html", context, status=429)
        return response.render()
