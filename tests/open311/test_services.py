"""Open311 GeoReport v2: discovery, service list and service definitions, in XML and JSON,
with the spec's errors."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import pytest

from stadtbote.open311 import formats


def xml(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def test_discovery_names_the_georeport_v2_endpoint_and_its_formats(client, db):
    doc = json.loads(client.get("/open311/discovery.json").content)
    [endpoint] = doc["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["formats"] == ["text/xml", "application/json"]
    root = xml(client.get("/open311/v2/discovery.xml"))
    assert [f.text for f in root.iter("format")] == ["text/xml", "application/json"]


def test_the_service_list_has_every_active_category(client, tenant):
    response = client.get("/open311/v2/services.json?jurisdiction_id=musterstadt")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    services = {s["service_code"]: s for s in json.loads(response.content)}
    pothole = services["schlagloch"]
    assert pothole["service_name"] == "Schlagloch oder Straßenschaden"
    assert (pothole["metadata"], pothole["type"], pothole["group"]) == (
        True,
        "realtime",
        "Straßen und Wege",
    )
    assert services["muell"]["metadata"] is False
    root = xml(client.get("/open311/v2/services.xml?jurisdiction_id=musterstadt"))
    assert root.tag == "services"
    first = root.find("service")
    assert first is not None
    assert [c.tag for c in first] == [
        "service_code", "service_name", "description", "metadata", "type", "keywords", "group",
    ]  # fmt: skip
    assert root.find("service[service_code='schlagloch']/metadata").text == "true"  # type: ignore[union-attr]


def test_a_service_definition_lists_its_attributes_with_values(client, tenant):
    doc = json.loads(
        client.get("/open311/v2/services/schlagloch.json?jurisdiction_id=musterstadt").content
    )
    assert doc["service_code"] == "schlagloch"
    [size] = doc["attributes"]
    assert (size["code"], size["datatype"], size["required"], size["order"]) == (
        "size",
        "singlevaluelist",
        True,
        1,
    )
    assert [v["key"] for v in size["values"]] == ["small", "large"]
    root = xml(client.get("/open311/v2/services/schlagloch.xml?jurisdiction_id=musterstadt"))
    assert root.tag == "service_definition"
    assert [v.findtext("key") for v in root.iter("value")] == ["small", "large"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/open311/v2/services.{fmt}", 400, "jurisdiction_id was not provided"),
        ("/open311/v2/services.{fmt}?jurisdiction_id=atlantis", 404, "'atlantis' was not found"),
        (
            "/open311/v2/services/nope.{fmt}?jurisdiction_id=musterstadt",
            404,
            "'nope' was not found",
        ),
    ],
)
def test_errors_come_in_the_specs_format_with_its_status_codes(
    client, tenant, fmt, path, status, says
):
    response = client.get(path.format(fmt=fmt))
    assert response.status_code == status
    if fmt == "json":
        [error] = json.loads(response.content)
        assert error["code"] == status
        assert says in error["description"]
    else:
        root = xml(response)
        assert root.tag == "errors"
        assert root.findtext("error/code") == str(status)
        assert says in (root.findtext("error/description") or "")


def test_xml_rendering_follows_the_spark_convention():
    body = formats.render("services", [{"a": True, "b": None, "values": [{"key": 1}]}], "xml")
    assert body.endswith(
        b"<services><service><a>true</a><b /><values><value><key>1</key></value></values>"
        b"</service></services>"
    )
