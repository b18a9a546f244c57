"""The DWD profile (warn cells, groups, colours, exclusions) and the shapes of CAP areas."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest
import shapely
from shapely.geometry import Point, Polygon

from stadtbote.cap import dwd, geometry, reader
from stadtbote.cap.alert import Alert, Area, Circle, Info

DATA = Path(__file__).parent / "data"
LIPPSTADT = Point(8.345, 51.673)
# Between the Eifel region and the Cologne-Bergisches Land region of alert_2.
BETWEEN_REGIONS = [Point(6.78, 50.87), Point(8.04, 51.2)]


def read(path: str) -> Alert:
    return reader.read((DATA / path).read_bytes())


def info(*codes: tuple[str, str], areas: list[Area] | None = None) -> Info:
    return Info(
        language="de-DE",
        categories=["Met"],
        event="STURMBÖEN",
        urgency="Immediate",
        severity="Moderate",
        certainty="Likely",
        event_codes=list(codes),
        areas=areas or [],
    )


def box(lon: float, lat: float, size: float = 0.1) -> list[tuple[float, float]]:
    return [
        (lon, lat),
        (lon + size, lat),
        (lon + size, lat + size),
        (lon, lat + size),
        (lon, lat),
    ]


@pytest.fixture(scope="module")
def glaze() -> Info:
    return read("dwd/alert_1.xml").infos[0]


@pytest.fixture(scope="module")
def snow() -> Info:
    return read("dwd/alert_2_discjunct_regions.xml").infos[0]


# The profile


@pytest.mark.parametrize("path", sorted((DATA / "dwd").glob("*.xml")), ids=lambda p: p.name)
def test_every_dwd_sample_is_recognised_as_dwd_profile_2_1(path):
    alert = reader.read(path.read_bytes())
    assert dwd.is_dwd(alert)
    assert dwd.profile_version(alert.infos[0]) == "2.1"


@pytest.mark.parametrize(
    ("sender", "identifier", "expected"),
    [
        ("opendata@dwd.de", "2.49.0.0.276.0.DWD.PVW.1.a", True),
        ("nina@bbk.bund.de", "dwdmap.2.49.0.0.276.0.DWD.PVW.1.a", True),
        ("nina@bbk.bund.de", "dwd.2.49.0.1.276.0.DWD.PVW.1.a.DEU", True),
        ("opendata@mowas.bund.de", "mow.DE-NW-SO-SE045-20261127-45-000", False),
        ("someone@notdwd.de.example", "x.276.0.DWDX.1", False),
    ],
)
def test_a_dwd_warning_is_recognised_by_sender_or_identifier(sender, identifier, expected):
    alert = replace(read("mowas/fire_alert.xml"), sender=sender, identifier=identifier)
    assert dwd.is_dwd(alert) is expected


def test_a_mowas_alert_is_not_taken_for_the_dwd():
    assert not dwd.is_dwd(read("mowas/fire_alert.xml"))


def test_lippstadts_warn_cell_is_among_the_areas_of_the_glaze_warning(glaze):
    cells = [cell for area in glaze.areas for cell in dwd.warn_cells(area)]
    assert "805974028" in cells
    assert len(cells) == len(set(cells)) == 819


def test_the_glaze_warning_has_two_groups_its_colour_and_type_code(glaze):
    assert dwd.group(glaze) == ["GLAZE", "FROST"]
    assert dwd.area_color(glaze) == "#ffff00"
    assert dwd.ii(glaze) == 84


def test_the_snow_warning_is_orange_and_of_type_71(snow):
    assert dwd.group(snow) == ["SNOWFALL"]
    assert dwd.area_color(snow) == "#ff9900"
    assert dwd.ii(snow) == 71


@pytest.mark.parametrize("value", ["255 255", "256 0 0", "orange", "#ff9900", ""])
def test_an_unreadable_area_colour_is_none(value):
    assert dwd.area_color(info(("AREA_COLOR", value))) is None


def test_a_warning_without_dwd_codes_has_none_of_them():
    plain = info()
    assert (dwd.group(plain), dwd.area_color(plain), dwd.ii(plain)) == ([], None, None)
    assert dwd.profile_version(plain) is None
    assert dwd.ii(info(("II", "vierundachtzig"))) is None


def test_exclude_polygons_are_read_as_closed_lon_lat_rings(glaze):
    event_area = glaze.areas[0]
    first, second = dwd.excluded_polygons(event_area)
    # The DWD writes the closing pair twice: three corners, the first again, and once more.
    assert first == [
        (7.712319, 50.504387),
        (7.720746, 50.493696),
        (7.727957, 50.498029),
        (7.712319, 50.504387),
        (7.712319, 50.504387),
    ]
    assert second[0] == second[-1] == (7.651225, 50.220573)
    assert all(not dwd.excluded_polygons(area) for area in glaze.areas[1:])


def test_an_unreadable_exclude_polygon_is_skipped_rather_than_losing_the_warning(caplog):
    area = Area("x", geocodes=[("EXCLUDE_POLYGON", "50.5,7.7 50.4,7.8"), ("WARNCELLID", "1")])
    assert dwd.excluded_polygons(area) == []
    assert "EXCLUDE_POLYGON" in caplog.text


def test_the_updates_later_in_the_day_no_longer_exclude_anything():
    for path in ("dwd/alert_1_update_2.xml", "dwd/alert_1_update_3.xml"):
        areas = read(path).infos[0].areas
        assert not any(dwd.excluded_polygons(area) for area in areas)


# Geometry


def test_the_glaze_warning_covers_lippstadt(glaze):
    shape = geometry.info_geometry(glaze)
    assert shape is not None
    assert shape.contains(LIPPSTADT)


def test_an_exclude_polygon_cuts_a_hole_where_the_warning_does_not_apply(glaze):
    event_area = glaze.areas[0]
    shape = geometry.area_geometry(event_area)
    assert shape is not None
    outline = Polygon(event_area.polygons[0])
    for ring in dwd.excluded_polygons(event_area):
        spared = Polygon(ring).representative_point()
        assert outline.contains(spared)
        assert not shape.contains(spared)
    assert len(shape.interiors) == 2


def test_disjunct_regions_make_a_multipolygon_with_nothing_in_between(snow):
    shape = geometry.info_geometry(snow)
    assert shape is not None
    assert shape.geom_type == "MultiPolygon"
    assert len(shape.geoms) == 7
    for area in snow.areas:
        for ring in area.polygons:
            assert shape.contains(Polygon(ring).representative_point())
    for point in BETWEEN_REGIONS:
        assert not shape.contains(point)


def test_areas_of_geocodes_only_have_no_geometry(glaze):
    lippstadt = next(area for area in glaze.areas if area.description == "Stadt Lippstadt")
    assert geometry.area_geometry(lippstadt) is None
    assert geometry.info_geometry(info(areas=[lippstadt])) is None
    assert geometry.info_geometry(info()) is None


def test_a_circle_keeps_its_radius_in_kilometres_to_within_one_percent():
    shape = geometry.circle_polygon(Circle(lon=8.345, lat=51.673, radius_km=10))
    # A local equirectangular frame in km: good to far better than 1 % over 10 km.
    km_per_degree = math.pi * geometry.EARTH_RADIUS_KM / 180
    scale_x = km_per_degree * math.cos(math.radians(51.673))
    local = shapely.transform(shape, lambda xy: xy * [scale_x, km_per_degree])
    assert local.area == pytest.approx(math.pi * 10**2, rel=0.01)
    north = 10 / km_per_degree
    assert shape.contains(Point(8.345, 51.673 + 0.99 * north))
    assert not shape.contains(Point(8.345, 51.673 + 1.01 * north))
    east = 10 / scale_x
    assert shape.contains(Point(8.345 + 0.99 * east, 51.673))
    assert not shape.contains(Point(8.345 + 1.01 * east, 51.673))


def test_an_area_is_the_union_of_its_polygons_and_circles():
    area = Area(
        "Lippstadt und Umgebung",
        polygons=[box(8.30, 51.64)],
        circles=[Circle(lon=9.0, lat=52.0, radius_km=5), Circle(lon=7.0, lat=51.0, radius_km=0)],
    )
    shape = geometry.area_geometry(area)
    assert shape is not None
    assert shape.geom_type == "MultiPolygon"
    assert shape.contains(LIPPSTADT)
    assert shape.contains(Point(9.0, 52.0))
    assert not shape.contains(Point(7.0, 51.0))


def test_a_circle_from_a_document_reaches_across_its_radius():
    [area] = read("mowas/test_alert.xml").infos[0].areas
    shape = geometry.area_geometry(area)
    assert shape is not None
    assert shape.contains(LIPPSTADT)  # about 20 km from the centre of the 25 km circle


def test_a_self_intersecting_polygon_is_repaired_instead_of_failing():
    bow_tie = [(8.30, 51.64), (8.40, 51.70), (8.40, 51.64), (8.30, 51.70), (8.30, 51.64)]
    shape = geometry.info_geometry(info(areas=[Area("Schleife", polygons=[bow_tie, box(9, 52)])]))
    assert shape is not None
    assert shape.is_valid
    assert shape.area == pytest.approx(0.006 / 2 + 0.01)


def test_an_area_excluded_entirely_has_no_geometry():
    ring = box(8.30, 51.64)
    text = " ".join(f"{lat},{lon}" for lon, lat in ring)
    area = Area("ganz ausgenommen", polygons=[ring], geocodes=[("EXCLUDE_POLYGON", text)])
    assert geometry.area_geometry(area) is None
