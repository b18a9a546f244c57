"""Reporting a problem in the citizen app: one form that works without JavaScript (a POST with
photos), nicer with it (a map, duplicates offered before sending, only the chosen category's
questions)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from stadtbote.core import ratelimit
from stadtbote.core.errors import InvalidInput
from stadtbote.reports import following, media, photos, service
from stadtbote.reports.models import Category, CategoryKind
from stadtbote.reports.notify import STATUS_WORDS
from stadtbote.tenants.models import Municipality
from stadtbote.web.common import page, tenant_or_404
from stadtbote.web.session import current_subscriber

POSTS_PER_REPORT = 5  # tries (errors, the duplicates step) a citizen may need per report
FIELDS = ("category", "lat", "lon", "address", "description", "name", "email", "phone")


def _text(value: Any, lang: str, default: str) -> str:
    if isinstance(value, dict):
        return value.get(lang) or value.get(default) or next(iter(value.values()), "")
    return str(value or "")


def categories(
    t: Municipality,
    lang: str,
    post: QueryDict | None = None,
    errors: Mapping[str, str] | None = None,
) -> list[tuple[str, list[dict[str, Any]]]]:
    """Active categories grouped as the town groups them, with their questions (and what was
    answered and refused in the form being shown again)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for c in Category.objects.filter(tenant=t, active=True, kind=CategoryKind.REPORT):
        group = _text(c.group, lang, t.default_language) if c.group else _("Other")
        questions = sorted(
            (q for q in c.questions if q.get("variable", True)), key=lambda q: q.get("order", 0)
        )
        groups.setdefault(group, []).append(
            {
                "slug": c.slug,
                "name": _text(c.name, lang, t.default_language),
                "description": _text(c.description, lang, t.default_language),
                "hours": c.first_response_hours,
                "questions": [_question(c.slug, q, lang, post, errors) for q in questions],
            }
        )
    return list(groups.items())


def _question(
    slug: str,
    q: dict[str, Any],
    lang: str,
    post: QueryDict | None,
    errors: Mapping[str, str] | None,
) -> dict[str, Any]:
    name = f"q-{slug}-{q['code']}"
    chosen = [v for v in post.getlist(name) if v] if post is not None else []
    return {
        **q,
        "name": name,
        "label": _text(q.get("description") or q["code"], lang, "de"),
        "value": chosen[0] if chosen else "",
        "options": [
            {"key": str(v["key"]), "name": _text(v.get("name") or v["key"], lang, "de")}
            for v in q.get("values", [])
        ],
        "chosen": chosen,
        "error": (errors or {}).get(name, ""),
    }


def _answers(request: HttpRequest, category: Category | None) -> dict[str, Any]:
    if category is None:
        return {}
    given: dict[str, Any] = {}
    for q in category.questions:
        name = f"q-{category.slug}-{q['code']}"
        if q.get("datatype") == "multivaluelist":
            values = [v for v in request.POST.getlist(name) if v]
            if values:
                given[q["code"]] = values
        elif request.POST.get(name, "").strip():
            given[q["code"]] = request.POST[name].strip()
    return given


def _message(exc: InvalidInput, category: Category | None) -> tuple[str, str]:
    """(form field id, message in the reader's language) for a refused report."""
    field = exc.field or ""
    if field.startswith("attribute["):
        code = field.removeprefix("attribute[").removesuffix("]")
        asked = category is not None and any(q.get("code") == code for q in category.questions)
        return (
            f"q-{category.slug}-{code}" if category is not None and asked else "report-form",
            _("Please answer the questions marked as required, as asked."),
        )
    known = {
        "category": ("category", _("Choose what you want to report.")),
        "location": ("location", _("Set the place on the map or describe where it is.")),
        "lat": (
            "location",
            _("This place is outside the town. Set the place on the map again.")
            if exc.code == "outside"
            else _("Set the place on the map again."),
        ),
        "description": ("description", _("The description is too long.")),
        "email": ("email", _("This is not a valid e-mail address.")),
    }
    return known.get(field, ("report-form", str(exc)))


PHOTO_ERRORS = {
    "too_large": gettext_lazy("This photo is larger than 12 MB."),
    "too_many_pixels": gettext_lazy("This photo has too many pixels."),
    "unsupported_type": gettext_lazy("Please send a JPEG, PNG or WebP photo."),
    "not_an_image": gettext_lazy("This file is not a photo we can read."),
    "empty": gettext_lazy("This file is empty."),
}


