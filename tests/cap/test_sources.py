"""The sources: the DWD's ZIP unpacked safely, warnung.bund.de's JSON as alerts, Atom feeds of
CAP links; each against a real local HTTP server."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from stadtbote.cap import reader
from stadtbote.cap.alert import CapError, Reference
from stadtbote.cap.fetch import Client
from stadtbote.cap.models import SourceKind, WarningSource
from stadtbote.cap.relay import alert_key
from stadtbote.cap.sources import SourceError, bund, dwd, harvest
from tests.cap.feeds import DATA, DWD_SAMPLES, FeedServer, Reply, dwd_zip, serving, zipped

BUND = DATA / "bund"
MOWAS = "mow.DE-NW-SO-SE036-20261127-36-000"
MOWAS_UPDATE = "mow.DE-NW-SO-SE036-20261127-36-001"
DWD_VIA_BUND = "dwd.2.49.0.1.276.0.DWD.PVW.1548604620000.f431e879-0f99-4722-a76b-1c3bb1cbd3ac.MUL"


def nothing_seen(identifiers: list[str]) -> set[str]:
    return set()


@pytest.fixture
def server(settings) -> Iterator[FeedServer]:
    yield from serving(settings)


@pytest.fixture
def client(server) -> Iterator[Client]:
    with Client() as client:
        yield client


def source(kind: str, url: str, codes: list[str] | None = None) -> WarningSource:
    # Not saved: the sources only read url, codes and the validators of the last poll.
    return WarningSource(kind=kind, name=kind, url=url, codes=codes or [])


def test_one_dwd_warning_has_one_key_at_the_dwd_and_at_warnung_bund_de():
    ident = "2.49.0.0.276.0.DWD.PVW.1671023640000.3a8c9e3e-6f8e-4c51-9a3c-7d1e2b4f5a6b"
    assert alert_key(f"{ident}.DEU") == alert_key(f"dwd.{ident}.MUL") == ident
    assert alert_key(f"{ident}.ENG") == ident
    assert alert_key("mow.DE-NW-SO-SE036-20261127-36-000.MUL") == (
        "DE-NW-SO-SE036-20261127-36-000.MUL"  # only the DWD writes a language suffix
    )


# --- DWD ------------------------------------------------------------------------------------


def test_the_dwd_zip_yields_every_warning_and_each_reads_as_cap():
    entries = list(dwd.unzip(dwd_zip()))
    assert len(entries) == len(DWD_SAMPLES) == 6
    alerts = [reader.read(xml) for _, xml in entries]
    assert {a.sender for a in alerts} == {"CAP@dwd.de"}
    assert [dwd.peek_identifier(xml) for _, xml in entries] == [a.identifier for a in alerts]


def test_harvesting_the_dwd_skips_warnings_the_town_has(server, client):
    server.file("/dwd.zip", dwd_zip(), etag='"z1"')
    first = DWD_SAMPLES[0].read_bytes()
    known = {dwd.peek_identifier(first)}
    got = harvest(
        source(SourceKind.DWD, server.url("/dwd.zip")), client, lambda ids: set(ids) & known
    )
    names = [d.name for d in got.documents]
    assert (got.status, got.etag, len(names), got.skipped) == (200, '"z1"', 5, 1)


def test_too_many_entries_are_refused_before_any_is_read():
    archive = zipped({f"{n}.xml": b"<a/>" for n in range(dwd.MAX_ENTRIES + 1)})
    with pytest.raises(SourceError, match="5001 entries"):
        next(dwd.unzip(archive))


def test_a_zip_bomb_is_refused():
    bomb = zipped({"bomb.xml": b"<alert>" + b" " * 3_000_000 + b"</alert>"})  # ~1000-fold
    with pytest.raises(SourceError, match="200-fold"):
        list(dwd.unzip(bomb))
    huge = zipped({"huge.xml": bytes(reader.MAX_BYTES + 1)})
    with pytest.raises(SourceError, match="inflates to"):
        list(dwd.unzip(huge))


def test_the_total_size_of_all_entries_is_bounded(monkeypatch):
    monkeypatch.setattr(dwd, "MAX_TOTAL", 500_000)  # the samples make about 670 KB
    with pytest.raises(SourceError, match="inflates to"):
        list(dwd.unzip(dwd_zip()))


def test_an_entry_larger_than_it_says_is_caught():
    archive = bytearray(zipped({"a.xml": b"<alert>" + b"x" * 5000 + b"</alert>"}))
    central = archive.index(b"PK\x01\x02")
    archive[central + 24 : central + 28] = struct.pack("<I", 100)  # declared: 100 bytes
    with pytest.raises(SourceError, match="corrupt"):
        list(dwd.unzip(bytes(archive)))


@pytest.mark.parametrize("name", ["../etc/x.xml", "a/b.xml", "C:\\x.xml", "..xml"])
def test_entries_with_paths_are_refused(name):
    with pytest.raises(SourceError, match="path"):
        list(dwd.unzip(zipped({name: b"<a/>"})))


def test_what_is_not_a_zip_is_refused():
    with pytest.raises(SourceError, match="not a ZIP"):
        list(dwd.unzip(b"<html>maintenance</html>"))


# --- warnung.bund.de -----------------------------------------------------------------------


def detail(name: str) -> dict:
    return json.loads((BUND / f"{name}.json").read_bytes())


def test_a_mowas_warning_becomes_an_alert_placed_by_its_municipality_keys():
    alert = bund.alert_from_json(detail(MOWAS))
    assert (alert.identifier, alert.sender, alert.msg_type, alert.scope) == (
        MOWAS,
        "DE-NW-SO-SE036",
        "Alert",
        "Public",
    )
    assert alert.sent == datetime(2026, 11, 27, 8, 12, tzinfo=UTC)
    assert alert.sent_text == "2026-11-27T09:12:00+01:00"
    german, english = alert.infos
    assert (german.language, english.language) == ("DE", "EN")
    assert german.sender_name == "Leitstelle Kreis Soest"
    assert german.description == (
        "Seit etwa 8:30 Uhr brennt in Lippstadt-Cappel eine Lagerhalle.\n"
        "Es kommt zu starker Rauchentwicklung, die Rauchwolke zieht nach Osten.\n\n"
        "Betroffen sind Cappel, die Kernstadt und Bökenförde."
    )
    assert german.instruction.splitlines()[0] == "Halten Sie Fenster und Türen geschlossen."
    assert german.areas[0].geocode("ARS") == ["059740028028", "059740016016"]
    assert german.event_code("profile:DE-BBK-EVENTCODE:01.00R") == ["BBK-EVC-006"]
    assert german.expires is None


def test_references_are_read_also_when_mowas_packs_several_into_one_triple():
    update = bund.alert_from_json(detail(MOWAS_UPDATE))
    assert update.references == [
        Reference("DE-NW-SO-SE036", MOWAS, "2026-11-27T09:12:00+01:00"),
    ]
    packed = "A B,mow.A mow.B,2020-04-03T00:00:00+00:00 C,mow.C,2020-04-04T00:00:00+00:00"
    assert bund.parse_references(packed) == [
        Reference("A", "mow.A", "2020-04-03T00:00:00+00:00"),
        Reference("B", "mow.B", "2020-04-03T00:00:00+00:00"),
        Reference("C", "mow.C", "2020-04-04T00:00:00+00:00"),
    ]
    assert bund.parse_references("") == []


@pytest.mark.parametrize("missing", ["identifier", "sender", "sent", "status", "msgType"])
def test_a_warning_without_a_required_field_is_refused(missing):
    obj = detail(MOWAS)
    del obj[missing]
    with pytest.raises(CapError, match=missing):
        bund.alert_from_json(obj)


@pytest.mark.parametrize(
    ("field", "value"), [("status", "Maybe"), ("sent", "gestern"), ("sent", "2026-11-27T09:12")]
)
def test_a_warning_with_an_unreadable_field_is_refused(field, value):
    with pytest.raises(CapError, match=field):
        bund.alert_from_json({**detail(MOWAS), field: value})


def test_the_district_key_zeroes_the_municipality_except_in_the_city_states():
    assert bund.district_ars("059740028028") == "059740000000"
    assert bund.district_ars("020000000000") == "020000000000"  # Hamburg
    assert bund.district_ars("110000000000") == "110000000000"  # Berlin
    with pytest.raises(SourceError):
        bund.district_ars("05974")


RING = [[8.3, 51.6], [8.4, 51.6], [8.4, 51.7], [8.3, 51.6]]


@pytest.mark.parametrize(
    ("geojson", "rings"),
    [
        ({"type": "Polygon", "coordinates": [RING]}, 1),
        ({"type": "MultiPolygon", "coordinates": [[RING], [RING, RING]]}, 2),
        ({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [RING]}}, 1),
        ({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": None}]}, 0),
        ({"type": "Point", "coordinates": [8.3, 51.6]}, 0),
        ({"type": "Polygon", "coordinates": [[[8.3, 51.6], [8.4, 91.0], [8.3, 51.6]]]}, 0),
        ({"type": "Polygon", "coordinates": [[["a", "b"]] * 4]}, 0),
        ([1, 2, 3], 0),
    ],
)
def test_geojson_yields_the_outer_rings_of_polygons_and_ignores_the_rest(geojson, rings):
    found = bund.polygons_from_geojson(geojson)
    assert len(found) == rings
    assert all(ring[0] == (8.3, 51.6) for ring in found)


def serve_bund(server: FeedServer, etag: str = '"d1"') -> None:
    server.file(
        "/api31/dashboard/059740000000.json",
        (BUND / "dashboard_059740000000.json").read_bytes(),
        etag=etag,
    )
    for path in BUND.glob("*.json"):
        if not path.name.startswith("dashboard"):
            server.serve(f"/api31/warnings/{path.name}", Reply(200, path.read_bytes()))
    shape = BUND / f"{MOWAS}.geojson"
    server.serve(f"/api31/warnings/{shape.name}", Reply(200, shape.read_bytes()))


def test_the_bund_dashboard_leads_to_each_new_warning_oldest_first_with_its_shape(server, client):
    serve_bund(server)
    bund_source = source(SourceKind.BUND, server.url("/api31/"), ["059740028028"])
    got = harvest(bund_source, client, lambda ids: {i for i in ids if i == DWD_VIA_BUND})
    alerts = [d.read() for d in got.documents]
    assert [a.identifier for a in alerts] == [MOWAS, MOWAS_UPDATE]  # the update after
    assert got.skipped == 1
    assert not any(DWD_VIA_BUND in p for p in server.paths())  # known: not even fetched
    assert alerts[0].infos[0].areas[0].polygons[0][0] == (8.28, 51.64)  # from the GeoJSON
    assert alerts[1].infos[0].areas[0].polygons == []  # no shape (404): the keys place it
    again = harvest(
        source(SourceKind.BUND, server.url("/api31"), ["059740028028"]), client, nothing_seen
    )
    assert again.status == 200
    bund_source.etag = '"d1"'
    assert harvest(bund_source, client, nothing_seen).status == 304


def test_a_bund_source_needs_the_towns_ars(server, client):
    with pytest.raises(SourceError, match="ARS"):
        harvest(source(SourceKind.BUND, server.url("/api31"), ["805974028"]), client, nothing_seen)


def test_a_dashboard_that_is_not_json_fails_the_poll(server, client):
    server.serve("/api31/dashboard/059740000000.json", Reply(200, b"<html>Wartung</html>"))
    with pytest.raises(SourceError, match="not JSON"):
        harvest(
            source(SourceKind.BUND, server.url("/api31"), ["059740028028"]), client, nothing_seen
        )


# --- Atom feeds and single CAP documents ------------------------------------------------------


ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Hochwasserzentrale (Test)</title>
  <id>urn:uuid:6d1e8c1a-0000-4000-8000-000000000001</id>
  <updated>2019-01-27T19:30:00+01:00</updated>
  <entry>
    <id>{first_id}</id>
    <title>Schneefall</title>
    <updated>2019-01-27T16:57:00+01:00</updated>
    <link rel="alternate" type="text/html" href="https://example.org/page.html"/>
    <link rel="alternate" type="application/cap+xml" href="/cap/alert_2.xml"/>
  </entry>
  <entry>
    <id>urn:uuid:6d1e8c1a-0000-4000-8000-000000000003</id>
    <title>Schneefall, Aktualisierung</title>
    <updated>2019-01-27T19:30:00+01:00</updated>
    <content type="application/cap+xml" src="cap/alert_2_update_1.xml"/>
  </entry>
  <entry>
    <id>urn:uuid:6d1e8c1a-0000-4000-8000-000000000004</id>
    <title>Keine CAP-Verknüpfung</title>
    <updated>2019-01-27T19:30:00+01:00</updated>
    <link href="https://example.org/page.html"/>
  </entry>
</feed>
"""


