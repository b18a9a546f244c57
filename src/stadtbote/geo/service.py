"""Geography of a tenant, read from the database: frames, districts, boundary, place blocks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

import numpy as np
import shapely
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from shapely.geometry.base import BaseGeometry

from stadtbote.core.severity import Severity
from stadtbote.geo import blocks, fastpath, rule
from stadtbote.geo.models import District, PlaceBlock
from stadtbote.geo.projection import LocalFrame
from stadtbote.tenants.models import Municipality

BLOCK_SIZE = 1024
# Largest place radius a subscriber may choose; the fast path widens its search by this much.
MAX_PLACE_RADIUS_M = 10_000

match = fastpath.match


def block_of(subscriber_id: int) -> int:
    return subscriber_id // BLOCK_SIZE


def frame(tenant: Municipality) -> LocalFrame:
    return LocalFrame(tenant.center_lat, tenant.center_lon)


def boundary(tenant: Municipality) -> BaseGeometry | None:
    """The municipality's outline in WGS84: explicit, else the union of its districts."""
    if tenant.boundary:
        return shapely.geometry.shape(tenant.boundary)
    shapes = [shapely.geometry.shape(d.geometry) for d in District.objects.filter(tenant=tenant)]
    return shapely.union_all(shapes) if shapes else None


def distance_outside_m(tenant: Municipality, lat: float, lon: float) -> float:
    """How far a point lies outside the municipality, in metres (0 inside)."""
    outline = boundary(tenant)
    f = frame(tenant)
    x, y = f.to_xy(np.array([lon]), np.array([lat]))
    point = shapely.points(x[0], y[0])
    if outline is None:
        return float(shapely.distance(point, shapely.points(0.0, 0.0)))
    return float(shapely.distance(f.geometry_to_xy(outline), point))


def districts_xy(tenant: Municipality) -> tuple[dict[int, BaseGeometry], dict[str, int]]:
    """District geometries in the tenant's metric frame, by id, and ids by slug."""
    f = frame(tenant)
    by_id: dict[int, BaseGeometry] = {}
    by_slug: dict[str, int] = {}
    for d in District.objects.filter(tenant=tenant):
        by_id[d.pk] = f.geometry_to_xy(shapely.geometry.shape(d.geometry))
        by_slug[d.slug] = d.pk
    return by_id, by_slug


def _rows_for(
    tenant: Municipality, subscriber_filter: Q, include_paused: bool = False
) -> Iterator[tuple]:
    """(subscriber_id, x, y, radius, district_id, topic_mask, min_severity) for active places."""
    from stadtbote.subscribers.models import Place, Subscriber

    f = frame(tenant)
    subs = Subscriber.objects.filter(subscriber_filter, tenant=tenant)
    if not include_paused:
        subs = subs.filter(paused=False)
    masks: dict[int, int] = defaultdict(int)
    severities: dict[int, int] = {}
    for sid, sev in subs.values_list("id", "min_severity").iterator(chunk_size=5000):
        severities[sid] = sev
    through = Subscriber.topics.through
    for sid, bit in (
        through.objects.filter(subscriber__in=subs)
        .values_list("subscriber_id", "topic__bit")
        .iterator(chunk_size=5000)
    ):
        masks[sid] |= 1 << bit
    places = Place.objects.filter(subscriber__in=subs).values_list(
        "subscriber_id", "lat", "lon", "radius_m", "district_id"
    )
    pending: list[tuple] = []
    for row in places.iterator(chunk_size=5000):
        pending.append(row)
        if len(pending) >= 5000:
            yield from _project(f, pending, masks, severities)
            pending = []
    yield from _project(f, pending, masks, severities)


def _project(
    f: LocalFrame, rows: list[tuple], masks: dict[int, int], severities: dict[int, int]
) -> Iterator[tuple]:
    """Project a chunk of place rows to metres in one vectorised call."""
    if not rows:
        return
    lon = np.array([r[2] if r[4] is None else 0.0 for r in rows], dtype=np.float64)
    lat = np.array([r[1] if r[4] is None else 0.0 for r in rows], dtype=np.float64)
    xs, ys = f.to_xy(lon, lat)
    for (sid, _lat, _lon, radius, district), x, y in zip(
        rows, xs.tolist(), ys.tolist(), strict=True
    ):
        if district is None:
            yield sid, x, y, float(radius), -1, masks[sid], severities[sid]
        else:
            yield sid, 0.0, 0.0, 0.0, district, masks[sid], severities[sid]


