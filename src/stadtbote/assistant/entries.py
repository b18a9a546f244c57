"""Entries of the knowledge base that staff keep in the console: written by hand, made from a
question citizens asked, or from the public answer to a report or inquiry.

Only entries staff wrote (origin ``staff``) and answers (origin ``answer``) are changed here.
Imported pages belong to the town's files (``stadtbote kb import``) and derived ones (messages,
categories, contacts) are rebuilt from their source, so both are read-only in the console.

An entry without an external address is published on our own site at ``/{town}/info/{id}``
(``web:knowledge-entry``); that path is its ``url``, which every answer cites. Every change
sets ``updated_at``: the assistant's index is rebuilt when the newest ``updated_at`` or the
number of entries changes (service.knowledge).

Every change is written to the audit log here, in the same transaction. An answer entry
remembers the case it was made from (``Entry.case``), so a second "add to the knowledge base"
on the same case updates that entry.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from stadtbote.assistant.kb_files import MAX_TITLE, MAX_URL
from stadtbote.assistant.models import Entry, Origin, Question
from stadtbote.assistant.service import RETENTION
from stadtbote.audit import log as audit
from stadtbote.reports.models import Case, CaseEvent, EventKind
from stadtbote.tenants.models import Municipality

MAX_BODY = 50_000
MAX_TAGS = 20
MAX_TAG = 50
# A title made from a citizen's question: short enough to read in a list of sources.
TITLE_FROM_TEXT = 100

EDITABLE = frozenset({Origin.STAFF, Origin.ANSWER})

# The audit log's names for what happens here.
CREATED, UPDATED, DELETED, REVIEWED = "kb.create", "kb.update", "kb.delete", "kb.question_reviewed"
OBJECT = "kb_entry"

_web_address = URLValidator(schemes=["http", "https"])


class EntryInvalid(ValueError):
    """The form's problems, keyed by field ("title", "body", "language", "tags", "url")."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class NotEditable(Exception):
    """Imported and derived entries are changed at their source, not in the console."""


@dataclass
class Draft:
    """What staff submit for an entry, checked. ``url`` empty: the entry's own public page."""

    title: str
    body: str
    language: str
    tags: list[str] = field(default_factory=list)
    url: str = ""


# -- addresses ---------------------------------------------------------------------------------


def own_url(tenant: Municipality, entry_id: int) -> str:
    """The path of an entry's public page on our site (a path, so it survives a new domain)."""
    return f"/{tenant.slug}/info/{entry_id}"


def has_own_page(entry: Entry) -> bool:
    return entry.url == own_url(entry.tenant, entry.pk)


def external_url(entry: Entry) -> str:
    """What the form's "external address" field shows: empty for an entry's own page."""
    return "" if has_own_page(entry) else entry.url


def editable(entry: Entry) -> bool:
    return entry.origin in EDITABLE


def languages(tenant: Municipality) -> list[str]:
    """The languages the town writes in, its default first."""
    chosen = [tenant.default_language]
    chosen += [lang for lang in tenant.languages or [] if lang not in chosen]
    return chosen


# -- checking what staff typed -------------------------------------------------------------------


def split_tags(raw: str) -> list[str]:
    seen: list[str] = []
    for part in raw.split(","):
        tag = " ".join(part.split()).lower()
        if tag and tag not in seen:
            seen.append(tag)
    return seen


def validate(tenant: Municipality, data: Mapping[str, str], entry: Entry | None = None) -> Draft:
    """The submitted fields (``title``, ``body``, ``language``, ``tags`` comma-separated,
    ``url`` optional) as a draft; every problem at once, keyed by its field."""
    errors: dict[str, str] = {}
    title = " ".join(str(data.get("title", "")).split())
    body = str(data.get("body", "")).replace("\r\n", "\n").strip()
    language = str(data.get("language", "")).strip()
    tags = split_tags(str(data.get("tags", "")))
    url = str(data.get("url", "")).strip()
    if not title:
        errors["title"] = _("Enter a title.")
    elif len(title) > MAX_TITLE:
        errors["title"] = _("The title can have at most %(n)d characters.") % {"n": MAX_TITLE}
    if not body:
        errors["body"] = _("Write the text of the entry.")
    elif len(body) > MAX_BODY:
        errors["body"] = _("The text can have at most %(n)d characters.") % {"n": MAX_BODY}
    if language not in languages(tenant):
        errors["language"] = _("Choose one of the town's languages.")
    if len(tags) > MAX_TAGS:
        errors["tags"] = _("At most %(n)d tags.") % {"n": MAX_TAGS}
    elif any(len(t) > MAX_TAG for t in tags):
        errors["tags"] = _("A tag can have at most %(n)d characters.") % {"n": MAX_TAG}
    if url:
        problem = _check_url(tenant, url, entry)
        if problem:
            errors["url"] = problem
    if errors:
        raise EntryInvalid(errors)
    return Draft(title=title, body=body, language=language, tags=tags, url=url)