def sample(name: str) -> bytes:
    return (DATA / "dwd" / f"{name}.xml").read_bytes()


def test_an_atom_feed_leads_to_its_two_cap_documents(server, client):
    server.file("/feed/atom.xml", ATOM.format(first_id="urn:uuid:1").encode(), etag='"a"')
    server.serve("/cap/alert_2.xml", Reply(200, sample("alert_2_discjunct_regions")))
    server.serve("/feed/cap/alert_2_update_1.xml", Reply(200, sample("alert_2_update_1")))
    got = harvest(source(SourceKind.FEED, server.url("/feed/atom.xml")), client, nothing_seen)
    alerts = [d.read() for d in got.documents]
    assert [a.msg_type for a in alerts] == ["Alert", "Update"]
    assert "/cap/alert_2.xml" in server.paths()  # absolute path: from the host root
    assert "/feed/cap/alert_2_update_1.xml" in server.paths()  # relative: beside the feed


def test_an_atom_entry_the_town_has_is_not_fetched(server, client):
    ident = "2.49.0.1.276.0.DWD.PVW.1548604620000.f431e879-0f99-4722-a76b-1c3bb1cbd3ac.DEU"
    server.file("/feed/atom.xml", ATOM.format(first_id=ident).encode())
    server.serve("/feed/cap/alert_2_update_1.xml", Reply(404))
    got = harvest(
        source(SourceKind.FEED, server.url("/feed/atom.xml")),
        client,
        lambda ids: {ident} & set(ids),
    )
    documents = list(got.documents)
    assert (got.skipped, len(documents)) == (1, 1)
    assert "/cap/alert_2.xml" not in server.paths()
    with pytest.raises(CapError, match="HTTP 404"):  # gone meanwhile: this one is unreadable
        documents[0].read()


