"""POST /api/v1/{tenant}/ask: answers from the town's pages with their sources, an honest
"I don't know" below the threshold, 112 at once in an emergency, and the AI notice always."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from stadtbote.assistant.models import Disclosure, Question
from stadtbote.assistant.service import RETENTION, purge_old_questions
from tests.support.openai_fake import openai_fake_fixture  # noqa: F401 (the fixture)

DOG_TAX = "https://www.musterstadt.example/buergerservice/hundesteuer"


@pytest.fixture(autouse=True)
def empty_rate_limits(db):
    cache.clear()


def ask(client, question: str, language: str = "de", tenant: str = "musterstadt"):
    return client.post(
        f"/api/v1/{tenant}/ask",
        {"question": question, "language": language},
        content_type="application/json",
    )


def test_a_question_the_pages_answer_gets_the_answer_and_its_source(client, tenant):
    body = ask(client, "Wie viel Hundesteuer zahle ich für einen Hund?").json()
    assert body["answered"] is True
    assert body["sources"][0]["url"] == DOG_TAX
    assert "Hundesteuer" in body["answer"]
    assert "AI" in body["disclosure"] or "KI" in body["disclosure"]
    assert body["inquiry_url"] is None


def test_an_emergency_gets_the_emergency_numbers_and_no_search(client, tenant):
    body = ask(client, "Es brennt in meinem Keller").json()
    assert body["answered"] is False
    assert "112" in body["answer"]
    assert body["sources"] == []
    assert body["inquiry_url"] is None  # no form to fill in: call


def test_a_question_the_pages_do_not_answer_is_offered_to_staff(client, tenant):
    body = ask(client, "Wann ist dieses Jahr der Weihnachtsmarkt?").json()
    assert body["answered"] is False
    assert body["inquiry_url"]


def test_english_questions_get_english_answers_and_notice(client, tenant):
    body = ask(client, "How much is an ID card?", "en").json()
    assert body["answered"] is True
    assert body["sources"][0]["url"].startswith("https://www.musterstadt.example/en/")
    assert "AI system" in body["disclosure"]


def test_the_notice_and_each_question_are_recorded_and_questions_expire(client, tenant):
    ask(client, "Wie viel Hundesteuer zahle ich für einen Hund?")
    assert Disclosure.objects.filter(language="de").count() == 1
    question = Question.objects.get()
    assert (question.answered, question.disclosure) == (True, Disclosure.objects.get().version)
    from django.utils import timezone

    assert purge_old_questions(timezone.now() + RETENTION + RETENTION) == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"question": "x"}, "question"), ({"question": "Ausweis", "language": "deutsch"}, "language")],
)
def test_bad_input_gets_422_naming_the_field(client, tenant, payload, field):
    response = client.post("/api/v1/musterstadt/ask", payload, content_type="application/json")
    assert response.status_code == 422
    assert field in response.content.decode()


def test_an_unknown_town_is_404(client, db):
    assert ask(client, "Ausweis", tenant="atlantis").status_code == 404


def test_asking_without_pause_is_limited(client, tenant):
    from stadtbote.api.assistant import PER_ADDRESS

    for _ in range(PER_ADDRESS):
        ask(client, "Ausweis")
    assert ask(client, "Ausweis").status_code == 429


@pytest.mark.django_db(transaction=True)
def test_the_workers_upkeep_deletes_questions_past_their_retention(tenant):
    from django.utils import timezone

    from stadtbote.ops.management.commands import worker

    Question.objects.create(tenant=tenant, text="alt", language="de", answered=False,
                            disclosure="x", asked_at=timezone.now() - RETENTION - RETENTION)  # fmt: skip
    Question.objects.create(tenant=tenant, text="neu", language="de", answered=False,
                            disclosure="x")  # fmt: skip
    worker.upkeep()
    assert list(Question.objects.values_list("text", flat=True)) == ["neu"]


# -- the generative mode, wired into the answer ------------------------------------------------


BARBECUE = "https://www.musterstadt.example/freizeit/grillen"


@pytest.fixture
def barbecue_page(tenant):
    from stadtbote.assistant.models import Entry

    return Entry.objects.create(
        tenant=tenant,
        url=BARBECUE,
        title="Grillen im Stadtpark",
        body="Grillen ist im Stadtpark nur auf der Grillwiese erlaubt, von April bis "
        "September zwischen 10 und 22 Uhr. Eine Anmeldung ist nicht nötig.",
        language="de",
        origin="import",
    )


def test_a_configured_model_words_the_answer_from_the_passages_with_citations(
    client, barbecue_page, settings, openai_fake
):
    settings.STADTBOTE_ASSISTANT_LLM = openai_fake.config()
    openai_fake.answer("Grillen ist im Stadtpark auf der Grillwiese erlaubt, bis 22 Uhr [1].")
    body = ask(client, "Darf ich im Stadtpark grillen?").json()
    assert body["answered"] is True
    assert body["answer"] == "Grillen ist im Stadtpark auf der Grillwiese erlaubt, bis 22 Uhr [1]."
    assert body["sources"][0]["url"] == BARBECUE
    assert Question.objects.get().generated is True
    [request] = openai_fake.requests
    assert "Grillwiese" in request.message("user")
    assert "Darf ich im Stadtpark grillen?" in request.message("user")


def test_a_model_answer_with_a_claim_not_in_the_pages_is_not_shown(
    client, barbecue_page, settings, openai_fake
):
    settings.STADTBOTE_ASSISTANT_LLM = openai_fake.config()
    openai_fake.answer("Grillen ist im Stadtpark auf der Grillwiese bis 23 Uhr erlaubt [1].")
    body = ask(client, "Darf ich im Stadtpark grillen?").json()
    assert body["answered"] is True
    assert "23 Uhr" not in body["answer"]
    assert "zwischen 10 und 22 Uhr" in body["answer"]  # the town's own passage instead
    assert Question.objects.get().generated is False


def test_questions_below_the_threshold_never_reach_the_model(client, tenant, settings, openai_fake):
    settings.STADTBOTE_ASSISTANT_LLM = openai_fake.config()
    ask(client, "Wann ist dieses Jahr der Weihnachtsmarkt?")
    ask(client, "Es brennt in meinem Keller")
    assert openai_fake.requests == []


def test_an_answer_is_plain_text_without_markdown_marks():
    from stadtbote.assistant.service import plain_lines

    passage = (
        "Melden Sie Ihren Hund innerhalb von **zwei Wochen** an.\n\n"
        "| Hund | Steuer pro Jahr |\n|---|---|\n| erster Hund | 108,00 € |\n"
        "- online unter `https://www.musterstadt.example`\n"
    )
    assert plain_lines(passage) == [
        "Melden Sie Ihren Hund innerhalb von zwei Wochen an.",
        "Hund: Steuer pro Jahr.",
        "erster Hund: 108,00 €.",
        "online unter https://www.musterstadt.example",
    ]


def test_a_question_for_a_price_is_answered_with_the_passage_that_states_it(client, tenant):
    body = ask(client, "Was kostet die Hundesteuer?").json()
    assert body["answered"] is True
    assert "erster Hund: 108,00 €" in body["answer"]
