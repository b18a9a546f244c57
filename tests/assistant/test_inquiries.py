"""A question the assistant cannot answer becomes an inquiry: a case in the staff's queues with
the same 24-hour promise as reports, never public, answered to the citizen by mail or push."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache

from stadtbote.assistant.models import Question
from stadtbote.reports import service
from stadtbote.reports.models import Case, Category, Follower
from tests.conftest import push_channel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_rate_limits(db):
    cache.clear()


def ask(client, question: str, tenant: str = "musterstadt"):
    return client.post(
        f"/api/v1/{tenant}/ask",
        {"question": question, "language": "de"},
        content_type="application/json",
    ).json()


def inquire(client, body: dict, tenant: str = "musterstadt", **headers):
    return client.post(
        f"/api/v1/{tenant}/inquiries", body, content_type="application/json", **headers
    )


def test_an_unanswered_question_offers_the_apps_inquiry_page_with_the_question(client, tenant):
    body = ask(client, "Wann ist dieses Jahr der Weihnachtsmarkt?")
    assert body["answered"] is False
    assert body["inquiry_url"].endswith(f"/musterstadt/assistant/inquiry?question={body['id']}")


def test_passing_an_asked_question_to_staff_opens_an_inquiry_case_due_in_24_hours(client, tenant):
    asked = ask(client, "Wann ist dieses Jahr der Weihnachtsmarkt?")
    response = inquire(client, {"question_id": asked["id"], "email": "ada@example.org"})
    assert response.status_code == 201
    out = response.json()
    case = Case.objects.get(public_id=out["id"])
    assert case.category.kind == "inquiry"
    assert case.description == "Wann ist dieses Jahr der Weihnachtsmarkt?"
    assert case.first_response_due - case.created_at == timedelta(hours=24)
    assert case.published is False
    assert case.lat is None
    assert Follower.objects.filter(case=case, email="ada@example.org", is_reporter=True).exists()
    assert Question.objects.get(public_id=asked["id"]).case == case
    assert out["status"] == "received"
    assert out["answers"] == []


def test_the_same_question_passed_on_twice_stays_one_case(client, tenant):
    asked = ask(client, "Wann ist dieses Jahr der Weihnachtsmarkt?")
    first = inquire(client, {"question_id": asked["id"], "email": "ada@example.org"}).json()
    again = inquire(client, {"question_id": asked["id"], "email": "ada@example.org"}).json()
    assert first["id"] == again["id"]
    assert Case.objects.filter(category__kind="inquiry").count() == 1


def test_a_question_can_go_to_staff_directly_without_the_assistant(client, tenant):
    response = inquire(
        client, {"question": "Darf ich im Stadtpark grillen?", "email": "ada@example.org"}
    )
    assert response.status_code == 201
    assert Case.objects.get(public_id=response.json()["id"]).language == "de"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"question": "Darf ich im Stadtpark grillen?"}, "email"),
        ({"question": "Darf ich im Stadtpark grillen?", "email": "not-an-address"}, "email"),
        ({"question": "Hm", "email": "ada@example.org"}, "question"),
        (
            {"question_id": "7d1f6a53-0000-4000-8000-000000000000", "email": "a@b.org"},
            "question_id",
        ),
    ],
)
def test_an_inquiry_that_cannot_be_answered_back_or_has_no_question_is_refused_by_field(
    client, tenant, body, field
):
    response = inquire(client, body)
    assert response.status_code == 422
    assert field in response.json()["detail"]
    assert not Case.objects.filter(category__kind="inquiry").exists()


def test_an_app_subscriber_follows_their_inquiry_by_push_without_an_address(
    client, tenant, push_service
):
    created = client.post(
        "/api/v1/musterstadt/subscribers",
        {"language": "de", "channels": [push_channel(push_service, "phone")]},
        content_type="application/json",
    )
    token = created.json()["token"]
    response = inquire(
        client,
        {"question": "Darf ich im Stadtpark grillen?"},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 201
    follower = Follower.objects.get(case__public_id=response.json()["id"])
    assert follower.subscriber is not None
    assert follower.email == ""


def test_a_foreign_or_unknown_bearer_token_is_refused(client, tenant):
    response = inquire(
        client, {"question": "Darf ich im Stadtpark grillen?"}, HTTP_AUTHORIZATION="Bearer nope"
    )
    assert response.status_code == 401


def test_too_many_inquiries_from_one_address_are_refused(client, tenant):
    from stadtbote.reports.inquiries import INQUIRIES_PER_HOUR

    body = {"question": "Darf ich im Stadtpark grillen?", "email": "ada@example.org"}
    codes = [inquire(client, body).status_code for _ in range(INQUIRIES_PER_HOUR + 1)]
    assert codes[-1] == 429
    assert set(codes[:-1]) == {201}


def test_a_town_without_an_inquiry_category_says_so_with_409_and_offers_its_address(client, tenant):
    Category.objects.filter(tenant=tenant, kind="inquiry").update(active=False)
    response = inquire(client, {"question": "Darf ich grillen?", "email": "ada@example.org"})
    assert response.status_code == 409
    asked = ask(client, "Wann ist dieses Jahr der Weihnachtsmarkt?")
    assert asked["inquiry_url"] == f"mailto:{tenant.contact_email}"


def test_inquiries_are_not_reportable_and_not_open311_services(client, tenant):
    services = client.get("/open311/v2/services.json?jurisdiction_id=musterstadt").json()
    assert "frage" not in {s["service_code"] for s in services}
    categories = client.get("/api/v1/musterstadt/categories").json()
    assert "frage" not in {c["slug"] for c in categories}
    from stadtbote.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        service.create_case(tenant, {"category": "frage", "address": "Markt 1"})


def test_an_inquiry_is_never_public_even_when_a_moderator_publishes_it(client, tenant):
    response = inquire(client, {"question": "Darf ich grillen?", "email": "ada@example.org"})
    case = Case.objects.get(public_id=response.json()["id"])
    Case.objects.filter(pk=case.pk).update(published=True)
    requests = client.get("/open311/v2/requests.json?jurisdiction_id=musterstadt").json()
    assert str(case.number) not in {r["service_request_id"] for r in requests}


def test_the_asker_reads_the_answer_by_the_inquirys_id_and_others_get_404(client, tenant):
    response = inquire(client, {"question": "Darf ich grillen?", "email": "ada@example.org"})
    case = Case.objects.get(public_id=response.json()["id"])
    service.reply(case, "Ja, auf der Grillwiese im Stadtpark.", None)
    out = client.get(f"/api/v1/musterstadt/inquiries/{case.public_id}").json()
    assert out["answers"][0]["text"] == "Ja, auf der Grillwiese im Stadtpark."
    assert client.get("/api/v1/musterstadt/inquiries/not-an-id").status_code == 404
    report = service.create_case(
        tenant, {"category": "muell", "address": "Markt 1", "description": "Sperrmüll"}
    )
    assert client.get(f"/api/v1/musterstadt/inquiries/{report.public_id}").status_code == 404


def test_thumbs_feed_the_review_list_and_need_the_questions_id(client, tenant):
    asked = ask(client, "Wie viel Hundesteuer zahle ich für einen Hund?")
    url = f"/api/v1/musterstadt/ask/{asked['id']}/feedback"
    assert client.post(url, {"helpful": False}, content_type="application/json").status_code == 204
    question = Question.objects.get(public_id=asked["id"])
    assert question.helpful is False
    assert question.reviewed is False
    unknown = "/api/v1/musterstadt/ask/7d1f6a53-0000-4000-8000-000000000000/feedback"
    assert (
        client.post(unknown, {"helpful": True}, content_type="application/json").status_code == 404
    )
    other = f"/api/v1/otherstadt/ask/{asked['id']}/feedback"
    assert client.post(other, {"helpful": True}, content_type="application/json").status_code == 404


def test_an_entry_on_our_own_site_is_cited_with_its_whole_address(client, tenant, settings):
    from stadtbote.assistant.models import Entry

    entry = Entry.objects.create(
        tenant=tenant,
        url="/musterstadt/info/0",
        title="Grillen im Stadtpark",
        body="Grillen ist im Stadtpark nur auf der Grillwiese erlaubt.",
        language="de",
        origin="staff",
    )
    body = ask(client, "Darf ich im Stadtpark grillen?")
    assert body["sources"][0]["url"] == f"{settings.PUBLIC_URL}{entry.url}"


def test_an_inquiry_cannot_be_published_or_merged_and_its_answers_stay_out_of_open311(
    client, tenant
):
    from stadtbote.core.errors import InvalidInput

    response = inquire(client, {"question": "Darf ich grillen?", "email": "ada@example.org"})
    case = Case.objects.get(public_id=response.json()["id"])
    with pytest.raises(InvalidInput):
        service.moderate(case, "Grillen?", True, None)
    report = service.create_case(tenant, {"category": "muell", "address": "Markt 1"})
    with pytest.raises(InvalidInput):
        service.merge(report, case, None)
    with pytest.raises(InvalidInput):
        service.merge(case, report, None)
    Case.objects.filter(pk=case.pk).update(published=True)  # whatever happened in the database
    service.reply(case, "Sehr geehrte Frau Muster, ja.", None)
    updates = client.get(
        "/open311/v2/servicerequestupdates.json?jurisdiction_id=musterstadt"
    ).json()
    assert all("Muster" not in (u.get("description") or "") for u in updates)


def test_too_many_ratings_from_one_address_are_refused(client, tenant):
    from stadtbote.api.assistant import PER_ADDRESS

    asked = ask(client, "Wie viel Hundesteuer zahle ich für einen Hund?")
    url = f"/api/v1/musterstadt/ask/{asked['id']}/feedback"
    codes = [
        client.post(url, {"helpful": True}, content_type="application/json").status_code
        for _ in range(PER_ADDRESS + 1)
    ]
    assert codes[-1] == 429
