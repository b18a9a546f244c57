"""The assistant for citizens' apps: a question in, an answer with its sources out; a thumbs
up or down; and a question passed to the town's staff (an inquiry, answered within 24 hours)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from stadtbote.api.auth import bearer_subscriber
from stadtbote.api.schemas import ErrorOut
from stadtbote.api.views import client_ip, tenant_or_404
from stadtbote.assistant import inquiry, service
from stadtbote.core.errors import Conflict, NotFound, RateLimited
from stadtbote.core.ratelimit import allow
from stadtbote.reports import inquiries
from stadtbote.reports.models import Case, CaseEvent, CategoryKind, EventKind

router = Router(tags=["assistant"])
# A person types a few questions a minute; a script asking thousands learns our pages faster
# from the pages themselves.
PER_ADDRESS = 30
WINDOW_S = 60


class AskIn(Schema):
    question: str = Field(min_length=2, max_length=1000)
    language: str = Field("de", pattern="^[a-z]{2}$")


class SourceOut(Schema):
    title: str
    url: str


class AskOut(Schema):
    id: str = Field(description="Rate the answer or pass the question to staff with it")
    answer: str
    sources: list[SourceOut]
    answered: bool
    disclosure: str
    inquiry_url: str | None


class FeedbackIn(Schema):
    helpful: bool


class InquiryIn(Schema):
    question: str = Field("", max_length=inquiries.MAX_QUESTION)
    question_id: str | None = Field(None, description="The id of an answer from /ask")
    language: str = Field("de", pattern="^[a-z]{2}$")
    email: str = Field("", max_length=254)
    name: str = Field("", max_length=120)


class AnswerOut(Schema):
    at: datetime
    text: str


class InquiryOut(Schema):
    id: str
    number: int
    status: str = Field(description="received, in_progress, resolved, closed, …")
    first_response_due: datetime
    answers: list[AnswerOut]
    url: str


@router.post(
    "/{tenant}/ask",
    response={200: AskOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Ask the town's assistant (answers only from the town's pages, with sources)",
    description=(
        "`answered: false` when it cannot answer reliably, or must not (an emergency: call "
        "112/110; your own case, legal advice, politics): then `inquiry_url` offers to pass "
        "the question to staff (or POST /inquiries with `question_id`). `disclosure` says "
        "that an AI system answers (EU AI Act Art. 50); show it at the first interaction."
    ),
)
def ask(request: HttpRequest, tenant: str, payload: AskIn) -> AskOut:
    town = tenant_or_404(tenant)
    if not allow("assistant-ip", client_ip(request), PER_ADDRESS, WINDOW_S):
        raise RateLimited("too many questions; wait a minute")
    answer = service.ask(town, payload.question, payload.language)
    offer = not answer.answered and answer.refusal not in ("emergency", "crisis")
    assert answer.question is not None
    return AskOut(
        id=str(answer.question.public_id),
        answer=answer.answer,
        sources=[SourceOut(title=s["title"], url=_absolute(s["url"])) for s in answer.sources],
        answered=answer.answered,
        disclosure=answer.disclosure,
        inquiry_url=inquiry.inquiry_url(town, answer.question) if offer else None,
    )


@router.post(
    "/{tenant}/ask/{question_id}/feedback",
    response={204: None, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Was the answer helpful? (feeds the staff's review list)",
)
def feedback(request: HttpRequest, tenant: str, question_id: str, payload: FeedbackIn) -> Status:
    town = tenant_or_404(tenant)
    if not allow("assistant-rate", client_ip(request), PER_ADDRESS, WINDOW_S):
        raise RateLimited("too many ratings; wait a minute")
    if not inquiry.rate(town, question_id, payload.helpful):
        raise NotFound("no such question (questions are kept for 30 days)")
    return Status(204, None)


@router.post(
    "/{tenant}/inquiries",
    response={
        201: InquiryOut,
        401: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
    },
    summary="Pass a question to the town's staff; the first answer comes within 24 hours",
    description=(
        "Give `question`, or the `question_id` of an answer from /ask. The answer reaches the "
        "citizen by e-mail (`email`) and/or by push: send the subscriber's bearer token in "
        "`Authorization` and the subscriber follows the inquiry. One of the two is needed."
    ),
)
def create_inquiry(request: HttpRequest, tenant: str, payload: InquiryIn) -> Status:
    town = tenant_or_404(tenant)
    subscriber = bearer_subscriber(request, town.pk)
    if not allow("inquiry", f"{town.pk}:{client_ip(request)}", inquiries.INQUIRIES_PER_HOUR, 3600):
        raise RateLimited("too many questions from this address; try again in an hour")
    try:
        case = inquiry.pass_to_staff(
            town,
            language=payload.language,
            question=payload.question,
            question_id=payload.question_id,
            email=payload.email,
            name=payload.name,
            subscriber=subscriber,
        )
    except inquiries.NoInquiries:
        raise Conflict("this town takes no questions here; use its contact address") from None
    return Status(201, _inquiry_out(case))


@router.get(
    "/{tenant}/inquiries/{inquiry_id}",
    response={200: InquiryOut, 404: ErrorOut},
    summary="An inquiry's status and the town's answers (for whoever holds its id)",
)
def read_inquiry(request: HttpRequest, tenant: str, inquiry_id: str) -> InquiryOut:
    town = tenant_or_404(tenant)
    key = inquiry.parse_id(inquiry_id)
    case = (
        Case.objects.filter(tenant=town, public_id=key, category__kind=CategoryKind.INQUIRY)
        .select_related("tenant")
        .first()
        if key
        else None
    )
    if case is None:
        raise NotFound("no such inquiry")
    return _inquiry_out(case)


def _absolute(url: str) -> str:
    """Entries published on our own site are cited by path; apps need the whole address."""
    return f"{settings.PUBLIC_URL}{url}" if url.startswith("/") else url


def _inquiry_out(case: Case) -> InquiryOut:
    replies = CaseEvent.objects.filter(case=case, kind=EventKind.REPLY, public=True)
    return InquiryOut(
        id=str(case.public_id),
        number=case.number,
        status=case.status,
        first_response_due=case.first_response_due,
        answers=[AnswerOut(at=e.at, text=e.text) for e in replies],
        url=f"{settings.PUBLIC_URL}/{case.tenant.slug}/reports/{case.public_id}",
    )
