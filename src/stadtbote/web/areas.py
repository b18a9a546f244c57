"""A message's area for people: a sentence, and GeoJSON for the page's map."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from stadtbote.geo.models import District
from stadtbote.messages.models import Message


def describe(m: Message, lang: str) -> str:
    area = m.area or {}
    kind = area.get("kind", "town")
    if kind == "districts":
        names = district_names(m, lang)
        return ngettext("District %(names)s", "Districts %(names)s", len(names)) % {
            "names": ", ".join(names)
        }
    if kind == "circle":
        return _("Within %(radius)s m of the marked point") % {"radius": area["radius_m"]}
    if kind == "shape":
        return _("The area marked on the map")
    return _("The whole municipality")


def district_names(m: Message, lang: str) -> list[str]:
    slugs = (m.area or {}).get("slugs", [])
    rows = District.objects.filter(tenant_id=m.tenant_id, slug__in=slugs)
    return sorted(d.name.get(lang) or d.name.get(m.tenant.default_language) or d.slug for d in rows)


def geojson(m: Message) -> dict[str, Any] | None:
    """Features to draw; None for the whole town (the page then shows the town's outline)."""
    area = m.area or {}
    kind = area.get("kind", "town")
    features: list[dict[str, Any]] = []
    if kind == "districts":
        for d in District.objects.filter(tenant_id=m.tenant_id, slug__in=area.get("slugs", [])):
            features.append({"type": "Feature", "properties": {}, "geometry": d.geometry})
    elif kind == "circle":
        features.append(
            {
                "type": "Feature",
                "properties": {"radius_m": area["radius_m"]},
                "geometry": {"type": "Point", "coordinates": [area["lon"], area["lat"]]},
            }
        )
    elif kind == "shape":
        features.append({"type": "Feature", "properties": {}, "geometry": area["geometry"]})
    else:
        return None
    return {"type": "FeatureCollection", "features": features}
