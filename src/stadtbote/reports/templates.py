"""Reply templates: the town's frequent answers with placeholders filled from the case.

Filling is deliberately dumb: only ``{name}`` of the known names is replaced. Anything else,
``{0}``, ``{number.__class__}`` or a lone brace, stays as written, so a template typed by staff
can neither fail nor reach into Python objects (``str.format`` would allow both).
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import formats, translation

from stadtbote.reports.models import Case, ReplyTemplate

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
NAMES = ("number", "category", "town", "address", "due")


def for_case(case: Case) -> list[ReplyTemplate]:
    """The town's active templates for this case's category, and those for every category."""
    return list(
        ReplyTemplate.objects.filter(tenant_id=case.tenant_id, active=True)
        .filter(Q(category__isnull=True) | Q(category_id=case.category_id))
        .order_by("position", "slug")
    )


def _pick(value: dict[str, str], language: str, default: str) -> str:
    return value.get(language) or value.get(default) or next(iter(value.values()), "")


def values(case: Case, language: str) -> dict[str, str]:
    tenant = case.tenant
    due = case.resolve_due.astimezone(ZoneInfo(tenant.timezone))
    with translation.override(language):
        due_text = formats.date_format(due, "SHORT_DATE_FORMAT")
    return {
        "number": str(case.number),
        "category": _pick(case.category.name, language, tenant.default_language),
        "town": tenant.name,
        "address": case.address or _place(case),
        "due": due_text,
    }


def _place(case: Case) -> str:
    """A report placed on the map without an address is named by its coordinates."""
    if case.lat is None or case.lon is None:
        return ""
    return f"{case.lat:.5f}, {case.lon:.5f}"


def fill(text: str, known: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: known.get(m.group(1), m.group(0)), text)


def render(template: ReplyTemplate, case: Case, language: str) -> str:
    text = _pick(template.text, language, case.tenant.default_language)
    return fill(text, values(case, language))
