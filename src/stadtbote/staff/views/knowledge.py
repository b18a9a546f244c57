"""The assistant's knowledge base in the console: the town's entries (search, filters), writing
and editing the entries staff keep, an answer to a report as an entry, and the review list of
questions citizens asked (knowledge_review.py).

Imported pages and derived entries are shown read-only with where to change them; the domain
rules (what may change, addresses, the link to a report) are in assistant/entries.py.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from stadtbote.assistant import entries
from stadtbote.assistant.models import Entry, Origin, Question
from stadtbote.pages.render import markdown
from stadtbote.reports.models import Case
from stadtbote.staff.access import Staff, second_factor_step, second_factor_url, staff_view
from stadtbote.staff.views.common import refused, staff_page

PAGE_SIZE = 50

ORIGINS: dict[str, Any] = {
    Origin.STAFF: gettext_lazy("Written by staff"),
    Origin.ANSWER: gettext_lazy("Answer to a report"),
    Origin.IMPORT: gettext_lazy("Imported from files"),
    Origin.MESSAGE: gettext_lazy("From a published message"),
    Origin.CATEGORY: gettext_lazy("From a report category"),
    Origin.CONTACT: gettext_lazy("From office hours and contacts"),
}
# Where a read-only entry is changed instead.
CHANGED_AT: dict[str, Any] = {
    Origin.IMPORT: gettext_lazy(
        "This entry comes from the town's knowledge-base files. Change the file and import the "
        "folder again (stadtbote kb import); a change here would be overwritten."
    ),
    Origin.MESSAGE: gettext_lazy(
        "This entry is rebuilt from a published message. Change or withdraw the message; the "
        "entry follows by itself."
    ),
    Origin.CATEGORY: gettext_lazy(
        "This entry is rebuilt from a report category. The operator changes categories in the "
        "admin; the entry follows by itself."
    ),
    Origin.CONTACT: gettext_lazy(
        "This entry is rebuilt from the departments' office hours and contacts. Change them "
        "there; the entry follows by itself."
    ),
}
LANGUAGE_NAMES: dict[str, Any] = {"de": gettext_lazy("German"), "en": gettext_lazy("English")}


def page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 10_000 else 1


def language_choices(staff: Staff) -> list[tuple[str, str]]:
    return [(code, str(LANGUAGE_NAMES.get(code, code))) for code in entries.languages(staff.tenant)]


def _entry_url(staff: Staff, entry: Entry) -> str:
    return f"/{staff.tenant.slug}/staff/knowledge/{entry.pk}"


# -- the list ----------------------------------------------------------------------------------


@staff_view("kb.read")
def knowledge_list(request: HttpRequest, staff: Staff) -> HttpResponse:
    t = staff.tenant
    q = request.GET
    known_languages = entries.languages(t)
    filters = {
        "q": q.get("q", "").strip()[:100],
        "origin": q.get("origin", "") if q.get("origin", "") in ORIGINS else "",
        "language": q.get("language", "") if q.get("language", "") in known_languages else "",
    }
    found = Entry.objects.filter(tenant=t)
    if filters["q"]:
        found = found.filter(title__icontains=filters["q"])
    if filters["origin"]:
        found = found.filter(origin=filters["origin"])
    if filters["language"]:
        found = found.filter(language=filters["language"])
    page = Paginator(found.order_by("title", "pk"), PAGE_SIZE).get_page(page_number(request))
    rows = [
        {
            "entry": e,
            "origin": ORIGINS.get(e.origin, e.origin),
            "language": LANGUAGE_NAMES.get(e.language, e.language),
            "editable": entries.editable(e),
        }
        for e in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "nav": "knowledge",
        "rows": rows,
        "page": page,
        "filters": filters,
        "query": query.urlencode(),
        "origins": list(ORIGINS.items()),
        "languages": language_choices(staff),
        "may_keep": staff.may("kb.manage"),
    }
    return staff_page(request, staff, "staff/knowledge.html", context)


# -- one entry ----------------------------------------------------------------------------------


def form_page(
    request: HttpRequest,
    staff: Staff,
    *,
    entry: Entry | None,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    action: str,
    case: Case | None = None,
    question: Question | None = None,
    status: int = 200,
) -> HttpResponse:
    earlier = entries.entry_for_case(case) if case is not None else None
    context: dict[str, Any] = {
        "nav": "knowledge",
        "entry": entry,
        "values": values,
        "errors": errors or {},
        "action": action,
        "languages": language_choices(staff),
        "case": case,
        "earlier": earlier,
        "question": question,
        "origin": ORIGINS.get(entry.origin, entry.origin) if entry else "",
        "linked_case": entries.case_of(entry) if entry else None,
        "own_page": entries.has_own_page(entry) if entry else False,
        "may_keep": staff.may("kb.manage"),
        "may_read_cases": staff.may("case.read"),
    }
    return staff_page(request, staff, "staff/knowledge_form.html", context, status=status)


def read_only_page(
    request: HttpRequest, staff: Staff, entry: Entry, *, refusal: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "nav": "knowledge",
        "entry": entry,
        "origin": ORIGINS.get(entry.origin, entry.origin),
        "where": CHANGED_AT.get(entry.origin, ""),
        "html": markdown(entry.body),
        "tags": entry.tags,
        "language": LANGUAGE_NAMES.get(entry.language, entry.language),
        "own_page": entries.has_own_page(entry),
        "linked_case": entries.case_of(entry),
        "refusal": refusal,
        "may_keep": staff.may("kb.manage"),
    }
    return staff_page(request, staff, "staff/knowledge_entry.html", context, status=status)


def _values(entry: Entry) -> dict[str, str]:
    return {
        "title": entry.title,
        "body": entry.body,
        "language": entry.language,
        "tags": ", ".join(entry.tags),
        "url": entries.external_url(entry),
    }


def _posted(request: HttpRequest) -> dict[str, str]:
    return {k: request.POST.get(k, "") for k in ("title", "body", "language", "tags", "url")}


def _question(staff: Staff, raw: str) -> Question | None:
    """The town's question an entry is written for (from the review list), if still there."""
    if not (raw.isascii() and raw.isdigit()):
        return None
    return Question.objects.filter(tenant=staff.tenant, pk=int(raw)).first()


