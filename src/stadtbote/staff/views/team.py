"""The town's admin manages its people, API keys and settings: add staff (they set their own
password from a mailed link), change roles, remove, reset a lost second factor, unlock; issue
and revoke keys; the four-eyes threshold."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from stadtbote.audit import log as audit
from stadtbote.core.roles import Role
from stadtbote.staff.access import Staff, staff_view
from stadtbote.staff.views.common import staff_page
from stadtbote.subscribers.tasks import from_address
from stadtbote.tenants import keys
from stadtbote.tenants.models import (
    TOWN_ROLES,
    ApiKey,
    Municipality,
    Operator,
    SignInGuard,
    StaffMembership,
)
from stadtbote.web.common import apply_csp

PERSON_ROLES = [(v, label) for v, label in TOWN_ROLES if v != "app"]
APPROVAL_CHOICES = ("", "moderate", "severe", "extreme")


def _back(staff: Staff, anchor: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(f"/{staff.tenant.slug}/staff/team{anchor}")


@staff_view("staff.manage")
def team(request: HttpRequest, staff: Staff) -> HttpResponse:
    members = (
        StaffMembership.objects.filter(tenant=staff.tenant)
        .select_related("user")
        .order_by("user__username")
    )
    with_factor = set(
        TOTPDevice.objects.filter(confirmed=True, user__in=[m.user for m in members]).values_list(
            "user_id", flat=True
        )
    )
    now = timezone.now()
    locked = set(
        SignInGuard.objects.filter(
            user__in=[m.user for m in members], locked_until__gt=now
        ).values_list("user_id", flat=True)
    )
    context = {
        "nav": "team",
        "members": [
            {"m": m, "factor": m.user_id in with_factor, "locked": m.user_id in locked}
            for m in members
        ],
        "roles": PERSON_ROLES,
        "key_roles": TOWN_ROLES,
        "keys": ApiKey.objects.filter(tenant=staff.tenant).order_by("-created_at"),
        "approval_choices": APPROVAL_CHOICES,
        "new_secret": request.session.pop("new_key_secret", ""),
    }
    return staff_page(request, staff, "staff/team.html", context)


def _send_password_link(request: HttpRequest, town: Municipality, user: User) -> None:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = f"{settings.PUBLIC_URL}/{town.slug}/staff/password/{uid}/{token}"
    body = "\n".join(
        [
            _("You have been added to the staff of %(town)s on Stadtbote.") % {"town": town.name},
            "",
            _("Choose your password here (the link works once, for a few days):"),
            link,
        ]
    )
    EmailMessage(
        _("[%(town)s] Your access to the staff console") % {"town": town.name},
        body,
        from_email=from_address(town.name),
        to=[user.email],
    ).send()


@require_POST
@staff_view("staff.manage")
def add_member(request: HttpRequest, staff: Staff) -> HttpResponse:
    email = request.POST.get("email", "").strip().lower()
    role = request.POST.get("role", "")
    try:
        validate_email(email)
    except ValidationError:
        flash.error(request, _("This is not a valid e-mail address."))
        return _back(staff, "#add")
    if role not in dict(PERSON_ROLES):
        flash.error(request, _("Choose a role."))
        return _back(staff, "#add")
    with transaction.atomic():
        user, made = User.objects.get_or_create(username=email, defaults={"email": email})
        if not made and staff.role != Role.OPERATOR and _shared_account(user, staff.tenant):
            # Attaching it silently would hand this town's admin a say over someone else's
            # account (reset its second factor, unlock it).
            flash.error(
                request,
                _(
                    "This address already has a staff account elsewhere. Ask the operator to "
                    "add it to your town."
                ),
            )
            return _back(staff, "#add")
        if made:
            user.set_unusable_password()
            user.save()
        _member, added = StaffMembership.objects.get_or_create(
            user=user, tenant=staff.tenant, defaults={"role": role}
        )
        if not added:
            flash.error(request, _("This person is on the staff already."))
            return _back(staff)
        audit.record(request, staff.tenant, "staff.add", obj=("user", email), after={"role": role})
    if not user.has_usable_password():
        _send_password_link(request, staff.tenant, user)
    flash.success(request, _("Added. A link to choose a password was sent by e-mail."))
    return _back(staff)


def _shared_account(user: User, town: Municipality) -> bool:
    """Whether the account also works beyond this town (another town's staff, an operator).
    A town admin must not take over or weaken such an account: only the operator may."""
    return (
        user.is_staff
        or user.is_superuser
        or Operator.objects.filter(user=user).exists()
        or StaffMembership.objects.filter(user=user).exclude(tenant=town).exists()
    )


def _other_member(staff: Staff, member_id: int) -> StaffMembership | None:
    member = get_object_or_404(StaffMembership, pk=member_id, tenant=staff.tenant)
    # Nobody locks themselves out: another admin has to change an admin's own access.
    return None if member.user_id == staff.user.pk else member


@require_POST
@staff_view("staff.manage")
def member_action(request: HttpRequest, staff: Staff, member_id: int, action: str) -> HttpResponse:
    member = _other_member(staff, member_id)
    if member is None:
        flash.error(request, _("You cannot change your own access; ask another admin."))
        return _back(staff)
    name = member.user.get_username()
    with transaction.atomic():
        if action == "role" and request.POST.get("role") in dict(PERSON_ROLES):
            before = member.role
            member.role = request.POST["role"]
            member.save(update_fields=["role"])
            audit.record(request, staff.tenant, "staff.role", obj=("user", name),
                         before={"role": before}, after={"role": member.role})  # fmt: skip
        elif action == "remove":
            member.delete()
            audit.record(request, staff.tenant, "staff.remove", obj=("user", name),
                         before={"role": member.role})  # fmt: skip
        elif action in ("reset-factor", "unlock") and (
            staff.role != Role.OPERATOR and _shared_account(member.user, staff.tenant)
        ):
            flash.error(
                request,
                _("This account also works beyond your town; only the operator can change it."),
            )
            return _back(staff)
        elif action == "reset-factor":
            TOTPDevice.objects.filter(user=member.user).delete()
            audit.record(request, staff.tenant, "staff.reset_second_factor", obj=("user", name))
        elif action == "unlock":
            SignInGuard.objects.filter(user=member.user).update(failures=0, locked_until=None)
            audit.record(request, staff.tenant, "staff.unlock", obj=("user", name))
        else:
            flash.error(request, _("Unknown action."))
            return _back(staff)
    flash.success(request, _("Saved."))
    return _back(staff)


@require_POST
@staff_view("staff.manage")
def issue_key(request: HttpRequest, staff: Staff) -> HttpResponse:
    name = request.POST.get("name", "").strip()[:100]
    role = request.POST.get("role", "")
    if not name or role not in dict(TOWN_ROLES):
        flash.error(request, _("Give the key a name and a role."))
        return _back(staff, "#keys")
    with transaction.atomic():
        key, secret = keys.issue(staff.tenant, role, name)
        audit.record(request, staff.tenant, "key.issue", obj=("key", key.prefix),
                     after={"name": name, "role": role})  # fmt: skip
    # Shown once on the next page, never stored in the clear.
    request.session["new_key_secret"] = secret
    return _back(staff, "#keys")


@require_POST
@staff_view("staff.manage")
def revoke_key(request: HttpRequest, staff: Staff, key_id: int) -> HttpResponse:
    key = get_object_or_404(ApiKey, pk=key_id, tenant=staff.tenant)
    with transaction.atomic():
        ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        audit.record(request, staff.tenant, "key.revoke", obj=("key", key.prefix))
    flash.success(request, _("Key revoked."))
    return _back(staff, "#keys")


@require_POST
@staff_view("staff.manage")
def town_settings(request: HttpRequest, staff: Staff) -> HttpResponse:
    wanted = request.POST.get("approval_from", "")
    if wanted not in APPROVAL_CHOICES:
        flash.error(request, _("Choose a severity."))
        return _back(staff, "#settings")
    before = staff.tenant.approval_from
    with transaction.atomic():
        Municipality.objects.filter(pk=staff.tenant.pk).update(approval_from=wanted)
        audit.record(request, staff.tenant, "settings.approval_from",
                     before={"approval_from": before}, after={"approval_from": wanted})  # fmt: skip
    flash.success(request, _("Saved."))
    return _back(staff, "#settings")


@never_cache
@require_http_methods(["GET", "POST"])
def set_password(request: HttpRequest, tenant: str, uid: str, token: str) -> HttpResponse:
    """The link from the welcome mail: choose a password (then sign in as usual)."""
    town = get_object_or_404(Municipality, slug=tenant)
    user: User | None
    try:
        user = User.objects.get(pk=int(urlsafe_base64_decode(uid).decode()))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        user = None
    form = (
        SetPasswordForm(user, request.POST or None)
        if user is not None and default_token_generator.check_token(user, token)
        else None
    )
    valid = form is not None
    if form is not None and request.method == "POST" and form.is_valid():
        form.save()
        audit.record(request, town, "staff.password_set", actor=user)
        flash.success(request, _("Password saved. Sign in now."))
        return HttpResponseRedirect(f"/{town.slug}/staff/login")
    response = render(
        request,
        "staff/set_password.html",
        {"tenant": town, "form": form, "valid": valid},
        status=200 if valid else 404,
    )
    apply_csp(response, town)
    return response
