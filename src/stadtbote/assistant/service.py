"""Answering a citizen's question from the town's own pages (the embedded mode): danger to
life first, then what the assistant may not answer, then a search; below the confidence
threshold it says so plainly and offers to pass the question to staff. Every answer names its
sources, and every answer carries the notice that an AI system is speaking."""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Count, Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from stadtbote.assistant import generate, safety
from stadtbote.assistant import tasks as knowledge_tasks
from stadtbote.assistant.index import Hit, Index, confidence
from stadtbote.assistant.models import Disclosure, Entry, Question, Synonym
from stadtbote.assistant.text import Synonyms
from stadtbote.tenants.models import Municipality

log = logging.getLogger(__name__)

# Below this the best page is not trusted to answer (chosen on the demo's development set:
# `stadtbote assistant eval`, docs/benchmarks.md).
THRESHOLD = 0.5
MAX_ANSWER_CHARS = 700
MAX_SOURCES = 3
RETENTION = timedelta(days=30)
DISCLOSURE_VERSION = "2026-11-27"
LANGUAGES = ("de", "en")


@dataclass
class Answer:
    answer: str
    answered: bool
    sources: list[dict[str, str]] = field(default_factory=list)
    refusal: str = ""
    confidence: float = 0.0
    disclosure: str = ""
    generated: bool = False  # worded by a model (grounded), not the passage itself
    # The stored question's public id: the asker rates the answer or passes it on with it.
    question: Question | None = None


def disclosure(language: str) -> str:
    with translation.override(language):
        return _(
            "You are talking to an automated assistant (an AI system). It answers from the "
            "town's web pages and names them; it can be wrong and decides nothing. For "
            "anything binding, ask the town's staff."
        )


def record_disclosure(language: str) -> None:
    Disclosure.objects.get_or_create(
        version=DISCLOSURE_VERSION, language=language, defaults={"text": disclosure(language)}
    )


# -- the knowledge, per town, rebuilt when it changes -----------------------------------------

_lock = threading.Lock()
_built: dict[int, tuple[tuple[object, ...], Index, Synonyms]] = {}
_rebuilding: dict[int, threading.Thread] = {}


def knowledge(tenant: Municipality) -> tuple[Index, Synonyms]:
    """The town's index and synonyms; one cheap query tells whether they are still current.

    After a change (an import, an edited entry, a published message) the first question would
    wait for the whole build, about two seconds at 1,000 pages (bench/assistant_ask.py). So
    where an index exists, questions keep using it while one thread builds the new one, and
    answers are at most that long behind the knowledge base. Only the first build is waited
    for.
    """
    version = _version(tenant.pk)
    cached = _built.get(tenant.pk)
    if cached is not None and cached[0] == version:
        return cached[1], cached[2]
    # Entries removed (perhaps for personal data in them) are never cited again: that build is
    # waited for.
    removed = cached is not None and _count(version) < _count(cached[0])
    background = getattr(settings, "STADTBOTE_ASSISTANT_REBUILD_IN_BACKGROUND", True)
    if cached is not None and background and not removed:
        _rebuild_in_background(tenant.pk)
        return cached[1], cached[2]
    with _lock:  # one build per town at a time; the others wait and take it
        cached = _built.get(tenant.pk)
        if cached is not None and cached[0] == version:
            return cached[1], cached[2]
        return _build(tenant.pk, version)


def _count(version: tuple[object, ...]) -> int:
    return int(version[0] or 0)  # type: ignore[call-overload]


def _version(tenant_id: int) -> tuple[object, ...]:
    state = Entry.objects.filter(tenant_id=tenant_id).aggregate(n=Count("id"), at=Max("updated_at"))
    words = Synonym.objects.filter(tenant_id=tenant_id).aggregate(n=Count("id"), last=Max("id"))
    return (state["n"], state["at"], words["n"], words["last"])


def _build(tenant_id: int, version: tuple[object, ...]) -> tuple[Index, Synonyms]:
    index = Index.from_pages(Entry.objects.filter(tenant_id=tenant_id).order_by("pk"))
    synonyms = Synonyms({s.term: s.expansions for s in Synonym.objects.filter(tenant_id=tenant_id)})
    _built[tenant_id] = (version, index, synonyms)
    return index, synonyms


def _rebuild_in_background(tenant_id: int) -> None:
    with _lock:
        if tenant_id in _rebuilding:
            return
        worker = threading.Thread(
            target=_rebuild, args=(tenant_id,), name=f"kb-index-{tenant_id}", daemon=True
        )
        _rebuilding[tenant_id] = worker
    worker.start()


def _rebuild(tenant_id: int) -> None:
    try:
        # The version is read before the pages: a change during the build leaves the index
        # marked older than it is, so the next question starts another build, never the
        # other way round.
        _build(tenant_id, _version(tenant_id))
    except Exception:  # a failed build keeps the old index; the next question tries again
        log.exception("assistant: rebuilding the index of town %s failed", tenant_id)
    finally:
        with _lock:
            _rebuilding.pop(tenant_id, None)
        connection.close()  # this thread's own database connection


def wait_for_rebuilds(timeout: float = 30.0) -> None:
    """Let running background builds finish (tests, and a clean shutdown)."""
    for worker in list(_rebuilding.values()):
        worker.join(timeout)


# -- answering ---------------------------------------------------------------------------------


