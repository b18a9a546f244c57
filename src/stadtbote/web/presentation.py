"""How messages look to citizens: severity shown as colour, symbol and words together."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from stadtbote.core.severity import Severity


@dataclass(frozen=True)
class SeverityLook:
    code: str
    label: object  # lazy translation
    symbol: str
    explanation: object


SEVERITY_LOOKS = {
    Severity.INFO: SeverityLook(
        "info", pgettext_lazy("severity", "Information"), "i", _("News and notices")
    ),
    Severity.MINOR: SeverityLook(
        "minor",
        pgettext_lazy("severity", "Advisory"),
        "!",
        _("Minor disruptions, e.g. a short road closure"),
    ),
    Severity.MODERATE: SeverityLook(
        "moderate",
        pgettext_lazy("severity", "Warning"),
        "!!",
        _("Possible danger, e.g. storm, ice, water outage"),
    ),
    Severity.SEVERE: SeverityLook(
        "severe",
        pgettext_lazy("severity", "Severe warning"),
        "!!!",
        _("Danger to health or property"),
    ),
    Severity.EXTREME: SeverityLook(
        "extreme",
        pgettext_lazy("severity", "Extreme danger"),
        "!!!!",
        _("Act now: danger to life"),
    ),
}


def severity_look(value: int) -> SeverityLook:
    return SEVERITY_LOOKS[Severity(value)]
