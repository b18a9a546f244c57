"""The town's messages as CAP 1.2: valid against the OASIS schema for every kind of area and
every msgType, read back the same by our reader and by an independent one (cap-tools)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import shapely
from cap_tools.models import Alert as ToolsAlert
from django.utils import timezone
from lxml import etree
from xsdata.formats.dataclass.parsers import XmlParser

from stadtbote.cap import reader, writer
from stadtbote.delivery import dispatch
from stadtbote.messages import service
from stadtbote.messages.models import Message
from stadtbote.tenants.models import Municipality

pytestmark = pytest.mark.django_db

BASE = "https://stadtbote.example"
NS = {"c": writer.CAP_NS, "a": writer.ATOM_NS}
SCHEMA_PATH = writer.__file__.replace("writer.py", "schema/CAP-v1.2.xsd")
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[8.33, 51.66], [8.36, 51.66], [8.36, 51.68], [8.33, 51.68], [8.33, 51.66]]],
}
AREAS = {
    "town": None,
    "polygon": SQUARE,
    "multipolygon": {"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"]]},
    "districts": {"areas": ["altstadt", "cappel"]},
    "circle": {"circle": {"lat": 51.67, "lon": 8.34, "radius_m": 500}},
}
# The schema's own dateTime pattern: numeric offset, whole seconds.
SENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d")


def schema() -> etree.XMLSchema:
    # Safe settings, like the reader's: no DTD, no entities, no network.
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)
    return etree.XMLSchema(etree.parse(SCHEMA_PATH, parser))


XSD = schema()


def publish(tenant: Municipality, **changes: Any) -> Message:
    data = {
        "title": {"de": "Wasserrohrbruch", "en": "Burst water main"},
        "body": {"de": "Bitte Wasser abkochen.", "en": "Please boil water."},
        "severity": "severe",
        "topics": ["kultur"],
        **changes,
    }
    message = service.create(tenant, data, None)
    dispatch.submit(message)
    return message


def withdraw(message: Message) -> Message:
    dispatch.cancel(message)
    message.refresh_from_db()
    return message


def xml(message: Message) -> bytes:
    return writer.alert_xml(message, base_url=BASE)


def valid(data: bytes) -> etree._Element:
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    assert XSD.validate(root), XSD.error_log
    return root


def texts(root: etree._Element, path: str) -> list[str]:
    return [e.text or "" for e in root.iterfind(path, NS)]


@pytest.mark.parametrize("kind", AREAS)
def test_every_kind_of_area_is_valid_cap_with_lat_lon_polygons_or_a_circle(tenant, kind):
    message = publish(tenant, area=AREAS[kind])
    root = valid(xml(message))
    polygons = texts(root, "c:info/c:area/c:polygon")
    circles = texts(root, "c:info/c:area/c:circle")
    if kind == "circle":
        assert circles == ["51.67,8.34 0.5", "51.67,8.34 0.5"]  # one per language
        assert polygons == []
        return
    assert polygons, "the area's outline is missing"
    assert circles == []
    for polygon in polygons:
        points = [tuple(map(float, p.split(","))) for p in polygon.split()]
        assert len(points) >= 4
        assert points[0] == points[-1]
        assert all(51 < lat < 52 and 8 < lon < 9 for lat, lon in points), "lat,lon order"
        assert all(len(p.split(".")[-1]) <= 6 for pair in polygon.split() for p in pair.split(","))
    if kind == "districts":
        assert len(polygons) == 2 * 2  # two districts, two languages


def test_area_descriptions_are_in_each_infos_language(tenant):
    message = publish(tenant, area=AREAS["districts"])
    root = valid(xml(message))
    assert texts(root, "c:info/c:language") == ["de-DE", "en-GB"]
    german, english = texts(root, "c:info/c:area/c:areaDesc")
    assert "Altstadt" in german
    assert german == "Ortsteile Altstadt, Cappel"
    assert english == "Districts Cappel, Old Town"
    town = valid(xml(publish(tenant)))
    assert texts(town, "c:info/c:area/c:areaDesc") == [tenant.name, tenant.name]


def test_identifier_sender_and_sent_follow_the_documented_formats(tenant):
    message = publish(tenant)
    Message.objects.filter(pk=message.pk).update(
        published_at=datetime(2026, 7, 1, 10, 0, 0, 123456, tzinfo=UTC)
    )
    message.refresh_from_db()
    root = valid(xml(message))
    identifier = root.findtext("c:identifier", namespaces=NS)
    assert identifier == f"stadtbote.example.musterstadt.{message.id}"
    assert not re.search(r"[\s,<&]", identifier)
    assert root.findtext("c:sender", namespaces=NS) == "musterstadt@stadtbote.example"
    # Berlin summer time, no fraction, never "Z".
    assert root.findtext("c:sent", namespaces=NS) == "2026-07-01T12:00:00+02:00"
    assert [root.findtext(f"c:{n}", namespaces=NS) for n in ("status", "msgType", "scope")] == [
        "Actual",
        "Alert",
        "Public",
    ]


@pytest.mark.parametrize(
    ("severity", "cap_severity", "urgency"),
    [
        ("info", "Unknown", "Unknown"),
        ("minor", "Minor", "Expected"),
        ("moderate", "Moderate", "Expected"),
        ("severe", "Severe", "Immediate"),
        ("extreme", "Extreme", "Immediate"),
    ],
)
def test_severity_and_urgency(tenant, severity, cap_severity, urgency):
    root = valid(xml(publish(tenant, severity=severity)))
    assert set(texts(root, "c:info/c:severity")) == {cap_severity}
    assert set(texts(root, "c:info/c:urgency")) == {urgency}


def test_an_info_carries_the_texts_of_its_own_language_and_the_message_page(tenant):
    expires = timezone.now() + timedelta(hours=5)
    message = publish(tenant, expires_at=expires.isoformat(), body={"de": "Nur auf Deutsch."})
    root = valid(xml(message))
    german, english = root.iterfind("c:info", NS)
    assert german.findtext("c:headline", namespaces=NS) == "Wasserrohrbruch"
    assert german.findtext("c:description", namespaces=NS) == "Nur auf Deutsch."
    assert english.findtext("c:headline", namespaces=NS) == "Burst water main"
    assert english.find("c:description", NS) is None
    assert german.findtext("c:event", namespaces=NS) == "Kultur & Veranstaltungen"
    assert german.findtext("c:certainty", namespaces=NS) == "Observed"
    assert german.findtext("c:senderName", namespaces=NS) == tenant.name
    assert german.findtext("c:web", namespaces=NS) == f"{BASE}/musterstadt/messages/{message.id}"
    assert SENT.fullmatch(german.findtext("c:expires", namespaces=NS) or "")
    assert german.find("c:instruction", NS) is None


def test_a_relayed_warning_names_its_issuer_and_what_to_do(tenant):
    message = publish(tenant, topics=[])
    Message.objects.filter(pk=message.pk).update(
        source_name="Deutscher Wetterdienst", instruction={"de": "Fenster schließen."}
    )
    message.refresh_from_db()
    german = valid(xml(message)).find("c:info", NS)
    assert german is not None
    assert german.findtext("c:senderName", namespaces=NS) == "Deutscher Wetterdienst"
    assert german.findtext("c:certainty", namespaces=NS) == "Likely"
    assert german.findtext("c:instruction", namespaces=NS) == "Fenster schließen."
    assert german.findtext("c:category", namespaces=NS) == "Other"


def test_an_update_references_every_earlier_version_oldest_first(tenant):
    first = publish(tenant)
    second = publish(tenant, replaces=str(first.id), severity="extreme")
    third = publish(tenant, replaces=str(second.id), severity="moderate")
    root = valid(xml(third))
    assert root.findtext("c:msgType", namespaces=NS) == "Update"
    references = (root.findtext("c:references", namespaces=NS) or "").split()
    assert references == [writer.reference(m, base_url=BASE) for m in (first, second)]
    # Each triple repeats the referenced document's own sender, identifier and sent.
    earlier = valid(xml(first))
    assert references[0] == ",".join(
        earlier.findtext(f"c:{n}", namespaces=NS) or "" for n in ("sender", "identifier", "sent")
    )


def test_a_withdrawn_message_is_served_as_a_cancel_of_itself(tenant):
    first = publish(tenant)
    update = publish(tenant, replaces=str(first.id))
    before = valid(xml(update))
    update = withdraw(update)
    root = valid(xml(update))
    assert root.findtext("c:msgType", namespaces=NS) == "Cancel"
    assert root.findtext("c:identifier", namespaces=NS) == (
        before.findtext("c:identifier", namespaces=NS) + ".cancel"
    )
    assert update.cancelled_at is not None
    assert root.findtext("c:sent", namespaces=NS) == writer.cap_time(update.cancelled_at, tenant)
    own = ",".join(
        before.findtext(f"c:{n}", namespaces=NS) or "" for n in ("sender", "identifier", "sent")
    )
    references = (root.findtext("c:references", namespaces=NS) or "").split()
    assert references == [writer.reference(first, base_url=BASE), own]


@pytest.mark.parametrize("changes", [{"hold": True}, {"send_at": "2099-01-01T08:00:00+01:00"}])
def test_drafts_and_scheduled_messages_have_no_cap_document(tenant, changes):
    message = publish(tenant, **changes)
    with pytest.raises(writer.NotPublished):
        xml(message)
    # Withdrawn before it was ever published: nothing to cancel either.
    with pytest.raises(writer.NotPublished):
        xml(withdraw(message))


def test_a_huge_ring_is_simplified_and_holes_are_left_out():
    center = shapely.Point(8.35, 51.67)
    outer = center.buffer(0.05, quad_segs=2000)  # 8001 points
    hole = center.buffer(0.01)
    polygons = writer.polygons(shapely.Polygon(outer.exterior, [hole.exterior]))
    assert len(polygons) == 1
    points = polygons[0].split()
    assert 4 <= len(points) <= writer.MAX_RING_POINTS
    assert points[0] == points[-1]
    ring = shapely.Polygon([tuple(map(float, p.split(",")))[::-1] for p in points])
    # Still the same shape to within a few metres, and the hole is covered.
    assert ring.symmetric_difference(outer).area / outer.area < 0.001
    assert ring.contains(center)


def test_every_msg_type_reads_back_the_same_with_our_reader(tenant):
    first = publish(tenant, area=AREAS["polygon"])
    update = publish(tenant, replaces=str(first.id), area=AREAS["districts"])
    cancelled = withdraw(publish(tenant, replaces=str(update.id), severity="moderate"))
    for message, kind in ((first, "Alert"), (update, "Update"), (cancelled, "Cancel")):
        data = xml(message)
        root = valid(data)
        alert = reader.read(data)
        assert alert.identifier == root.findtext("c:identifier", namespaces=NS)
        assert alert.sender == "musterstadt@stadtbote.example"
        assert alert.msg_type == kind
        assert [f"{r.sender},{r.identifier},{r.sent}" for r in alert.references] == (
            (root.findtext("c:references", namespaces=NS) or "").split()
        )
        assert [i.language for i in alert.infos] == ["de-DE", "en-GB"]
        assert [i.headline for i in alert.infos] == ["Wasserrohrbruch", "Burst water main"]
        assert {i.severity for i in alert.infos} == {
            "Severe" if message is not cancelled else "Moderate"
        }
        written = [p for p in texts(root, "c:info[1]/c:area/c:polygon")]
        rings = alert.infos[0].areas[0].polygons
        assert [" ".join(f"{lat:g},{lon:g}" for lon, lat in ring) for ring in rings] == [
            " ".join(f"{float(a):g},{float(b):g}" for a, b in (p.split(",") for p in w.split()))
            for w in written
        ]
    assert len(reader.read(xml(update)).infos[0].areas[0].polygons) == 2
    assert [r.identifier for r in reader.read(xml(cancelled)).references] == [
        writer.identifier(m, base_url=BASE) for m in (first, update, cancelled)
    ]


def test_an_independent_parser_reads_the_same_alert(tenant):
    """cap-tools (xsdata bindings generated from the OASIS schema) as a second opinion."""
    first = publish(tenant, area=AREAS["circle"])
    update = withdraw(publish(tenant, replaces=str(first.id), area=AREAS["polygon"]))
    original = XmlParser().from_bytes(xml(first), ToolsAlert)
    assert original.msg_type.value == "Alert"
    assert original.identifier == writer.identifier(first, base_url=BASE)
    assert original.infos[0].areas[0].circles == ["51.67,8.34 0.5"]
    assert original.infos[0].severity.value == "Severe"
    assert [i.language for i in original.infos] == ["de-DE", "en-GB"]
    cancel = XmlParser().from_bytes(xml(update), ToolsAlert)
    assert cancel.msg_type.value == "Cancel"
    sender = "musterstadt@stadtbote.example"
    assert [(r.sender, r.identifier, str(r.sent)) for r in cancel.references_to_list()] == [
        (sender, original.identifier, str(original.sent)),
        (
            sender,
            writer.identifier(update, base_url=BASE),
            writer.cap_time(update.published_at, tenant),
        ),
    ]
    polygon = cancel.infos[0].areas[0].polygons[0]
    assert polygon.split()[0] == polygon.split()[-1] == "51.66,8.33"


def test_control_characters_pasted_into_a_message_do_not_break_the_documents(tenant):
    message = publish(tenant, title={"de": "Achtung\x07!"}, body={"de": "Bitte\x0b lesen."})
    german = valid(xml(message)).find("c:info", NS)
    assert german is not None
    assert german.findtext("c:headline", namespaces=NS) == "Achtung!"
    assert german.findtext("c:description", namespaces=NS) == "Bitte lesen."
    feed = etree.fromstring(writer.atom(tenant, [message], base_url=BASE))
    assert feed.findtext("a:entry/a:summary", namespaces=NS) == "Bitte lesen."
