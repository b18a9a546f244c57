"""The assistant in the citizen app: the AI notice before the first question, answers with
their sources as links, a conversation that survives a reload, thumbs only for one's own
questions, and passing a question to staff."""

from __future__ import annotations

import pytest

from stadtbote.assistant.models import Disclosure, Question
from stadtbote.reports.models import Case, Follower
from tests.web.support import sign_up, text

pytestmark = pytest.mark.django_db

DOG_TAX = "https://www.musterstadt.example/buergerservice/hundesteuer"
FETCH = {"HTTP_X_STADTBOTE_FETCH": "1"}


def test_the_page_says_an_ai_answers_before_anyone_asks_and_records_the_notice(client, tenant):
    page = text(client.get("/musterstadt/assistant"))
    assert 'id="ai-notice"' in page
    assert "KI-System" in page or "AI system" in page
    assert 'role="log"' in page
    assert Disclosure.objects.filter(language="de").exists()


def test_a_question_posted_without_javascript_is_answered_after_a_redirect(client, tenant):
    response = client.post("/musterstadt/assistant", {"question": "Was kostet die Hundesteuer?"})
    assert response.status_code == 302
    page = text(client.get(response["Location"]))
    assert "Was kostet die Hundesteuer?" in page
    assert f'href="{DOG_TAX}"' in page
    assert "Was this answer helpful?" in page or "Hat Ihnen diese Antwort geholfen?" in page


def test_with_javascript_only_the_new_exchange_comes_back(client, tenant):
    response = client.post(
        "/musterstadt/assistant", {"question": "Was kostet die Hundesteuer?"}, **FETCH
    )
    assert response.status_code == 200
    fragment = text(response)
    assert fragment.lstrip().startswith('<li class="exchange"')
    assert DOG_TAX in fragment


def test_an_empty_question_is_refused_naming_the_field(client, tenant):
    response = client.post("/musterstadt/assistant", {"question": " "})
    assert response.status_code == 422
    assert 'aria-invalid="true"' in text(response)
    assert client.post("/musterstadt/assistant", {"question": ""}, **FETCH).status_code == 422


def test_an_emergency_shows_112_and_offers_no_form(client, tenant):
    client.post("/musterstadt/assistant", {"question": "Es brennt in meinem Keller"})
    page = text(client.get("/musterstadt/assistant"))
    assert "112" in page
    assert "/assistant/inquiry?question=" not in page


def test_an_unanswered_question_offers_staff_with_the_question_filled_in(client, tenant):
    client.post("/musterstadt/assistant", {"question": "Wann ist der Weihnachtsmarkt?"})
    question = Question.objects.get()
    page = text(client.get("/musterstadt/assistant"))
    assert f"/musterstadt/assistant/inquiry?question={question.public_id}" in page
    form = text(client.get(f"/musterstadt/assistant/inquiry?question={question.public_id}"))
    assert "Wann ist der Weihnachtsmarkt?</textarea>" in form


def test_thumbs_down_marks_the_answer_for_review(client, tenant):
    client.post("/musterstadt/assistant", {"question": "Was kostet die Hundesteuer?"})
    question = Question.objects.get()
    url = f"/musterstadt/assistant/{question.public_id}/rate"
    assert client.post(url, {"helpful": "no"}, **FETCH).status_code == 200
    question.refresh_from_db()
    assert question.helpful is False


def test_nobody_rates_a_question_asked_in_another_browser(client, tenant):
    from django.test import Client

    client.post("/musterstadt/assistant", {"question": "Was kostet die Hundesteuer?"})
    question = Question.objects.get()
    stranger = Client()
    response = stranger.post(f"/musterstadt/assistant/{question.public_id}/rate", {"helpful": "no"})
    assert response.status_code == 404
    question.refresh_from_db()
    assert question.helpful is None


