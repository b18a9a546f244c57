"""The local metric frame: accuracy against ellipsoidal distances, exact containment, inverse."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from stadtbote.geo.projection import WGS84_A, WGS84_F, LocalFrame


def vincenty_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Geodesic distance on WGS84 (Vincenty's inverse formula), the reference for the frame."""
    a, f = WGS84_A, WGS84_F
    b = a * (1 - f)
    u1, u2 = (
        math.atan((1 - f) * math.tan(math.radians(lat1))),
        math.atan((1 - f) * math.tan(math.radians(lat2))),
    )
    lam = big_l = math.radians(lon2 - lon1)
    for _ in range(200):
        sin_lam, cos_lam = math.sin(lam), math.cos(lam)
        sin_sigma = math.hypot(
            math.cos(u2) * sin_lam,
            math.cos(u1) * math.sin(u2) - math.sin(u1) * math.cos(u2) * cos_lam,
        )
        if sin_sigma == 0:
            return 0.0
        cos_sigma = math.sin(u1) * math.sin(u2) + math.cos(u1) * math.cos(u2) * cos_lam
        sigma = math.atan2(sin_sigma, cos_sigma)
        sin_alpha = math.cos(u1) * math.cos(u2) * sin_lam / sin_sigma
        cos2_alpha = 1 - sin_alpha**2
        cos_2sm = cos_sigma - 2 * math.sin(u1) * math.sin(u2) / cos2_alpha if cos2_alpha else 0.0
        c = f / 16 * cos2_alpha * (4 + f * (4 - 3 * cos2_alpha))
        prev = lam
        lam = big_l + (1 - c) * f * sin_alpha * (
            sigma + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1 + 2 * cos_2sm**2))
        )
        if abs(lam - prev) < 1e-13:
            break
    u_sq = cos2_alpha * (a * a - b * b) / (b * b)
    big_a = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
    big_b = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
    delta = (
        big_b
        * sin_sigma
        * (
            cos_2sm
            + big_b
            / 4
            * (
                cos_sigma * (-1 + 2 * cos_2sm**2)
                - big_b / 6 * cos_2sm * (-3 + 4 * sin_sigma**2) * (-3 + 4 * cos_2sm**2)
            )
        )
    )
    return b * big_a * (sigma - delta)


def test_the_reference_is_right() -> None:
    # one degree of latitude at 50 N is 111,229 m on WGS84
    assert vincenty_m(49.5, 8.0, 50.5, 8.0) == pytest.approx(111_229.0, abs=2.0)


def test_the_centre_is_the_origin_and_axes_point_east_and_north() -> None:
    frame = LocalFrame(50.1, 8.7)
    x, y = frame.to_xy(np.array([8.7, 8.8, 8.7]), np.array([50.1, 50.1, 50.2]))
    np.testing.assert_allclose(x[0:1], [0.0])
    np.testing.assert_allclose(y[0:1], [0.0])
    assert x[1] > 7000
    assert abs(y[1]) < 1e-9
    assert y[2] > 11000
    assert abs(x[2]) < 1e-9


def pairs_around(
    frame: LocalFrame, half_extent_m: float, n: int, seed: int
) -> tuple[np.ndarray, ...]:
    """Random point pairs 50 m .. 5 km apart within a square of the given half extent."""
    rng = np.random.default_rng(seed)
    x1, y1 = rng.uniform(-half_extent_m, half_extent_m, (2, n))
    angle, length = rng.uniform(0, 2 * np.pi, n), rng.uniform(50, 5000, n)
    x2, y2 = x1 + length * np.cos(angle), y1 + length * np.sin(angle)
    lon1, lat1 = frame.from_xy(x1, y1)
    lon2, lat2 = frame.from_xy(x2, y2)
    return lon1, lat1, lon2, lat2, np.hypot(x2 - x1, y2 - y1)


