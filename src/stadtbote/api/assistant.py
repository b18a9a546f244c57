"""The assistant for citizens' apps: a question in, an answer with its sources out."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from stadtbote.api.schemas import ErrorOut
from stadtbote.api.views import tenant_or_404
from stadtbote.assistant import service
from stadtbote.core.errors import RateLimited
from stadtbote.core.ratelimit import allow

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
    answer: str
    sources: list[SourceOut]
    answered: bool
    disclosure: str
    inquiry_url: str | None


@router.post(
    "/{tenant}/ask",
    response={200: AskOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Ask the town's assistant (answers only from the town's pages, with sources)",
    description=(
        "`answered: false` when it cannot answer reliably, or must not (an emergency: call "
        "112/110; your own case, legal advice, politics): then `inquiry_url` offers to pass "
        "the question to staff. `disclosure` says that an AI system answers (EU AI Act Art. "
        "50); show it at the first interaction."
    ),
)
def ask(request: HttpRequest, tenant: str, payload: AskIn) -> AskOut:
    town = tenant_or_404(tenant)
    if not allow("assistant-ip", request.META.get("REMOTE_ADDR", "unknown"), PER_ADDRESS, WINDOW_S):
        raise RateLimited("too many questions; wait a minute")
    answer = service.ask(town, payload.question, payload.language)
    offer = not answer.answered and answer.refusal not in ("emergency", "crisis")
    return AskOut(
        answer=answer.answer,
        sources=[SourceOut(**s) for s in answer.sources],
        answered=answer.answered,
        disclosure=answer.disclosure,
        inquiry_url=service.inquiry_url(town) if offer else None,
    )