def test_an_inquiry_from_the_form_becomes_a_case_and_the_asker_sees_its_page(client, tenant):
    response = client.post(
        "/musterstadt/assistant/inquiry",
        {"question": "Darf ich im Stadtpark grillen?", "email": "ada@example.org"},
    )
    assert response.status_code == 302
    case = Case.objects.get(category__kind="inquiry")
    assert response["Location"] == f"/musterstadt/reports/{case.public_id}?new=1"
    page = text(client.get(response["Location"]))
    assert f"Ihre Frage {case.number}" in page or f"Your question {case.number}" in page
    assert 'id="follow"' not in page


def test_an_inquiry_without_a_way_to_answer_names_the_email_field(client, tenant):
    response = client.post("/musterstadt/assistant/inquiry", {"question": "Darf ich grillen?"})
    assert response.status_code == 422
    assert 'href="#inquiry-email"' in text(response)
    assert not Case.objects.exists()


def test_an_app_subscriber_gets_the_answer_in_the_app_without_an_address(client, tenant):
    subscriber = sign_up(client)
    form = text(client.get("/musterstadt/assistant/inquiry"))
    assert 'name="by_app"' in form
    response = client.post(
        "/musterstadt/assistant/inquiry",
        {"question": "Darf ich im Stadtpark grillen?", "by_app": "1"},
    )
    assert response.status_code == 302
    assert Follower.objects.get().subscriber == subscriber


def test_nobody_can_follow_someone_elses_question(client, tenant):
    client.post(
        "/musterstadt/assistant/inquiry",
        {"question": "Darf ich im Stadtpark grillen?", "email": "ada@example.org"},
    )
    case = Case.objects.get()
    response = client.post(
        f"/musterstadt/reports/{case.public_id}/follow", {"email": "eve@example.org"}
    )
    assert response.status_code == 404


def test_nobody_follows_a_question_by_mail_even_through_the_stop_form(client, tenant, smtp):
    client.post(
        "/musterstadt/assistant/inquiry",
        {"question": "Darf ich im Stadtpark grillen?", "email": "ada@example.org"},
    )
    case = Case.objects.get()
    response = client.post(
        f"/musterstadt/reports/{case.public_id}/follow", {"stop": "1", "email": "eve@example.org"}
    )
    assert response.status_code == 404
    assert list(Follower.objects.values_list("email", flat=True)) == ["ada@example.org"]


def test_what_someone_in_danger_wrote_is_shown_once_and_not_kept(client, tenant):
    response = client.post(
        "/musterstadt/assistant", {"question": "Mein Nachbar ist gestürzt und blutet"}, **FETCH
    )
    assert "Mein Nachbar ist gestürzt" in text(response)
    assert "112" in text(response)
    question = Question.objects.get()
    assert (question.refusal, question.text) == ("emergency", "")
    assert "Mein Nachbar" not in text(client.get("/musterstadt/assistant"))


def test_a_new_conversation_forgets_the_earlier_questions_in_this_browser(client, tenant):
    client.post("/musterstadt/assistant", {"question": "Was kostet die Hundesteuer?"})
    assert "Was kostet die Hundesteuer?" in text(client.get("/musterstadt/assistant"))
    assert client.post("/musterstadt/assistant/new").status_code == 302
    assert "Was kostet die Hundesteuer?" not in text(client.get("/musterstadt/assistant"))
    assert Question.objects.count() == 1  # kept for the review, only not shown here


def test_a_source_that_is_no_web_address_is_shown_but_not_linked(client, tenant):
    from stadtbote.assistant.models import Entry

    Entry.objects.create(
        tenant=tenant,
        url="javascript:alert(1)",
        title="Grillen im Stadtpark",
        body="Grillen ist im Stadtpark nur auf der Grillwiese erlaubt.",
        language="de",
        origin="staff",
    )
    client.post("/musterstadt/assistant", {"question": "Darf ich im Stadtpark grillen?"})
    page = text(client.get("/musterstadt/assistant"))
    assert "Grillen im Stadtpark" in page
    assert "javascript:" not in page