def test_a_url_serving_one_cap_document_yields_it(server, client):
    server.serve("/one.xml", Reply(200, DWD_SAMPLES[0].read_bytes()))
    got = harvest(source(SourceKind.FEED, server.url("/one.xml")), client, nothing_seen)
    assert [d.read().identifier for d in got.documents] == [
        reader.read(DWD_SAMPLES[0].read_bytes()).identifier
    ]


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY a "aaaa">]><feed xmlns="http://www.w3.org/2005/Atom">&a;</feed>',
        b"<rss><channel/></rss>",
        b"not xml at all",
    ],
)
def test_a_feed_with_a_dtd_or_of_another_kind_is_refused(server, client, body):
    server.serve("/bad.xml", Reply(200, body))
    with pytest.raises(SourceError):
        harvest(source(SourceKind.FEED, server.url("/bad.xml")), client, nothing_seen)


def test_a_bund_source_also_reads_the_nationwide_lists_of_the_providers_it_names(server, client):
    serve_bund(server)
    listed = [
        {"id": MOWAS_UPDATE, "version": 2, "startDate": "2026-11-27T08:00:00+01:00"},
        {"id": MOWAS, "version": 1, "startDate": "2026-11-27T07:00:00+01:00"},
        {"id": "../../etc/passwd", "version": 1},  # never goes into a URL
    ]
    server.serve("/api31/mowas/mapData.json", Reply(200, json.dumps(listed).encode()))
    bund_source = source(SourceKind.BUND, server.url("/api31"), ["059740028028"])
    bund_source.providers = ["mowas", "nonsense"]
    bund_source.etag = '"d1"'  # the district's dashboard is unchanged (304) ...
    got = harvest(bund_source, client, nothing_seen)
    # ... and the map still brings its warnings, oldest first.
    assert [d.read().identifier for d in got.documents] == [MOWAS, MOWAS_UPDATE]
    assert got.status == 200
    assert "/api31/mowas/mapData.json" in server.paths()
    assert not any("nonsense" in p or "passwd" in p for p in server.paths())


def test_a_map_that_is_not_a_list_fails_the_poll(server, client):
    serve_bund(server)
    server.serve("/api31/lhp/mapData.json", Reply(200, b'{"error": "maintenance"}'))
    bund_source = source(SourceKind.BUND, server.url("/api31"), ["059740028028"])
    bund_source.providers = ["lhp"]
    with pytest.raises(SourceError, match="mapData"):
        harvest(bund_source, client, nothing_seen)