def rebuild_blocks(tenant: Municipality, block_nos: Iterable[int]) -> None:
    """Re-derive the packed places of the given blocks from the Place rows.

    Must run inside the transaction that changed the places. The block row is locked first, so
    two subscribers changing in one block at once serialise here instead of overwriting each
    other's rebuild.
    """
    for block_no in sorted(set(block_nos)):
        with transaction.atomic():
            PlaceBlock.objects.get_or_create(
                tenant=tenant, block_no=block_no, defaults={"data": b""}
            )
            row = PlaceBlock.objects.select_for_update().get(tenant=tenant, block_no=block_no)
            lo, hi = block_no * BLOCK_SIZE, (block_no + 1) * BLOCK_SIZE
            arrays = blocks.from_rows(_rows_for(tenant, Q(id__gte=lo, id__lt=hi)))
            row.data = blocks.pack(arrays)
            row.count = len(arrays)
            row.updated_at = timezone.now()
            row.save(update_fields=["data", "count", "updated_at"])


def places_of(tenant: Municipality, subscriber_id: int) -> blocks.PlaceArrays:
    """One subscriber's places, paused or not, ready for :func:`fastpath.match`."""
    return blocks.from_rows(_rows_for(tenant, Q(id=subscriber_id), include_paused=True))


def rebuild_all_blocks(tenant: Municipality) -> int:
    """Rebuild every block of a tenant in one streaming pass (after bulk imports)."""
    from stadtbote.subscribers.models import Subscriber

    rows_by_block: dict[int, list[tuple]] = defaultdict(list)
    for row in _rows_for(tenant, Q()):
        rows_by_block[block_of(row[0])].append(row)
    ids = Subscriber.objects.filter(tenant=tenant).values_list("id", flat=True)
    wanted = {block_of(i) for i in ids.iterator(chunk_size=10000)} | set(rows_by_block)
    with transaction.atomic():
        PlaceBlock.objects.filter(tenant=tenant).exclude(block_no__in=wanted).delete()
        for block_no in sorted(wanted):
            arrays = blocks.from_rows(rows_by_block.pop(block_no, []))
            PlaceBlock.objects.update_or_create(
                tenant=tenant,
                block_no=block_no,
                defaults={
                    "data": blocks.pack(arrays),
                    "count": len(arrays),
                    "updated_at": timezone.now(),
                },
            )
    return len(wanted)


def _blobs(
    tenant: Municipality, start_after: int, stream: bool
) -> Iterator[tuple[int, bytes | memoryview]]:
    """(block_no, packed data) in order, streamed in one query.

    On PostgreSQL the blobs are fetched in binary format: Django's text protocol would ship
    them hex-encoded, twice the bytes and about half of the whole targeting time.
    """
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        table = PlaceBlock._meta.db_table
        sql = (
            f"SELECT block_no, data FROM {table} "  # noqa: S608 - table name from the model
            "WHERE tenant_id = %s AND block_no > %s AND count > 0 ORDER BY block_no"
        )
        import psycopg

        # A named (server-side) cursor streams; WITH HOLD keeps it open across the commits the
        # fan-out makes between blocks. Django's own cursors bind client-side, which has no
        # binary results.
        with psycopg.ServerCursor(
            connection.connection, "stadtbote_blocks", withhold=True
        ) as cursor:
            cursor.itersize = 16
            cursor.execute(sql, (tenant.pk, start_after), binary=True)
            yield from cursor
        return
    rows = (
        PlaceBlock.objects.filter(tenant=tenant, block_no__gt=start_after, count__gt=0)
        .order_by("block_no")
        .values_list("block_no", "data")
    )
    yield from rows.iterator(chunk_size=16)


def iter_blocks(
    tenant: Municipality, start_after: int = -1
) -> Iterator[tuple[int, blocks.PlaceArrays]]:
    """Stream a tenant's place blocks in order, a few blobs in memory at a time."""
    for block_no, data in _blobs(tenant, start_after, stream=True):
        if data:
            yield block_no, blocks.unpack(data)


def load_all(tenant: Municipality) -> blocks.PlaceArrays:
    """All places of a tenant at once (benchmarks, small towns)."""
    return blocks.concat(
        [blocks.unpack(data) for _, data in _blobs(tenant, -1, stream=False) if data]
    )


def compile_target(
    tenant: Municipality, severity: Severity, topic_mask: int, area: dict
) -> fastpath.CompiledTarget:
    """Prepare a message's stored target (``Message.area``) for matching place blocks."""
    f = frame(tenant)
    districts, by_slug = districts_xy(tenant)
    kind = area.get("kind", "town")
    target_area: rule.Area
    if kind == "districts":
        ids = [by_slug[s] for s in area["slugs"] if s in by_slug]
        target_area = rule.ShapeArea.of_districts(ids, districts)
    elif kind == "circle":
        x, y = f.to_xy(np.array([area["lon"]]), np.array([area["lat"]]))
        target_area = rule.CircleArea(float(x[0]), float(y[0]), float(area["radius_m"]))
    elif kind == "shape":
        target_area = rule.ShapeArea(f.geometry_to_xy(shapely.geometry.shape(area["geometry"])))
    else:
        target_area = rule.WholeTown()
    return fastpath.compile_masked(
        severity, topic_mask, target_area, districts, max_radius_m=MAX_PLACE_RADIUS_M
    )
