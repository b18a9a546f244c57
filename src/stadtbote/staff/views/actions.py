"""What staff do to a case. Each action is one POST, checked by the domain service, recorded in
the case's history, then back to the case page (or the page again with the error in place)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from stadtbote.audit import log as audit
from stadtbote.core.errors import InvalidInput
from stadtbote.reports import media, service
from stadtbote.reports.models import Case, CasePhoto, Category
from stadtbote.staff.access import Staff, staff_view
from stadtbote.staff.views.cases import case_or_404, render_case


def _act(
    request: HttpRequest,
    staff: Staff,
    number: int,
    form: str,
    do: Callable[[Case], object],
    done: str,
) -> HttpResponse:
    case = case_or_404(staff, number)
    before = snapshot(case)
    try:
        # The change and its audit entry are committed together, or neither is.
        with transaction.atomic():
            do(case)
            after = snapshot(Case.objects.get(pk=case.pk))
            said = {k: request.POST[k][:2000] for k in ("text", "photo") if k in request.POST}
            audit.record(
                request,
                staff.tenant,
                f"case.{form}",
                obj=("case", case.number),
                before={k: v for k, v in before.items() if after.get(k) != v},
                after={**{k: v for k, v in after.items() if before.get(k) != v}, **said},
            )
    except InvalidInput as exc:
        return render_case(request, staff, case, errors={form: _field_message(exc)}, status=422)
    messages.success(request, done)
    return HttpResponseRedirect(f"/{staff.tenant.slug}/staff/cases/{case.number}#{form}")


def snapshot(case: Case) -> dict[str, object]:
    """The fields of a case that staff actions change, for the audit log."""
    return {
        "status": case.status,
        "assignee": case.assignee.get_username() if case.assignee else "",
        "category": case.category.slug,
        "department": case.department.slug,
        "published": case.published,
        "public_description": case.public_description,
        "duplicate_of": case.duplicate_of.number if case.duplicate_of else None,
        "photos": sorted(
            f"{p.pk}{' hidden' if p.hidden else ''}:{p.image.name.rsplit('/', 1)[-1]}"
            for p in case.photos.all()
        ),
    }


class Refused(InvalidInput):
    """Refused here, with a message already in the reader's language."""


def _field_message(exc: InvalidInput) -> str:
    """The domain speaks English to programs; staff read their own language."""
    if isinstance(exc, Refused):
        return str(exc)
    known = {
        "transition_refused": _("This status change is not possible from the current status."),
    }
    by_field = {
        "into": _("This case cannot be merged into that one."),
        "assignee": _("Not a case worker of this town."),
        "category": _("Choose a category."),
        "box": _("Choose an area inside the photo."),
        "text": _("Write a text."),
    }
    return known.get(exc.code) or by_field.get(exc.field or "") or str(exc)


@require_POST
@staff_view("case.handle")
def set_status(request: HttpRequest, staff: Staff, number: int) -> HttpResponse:
    wanted = request.POST.get("status", "")
    message = request.POST.get("text", "")

    def do(case: Case) -> None:
        if not wanted:
            raise Refused(_("Choose the new status."), field="status")
        service.change_status(case, wanted, staff.user, text=message.strip())

    return _act(request, staff, number, "status", do, _("Status changed."))


@require_POST
@staff_view("case.handle")
def send_reply(request: HttpRequest, staff: Staff, number: int) -> HttpResponse:
    """A public answer; with a new status it goes out as one notice, not two."""
    message = request.POST.get("text", "")
    wanted = request.POST.get("status", "")

    def do(case: Case) -> None:
        if not message.strip():
            raise Refused(_("Write the answer."), field="text")
        if wanted:
            service.change_status(case, wanted, staff.user, text=message.strip())
        else:
            service.reply(case, message, staff.user)

    return _act(request, staff, number, "reply", do, _("Answer sent."))


@require_POST
@staff_view("case.handle")
def add_note(request: HttpRequest, staff: Staff, number: int) -> HttpResponse:
    def do(case: Case) -> None:
        if not request.POST.get("text", "").strip():
            raise Refused(_("Write the note."), field="text")
        service.add_note(case, request.POST["text"], staff.user)

    return _act(request, staff, number, "note", do, _("Note added."))


@require_POST
@staff_view("case.handle")
def assign(request: HttpRequest, staff: Staff, number: int) -> HttpResponse:
    raw = request.POST.get("assignee", "")

    def do(case: Case) -> None:
        if raw == "me":
            person = staff.user
        elif raw == "":
            person = None
        elif raw.isascii() and raw.isdigit():
            person = get_user_model().objects.filter(pk=int(raw)).first()
            if person is None:
                raise Refused(_("Not a case worker of this town."), field="assignee")
        else:
            raise Refused(_("Not a case worker of this town."), field="assignee")
        service.assign(case, person, staff.user)

    return _act(request, staff, number, "assign", do, _("Assignment saved."))


@require_POST
@staff_view("case.handle")
def route(request: HttpRequest, staff: Staff, number: int) -> HttpResponse:
    def do(case: Case) -> None:
        # A report needs a place and an inquiry is never public: each stays its own kind.
        category = Category.objects.filter(
            tenant=staff.tenant, slug=request.POST.get("category", ""), kind=case.category.kind
        ).first()
        if category is None:
            raise Refused(_("Choose a category."), field="category")
        service.route(case, category, staff.user)

    return _act(request, staff, number, "route", do, _("Category and department changed."))


@require_POST
@staff_view("case.handle")
def merge(request: HttpRequest, staff: Staff, number: int) -> HttpResponse:
    raw = request.POST.get("into", "").strip().lstrip("#")

    def do(case: Case) -> None:
        into = (
            Case.objects.filter(tenant=staff.tenant, number=int(raw)).first()
            if raw.isascii() and raw.isdigit()
            else None
        )
        if into is None:
            raise Refused(_("There is no case with this number."), field="into")
        service.merge(case, into, staff.user)

    return _act(
        request, staff, number, "merge", do, _("Merged; the followers now follow the other case.")
    )


@require_POST
@staff_view("case.moderate")
def moderate(request: HttpRequest, staff: Staff, number: int) -> HttpResponse:
    def do(case: Case) -> None:
        service.moderate(
            case,
            request.POST.get("public_description", ""),
            request.POST.get("published") == "1",
            staff.user,
        )

    return _act(request, staff, number, "moderation", do, _("Publication saved."))


PHOTO_ACTIONS = {"hide", "show", "blur", "remove"}


@require_POST
@staff_view("case.moderate")
def photo(
    request: HttpRequest, staff: Staff, number: int, photo_id: int, action: str
) -> HttpResponse:
    def do(case: Case) -> None:
        picture = CasePhoto.objects.filter(case=case, pk=photo_id).first()
        if picture is None or action not in PHOTO_ACTIONS:
            raise Refused(_("There is no such photo."), field="photo")
        if action in {"hide", "show"}:
            media.set_photo_hidden(picture, action == "hide", staff.user)
        elif action == "blur":
            media.blur_photo(picture, staff.user)
        else:
            media.remove_photo(picture, staff.user)

    return _act(request, staff, number, "photos", do, _("Photo changed."))
