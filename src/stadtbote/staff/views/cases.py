"""The case worker's day: the queue ordered by the next deadline, and one case with everything
needed to answer it."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from stadtbote.reports import queue as work
from stadtbote.reports import service
from stadtbote.reports import templates as reply_templates
from stadtbote.reports.models import (
    Case,
    CaseEvent,
    CasePhoto,
    Category,
    CategoryKind,
    Department,
    EventKind,
)
from stadtbote.reports.notify import STATUS_WORDS
from stadtbote.reports.states import ALLOWED, OPEN, CaseStatus
from stadtbote.staff.access import Staff, staff_view
from stadtbote.staff.views.common import staff_page, text
from stadtbote.tenants.models import StaffMembership

PAGE_SIZE = 50

EVENT_WORDS = {
    "created": pgettext_lazy("case event", "Reported"),
    "status": pgettext_lazy("case event", "Status changed"),
    "assigned": pgettext_lazy("case event", "Assigned"),
    "routed": pgettext_lazy("case event", "Category changed"),
    "note": pgettext_lazy("case event", "Internal note"),
    "reply": pgettext_lazy("case event", "Public answer"),
    "merged": pgettext_lazy("case event", "Merged"),
    "moderated": pgettext_lazy("case event", "Moderated"),
    "reminded": pgettext_lazy("case event", "Reminder sent to the department"),
    "escalated": pgettext_lazy("case event", "Deadline missed: head of department told"),
}
ACTORS = {
    "citizen": pgettext_lazy("case actor", "citizen"),
    "app": pgettext_lazy("case actor", "client app"),
    "system": pgettext_lazy("case actor", "system"),
}
STATES = [
    ("open", _("Open")),
    ("closed", _("Done")),
    ("all", _("All")),
]
ASSIGNEES = [("", _("Anyone")), ("me", _("Assigned to me")), ("none", _("Not assigned"))]


def _filters(request: HttpRequest) -> work.Filters:
    q = request.GET
    state = q.get("state", "open")
    assignee = q.get("assignee", "")
    return work.Filters(
        department=q.get("department", "")[:60],
        state=state if state in {"open", "closed", "all"} else "open",
        assignee=assignee if assignee in {"", "me", "none"} else "",
        overdue=q.get("overdue") == "1",
        category=q.get("category", "")[:60],
        search=q.get("q", "")[:100],
    )


def _without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 10_000 else 1


@staff_view("case.read")
def case_queue(request: HttpRequest, staff: Staff) -> HttpResponse:
    now = timezone.now()
    lang, default = request.LANGUAGE_CODE, staff.tenant.default_language
    filters = _filters(request)
    cases = work.queue(staff.tenant.pk, filters, staff.user.pk, now)
    page = Paginator(cases, PAGE_SIZE).get_page(_page_number(request))
    rows = [
        {
            "case": c,
            "category": text(c.category.name, lang, default),
            "department": text(c.department.name, lang, default),
            "status": STATUS_WORDS[c.status],
            "next_due": c.next_due,
            "late": c.next_due is not None and c.next_due < now,
            "due_kind": _("first answer") if c.first_response_at is None else _("resolution"),
        }
        for c in page.object_list
    ]
    context: dict[str, Any] = {
        "nav": "cases",
        "rows": rows,
        "page": page,
        "filters": filters,
        "query": _without_page(request),
        "states": STATES,
        "assignees": ASSIGNEES,
        "departments": [
            (d.slug, text(d.name, lang, default))
            for d in Department.objects.filter(tenant=staff.tenant).order_by("slug")
        ],
        "categories": [
            (c.slug, text(c.name, lang, default))
            for c in Category.objects.filter(tenant=staff.tenant)
        ],
        "now": now,
    }
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "queue-results":
        return staff_page(request, staff, "staff/_queue_results.html", context)
    return staff_page(request, staff, "staff/queue.html", context)


def case_or_404(staff: Staff, number: int) -> Case:
    try:
        return Case.objects.select_related("category", "department", "assignee", "tenant").get(
            tenant=staff.tenant, number=number
        )
    except Case.DoesNotExist:
        raise Http404("no such case") from None


def _history(case: Case) -> list[dict[str, Any]]:
    return [
        {
            "event": e,
            "what": EVENT_WORDS.get(e.kind, e.kind),
            "who": e.actor.get_username() if e.actor else ACTORS.get(e.actor_label, e.actor_label),
            "old": STATUS_WORDS.get(e.old_status, e.old_status),
            "new": STATUS_WORDS.get(e.new_status, e.new_status),
        }
        for e in CaseEvent.objects.filter(case=case).select_related("actor")
    ]


def render_case(
    request: HttpRequest,
    staff: Staff,
    case: Case,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    lang, default = request.LANGUAGE_CODE, staff.tenant.default_language
    current = CaseStatus(case.status)
    templates = reply_templates.for_case(case)
    chosen = request.GET.get("template", "")
    reply_text = request.POST.get("text", "") if request.method == "POST" else ""
    for t in templates:
        if t.slug == chosen:
            reply_text = reply_templates.render(t, case, lang)
    duplicates = []
    if case.lat is not None and case.lon is not None and current in OPEN:
        duplicates = [
            {"case": d, "status": STATUS_WORDS[d.status]}
            for d in service.likely_duplicates(case.tenant, case.category.slug, case.lat, case.lon)
            if d.pk != case.pk
        ]
    context = {
        "nav": "cases",
        "case": case,
        # A question to staff is never public and never merged into another citizen's case.
        "inquiry": case.category.kind == CategoryKind.INQUIRY,
        "offer_knowledge": staff.may("kb.manage")
        and CaseEvent.objects.filter(case=case, kind=EventKind.REPLY, public=True).exists(),
        "category": text(case.category.name, lang, default),
        "department": text(case.department.name, lang, default),
        "status_word": STATUS_WORDS[case.status],
        "next_statuses": [
            (s.value, STATUS_WORDS[s.value]) for s in CaseStatus if s in ALLOWED[current]
        ],
        "answer_late": case.first_response_at is None and case.first_response_due < now,
        "resolve_late": current in OPEN and case.resolve_due < now,
        "photos": list(CasePhoto.objects.filter(case=case).order_by("id")),
        "history": _history(case),
        "followers": case.followers.count(),
        "templates": [(t.slug, text(t.title, lang, default)) for t in templates],
        "chosen_template": chosen,
        "reply_text": reply_text,
        "handlers": StaffMembership.objects.filter(tenant=staff.tenant, role__in=service.HANDLERS)
        .select_related("user")
        .order_by("user__username"),
        "categories": [
            (c.slug, text(c.name, lang, default))
            for c in Category.objects.filter(
                tenant=staff.tenant, active=True, kind=case.category.kind
            )
        ],
        "duplicates": duplicates,
        "answers": _answers(case, lang, default),
        "errors": errors or {},
        "posted": request.POST if request.method == "POST" else {},
    }
    return staff_page(request, staff, "staff/case.html", context, status=status)


def _answers(case: Case, lang: str, default: str) -> list[tuple[str, str]]:
    """The extra questions' answers, labelled with the question text."""
    questions = {q["code"]: q for q in case.category.questions}
    shown = []
    for code, value in case.answers.items():
        q = questions.get(code, {})
        label = q.get("description") or code
        if isinstance(label, dict):
            label = text(label, lang, default)
        names = {str(v["key"]): v.get("name", v["key"]) for v in q.get("values", [])}
        values = value if isinstance(value, list) else [value]
        shown.append((str(label), ", ".join(str(names.get(str(v), v)) for v in values)))
    return shown


