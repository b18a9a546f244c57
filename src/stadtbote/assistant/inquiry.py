"""Passing a citizen's question to the town's staff, and the citizen's verdict on an answer.

The question the assistant could not answer is identified by its public id (the asker's app
holds it); the inquiry case remembers nothing of the conversation but the question itself.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import transaction

from stadtbote.assistant.models import Question
from stadtbote.core.errors import InvalidInput
from stadtbote.reports import inquiries
from stadtbote.reports.models import Case
from stadtbote.subscribers.models import Subscriber
from stadtbote.tenants.models import Municipality


def asked(tenant: Municipality, public_id: object) -> Question | None:
    """The town's question with this public id; None for anything else (or a bad id)."""
    key = parse_id(public_id)
    return Question.objects.filter(tenant=tenant, public_id=key).first() if key else None


def rate(tenant: Municipality, public_id: object, helpful: bool) -> bool:
    """The citizen's thumbs up or down; it puts the question back into the review list."""
    key = parse_id(public_id)
    if key is None:
        return False
    updated = Question.objects.filter(tenant=tenant, public_id=key).update(
        helpful=helpful, reviewed=False
    )
    return updated > 0


def parse_id(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def pass_to_staff(
    tenant: Municipality,
    *,
    language: str,
    question: str = "",
    question_id: object = None,
    email: str = "",
    name: str = "",
    subscriber: Subscriber | None = None,
) -> Case:
    """Open an inquiry case for the question typed, or for one the assistant was asked.

    A question already passed on is not opened twice: the existing case comes back.
    """
    earlier = asked(tenant, question_id) if question_id else None
    if question_id and earlier is None:
        raise InvalidInput("no such question (it may have expired)", field="question_id")
    text = question.strip() or (earlier.text if earlier else "")
    with transaction.atomic():
        if earlier is not None:
            earlier = Question.objects.select_for_update().get(pk=earlier.pk)
            if earlier.case_id is not None:
                return Case.objects.get(pk=earlier.case_id)
        case = inquiries.open_inquiry(
            tenant, text, language=language, email=email, name=name, subscriber=subscriber
        )
        if earlier is not None:
            earlier.case = case
            earlier.save(update_fields=["case"])
    return case


def inquiry_url(
    tenant: Municipality, question: Question | None = None, *, base: str | None = None
) -> str | None:
    """Where the citizen passes a question to staff: the app's inquiry page (with the question
    filled in), or the town's contact address where it takes no inquiries. Absolute for apps;
    ``base=""`` gives the path for our own pages."""
    if inquiries.accepts_inquiries(tenant):
        url = f"{settings.PUBLIC_URL if base is None else base}/{tenant.slug}/assistant/inquiry"
        return f"{url}?question={question.public_id}" if question is not None else url
    return f"mailto:{tenant.contact_email}" if tenant.contact_email else None
