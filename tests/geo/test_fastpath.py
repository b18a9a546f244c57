"""The fast path on larger, fixed data sets and at its edges."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from stadtbote.core.severity import Severity
from stadtbote.geo import fastpath, rule
from stadtbote.geo.blocks import NO_DISTRICT, PlaceArrays, concat
from tests.geo.support import TOPIC_BITS, expected, square_districts, to_arrays

DISTRICTS = square_districts(n=4, size=1000.0)  # ids 10..25 over 4 x 4 km


def star(
    vertices: int, seed: int, cx: float = 2000, cy: float = 2000, size: float = 1200
) -> shapely.Polygon:
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    r = (
        size
        * (1 + 0.3 * np.sin(5 * t) + 0.05 * np.sin(23 * t))
        * (1 + 0.02 * rng.standard_normal(vertices))
    )
    return shapely.Polygon(np.c_[cx + r * np.cos(t), cy + r * np.sin(t)])


def random_places(n: int, seed: int, with_edges_of: shapely.Polygon | None = None) -> PlaceArrays:
    """Point places over the districts and around, all interested, ids sorted."""
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(-700, 4700, n), rng.uniform(-700, 4700, n)
    if with_edges_of is not None:  # a share of points on and next to the border
        border = shapely.get_exterior_ring(with_edges_of)
        on = shapely.line_interpolate_point(border, rng.uniform(0, border.length, n // 5))
        x[: n // 5], y[: n // 5] = shapely.get_x(on), shapely.get_y(on)
    radius = np.where(rng.random(n) < 0.3, 0, rng.integers(0, 501, n)).astype(np.float32)
    return PlaceArrays(
        subscriber_id=np.arange(n, dtype=np.int64),
        x=x,
        y=y,
        radius=radius,
        district_id=np.full(n, NO_DISTRICT, dtype=np.int32),
        topic_mask=np.zeros(n, dtype=np.uint64),
        min_severity=np.zeros(n, dtype=np.int8),
    )


def reference(arrays: PlaceArrays, area: rule.Area) -> np.ndarray:
    """The rule, place by place (all places here are interested point places)."""
    hits = [
        rule.place_matches(area, rule.PointPlace(float(x), float(y), float(r)), DISTRICTS)
        for x, y, r in zip(arrays.x, arrays.y, arrays.radius, strict=True)
    ]
    return arrays.subscriber_id[np.array(hits, dtype=bool)]


def run(arrays: PlaceArrays, area: rule.Area, **kw: float) -> np.ndarray:
    compiled = fastpath.compile_masked(Severity.EXTREME, 0, area, DISTRICTS, **kw)
    return fastpath.match(arrays, compiled)


@pytest.mark.parametrize(
    ("shape", "seed"),
    [
        (star(200, 1), 11),
        (star(3000, 2), 12),  # a border of many vertices: simplified bounds
        (star(300, 3).difference(star(60, 4, size=300)), 13),  # a hole
        (shapely.union_all([star(80, 5, 800, 800, 500), star(80, 6, 3300, 3000, 600)]), 14),
        (shapely.box(1999.5, 1999.5, 2000.5, 2000.5), 15),  # much smaller than the radii
    ],
    ids=["star200", "star3000", "with-hole", "multipolygon", "one-square-metre"],
)
def test_a_polygon_target_selects_exactly_the_reference_points(
    shape: shapely.Polygon, seed: int
) -> None:
    arrays = random_places(20_000, seed, with_edges_of=shapely.get_parts(shape)[0])
    area = rule.ShapeArea(shape)
    np.testing.assert_array_equal(run(arrays, area), reference(arrays, area))


def test_radii_beyond_the_compiled_maximum_are_still_exact() -> None:
    arrays = random_places(5_000, 21)
    area = rule.ShapeArea(star(120, 22))
    np.testing.assert_array_equal(run(arrays, area, max_radius_m=50.0), reference(arrays, area))


def test_a_circle_target_selects_exactly_the_reference_points() -> None:
    arrays = random_places(20_000, 31)
    area = rule.CircleArea(1500.0, 2500.0, 900.0)
    np.testing.assert_array_equal(run(arrays, area), reference(arrays, area))


def test_point_places_whose_disc_touches_the_circle_are_reached() -> None:
    # 3-4-5 triangles: exact ties, decided like the rule (<=)
    rows = [(0, 300.0, 400.0, 200.0), (1, 0.0, -500.0, 0.0), (2, -300.0, -400.0, 199.0)]
    arrays = PlaceArrays.from_rows([(i, x, y, r, NO_DISTRICT, 0, 0) for i, x, y, r in rows])
    area = rule.CircleArea(0.0, 0.0, 300.0)
    np.testing.assert_array_equal(run(arrays, rule.CircleArea(0.0, 0.0, 500.0)), [0, 1, 2])
    np.testing.assert_array_equal(run(arrays, area), [0])
    np.testing.assert_array_equal(reference(arrays, area), [0])


def test_district_places_are_matched_by_interior_overlap() -> None:
    rows = [(1, 0.0, 0.0, 0.0, d, 0, 0) for d in (10, 11, 14, 15)]
    arrays = PlaceArrays.from_rows([(i, *row[1:]) for i, row in enumerate(rows)])
    # district 10 exactly: 11 and 14 touch it along a border, 15 at a corner
    area = rule.ShapeArea.of_districts([10], DISTRICTS)
    np.testing.assert_array_equal(run(arrays, area), [0])
    np.testing.assert_array_equal(run(arrays, rule.CircleArea(1500, 500, 500)), [1])


def test_each_subscriber_appears_once_and_in_order_whatever_the_row_order() -> None:
    profile = rule.Profile(
        (rule.PointPlace(10, 10), rule.DistrictPlace(10), rule.PointPlace(20, 20, 5)),
        min_severity=Severity.INFO,
    )
    profiles = [profile] * 4
    arrays = to_arrays(profiles, [7, 3, 9, 1])
    target = rule.Target(Severity.INFO, area=rule.ShapeArea(shapely.box(0, 0, 100, 100)))
    compiled = fastpath.compile_target(target, DISTRICTS, TOPIC_BITS)
    np.testing.assert_array_equal(fastpath.match(arrays, compiled), [1, 3, 7, 9])
    np.testing.assert_array_equal(fastpath.match(concat([arrays, arrays]), compiled), [1, 3, 7, 9])


def test_interest_uses_the_topic_bits_and_the_severity() -> None:
    arrays = PlaceArrays.from_rows(
        [
            (1, 0, 0, 0, NO_DISTRICT, 0b0001, Severity.EXTREME),  # roads, only extreme
            (2, 0, 0, 0, NO_DISTRICT, 0b0010, Severity.EXTREME),  # water, only extreme
            (3, 0, 0, 0, NO_DISTRICT, 0, Severity.MINOR),
            (4, 0, 0, 0, NO_DISTRICT, 1 << 63, Severity.EXTREME),  # the 64th topic
        ]
    )
    bits = {"roads": 0, "water": 1, "last": 63}

    def recipients(severity: Severity, *topics: str) -> list[int]:
        target = rule.Target(severity, frozenset(topics))
        return fastpath.match(arrays, fastpath.compile_target(target, {}, bits)).tolist()

    assert recipients(Severity.MINOR, "roads") == [1, 3]
    assert recipients(Severity.INFO, "water", "last") == [2, 4]
    assert recipients(Severity.INFO, "unknown-topic") == []
    assert recipients(Severity.EXTREME) == [1, 2, 3, 4]


def test_a_topic_bit_beyond_64_is_refused() -> None:
    with pytest.raises(ValueError, match="64"):
        fastpath.topic_mask({"x"}, {"x": 64})
    with pytest.raises(ValueError, match="64"):
        fastpath.compile_masked(Severity.INFO, 1 << 64, rule.WholeTown(), {})


def test_no_places_match_nothing() -> None:
    for area in (
        rule.WholeTown(),
        rule.CircleArea(0, 0, 10),
        rule.ShapeArea(shapely.box(0, 0, 1, 1)),
    ):
        compiled = fastpath.compile_masked(Severity.EXTREME, 0, area, DISTRICTS)
        result = fastpath.match(PlaceArrays.empty(), compiled)
        assert result.dtype == np.int64
        assert len(result) == 0


def test_an_empty_shape_reaches_only_the_districts_it_names() -> None:
    profiles = [
        rule.Profile((rule.PointPlace(0, 0, 500),), min_severity=Severity.INFO),
        rule.Profile((rule.DistrictPlace(12),), min_severity=Severity.INFO),
    ]
    area = rule.ShapeArea(shapely.MultiPolygon(), district_ids=frozenset({12}))
    target = rule.Target(Severity.INFO, area=area)
    compiled = fastpath.compile_target(target, DISTRICTS, TOPIC_BITS)
    np.testing.assert_array_equal(fastpath.match(to_arrays(profiles), compiled), [1])
    np.testing.assert_array_equal(expected(target, profiles, DISTRICTS), [1])