@staff_view("case.read")
def case_detail(request: HttpRequest, staff: Staff, number: int) -> HttpResponse:
    return render_case(request, staff, case_or_404(staff, number))


@staff_view("case.read")
def reply_text(request: HttpRequest, staff: Staff, number: int) -> HttpResponse:
    """The reply box filled from a template (htmx swaps it in; without script the case page
    does the same with ``?template=``)."""
    case = case_or_404(staff, number)
    chosen = request.GET.get("template", "")
    filled = next(
        (
            reply_templates.render(t, case, request.LANGUAGE_CODE)
            for t in reply_templates.for_case(case)
            if t.slug == chosen
        ),
        "",
    )
    return staff_page(request, staff, "staff/_reply_text.html", {"reply_text": filled})


@staff_view("case.read")
def case_photo(request: HttpRequest, staff: Staff, number: int, photo_id: int) -> HttpResponseBase:
    """Staff see every photo, hidden ones too (that is how they decide what to hide)."""
    case = case_or_404(staff, number)
    photo = CasePhoto.objects.filter(case=case, pk=photo_id).first()
    if photo is None:
        raise Http404("no such photo")
    chosen = photo.thumbnail if request.GET.get("size") == "thumb" else photo.image
    response = FileResponse(chosen.open("rb"), content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    return response
