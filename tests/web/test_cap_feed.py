"""/cap/{tenant}/alerts/{id}.xml and /cap/{tenant}/feed.atom: what CAP aggregators poll."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from lxml import etree

from stadtbote.cap import reader, writer
from stadtbote.delivery import dispatch
from stadtbote.messages import service
from stadtbote.messages.models import Message
from stadtbote.tenants.models import Municipality

pytestmark = pytest.mark.django_db

NS = {"a": writer.ATOM_NS, "c": writer.CAP_NS}
# The CAP schema's dateTime pattern, also used for the feed's times.
SENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d")
SAFE = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)


def publish(tenant: Municipality, title: str = "Straßensperrung", **changes: Any) -> Message:
    data = {
        "title": {"de": title, "en": "Road closed"},
        "body": {"de": "Die Lange Straße ist gesperrt. " * 30},
        "severity": "severe",
        **changes,
    }
    message = service.create(tenant, data, None)
    dispatch.submit(message)
    return message


def published_ago(message: Message, **ago: float) -> Message:
    Message.objects.filter(pk=message.pk).update(published_at=timezone.now() - timedelta(**ago))
    message.refresh_from_db()
    return message


def alert_url(message: Message) -> str:
    return f"/cap/{message.tenant.slug}/alerts/{message.id}.xml"


def test_an_alert_is_served_as_cap_with_caching_headers(client, tenant):
    message = publish(tenant)
    response = client.get(alert_url(message))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/cap+xml; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=60"
    assert response["ETag"].startswith('"')
    alert = reader.read(response.content)
    assert alert.msg_type == "Alert"
    assert alert.identifier.endswith(f"musterstadt.{message.id}")


def test_the_etag_answers_304_until_the_message_is_withdrawn(client, tenant):
    message = publish(tenant)
    etag = client.get(alert_url(message))["ETag"]
    again = client.get(alert_url(message), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert again["Cache-Control"] == "public, max-age=60"
    # A proxy may weaken it; If-None-Match compares weakly.
    assert client.get(alert_url(message), HTTP_IF_NONE_MATCH=f'"x", W/{etag}').status_code == 304
    dispatch.cancel(message)
    changed = client.get(alert_url(message), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    cancel = reader.read(changed.content)
    assert cancel.msg_type == "Cancel"
    assert cancel.identifier.endswith(f"{message.id}.cancel")
    assert [r.identifier for r in cancel.references] == [
        writer.identifier(message, base_url=settings.PUBLIC_URL)
    ]


def test_an_update_is_served_with_its_references(client, tenant):
    first = publish(tenant)
    update = publish(tenant, replaces=str(first.id), severity="moderate")
    alert = reader.read(client.get(alert_url(update)).content)
    assert alert.msg_type == "Update"
    assert [r.identifier for r in alert.references] == [
        writer.identifier(first, base_url=settings.PUBLIC_URL)
    ]


@pytest.mark.parametrize("changes", [{"hold": True}, {"send_at": "2099-01-01T08:00:00+01:00"}])
def test_drafts_and_scheduled_messages_are_not_found(client, tenant, changes):
    message = publish(tenant, **changes)
    assert client.get(alert_url(message)).status_code == 404
    dispatch.cancel(message)  # withdrawn before it was published: still nothing to show
    assert client.get(alert_url(message)).status_code == 404
    feed = etree.fromstring(client.get("/cap/musterstadt/feed.atom").content, SAFE)
    assert feed.findall("a:entry", NS) == []


def test_unknown_towns_and_messages_and_another_towns_message_are_not_found(client, tenant):
    other = Municipality.objects.create(
        slug="anders", name="Anders", center_lat=51.67, center_lon=8.34, languages=["de", "en"]
    )
    theirs = publish(other, title="Bei uns", area=None)
    mine = publish(tenant)
    assert client.get(alert_url(theirs)).status_code == 200
    assert client.get(f"/cap/musterstadt/alerts/{theirs.id}.xml").status_code == 404
    assert client.get(f"/cap/nirgendwo/alerts/{mine.id}.xml").status_code == 404
    assert client.get(f"/cap/musterstadt/alerts/{uuid.uuid4()}.xml").status_code == 404
    assert client.get("/cap/nirgendwo/feed.atom").status_code == 404
    feed = etree.fromstring(client.get("/cap/musterstadt/feed.atom").content, SAFE)
    assert [e.findtext("a:title", namespaces=NS) for e in feed.iterfind("a:entry", NS)] == [
        "Straßensperrung"
    ]


def test_only_reading_is_allowed(client, tenant):
    message = publish(tenant)
    assert client.post(alert_url(message)).status_code == 405
    assert client.head(alert_url(message)).status_code == 200


def test_the_feed_lists_the_last_30_days_newest_change_first_with_cap_links(client, tenant):
    published_ago(publish(tenant, title="Uralt"), days=31)
    first = published_ago(publish(tenant, title="Erste", severity="minor"), hours=3)
    second = published_ago(publish(tenant, title="Zweite"), hours=2)
    withdrawn = published_ago(publish(tenant, title="Abgesagt", severity="info"), hours=4)
    dispatch.cancel(withdrawn)  # its latest change is now: it comes first
    response = client.get("/cap/musterstadt/feed.atom")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=60"
    feed = etree.fromstring(response.content, SAFE)
    assert feed.tag == f"{{{writer.ATOM_NS}}}feed"
    assert (
        feed.findtext("a:id", namespaces=NS) == f"{settings.PUBLIC_URL}/cap/musterstadt/feed.atom"
    )
    assert feed.findtext("a:title", namespaces=NS), "a feed needs a title"
    assert feed.find("a:link[@rel='self']", NS).get("href").endswith("/cap/musterstadt/feed.atom")
    entries = feed.findall("a:entry", NS)
    titles = [e.findtext("a:title", namespaces=NS) for e in entries]
    assert len(titles) == 3
    assert "Abgesagt" in titles[0]
    assert titles[1:] == ["Zweite", "Erste"]
    assert "Uralt" not in titles
    updated = [e.findtext("a:updated", namespaces=NS) for e in entries]
    assert feed.findtext("a:updated", namespaces=NS) == updated[0]
    assert all(SENT.fullmatch(u or "") for u in updated)
    # Each entry: a stable IRI, its CAP document, its page, its severity, a short summary.
    for entry, message, severity in zip(
        entries, (withdrawn, second, first), ("Unknown", "Severe", "Minor"), strict=True
    ):
        assert entry.findtext("a:id", namespaces=NS) == (
            f"tag:{writer.host(settings.PUBLIC_URL)},2026:musterstadt/{message.id}"
        )
        cap = entry.find("a:link[@rel='alternate']", NS)
        assert cap.get("type") == "application/cap+xml"
        assert cap.get("href") == f"{settings.PUBLIC_URL}{alert_url(message)}"
        page = entry.find("a:link[@rel='related']", NS)
        assert page.get("type") == "text/html"
        assert page.get("href") == f"{settings.PUBLIC_URL}/musterstadt/messages/{message.id}"
        assert entry.find("a:category", NS).get("term") == severity
        assert len(entry.findtext("a:summary", namespaces=NS) or "") <= writer.SUMMARY_CHARS
        served = client.get(alert_url(message))
        assert served.status_code == 200
        kind = "Cancel" if message is withdrawn else "Alert"
        assert reader.read(served.content).msg_type == kind


def test_the_feed_answers_304_until_something_is_published(client, tenant):
    publish(tenant)
    etag = client.get("/cap/musterstadt/feed.atom")["ETag"]
    again = client.get("/cap/musterstadt/feed.atom", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again["ETag"] == etag
    publish(tenant, title="Neu")
    assert client.get("/cap/musterstadt/feed.atom", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_an_empty_feed_is_still_valid_atom(client, tenant):
    feed = etree.fromstring(client.get("/cap/musterstadt/feed.atom").content, SAFE)
    assert feed.findtext("a:updated", namespaces=NS)
    assert feed.findtext("a:author/a:name", namespaces=NS) == tenant.name


def test_the_town_page_announces_the_feed(client, tenant):
    html = client.get("/musterstadt/").content.decode()
    head = html.split("</head>", 1)[0]
    assert (
        '<link rel="alternate" type="application/atom+xml" href="/cap/musterstadt/feed.atom"'
        in head
    )
