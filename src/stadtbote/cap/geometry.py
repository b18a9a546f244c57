"""The shape of a CAP area as a shapely geometry in (lon, lat), for matching warnings to towns.

An area is the union of its polygons and circles (CAP 1.2, section 3.2.4); geocodes say where
too but have no shape here. The DWD's EXCLUDE_POLYGON geocodes are subtracted wherever they
appear, not only in alerts from the DWD's own sender: warnung.bund.de relays DWD warnings under
identifiers of its own, and no other profile uses that name for anything else.
"""

from __future__ import annotations

import math

import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from stadtbote.cap.alert import Area, Circle, Info
from stadtbote.cap.dwd import excluded_polygons

# The mean Earth radius (IUGG). Distances on this sphere are within about 0.5 % of those on
# the ellipsoid, which targeting by town does not notice.
EARTH_RADIUS_KM = 6371.0088
# Vertices per circle: the inscribed polygon then keeps 99.8 % of the circle's area.
CIRCLE_SEGMENTS = 64


def area_geometry(area: Area) -> BaseGeometry | None:
    """The area's polygons and circles minus its exclusions; None when that leaves nothing with
    an area, as for an area described by geocodes only."""
    shapes = [ring_polygon(ring) for ring in area.polygons]
    # A zero radius marks a point: nothing a citizen's place could lie inside.
    shapes += [circle_polygon(circle) for circle in area.circles if circle.radius_km > 0]
    if not shapes:
        return None
    shape = shapely.union_all(shapes)
    holes = [ring_polygon(ring) for ring in excluded_polygons(area)]
    if holes:
        shape = shapely.difference(shape, shapely.union_all(holes))
    shape = _polygonal(shape)
    return None if shape.is_empty else shape


def info_geometry(info: Info) -> BaseGeometry | None:
    """Where the info warns: the union of its areas' geometries; None when no area has a
    polygon or circle, so the caller falls back to geocodes."""
    shapes = [shape for area in info.areas if (shape := area_geometry(area)) is not None]
    if not shapes:
        return None
    return shapely.union_all(shapes)


def ring_polygon(ring: list[tuple[float, float]]) -> BaseGeometry:
    """A ring of (lon, lat) as a valid polygonal geometry. Senders do draw self-intersecting
    outlines ("bow ties"); repairing them keeps the union from failing on the whole warning."""
    polygon = Polygon(ring)
    return polygon if polygon.is_valid else _polygonal(shapely.make_valid(polygon))


def circle_polygon(circle: Circle, segments: int = CIRCLE_SEGMENTS) -> Polygon:
    """The circle as a polygon of points at ``radius_km`` great-circle distance from the centre.

    The destination-point formula on a sphere keeps every vertex at the true distance however
    far north the circle lies, which a buffer in degrees would not. Circles across a pole or
    the antimeridian are beyond what a German town receives and are not handled.
    """
    lat1, lon1 = math.radians(circle.lat), math.radians(circle.lon)
    angular = circle.radius_km / EARTH_RADIUS_KM
    ring = []
    for step in range(segments):
        bearing = 2 * math.pi * step / segments
        lat2 = math.asin(
            math.sin(lat1) * math.cos(angular)
            + math.cos(lat1) * math.sin(angular) * math.cos(bearing)
        )
        lon2 = lon1 + math.atan2(
            math.sin(bearing) * math.sin(angular) * math.cos(lat1),
            math.cos(angular) - math.sin(lat1) * math.sin(lat2),
        )
        ring.append((math.degrees(lon2), math.degrees(lat2)))
    return Polygon(ring)


def _polygonal(shape: BaseGeometry) -> BaseGeometry:
    """Only the parts with an area: repairs and differences may leave lines and points."""
    if shape.geom_type in ("Polygon", "MultiPolygon"):
        return shape
    parts = [
        part
        for part in shapely.get_parts(shape)
        if part.geom_type in ("Polygon", "MultiPolygon") and not part.is_empty
    ]
    return shapely.union_all(parts) if parts else Polygon()
