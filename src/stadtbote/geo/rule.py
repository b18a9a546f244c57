"""Who receives a message: the targeting rule, written to be read.

This module is the reference definition. ``fastpath`` computes the same answer for a million
places at once and is tested against this module, never the other way round; when the two
disagree, this one is right.

A subscriber receives a message when BOTH hold:

1. **interest** -- the message shares a topic with the subscriber, OR its severity is at or
   above the subscriber's threshold (``min_severity``, default ``moderate``);
2. **place** -- the message's area meets at least one of the subscriber's places.

What "meets" means, precisely (all coordinates are metres in the tenant's
:class:`~stadtbote.geo.projection.LocalFrame`):

=========================  =====================================================================
area \\ place               point place ``(x, y)`` with radius ``r >= 0``   /  district place ``D``
=========================  =====================================================================
whole town (no area)        always                           /  always
shape (polygon)             ``distance(point, shape) <= r``  /  interiors of D and the shape
                                                                overlap by more than
                                                                :data:`MIN_OVERLAP_M2`, or D is one
                                                                of the districts the message named
circle ``(cx, cy, R)``      ``|point - centre| <= R + r``    /  ``distance(centre, D) < R``
=========================  =====================================================================

Consequences worth knowing:

* A point on the border of a shape is in it (distance 0); ``r = 0`` means the point itself.
  Distances are GEOS's, so a point within rounding error (~1e-12 m) of the border has
  distance 0 too, even where an exact predicate would put it a hair outside.
* Discs of a point place and a circle that touch in a single point meet (``<=``).
* A district that only *touches* a target along a shared border does NOT meet it: a message for
  district A must not reach subscribers of the neighbouring district B. So a district meets an
  area only if the two interiors overlap. For polygons "overlap" is an area above
  :data:`MIN_OVERLAP_M2`, because a target assembled from district outlines (a union, a user's
  polygon snapped to a border) can differ from its neighbour by floating-point slivers of
  1e-9 m^2; no real target overlaps a district by less than a square metre. For a circle the
  test is exact -- the open disc meets the district's interior exactly when the centre is closer
  than ``R`` to the district -- so a circle tangent to a district does not reach it.
* A message addressed to districts by slug is resolved by the caller to a :class:`ShapeArea`
  (the union of those districts) that also remembers their ids, so a subscriber of exactly
  that district always receives it, whatever floating-point unions do to the outline.
* A district place whose district is unknown (deleted) meets only whole-town messages and
  messages naming its id.
* A profile without any place receives nothing, not even whole-town messages: places are what
  a subscription is made of, and the columnar store has no row for a placeless subscriber.

Radii are stored as float32 in the production arrays (0.03 mm resolution at 500 m); the rule
takes them as given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeAlias

import shapely
from shapely.geometry.base import BaseGeometry

from stadtbote.core.severity import DEFAULT_THRESHOLD, Severity

#: Polygon overlaps up to this area (m^2) are floating-point slivers, not an overlap.
MIN_OVERLAP_M2 = 1.0

_AREA_TYPES = ("Polygon", "MultiPolygon")


def _check_radius(value: float, what: str) -> None:
    if not value >= 0.0 or value == float("inf"):
        raise ValueError(f"{what} must be a finite number >= 0, got {value!r}")


# -- places and profiles ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PointPlace:
    """A point (metres) and how far around it the subscriber cares about."""

    x: float
    y: float
    radius_m: float = 0.0

    def __post_init__(self) -> None:
        _check_radius(self.radius_m, "radius_m")


@dataclass(frozen=True, slots=True)
class DistrictPlace:
    """A whole district of the municipality."""

    district_id: int


Place: TypeAlias = PointPlace | DistrictPlace


@dataclass(frozen=True, slots=True)
class Profile:
    """What the rule needs to know about one subscriber."""

    places: tuple[Place, ...]
    topics: frozenset[str] = frozenset()
    min_severity: Severity = DEFAULT_THRESHOLD


# -- target areas and targets ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WholeTown:
    """No area given: the whole municipality."""


@dataclass(frozen=True, slots=True)
class ShapeArea:
    """A polygon or multipolygon in metres, optionally naming the districts it was made of."""

    geom: BaseGeometry
    district_ids: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if self.geom.geom_type not in _AREA_TYPES:
            raise ValueError(
                f"a target shape must be a Polygon or MultiPolygon, got {self.geom.geom_type}"
            )

    @classmethod
    def of_districts(cls, ids: Iterable[int], districts: Districts) -> ShapeArea:
        """The area of a message addressed to districts (the caller resolved the slugs)."""
        wanted = frozenset(ids)
        unknown = wanted - districts.keys()
        if unknown:
            raise KeyError(f"unknown district ids {sorted(unknown)}")
        union = shapely.union_all([districts[i] for i in sorted(wanted)])
        if union.geom_type not in _AREA_TYPES:
            # an empty union, or a collection left over from degenerate inputs
            union = shapely.MultiPolygon(
                [g for g in shapely.get_parts(union) if g.geom_type == "Polygon"]
            )
        return cls(union, wanted)


@dataclass(frozen=True, slots=True)
class CircleArea:
    """A circle in metres: centre and radius."""

    x: float
    y: float
    radius_m: float

    def __post_init__(self) -> None:
        _check_radius(self.radius_m, "radius_m")


Area: TypeAlias = WholeTown | ShapeArea | CircleArea
#: district id -> district outline in metres
Districts: TypeAlias = Mapping[int, BaseGeometry]


@dataclass(frozen=True, slots=True)
class Target:
    """What the rule needs to know about one message."""

    severity: Severity
    topics: frozenset[str] = frozenset()
    area: Area = WholeTown()


# -- the rule --------------------------------------------------------------------------------


def interested(target: Target, profile: Profile) -> bool:
    """A shared topic, or a severity at or above the subscriber's threshold."""
    return bool(target.topics & profile.topics) or target.severity >= profile.min_severity