def _photos(request: HttpRequest) -> tuple[list[photos.Photo], str]:
    """Process up to three uploads before the report is stored, so a bad photo does not leave
    a report without its photos behind."""
    files = [f for f in request.FILES.getlist("photos") if f.size]
    if len(files) > media.MAX_PHOTOS:
        return [], _("At most 3 photos.")
    done = []
    for f in files:
        if f.size and f.size > photos.MAX_UPLOAD_BYTES:
            return [], str(PHOTO_ERRORS["too_large"])
        try:
            done.append(photos.process(f.read(photos.MAX_UPLOAD_BYTES + 1)))
        except photos.PhotoRejected as exc:
            return [], str(PHOTO_ERRORS.get(exc.code, PHOTO_ERRORS["not_an_image"]))
    return done, ""


def _form(
    request: HttpRequest,
    t: Municipality,
    *,
    errors: dict[str, str] | None = None,
    duplicates: list[dict[str, Any]] | None = None,
    status: int = 200,
) -> HttpResponse:
    lang = get_language() or t.default_language
    posted = {k: request.POST.get(k, "") for k in FIELDS} if request.method == "POST" else {}
    if not posted:
        posted = {"category": request.GET.get("category", "")}
    context = {
        "nav": "report",
        "groups": categories(t, lang, request.POST if request.method == "POST" else None, errors),
        "posted": posted,
        "errors": errors or {},
        "duplicates": duplicates or [],
        "subscriber": current_subscriber(request, t),
        "had_photos": any(f.size for f in request.FILES.getlist("photos")),
        "js_text": {
            "pointSet": _("Point set at %(lat)s, %(lon)s."),
            "locating": _("Finding your location…"),
            "locateFailed": _("Your location could not be found. Please set the point on the map."),
            "nearbyTitle": _("Already reported nearby"),
            "follow": _("Follow this report instead"),
        },
    }
    response = page(request, "web/report.html", t, context, status=status)
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, tenant: str) -> HttpResponse:
    t = tenant_or_404(tenant)
    if request.method == "GET":
        return _form(request, t)
    ident = f"{t.pk}:{request.META.get('REMOTE_ADDR', '')}"
    # Stored reports count against the limit the API has too; every POST (photos are decoded)
    # against a looser one, so a citizen correcting mistakes is not locked out but a bot is.
    if not ratelimit.allow(
        "report-post", ident, POSTS_PER_REPORT * service.REPORTS_PER_HOUR, 3600
    ) or ratelimit.exhausted("report", ident, service.REPORTS_PER_HOUR, 3600):
        message = _("Too many reports from your connection. Please try again in an hour.")
        return _form(request, t, errors={"report-form": message}, status=429)
    category = Category.objects.filter(
        tenant=t, slug=request.POST.get("category", ""), active=True, kind=CategoryKind.REPORT
    ).first()
    data: dict[str, Any] = {k: request.POST.get(k, "") for k in FIELDS}
    data["answers"] = _answers(request, category)
    processed, photo_error = _photos(request)
    if photo_error:
        return _form(request, t, errors={"photos": photo_error}, status=422)
    if category and data["lat"] and data["lon"] and request.POST.get("confirmed_new") != "1":
        near = _near(t, category.slug, data["lat"], data["lon"])
        if near:
            return _form(request, t, duplicates=near)
    try:
        case = service.create_case(t, data)
    except InvalidInput as exc:
        field, message = _message(exc, category)
        return _form(request, t, errors={field: message}, status=422)
    ratelimit.allow("report", ident, service.REPORTS_PER_HOUR, 3600)
    for photo in processed:
        media.store(case, photo)
    subscriber = current_subscriber(request, t)
    if subscriber is not None:
        following.follow_as_subscriber(case, subscriber, reporter=True)
    return HttpResponseRedirect(f"/{t.slug}/reports/{case.public_id}?new=1")


def _near(t: Municipality, category: str, lat: str, lon: str) -> list[dict[str, Any]]:
    try:
        la, lo = float(lat), float(lon)
    except ValueError:
        return []
    if not (math.isfinite(la) and math.isfinite(lo)):
        return []  # create_case then names the field
    return [
        {
            "case": c,
            "status": STATUS_WORDS[c.status],
            "distance": round(service.distance_m(la, lo, c.lat or la, c.lon or lo)),
        }
        for c in service.likely_duplicates(t, category, la, lo)
    ]
