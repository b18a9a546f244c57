"""Problem reports for citizens and client apps: categories, likely duplicates, reporting,
photos, and the public view of a case."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from stadtbote.api.auth import bearer_subscriber
from stadtbote.api.schemas import ErrorOut
from stadtbote.api.views import cached_json, client_ip, tenant_or_404
from stadtbote.core.errors import NotFound, RateLimited
from stadtbote.core.ratelimit import allow
from stadtbote.reports import following, media, photos, service, stats
from stadtbote.reports.models import Case, CasePhoto, Category, CategoryKind
from stadtbote.reports.states import open311_status

router = Router(tags=["reports"])

UPLOAD_TOKEN_MAX_AGE = 3600
_SALT = "stadtbote.reports.upload"


class ReportIn(Schema):
    category: str
    lat: float | None = None
    lon: float | None = None
    address: str = Field("", max_length=300)
    description: str = Field("", max_length=5000)
    answers: dict[str, Any] = Field(default_factory=dict)
    name: str = Field("", max_length=120)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)


class ReportCreated(Schema):
    id: str
    number: int
    status: str
    upload_token: str = Field(description="Allows adding up to 3 photos within an hour.")
    first_response_due: str


def _text(value: dict[str, str], lang: str, default: str) -> str:
    return value.get(lang) or value.get(default) or next(iter(value.values()), "")


@router.get("/{tenant}/categories", summary="What can be reported, grouped, with questions")
def categories(request: HttpRequest, tenant: str, lang: str | None = None) -> list[dict]:
    t = tenant_or_404(tenant)
    lang = lang or t.default_language
    return [
        {
            "slug": c.slug,
            "name": _text(c.name, lang, t.default_language),
            "group": _text(c.group, lang, t.default_language) if c.group else "",
            "description": _text(c.description, lang, t.default_language) if c.description else "",
            "questions": c.questions,
            "first_response_hours": c.first_response_hours,
        }
        for c in Category.objects.filter(tenant=t, active=True, kind=CategoryKind.REPORT)
    ]


@router.get("/{tenant}/reports/nearby", summary="Open reports of a category near a point")
def nearby(request: HttpRequest, tenant: str, category: str, lat: float, lon: float) -> list[dict]:
    t = tenant_or_404(tenant)
    found = service.likely_duplicates(t, category, lat, lon)
    return [
        {
            **public_case(c),
            "distance_m": round(service.distance_m(lat, lon, c.lat or lat, c.lon or lon)),
        }
        for c in found
    ]


@router.get("/{tenant}/reports/stats", summary="Answered within 24 h, per category and month")
def statistics(request: HttpRequest, tenant: str) -> HttpResponse:
    t = tenant_or_404(tenant)
    rows = [dataclasses.asdict(r) for r in service.statistics(t)]
    return cached_json(request, rows, max_age=300, fingerprint=f"stats:{t.pk}:{rows}")


@router.get("/{tenant}/reports/stats.csv", summary="The same numbers as CSV")
def statistics_csv(request: HttpRequest, tenant: str) -> HttpResponse:
    t = tenant_or_404(tenant)
    response = HttpResponse(stats.to_csv(service.statistics(t)), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{t.slug}-reports-stats.csv"'
    response["Cache-Control"] = "public, max-age=300"
    return response


@router.post(
    "/{tenant}/reports",
    response={201: ReportCreated, 422: ErrorOut, 429: ErrorOut},
    summary="Report a problem",
)
def create(request: HttpRequest, tenant: str, payload: ReportIn) -> Status:
    t = tenant_or_404(tenant)
    if not allow("report", f"{t.pk}:{client_ip(request)}", service.REPORTS_PER_HOUR, 3600):
        raise RateLimited("too many reports from this address; try again later")
    case = service.create_case(t, payload.model_dump())
    token = signing.dumps(str(case.public_id), salt=_SALT)
    return Status(
        201,
        {
            "id": str(case.public_id),
            "number": case.number,
            "status": case.status,
            "upload_token": token,
            "first_response_due": case.first_response_due.isoformat(),
        },
    )


@router.post(
    "/{tenant}/reports/{report_id}/photos",
    response={201: dict, 403: ErrorOut, 404: ErrorOut, 413: ErrorOut, 422: ErrorOut},
    summary="Add a photo (multipart field 'photo'; needs the upload_token)",
)
def add_photo(
    request: HttpRequest, tenant: str, report_id: str, token: str, photo: File[UploadedFile]
) -> Status:
    case = _case(tenant, report_id)
    try:
        allowed_id = signing.loads(token, salt=_SALT, max_age=UPLOAD_TOKEN_MAX_AGE)
    except signing.BadSignature:
        allowed_id = None
    if allowed_id != str(case.public_id):
        return Status(403, {"detail": "token: not valid for this report", "code": "forbidden"})
    if photo.size is not None and photo.size > photos.MAX_UPLOAD_BYTES:
        return Status(413, {"detail": "photo: too large", "code": "too_large", "field": "photo"})
    stored = media.add_photo(case, photo.read(photos.MAX_UPLOAD_BYTES + 1))
    return Status(201, {"width": stored.width, "height": stored.height})


class FollowIn(Schema):
    email: str = Field("", max_length=254)


FOLLOW_MAILS_PER_HOUR = 10


@router.post(
    "/{tenant}/reports/{report_id}/followers",
    response={201: dict, 202: dict, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Follow a report: as the subscriber of the bearer token, or by e-mail (a "
    "confirmation link is sent; 202)",
)
def follow(request: HttpRequest, tenant: str, report_id: str, payload: FollowIn) -> Status:
    case = _case(tenant, report_id)
    subscriber = bearer_subscriber(request, case.tenant_id)
    if subscriber is not None:
        added = following.follow_as_subscriber(case, subscriber)
        return Status(201, {"following": True, "new": added})
    if not allow(
        "follow-mail", f"{case.tenant_id}:{client_ip(request)}", FOLLOW_MAILS_PER_HOUR, 3600
    ):
        raise RateLimited("too many requests from this address; try again later")
    following.request_email_follow(case, payload.email, case.tenant.default_language)
    return Status(202, {"following": False, "confirmation_sent": True})


@router.get("/{tenant}/reports/{report_id}", summary="A report as the public may see it")
def read(request: HttpRequest, tenant: str, report_id: str) -> dict[str, Any]:
    case = _case(tenant, report_id)
    if not case.published:
        raise NotFound("no such report")
    return public_case(case)


@router.get("/{tenant}/reports/{report_id}/photos/{n}", summary="A moderated photo (JPEG)")
def photo_file(
    request: HttpRequest, tenant: str, report_id: str, n: int, thumbnail: bool = False
) -> HttpResponseBase:
    case = _case(tenant, report_id)
    visible = list(CasePhoto.objects.filter(case=case, hidden=False).order_by("id"))
    if not case.published or not 0 <= n < len(visible):
        raise NotFound("no such photo")
    chosen = visible[n].thumbnail if thumbnail else visible[n].image
    response = FileResponse(chosen.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "public, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _case(tenant: str, report_id: str) -> Case:
    t = tenant_or_404(tenant)
    try:
        # Inquiries have their own endpoint and nobody but the asker follows them.
        return Case.objects.select_related("category", "tenant").get(
            tenant=t, public_id=report_id, category__kind=CategoryKind.REPORT
        )
    except (Case.DoesNotExist, ValueError, ValidationError):  # malformed ids: ValidationError
        raise NotFound("no such report") from None


def public_case(case: Case) -> dict[str, Any]:
    """What anyone may see: nothing personal, and the text only after moderation."""
    lang = case.tenant.default_language
    return {
        "id": str(case.public_id),
        "number": case.number,
        "category": case.category.slug,
        "category_name": _text(case.category.name, lang, lang),
        "status": case.status,
        "open311_status": open311_status(case.status),  # type: ignore[arg-type]
        "description": case.public_description if case.published else "",
        "lat": case.lat,
        "lon": case.lon,
        "address": case.address if case.published else "",
        "created_at": case.created_at.isoformat(),
        "updated_at": case.updated_at.isoformat(),
    }
