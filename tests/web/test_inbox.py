"""The inbox: what reached the subscriber plus current warnings for their places; read state."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from stadtbote.delivery.models import Delivery, InboxRead, Status
from stadtbote.messages import service as messages
from stadtbote.tenants.models import Municipality
from tests.conftest import push_channel
from tests.support.tasks import drain
from tests.web.support import publish, sign_up, text

pytestmark = pytest.mark.django_db


def test_the_inbox_without_a_subscription_invites_the_citizen_to_subscribe(client, tenant):
    response = client.get("/musterstadt/inbox", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "You have not subscribed on this device yet." in text(response)
    assert 'href="/musterstadt/start"' in text(response)
    assert 'id="inbox-list"' not in text(response)


@pytest.mark.django_db(transaction=True)
def test_the_inbox_lists_messages_sent_to_the_subscriber_and_current_warnings_for_their_places(
    client, api, tenant, staff_token, push_service
):
    subscription = push_channel(push_service, "phone")["subscription"]
    sign_up(
        client, topic=["kultur"], min_severity="severe", push_subscription=json.dumps(subscription)
    )

    def send(title: str, **body):
        response = api.post(
            "musterstadt/messages", {"title": {"de": title}, **body}, token=staff_token
        )
        assert response.status_code == 201, response.json()
        return response.json()["id"]

    sent = send("Konzert im Park", severity="info", topics=["kultur"], area={"areas": ["altstadt"]})
    send("Glätte in der Altstadt", severity="minor", area={"areas": ["altstadt"]})
    send("Wasserrohrbruch in Cappel", severity="moderate", area={"areas": ["cappel"]})
    send("Markt verlegt", severity="info", area={"areas": ["altstadt"]})
    drain()

    assert push_service.wait_for(1)
    assert Delivery.objects.filter(message_id=sent, status=Status.SENT).count() == 1
    page = text(client.get("/musterstadt/inbox"))
    assert "Konzert im Park" in page  # delivered
    assert "Glätte in der Altstadt" in page  # a current warning here, though below the threshold
    assert "Wasserrohrbruch in Cappel" not in page  # a warning elsewhere
    assert "Markt verlegt" not in page  # news that was not sent to this subscriber


def test_current_warnings_are_listed_as_unread_until_they_are_read(client, tenant):
    sign_up(client, district=["altstadt"])
    warning = publish(tenant, severity="moderate", area={"areas": ["altstadt"]})
    page = text(client.get("/musterstadt/inbox", HTTP_ACCEPT_LANGUAGE="en"))
    assert f'data-id="{warning.id}"' in page
    assert "1 unread message" in page
    assert 'action="/musterstadt/inbox/read"' in page

    response = client.post(
        "/musterstadt/inbox/read", {"id": str(warning.id)}, HTTP_ACCEPT="application/json"
    )
    assert response.json() == {"ok": True}
    assert InboxRead.objects.filter(message=warning).count() == 1
    page = text(client.get("/musterstadt/inbox", HTTP_ACCEPT_LANGUAGE="en"))
    assert "0 unread messages" in page
    assert 'action="/musterstadt/inbox/read"' not in page


def test_mark_all_read_from_the_form_goes_back_to_the_inbox(client, tenant):
    sub = sign_up(client)
    first = publish(tenant, severity="minor", area={"areas": ["altstadt"]})
    second = publish(tenant, severity="severe")
    response = client.post("/musterstadt/inbox/read", {"id": [str(first.id), str(second.id)]})
    assert response.status_code == 302
    assert response["Location"] == "/musterstadt/inbox"
    assert set(InboxRead.objects.filter(subscriber=sub).values_list("message_id", flat=True)) == {
        first.id,
        second.id,
    }


def test_ids_of_another_towns_messages_are_ignored(client, tenant):
    sub = sign_up(client)
    other = Municipality.objects.create(
        slug="nachbarort", name="Nachbarort", center_lat=51.7, center_lon=8.5
    )
    foreign = messages.create(other, {"title": {"de": "Fremd"}, "severity": "extreme"}, key=None)
    response = client.post(
        "/musterstadt/inbox/read", {"id": str(foreign.id)}, HTTP_ACCEPT="application/json"
    )
    assert response.json() == {"ok": True}
    assert not InboxRead.objects.filter(subscriber=sub).exists()


def test_a_subscription_in_one_town_is_not_one_in_another(client, tenant):
    sign_up(client)
    Municipality.objects.create(
        slug="nachbarort", name="Nachbarort", center_lat=51.7, center_lon=8.5
    )
    page = text(client.get("/nachbarort/inbox", HTTP_ACCEPT_LANGUAGE="en"))
    assert "You have not subscribed on this device yet." in page
    assert client.get("/nachbarort/settings")["Location"] == "/nachbarort/start"


def test_marking_read_without_a_subscription_changes_nothing(tenant):
    message = publish(tenant, severity="minor")
    response = Client().post(
        "/musterstadt/inbox/read", {"id": str(message.id)}, HTTP_ACCEPT="application/json"
    )
    assert response.json() == {"ok": False}
    assert not InboxRead.objects.exists()


def test_marking_read_needs_a_post(client, tenant):
    sign_up(client)
    assert client.get("/musterstadt/inbox/read").status_code == 405


def test_an_id_that_is_not_a_uuid_is_ignored(client, tenant):
    sign_up(client)
    response = client.post("/musterstadt/inbox/read", {"id": "not-a-uuid"})
    assert response.status_code == 302


def test_a_paused_subscriber_is_told_so_in_the_inbox(client, tenant):
    sign_up(client)
    client.post("/musterstadt/settings/pause", {"paused": "1"})
    page = text(client.get("/musterstadt/inbox", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Your subscription is paused" in page


def test_the_inbox_is_private_and_not_cached(client, tenant):
    sign_up(client)
    response = client.get("/musterstadt/inbox")
    assert "private" in response["Cache-Control"]
    assert "no-cache" in response["Cache-Control"]
