"""POST /api/v1/{tenant}/cap: a county's warning system pushes CAP 1.2; the town relays it by
its rule, once, and bad documents get a 4xx that names what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from stadtbote.cap.models import ReceivedAlert, SourceKind, WarningSource
from stadtbote.messages.models import Message, MessageStatus
from stadtbote.tenants import keys
from tests.conftest import ALTSTADT, point_place, push_channel
from tests.support.tasks import drain

DATA = Path(__file__).resolve().parent.parent / "cap" / "data"
CAP = "application/cap+xml"

FIRE = b"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>DE-NW-SO-W001-20311127-000</identifier>
  <sender>leitstelle@kreis-soest.example</sender>
  <sent>2031-11-27T07:00:00+01:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>de-DE</language>
    <category>Fire</category>
    <event>Gefahreninformation</event>
    <urgency>Immediate</urgency>
    <severity>Severe</severity>
    <certainty>Observed</certainty>
    <expires>2031-11-27T19:00:00+01:00</expires>
    <senderName>Kreis Soest</senderName>
    <headline>Gro\xc3\x9fbrand in Lippstadt: Rauchentwicklung</headline>
    <description>In der Altstadt brennt eine Lagerhalle.</description>
    <instruction>Fenster und T\xc3\xbcren schlie\xc3\x9fen.</instruction>
    <area>
      <areaDesc>Lippstadt Altstadt</areaDesc>
      <polygon>51.66,8.33 51.66,8.36 51.68,8.36 51.68,8.33 51.66,8.33</polygon>
    </area>
  </info>
</alert>
"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol2;</identifier></alert>
"""


@pytest.fixture
def county(tenant) -> str:
    _, secret = keys.issue(tenant, "publisher", "Kreisleitstelle")
    return secret


def push(client, secret: str, body: bytes, content_type: str = CAP, tenant: str = "musterstadt"):
    return client.post(
        f"/api/v1/{tenant}/cap",
        body,
        content_type=content_type,
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )


def test_a_pushed_warning_over_the_town_is_relayed_with_its_instructions(client, county):
    response = push(client, county, FIRE)
    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "relayed"
    message = Message.objects.get(pk=response.json()["message_id"])
    assert message.source_name == "Kreis Soest"
    assert message.instruction == {"de": "Fenster und Türen schließen."}
    again = push(client, county, FIRE)
    assert again.json()["duplicate"] is True
    assert Message.objects.count() == 1


def test_hostile_xml_gets_422_naming_the_body(client, county):
    response = push(client, county, LAUGHS)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_cap"
    assert response.json()["detail"].startswith("body: ")
    assert not ReceivedAlert.objects.exists()


def test_a_document_that_breaks_the_schema_gets_422(client, county):
    response = push(client, county, FIRE.replace(b"<severity>Severe", b"<severity>Heavy"))
    assert response.status_code == 422
    assert "severity" in response.json()["detail"]


def test_json_instead_of_cap_gets_415_and_a_huge_body_413(client, county):
    assert push(client, county, b"{}", content_type="application/json").status_code == 415
    huge = b"<alert>" + b" " * (5 * 1024 * 1024) + b"</alert>"
    assert push(client, county, huge).status_code == 413


@pytest.mark.parametrize("role", ["app", "viewer", "caseworker"])
def test_keys_without_the_right_cannot_push(client, tenant, role):
    _, secret = keys.issue(tenant, role, role)
    assert push(client, secret, FIRE).status_code == 403


def test_a_key_of_another_town_cannot_push_here(client, county):
    from stadtbote.tenants.models import Municipality

    Municipality.objects.create(slug="anders", name="Anders", center_lat=50, center_lon=8)
    assert push(client, county, FIRE, tenant="anders").status_code == 404


def dwd(name: str) -> bytes:
    """A real DWD warning of 2019, moved to 2031 so that it has not expired."""
    return (DATA / "dwd" / name).read_bytes().replace(b"2019-", b"2031-")


@pytest.mark.django_db(transaction=True)
def test_a_real_dwd_warning_and_its_three_updates_reach_a_citizen_as_one_alarm_and_updates(
    client, tenant, api, push_service
):
    body = {
        "places": [point_place(ALTSTADT)],
        "channels": [push_channel(push_service, "ada")],
        "min_severity": "minor",  # DWD's frost warnings are level 1 (minor)
    }
    assert api.post("musterstadt/subscribers", body).status_code == 201
    _, secret = keys.issue(tenant, "publisher", "Kreisleitstelle")
    # The town's push source sends even DWD's level 1 at once and places its warn cell.
    WarningSource.objects.filter(tenant=tenant, kind=SourceKind.PUSH).update(
        codes=["805974028"], auto_from="minor", ignore_below=""
    )
    outcomes = []
    for name in ("alert_1.xml", "alert_1_update_1.xml", "alert_1_update_2.xml",
                 "alert_1_update_3.xml"):  # fmt: skip
        response = push(client, secret, dwd(name))
        assert response.status_code == 200, response.content
        outcomes.append(response.json()["outcome"])
        drain()
    assert outcomes == ["relayed"] * 4
    chain = list(Message.objects.order_by("created_at"))
    assert [m.replaces_id for m in chain[1:]] == [m.pk for m in chain[:-1]]
    payloads = [r.payload for r in push_service.received]
    assert [p["kind"] for p in payloads] == ["message", "update", "update", "update"]
    assert all("Amtliche WARNUNG vor GLÄTTE" in p["title"] for p in payloads), payloads
    assert chain[-1].status == MessageStatus.PUBLISHED


def test_a_town_that_switched_its_push_source_off_takes_no_pushed_warnings(client, tenant, county):
    WarningSource.objects.filter(tenant=tenant, kind=SourceKind.PUSH).update(enabled=False)
    response = push(client, county, FIRE)
    assert (response.status_code, response.json()["code"]) == (409, "no_push_source")
    assert not ReceivedAlert.objects.exists()


def test_a_garbled_content_length_gets_400_naming_it(client, county):
    response = client.post(
        "/api/v1/musterstadt/cap",
        FIRE,
        content_type=CAP,
        HTTP_AUTHORIZATION=f"Bearer {county}",
        CONTENT_LENGTH="many",
    )
    assert response.status_code in (400, 422)
    assert "Content-Length" in response.json()["detail"]
