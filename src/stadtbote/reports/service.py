"""Creating and handling cases. Every change writes a history event in the same transaction."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from stadtbote.core.errors import InvalidInput
from stadtbote.core.tasks import enqueue_on_commit
from stadtbote.geo import service as geo
from stadtbote.reports import answers, holidays_de, sla, stats
from stadtbote.reports.models import Case, CaseEvent, Category, CategoryKind, EventKind, Follower
from stadtbote.reports.states import OPEN, CaseStatus, answers_the_reporter, transition
from stadtbote.tenants.models import ApiKey, Municipality, StaffMembership

MAX_DESCRIPTION = 5000
REPORTS_PER_HOUR = 10  # per client address and town: a busy street fair, not a bot
EARTH_RADIUS_M = 6_371_000


def working_time(tenant: Municipality) -> sla.WorkingTime:
    return sla.WorkingTime(
        tz=ZoneInfo(tenant.timezone), is_holiday=holidays_de.for_land(tenant.land)
    )


def targets(category: Category) -> tuple[sla.Target, sla.Target]:
    return (
        sla.Target(category.first_response_hours, sla.Clock(category.first_response_clock)),
        sla.Target(category.resolve_hours, sla.Clock(category.resolve_clock)),
    )


def create_case(
    tenant: Municipality,
    data: dict[str, Any],
    *,
    key: ApiKey | None = None,
    now: datetime | None = None,
) -> Case:
    """Check a report and open a case; the reporter (if they left an address) follows it."""
    now = now or timezone.now()
    category = Category.objects.filter(
        tenant=tenant, slug=str(data.get("category") or ""), active=True, kind=CategoryKind.REPORT
    ).first()
    if category is None:
        raise InvalidInput("no such category", field="category", code="unknown_category")
    lat, lon = _location(tenant, data)
    address = str(data.get("address") or "").strip()[:300]
    if lat is None and not address:
        raise InvalidInput("give a map point (lat, lon) or an address", field="location")
    description = str(data.get("description") or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(f"at most {MAX_DESCRIPTION} characters", field="description")
    clean_answers = answers.check(category.questions, dict(data.get("answers") or {}))
    email = checked_email(data.get("email"))
    first, resolve = targets(category)
    work = working_time(tenant)
    fields = {
        "tenant": tenant,
        "category": category,
        "department": category.department,
        "lat": lat,
        "lon": lon,
        "address": address,
        "description": description,
        "answers": clean_answers,
        "reporter_name": str(data.get("name") or "").strip()[:120],
        "reporter_email": email,
        "reporter_phone": str(data.get("phone") or "").strip()[:40],
        "media_url": _media_url(data.get("media_url")),
        "created_by_key": key,
        "created_at": now,
        "updated_at": now,
        "first_response_due": sla.due(now, first, work),
        "resolve_due": sla.due(now, resolve, work),
    }
    return insert_numbered(fields, "app" if key else "citizen")


NUMBER_RETRIES = 4


def checked_email(value: Any) -> str:
    """The citizen's address for answers, or "" if none was given; a malformed one is refused."""
    email = str(value or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidInput("not a valid e-mail address", field="email") from None
    return email


def insert_numbered(fields: dict[str, Any], actor_label: str) -> Case:
    """Store a checked case under the town's next free number."""
    for _ in range(NUMBER_RETRIES):
        try:
            return _insert(fields, actor_label)
        except IntegrityError:  # another case took the same number in the same instant
            continue
    return _insert(fields, actor_label)


def _insert(fields: dict[str, Any], actor_label: str) -> Case:
    """Store a checked case under the town's next number, with its first history event."""
    with transaction.atomic():
        tenant = fields["tenant"]
        last = Case.objects.filter(tenant=tenant).aggregate(n=Max("number"))["n"] or 0
        case = Case.objects.create(number=last + 1, **fields)
        CaseEvent.objects.create(
            case=case,
            at=case.created_at,
            kind=EventKind.CREATED,
            actor_label=actor_label,
            public=True,
            new_status=CaseStatus.RECEIVED,
        )
        if case.reporter_email:
            Follower.objects.create(case=case, email=case.reporter_email, is_reporter=True)
    return case


def _media_url(value: Any) -> str:
    url = str(value or "").strip()
    if not url:
        return ""
    if not url.startswith("https://") or len(url) > 500 or any(c in url for c in "\"'<> "):
        raise InvalidInput("must be an https:// URL", field="media_url")
    return url


def _location(tenant: Municipality, data: dict[str, Any]) -> tuple[float | None, float | None]:
    lat, lon = data.get("lat"), data.get("lon")
    if lat in (None, "") and lon in (None, ""):
        return None, None
    try:
        la, lo = float(lat), float(lon)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput("lat and lon must be numbers", field="lat") from None
    if not (-90 <= la <= 90 and -180 <= lo <= 180) or math.isnan(la) or math.isnan(lo):
        raise InvalidInput("not a position on Earth", field="lat")
    if geo.distance_outside_m(tenant, la, lo) > tenant.tolerance_m:
        raise InvalidInput("this place is outside the municipality", field="lat", code="outside")
    return la, lo


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine); plenty for tens of metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def likely_duplicates(
    tenant: Municipality, category_slug: str, lat: float, lon: float, limit: int = 5
) -> list[Case]:
    """Open cases of the same category within the category's radius, nearest first."""
    category = Category.objects.filter(tenant=tenant, slug=category_slug).first()
    if category is None:
        return []
    radius = category.duplicate_radius_m
    dlat = radius / 111_320
    dlon = radius / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    near = Case.objects.filter(
        tenant=tenant,
        category=category,
        status__in=[s.value for s in OPEN],
        lat__range=(lat - dlat, lat + dlat),
        lon__range=(lon - dlon, lon + dlon),
    )
    found = [
        (distance_m(lat, lon, c.lat, c.lon), c)
        for c in near
        if c.lat is not None and c.lon is not None
    ]
    return [c for d, c in sorted(found, key=lambda t: (t[0], t[1].number)) if d <= radius][:limit]


