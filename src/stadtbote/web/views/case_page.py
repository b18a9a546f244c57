"""A report as citizens see it: its number and status, the public answers, and what the
town has published about it; following it by push or e-mail; the reports I follow."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from stadtbote.core import ratelimit
from stadtbote.core.errors import InvalidInput
from stadtbote.reports import following
from stadtbote.reports.models import Case, CaseEvent, CasePhoto, CategoryKind, EventKind, Follower
from stadtbote.reports.notify import STATUS_WORDS
from stadtbote.tenants.models import Municipality
from stadtbote.web.common import page, tenant_or_404
from stadtbote.web.session import current_subscriber

FOLLOW_MAILS_PER_HOUR = 10
PUBLIC_KINDS = (EventKind.CREATED, EventKind.STATUS, EventKind.REPLY, EventKind.MERGED)


def _case(t: Municipality, report_id: str) -> Case:
    try:
        return Case.objects.select_related("category", "tenant", "duplicate_of").get(
            tenant=t, public_id=report_id
        )
    except (Case.DoesNotExist, ValueError, ValidationError):
        raise Http404("no such report") from None


def _history(case: Case) -> list[dict[str, Any]]:
    return [
        {
            "event": e,
            "status": STATUS_WORDS.get(e.new_status, ""),
        }
        for e in CaseEvent.objects.filter(case=case, public=True, kind__in=PUBLIC_KINDS)
    ]


def _render(
    request: HttpRequest, t: Municipality, case: Case, extra: dict[str, Any] | None = None
) -> HttpResponse:
    lang = get_language() or t.default_language
    subscriber = current_subscriber(request, t)
    visible = (
        list(CasePhoto.objects.filter(case=case, hidden=False).order_by("id"))
        if case.published
        else []
    )
    context = {
        "nav": "assistant" if case.category.kind == CategoryKind.INQUIRY else "report",
        "case": case,
        "category": case.category.name.get(lang)
        or case.category.name.get(t.default_language)
        or case.category.slug,
        "status": STATUS_WORDS[case.status],
        "history": _history(case),
        "photos": range(len(visible)),
        "new": request.GET.get("new") == "1",
        "subscriber": subscriber,
        "following": following.follows(case, subscriber),
        "followed": request.GET.get("followed", ""),
        "errors": {},
        # A question to staff: the asker follows it already, and nobody else should.
        "inquiry": case.category.kind == CategoryKind.INQUIRY,
        **(extra or {}),
    }
    response = page(request, "web/case.html", t, context, status=context.pop("status_code", 200))
    response["Cache-Control"] = "private, no-cache"
    return response


def case_page(request: HttpRequest, tenant: str, report_id: str) -> HttpResponse:
    t = tenant_or_404(tenant)
    return _render(request, t, _case(t, report_id))


@require_POST
def follow(request: HttpRequest, tenant: str, report_id: str) -> HttpResponse:
    t = tenant_or_404(tenant)
    case = _case(t, report_id)
    subscriber = current_subscriber(request, t)
    if case.category.kind == CategoryKind.INQUIRY and (
        subscriber is None or request.POST.get("stop") != "1"
    ):
        # Only the asker follows a question: in the app they may stop, nobody may join (mail
        # followers stop with the link in every mail).
        raise Http404("only the asker follows a question")
    base = f"/{t.slug}/reports/{case.public_id}"
    if subscriber is not None:
        if request.POST.get("stop") == "1":
            Follower.objects.filter(case=case, subscriber=subscriber).delete()
            return HttpResponseRedirect(f"{base}?followed=stopped#follow")
        following.follow_as_subscriber(case, subscriber)
        return HttpResponseRedirect(f"{base}?followed=app#follow")
    ip = request.META.get("REMOTE_ADDR", "")
    if not ratelimit.allow("follow-mail", f"{t.pk}:{ip}", FOLLOW_MAILS_PER_HOUR, 3600):
        message = _("Too many requests from your connection. Please try again in an hour.")
        return _render(request, t, case, {"errors": {"email": message}, "status_code": 429})
    try:
        following.request_email_follow(
            case, request.POST.get("email", ""), get_language() or t.default_language
        )
    except InvalidInput:
        message = _("This is not a valid e-mail address.")
        return _render(request, t, case, {"errors": {"email": message}, "status_code": 422})
    return HttpResponseRedirect(f"{base}?followed=mail#follow")


@never_cache
@require_http_methods(["GET", "POST"])
def confirm_follow(request: HttpRequest, tenant: str, token: str) -> HttpResponse:
    """GET shows a button, POST confirms: mail scanners that open links confirm nothing."""
    t = tenant_or_404(tenant)
    found = following.read_email_token(token)
    case = (
        Case.objects.filter(tenant=t, public_id=found[0]).select_related("tenant").first()
        if found
        else None
    )
    if case is None or found is None:
        return page(request, "web/follow_confirm.html", t, {"invalid": True}, status=404)
    if request.method == "POST":
        following.confirm_email_follow(case, found[1])
        return HttpResponseRedirect(f"/{t.slug}/reports/{case.public_id}?followed=confirmed")
    return page(request, "web/follow_confirm.html", t, {"case": case, "token": token})


@never_cache
def mine(request: HttpRequest, tenant: str) -> HttpResponse:
    t = tenant_or_404(tenant)
    subscriber = current_subscriber(request, t)
    lang = get_language() or t.default_language
    rows = []
    if subscriber is not None:
        followed = (
            Follower.objects.filter(case__tenant=t, subscriber=subscriber)
            .select_related("case__category")
            .order_by("-case__created_at")
        )
        rows = [
            {
                "case": f.case,
                "reporter": f.is_reporter,
                "category": f.case.category.name.get(lang)
                or f.case.category.name.get(t.default_language)
                or f.case.category.slug,
                "status": STATUS_WORDS[f.case.status],
            }
            for f in followed
        ]
    return page(
        request,
        "web/my_reports.html",
        t,
        {"nav": "report", "rows": rows, "subscriber": subscriber},
    )


@csrf_exempt  # RFC 8058 one-click: the mail client POSTs without a CSRF token; the token authorises.
@never_cache
@require_http_methods(["GET", "POST"])
def unfollow(request: HttpRequest, tenant: str, token: str) -> HttpResponse:
    t = tenant_or_404(tenant)
    found = following.read_unfollow_token(token)
    case = Case.objects.filter(tenant=t, public_id=found[0]).first() if found else None
    if case is None or found is None:
        return page(request, "web/unfollow.html", t, {"state": "invalid"}, status=404)
    if request.method == "POST":
        following.unfollow_email(case, found[1])
        return page(request, "web/unfollow.html", t, {"state": "done", "case": case})
    return page(request, "web/unfollow.html", t, {"state": "ask", "case": case, "token": token})