@staff_view("kb.read")
def entry_form(request: HttpRequest, staff: Staff, entry_id: int | None = None) -> HttpResponse:
    """``knowledge/new`` and ``knowledge/<id>``: viewers read, keepers write."""
    t = staff.tenant
    entry = get_object_or_404(Entry, pk=entry_id, tenant=t) if entry_id is not None else None
    if (entry is None or request.method == "POST") and not staff.may("kb.manage"):
        return refused(request, staff, "kb.manage")
    writing = entry is None or request.method == "POST" or entries.editable(entry)
    if writing and staff.may("kb.manage"):
        step = second_factor_step(request, staff, "kb.manage")
        if step is not None:
            return HttpResponseRedirect(second_factor_url(t.slug, step, request.get_full_path()))
    if entry is not None and (not entries.editable(entry) or not staff.may("kb.manage")):
        if request.method == "POST":
            return read_only_page(
                request, staff, entry, refusal=_("This entry cannot be changed here."), status=409
            )
        return read_only_page(request, staff, entry)
    action = _entry_url(staff, entry) if entry else f"/{t.slug}/staff/knowledge/new"
    source = request.POST if request.method == "POST" else request.GET
    question = _question(staff, source.get("question", "")) if entry is None else None
    if request.method != "POST":
        if entry is not None:
            values = _values(entry)
        else:
            values = {
                "title": "",
                "body": "",
                "language": t.default_language,
                "tags": "",
                "url": "",
            }
            if question is not None:
                values.update(entries.from_question(question))
        return form_page(
            request, staff, entry=entry, values=values, action=action, question=question
        )
    posted = _posted(request)
    try:
        draft = entries.validate(t, posted, entry)
        saved = entries.save(request, t, draft, entry, question=question)
    except entries.EntryInvalid as exc:
        return form_page(request, staff, entry=entry, values=posted, errors=exc.errors,
                         action=action, question=question, status=400)  # fmt: skip
    flash.success(request, _("Entry saved. The assistant answers from it now."))
    return HttpResponseRedirect(_entry_url(staff, saved))


@require_POST
@staff_view("kb.manage")
def delete_entry(request: HttpRequest, staff: Staff, entry_id: int) -> HttpResponse:
    entry = get_object_or_404(Entry, pk=entry_id, tenant=staff.tenant)
    if not entries.editable(entry):
        return read_only_page(
            request, staff, entry, refusal=_("This entry cannot be deleted here."), status=409
        )
    entries.delete(request, entry)
    flash.success(request, _("Entry deleted."))
    return HttpResponseRedirect(f"/{staff.tenant.slug}/staff/knowledge/")


# -- a report's answer as an entry ---------------------------------------------------------------


@staff_view("kb.manage")
def case_to_knowledge(request: HttpRequest, staff: Staff, number: int) -> HttpResponse:
    """GET: the entry form filled from the report's question and latest public answer, for
    staff to read and clean of personal data; nothing is stored or public yet. POST: save it,
    the first time as a new entry (origin answer), after that into the same entry."""
    if not staff.may("case.read"):  # the report holds personal data
        return refused(request, staff, "case.read")
    t = staff.tenant
    case = get_object_or_404(Case.objects.select_related("tenant"), tenant=t, number=number)
    case_page = f"/{t.slug}/staff/cases/{case.number}"
    action = f"{case_page}/to-knowledge"
    try:
        prefilled = entries.from_case(case)
    except LookupError:
        flash.error(request, _("This report has no public answer yet."))
        return HttpResponseRedirect(case_page)
    if request.method != "POST":
        return form_page(request, staff, entry=None, values=prefilled, action=action, case=case)
    posted = _posted(request)
    earlier = entries.entry_for_case(case)
    try:
        draft = entries.validate(t, posted, earlier)
        saved, _created = entries.save_from_case(request, case, draft)
    except entries.EntryInvalid as exc:
        return form_page(request, staff, entry=None, values=posted, errors=exc.errors,
                         action=action, case=case, status=400)  # fmt: skip
    flash.success(
        request, _("The answer is in the knowledge base now. The assistant answers from it.")
    )
    return HttpResponseRedirect(_entry_url(staff, saved))