def _event(case: Case, kind: str, actor: User | None, **fields: Any) -> CaseEvent:
    from stadtbote.reports import notify
    from stadtbote.reports.tasks import notify_followers

    event = CaseEvent.objects.create(case=case, kind=kind, actor=actor, **fields)
    if notify.worth_telling(event):
        enqueue_on_commit(notify_followers, event.pk)
    return event


def _answered(case: Case, at: datetime) -> None:
    if case.first_response_at is None:
        case.first_response_at = at


def change_status(
    case: Case, wanted: str, actor: User | None, text: str = "", public: bool = True
) -> Case:
    now = timezone.now()
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        old = CaseStatus(case.status)
        try:
            new = transition(old, CaseStatus(wanted))
        except ValueError as exc:
            raise InvalidInput(str(exc), field="status", code="transition_refused") from None
        case.status = new
        if public and answers_the_reporter(old, new):
            _answered(case, now)
        if new is CaseStatus.RESOLVED:
            case.resolved_at = now
        case.updated_at = now
        case.save()
        _event(
            case, EventKind.STATUS, actor, public=public, old_status=old, new_status=new, text=text
        )
    return case


def reply(case: Case, text: str, actor: User | None) -> Case:
    """A public answer to the reporter and followers; the first one keeps the 24-hour promise."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("write an answer", field="text")
    now = timezone.now()
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        _answered(case, now)
        case.updated_at = now
        case.save()
        _event(case, EventKind.REPLY, actor, public=True, text=text[:MAX_DESCRIPTION])
    return case


def add_note(case: Case, text: str, actor: User | None) -> CaseEvent:
    text = (text or "").strip()
    if not text:
        raise InvalidInput("write a note", field="text")
    return _event(case, EventKind.NOTE, actor, public=False, text=text[:MAX_DESCRIPTION])


def merge(duplicate: Case, into: Case, actor: User | None) -> Case:
    """Mark ``duplicate`` as a duplicate of ``into``; followers of both follow ``into``."""
    if duplicate.tenant_id != into.tenant_id:
        raise InvalidInput("no such case", field="into")
    if duplicate.pk == into.pk:
        raise InvalidInput("a case cannot duplicate itself", field="into")
    if into.status == CaseStatus.DUPLICATE:
        raise InvalidInput("merge into the case it duplicates instead", field="into")
    if CategoryKind.INQUIRY in (duplicate.category.kind, into.category.kind):
        # Followers of one case hear every answer of the other: a citizen's question and its
        # answer would reach strangers.
        raise InvalidInput("questions to staff are not merged", field="into")
    with transaction.atomic():
        duplicate = change_status(duplicate, CaseStatus.DUPLICATE, actor, public=True)
        Case.objects.filter(pk=duplicate.pk).update(duplicate_of=into)
        for f in Follower.objects.filter(case=duplicate):
            exists = Follower.objects.filter(case=into)
            if (f.subscriber_id and exists.filter(subscriber_id=f.subscriber_id).exists()) or (
                f.email and exists.filter(email=f.email).exists()
            ):
                continue
            Follower.objects.create(case=into, subscriber_id=f.subscriber_id, email=f.email)
        _event(into, EventKind.MERGED, actor, public=True, data={"merged": duplicate.number})
        _event(duplicate, EventKind.MERGED, actor, public=True, data={"into": into.number})
    duplicate.refresh_from_db()
    return duplicate


HANDLERS = ("admin", "caseworker")


def assign(case: Case, assignee: User | None, actor: User | None) -> Case:
    """Give the case to one of the town's case workers (or to nobody)."""
    if (
        assignee is not None
        and not StaffMembership.objects.filter(
            user=assignee, tenant_id=case.tenant_id, role__in=HANDLERS
        ).exists()
    ):
        raise InvalidInput("not a case worker of this town", field="assignee")
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.assignee_id == (assignee.pk if assignee else None):
            return case
        old = case.assignee.get_username() if case.assignee else ""
        case.assignee = assignee
        case.updated_at = timezone.now()
        case.save(update_fields=["assignee", "updated_at"])
        new = assignee.get_username() if assignee else ""
        _event(case, EventKind.ASSIGNED, actor, data={"from": old, "to": new})
    return case


