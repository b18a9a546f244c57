"""A CAP 1.2 alert as plain data (OASIS CAP 1.2, section 3), free of XML and of Django.

The reader (``reader.py``) builds these from XML, the warnung.bund.de client from its JSON, and
the relay (``relay.py``) turns them into messages. Times are aware datetimes; coordinates are
(lon, lat) like GeoJSON and shapely, although CAP writes "lat,lon".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# CAP enumerations (section 3.2): kept as the strings the standard uses.
STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPES = ("Alert", "Update", "Cancel", "Ack", "Error")
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")


@dataclass(frozen=True)
class Reference:
    """One entry of ``references``: "sender,identifier,sent"."""

    sender: str
    identifier: str
    sent: str  # as written: only compared, never computed with


@dataclass(frozen=True)
class Circle:
    lon: float
    lat: float
    radius_km: float


@dataclass
class Area:
    description: str
    # Rings of (lon, lat); the first point repeats at the end (CAP demands it).
    polygons: list[list[tuple[float, float]]] = field(default_factory=list)
    circles: list[Circle] = field(default_factory=list)
    # (valueName, value), e.g. ("WARNCELLID", "805974028"), ("SHN", "055580000000").
    geocodes: list[tuple[str, str]] = field(default_factory=list)
    altitude: float | None = None
    ceiling: float | None = None

    def geocode(self, name: str) -> list[str]:
        return [v for n, v in self.geocodes if n == name]


@dataclass
class Info:
    language: str  # as written, e.g. "de-DE"; CAP's default is "en-US"
    categories: list[str]
    event: str
    urgency: str
    severity: str
    certainty: str
    response_types: list[str] = field(default_factory=list)
    audience: str = ""
    event_codes: list[tuple[str, str]] = field(default_factory=list)
    effective: datetime | None = None
    onset: datetime | None = None
    expires: datetime | None = None
    sender_name: str = ""
    headline: str = ""
    description: str = ""
    instruction: str = ""
    web: str = ""
    contact: str = ""
    parameters: list[tuple[str, str]] = field(default_factory=list)
    areas: list[Area] = field(default_factory=list)

    def event_code(self, name: str) -> list[str]:
        return [v for n, v in self.event_codes if n == name]

    def parameter(self, name: str) -> list[str]:
        return [v for n, v in self.parameters if n == name]


@dataclass
class Alert:
    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    scope: str
    source: str = ""
    restriction: str = ""
    addresses: str = ""
    codes: list[str] = field(default_factory=list)
    note: str = ""
    references: list[Reference] = field(default_factory=list)
    incidents: str = ""
    infos: list[Info] = field(default_factory=list)
    sent_text: str = ""  # ``sent`` exactly as written, for references to this alert

    @property
    def key(self) -> tuple[str, str]:
        """What identifies the alert among all others (CAP: sender and identifier)."""
        return (self.sender, self.identifier)


class CapError(ValueError):
    """A document that is not CAP 1.2 we can use: malformed, hostile, or against the schema.

    ``str()`` names what is wrong (and the line, where there is one), for the API's 4xx answer.
    """

    def __init__(self, message: str, line: int | None = None):
        super().__init__(f"{message} (line {line})" if line else message)
        self.line = line
