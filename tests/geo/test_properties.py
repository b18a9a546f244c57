"""Property tests: the fast path agrees with the rule, and the rule behaves monotonically.

Derandomised, so that CI sees the same examples on every run.
"""

from __future__ import annotations

import random
from unittest import mock

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stadtbote.core.severity import Severity
from stadtbote.geo import fastpath, rule
from tests.geo.support import TOPIC_BITS, TOPICS, expected, square_districts, to_arrays

DISTRICTS = square_districts()  # 3 x 3 squares of 400 m, ids 10..18
BOX = (-300, 1500)  # the districts plus a margin

SETTINGS = settings(
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Integers on purpose among the floats: they land on borders, vertices and exact ties. Floats
# are kept to micrometres: 1e-300 m is not a coordinate, and GEOS warns about it.
coord = st.one_of(st.integers(*BOX).map(float), st.floats(*BOX).map(lambda v: round(v, 6)))
# Radii are float32 in the production arrays, so the rule sees float32 values too.
radius = st.one_of(st.just(0.0), st.integers(0, 500).map(float), st.floats(0, 500, width=32))
topics = st.frozensets(st.sampled_from(TOPICS), max_size=3)
severity = st.sampled_from(list(Severity))

point_place = st.builds(rule.PointPlace, coord, coord, radius)
district_place = st.builds(rule.DistrictPlace, st.sampled_from([*DISTRICTS, 99]))
profile = st.builds(
    rule.Profile,
    st.lists(st.one_of(point_place, point_place, district_place), max_size=3).map(tuple),
    topics,
    severity,
)
profiles = st.lists(profile, max_size=12)


@st.composite
def polygon(draw: st.DrawFn) -> shapely.Polygon:
    if draw(st.booleans()):
        points = draw(st.lists(st.tuples(coord, coord), min_size=3, max_size=8))
        hull = shapely.convex_hull(shapely.MultiPoint(points))
        if hull.geom_type == "Polygon" and hull.area > 1.0:
            return hull
    centre = shapely.Point(draw(coord), draw(coord))
    return centre.buffer(draw(st.integers(1, 600)), quad_segs=draw(st.integers(1, 8)))


AREA_KINDS = ("town", "circle", "shape", "multi", "districts")


@st.composite
def area(draw: st.DrawFn, kinds: tuple[str, ...] = AREA_KINDS) -> rule.Area:
    kind = draw(st.sampled_from(kinds))
    if kind == "town":
        return rule.WholeTown()
    if kind == "circle":
        return rule.CircleArea(draw(coord), draw(coord), draw(st.integers(0, 800).map(float)))
    if kind == "districts":
        ids = draw(st.sets(st.sampled_from(list(DISTRICTS)), min_size=1, max_size=4))
        return rule.ShapeArea.of_districts(ids, DISTRICTS)
    geom = draw(polygon())
    if kind == "multi":
        geom = shapely.union_all([geom, draw(polygon())])
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            return rule.ShapeArea(draw(polygon()))
    return rule.ShapeArea(geom)


target = st.builds(rule.Target, severity, topics, area())


def fast(
    target: rule.Target, arrays: fastpath.PlaceArrays, max_radius_m: float = 500.0
) -> np.ndarray:
    compiled = fastpath.compile_target(target, DISTRICTS, TOPIC_BITS, max_radius_m=max_radius_m)
    return fastpath.match(arrays, compiled)


# -- (a) the fast path is the rule --------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "border"),
    [
        ("town", "exact"),
        ("circle", "exact"),
        ("districts", "exact"),
        ("shape", "exact"),
        ("multi", "exact"),
        ("shape", "simplified"),
        ("multi", "simplified"),
    ],
)
@settings(SETTINGS, max_examples=120)
@given(
    data=st.data(),
    profiles=profiles,
    max_radius_m=st.sampled_from([500.0, 120.0, 0.0]),
    order=st.randoms(use_true_random=False),
)
def test_the_fast_path_selects_exactly_whom_the_rule_selects(
    kind: str,
    border: str,
    data: st.DataObject,
    profiles: list[rule.Profile],
    max_radius_m: float,
    order: random.Random,
) -> None:
    target = data.draw(st.builds(rule.Target, severity, topics, area((kind,))), label="target")
    ids = list(range(0, 3 * len(profiles), 3))
    order.shuffle(ids)  # subscriber ids in no particular order
    arrays = to_arrays(profiles, ids)
    # "simplified" forces the path for borders of many vertices on these small polygons
    limit = 1024 if border == "exact" else 3
    with mock.patch.object(fastpath, "_BORDER_SEGMENTS", limit):
        got = fast(target, arrays, max_radius_m)
    np.testing.assert_array_equal(got, expected(target, profiles, DISTRICTS, ids))


# -- (b), (c) more urgency or more topics never lose a recipient --------------------------------


@settings(SETTINGS, max_examples=60)
@given(target=target, profiles=profiles, raise_by=st.integers(1, 4))
def test_raising_the_severity_never_removes_a_recipient(
    target: rule.Target, profiles: list[rule.Profile], raise_by: int
) -> None:
    higher = rule.Target(
        Severity(min(int(target.severity) + raise_by, Severity.EXTREME)), target.topics, target.area
    )
    arrays = to_arrays(profiles)
    assert set(fast(target, arrays)) <= set(fast(higher, arrays))
    for p in profiles:
        assert rule.receives(higher, p, DISTRICTS) or not rule.receives(target, p, DISTRICTS)


@settings(SETTINGS, max_examples=60)
@given(target=target, profiles=profiles, extra=st.sampled_from(TOPICS))
def test_adding_a_topic_to_the_message_never_removes_a_recipient(
    target: rule.Target, profiles: list[rule.Profile], extra: str
) -> None:
    wider = rule.Target(target.severity, target.topics | {extra}, target.area)
    arrays = to_arrays(profiles)
    assert set(fast(target, arrays)) <= set(fast(wider, arrays))
    for p in profiles:
        assert rule.receives(wider, p, DISTRICTS) or not rule.receives(target, p, DISTRICTS)


# -- (d) the whole town is everyone who is interested -------------------------------------------


@SETTINGS
@given(severity=severity, topics=topics, profiles=profiles)
def test_a_whole_town_message_reaches_exactly_the_interested_subscribers(
    severity: Severity, topics: frozenset[str], profiles: list[rule.Profile]
) -> None:
    target = rule.Target(severity, topics, rule.WholeTown())
    want = [i for i, p in enumerate(profiles) if p.places and rule.interested(target, p)]
    np.testing.assert_array_equal(fast(target, to_arrays(profiles)), want)