def _check_url(tenant: Municipality, url: str, entry: Entry | None) -> str:
    if len(url) > MAX_URL:
        return _("The address can have at most %(n)d characters.") % {"n": MAX_URL}
    try:
        _web_address(url)
    except ValidationError:
        return _("Enter a web address that starts with https:// or http://.")
    taken = Entry.objects.filter(tenant=tenant, url=url)
    if entry is not None:
        taken = taken.exclude(pk=entry.pk)
    if taken.exists():
        return _("Another entry of the knowledge base already has this address.")
    return ""


# -- changing entries ----------------------------------------------------------------------------


def fields(entry: Entry) -> dict[str, Any]:
    """What the audit log records of an entry, before and after a change."""
    return {
        "title": entry.title,
        "body": entry.body,
        "language": entry.language,
        "tags": list(entry.tags),
        "url": entry.url,
        "origin": entry.origin,
    }


def _create(tenant: Municipality, draft: Draft, origin: str) -> Entry:
    entry = Entry.objects.create(
        tenant=tenant,
        # Its own page's path needs its id: a placeholder no other entry can have first.
        url=draft.url or f"/{tenant.slug}/info/new-{uuid.uuid4()}",
        title=draft.title,
        body=draft.body,
        language=draft.language,
        tags=draft.tags,
        origin=origin,
        updated_at=timezone.now(),
    )
    if not draft.url:
        entry.url = own_url(tenant, entry.pk)
        entry.save(update_fields=["url"])
    return entry


def _update(entry: Entry, draft: Draft) -> Entry:
    if not editable(entry):
        raise NotEditable(entry.origin)
    entry.title = draft.title
    entry.body = draft.body
    entry.language = draft.language
    entry.tags = draft.tags
    entry.url = draft.url or own_url(entry.tenant, entry.pk)
    entry.updated_at = timezone.now()
    entry.save()
    return entry


def _url_taken() -> EntryInvalid:
    return EntryInvalid({"url": _("Another entry of the knowledge base already has this address.")})


def save(
    request: HttpRequest | None,
    tenant: Municipality,
    draft: Draft,
    entry: Entry | None = None,
    *,
    question: Question | None = None,
) -> Entry:
    """Create an entry staff wrote (``entry`` None) or change one staff may change; audited.
    ``question``: the question from the review list it answers, marked as reviewed."""
    if entry is not None and not editable(entry):
        raise NotEditable(entry.origin)
    before = fields(entry) if entry is not None else None
    try:
        with transaction.atomic():
            saved = (
                _update(entry, draft) if entry is not None else _create(tenant, draft, Origin.STAFF)
            )
            after = fields(saved)
            if question is not None and question.tenant_id == tenant.pk:
                Question.objects.filter(pk=question.pk).update(reviewed=True)
                after["question"] = question.pk
            audit.record(request, tenant, UPDATED if before else CREATED,
                         obj=(OBJECT, saved.pk), before=before, after=after)  # fmt: skip
    except IntegrityError:  # another entry took the address a moment ago
        raise _url_taken() from None
    return saved


def delete(request: HttpRequest | None, entry: Entry) -> None:
    if not editable(entry):
        raise NotEditable(entry.origin)
    with transaction.atomic():
        audit.record(request, entry.tenant, DELETED, obj=(OBJECT, entry.pk), before=fields(entry))
        entry.delete()


# -- from a report's answer ----------------------------------------------------------------------


