"""A local metric frame: WGS84 longitude/latitude to metres around a municipality's centre.

Targeting works in metres (radii, circle targets) and must be fast, so every coordinate is
projected once into a plain Cartesian frame and all geometry after that is flat geometry.

The projection is the local *equirectangular* one::

    x = N(lat0) * cos(lat0) * (lon - lon0)      (radians)
    y = M(lat0) * (lat - lat0)

with N and M the WGS84 prime-vertical and meridional radii of curvature at ``lat0``.

Why an affine map of (lon, lat), and not something "more accurate":

* GeoJSON edges are straight lines in (lon, lat) (RFC 7946, section 3.1.1). An affine map keeps
  straight lines straight, so *point in polygon*, *polygons intersect*, *a point lies on the
  border* come out exactly as in the source data. Only metric quantities carry an error.
* That metric error is small and bounded, and it only touches distances (radii of at most a
  few hundred metres, circle targets of a few kilometres).

Error bound. Along meridians the scale is exact at ``lat0`` and drifts by about
``3 e^2 sin(lat0) cos(lat0) * dlat`` (about 1e-5 at 25 km, negligible). Along parallels
the true length of a degree of longitude shrinks with ``cos(lat)`` while the frame keeps
``cos(lat0)``, so the relative east-west scale error is ``cos(lat0)/cos(lat) - 1``,
approximately ``tan(lat0) * dy / R`` (R about 6371 km, dy the north-south offset from the centre).
At 50 degrees north (55 degrees north):

=====================  =================  ==================
north-south offset      50 deg N           55 deg N
=====================  =================  ==================
 5 km (a town)          0.09 %             0.11 %
12 km                   0.22 %             0.27 %
25 km (a 50 km county)  0.47 %             0.56 %
=====================  =================  ==================

The error is east-west only and zero along the centre parallel; a distance in any direction is
off by at most that factor. For a town it is below 0.1 %; at the far north or south edge of a
50 km county it reaches about half a percent. That is 2.5 m on a 500 m radius and 25 m on a
5 km warning circle, far below the accuracy of a geocoded address or a hand-drawn polygon, and
it never changes a containment decision. :meth:`LocalFrame.scale_error` gives the exact figure
for a latitude if a caller needs to check.

Longitudes are wrapped to within 180 degrees of ``lon0``, so a frame near the antimeridian
still gets continuous coordinates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.geometry.base import BaseGeometry

WGS84_A = 6_378_137.0
WGS84_F = 1.0 / 298.257223563
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)

G = TypeVar("G", bound=BaseGeometry)
FloatArray = NDArray[np.float64]


def _wrap_degrees(d: NDArray[np.float64]) -> NDArray[np.float64]:
    """Map degrees to [-180, 180)."""
    return np.asarray((d + 180.0) % 360.0 - 180.0, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class LocalFrame:
    """Metres east (x) and north (y) of ``(lat0, lon0)``; see the module doc for the error."""

    lat0: float
    lon0: float
    #: metres per degree of longitude / latitude at ``lat0``
    mx: float = field(init=False, repr=False)
    my: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not (-85.0 <= self.lat0 <= 85.0) or not (-180.0 <= self.lon0 <= 180.0):
            raise ValueError(f"frame centre ({self.lat0}, {self.lon0}) is out of range")
        phi = math.radians(self.lat0)
        w = 1.0 - WGS84_E2 * math.sin(phi) ** 2
        n = WGS84_A / math.sqrt(w)
        m = WGS84_A * (1.0 - WGS84_E2) / w**1.5
        object.__setattr__(self, "mx", n * math.cos(phi) * math.pi / 180.0)
        object.__setattr__(self, "my", m * math.pi / 180.0)

    def to_xy(self, lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Project longitudes/latitudes (degrees, any matching shapes) to metres."""
        lon_a = np.asarray(lon, dtype=np.float64)
        lat_a = np.asarray(lat, dtype=np.float64)
        x = _wrap_degrees(lon_a - self.lon0) * self.mx
        y = (lat_a - self.lat0) * self.my
        return x, y

    def from_xy(self, x: ArrayLike, y: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Inverse of :meth:`to_xy`: metres back to (lon, lat) degrees, lon in [-180, 180)."""
        x_a = np.asarray(x, dtype=np.float64)
        y_a = np.asarray(y, dtype=np.float64)
        lon = _wrap_degrees(self.lon0 + x_a / self.mx)
        lat = self.lat0 + y_a / self.my
        return lon, np.asarray(lat, dtype=np.float64)

    def geometry_to_xy(self, geom: G) -> G:
        """A WGS84 (lon, lat) shapely geometry in this frame's metres."""
        return shapely.transform(geom, self._forward)

    def geometry_from_xy(self, geom: G) -> G:
        """A geometry in this frame's metres back in WGS84 (lon, lat)."""
        return shapely.transform(geom, self._inverse)

    def scale_error(self, lat: float) -> float:
        """Relative east-west scale error of the frame at latitude ``lat`` (signed).

        Positive means the frame stretches distances. North-south scale is exact at ``lat0``
        and off by less than 1e-5 within 50 km, so this is the error that matters.
        """
        phi = math.radians(lat)
        true_mx = WGS84_A * math.cos(phi) / math.sqrt(1.0 - WGS84_E2 * math.sin(phi) ** 2)
        return self.mx / (true_mx * math.pi / 180.0) - 1.0

    def _forward(self, coords: FloatArray) -> FloatArray:
        x, y = self.to_xy(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    def _inverse(self, coords: FloatArray) -> FloatArray:
        lon, lat = self.from_xy(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])
