"""Questions for the town's staff (inquiries): the assistant could not answer, or the citizen
asked staff directly. An inquiry is a case in the same queues as reports, with the same
first-answer promise, reminders, escalation and statistics; the answer reaches the citizen by
e-mail and/or by push in the app. Unlike a report it has no place, is never public and is
not an Open311 service."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone

from stadtbote.core.errors import InvalidInput
from stadtbote.reports import following, sla
from stadtbote.reports.models import Case, Category, CategoryKind
from stadtbote.reports.service import checked_email, insert_numbered, targets, working_time
from stadtbote.subscribers.models import Subscriber
from stadtbote.tenants.models import Municipality

MAX_QUESTION = 2000
MIN_QUESTION = 5
INQUIRIES_PER_HOUR = 5  # per client address and town: a person has a few questions, not fifty


class NoInquiries(Exception):
    """The town has no active inquiry category: questions cannot reach anyone."""


def inquiry_category(tenant: Municipality) -> Category | None:
    return (
        Category.objects.filter(tenant=tenant, kind=CategoryKind.INQUIRY, active=True)
        .select_related("department")
        .first()
    )


def accepts_inquiries(tenant: Municipality) -> bool:
    return inquiry_category(tenant) is not None


def open_inquiry(
    tenant: Municipality,
    question: str,
    *,
    language: str,
    email: str = "",
    name: str = "",
    subscriber: Subscriber | None = None,
    now: datetime | None = None,
) -> Case:
    """Check the question and open a case; whoever asked follows it by the means they gave.

    An answer must be able to reach the citizen: without an e-mail address and without a
    subscription in the app, the question would be answered into the void.
    """
    now = now or timezone.now()
    category = inquiry_category(tenant)
    if category is None:
        raise NoInquiries(tenant.slug)
    text = " ".join(str(question or "").split())
    if len(text) < MIN_QUESTION:
        raise InvalidInput(f"at least {MIN_QUESTION} characters", field="question")
    if len(text) > MAX_QUESTION:
        raise InvalidInput(f"at most {MAX_QUESTION} characters", field="question")
    email = checked_email(email)
    if subscriber is not None and subscriber.tenant_id != tenant.pk:
        subscriber = None
    if not email and subscriber is None:
        raise InvalidInput(
            "give an e-mail address (or ask in the app with notifications on) so the answer "
            "can reach you",
            field="email",
        )
    first, resolve = targets(category)
    work = working_time(tenant)
    fields = {
        "tenant": tenant,
        "category": category,
        "department": category.department,
        "description": text,
        "reporter_name": str(name or "").strip()[:120],
        "reporter_email": email,
        "language": language if language in dict(settings.LANGUAGES) else tenant.default_language,
        "created_at": now,
        "updated_at": now,
        "first_response_due": sla.due(now, first, work),
        "resolve_due": sla.due(now, resolve, work),
    }
    case = insert_numbered(fields, "citizen")
    if subscriber is not None:
        following.follow_as_subscriber(case, subscriber, reporter=True)
    return case
