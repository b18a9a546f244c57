"""The DWD's profile of CAP (Deutscher Wetterdienst, "CAP DWD Profile" 2.x): what its warnings
say in eventCodes and geocodes beyond plain CAP.

Pure functions over parsed alerts, no I/O. What the reference warnings in tests/cap/data/dwd
show: sender "CAP@dwd.de", identifiers "2.49.0.1.276.0.DWD.PVW.<ms>.<uuid>.DEU", one info in
de-DE per document (the English text is a document of its own), eventCodes PROFILE_VERSION,
LICENSE, II, GROUP (repeated) and AREA_COLOR, and areas of two kinds: "polygonal event area"
with a polygon (and maybe EXCLUDE_POLYGON geocodes), and one area per municipality with only a
WARNCELLID geocode.
"""

from __future__ import annotations

import logging
import re

from stadtbote.cap.alert import Alert, Area, CapError, Info
from stadtbote.cap.reader import Ring, parse_polygon

log = logging.getLogger(__name__)

# The WMO register OID of Germany's alerting authorities: the DWD publishes under
# 2.49.0.1.276.0 (the reference warnings), other DWD feeds under 2.49.0.0.276.0, and
# warnung.bund.de puts a prefix like "dwdmap." in front.
_DWD_IDENTIFIER = re.compile(r"(?:^|\.)2\.49\.0\.[01]\.276\.0\.DWD\.")
_RGB = re.compile(r"(\d{1,3})\s+(\d{1,3})\s+(\d{1,3})")


def is_dwd(alert: Alert) -> bool:
    """Whether the alert comes from the DWD, directly (CAP@dwd.de, opendata@dwd.de) or relayed."""
    return alert.sender.lower().endswith("@dwd.de") or bool(
        _DWD_IDENTIFIER.search(alert.identifier)
    )


def warn_cells(area: Area) -> list[str]:
    """The DWD warn cells (WARNCELLID, e.g. "805974028" for Lippstadt) the area stands for."""
    return area.geocode("WARNCELLID")


def excluded_polygons(area: Area) -> list[Ring]:
    """The parts of the area's polygon the warning spares, as (lon, lat) rings.

    Format of the geocode EXCLUDE_POLYGON: the value is written like a CAP <polygon>, "lat,lon"
    pairs in WGS 84 separated by spaces, the first pair repeated at the end; the DWD writes the
    closing pair twice and ends with a space ("50.50,7.71 50.49,7.72 50.50,7.73 50.50,7.71
    50.50,7.71 "). Each lies inside the polygon of its own area and cuts a hole in it.

    An exclusion we cannot read is skipped, not raised: it would only make the warned area
    larger, whereas failing would lose the warning.
    """
    rings = []
    for value in area.geocode("EXCLUDE_POLYGON"):
        try:
            rings.append(parse_polygon(value))
        except CapError as exc:
            log.warning("ignoring unreadable EXCLUDE_POLYGON in %r: %s", area.description, exc)
    return rings


def group(info: Info) -> list[str]:
    """The DWD's warning groups (GROUP), e.g. ["GLAZE", "FROST"], ["THUNDERSTORM"]."""
    return info.event_code("GROUP")


def area_color(info: Info) -> str | None:
    """The DWD's map colour of the warning (AREA_COLOR "255 153 0") as "#ff9900"."""
    for value in info.event_code("AREA_COLOR"):
        match = _RGB.fullmatch(value.strip())
        if match and all(int(part) <= 255 for part in match.groups()):
            return "#" + "".join(f"{int(part):02x}" for part in match.groups())
    return None


def ii(info: Info) -> int | None:
    """The DWD's warning type code (II, e.g. 84 for glaze, 31 for a thunderstorm)."""
    for value in info.event_code("II"):
        if value.strip().isascii() and value.strip().isdecimal():
            return int(value)
    return None


def profile_version(info: Info) -> str | None:
    """The version of the DWD profile the warning follows (PROFILE_VERSION, e.g. "2.1")."""
    versions = info.event_code("PROFILE_VERSION")
    return versions[0] if versions else None
