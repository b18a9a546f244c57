"""Targeting benchmark: who receives a polygon message, among a million subscriber places.

    .venv/bin/python bench/targeting.py [--places 1000000] [--repeat 7]

Synthetic, reproducible town (fixed seeds): 10 x 8 km, 20 square districts, ~1.3 places per
subscriber, 90 % point places (35 % of them radius 0, the rest 0-500 m) clustered around a few
centres, 10 % district places; a 200-vertex noisy star as the target. Measured in one run,
best of N:

(a) ``shapely.contains_xy`` on the prepared polygon over all x/y -- the yardstick;
(b) ``fastpath.match`` -- interest + place + unique ids -- for the worst case (an extreme
    warning: everyone is interested, every place needs the place test) and a typical message;
(c) the same starting from the packed blocks of 1024 subscribers: unpack all + concat + match,
    and block by block (unpack + match each, as the fan-out does);
(d) a Python loop of ``polygon.contains(Point(...))`` on a 20,000 sample, extrapolated.

The result of (b) is checked against a vectorised form of the rule (GEOS ``distance``).
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from stadtbote.core.severity import Severity
from stadtbote.geo import blocks, fastpath, rule
from stadtbote.geo.blocks import NO_DISTRICT, PlaceArrays

SEED = 20240611
TOWN_W, TOWN_H = 10_000.0, 8_000.0
DISTRICT_SIZE = 2_000.0
TOPICS = 12
BLOCK_SIZE = 1024


# -- data ---------------------------------------------------------------------------------------


def make_districts() -> dict[int, shapely.Polygon]:
    """5 x 4 square districts of 2 km, ids 1..20, the town's lower-left corner at (0, 0)."""
    cols, rows = int(TOWN_W // DISTRICT_SIZE), int(TOWN_H // DISTRICT_SIZE)
    return {
        1 + r * cols + c: shapely.box(
            c * DISTRICT_SIZE, r * DISTRICT_SIZE, (c + 1) * DISTRICT_SIZE, (r + 1) * DISTRICT_SIZE
        )
        for r in range(rows)
        for c in range(cols)
    }


def make_town(places: int, seed: int = SEED) -> PlaceArrays:
    """``places`` rows sorted by subscriber id, as the blocks deliver them."""
    rng = np.random.default_rng(seed)
    per_subscriber = rng.choice([1, 2, 3], size=places, p=[0.75, 0.20, 0.05])
    subscriber = np.repeat(np.arange(places), per_subscriber)[:places].astype(np.int64)
    # people live in clusters (centre, suburbs) plus a uniform background
    centres = rng.uniform([1500, 1500], [TOWN_W - 1500, TOWN_H - 1500], (6, 2))
    cluster = rng.integers(0, len(centres), places)
    clustered = rng.random(places) < 0.7
    x = np.where(
        clustered, centres[cluster, 0] + rng.normal(0, 1200, places), rng.uniform(0, TOWN_W, places)
    )
    y = np.where(
        clustered, centres[cluster, 1] + rng.normal(0, 1000, places), rng.uniform(0, TOWN_H, places)
    )
    x, y = np.clip(x, 0, TOWN_W), np.clip(y, 0, TOWN_H)
    radius = np.where(rng.random(places) < 0.35, 0, rng.integers(0, 501, places)).astype(np.float32)
    is_district = rng.random(places) < 0.10
    district = np.where(
        is_district, rng.integers(1, len(make_districts()) + 1, places), NO_DISTRICT
    )
    # per subscriber: followed topics (each with p = 0.2) and the severity threshold
    subscribers = int(subscriber[-1]) + 1
    bits = rng.random((subscribers, TOPICS)) < 0.2
    masks = (bits * (1 << np.arange(TOPICS, dtype=np.uint64))).sum(axis=1, dtype=np.uint64)
    thresholds = rng.choice([0, 1, 2, 3, 4], size=subscribers, p=[0.10, 0.15, 0.60, 0.10, 0.05])
    return PlaceArrays(
        subscriber_id=subscriber,
        x=np.where(is_district, 0.0, x),
        y=np.where(is_district, 0.0, y),
        radius=np.where(is_district, 0, radius).astype(np.float32),
        district_id=district.astype(np.int32),
        topic_mask=masks[subscriber],
        min_severity=thresholds[subscriber].astype(np.int8),
    )


def make_polygon(vertices: int = 200, seed: int = SEED) -> shapely.Polygon:
    """A noisy five-armed star of about 2.5 km radius around the town centre."""
    rng = np.random.default_rng(seed + 1)
    t = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    r = (
        2500
        * (1 + 0.35 * np.sin(5 * t + 0.4) + 0.08 * np.sin(13 * t))
        * (1 + 0.04 * rng.standard_normal(vertices))
    )
    return shapely.Polygon(np.c_[TOWN_W / 2 + r * np.cos(t), TOWN_H / 2 + r * np.sin(t)])


def pack_blocks(arrays: PlaceArrays) -> list[bytes]:
    return [blocks.pack(part) for _, part in blocks.split_blocks(arrays, BLOCK_SIZE)]


# -- measuring ----------------------------------------------------------------------------------


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def reference(arrays: PlaceArrays, target: rule.Target, districts: rule.Districts) -> np.ndarray:
    """The rule, vectorised through GEOS ``distance`` (slow, for checking only)."""
    assert isinstance(target.area, rule.ShapeArea)
    interested = arrays.min_severity <= int(target.severity)
    if target.topics:
        mask = fastpath.topic_mask(target.topics, {f"t{i}": i for i in range(TOPICS)})
        interested |= (arrays.topic_mask & np.uint64(mask)) != 0
    points = arrays.district_id == NO_DISTRICT
    distance = shapely.distance(target.area.geom, shapely.points(arrays.x, arrays.y))
    hit = points & (distance <= arrays.radius)
    ids = sorted(rule.matching_district_ids(target.area, districts))
    hit |= ~points & np.isin(arrays.district_id, ids)
    return np.unique(arrays.subscriber_id[interested & hit])


def python_loop(polygon: shapely.Polygon, x: np.ndarray, y: np.ndarray) -> int:
    return sum(
        polygon.contains(shapely.Point(px, py))
        for px, py in zip(x.tolist(), y.tolist(), strict=True)
    )


def python_rule_loop(polygon: shapely.Polygon, x: np.ndarray, y: np.ndarray, r: np.ndarray) -> int:
    return sum(
        polygon.distance(shapely.Point(px, py)) <= pr
        for px, py, pr in zip(x.tolist(), y.tolist(), r.tolist(), strict=True)
    )


def machine() -> str:
    cpu = platform.processor() or "?"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{cpu}; python {platform.python_version()}, shapely {shapely.__version__} (GEOS {shapely.geos_version_string}), numpy {np.__version__}"


# -- the run ------------------------------------------------------------------------------------


def run(
    arrays: PlaceArrays,
    polygon: shapely.Polygon,
    districts: rule.Districts,
    repeat: int,
    database_url: str | None = None,
) -> None:
    n = len(arrays)
    topic_bits = {f"t{i}": i for i in range(TOPICS)}
    worst = rule.Target(Severity.EXTREME, area=rule.ShapeArea(polygon))
    typical = rule.Target(Severity.MODERATE, frozenset({"t3"}), rule.ShapeArea(polygon))
    rows: list[tuple[str, float, str]] = []

    prepared = shapely.from_wkb(shapely.to_wkb(polygon))
    shapely.prepare(prepared)
    t_contains, inside = best_of(lambda: shapely.contains_xy(prepared, arrays.x, arrays.y), repeat)
    rows.append(("(a) contains_xy, prepared polygon", t_contains, f"{int(inside.sum()):,} inside"))

    t_compile, compiled = best_of(
        lambda: fastpath.compile_target(worst, districts, topic_bits), repeat
    )
    t_worst, ids = best_of(lambda: fastpath.match(arrays, compiled), repeat)
    rows.append(("(b) match, extreme: everyone interested", t_worst, f"{len(ids):,} subscribers"))
    assert np.array_equal(ids, reference(arrays, worst, districts)), (
        "fast path disagrees with the rule"
    )
    compiled_typical = fastpath.compile_target(typical, districts, topic_bits)
    t_typical, ids_typical = best_of(lambda: fastpath.match(arrays, compiled_typical), repeat)
    rows.append(("(b) match, moderate + 1 topic", t_typical, f"{len(ids_typical):,} subscribers"))
    assert np.array_equal(ids_typical, reference(arrays, typical, districts))
    rows.append(
        (
            "    compile the message (once)",
            t_compile,
            f"grid {compiled.grid.nx}x{compiled.grid.ny}" if compiled.grid else "",
        )
    )

    packed = pack_blocks(arrays)
    size = sum(len(b) for b in packed)
    t_all, _ = best_of(
        lambda: fastpath.match(blocks.concat([blocks.unpack(b) for b in packed]), compiled), repeat
    )
    rows.append(
        (f"(c) unpack {len(packed)} blocks + concat + match", t_all, f"{size / 1e6:.1f} MB packed")
    )

    def block_by_block() -> int:
        return sum(len(fastpath.match(blocks.unpack(b), compiled)) for b in packed)

    t_blocks, count = best_of(block_by_block, max(1, repeat // 2))
    assert count == len(ids)
    rows.append(("(c) block by block: unpack + match each", t_blocks, f"{count:,} subscribers"))

    sample = np.random.default_rng(SEED + 2).choice(n, size=min(n, 20_000), replace=False)
    naive = shapely.from_wkb(shapely.to_wkb(polygon))  # not prepared: the plain loop
    t_loop, _ = best_of(lambda: python_loop(naive, arrays.x[sample], arrays.y[sample]), 1)
    rows.append(
        (
            "(d) Python loop contains(Point), extrapolated",
            t_loop * n / len(sample),
            "from a 20,000 sample",
        )
    )
    xs, ys, rs = arrays.x[sample], arrays.y[sample], arrays.radius[sample]
    t_rule, _ = best_of(lambda: python_rule_loop(naive, xs, ys, rs), 1)
    rows.append(
        (
            "(d) Python loop distance(Point) <= r, extrap.",
            t_rule * n / len(sample),
            "the rule's place test",
        )
    )

    if database_url is not None:
        rows.extend(from_database(packed, compiled, len(ids), repeat, database_url))

    print(f"machine: {machine()}")
    print(
        f"places: {n:,} of {int(arrays.subscriber_id[-1]) + 1:,} subscribers; polygon: {len(polygon.exterior.coords) - 1} vertices"
    )
    print(f"\n{'step':<48} {'best ms':>10} {'x (a)':>8}  note")
    for name, seconds, note in rows:
        print(f"{name:<48} {seconds * 1000:>10.1f} {seconds / t_contains:>8.2f}  {note}")
    print(f"\nmatch / contains_xy (worst case): {t_worst / t_contains:.2f} (target <= 2)")


def from_database(
    packed: list[bytes], compiled: Any, expected: int, repeat: int, database_url: str
) -> list[tuple[str, float, str]]:
    """(e) The production path: the same blocks stored as ``geo.PlaceBlock`` rows in a real
    database, read back with ``geo.service`` and matched."""
    import os
    import tempfile

    os.environ.setdefault("STADTBOTE_VAR_DIR", tempfile.mkdtemp(prefix="sb-targeting-"))
    if database_url != "sqlite":
        os.environ["STADTBOTE_DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stadtbote.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from stadtbote.geo import service
    from stadtbote.geo.models import PlaceBlock
    from stadtbote.tenants.models import Municipality

    call_command("migrate", verbosity=0)
    Municipality.objects.filter(slug="bench-targeting").delete()
    tenant = Municipality.objects.create(
        slug="bench-targeting", name="Bench", center_lat=51.67, center_lon=8.34
    )
    PlaceBlock.objects.bulk_create(
        (PlaceBlock(tenant=tenant, block_no=i, count=1, data=b) for i, b in enumerate(packed)),
        batch_size=100,
    )
    vendor = f"{connection.vendor} {'.'.join(map(str, connection.Database.sqlite_version_info)) if connection.vendor == 'sqlite' else connection.pg_version}"

    def load_all() -> int:
        return len(fastpath.match(service.load_all(tenant), compiled))

    def stream() -> int:
        return sum(len(fastpath.match(a, compiled)) for _, a in service.iter_blocks(tenant))

    t_load, count = best_of(load_all, repeat)
    assert count == expected
    t_stream, count = best_of(stream, max(1, repeat // 2))
    assert count == expected
    Municipality.objects.filter(pk=tenant.pk).delete()
    return [
        (f"(e) {vendor}: load_all + match", t_load, "one query for all blobs"),
        (
            f"(e) {vendor}: iter_blocks + match (fan-out)",
            t_stream,
            "one streaming query, blocks as they come",
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--places", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7, help="best of N")
    parser.add_argument(
        "--database",
        default="sqlite",
        help="'sqlite' (fresh file in a temp dir), a postgres:// URL, or 'none' to skip (e)",
    )
    args = parser.parse_args(argv)
    arrays = make_town(args.places)
    database = None if args.database == "none" else args.database
    run(arrays, make_polygon(), make_districts(), args.repeat, database)


if __name__ == "__main__":
    main()