@pytest.mark.parametrize(
    ("lat0", "half_extent_m", "bound"),
    [(50.0, 5_000, 0.001), (54.5, 5_000, 0.0012), (50.0, 25_000, 0.005), (54.5, 25_000, 0.006)],
)
def test_distances_are_accurate_to_the_documented_bound(
    lat0: float, half_extent_m: float, bound: float
) -> None:
    """A town (+-5 km) below ~0.1 %, a 50 km county at most ~0.5 % (55 N: 0.56 %)."""
    frame = LocalFrame(lat0, 9.0)
    lon1, lat1, lon2, lat2, projected = pairs_around(frame, half_extent_m, 400, seed=int(lat0))
    true = np.array([vincenty_m(*args) for args in zip(lat1, lon1, lat2, lon2, strict=True)])
    error = np.abs(projected / true - 1)
    assert error.max() < bound
    # and never worse than the frame's own east-west scale error at the pair's latitudes
    worst = np.maximum(
        np.abs([frame.scale_error(v) for v in lat1]), np.abs([frame.scale_error(v) for v in lat2])
    )
    assert np.all(error <= worst + 2e-5)


def test_scale_error_follows_tan_lat_times_offset() -> None:
    frame = LocalFrame(50.0, 9.0)
    north_25km = 50.0 + 25_000 / frame.my
    assert frame.scale_error(50.0) == 0.0
    assert frame.scale_error(north_25km) == pytest.approx(0.0047, abs=0.0002)
    assert frame.scale_error(50.0 + 5_000 / frame.my) == pytest.approx(0.00094, abs=0.00005)


def test_containment_is_exactly_that_of_the_lon_lat_polygon() -> None:
    frame = LocalFrame(48.14, 11.58)
    rng = np.random.default_rng(5)
    angles = np.sort(rng.uniform(0, 2 * np.pi, 40))
    radii = rng.uniform(0.01, 0.05, 40)
    polygon_ll = shapely.Polygon(
        np.c_[11.58 + radii * np.cos(angles) * 1.5, 48.14 + radii * np.sin(angles)]
    )
    lon, lat = 11.58 + rng.uniform(-0.08, 0.08, 5000), 48.14 + rng.uniform(-0.06, 0.06, 5000)
    x, y = frame.to_xy(lon, lat)
    inside_ll = shapely.contains_xy(polygon_ll, lon, lat)
    inside_xy = shapely.contains_xy(frame.geometry_to_xy(polygon_ll), x, y)
    assert 500 < inside_ll.sum() < 4500
    np.testing.assert_array_equal(inside_ll, inside_xy)


def test_geometries_and_coordinates_go_back_and_forth() -> None:
    frame = LocalFrame(53.55, 9.99)
    lon, lat = np.array([9.9, 10.1, 9.99]), np.array([53.5, 53.6, 53.55])
    back_lon, back_lat = frame.from_xy(*frame.to_xy(lon, lat))
    np.testing.assert_allclose(back_lon, lon, atol=1e-12)
    np.testing.assert_allclose(back_lat, lat, atol=1e-12)
    polygon = shapely.Polygon([(9.9, 53.5), (10.1, 53.5), (10.0, 53.6)])
    assert shapely.equals_exact(
        frame.geometry_from_xy(frame.geometry_to_xy(polygon)), polygon, 1e-12
    )
    assert frame.geometry_to_xy(polygon).area == pytest.approx(
        0.5 * 0.2 * frame.mx * 0.1 * frame.my
    )


def test_longitudes_wrap_around_the_antimeridian() -> None:
    frame = LocalFrame(-17.7, 179.9)  # Fiji
    x, _ = frame.to_xy(np.array([-179.9]), np.array([-17.7]))
    assert x[0] == pytest.approx(0.2 * frame.mx)
    lon, _ = frame.from_xy(x, np.array([0.0]))
    assert lon[0] == pytest.approx(-179.9)


def test_a_centre_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="out of range"):
        LocalFrame(91.0, 0.0)
