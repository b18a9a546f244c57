"""The targeting rule, case by case (the reference the fast path is tested against)."""

from __future__ import annotations

import pytest
import shapely

from stadtbote.core.severity import Severity
from stadtbote.geo.rule import (
    MIN_OVERLAP_M2,
    CircleArea,
    DistrictPlace,
    PointPlace,
    Profile,
    ShapeArea,
    Target,
    WholeTown,
    interested,
    matching_district_ids,
    place_matches,
    receives,
)
from tests.geo.support import square_districts

# 3 x 3 districts of 400 m: 10 11 12 along the bottom row, 13 14 15, 16 17 18 on top.
DISTRICTS = square_districts()
SQUARE = ShapeArea(shapely.box(0, 0, 100, 100))


def everyone(*places: PointPlace | DistrictPlace) -> Profile:
    """A profile interested in everything, so that only the place decides."""
    return Profile(places=places, min_severity=Severity.INFO)


def severe(area: ShapeArea | CircleArea | WholeTown) -> Target:
    return Target(Severity.SEVERE, area=area)


# -- interest -----------------------------------------------------------------------------------


def test_a_topic_match_reaches_a_subscriber_below_the_severity_threshold() -> None:
    profile = Profile((PointPlace(0, 0),), frozenset({"water"}), Severity.EXTREME)
    assert interested(Target(Severity.INFO, frozenset({"water", "roads"})), profile)


def test_a_severity_at_the_threshold_is_enough() -> None:
    profile = Profile((PointPlace(0, 0),), min_severity=Severity.SEVERE)
    assert interested(Target(Severity.SEVERE), profile)
    assert interested(Target(Severity.EXTREME), profile)


def test_below_the_threshold_and_without_a_shared_topic_is_not_enough() -> None:
    profile = Profile((PointPlace(0, 0),), frozenset({"water"}), Severity.SEVERE)
    assert not interested(Target(Severity.MODERATE, frozenset({"roads"})), profile)


def test_the_default_threshold_is_moderate() -> None:
    profile = Profile((PointPlace(0, 0),))
    assert interested(Target(Severity.MODERATE), profile)
    assert not interested(Target(Severity.MINOR), profile)


def test_an_uninterested_subscriber_receives_nothing_even_inside_the_area() -> None:
    profile = Profile((PointPlace(50, 50),), min_severity=Severity.EXTREME)
    assert not receives(Target(Severity.SEVERE, area=SQUARE), profile, DISTRICTS)


# -- whole town ---------------------------------------------------------------------------------


def test_a_whole_town_message_reaches_every_place() -> None:
    far_away = PointPlace(1e6, -1e6)
    unknown_district = DistrictPlace(999)
    for place in (far_away, unknown_district, DistrictPlace(14)):
        assert place_matches(WholeTown(), place, DISTRICTS)


def test_a_target_without_area_means_the_whole_town() -> None:
    assert Target(Severity.INFO).area == WholeTown()


def test_a_profile_without_places_receives_nothing() -> None:
    assert not receives(severe(WholeTown()), everyone(), DISTRICTS)


# -- point places and shapes --------------------------------------------------------------------


def test_a_point_inside_the_shape_receives_it() -> None:
    assert receives(severe(SQUARE), everyone(PointPlace(50, 50)), DISTRICTS)


def test_a_point_on_the_border_of_the_shape_receives_it() -> None:
    for x, y in [(0, 50), (100, 100), (37.5, 0)]:
        assert place_matches(SQUARE, PointPlace(x, y), DISTRICTS)


def test_radius_zero_means_the_point_itself() -> None:
    assert not place_matches(SQUARE, PointPlace(100.001, 50), DISTRICTS)


def test_a_point_outside_receives_it_when_its_radius_reaches_exactly_to_the_shape() -> None:
    assert place_matches(SQUARE, PointPlace(130, 50, radius_m=30), DISTRICTS)
    assert place_matches(SQUARE, PointPlace(103, 104, radius_m=5), DISTRICTS)  # to the corner


def test_a_point_whose_radius_falls_short_of_the_shape_does_not() -> None:
    assert not place_matches(SQUARE, PointPlace(130, 50, radius_m=29.99), DISTRICTS)
    assert not place_matches(SQUARE, PointPlace(103, 104, radius_m=4.99), DISTRICTS)


def test_a_point_in_a_hole_of_the_shape_is_outside_it() -> None:
    ring = ShapeArea(shapely.box(0, 0, 100, 100).difference(shapely.box(40, 40, 60, 60)))
    assert not place_matches(ring, PointPlace(50, 50), DISTRICTS)
    assert place_matches(ring, PointPlace(50, 50, radius_m=10), DISTRICTS)


def test_one_matching_place_of_several_is_enough() -> None:
    profile = everyone(PointPlace(5000, 5000), DistrictPlace(999), PointPlace(10, 10))
    assert receives(severe(SQUARE), profile, DISTRICTS)


