"""Who may see what in the staff console: every view names the action it needs.

A signed-in user who is not on this town's staff gets 404, as if the town had no console: staff
of one town must not learn anything about another. A member whose role does not allow the
action gets 403 with a page that says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django_otp import user_has_device

from stadtbote.core.roles import SECOND_FACTOR_ACTIONS, SECOND_FACTOR_REQUIRED, Role, allows
from stadtbote.tenants.models import Municipality, Operator, StaffMembership

# Staff sessions end after a working day; a forgotten browser on a shared office PC must not
# stay signed in over night.
SESSION_SECONDS = 10 * 3600


@dataclass(frozen=True)
class Staff:
    tenant: Municipality
    user: User
    role: str

    def may(self, action: str) -> bool:
        return allows(self.role, action)

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label)


def membership(user: Any, tenant_slug: str) -> Staff | None:
    """The user's place on this town's staff: their role there, or operator for every town."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    member = (
        StaffMembership.objects.select_related("tenant", "user")
        .filter(user=user, tenant__slug=tenant_slug)
        .first()
    )
    if member is not None:
        return Staff(tenant=member.tenant, user=member.user, role=member.role)
    if Operator.objects.filter(user=user).exists():
        town = Municipality.objects.filter(slug=tenant_slug).first()
        if town is not None:
            return Staff(tenant=town, user=user, role=Role.OPERATOR)
    return None


def second_factor_step(
    request: HttpRequest, staff: Staff, action: str | None = None, *, wanted: bool = False
) -> str | None:
    """Where the person must go before anything else: "setup" (their role or ``action`` needs
    a second factor, or they ask for one, and they have none yet), "verify" (enter this
    session's code), or None."""
    # Right after ``login()`` request.user is the bare user, without OTP's ``is_verified``.
    is_verified = getattr(request.user, "is_verified", None)
    if is_verified is not None and is_verified():
        return None
    if user_has_device(staff.user, confirmed=True):
        return "verify"
    if wanted or staff.role in SECOND_FACTOR_REQUIRED or action in SECOND_FACTOR_ACTIONS:
        return "setup"
    return None


def second_factor_url(tenant_slug: str, step: str, next_path: str) -> str:
    return f"/{tenant_slug}/staff/{step}?" + urlencode({"next": next_path})


def login_url(tenant_slug: str, next_path: str) -> str:
    return f"/{tenant_slug}/staff/login?" + urlencode({"next": next_path})


def staff_view(
    action: str,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Decorate a view ``(request, staff, **kwargs)``; it runs only for this town's staff whose
    role allows ``action``."""

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapper(request: HttpRequest, tenant: str, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return HttpResponseRedirect(login_url(tenant, request.get_full_path()))
            staff = membership(request.user, tenant)
            if staff is None:
                raise Http404("no such page")
            step = second_factor_step(request, staff)
            if step is None and staff.may(action):  # the action itself may need one
                step = second_factor_step(request, staff, action)
            if step is not None:
                return HttpResponseRedirect(
                    second_factor_url(tenant, step, request.get_full_path())
                )
            if not staff.may(action):
                from stadtbote.staff.views.common import refused

                return refused(request, staff, action)
            response = view(request, staff, **kwargs)
            # Personal data of citizens: never cached by browsers or proxies.
            response["Cache-Control"] = "private, no-store"
            return response

        return wrapper

    return decorate
