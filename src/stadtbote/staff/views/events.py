"""Dates for a topic's subscribers: their calendar feed and a reminder before each one."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages as flash
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from stadtbote.audit import log as audit
from stadtbote.core.errors import InvalidInput
from stadtbote.messages.event_service import create_event
from stadtbote.messages.models import Event
from stadtbote.staff.access import Staff, staff_view
from stadtbote.staff.views.common import staff_page, text

FIELDS = ("topic", "location", "starts_at", "ends_at", "recurrence", "until", "remind_at",
          "remind_days_before")  # fmt: skip


REPEATS = {
    "": gettext_lazy("once"),
    "weekly": gettext_lazy("weekly"),
    "monthly": gettext_lazy("monthly"),
    "yearly": gettext_lazy("yearly"),
}


def _form_data(request: HttpRequest, staff: Staff) -> dict[str, Any]:
    post = request.POST
    data: dict[str, Any] = {k: post.get(k, "") for k in FIELDS}
    langs = staff.tenant.languages
    for field in ("title", "description"):
        data[field] = {
            lang: post[f"{field}_{lang}"].strip()
            for lang in langs
            if post.get(f"{field}_{lang}", "").strip()
        }
    data["remind"] = post.get("remind") == "1"
    return data


def _anchor(field: str | None, langs: list[str]) -> str:
    """The id of the input an error belongs to. The service names a text ``title.de``; an id
    with a dot breaks CSS selectors (``#title.de`` means a class), so the inputs use ``-``."""
    name, _dot, lang = (field or "title").partition(".")
    if name in ("title", "description"):
        return f"{name}-{lang or langs[0]}"
    return name if name in FIELDS else f"title-{langs[0]}"


def _form(request: HttpRequest, langs: list[str], errors: dict[str, str]) -> dict[str, Any]:
    """What the form shows: after a mistake everything as typed, so nothing is lost."""
    post = request.POST if errors else None
    if post is None:
        values: dict[str, Any] = dict.fromkeys(FIELDS, "")
        values.update(remind=True, remind_days_before="1", remind_at="17:00")
    else:
        values = {k: post.get(k, "") for k in FIELDS}
        values["remind"] = post.get("remind") == "1"

    def text(field: str, lang: str) -> dict[str, str]:
        return {
            "id": f"{field}-{lang}",
            "name": f"{field}_{lang}",
            "value": post.get(f"{field}_{lang}", "") if post else "",
            "error": errors.get(f"{field}-{lang}", ""),
        }

    values["texts"] = [
        {"lang": lang, "title": text("title", lang), "description": text("description", lang)}
        for lang in langs
    ]
    return values


@staff_view("message.create")
def events(request: HttpRequest, staff: Staff) -> HttpResponse:
    lang = request.LANGUAGE_CODE
    t = staff.tenant
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            with transaction.atomic():
                event = create_event(t, _form_data(request, staff), staff.user)
                audit.record(
                    request,
                    t,
                    "event.create",
                    obj=("event", event.uid),
                    after={"title": event.title, "starts_at": event.starts_at.isoformat(),
                           "recurrence": event.recurrence, "topic": event.topic.slug},
                )  # fmt: skip
        except InvalidInput as exc:
            errors = {_anchor(exc.field, t.languages): exc.detail}
        else:
            flash.success(request, _("Date saved."))
            return HttpResponseRedirect(f"/{t.slug}/staff/events/")
    topics = [(tp.slug, text(tp.name, lang, t.default_language)) for tp in t.topics.all()]
    rows = [
        {
            "event": e,
            "title": text(e.title, lang, t.default_language),
            "topic": text(e.topic.name, lang, t.default_language),
            "repeats": REPEATS.get(e.recurrence, e.recurrence),
        }
        for e in Event.objects.filter(tenant=t).select_related("topic").order_by("starts_at")[:200]
    ]
    context = {
        "nav": "events",
        "rows": rows,
        "topics": topics,
        "errors": errors,
        "form": _form(request, t.languages, errors),
        "repeats": list(REPEATS.items()),
        "feed_base": f"{settings.PUBLIC_URL}/{t.slug}/topics/",
    }
    return staff_page(request, staff, "staff/events.html", context, status=422 if errors else 200)


@require_POST
@staff_view("message.create")
def cancel_event(request: HttpRequest, staff: Staff, uid: str) -> HttpResponse:
    event = Event.objects.filter(tenant=staff.tenant, uid=uid).first()
    if event is None:
        raise Http404("no such date")
    with transaction.atomic():
        Event.objects.filter(pk=event.pk).update(cancelled=True, remind=False)
        audit.record(request, staff.tenant, "event.cancel", obj=("event", event.uid),
                     before={"cancelled": False}, after={"cancelled": True})  # fmt: skip
    flash.success(request, _("Date cancelled; calendars show it as cancelled."))
    return HttpResponseRedirect(f"/{staff.tenant.slug}/staff/events/")
