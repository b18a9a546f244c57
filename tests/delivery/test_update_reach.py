"""An update (CAP msgType Update) reaches the people the first message reached as an update of
it, not as a new alarm, even if its area no longer covers them; people only in the new area
get it as a new message."""

from __future__ import annotations

import pytest

from stadtbote.delivery.models import Delivery
from tests.conftest import ALTSTADT, CAPPEL, point_place, push_channel
from tests.support.tasks import drain

pytestmark = pytest.mark.django_db(transaction=True)


def subscribe(api, push_service, name, where):
    body = {
        "places": [point_place(where)],
        "topics": ["strassensperrungen"],
        "channels": [push_channel(push_service, name)],
    }
    assert api.post("musterstadt/subscribers", body).status_code == 201


def publish(api, staff_token, **extra):
    body = {
        "title": {"de": "Sperrung Lange Straße"},
        "body": {"de": "Bis Freitag."},
        "severity": "moderate",
        "topics": ["strassensperrungen"],
        **extra,
    }
    response = api.post("musterstadt/messages", body, token=staff_token)
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def test_an_update_replaces_the_first_notification_and_reaches_new_people_as_new(
    api, tenant, staff_token, push_service
):
    subscribe(api, push_service, "anna", ALTSTADT)
    subscribe(api, push_service, "bert", CAPPEL)
    first = publish(api, staff_token, area={"areas": ["altstadt"]})
    drain()
    assert push_service.wait_for(1)
    [original] = push_service.received_for("anna")
    update = publish(
        api,
        staff_token,
        area={"areas": ["cappel"]},
        replaces=first,
        title={"de": "Sperrung verlegt nach Cappel"},
    )
    drain()
    assert push_service.wait_for(3)
    anna = push_service.received_for("anna")[-1]
    [bert] = push_service.received_for("bert")
    assert (anna.payload["kind"], anna.payload["replaces"], anna.payload["id"]) == (
        "update",
        first,
        update,
    )
    assert anna.payload["title"] == "Aktualisierung: Sperrung verlegt nach Cappel"
    # The same Web Push Topic: an undelivered first notice is replaced at the push service.
    assert anna.topic == original.topic
    assert (bert.payload["kind"], bert.payload.get("replaces")) == ("message", None)
    assert Delivery.objects.filter(message_id=update).count() == 2


def test_someone_in_both_areas_gets_the_update_once(api, tenant, staff_token, push_service):
    subscribe(api, push_service, "carla", ALTSTADT)
    first = publish(api, staff_token, area={"areas": ["altstadt"]})
    drain()
    update = publish(api, staff_token, area={"areas": ["altstadt"]}, replaces=first)
    drain()
    assert push_service.wait_for(2)
    assert [r.payload["kind"] for r in push_service.received_for("carla")] == ["message", "update"]
    assert Delivery.objects.filter(message_id=update).count() == 1
