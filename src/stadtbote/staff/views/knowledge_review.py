"""The review list: what citizens asked the assistant in the last 30 days, what it answered and
how they rated it, so staff see where the knowledge base falls short and fill the gap.

It shows only what was typed and what the assistant did (the questions are stored without
name, address or account); those who keep the knowledge base see it, nobody else.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from stadtbote.assistant import entries
from stadtbote.core.links import is_safe_link
from stadtbote.staff.access import Staff, staff_view
from stadtbote.staff.views.common import staff_page
from stadtbote.staff.views.knowledge import LANGUAGE_NAMES, page_number

PAGE_SIZE = 50
FILTERS = [
    ("all", gettext_lazy("All questions")),
    ("unhelpful", gettext_lazy("Not helpful (thumbs down)")),
    ("unanswered", gettext_lazy("Not answered")),
]
REFUSALS = {
    "emergency": gettext_lazy("Emergency: sent to 112/110"),
    "crisis": gettext_lazy("Crisis: crisis line given"),
    "personal": gettext_lazy("Own case: referred to staff"),
    "legal": gettext_lazy("Legal advice: declined"),
    "political": gettext_lazy("Politics: declined"),
}


def _show(raw: str) -> str:
    return raw if raw in entries.REVIEW_FILTERS else "all"


@staff_view("kb.review")
def review_list(request: HttpRequest, staff: Staff) -> HttpResponse:
    show = _show(request.GET.get("show", "all"))
    questions = entries.review_list(staff.tenant, show)
    page = Paginator(questions, PAGE_SIZE).get_page(page_number(request))
    rows = [
        {
            "q": q,
            "language": LANGUAGE_NAMES.get(q.language, q.language),
            "refusal": REFUSALS.get(q.refusal, q.refusal),
            "confidence": round(q.confidence * 100),
            "sources": [
                {
                    "title": str(s.get("title", "")),
                    "url": str(s.get("url", "")),
                    "link": is_safe_link(str(s.get("url", ""))),
                }
                for s in (q.sources if isinstance(q.sources, list) else [])
                if isinstance(s, dict)
            ],
        }
        for q in page.object_list
    ]
    context = {
        "nav": "knowledge",
        "rows": rows,
        "page": page,
        "show": show,
        "filters": FILTERS,
        "query": urlencode({"show": show}),
    }
    return staff_page(request, staff, "staff/knowledge_review.html", context)


@require_POST
@staff_view("kb.review")
def mark_reviewed(request: HttpRequest, staff: Staff, question_id: int) -> HttpResponse:
    if entries.mark_reviewed(request, staff.tenant, question_id) is None:
        raise Http404("no such question (questions are kept for 30 days)")
    back = {"show": _show(request.POST.get("show", "all"))}
    raw_page = request.POST.get("page", "")
    if raw_page.isascii() and raw_page.isdigit() and 1 < int(raw_page) < 10_000:
        back["page"] = raw_page
    flash.success(request, _("Marked as reviewed."))
    return HttpResponseRedirect(f"/{staff.tenant.slug}/staff/knowledge/review?{urlencode(back)}")