def short_title(text: str, limit: int = TITLE_FROM_TEXT) -> str:
    """A citizen's question as a title: whole if short, else up to the end of a sentence if
    that says enough, else cut at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit + 1]
    ends = [m.end() for m in re.finditer(r"[?!.](?=\s)", head) if m.end() >= 20]
    if ends:
        return head[: ends[-1]]
    cut = head.rfind(" ")
    return (head[:cut] if cut > limit // 2 else head[:limit]).rstrip(" ,;:-") + " …"


def latest_public_reply(case: Case) -> CaseEvent | None:
    return (
        CaseEvent.objects.filter(case=case, kind=EventKind.REPLY, public=True)
        .order_by("-at", "-id")
        .first()
    )


def entry_for_case(case: Case) -> Entry | None:
    """The answer entry made from this report earlier and still there, if any."""
    return (
        Entry.objects.filter(tenant=case.tenant, origin=Origin.ANSWER, case=case)
        .order_by("pk")
        .first()
    )


def case_of(entry: Entry) -> int | None:
    """The number of the report an answer entry was made from."""
    if entry.origin != Origin.ANSWER or entry.case_id is None:
        return None
    return Case.objects.filter(pk=entry.case_id).values_list("number", flat=True).first()


def from_case(case: Case) -> dict[str, str]:
    """The form's fields for a report's latest public answer: the question (the moderated
    text, where staff made one) as the title and as the first line, then the answer; tags
    and address of the entry made from it before, if any.

    Nothing is stored: staff read it, remove personal data (the answer may greet the citizen
    by name) and save. Raises LookupError without a public answer."""
    reply = latest_public_reply(case)
    if reply is None:
        raise LookupError("the report has no public answer")
    question = " ".join((case.public_description or case.description).split())
    tenant = case.tenant
    language = case.language if case.language in languages(tenant) else tenant.default_language
    earlier = entry_for_case(case)
    answer = reply.text.strip()
    return {
        "title": short_title(question) or _("Answer to report %(n)d") % {"n": case.number},
        "body": f"{question}\n\n{answer}" if question else answer,
        "language": language,
        "tags": ", ".join(earlier.tags) if earlier else "",
        "url": external_url(earlier) if earlier else "",
    }


def save_from_case(request: HttpRequest | None, case: Case, draft: Draft) -> tuple[Entry, bool]:
    """Store the answer entry of ``case``: the first time a new one (origin ``answer``), later
    the same one again; audited. Returns the entry and whether it was created."""
    try:
        with transaction.atomic():
            # One at a time per report: a double click must not make two entries.
            Case.objects.select_for_update().filter(pk=case.pk).first()
            earlier = entry_for_case(case)
            before = fields(earlier) if earlier is not None else None
            if earlier is not None:
                saved = _update(earlier, draft)
            else:
                saved = _create(case.tenant, draft, Origin.ANSWER)
                saved.case = case
                saved.save(update_fields=["case"])
            audit.record(request, case.tenant, UPDATED if before else CREATED,
                         obj=(OBJECT, saved.pk), before=before,
                         after={**fields(saved), "case": case.number})  # fmt: skip
    except IntegrityError:
        raise _url_taken() from None
    return saved, earlier is None


# -- from a question citizens asked --------------------------------------------------------------


def from_question(question: Question) -> dict[str, str]:
    tenant = question.tenant
    language = (
        question.language if question.language in languages(tenant) else tenant.default_language
    )
    return {"title": short_title(question.text, MAX_TITLE), "language": language}


# -- the review list -----------------------------------------------------------------------------

REVIEW_FILTERS = ("all", "unhelpful", "unanswered")


def review_list(tenant: Municipality, show: str = "all") -> QuerySet[Question]:
    """The town's recent questions for quality review, those not yet reviewed first.
    ``unhelpful``: a citizen gave a thumbs down; ``unanswered``: the assistant found nothing
    reliable (refusals such as emergencies are answered on purpose and not listed there)."""
    questions = Question.objects.filter(
        tenant=tenant, asked_at__gte=timezone.now() - RETENTION
    ).order_by("reviewed", "-asked_at", "-id")
    if show == "unhelpful":
        questions = questions.filter(helpful=False)
    elif show == "unanswered":
        questions = questions.filter(answered=False, refusal="")
    return questions


def mark_reviewed(
    request: HttpRequest | None, tenant: Municipality, question_id: int
) -> Question | None:
    """Staff looked at the question; None if the town has no such question (any more). The
    audit row names the question only: what citizens typed is not kept as long as the log."""
    with transaction.atomic():
        updated = Question.objects.filter(tenant=tenant, pk=question_id).update(reviewed=True)
        if not updated:
            return None
        audit.record(request, tenant, REVIEWED, obj=("question", question_id))
    return Question.objects.get(pk=question_id)
