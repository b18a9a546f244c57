"""The town's contacts page: its public offices with address, opening hours, phone and e-mail,
and the town's general contact. The assistant's contact entries point into it (#<slug>)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language

from stadtbote.assistant.derived import public_departments, tel_href, text
from stadtbote.web.common import page, tenant_or_404


def contacts(request: HttpRequest, tenant: str) -> HttpResponse:
    t = tenant_or_404(tenant)
    lang = get_language() or t.default_language
    offices: list[dict[str, Any]] = []
    for d in public_departments(t):
        name, name_lang = text(d.name, lang, t.default_language)
        hours, hours_lang = text(d.opening_hours, lang, t.default_language)
        offices.append(
            {
                "slug": d.slug,
                "name": name or d.slug,
                "name_lang": name_lang,
                "address": d.address,
                "phone": d.phone,
                "tel": tel_href(d.phone) if d.phone else "",
                "email": d.public_email,
                "hours": hours,
                "hours_lang": hours_lang,
            }
        )
    return page(
        request, "web/contacts.html", t, {"offices": offices, "lang": lang, "nav": "contacts"}
    )