def route(case: Case, category: Category, actor: User | None) -> Case:
    """Correct the category; the case moves to that category's department. Service-level due
    times stay: the promise was made when the citizen reported."""
    if category.tenant_id != case.tenant_id or not category.active:
        raise InvalidInput("no such category", field="category")
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.category_id == category.pk:
            return case
        data = {
            "category": [case.category.slug, category.slug],
            "department": [case.department.slug, category.department.slug],
        }
        case.category, case.department = category, category.department
        case.updated_at = timezone.now()
        case.save(update_fields=["category", "department", "updated_at"])
        _event(case, EventKind.ROUTED, actor, data=data)
    return case


def moderate(case: Case, public_description: str, published: bool, actor: User | None) -> Case:
    """Nothing is public before a person has checked it (personal data edited out); a
    question to staff never is."""
    if published and case.category.kind == CategoryKind.INQUIRY:
        raise InvalidInput("a question to staff is never public", field="published")
    with transaction.atomic():
        case.public_description = (public_description or "").strip()[:MAX_DESCRIPTION]
        case.published = bool(published)
        case.updated_at = timezone.now()
        case.save(update_fields=["public_description", "published", "updated_at"])
        _event(case, EventKind.MODERATED, actor, data={"published": case.published})
    return case


def statistics(
    tenant: Municipality, months: int = 13, now: datetime | None = None
) -> list[stats.Row]:
    """The published numbers (``stats.table``) for the last ``months`` months."""
    now = now or timezone.now()
    rows = Case.objects.filter(
        tenant=tenant, created_at__gte=now - timedelta(days=31 * months)
    ).values_list(
        "category__slug", "created_at", "first_response_due", "first_response_at", "resolved_at"
    )
    return stats.table(
        (stats.CaseTimes(*r) for r in rows.iterator()), now, ZoneInfo(tenant.timezone)
    )
