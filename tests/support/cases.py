"""A problem report in the demo town, as most report tests need one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from stadtbote.reports import service
from stadtbote.reports.models import Case
from stadtbote.tenants.models import Municipality

# A small pothole in the Altstadt (tests.conftest.ALTSTADT).
POTHOLE: dict[str, Any] = {
    "category": "schlagloch",
    "lat": 51.673,
    "lon": 8.345,
    "answers": {"size": "small"},
}


def report(tenant: Municipality, when: datetime | None = None, **changes: Any) -> Case:
    body = {**POTHOLE, **changes}
    if body["category"] != POTHOLE["category"] and "answers" not in changes:
        body["answers"] = {}  # the size question belongs to potholes
    return service.create_case(tenant, body, now=when)