def ask(tenant: Municipality, question: str, language: str) -> Answer:
    language = language if language in LANGUAGES else tenant.default_language
    question = " ".join(question.split())[:1000]
    with translation.override(language):
        answer = _answer(tenant, question, language)
    answer.disclosure = disclosure(language)
    record_disclosure(language)
    answer.question = Question.objects.create(
        tenant=tenant,
        # What someone in danger or crisis wrote is often health data: the review needs only
        # that the assistant pointed to 112 or the crisis line.
        text="" if answer.refusal in UNKEPT else question,
        language=language,
        answer=answer.answer,
        generated=answer.generated,
        answered=answer.answered,
        refusal=answer.refusal,
        confidence=answer.confidence,
        sources=answer.sources,
        disclosure=DISCLOSURE_VERSION,
    )
    return answer


def _answer(tenant: Municipality, question: str, language: str) -> Answer:
    kind = safety.refusal(question)
    if kind is not None:
        return Answer(REFUSALS[kind](), answered=False, refusal=str(kind))
    index, synonyms = knowledge(tenant)
    hits = index.search(question, language, synonyms, k=5)
    sure = confidence(hits)
    if sure < THRESHOLD:
        return Answer(
            _(
                "I could not find a reliable answer to this in the town's pages. I can pass "
                "your question to the town's staff; they answer within 24 hours."
            ),
            answered=False,
            confidence=sure,
            sources=_sources(hits[:2]) if sure > 0 else [],
        )
    # Where configured, a model may word the answer, but only from these passages and only if
    # every claim is found in them (generate.py); otherwise the passage itself is the answer.
    generated = generate.grounded_answer(question, hits, language, synonyms=synonyms)
    if generated is not None:
        return Answer(
            generated.answer,
            answered=True,
            confidence=sure,
            sources=generated.sources,
            generated=True,
        )
    return Answer(_extract(hits[0]), answered=True, confidence=sure, sources=_sources(hits))


def _extract(hit: Hit) -> str:
    """The best passage itself, shortened at a sentence: only the town's words, nothing made
    up (the generative mode, where configured, must keep to them too)."""
    text = " ".join(plain_lines(hit.passage.text))
    if len(text) > MAX_ANSWER_CHARS:
        cut = text[:MAX_ANSWER_CHARS]
        end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
        text = (cut[: end + 1] if end > MAX_ANSWER_CHARS // 3 else cut.rstrip()) + " …"
    heading = hit.passage.heading
    return f"{hit.passage.title}{f' – {heading}' if heading else ''}: {text}"


_EMPHASIS = re.compile(r"(\*\*|__|`)")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")


def plain_lines(markdown: str) -> list[str]:
    """The passage as plain sentences for an answer that is shown as text (and read aloud):
    no emphasis marks, list bullets or table bars; a table row reads "cell: cell"."""
    lines = []
    for raw in markdown.splitlines():
        line = raw.strip()
        if not line or _TABLE_RULE.match(line):
            continue
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|") if c.strip()]
            line = ": ".join(cells) + ("." if cells and not cells[-1].endswith(".") else "")
        line = line.lstrip("#").strip()
        if line[:2] in ("- ", "* ", "+ "):
            line = line[2:]
        lines.append(_EMPHASIS.sub("", line))
    return lines


def _sources(hits: list[Hit]) -> list[dict[str, str]]:
    """The pages the answer comes from: the best, and others nearly as good."""
    if not hits:
        return []
    found: dict[str, dict[str, str]] = {}
    for hit in hits:
        if hit.score < 0.6 * hits[0].score or len(found) >= MAX_SOURCES:
            break
        found.setdefault(hit.passage.url, {"title": hit.passage.title, "url": hit.passage.url})
    return list(found.values())


UNKEPT = (str(safety.Refusal.EMERGENCY), str(safety.Refusal.CRISIS))

REFUSALS = {
    safety.Refusal.EMERGENCY: lambda: _(
        "This sounds like an emergency. Call 112 now (fire brigade, ambulance) or 110 "
        "(police). I cannot send help."
    ),
    safety.Refusal.CRISIS: lambda: _(
        "You are not alone. Talk to someone now: the Telefonseelsorge is there day and night, "
        "free of charge, on 0800 111 0 111 or 0800 111 0 222. In acute danger call 112."
    ),
    safety.Refusal.PERSONAL: lambda: _(
        "I cannot look into your own case. The town's staff can: I can pass your question to "
        "them, or contact the office that handles your matter."
    ),
    safety.Refusal.LEGAL: lambda: _(
        "I cannot give legal advice. A lawyer, a consumer advice centre or a tenants' "
        "association can; I can tell you which office of the town is responsible."
    ),
    safety.Refusal.POLITICAL: lambda: _(
        "I do not answer political questions. The council's decisions and minutes are public "
        "in the town's council information system."
    ),
}


def purge_old_questions(now: datetime | None = None) -> int:
    """Questions are kept for quality review only as long as ``RETENTION``."""
    cutoff = (now or timezone.now()) - RETENTION
    deleted, _details = Question.objects.filter(asked_at__lt=cutoff).delete()
    return deleted


JOBS = {
    "assistant_retention": (timedelta(hours=1), purge_old_questions),
    # Derived knowledge (assistant/derived.py): expiries take effect without a save.
    "assistant_derived": (knowledge_tasks.SYNC_EVERY, knowledge_tasks.sync_all_towns),
}