# -- point places and circles -------------------------------------------------------------------


def test_a_circle_reaches_a_point_place_whose_disc_touches_it() -> None:
    circle = CircleArea(0, 0, radius_m=300)
    assert place_matches(circle, PointPlace(300, 400, radius_m=200), DISTRICTS)  # 500 = 300 + 200
    assert place_matches(circle, PointPlace(300, 0), DISTRICTS)


def test_a_circle_misses_a_point_place_whose_disc_stays_apart() -> None:
    circle = CircleArea(0, 0, radius_m=300)
    assert not place_matches(circle, PointPlace(300, 400, radius_m=199.9), DISTRICTS)


# -- district places ----------------------------------------------------------------------------


def test_a_district_that_only_touches_the_target_does_not_receive_it() -> None:
    # the shape is district 10 exactly; 11 (east), 13 (north) and 14 (corner) touch it
    target = ShapeArea(shapely.box(0, 0, 400, 400))
    assert place_matches(target, DistrictPlace(10), DISTRICTS)
    for neighbour in (11, 13, 14):
        assert not place_matches(target, DistrictPlace(neighbour), DISTRICTS)


def test_a_district_overlapping_the_target_receives_it() -> None:
    target = ShapeArea(shapely.box(390, 390, 410, 410))  # 10 x 10 m in each of 10, 11, 13, 14
    assert matching_district_ids(target, DISTRICTS) == {10, 11, 13, 14}


def test_a_sliver_overlap_below_one_square_metre_does_not_count() -> None:
    sliver = ShapeArea(shapely.box(0, 0, 400.001, 400))  # 0.4 m^2 into district 11
    assert shapely.area(sliver.geom.intersection(DISTRICTS[11])) < MIN_OVERLAP_M2
    assert not place_matches(sliver, DistrictPlace(11), DISTRICTS)
    assert place_matches(ShapeArea(shapely.box(0, 0, 401, 400)), DistrictPlace(11), DISTRICTS)


def test_a_message_for_a_district_reaches_its_subscribers_and_not_its_neighbours() -> None:
    area = ShapeArea.of_districts([14], DISTRICTS)
    assert area.district_ids == {14}
    assert matching_district_ids(area, DISTRICTS) == {14}
    assert receives(severe(area), everyone(DistrictPlace(14)), DISTRICTS)
    assert not receives(severe(area), everyone(DistrictPlace(15)), DISTRICTS)
    assert receives(severe(area), everyone(PointPlace(401, 401)), DISTRICTS)


def test_a_message_for_two_districts_reaches_both_and_only_both() -> None:
    area = ShapeArea.of_districts([10, 11], DISTRICTS)
    assert area.geom.area == pytest.approx(2 * 400 * 400)
    assert matching_district_ids(area, DISTRICTS) == {10, 11}


def test_a_named_district_is_reached_even_if_its_outline_is_unknown() -> None:
    area = ShapeArea(shapely.box(0, 0, 10, 10), district_ids=frozenset({77}))
    assert place_matches(area, DistrictPlace(77), DISTRICTS)


def test_a_district_place_of_an_unknown_district_is_reached_only_by_whole_town_messages() -> None:
    assert not place_matches(
        ShapeArea(shapely.box(-1e5, -1e5, 1e5, 1e5)), DistrictPlace(999), DISTRICTS
    )
    assert not place_matches(CircleArea(0, 0, 1e5), DistrictPlace(999), DISTRICTS)
    assert place_matches(WholeTown(), DistrictPlace(999), DISTRICTS)


def test_a_circle_tangent_to_a_district_does_not_reach_it() -> None:
    tangent = CircleArea(600, 200, radius_m=200)  # inside 11, touching 10 along x = 400
    assert not place_matches(tangent, DistrictPlace(10), DISTRICTS)
    assert place_matches(tangent, DistrictPlace(11), DISTRICTS)
    assert place_matches(CircleArea(600, 200, radius_m=200.5), DistrictPlace(10), DISTRICTS)


def test_a_circle_of_radius_zero_reaches_no_district() -> None:
    assert matching_district_ids(CircleArea(200, 200, 0), DISTRICTS) == frozenset()


# -- validation ---------------------------------------------------------------------------------


def test_a_target_shape_must_be_a_polygon() -> None:
    with pytest.raises(ValueError, match="Polygon"):
        ShapeArea(shapely.LineString([(0, 0), (1, 1)]))


@pytest.mark.parametrize("radius", [-1.0, float("nan"), float("inf")])
def test_a_radius_must_be_finite_and_not_negative(radius: float) -> None:
    with pytest.raises(ValueError, match="radius"):
        PointPlace(0, 0, radius)
    with pytest.raises(ValueError, match="radius"):
        CircleArea(0, 0, radius)


def test_unknown_district_ids_cannot_be_resolved() -> None:
    with pytest.raises(KeyError):
        ShapeArea.of_districts([10, 404], DISTRICTS)
