"""The CAP 1.2 reader: real DWD warnings, hand-written MoWaS alerts, and hostile documents."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from stadtbote.cap import reader
from stadtbote.cap.alert import CapError, Circle, Reference

DATA = Path(__file__).parent / "data"
DWD = sorted((DATA / "dwd").glob("*.xml"))
MOWAS = sorted((DATA / "mowas").glob("*.xml"))
CET = timezone(timedelta(hours=1))
ALERT_1_ID = "2.49.0.1.276.0.DWD.PVW.1548185160000.1e80fd68-1d6a-4a12-90a0-f534dd2ea7fb.DEU"
FIRE_ID = "mow.DE-NW-SO-SE045-20261127-45-000"
FIRE_POLYGON = "51.668,8.330 51.668,8.372 51.690,8.372 51.690,8.330 51.668,8.330"


def data(path: str) -> bytes:
    return (DATA / path).read_bytes()


def fire(old: str = "", new: str = "") -> bytes:
    """The MoWaS fire alert, with ``old`` replaced by ``new`` (which must be there)."""
    text = data("mowas/fire_alert.xml").decode()
    assert old in text
    return text.replace(old, new, 1).encode() if old else text.encode()


def line_of(document: bytes, needle: str) -> int:
    return document.decode().split(needle)[0].count("\n") + 1


def refused(document: bytes) -> str:
    with pytest.raises(CapError) as caught:
        reader.read(document)
    return str(caught.value)


# Real DWD warnings


@pytest.mark.parametrize("path", DWD, ids=lambda p: p.name)
def test_every_dwd_sample_reads_as_one_german_info_from_the_dwd(path):
    alert = reader.read(path.read_bytes())
    assert alert.sender == "CAP@dwd.de"
    assert alert.identifier.startswith("2.49.0.1.276.0.DWD.PVW.")
    assert alert.sent.tzinfo is not None
    assert [info.language for info in alert.infos] == ["de-DE"]
    assert alert.infos[0].areas[0].description == "polygonal event area"


def test_the_first_glaze_warning_reads_field_by_field():
    alert = reader.read(data("dwd/alert_1.xml"))
    assert alert.identifier == ALERT_1_ID
    assert alert.key == ("CAP@dwd.de", ALERT_1_ID)
    assert alert.sent == datetime(2019, 1, 22, 19, 26, tzinfo=UTC)
    assert alert.sent_text == "2019-01-22T20:26:00+01:00"
    assert (alert.status, alert.msg_type) == ("Actual", "Alert")
    assert (alert.scope, alert.source) == ("Public", "PVW")
    assert alert.codes == ["id:" + ALERT_1_ID.removesuffix(".DEU")]
    assert alert.references == []
    [info] = alert.infos
    assert (info.event, info.severity) == ("GLÄTTE", "Minor")
    assert (info.urgency, info.certainty) == ("Immediate", "Likely")
    assert info.categories == ["Met"]
    assert info.response_types == ["None"]
    assert info.headline == "Amtliche WARNUNG vor GLÄTTE"
    assert info.description == "Es muss mit Glätte durch geringfügigen Schneefall gerechnet werden."
    assert info.instruction == ""
    assert info.onset == datetime(2019, 1, 23, 0, 0, tzinfo=CET)
    assert info.expires == datetime(2019, 1, 23, 12, 0, tzinfo=CET)
    assert info.sender_name == "DWD / Nationales Warnzentrum Offenbach"
    assert info.web == "http://www.wettergefahren.de"
    assert info.event_code("GROUP") == ["GLAZE", "FROST"]
    assert info.parameter("Glätteursache") == ["geringfügiger Schneefall"]
    assert len(info.areas) == 820


def test_the_first_glaze_warning_names_lippstadt_with_its_altitude_and_ceiling():
    [info] = reader.read(data("dwd/alert_1.xml")).infos
    [lippstadt] = [area for area in info.areas if area.description == "Stadt Lippstadt"]
    assert lippstadt.geocodes == [("WARNCELLID", "805974028")]
    assert lippstadt.polygons == []
    assert (lippstadt.altitude, lippstadt.ceiling) == (0.0, 9842.5197)


def test_a_polygon_is_read_as_a_closed_ring_of_lon_lat():
    [info] = reader.read(data("dwd/alert_1.xml")).infos
    [ring] = info.areas[0].polygons
    assert len(ring) == 677
    assert ring[0] == ring[-1] == (7.202089, 49.194591)


@pytest.mark.parametrize(
    ("later", "earlier"),
    [
        ("alert_1_update_1.xml", "alert_1.xml"),
        ("alert_1_update_2.xml", "alert_1_update_1.xml"),
        ("alert_1_update_3.xml", "alert_1_update_2.xml"),
        ("alert_2_update_1.xml", "alert_2_discjunct_regions.xml"),
    ],
)
def test_each_dwd_update_references_exactly_the_warning_before_it(later, earlier):
    update = reader.read(data(f"dwd/{later}"))
    previous = reader.read(data(f"dwd/{earlier}"))
    assert update.msg_type == "Update"
    assert update.references == [
        Reference(previous.sender, previous.identifier, previous.sent_text)
    ]


# Hand-written MoWaS alerts


@pytest.mark.parametrize("path", MOWAS, ids=lambda p: p.name)
def test_the_hand_written_mowas_alerts_pass_the_oasis_schema(path):
    assert reader.read(path.read_bytes()).sender == "opendata@mowas.bund.de"


def test_a_mowas_fire_alert_reads_with_its_instruction_polygon_and_geocode():
    alert = reader.read(fire())
    assert alert.identifier == FIRE_ID
    assert alert.codes == ["DVN:1", "medien_ueberregional"]
    [info] = alert.infos
    assert info.language == "de-DE"
    assert info.categories == ["Safety", "Fire"]
    assert info.event == "Gefahreninformation"
    assert info.response_types == ["Shelter"]
    assert info.headline.startswith("Großbrand in Lippstadt")
    assert info.instruction.startswith("Halten Sie Fenster und Türen geschlossen.")
    assert info.event_codes == [("profile:DE-BBK-EVENTCODE", "BBK-EVC-040")]
    assert info.effective is None
    [area] = info.areas
    assert area.polygons == [
        [(8.330, 51.668), (8.372, 51.668), (8.372, 51.690), (8.330, 51.690), (8.330, 51.668)]
    ]
    assert area.geocode("SHN") == ["059740028028"]
    assert (area.altitude, area.ceiling) == (None, None)


def test_a_mowas_cancel_references_the_alert_it_withdraws():
    original = reader.read(fire())
    cancel = reader.read(data("mowas/fire_cancel.xml"))
    assert cancel.msg_type == "Cancel"
    assert cancel.references == [Reference(original.sender, FIRE_ID, original.sent_text)]
    assert cancel.infos[0].response_types == ["AllClear"]


def test_a_mowas_test_alert_keeps_its_status_note_and_circle():
    alert = reader.read(data("mowas/test_alert.xml"))
    assert alert.status == "Test"
    assert alert.note == "Probewarnung zum Warntag, keine Gefahr."
    [area] = alert.infos[0].areas
    assert area.circles == [Circle(lon=8.106, lat=51.571, radius_km=25.0)]
    assert area.geocodes == [("ARS", "059740000000")]


def test_an_info_without_a_language_is_in_us_english_as_cap_says():
    alert = reader.read(fire("<language>de-DE</language>"))
    assert alert.infos[0].language == "en-US"


def test_comments_and_cdata_inside_a_field_do_not_cut_its_text():
    document = fire(
        "<headline>Großbrand in Lippstadt",
        "<headline><!-- intern -->Groß<![CDATA[brand]]> in <!-- x -->Lippstadt",
    )
    assert reader.read(document).infos[0].headline.startswith("Großbrand in Lippstadt:")


def test_a_document_in_utf_16_reads_like_one_in_utf_8():
    text = fire().decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    assert reader.read(text.encode("utf-16")) == reader.read(fire())


def test_resources_are_accepted_but_never_fetched():
    resource = (
        "<resource><resourceDesc>Karte</resourceDesc><mimeType>image/png</mimeType>"
        "<uri>http://127.0.0.1:9/karte.png</uri></resource>\n    <area>"
    )
    assert reader.read(fire("<area>", resource)).infos[0].areas[0].geocodes


def test_references_tolerate_extra_whitespace_between_and_within_triples():
    refs = reader.parse_references(
        "  a@example.org,one,2026-11-27T09:14:00+01:00\n\t b@example.org , two ,"
        " 2026-11-27T10:00:00-05:00  "
    )
    assert refs == [
        Reference("a@example.org", "one", "2026-11-27T09:14:00+01:00"),
        Reference("b@example.org", "two", "2026-11-27T10:00:00-05:00"),
    ]


def test_the_schema_is_loaded_on_first_use_not_on_import():
    probe = "import stadtbote.cap.reader as r; print(r._schema.cache_info().currsize)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"


# Hostile and malformed documents


def with_doctype(doctype: str, body: str = "<identifier>&x;</identifier>") -> bytes:
    return (
        f'<?xml version="1.0"?>\n{doctype}\n'
        f'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">{body}</alert>'
    ).encode()


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A local port that records whether anyone connected to it."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(5)
        server.setblocking(False)
        yield server


def test_a_billion_laughs_is_refused_without_expanding_it():
    laughs = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
    document = with_doctype(
        f'<!DOCTYPE alert [<!ENTITY lol0 "lol">{laughs}]>', "<identifier>&lol9;</identifier>"
    )
    assert refused(document) == "DTDs and entities are not allowed"


def test_an_external_entity_is_refused_without_reading_the_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER")
    for target in ("file:///etc/passwd", secret.as_uri()):
        document = with_doctype(f'<!DOCTYPE alert [<!ENTITY x SYSTEM "{target}">]>')
        assert refused(document) == "DTDs and entities are not allowed"
        # What the parser built before the refusal: the reference left as it was.
        tree = reader._parse(document)
        assert [str(e) for e in tree.iter(etree.Entity)] == ["&x;"]
        assert b"TOP-SECRET" not in etree.tostring(tree)
        assert b"root:" not in etree.tostring(tree)
        # The check after parsing refuses it too, should the first pass ever miss one.
        with pytest.raises(CapError, match="DTDs and entities are not allowed"):
            reader._refuse_dtd(tree)


def test_an_external_dtd_or_entity_over_the_network_is_refused_without_connecting(listener):
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/cap.dtd"
    documents = [
        with_doctype(f'<!DOCTYPE alert SYSTEM "{url}">', "<identifier>a</identifier>"),
        with_doctype(f'<!DOCTYPE alert [<!ENTITY x SYSTEM "{url}">]>'),
        with_doctype(f'<!DOCTYPE alert [<!ENTITY % p SYSTEM "{url}"> %p;]>'),
    ]
    for document in documents:
        assert "DTDs and entities are not allowed" in refused(document)
    with pytest.raises(BlockingIOError):
        listener.accept()


def test_even_a_harmless_doctype_is_refused():
    assert "DTDs and entities are not allowed" in refused(
        with_doctype("<!DOCTYPE alert>", "<identifier>a</identifier>")
    )


def test_an_xinclude_is_neither_followed_nor_accepted():
    xinclude = (
        '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" '
        'parse="text"/>\n  <status>'
    )
    message = refused(fire("<status>", xinclude))
    assert message.startswith("not valid CAP 1.2: Element '{http://www.w3.org/2001/XInclude}")
    assert "root:" not in message


def test_a_document_over_four_mebibytes_is_refused_before_parsing():
    padding = "Rauch. " * (5 * 1024 * 1024 // 7)
    huge = fire("<description>", "<description>" + padding)
    assert len(huge) > 5 * 1024 * 1024
    assert refused(huge) == f"document too large: {len(huge)} bytes, at most 4194304 allowed"


def test_a_truncated_document_is_refused_naming_the_line():
    document = fire()
    cut = document[: document.index(b"<polygon>") + 20]
    message = refused(cut)
    assert message.startswith("not well-formed XML: ")
    assert message.endswith(f"(line {line_of(document, '<polygon>')})")


def test_a_control_character_is_refused_in_a_one_line_message():
    message = refused(fire("Großbrand in Lippstadt", "Großbrand\x00"))
    assert message.startswith("not well-formed XML: Invalid character: Char 0x0 out of allowed")
    assert "\n" not in message


def test_a_refusal_quotes_a_huge_value_only_in_part():
    message = refused(fire(FIRE_POLYGON, "51.668,8.330 " + "9" * 100_000 + ",8.3"))
    assert message.startswith("polygon 1 of area 'Lippstadt, Kernstadt und Lipperbruch': ")
    assert len(message) < 300


def test_an_empty_document_is_refused():
    assert refused(b"").startswith("not well-formed XML: Document is empty")


def test_a_cap_1_1_alert_is_refused_for_its_namespace():
    message = refused(fire().replace(b"emergency:cap:1.2", b"emergency:cap:1.1"))
    assert message == (
        "not a CAP 1.2 alert: root element <alert> in namespace "
        "urn:oasis:names:tc:emergency:cap:1.1, expected <alert> in "
        "urn:oasis:names:tc:emergency:cap:1.2 (line 2)"
    )


def test_an_alert_without_namespace_is_refused():
    message = refused(fire().replace(b' xmlns="urn:oasis:names:tc:emergency:cap:1.2"', b""))
    assert "root element <alert> in namespace (none)" in message


def test_an_alert_without_sent_is_refused_by_the_schema_naming_the_line():
    document = fire("<sent>2026-11-27T09:14:00+01:00</sent>\n  ")
    assert refused(document) == (
        "not valid CAP 1.2: Element 'status': This element is not expected. "
        "Expected is ( sent ). (line 5)"
    )


def test_an_unknown_severity_is_refused_by_the_schema():
    document = fire("<severity>Severe", "<severity>Dangerous")
    message = refused(document)
    assert message.startswith("not valid CAP 1.2: Element 'severity': ")
    assert "'Dangerous'" in message
    assert message.endswith(f"(line {line_of(document, '<severity>')})")


def test_a_sent_time_without_offset_is_refused_by_the_schema():
    message = refused(fire("09:14:00+01:00</sent>", "09:14:00</sent>"))
    assert message.startswith("not valid CAP 1.2: Element 'sent': ")


@pytest.mark.parametrize(
    ("polygon", "problem"),
    [
        ("51.668,8.330 51.668,8.372 51.668,8.330", "polygon has 3 points, CAP requires at least 4"),
        (
            "51.668,8.330 51.668,8.372 51.690,8.372 51.690,8.330",
            "polygon is not closed: its first and last points differ",
        ),
        (
            "123,8.330 51.668,8.372 51.690,8.372 123,8.330",
            "coordinates out of range: '123,8.330' (latitude -90..90, longitude -180..180)",
        ),
        (
            "51.668,8.330 51.668,181 51.690,8.372 51.668,8.330",
            "coordinates out of range: '51.668,181'",
        ),
        (
            "51.668,8.330 nan,inf 51.690,8.372 51.668,8.330",
            "not a coordinate pair 'lat,lon': 'nan,inf'",
        ),
        ("51.668;8.330 51.668,8.372 51.690,8.372 51.668;8.330", "not a coordinate pair"),
        ("", "polygon has 0 points"),
    ],
)
def test_a_bad_polygon_is_refused_naming_the_polygon_area_and_line(polygon, problem):
    document = fire(FIRE_POLYGON, polygon)
    message = refused(document)
    assert message.startswith(
        f"polygon 1 of area 'Lippstadt, Kernstadt und Lipperbruch': {problem}"
    )
    assert message.endswith(f"(line {line_of(document, '<polygon>')})")


@pytest.mark.parametrize(
    ("circle", "problem"),
    [
        ("51.571,8.106", "circle is not 'lat,lon radius'"),
        ("51.571,8.106 -5", "circle radius is not a number of kilometres: '-5'"),
        ("51.571,8.106 far", "circle radius is not a number"),
        ("91,8.106 25", "coordinates out of range"),
    ],
)
def test_a_bad_circle_is_refused_naming_it(circle, problem):
    document = data("mowas/test_alert.xml").replace(b"51.571,8.106 25", circle.encode())
    assert refused(document).startswith(f"circle 1 of area 'Kreis Soest': {problem}")


@pytest.mark.parametrize(
    "references",
    [
        "opendata@mowas.bund.de,mow.DE-NW-SO-SE045-20261127-45-000",
        "opendata@mowas.bund.de,,2026-11-27T09:14:00+01:00",
        "opendata@mowas.bund.de,mow.1,2026-11-27T09:14:00+01:00,extra",
        "opendata@mowas.bund.de,mow.1,27.11.2026",
    ],
)
def test_bad_references_are_refused_naming_the_triple_and_line(references):
    document = (
        data("mowas/fire_cancel.xml")
        .decode()
        .replace(
            "opendata@mowas.bund.de,mow.DE-NW-SO-SE045-20261127-45-000,2026-11-27T09:14:00+01:00",
            references,
        )
        .encode()
    )
    message = refused(document)
    assert message.startswith("reference ")
    assert repr(references.split()[0]) in message
    assert message.endswith(f"(line {line_of(document, '<references>')})")


# Properties

coordinate = st.tuples(st.floats(-90, 90, allow_nan=False), st.floats(-180, 180, allow_nan=False))


@settings(derandomize=True, max_examples=200)
@given(
    points=st.lists(coordinate, min_size=3, max_size=30),
    gaps=st.lists(st.sampled_from([" ", "  ", "\n", "\t ", " \n  "]), min_size=33, max_size=33),
)
def test_any_written_polygon_reads_back_as_the_same_ring(points, gaps):
    closed = [*points, points[0]]
    # Positional notation: CAP writes decimal degrees, and the reader takes no exponents.
    pairs = [f"{Decimal(repr(lat)):f},{Decimal(repr(lon)):f}" for lat, lon in closed]
    text = gaps[0] + "".join(pair + gap for pair, gap in zip(pairs, gaps[1:], strict=False))
    assert reader.parse_polygon(text) == [(lon, lat) for lat, lon in closed]
