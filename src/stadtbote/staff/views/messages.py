"""Composing, approving, following and withdrawing messages in the staff console."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from stadtbote.audit import log as audit
from stadtbote.core.errors import InvalidInput
from stadtbote.core.severity import Severity
from stadtbote.core.tasks import enqueue_on_commit
from stadtbote.delivery import dispatch, preview
from stadtbote.delivery.approval_requests import ask_for_approval
from stadtbote.delivery.registry import available
from stadtbote.geo.models import District
from stadtbote.messages import approval, templates
from stadtbote.messages import service as messages
from stadtbote.messages.models import Message, MessageStatus, MessageTemplate
from stadtbote.staff.access import Staff, staff_view
from stadtbote.staff.views.common import staff_page, text
from stadtbote.staff.views.message_sending import CHANNEL_WORDS, follow, posts, sms_preview
from stadtbote.tenants.models import Municipality

# What the form offers: "Push" reaches browsers and the town's apps alike (staff choose whom to
# reach, not which push service), so its checkbox stands for all three push kinds.
FORM_CHANNELS = {"webpush": ("webpush", "fcm", "apns"), "email": ("email",), "sms": ("sms",)}
FORM_WORDS = {
    "webpush": gettext_lazy("Push (browser and app)"),
    "email": gettext_lazy("E-mail"),
    "sms": gettext_lazy("SMS"),
}


def form_channels(tenant: Municipality) -> list[tuple[str, Any]]:
    """The channel checkboxes the town can use (SMS only with providers configured)."""
    return [(c, FORM_WORDS[c]) for c in FORM_CHANNELS if c != "sms" or available("sms", tenant)]


FIELD_TO_FORM = {
    "title": "texts",
    "body": "texts",
    "severity": "severity",
    "topics": "topics",
    "area": "target",
    "channels": "channels",
    "send_at": "when",
    "expires_at": "expires",
}


STATUS_WORDS = {
    MessageStatus.DRAFT: pgettext_lazy("message status", "waiting for approval"),
    MessageStatus.SCHEDULED: pgettext_lazy("message status", "scheduled"),
    MessageStatus.PUBLISHED: pgettext_lazy("message status", "sent"),
    MessageStatus.CANCELLED: pgettext_lazy("message status", "withdrawn"),
}


def target_words(message: Message, lang: str) -> str:
    area, t = message.area, message.tenant
    if area.get("kind") == "districts":
        names = {
            d.slug: text(d.name, lang, t.default_language)
            for d in District.objects.filter(tenant=t, slug__in=area.get("slugs", []))
        }
        return ", ".join(names.get(s, s) for s in area.get("slugs", []))
    if area.get("kind") == "circle":
        return _("a circle of %(m)s m") % {"m": round(area.get("radius_m", 0))}
    if area.get("kind") == "shape":
        return _("an area drawn on the map")
    return _("the whole town")


class FormError(InvalidInput):
    """Refused by the form itself, with a message in the reader's language."""


def _local(value: str, tenant_tz: str, field: str) -> str | None:
    """A datetime-local value (the town's wall clock) as ISO 8601 with its offset."""
    if not value:
        return None
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        raise FormError(_("Enter a date and time."), field=field) from None
    return naive.replace(tzinfo=ZoneInfo(tenant_tz)).isoformat()


def form_data(request: HttpRequest, staff: Staff) -> dict[str, Any]:
    """The compose form as the input ``messages.service.create`` checks."""
    post, tenant = request.POST, staff.tenant
    data: dict[str, Any] = {
        "title": {
            lang: post.get(f"title_{lang}", "").strip()
            for lang in tenant.languages
            if post.get(f"title_{lang}", "").strip()
        },
        "body": {
            lang: post.get(f"body_{lang}", "").strip()
            for lang in tenant.languages
            if post.get(f"body_{lang}", "").strip()
        },
        "severity": post.get("severity", "info"),
        "topics": post.getlist("topic"),
        "channels": [k for c in post.getlist("channel") for k in FORM_CHANNELS.get(c, ())],
    }
    if not data["channels"]:
        raise FormError(_("Choose at least one channel."), field="channels")
    left = templates.unfilled([*data["title"].values(), *data["body"].values()])
    if left:
        raise FormError(
            _("Fill in or delete: %(names)s") % {"names": ", ".join(left)}, field="title"
        )
    target = post.get("target", "town")
    if target == "districts":
        slugs = post.getlist("district")
        if not slugs:
            raise FormError(_("Choose at least one district."), field="area")
        data["area"] = {"areas": slugs}
    elif target == "drawn":
        try:
            drawn = json.loads(post.get("drawn") or "null")
        except ValueError:
            drawn = None
        if not isinstance(drawn, dict):
            raise FormError(_("Draw the area on the map."), field="area")
        data["area"] = drawn
    if post.get("when") == "later":
        data["send_at"] = _local(post.get("send_at", ""), tenant.timezone, "send_at")
        if data["send_at"] is None:
            raise FormError(_("Enter when to send."), field="send_at")
    data["expires_at"] = _local(post.get("expires_at", ""), tenant.timezone, "expires_at")
    if post.get("replaces"):
        data["replaces"] = post["replaces"]
    return data


