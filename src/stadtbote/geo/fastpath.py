"""The production targeting path: :mod:`stadtbote.geo.rule` over a million places at once.

``match(arrays, compile_target(...))`` returns the sorted unique ids of the subscribers for whom
``rule.receives`` holds -- the same answer, tested property by property against the rule.

Polygon targets. The test for a point place is ``distance(point, polygon) <= r``; GEOS needs
about 2 us a point for that, and the points within 500 m of a long border are easily a quarter
of a town. So a message is compiled once into a grid of about 16k cells over the polygon's
bounding box plus the largest radius, holding per cell bounds on the distance to the border,
derived from the distance d of the cell centre and the half-diagonal h (distance is
1-Lipschitz, so every point of the cell is within ``[d - h, d + h]``): a point whose radius is
at least ``yes_at`` surely matches, one whose radius is below ``no_below`` surely does not.
Most points are decided by these two look-ups. The rest are decided exactly: ``intersects_xy``
(inside or on the border), then numpy distances to the few border segments that can be nearest
within the cell, then GEOS -- the rule's own ``distance`` -- for whatever lies within a margin
of its radius. Margins of 1 um keep every shortcut on the safe side of float rounding. Borders
of more than ~1000 segments are simplified for the bounds (their Hausdorff error is added to
the margins) and the exact GEOS step then uses the indexed, prepared ``dwithin``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from stadtbote.core.severity import Severity
from stadtbote.geo.blocks import MAX_TOPICS, PlaceArrays, topic_mask
from stadtbote.geo.rule import (
    Area,
    CircleArea,
    Districts,
    ShapeArea,
    Target,
    WholeTown,
    matching_district_ids,
)

#: Largest place radius the product offers; larger radii stay correct, only slower.
DEFAULT_MAX_RADIUS_M = 500.0
# Coordinates are metres within a few hundred km of the frame centre, where a float64 carries
# about 1e-10 m; 1 um is a margin no rounding can cross and no subscriber can notice.
_EPS = 1e-6
_GRID_CELLS = 16_384
# Caps the compile work (cell-segment distance pairs) for polygons with many vertices or
# targets much smaller than the radius: the cells get coarser instead.
_MAX_STAMPS = 3_000_000
_CHUNK = 250_000
# Borders with more segments are simplified (Douglas-Peucker, these tolerances in metres in turn)
# before bounds are derived from them.
_BORDER_SEGMENTS = 1024
_SIMPLIFY_STEPS_M = (0.25, 1.0, 4.0, 16.0)

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True, slots=True, eq=False)
class _Segments:
    """Border segments: start point, direction, 1/length^2 (0 if degenerate)."""

    ax: FloatArray
    ay: FloatArray
    dx: FloatArray
    dy: FloatArray
    inv_len2: FloatArray

    @classmethod
    def of(cls, coords: FloatArray, ring: NDArray[np.intp]) -> _Segments:
        same_ring = ring[1:] == ring[:-1]
        a, b = coords[:-1][same_ring], coords[1:][same_ring]
        d = b - a
        len2 = d[:, 0] ** 2 + d[:, 1] ** 2
        with np.errstate(divide="ignore", over="ignore"):
            inv = 1.0 / len2
        # A (near-)degenerate segment is its start point, within far less than the margin.
        inv[~np.isfinite(inv)] = 0.0
        return cls(a[:, 0].copy(), a[:, 1].copy(), d[:, 0].copy(), d[:, 1].copy(), inv)

    def __len__(self) -> int:
        return len(self.ax)

    def distance(self, px: FloatArray, py: FloatArray, seg: NDArray[np.intp]) -> FloatArray:
        """Distance from each point to the segment of the same position in ``seg``."""
        ax, ay, dx, dy = self.ax[seg], self.ay[seg], self.dx[seg], self.dy[seg]
        t = ((px - ax) * dx + (py - ay) * dy) * self.inv_len2[seg]
        np.clip(t, 0.0, 1.0, out=t)
        return np.asarray(np.hypot(px - (ax + t * dx), py - (ay + t * dy)), dtype=np.float64)


def _border(geom: BaseGeometry) -> tuple[_Segments, float]:
    """Segments to bound distances to the border with, and their Hausdorff distance to it.

    A border of many short segments would make the cell lists long, so it is replaced by its
    Douglas-Peucker simplification: every point of either line is within ``tol`` of the other,
    which the grid absorbs into its margins. Exact decisions always use the true polygon.
    """
    coords, ring = shapely.get_coordinates(
        shapely.get_rings(shapely.get_parts(geom)), return_index=True
    )
    segs, tol = _Segments.of(coords, ring), 0.0
    for tolerance in _SIMPLIFY_STEPS_M:
        if len(segs) <= _BORDER_SEGMENTS:
            break
        lines = shapely.simplify(
            shapely.linestrings(coords, indices=ring), tolerance, preserve_topology=False
        )
        segs, tol = _Segments.of(*shapely.get_coordinates(lines, return_index=True)), tolerance
    return segs, tol


def _cell_index(v: FloatArray, origin: float, cell: float, n: int) -> NDArray[np.intp]:
    return np.clip(np.floor((v - origin) / cell), 0, n - 1).astype(np.intp)


@dataclass(frozen=True, slots=True, eq=False)
class _Grid:
    """Per-cell distance bounds and candidate nearest segments; see the module doc."""

    x0: float
    y0: float
    x1: float
    y1: float
    inv_cell: float
    nx: int
    ny: int
    reach: float  # candidate lists are complete for radii up to this
    slack: float  # float margin plus the border's simplification tolerance
    yes_at: FloatArray
    no_below: FloatArray
    cand_start: NDArray[np.intp]
    cand_seg: NDArray[np.intp]
    segments: _Segments

    @classmethod
    def build(cls, geom: BaseGeometry, reach: float) -> _Grid:
        segs, tol = _border(geom)
        slack = tol + _EPS
        minx, miny, maxx, maxy = geom.bounds
        x0, y0 = minx - reach, miny - reach
        width, height = maxx - minx + 2 * reach, maxy - miny + 2 * reach
        cell = max(math.sqrt(width * height / _GRID_CELLS), 1e-3)
        seg_w, seg_h = np.abs(segs.dx), np.abs(segs.dy)
        for _ in range(8):
            margin = 2 * (reach + slack + 2 * cell)
            stamps = float((((seg_w + margin) / cell + 2) * ((seg_h + margin) / cell + 2)).sum())
            if stamps <= _MAX_STAMPS:
                break
            cell *= math.sqrt(stamps / _MAX_STAMPS) * 1.05
        nx, ny = max(1, math.ceil(width / cell)), max(1, math.ceil(height / cell))
        half_diag = cell * math.sqrt(0.5)
        cx = x0 + (np.arange(nx) + 0.5) * cell
        cy = y0 + (np.arange(ny) + 0.5) * cell
        inside = shapely.intersects_xy(geom, np.tile(cx, ny), np.repeat(cy, nx))

        # Distances from cell centres to the segments near them ("stamping"): every centre
        # within ``stamp`` of a segment, in chunks of segments to bound memory. ``stamp`` covers
        # every segment that can be within reach (+ slack) of a point of the cell.
        stamp = reach + slack + half_diag + cell
        end_x, end_y = segs.ax + segs.dx, segs.ay + segs.dy
        i0 = _cell_index(np.minimum(segs.ax, end_x) - stamp, x0, cell, nx)
        j0 = _cell_index(np.minimum(segs.ay, end_y) - stamp, y0, cell, ny)
        wide = _cell_index(np.maximum(segs.ax, end_x) + stamp, x0, cell, nx) - i0 + 1
        high = _cell_index(np.maximum(segs.ay, end_y) + stamp, y0, cell, ny) - j0 + 1
        counts = wide * high
        cuts = np.searchsorted(np.cumsum(counts), np.arange(_CHUNK, counts.sum(), _CHUNK))
        parts = []
        for chunk in np.split(np.arange(len(segs)), np.unique(cuts)):
            seg = np.repeat(chunk, counts[chunk])
            local = np.arange(len(seg)) - np.repeat(
                np.cumsum(counts[chunk]) - counts[chunk], counts[chunk]
            )
            ci, cj = i0[seg] + local % wide[seg], j0[seg] + local // wide[seg]
            parts.append((cj * nx + ci, seg, segs.distance(cx[ci], cy[cj], seg)))
        cell_id, seg, dist = (np.concatenate(p) for p in zip(*parts, strict=True))
        nearest = np.full(nx * ny, np.inf)
        np.minimum.at(nearest, cell_id, dist)

        # Segments farther than ``stamp`` were not stamped: a lower bound where none is closer.
        d_lo = np.minimum(nearest, stamp)
        yes_at = np.where(inside, half_diag + slack, nearest + half_diag + slack)
        yes_at[inside & (d_lo > half_diag + slack)] = -np.inf
        no_below = np.where(inside, -np.inf, d_lo - half_diag - slack)

        # A segment can be within r of a point of the cell only if it is within r + h of the
        # centre, and an undecided point has r < nearest + h + slack: keep those within
        # nearest + 2h (plus the slack twice, once for each border it may be measured on).
        keep = dist <= nearest[cell_id] + 2 * (half_diag + slack)
        cell_kept, seg_kept = cell_id[keep], seg[keep]
        cand_start = np.zeros(nx * ny + 1, dtype=np.intp)
        np.cumsum(np.bincount(cell_kept, minlength=nx * ny), out=cand_start[1:])
        return cls(
            x0=x0,
            y0=y0,
            x1=x0 + nx * cell,
            y1=y0 + ny * cell,
            inv_cell=1.0 / cell,
            nx=nx,
            ny=ny,
            reach=reach,
            slack=slack,
            yes_at=yes_at,
            no_below=no_below,
            cand_start=cand_start,
            cand_seg=seg_kept[np.argsort(cell_kept, kind="stable")].astype(np.intp),
            segments=segs,
        )

    def cell_of(self, x: FloatArray, y: FloatArray) -> NDArray[np.intp]:
        """Cell index of points inside the grid rectangle."""
        ci = ((x - self.x0) * self.inv_cell).astype(np.intp)
        cj = ((y - self.y0) * self.inv_cell).astype(np.intp)
        np.minimum(ci, self.nx - 1, out=ci)
        np.minimum(cj, self.ny - 1, out=cj)
        cj *= self.nx
        cj += ci
        return cj

    def nearest_within(self, x: FloatArray, y: FloatArray, cell: NDArray[np.intp]) -> FloatArray:
        """Distance to the nearest candidate segment of each point's cell (inf if none)."""
        count = self.cand_start[cell + 1] - self.cand_start[cell]
        first = np.cumsum(count) - count
        owner = np.repeat(np.arange(len(x)), count)
        pos = np.arange(int(count.sum())) - np.repeat(first - self.cand_start[cell], count)
        dist = self.segments.distance(x[owner], y[owner], self.cand_seg[pos])
        nearest = np.full(len(x), np.inf)
        has = count > 0
        if has.any():
            nearest[has] = np.minimum.reduceat(dist, first[has])
        return nearest


