"""Pure delivery rules of SPEC.md: quiet hours and language choice. No database, no clock."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from stadtbote.core.severity import Severity


def held_until(
    now: datetime, tz: str, start: time | None, end: time | None, severity: Severity
) -> datetime | None:
    """When a message may be sent to someone with these quiet hours, or None for "now".

    Quiet hours hold back everything below ``severe``; severe and extreme warnings pass. The
    window is in the municipality's local time and may span midnight (22:00-07:00). The result
    is the end of the current window, in UTC.
    """
    if start is None or end is None or start == end or severity.passes_quiet_hours:
        return None
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    t = local.time().replace(tzinfo=None)
    if start < end:
        quiet = start <= t < end
        end_day = local.date()
    else:  # spans midnight
        quiet = t >= start or t < end
        end_day = local.date() + timedelta(days=1) if t >= start else local.date()
    if not quiet:
        return None
    # fold=0 resolves the autumn repeated hour to its first occurrence; a spring-gap end time
    # (02:30 on the switch day) becomes the equivalent wall time after the gap.
    release = datetime.combine(end_day, end, tzinfo=zone)
    return release.astimezone(UTC)


def pick_language(texts: Mapping[str, str], preferred: str, default: str) -> str:
    """The subscriber's language if the message has it, else the tenant's default, else any."""
    if texts.get(preferred):
        return preferred
    if texts.get(default):
        return default
    for lang, text in texts.items():
        if text:
            return lang
    return default
