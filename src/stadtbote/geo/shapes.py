"""GeoJSON input: strict parsing into shapely geometries (WGS84 lon/lat), with errors naming
the offending field. Nothing here touches the database."""

from __future__ import annotations

import math
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from stadtbote.core.errors import InvalidInput

# A district or warning polygon has hundreds of vertices; DWD warn polygons a few thousand.
MAX_VERTICES = 50_000
AREA_TYPES = ("Polygon", "MultiPolygon")


def _check_position(pos: Any, field: str) -> None:
    if not isinstance(pos, list | tuple) or len(pos) < 2:
        raise InvalidInput("each position must be [lon, lat]", field=field)
    lon, lat = pos[0], pos[1]
    for value, name, limit in ((lon, "longitude", 180), (lat, "latitude", 90)):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise InvalidInput(f"{name} must be a number", field=field)
        if abs(value) > limit:
            raise InvalidInput(f"{name} {value} is out of range", field=field)


def _check_rings(rings: Any, field: str) -> int:
    if not isinstance(rings, list) or not rings:
        raise InvalidInput("a polygon needs at least one ring", field=field)
    count = 0
    for r, ring in enumerate(rings):
        rfield = f"{field}[{r}]"
        if not isinstance(ring, list) or len(ring) < 4:
            raise InvalidInput("a ring needs at least 4 positions", field=rfield)
        for p, pos in enumerate(ring):
            _check_position(pos, f"{rfield}[{p}]")
        if list(ring[0][:2]) != list(ring[-1][:2]):
            raise InvalidInput("a ring must end where it starts", field=rfield)
        count += len(ring)
    return count


def parse_area(obj: Any, field: str = "area") -> BaseGeometry:
    """Parse a GeoJSON Polygon or MultiPolygon into a valid shapely geometry."""
    if not isinstance(obj, dict):
        raise InvalidInput("must be a GeoJSON object", field=field)
    kind = obj.get("type")
    if kind not in AREA_TYPES:
        raise InvalidInput(f"type must be one of {', '.join(AREA_TYPES)}", field=f"{field}.type")
    coords = obj.get("coordinates")
    cfield = f"{field}.coordinates"
    if kind == "Polygon":
        vertices = _check_rings(coords, cfield)
    else:
        if not isinstance(coords, list) or not coords:
            raise InvalidInput("a MultiPolygon needs at least one polygon", field=cfield)
        vertices = sum(_check_rings(poly, f"{cfield}[{i}]") for i, poly in enumerate(coords))
    if vertices > MAX_VERTICES:
        raise InvalidInput(f"too many vertices ({vertices} > {MAX_VERTICES})", field=cfield)
    geom = shapely.geometry.shape({"type": kind, "coordinates": coords})
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        raise InvalidInput(f"polygon is not valid ({reason})", field=field)
    if geom.area <= 0:
        raise InvalidInput("polygon has no area", field=field)
    return geom


def to_geojson(geom: BaseGeometry) -> dict[str, Any]:
    mapping = shapely.geometry.mapping(geom)
    return {"type": mapping["type"], "coordinates": _lists(mapping["coordinates"])}


def _lists(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_lists(v) for v in value]
    return value
