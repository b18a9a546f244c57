"""The review list: the town's questions of the last 30 days, those not yet reviewed first,
filtered to the thumbs-down or the unanswered; staff mark them reviewed (audited, without the
text) or write an entry for them. Only those who keep the knowledge base see it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from stadtbote.assistant.models import Entry, Question
from stadtbote.audit.models import AuditEntry
from tests.staff.conftest import signed_in


@pytest.fixture
def caseworker(tenant):
    # Keeping the knowledge base changes what citizens read: a second factor whatever the role.
    return signed_in(tenant, "caseworker", with_second_factor=True)


REVIEW = "/musterstadt/staff/knowledge/review"


def ask(tenant, text: str, **fields) -> Question:
    values = {
        "language": "de",
        "answered": True,
        "confidence": 0.8,
        "disclosure": "2026-11-27",
        "sources": [{"title": "Sperrmüll anmelden", "url": "https://kb.example/sperrmuell"}],
        **fields,
    }
    return Question.objects.create(tenant=tenant, text=text, **values)


@pytest.fixture
def questions(tenant, other_town) -> dict[str, Question]:
    now = timezone.now()
    return {
        "good": ask(tenant, "Wie melde ich Sperrmüll an?", helpful=True),
        "bad": ask(tenant, "Wo ist die Hundewiese?", helpful=False, confidence=0.55),
        "unanswered": ask(
            tenant, "Gibt es einen Bolzplatz?", answered=False, confidence=0.2, sources=[]
        ),
        "emergency": ask(tenant, "Es brennt!", answered=False, refusal="emergency", sources=[]),
        "reviewed": ask(tenant, "Ein alter Fall", answered=False, reviewed=True, sources=[]),
        "expired": ask(tenant, "Zu alt", asked_at=now - timedelta(days=31)),
        "elsewhere": ask(other_town, "Frage aus Nachbarort", helpful=False),
        "evil": ask(
            tenant,
            "Quelle mit Skript",
            sources=[{"title": "Böse", "url": "javascript:alert(1)"}],
        ),
    }


def shown(page: str, questions: dict[str, Question]) -> list[str]:
    """The keys of the questions the page lists, in order."""
    found = [(page.find(f'id="question-{q.pk}"'), key) for key, q in questions.items()]
    return [key for at, key in sorted(found) if at >= 0]


def test_all_recent_questions_of_the_town_unreviewed_first(caseworker, questions):
    page = caseworker.get(REVIEW).content.decode()
    order = shown(page, questions)
    assert set(order) == {"good", "bad", "unanswered", "emergency", "reviewed", "evil"}
    assert order[-1] == "reviewed"
    assert "6 questions" in page
    assert "Wo ist die Hundewiese?" in page
    assert 'href="https://kb.example/sperrmuell"' in page
    assert "javascript:" not in page  # a source that is no web address is not linked
    assert "not helpful" in page
    assert "Emergency: sent to 112/110" in page
    assert "confidence 55 %" in page


@pytest.mark.parametrize(
    ("show", "expected"),
    [("unhelpful", {"bad"}), ("unanswered", {"unanswered", "reviewed"}), ("nonsense", None)],
)
def test_the_filters(caseworker, questions, show, expected):
    page = caseworker.get(f"{REVIEW}?show={show}").content.decode()
    if expected is None:  # an unknown filter shows all
        expected = {"good", "bad", "unanswered", "emergency", "reviewed", "evil"}
    assert set(shown(page, questions)) == expected


def test_marking_reviewed_is_audited_without_what_was_typed(caseworker, questions, tenant):
    q = questions["bad"]
    response = caseworker.post(f"{REVIEW}/{q.pk}/reviewed", {"show": "unhelpful", "page": "1"})
    assert response.status_code == 302
    assert response["Location"] == f"{REVIEW}?show=unhelpful"
    q.refresh_from_db()
    assert q.reviewed
    row = AuditEntry.objects.get(action="kb.question_reviewed")
    assert (row.tenant, row.object_type, row.object_id) == (tenant, "question", str(q.pk))
    assert "Hundewiese" not in f"{row.before}{row.after}"
    page = caseworker.get(f"{REVIEW}?show=unhelpful").content.decode()
    assert "Marked as reviewed." in page
    assert shown(page, questions) == ["bad"]  # still listed, as reviewed
    assert caseworker.post(f"{REVIEW}/{q.pk}/reviewed").status_code == 302
    # Only POST; another town's or an expired question is not found.
    assert caseworker.get(f"{REVIEW}/{q.pk}/reviewed").status_code == 405
    elsewhere = questions["elsewhere"]
    assert caseworker.post(f"{REVIEW}/{elsewhere.pk}/reviewed").status_code == 404
    elsewhere.refresh_from_db()
    assert not elsewhere.reviewed
    assert caseworker.post(f"{REVIEW}/999999/reviewed").status_code == 404


def test_writing_an_entry_for_a_question_prefills_it_and_marks_it_reviewed(caseworker, questions):
    q = questions["unanswered"]
    page = caseworker.get(REVIEW).content.decode()
    assert f'href="/musterstadt/staff/knowledge/new?question={q.pk}"' in page
    form = caseworker.get(f"/musterstadt/staff/knowledge/new?question={q.pk}").content.decode()
    assert 'value="Gibt es einen Bolzplatz?"' in form
    assert f'name="question" value="{q.pk}"' in form
    response = caseworker.post(
        "/musterstadt/staff/knowledge/new",
        {
            "title": "Bolzplätze",
            "body": "Bolzplätze gibt es am Stadtpark.",
            "language": "de",
            "question": str(q.pk),
        },
    )
    assert response.status_code == 302
    q.refresh_from_db()
    assert q.reviewed
    entry = Entry.objects.get(title="Bolzplätze")
    assert AuditEntry.objects.get(action="kb.create").after["question"] == q.pk
    # Another town's question id prefills nothing and is not marked.
    other = questions["elsewhere"]
    form = caseworker.get(f"/musterstadt/staff/knowledge/new?question={other.pk}").content.decode()
    assert "Frage aus Nachbarort" not in form
    caseworker.post(
        "/musterstadt/staff/knowledge/new",
        {"title": "X", "body": "Y", "language": "de", "question": str(other.pk)},
    )
    other.refresh_from_db()
    assert not other.reviewed
    assert entry.pk


@pytest.mark.parametrize("role", ["admin", "publisher"])
def test_admins_and_publishers_review_too(role, tenant, questions):
    assert signed_in(tenant, role).get(REVIEW).status_code == 200


def test_viewers_and_other_towns_cannot_see_what_citizens_typed(
    viewer, other_town_worker, questions
):
    q = questions["bad"]
    assert viewer.get(REVIEW).status_code == 403
    assert viewer.post(f"{REVIEW}/{q.pk}/reviewed").status_code == 403
    assert other_town_worker.get(REVIEW).status_code == 404
    assert other_town_worker.post(f"{REVIEW}/{q.pk}/reviewed").status_code == 404
    page = other_town_worker.get("/nachbarort/staff/knowledge/review").content.decode()
    assert "Frage aus Nachbarort" in page
    assert "Hundewiese" not in page
    q.refresh_from_db()
    assert not q.reviewed
