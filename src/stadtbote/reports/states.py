"""The life of a case as an explicit state machine (pure). Every change goes through
``transition``; anything not listed here is refused."""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    SCHEDULED = "scheduled"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    FORWARDED = "forwarded"


S = CaseStatus

ALLOWED: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.RECEIVED: frozenset(
        {S.IN_PROGRESS, S.SCHEDULED, S.RESOLVED, S.REJECTED, S.DUPLICATE, S.FORWARDED}
    ),
    S.IN_PROGRESS: frozenset({S.SCHEDULED, S.RESOLVED, S.REJECTED, S.DUPLICATE, S.FORWARDED}),
    S.SCHEDULED: frozenset({S.IN_PROGRESS, S.RESOLVED, S.REJECTED, S.FORWARDED}),
    # A resolved case is reopened when the reporter says it is not fixed, or closed for good.
    S.RESOLVED: frozenset({S.IN_PROGRESS, S.CLOSED}),
    S.REJECTED: frozenset({S.IN_PROGRESS, S.CLOSED}),
    S.FORWARDED: frozenset({S.IN_PROGRESS, S.CLOSED}),
    S.CLOSED: frozenset({S.IN_PROGRESS}),
    # Merged into another case: its followers moved there; nothing happens here any more.
    S.DUPLICATE: frozenset(),
}

# Open311 GeoReport v2 knows only "open" and "closed".
OPEN = frozenset({S.RECEIVED, S.IN_PROGRESS, S.SCHEDULED})


class TransitionRefused(ValueError):
    def __init__(self, current: CaseStatus, wanted: CaseStatus):
        super().__init__(f"a case that is {current} cannot become {wanted}")
        self.current, self.wanted = current, wanted


def can(current: CaseStatus, wanted: CaseStatus) -> bool:
    return wanted in ALLOWED[current]


def transition(current: CaseStatus, wanted: CaseStatus) -> CaseStatus:
    if not can(current, wanted):
        raise TransitionRefused(current, wanted)
    return wanted


def open311_status(status: CaseStatus) -> str:
    return "open" if status in OPEN else "closed"


def answers_the_reporter(old: CaseStatus, new: CaseStatus) -> bool:
    """Leaving "received" is a first answer: the town has visibly taken the case up."""
    return old is S.RECEIVED and new is not S.RECEIVED
