"""Following a report through the API: a subscriber with their token at once, anyone else by
e-mail after a confirmation link; errors name the field."""

from __future__ import annotations

import pytest

from stadtbote.reports import service
from stadtbote.reports.models import Follower
from stadtbote.subscribers import service as subscribers
from tests.conftest import ALTSTADT, point_place
from tests.support.tasks import drain


@pytest.fixture
def case(tenant):
    return service.create_case(
        tenant, {"category": "muell", "lat": ALTSTADT[0], "lon": ALTSTADT[1]}
    )


def test_a_subscriber_follows_with_their_token(api, tenant, case):
    sub, token = subscribers.create(tenant, {"places": [point_place(ALTSTADT)]})
    response = api.post(f"musterstadt/reports/{case.public_id}/followers", {}, token=token)
    assert (response.status_code, response.json()) == (201, {"following": True, "new": True})
    again = api.post(f"musterstadt/reports/{case.public_id}/followers", {}, token=token)
    assert again.json()["new"] is False
    assert Follower.objects.filter(case=case, subscriber=sub).count() == 1


def test_a_token_that_is_no_subscriber_is_refused(api, tenant, case):
    response = api.post(f"musterstadt/reports/{case.public_id}/followers", {}, token="nonsense")
    assert response.status_code == 401


@pytest.mark.django_db(transaction=True)
def test_an_e_mail_follower_gets_a_confirmation_link_first(api, tenant, case, smtp):
    response = api.post(
        f"musterstadt/reports/{case.public_id}/followers", {"email": "bo@example.org"}
    )
    assert response.status_code == 202
    drain()
    assert [m.rcpt_tos for m in smtp.received] == [["bo@example.org"]]
    assert not Follower.objects.filter(email="bo@example.org").exists()


def test_a_malformed_e_mail_is_named_in_the_error(api, tenant, case):
    response = api.post(f"musterstadt/reports/{case.public_id}/followers", {"email": "nope"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("email:")


def test_an_unknown_report_is_not_found(api, tenant):
    response = api.post(
        "musterstadt/reports/00000000-0000-4000-8000-000000000000/followers", {"email": "a@b.de"}
    )
    assert response.status_code == 404