def _choices(staff: Staff, lang: str) -> dict[str, Any]:
    t = staff.tenant
    return {
        "languages": t.languages,
        "severities": [s.label for s in Severity],
        "topics": [(tp.slug, text(tp.name, lang, t.default_language)) for tp in t.topics.all()],
        "districts": [
            (d.slug, text(d.name, lang, t.default_language))
            for d in District.objects.filter(tenant=t).order_by("position", "slug")
        ],
        "channels": form_channels(t),
        "approval_from": t.approval_from,
        "templates": [
            (m.slug, text(m.name, lang, t.default_language))
            for m in MessageTemplate.objects.filter(tenant=t)
        ],
    }


def _replaceable(staff: Staff, message_id: str) -> Message | None:
    """A message of this town that citizens may have seen, so an update makes sense."""
    try:
        return Message.objects.filter(
            tenant=staff.tenant,
            pk=message_id,
            status__in=[MessageStatus.PUBLISHED, MessageStatus.CANCELLED],
        ).first()
    except (ValueError, ValidationError):
        return None


def _prefill(message: Message) -> dict[str, Any]:
    """The compose form filled with a message, to write its update."""
    area = message.area
    data: dict[str, Any] = {
        "severity": Severity(message.severity).label,
        "topic": list(message.topics.values_list("slug", flat=True)),
        "channel": [c for c, kinds in FORM_CHANNELS.items() if set(kinds) & set(message.channels)],
        "target": {"districts": "districts", "shape": "drawn", "circle": "drawn"}.get(
            area.get("kind", "town"), "town"
        ),
        "district": list(area.get("slugs", [])),
        "replaces": str(message.pk),
    }
    if area.get("kind") == "shape":
        data["drawn"] = json.dumps(area["geometry"])
    elif area.get("kind") == "circle":
        data["drawn"] = json.dumps({"circle": {k: area[k] for k in ("lat", "lon", "radius_m")}})
    for lang, value in message.title.items():
        data[f"title_{lang}"] = value
    for lang, value in message.body.items():
        data[f"body_{lang}"] = value
    return data


def _from_template(template: MessageTemplate) -> dict[str, Any]:
    data: dict[str, Any] = {
        "severity": template.severity,
        "topic": list(template.topics),
        "template": template.slug,
    }
    for lang, value in template.title.items():
        data[f"title_{lang}"] = value
    for lang, value in template.body.items():
        data[f"body_{lang}"] = value
    return data


def _message_error(exc: InvalidInput) -> tuple[str, str]:
    if isinstance(exc, FormError):
        return FIELD_TO_FORM.get(exc.field or "", "texts"), str(exc)
    field = (exc.field or "").split(".")[0].split("[")[0]
    return FIELD_TO_FORM.get(field, "texts"), exc.detail


@staff_view("message.create")
def compose(request: HttpRequest, staff: Staff) -> HttpResponse:
    lang = request.LANGUAGE_CODE
    context: dict[str, Any] = {"nav": "messages", **_choices(staff, lang), "errors": {}}
    if request.method != "POST":
        replaced = _replaceable(staff, request.GET.get("replaces", ""))
        template = MessageTemplate.objects.filter(
            tenant=staff.tenant, slug=request.GET.get("template", "")
        ).first()
        prefill = _prefill(replaced) if replaced else _from_template(template) if template else {}
        return staff_page(
            request, staff, "staff/compose.html", {**context, "post": prefill, "replaced": replaced}
        )
    try:
        data = form_data(request, staff)
        severity = Severity.parse(str(data["severity"]))
        held = approval.needs_approval(severity, staff.tenant.approval_from)
        with transaction.atomic():
            message = messages.create(staff.tenant, {**data, "hold": held}, None)
            Message.objects.filter(pk=message.pk).update(author=staff.user)
            audit.record(
                request,
                staff.tenant,
                "message.create",
                obj=("message", message.pk),
                after={
                    "replaces": str(message.replaces_id or ""),
                    "title": message.title,
                    "severity": severity.label,
                    "area": message.area.get("kind"),
                    "channels": message.channels,
                    "status": message.status,
                },
            )
            if held:
                enqueue_on_commit(ask_for_approval, str(message.pk))
            else:
                dispatch.submit(message)
    except (InvalidInput, ValueError) as exc:
        if isinstance(exc, InvalidInput):
            field, message_text = _message_error(exc)
        else:
            field, message_text = "severity", str(exc)
        posted: dict[str, Any] = request.POST.dict()
        for many in ("topic", "district", "channel"):
            posted[many] = request.POST.getlist(many)
        context.update(errors={field: message_text}, post=posted)
        return staff_page(request, staff, "staff/compose.html", context, status=422)
    if held:
        flash.success(request, _("Saved. A second person must approve it before it is sent."))
    else:
        flash.success(request, _("Sent on its way."))
    return HttpResponseRedirect(f"/{staff.tenant.slug}/staff/messages/{message.pk}")