def district_overlaps(area: ShapeArea | CircleArea, district: BaseGeometry) -> bool:
    """Do the interiors of a target area and a district overlap (see the module doc)?

    The district's own id in ``area.district_ids`` is not considered here; see
    :func:`place_matches`.
    """
    if isinstance(area, CircleArea):
        centre = shapely.Point(area.x, area.y)
        return bool(shapely.distance(centre, district) < area.radius_m)
    if not shapely.intersects(area.geom, district):
        return False
    return bool(shapely.area(shapely.intersection(area.geom, district)) > MIN_OVERLAP_M2)


def place_matches(area: Area, place: Place, districts: Districts) -> bool:
    """Does the message area meet this one place of a subscriber?"""
    if isinstance(area, WholeTown):
        return True
    if isinstance(place, PointPlace):
        if isinstance(area, CircleArea):
            # Squared form on purpose: the same float operations as the vectorised path.
            dx, dy = place.x - area.x, place.y - area.y
            reach = area.radius_m + place.radius_m
            return dx * dx + dy * dy <= reach * reach
        point = shapely.Point(place.x, place.y)
        return bool(shapely.distance(point, area.geom) <= place.radius_m)
    if isinstance(area, ShapeArea) and place.district_id in area.district_ids:
        return True
    district = districts.get(place.district_id)
    return district is not None and district_overlaps(area, district)


def matching_district_ids(area: ShapeArea | CircleArea, districts: Districts) -> frozenset[int]:
    """All districts whose subscribers an area reaches (named ones included)."""
    named = area.district_ids if isinstance(area, ShapeArea) else frozenset()
    return named | {i for i, geom in districts.items() if district_overlaps(area, geom)}


def receives(target: Target, profile: Profile, districts: Districts) -> bool:
    """THE rule: is this subscriber interested, and does the area meet one of their places?"""
    return interested(target, profile) and any(
        place_matches(target.area, place, districts) for place in profile.places
    )
