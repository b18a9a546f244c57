"""The town's templates for frequent messages (road closure, water outage, office closed),
kept by its admins and publishers: names, texts with [placeholders], severity and topics."""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from stadtbote.audit import log as audit
from stadtbote.core.severity import NAMES as SEVERITIES
from stadtbote.messages.models import MessageTemplate
from stadtbote.messages.service import MAX_BODY, MAX_TITLE
from stadtbote.staff.access import Staff, staff_view
from stadtbote.staff.views.common import staff_page, text

MAX_NAME = 80
TEXTS = (("name", MAX_NAME), ("title", MAX_TITLE), ("body", MAX_BODY))


def _back(staff: Staff) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"/{staff.tenant.slug}/staff/templates/")


@staff_view("message.create")
def template_list(request: HttpRequest, staff: Staff) -> HttpResponse:
    t = staff.tenant
    lang = request.LANGUAGE_CODE
    topic_names = {tp.slug: text(tp.name, lang, t.default_language) for tp in t.topics.all()}
    rows = [
        {
            "t": m,
            "name": text(m.name, lang, t.default_language),
            "topics": ", ".join(topic_names.get(s, s) for s in m.topics),
        }
        for m in MessageTemplate.objects.filter(tenant=t)
    ]
    return staff_page(
        request, staff, "staff/message_templates.html", {"nav": "templates", "rows": rows}
    )


def _read(request: HttpRequest, staff: Staff) -> tuple[dict[str, Any], dict[str, str]]:
    """The posted form as template fields, and the errors keyed by the input's id."""
    t = staff.tenant
    post = request.POST
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field, limit in TEXTS:
        values = {
            lang: post.get(f"{field}_{lang}", "").strip()
            for lang in t.languages
            if post.get(f"{field}_{lang}", "").strip()
        }
        for lang, value in values.items():
            if len(value) > limit:
                errors[f"{field}-{lang}"] = _("At most %(n)d characters.") % {"n": limit}
        data[field] = values
    for field in ("name", "title"):
        if not data[field].get(t.default_language):
            errors.setdefault(f"{field}-{t.default_language}", _("This field is required."))
    severity = post.get("severity", "info")
    if severity not in SEVERITIES:
        errors["severity"] = _("Choose a severity.")
    data["severity"] = severity
    known = set(t.topics.values_list("slug", flat=True))
    data["topics"] = [s for s in post.getlist("topic") if s in known]
    return data, errors


def _free_slug(staff: Staff, name: str) -> str:
    base = slugify(name)[:50] or "vorlage"
    taken = set(MessageTemplate.objects.filter(tenant=staff.tenant).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _fields(template: MessageTemplate) -> dict[str, Any]:
    return {
        "name": template.name,
        "title": template.title,
        "body": template.body,
        "severity": template.severity,
        "topics": template.topics,
    }


def _form_page(
    request: HttpRequest,
    staff: Staff,
    template: MessageTemplate | None,
    errors: dict[str, str],
) -> HttpResponse:
    t = staff.tenant
    lang = request.LANGUAGE_CODE
    post = request.POST if errors else None
    saved = _fields(template) if template else {"name": {}, "title": {}, "body": {}}

    def value(field: str, language: str) -> str:
        if post is not None:
            return post.get(f"{field}_{language}", "")
        return str(saved[field].get(language, ""))

    texts = [
        {
            "lang": language,
            "fields": [
                {
                    "field": field,
                    "id": f"{field}-{language}",
                    "name": f"{field}_{language}",
                    "limit": limit,
                    "value": value(field, language),
                    "error": errors.get(f"{field}-{language}", ""),
                    "required": field != "body" and language == t.default_language,
                }
                for field, limit in TEXTS
            ],
        }
        for language in t.languages
    ]
    context = {
        "nav": "templates",
        "template": template,
        "errors": errors,
        "texts": texts,
        "severities": SEVERITIES,
        "severity": post.get("severity") if post else (template.severity if template else "info"),
        "topics": [(tp.slug, text(tp.name, lang, t.default_language)) for tp in t.topics.all()],
        "chosen": post.getlist("topic") if post else (template.topics if template else []),
    }
    return staff_page(
        request,
        staff,
        "staff/message_template_form.html",
        context,
        status=400 if errors else 200,
    )


@staff_view("message.create")
def template_form(
    request: HttpRequest, staff: Staff, template_id: int | None = None
) -> HttpResponse:
    template = (
        get_object_or_404(MessageTemplate, pk=template_id, tenant=staff.tenant)
        if template_id is not None
        else None
    )
    if request.method != "POST":
        return _form_page(request, staff, template, {})
    data, errors = _read(request, staff)
    if errors:
        return _form_page(request, staff, template, errors)
    with transaction.atomic():
        if template is None:
            last = MessageTemplate.objects.filter(tenant=staff.tenant).aggregate(n=Max("position"))
            template = MessageTemplate.objects.create(
                tenant=staff.tenant,
                slug=_free_slug(staff, data["name"][staff.tenant.default_language]),
                position=(last["n"] or 0) + 1,
                **data,
            )
            audit.record(request, staff.tenant, "template.create",
                         obj=("template", template.slug), after=data)  # fmt: skip
        else:
            before = _fields(template)
            for field, value in data.items():
                setattr(template, field, value)
            template.save()
            audit.record(request, staff.tenant, "template.update",
                         obj=("template", template.slug), before=before, after=data)  # fmt: skip
    flash.success(request, _("Template saved."))
    return _back(staff)


@require_POST
@staff_view("message.create")
def delete_template(request: HttpRequest, staff: Staff, template_id: int) -> HttpResponse:
    template = get_object_or_404(MessageTemplate, pk=template_id, tenant=staff.tenant)
    with transaction.atomic():
        audit.record(request, staff.tenant, "template.delete",
                     obj=("template", template.slug), before=_fields(template))  # fmt: skip
        template.delete()
    flash.success(request, _("Template deleted."))
    return _back(staff)
