"""GeoReport v2 documents as XML or JSON (pure).

The JSON is the spec's "Spark convention" mapping of the XML: a list in JSON is an element
holding one child per item in XML (``services`` → ``<services><service>…``), booleans are
``true``/``false``, a missing value is an empty element in XML and ``null`` in JSON.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

# Container element -> the element of each item, as the spec names them.
ITEM = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}


def render(root: str, document: Any, fmt: str) -> bytes:
    """``document`` is a list (of items of ``root``) or a dict (the root element's children)."""
    if fmt == "json":
        return json.dumps(document, ensure_ascii=False).encode()
    element = ET.Element(root)
    _fill(element, root, document)
    body = ET.tostring(element, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode()


def _fill(element: ET.Element, name: str, value: Any) -> None:
    if isinstance(value, list):
        child_name = ITEM.get(name, name.rstrip("s"))
        for item in value:
            _fill(ET.SubElement(element, child_name), child_name, item)
    elif isinstance(value, dict):
        for key, inner in value.items():
            _fill(ET.SubElement(element, key), key, inner)
    elif value is None:
        return
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = str(value)


def errors(items: list[tuple[int | str, str]], fmt: str) -> bytes:
    return render("errors", [{"code": code, "description": text} for code, text in items], fmt)
