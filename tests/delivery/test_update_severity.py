"""An update's push payload carries the severity of the message it replaces, so that the service
worker can tell a raised warning (which must alert) from a quiet correction."""

from __future__ import annotations

import pytest

from tests.conftest import ALTSTADT, CAPPEL, point_place, push_channel
from tests.support.tasks import drain

pytestmark = pytest.mark.django_db(transaction=True)


def subscribe(api, push_service, name, where=ALTSTADT):
    body = {
        "places": [point_place(where)],
        "topics": ["strassensperrungen"],
        "channels": [push_channel(push_service, name)],
    }
    assert api.post("musterstadt/subscribers", body).status_code == 201


def publish(api, staff_token, severity, **extra):
    body = {
        "title": {"de": "Hochwasser an der Lippe"},
        "body": {"de": "Pegel steigt."},
        "severity": severity,
        "topics": ["strassensperrungen"],
        "area": {"areas": ["altstadt"]},
        **extra,
    }
    response = api.post("musterstadt/messages", body, token=staff_token)
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def payloads(push_service, name, count):
    assert push_service.wait_for(count)
    return [r.payload for r in push_service.received_for(name)]


def test_an_update_that_raises_the_severity_names_the_severity_it_raises_from(
    api, tenant, staff_token, push_service
):
    subscribe(api, push_service, "anna")
    first = publish(api, staff_token, "moderate")
    drain()
    publish(api, staff_token, "severe", replaces=first)
    drain()
    original, update = payloads(push_service, "anna", 2)
    assert "previous_severity" not in original
    assert (update["kind"], update["replaces"]) == ("update", first)
    assert (update["previous_severity"], update["severity"]) == ("moderate", "severe")


def test_an_update_that_lowers_the_severity_names_the_higher_one_it_replaces(
    api, tenant, staff_token, push_service
):
    subscribe(api, push_service, "bert")
    first = publish(api, staff_token, "severe")
    drain()
    publish(api, staff_token, "moderate", replaces=first, body={"de": "Pegel sinkt."})
    drain()
    _, update = payloads(push_service, "bert", 2)
    assert (update["kind"], update["previous_severity"], update["severity"]) == (
        "update",
        "severe",
        "moderate",
    )


def test_someone_who_gets_the_update_as_a_new_message_gets_no_previous_severity(
    api, tenant, staff_token, push_service
):
    subscribe(api, push_service, "carla", ALTSTADT)
    subscribe(api, push_service, "dora", CAPPEL)
    first = publish(api, staff_token, "moderate")
    drain()
    publish(api, staff_token, "severe", replaces=first, area={"areas": ["altstadt", "cappel"]})
    drain()
    [dora] = payloads(push_service, "dora", 3)
    assert dora["kind"] == "message"
    assert "previous_severity" not in dora
    assert "replaces" not in dora