@require_POST
@staff_view("message.create")
def reach(request: HttpRequest, staff: Staff) -> HttpResponse:
    """The recipients per channel for exactly what the form says now (htmx)."""
    try:
        data = form_data(request, staff)
        area = messages.area(staff.tenant, data.get("area"))
        counted = preview.reach(
            staff.tenant,
            Severity.parse(str(data["severity"])),
            list(data["topics"]),
            area,
            list(data["channels"]),
        )
    except (InvalidInput, ValueError) as exc:
        problem = str(exc) if isinstance(exc, FormError) else _("Check the target area.")
        return staff_page(request, staff, "staff/_reach.html", {"problem": problem})
    rows = [(CHANNEL_WORDS.get(c, c), n) for c, n in counted.by_channel.items()]
    context = {"reach": counted, "reach_rows": rows, "sms": sms_preview(staff.tenant, data)}
    return staff_page(request, staff, "staff/_reach.html", context)


def _message_or_404(staff: Staff, message_id: str) -> Message:
    found = Message.objects.filter(tenant=staff.tenant, pk=message_id).first()
    if found is None:
        raise Http404("no such message")
    return found


@staff_view("message.read_all")
def message_list(request: HttpRequest, staff: Staff) -> HttpResponse:
    lang = request.LANGUAGE_CODE
    rows = [
        {
            "message": m,
            "title": text(m.title, lang, staff.tenant.default_language),
            "severity": Severity(m.severity).label,
            "status": STATUS_WORDS[MessageStatus(m.status)],
        }
        for m in Message.objects.filter(tenant=staff.tenant).order_by("-created_at")[:100]
    ]
    return staff_page(request, staff, "staff/messages.html", {"nav": "messages", "rows": rows})


@staff_view("message.read_all")
def message_detail(request: HttpRequest, staff: Staff, message_id: str) -> HttpResponse:
    message = _message_or_404(staff, message_id)
    lang = request.LANGUAGE_CODE
    context = {
        "nav": "messages",
        "message": message,
        "severity": Severity(message.severity).label,
        "status_word": STATUS_WORDS[MessageStatus(message.status)],
        "target": target_words(message, lang),
        "channel_words": ", ".join(str(CHANNEL_WORDS.get(c, c)) for c in message.channels),
        "titles": message.title,
        "bodies": message.body,
        "title": text(message.title, lang, staff.tenant.default_language),
        "may_approve": staff.may("message.approve_other")
        and message.status == MessageStatus.DRAFT
        and approval.may_approve(message.author_id, staff.user.pk),
        "may_update": staff.may("message.create")
        and message.status in (MessageStatus.PUBLISHED, MessageStatus.CANCELLED),
        "may_cancel": staff.may("message.cancel")
        and message.status in (MessageStatus.PUBLISHED, MessageStatus.SCHEDULED),
        **follow(message),
        "posts": posts(message),
    }
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "follow":
        return staff_page(request, staff, "staff/_follow.html", context)
    return staff_page(request, staff, "staff/message.html", context)


@require_POST
@staff_view("message.approve_other")
def approve(request: HttpRequest, staff: Staff, message_id: str) -> HttpResponse:
    message = _message_or_404(staff, message_id)
    base = f"/{staff.tenant.slug}/staff/messages/{message.pk}"
    if message.status != MessageStatus.DRAFT:
        flash.error(request, _("This message is not waiting for approval."))
        return HttpResponseRedirect(base)
    if not approval.may_approve(message.author_id, staff.user.pk):
        flash.error(request, _("You wrote this message; a second person must approve it."))
        return HttpResponseRedirect(base)
    with transaction.atomic():
        if not dispatch.approve(message):  # withdrawn (or approved) since the check above
            flash.error(request, _("This message is not waiting for approval."))
            return HttpResponseRedirect(base)
        Message.objects.filter(pk=message.pk).update(approved_by=staff.user)
        audit.record(
            request,
            staff.tenant,
            "message.approve",
            obj=("message", message.pk),
            before={"status": MessageStatus.DRAFT},
            after={"status": message.status, "at": timezone.now().isoformat()},
        )
    flash.success(request, _("Approved and sent on its way."))
    return HttpResponseRedirect(base)


@require_POST
@staff_view("message.cancel")
def cancel(request: HttpRequest, staff: Staff, message_id: str) -> HttpResponse:
    message = _message_or_404(staff, message_id)
    before = message.status
    with transaction.atomic():
        stopped = dispatch.cancel(message)
        audit.record(
            request,
            staff.tenant,
            "message.cancel",
            obj=("message", message.pk),
            before={"status": before},
            after={"status": MessageStatus.CANCELLED, "stopped": stopped},
        )
    flash.success(request, _("Withdrawn. Whoever received it is told that it no longer applies."))
    return HttpResponseRedirect(f"/{staff.tenant.slug}/staff/messages/{message.pk}")
