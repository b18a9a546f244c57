"""/{tenant}/feed.atom|rss and /{tenant}/topics/<topic>/feed.atom|rss: the town's news feeds."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from django.utils.http import http_date
from lxml import etree

from stadtbote.delivery import dispatch
from stadtbote.messages.models import Message
from stadtbote.tenants.models import Municipality
from tests.web import atom_rules
from tests.web.support import publish

pytestmark = pytest.mark.django_db

ATOM = "http://www.w3.org/2005/Atom"
NS = {"a": ATOM, "dc": "http://purl.org/dc/elements/1.1/"}
SAFE = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)
ATOM_TYPE = "application/atom+xml; charset=utf-8"
RSS_TYPE = "application/rss+xml; charset=utf-8"


def closure(tenant: Municipality, title: str = "Vollsperrung Lange Straße", **body: Any) -> Message:
    data = {
        "title": {"de": title, "en": "Lange Straße closed"},
        "body": {"de": "Bis Freitag gesperrt.", "en": "Closed until Friday."},
        "severity": "moderate",
        "topics": ["strassensperrungen"],
        **body,
    }
    return publish(tenant, **data)


def published_ago(message: Message, **ago: float) -> Message:
    Message.objects.filter(pk=message.pk).update(published_at=timezone.now() - timedelta(**ago))
    message.refresh_from_db()
    return message


def atom(client, path: str = "/musterstadt/feed.atom", **headers: str) -> Any:
    response = client.get(path, **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == ATOM_TYPE
    return etree.fromstring(response.content, SAFE)


def rss(client, path: str = "/musterstadt/feed.rss") -> Any:
    response = client.get(path)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == RSS_TYPE
    return etree.fromstring(response.content, SAFE)


def titles(feed: Any) -> list[str]:
    return [e.findtext("a:title", namespaces=NS) for e in feed.iterfind("a:entry", NS)]


def test_the_atom_feed_has_what_rfc_4287_requires_of_a_feed_and_its_entries(client, tenant):
    message = closure(tenant)
    feed = atom(client)
    assert feed.tag == f"{{{ATOM}}}feed"
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "de"
    for name in ("id", "title", "updated"):
        assert len(feed.findall(f"a:{name}", NS)) == 1, name
    assert feed.find("a:link[@rel='self']", NS).get("href") == (
        f"{settings.PUBLIC_URL}/musterstadt/feed.atom?lang=de"
    )
    assert feed.findtext("a:author/a:name", namespaces=NS) == tenant.name
    [entry] = feed.findall("a:entry", NS)
    for name in ("id", "title", "updated", "published", "content", "summary"):
        assert len(entry.findall(f"a:{name}", NS)) == 1, name
    assert entry.findtext("a:id", namespaces=NS) == (
        f"tag:127.0.0.1,2026:musterstadt/messages/{message.id}"
    )
    assert entry.findtext("a:title", namespaces=NS) == "Warnung: Vollsperrung Lange Straße"
    assert entry.find("a:content", NS).get("type") == "text"
    assert entry.findtext("a:content", namespaces=NS) == "Bis Freitag gesperrt."
    assert entry.find("a:link[@rel='alternate']", NS).get("href") == (
        f"{settings.PUBLIC_URL}/musterstadt/messages/{message.id}"
    )
    assert entry.findtext("a:author/a:name", namespaces=NS) == tenant.name
    [category] = entry.findall("a:category", NS)
    assert (category.get("term"), category.get("label")) == (
        "strassensperrungen",
        "Straßensperrungen",
    )
    # RFC 3339 with the town's offset, whole seconds.
    assert entry.findtext("a:updated", namespaces=NS) == (
        message.published_at.astimezone(timezone.get_default_timezone())
        .replace(microsecond=0)
        .isoformat()
    )


@pytest.mark.parametrize(
    "path",
    [
        "/musterstadt/feed.atom",
        "/musterstadt/feed.atom?lang=en",
        "/musterstadt/topics/strassensperrungen/feed.atom",
        "/musterstadt/topics/kultur/feed.atom",
    ],
)
def test_every_atom_feed_keeps_the_rules_of_rfc_4287(client, tenant, path):
    first = published_ago(closure(tenant, "Sperrung bis Freitag"), days=1)
    closure(tenant, "Sperrung bis Montag", replaces=str(first.id))
    dispatch.cancel(closure(tenant, "Zurückgezogen"))
    publish(tenant, title={"de": "Nur deutsch"}, body={"de": "Text"}, topics=["kita", "kultur"])
    assert atom_rules.violations(atom(client, path)) == []


def test_the_rfc_4287_check_finds_a_broken_feed():
    broken = etree.fromstring(
        f'<feed xmlns="{ATOM}"><id>feed</id><title>t</title>'
        '<entry><title type="x">e</title><updated>2026-11-27 09:00</updated>'
        '<link rel="alternate" href="a"/><link href="b"/></entry></feed>'
    )
    assert atom_rules.violations(broken) == [
        "feed: 0 atom:updated, exactly one required (4.1)",
        "feed: atom:id 'feed' is not an absolute IRI (4.2.6)",
        "entry 1: 0 atom:id, exactly one required (4.1)",
        "entry 1: atom:title has type 'x' (3.1.1)",
        "entry 1: atom:updated '2026-11-27 09:00' is not RFC 3339 (3.3)",
        "entry 1: 2 alternate links with type None and hreflang None (4.1.1)",
        "entry 1: no atom:author in the entry or the feed (4.1.1)",
        "entry 1: neither content nor summary (4.1.2)",
    ]


def test_entries_are_newest_first_and_the_feed_is_updated_with_the_newest(client, tenant):
    published_ago(closure(tenant, "Alt"), days=3)
    published_ago(closure(tenant, "Neu"), hours=1)
    published_ago(closure(tenant, "Mittel"), days=1)
    feed = atom(client)
    assert titles(feed) == ["Warnung: Neu", "Warnung: Mittel", "Warnung: Alt"]
    assert feed.findtext("a:updated", namespaces=NS) == feed.findtext(
        "a:entry/a:updated", namespaces=NS
    )


def test_only_the_last_90_days_and_at_most_50_entries_are_listed(client, tenant):
    published_ago(closure(tenant, "Vor 91 Tagen"), days=91)
    published_ago(closure(tenant, "Vor 89 Tagen"), days=89)
    assert titles(atom(client)) == ["Warnung: Vor 89 Tagen"]
    for n in range(50):
        closure(tenant, f"Meldung {n}")
    assert len(titles(atom(client))) == 50


def test_drafts_scheduled_and_unpublished_withdrawn_messages_are_left_out(client, tenant):
    closure(tenant, "Entwurf", hold=True)
    closure(tenant, "Geplant", send_at="2099-01-01T08:00:00+01:00")
    never = closure(tenant, "Nie veröffentlicht", hold=True)
    dispatch.cancel(never)
    closure(tenant, "Öffentlich")
    assert titles(atom(client)) == ["Warnung: Öffentlich"]
    assert [i.findtext("title") for i in rss(client).iter("item")] == ["Warnung: Öffentlich"]


def test_a_withdrawn_message_is_marked_and_moves_up_with_its_withdrawal_time(client, tenant):
    old = published_ago(closure(tenant, "Sperrung Marktplatz"), days=2)
    closure(tenant, "Andere Meldung")
    dispatch.cancel(old)
    old.refresh_from_db()
    feed = atom(client)
    assert titles(feed) == [
        "Zurückgezogen: Warnung: Sperrung Marktplatz",
        "Warnung: Andere Meldung",
    ]
    entry = feed.find("a:entry", NS)
    assert entry.findtext("a:updated", namespaces=NS) == (
        old.cancelled_at.astimezone(timezone.get_default_timezone())
        .replace(microsecond=0)
        .isoformat()
    )
    assert entry.findtext("a:published", namespaces=NS) < entry.findtext("a:updated", namespaces=NS)
    assert entry.findtext("a:content", namespaces=NS).startswith("Zurückgezogen (seit ")
    assert "Diese Mitteilung gilt nicht mehr" in entry.findtext("a:content", namespaces=NS)


def test_an_update_is_its_own_entry_linking_to_the_message_it_replaces(client, tenant):
    first = published_ago(closure(tenant, "Sperrung bis Freitag"), hours=2)
    update = closure(tenant, "Sperrung bis Montag", replaces=str(first.id))
    feed = atom(client)
    assert titles(feed) == ["Warnung: Sperrung bis Montag", "Warnung: Sperrung bis Freitag"]
    entry = feed.find("a:entry", NS)
    assert entry.findtext("a:id", namespaces=NS).endswith(str(update.id))
    related = entry.find("a:link[@rel='related']", NS)
    assert related.get("href") == f"{settings.PUBLIC_URL}/musterstadt/messages/{first.id}"
    assert related.get("title") == "Sperrung bis Freitag"
    item = next(rss(client).iter("item"))
    assert f"/musterstadt/messages/{first.id}" in item.findtext("description")


def test_the_language_is_chosen_with_lang_and_defaults_to_the_towns(client, tenant):
    closure(tenant)
    publish(tenant, title={"de": "Nur deutsch"}, severity="moderate")
    english = atom(client, "/musterstadt/feed.atom?lang=en", HTTP_ACCEPT_LANGUAGE="de")
    assert english.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert titles(english) == ["Warnung: Nur deutsch", "Warning: Lange Straße closed"]
    # A message without English keeps its German text, says so, and is German throughout.
    only_german = english.find("a:entry", NS)
    assert only_german.get("{http://www.w3.org/XML/1998/namespace}lang") == "de"
    assert only_german.find("a:category", NS) is None
    assert english.findall("a:entry", NS)[1].find("a:category", NS).get("label") == (
        "Road closures"
    )
    german = atom(client, "/musterstadt/feed.atom", HTTP_ACCEPT_LANGUAGE="en")
    assert titles(german) == ["Warnung: Nur deutsch", "Warnung: Vollsperrung Lange Straße"]
    assert titles(atom(client, "/musterstadt/feed.atom?lang=xx")) == titles(german)
    assert client.get("/musterstadt/feed.atom?lang=en")["Content-Language"] == "en"


def test_a_topic_feed_lists_only_that_topics_messages(client, tenant):
    closure(tenant, "Sperrung")
    publish(tenant, title={"de": "Kita-Fest"}, topics=["kita"])
    publish(tenant, title={"de": "Ohne Thema"})
    feed = atom(client, "/musterstadt/topics/kita/feed.atom?lang=en")
    assert titles(feed) == ["Information: Kita-Fest"]
    assert feed.findtext("a:title", namespaces=NS) == f"{tenant.name}: messages on Day-care news"
    channel = rss(client, "/musterstadt/topics/strassensperrungen/feed.rss?lang=en").find("channel")
    assert [i.findtext("title") for i in channel.iter("item")] == ["Warning: Lange Straße closed"]
    assert channel.find("atom:link", {"atom": ATOM}).get("href") == (
        f"{settings.PUBLIC_URL}/musterstadt/topics/strassensperrungen/feed.rss?lang=en"
    )


def test_the_rss_feed_has_a_channel_and_items_with_guid_dates_categories_and_author(client, tenant):
    message = closure(tenant)
    root = rss(client)
    assert root.tag == "rss"
    assert root.get("version") == "2.0"
    channel = root.find("channel")
    for name in ("title", "link", "description", "language", "lastBuildDate"):
        assert channel.findtext(name), name
    assert channel.findtext("link") == f"{settings.PUBLIC_URL}/musterstadt/"
    [item] = channel.findall("item")
    guid = item.find("guid")
    assert guid.get("isPermaLink") == "false"
    assert guid.text == f"tag:127.0.0.1,2026:musterstadt/messages/{message.id}"
    assert item.findtext("link") == f"{settings.PUBLIC_URL}/musterstadt/messages/{message.id}"
    assert parsedate_to_datetime(item.findtext("pubDate")) == message.published_at.replace(
        microsecond=0
    )
    assert item.findtext("category") == "Straßensperrungen"
    assert item.findtext("dc:creator", namespaces=NS) == tenant.name
    assert item.findtext("description") == "<p>Bis Freitag gesperrt.</p>"


def test_script_in_a_title_or_body_stays_text(client, tenant):
    closure(tenant, "<script>alert(1)</script> & mehr", body={"de": "<b>fett</b>"})
    raw = client.get("/musterstadt/feed.atom").content.decode()
    assert "<script>" not in raw
    assert "<b>" not in raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; mehr" in raw
    assert titles(atom(client)) == ["Warnung: <script>alert(1)</script> & mehr"]
    item = next(rss(client).iter("item"))
    assert item.findtext("title") == "Warnung: <script>alert(1)</script> & mehr"
    # RSS readers render the description as HTML: once parsed it is still escaped.
    assert item.findtext("description") == "<p>&lt;b&gt;fett&lt;/b&gt;</p>"


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_feeds_answer_304_to_their_etag_and_last_modified_until_something_changes(
    client, tenant, fmt
):
    message = published_ago(closure(tenant), hours=1)
    path = f"/musterstadt/feed.{fmt}"
    first = client.get(path)
    assert first["Cache-Control"] == "public, max-age=60"
    etag, modified = first["ETag"], first["Last-Modified"]
    assert modified == http_date(message.published_at.timestamp())
    again = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert (again["ETag"], again["Cache-Control"]) == (etag, "public, max-age=60")
    assert client.get(path, HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304
    assert client.get(path, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    dispatch.cancel(message)
    changed = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert client.get(path, HTTP_IF_MODIFIED_SINCE=modified).status_code == 200


def test_each_language_has_its_own_etag(client, tenant):
    closure(tenant)
    german = client.get("/musterstadt/feed.atom")["ETag"]
    english = client.get("/musterstadt/feed.atom?lang=en")
    assert english["ETag"] != german
    assert (
        client.get("/musterstadt/feed.atom?lang=en", HTTP_IF_NONE_MATCH=german).status_code == 200
    )


@pytest.mark.parametrize(
    "path",
    [
        "/nirgendwo/feed.atom",
        "/nirgendwo/feed.rss",
        "/musterstadt/topics/unbekannt/feed.atom",
        "/musterstadt/topics/unbekannt/feed.rss",
        "/nirgendwo/topics/kita/feed.atom",
    ],
)
def test_unknown_towns_and_topics_are_not_found(client, tenant, path):
    assert client.get(path).status_code == 404


def test_another_towns_messages_and_topics_stay_in_their_feed(client, tenant):
    other = Municipality.objects.create(
        slug="anders", name="Anders", center_lat=51.67, center_lon=8.34, languages=["de", "en"]
    )
    publish(other, title={"de": "Bei uns"})
    closure(tenant, "Bei Musterstadt")
    assert titles(atom(client)) == ["Warnung: Bei Musterstadt"]
    assert titles(atom(client, "/anders/feed.atom")) == ["Information: Bei uns"]
    # Anders has no topics at all: Musterstadt's topic is unknown there.
    assert client.get("/anders/topics/strassensperrungen/feed.atom").status_code == 404


def test_every_town_page_names_its_feeds_in_the_pages_language(client, tenant):
    page = client.get("/musterstadt/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert (
        '<link rel="alternate" type="application/atom+xml" href="/musterstadt/feed.atom?lang=en"'
        in page
    )
    assert (
        '<link rel="alternate" type="application/rss+xml" href="/musterstadt/feed.rss?lang=en"'
        in (page)
    )