@dataclass(frozen=True, slots=True, eq=False)
class CompiledTarget:
    """A message prepared for :func:`match`; build once, match against any number of blocks."""

    severity: int
    topic_mask: int
    area: Area
    #: districts whose district places it reaches (sorted; rule's interior-overlap test)
    district_ids: NDArray[np.int32]
    #: prepared polygon of a shape target, else None
    geom: BaseGeometry | None
    bbox: tuple[float, float, float, float] | None
    grid: _Grid | None


def compile_target(
    target: Target,
    districts: Districts,
    topic_bits: Mapping[str, int],
    *,
    max_radius_m: float = DEFAULT_MAX_RADIUS_M,
) -> CompiledTarget:
    """Prepare a :class:`~stadtbote.geo.rule.Target` for matching."""
    mask = topic_mask(target.topics, topic_bits)
    return compile_masked(target.severity, mask, target.area, districts, max_radius_m=max_radius_m)


def compile_masked(
    severity: Severity | int,
    mask: int,
    area: Area,
    districts: Districts,
    *,
    max_radius_m: float = DEFAULT_MAX_RADIUS_M,
) -> CompiledTarget:
    """Like :func:`compile_target`, for a caller that has the topic mask already."""
    if not 0 <= mask < 1 << MAX_TOPICS:
        raise ValueError("topic_mask must fit in 64 bits")
    ids: frozenset[int] = frozenset()
    geom = bbox = grid = None
    if isinstance(area, ShapeArea | CircleArea):
        ids = matching_district_ids(area, districts)
    if isinstance(area, ShapeArea) and not area.geom.is_empty:
        # A copy to prepare: the caller's geometry stays as it was (unprepared).
        geom = shapely.from_wkb(shapely.to_wkb(area.geom))
        shapely.prepare(geom)
        bbox = geom.bounds
        grid = _Grid.build(geom, max(float(max_radius_m), 0.0))
    district_ids = np.array(sorted(i for i in ids if i >= 0), dtype=np.int32)
    return CompiledTarget(int(severity), mask, area, district_ids, geom, bbox, grid)


