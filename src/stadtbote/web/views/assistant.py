"""The assistant in the citizen app: a conversation that works as plain form posts and, with
JavaScript, without reloading (the answer is read out by screen readers from a live log);
thumbs up or down; and passing a question to the town's staff.

The conversation lives in a signed cookie holding the question ids, scoped to the town's path:
nothing about the citizen is stored on the server beyond the questions themselves, which the
review keeps for ``service.RETENTION``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from stadtbote.assistant import inquiry, service
from stadtbote.assistant.models import Question
from stadtbote.core import ratelimit
from stadtbote.core.errors import InvalidInput
from stadtbote.core.links import is_safe_link
from stadtbote.reports import inquiries
from stadtbote.tenants.models import Municipality
from stadtbote.web.common import page, tenant_or_404
from stadtbote.web.session import current_subscriber

COOKIE = "stadtbote_assistant"
SALT = "stadtbote.web.assistant"
KEEP = 20  # exchanges shown again after a reload
MAX_QUESTION = 1000
# The same budget as the API's: one person, a few questions a minute.
PER_ADDRESS, WINDOW_S = 30, 60
FETCHED = "HTTP_X_STADTBOTE_FETCH"  # set by assistant.js: answer with the exchange alone


def _conversation(request: HttpRequest, t: Municipality) -> list[str]:
    try:
        ids = request.get_signed_cookie(COOKIE, default=None, salt=f"{SALT}:{t.slug}")
    except signing.BadSignature:
        return []
    return [str(i) for i in ids.split(",")] if ids else []


def _remember(response: HttpResponse, t: Municipality, ids: list[str]) -> None:
    response.set_signed_cookie(
        COOKIE,
        ",".join(ids[-KEEP:]),
        salt=f"{SALT}:{t.slug}",
        # No max_age: the conversation ends with the browser session, so the next person at
        # a shared or public computer does not see it.
        path=f"/{t.slug}/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _exchanges(t: Municipality, ids: list[str]) -> list[dict[str, Any]]:
    found = {
        str(q.public_id): q
        for q in Question.objects.filter(tenant=t, public_id__in=[i for i in ids if _valid(i)])
    }
    return [_exchange(t, found[i]) for i in ids if i in found]


def _valid(value: str) -> bool:
    return inquiry.parse_id(value) is not None


def _exchange(t: Municipality, q: Question, typed: str = "") -> dict[str, Any]:
    offer = not q.answered and q.refusal not in ("emergency", "crisis")
    return {
        "question": q,
        "typed": typed,  # shown once, even where the stored question keeps no text
        "sources": [{**s, "link": is_safe_link(str(s.get("url", "")))} for s in q.sources or []],
        "emergency": q.refusal in ("emergency", "crisis"),
        "inquiry_url": inquiry.inquiry_url(t, q, base="") if offer else None,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def chat(request: HttpRequest, tenant: str) -> HttpResponse:
    t = tenant_or_404(tenant)
    lang = get_language() or t.default_language
    ids = _conversation(request, t)
    if request.method == "GET":
        service.record_disclosure(lang)
        context = {
            "nav": "assistant",
            "exchanges": _exchanges(t, ids),
            "disclosure": service.disclosure(lang),
            "errors": {},
        }
        return page(request, "web/assistant.html", t, context)
    fetched = FETCHED in request.META
    text = " ".join(request.POST.get("question", "").split())
    error, status = "", 422
    if len(text) < 2:
        error = _("Please type your question.")
    elif len(text) > MAX_QUESTION:
        error = _("Please keep your question under 1,000 characters.")
    elif not ratelimit.allow(
        "assistant-ip", request.META.get("REMOTE_ADDR", "unknown"), PER_ADDRESS, WINDOW_S
    ):
        error, status = _("Too many questions from your connection. Please wait a minute."), 429
    if error:
        context = {
            "nav": "assistant",
            "exchanges": _exchanges(t, ids),
            "disclosure": service.disclosure(lang),
            "errors": {"question": error},
            "typed": text,
        }
        template = "web/_assistant_error.html" if fetched else "web/assistant.html"
        return page(request, template, t, context, status=status)
    answer = service.ask(t, text, lang)
    assert answer.question is not None
    ids.append(str(answer.question.public_id))
    if fetched:
        exchange = _exchange(t, answer.question, typed=text)
        response = page(request, "web/_exchange.html", t, {"x": exchange})
    else:  # post/redirect/get: a reload does not ask again
        response = HttpResponseRedirect(f"/{t.slug}/assistant#a-{answer.question.public_id}")
    _remember(response, t, ids)
    return response


@require_POST
def rate(request: HttpRequest, tenant: str, question_id: str) -> HttpResponse:
    """Thumbs up or down, only for a question asked in this browser."""
    t = tenant_or_404(tenant)
    if question_id not in _conversation(request, t):
        raise Http404("no such question in this conversation")
    helpful = request.POST.get("helpful") == "yes"
    inquiry.rate(t, question_id, helpful)
    if FETCHED in request.META:
        return page(request, "web/_rated.html", t, {"helpful": helpful})
    return HttpResponseRedirect(f"/{t.slug}/assistant?rated={question_id}#a-{question_id}")


@require_POST
def forget(request: HttpRequest, tenant: str) -> HttpResponse:
    """Start a new conversation: this browser no longer shows the earlier questions."""
    t = tenant_or_404(tenant)
    response = HttpResponseRedirect(f"/{t.slug}/assistant")
    response.delete_cookie(COOKIE, path=f"/{t.slug}/", samesite="Lax")
    return response


INQUIRY_FIELDS = ("question", "email", "name")


@never_cache
@require_http_methods(["GET", "POST"])
def ask_staff(request: HttpRequest, tenant: str) -> HttpResponse:
    """The form that passes a question to staff; answered within 24 hours."""
    t = tenant_or_404(tenant)
    lang = get_language() or t.default_language
    if not inquiries.accepts_inquiries(t):
        raise Http404("this town takes no questions here")
    subscriber = current_subscriber(request, t)
    asked_id = request.GET.get("question") or request.POST.get("question_id") or ""
    earlier = inquiry.asked(t, asked_id) if asked_id else None
    form = {k: request.POST.get(k, "") for k in INQUIRY_FIELDS}
    if request.method == "GET" and earlier is not None:
        form["question"] = earlier.text
    context: dict[str, Any] = {
        "nav": "assistant",
        "form": form,
        "question_id": str(earlier.public_id) if earlier else "",
        "subscriber": subscriber,
        "hours": inquiries.inquiry_category(t).first_response_hours,  # type: ignore[union-attr]
        "errors": {},
    }
    if request.method == "GET":
        return page(request, "web/inquiry.html", t, context)
    ident = f"{t.pk}:{request.META.get('REMOTE_ADDR', '')}"
    if not ratelimit.allow("inquiry", ident, inquiries.INQUIRIES_PER_HOUR, 3600):
        context["errors"] = {
            "form": _("Too many questions from your connection. Please try again in an hour.")
        }
        return page(request, "web/inquiry.html", t, context, status=429)
    by_app = subscriber is not None and request.POST.get("by_app") == "1"
    try:
        case = inquiry.pass_to_staff(
            t,
            language=lang,
            question=form["question"],
            question_id=context["question_id"] or None,
            email=form["email"],
            name=form["name"],
            subscriber=subscriber if by_app else None,
        )
    except InvalidInput as exc:
        context["errors"] = {exc.field or "form": _field_error(exc.field)}
        return page(request, "web/inquiry.html", t, context, status=422)
    return HttpResponseRedirect(f"/{t.slug}/reports/{case.public_id}?new=1")


def _field_error(field: str | None) -> str:
    if field == "question":
        return _("Please write your question (at least 5 characters, at most 2,000).")
    if field == "email":
        return _(
            "Please give an e-mail address we can answer to, or choose to get the answer "
            "in this app."
        )
    return _("Please check your entries.")