def match(arrays: PlaceArrays, compiled: CompiledTarget) -> IntArray:
    """Sorted unique ids of the subscribers in ``arrays`` that receive the compiled message."""
    hit = _interested(arrays, compiled)
    area = compiled.area
    if not isinstance(area, WholeTown):
        interested = hit
        if len(compiled.district_ids):
            hit = interested & np.isin(arrays.district_id, compiled.district_ids)
        else:
            hit = np.zeros(len(arrays), dtype=np.bool_)
        points = interested & (arrays.district_id < 0)
        if isinstance(area, CircleArea):
            hit |= points & _in_circle(arrays, area)
        elif compiled.grid is not None and compiled.geom is not None:
            _mark_shape_hits(arrays, points, compiled.geom, compiled.grid, hit)
    return _unique_sorted(arrays.subscriber_id[hit])


def _interested(arrays: PlaceArrays, compiled: CompiledTarget) -> BoolArray:
    keep = arrays.min_severity <= np.int8(compiled.severity)
    if compiled.topic_mask:
        keep |= (arrays.topic_mask & np.uint64(compiled.topic_mask)) != 0
    return keep


def _in_circle(arrays: PlaceArrays, area: CircleArea) -> BoolArray:
    # Same float operations as rule.place_matches, so that ties are decided identically.
    dx = arrays.x - area.x
    dy = arrays.y - area.y
    reach = arrays.radius.astype(np.float64) + area.radius_m
    return np.asarray(dx * dx + dy * dy <= reach * reach)


def _mark_shape_hits(
    arrays: PlaceArrays, points: BoolArray, geom: BaseGeometry, grid: _Grid, hit: BoolArray
) -> None:
    x, y = arrays.x, arrays.y
    in_grid = points & (x >= grid.x0) & (x <= grid.x1) & (y >= grid.y0) & (y <= grid.y1)
    idx = np.flatnonzero(in_grid)
    if len(idx):
        px, py = x[idx], y[idx]
        r = arrays.radius[idx].astype(np.float64)
        cell = grid.cell_of(px, py)
        yes = r >= grid.yes_at[cell]
        unsure = np.flatnonzero(~yes & (r >= grid.no_below[cell]))
        if len(unsure):
            yes[unsure] = _decide_exactly(
                geom, grid, px[unsure], py[unsure], r[unsure], cell[unsure]
            )
        hit[idx[yes]] = True
    # Outside the grid lies only what is farther than ``reach`` from the polygon's bbox.
    if len(arrays) and float(arrays.radius.max()) > grid.reach:
        far = np.flatnonzero(points & ~in_grid & (arrays.radius > grid.reach))
        if len(far):
            r = arrays.radius[far].astype(np.float64)
            hit[far[_geos_within(geom, x[far], y[far], r)]] = True


def _decide_exactly(
    geom: BaseGeometry,
    grid: _Grid,
    x: FloatArray,
    y: FloatArray,
    r: FloatArray,
    cell: NDArray[np.intp],
) -> BoolArray:
    yes = shapely.intersects_xy(geom, x, y)
    # Not only r > 0: GEOS can put the distance of a point a hair outside at exactly 0.0.
    outside = np.flatnonzero(~yes)
    if len(outside):
        x, y, r, cell = x[outside], y[outside], r[outside], cell[outside]
        nearest = grid.nearest_within(x, y, cell)
        near = nearest <= r - grid.slack
        # candidate lists are only complete for radii the grid was built for
        far = (nearest > r + grid.slack) & (r <= grid.reach)
        unsure = np.flatnonzero(~near & ~far)
        if len(unsure):
            near[unsure] = _geos_within(geom, x[unsure], y[unsure], r[unsure])
        yes[outside] = near
    return np.asarray(yes, dtype=np.bool_)


def _geos_within(geom: BaseGeometry, x: FloatArray, y: FloatArray, r: FloatArray) -> BoolArray:
    """The rule's own test, ``distance(point, shape) <= r``, point by point in GEOS.

    The prepared ``dwithin`` is indexed (logarithmic in the vertices, where ``distance`` is
    linear), so it decides first, with a margin either side; ``distance`` settles the rest.
    """
    points = shapely.points(x, y)
    result = np.asarray(shapely.dwithin(geom, points, r + _EPS), dtype=np.bool_)
    maybe = np.flatnonzero(result)
    sure = shapely.dwithin(geom, points[maybe], np.maximum(r[maybe] - _EPS, 0.0))
    close = maybe[~sure]
    result[close] = shapely.distance(geom, points[close]) <= r[close]
    return result


def _unique_sorted(ids: IntArray) -> IntArray:
    """``np.unique`` without the sort when the ids are sorted already (blocks are)."""
    if len(ids) == 0:
        return ids.astype(np.int64)
    step = np.diff(ids)
    if bool((step >= 0).all()):
        return np.asarray(ids[np.r_[True, step != 0]], dtype=np.int64)
    return np.unique(ids).astype(np.int64)
