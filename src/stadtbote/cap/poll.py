"""Polling the towns' warning sources: each due source once, by one worker, with backoff.

The worker's upkeep calls ``poll_due`` every 10 s on every machine. A source is claimed by a
conditional UPDATE that moves its ``next_poll_at`` a lease ahead: of several workers, the one
whose UPDATE changes the row enqueues ``poll_source``; the others see it no longer due. Should
that worker die, the lease runs out and the source is due again. Should two polls of one source
overlap all the same, nothing goes out twice: the relay handles each warning once per town.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from stadtbote.cap.alert import CapError
from stadtbote.cap.fetch import Client, FetchError
from stadtbote.cap.models import ReceivedAlert, SourceKind, WarningSource
from stadtbote.cap.relay import alert_key, relay
from stadtbote.cap.sources import SourceError, harvest
from stadtbote.core.tasks import enqueue_on_commit

log = logging.getLogger(__name__)

# Longer than a poll can take (every fetch is bounded), so a running poll is not claimed again.
LEASE = timedelta(minutes=5)
MAX_BACKOFF_S = 3600.0
JITTER = 0.1
CLAIM_AT_ONCE = 200


@dataclass
class Report:
    """What one poll of one source did, for logs, the task result and `stadtbote cap poll`."""

    status: str = "ok"  # ok, unchanged, failed
    documents: int = 0
    skipped: int = 0  # known already, not fetched or read
    outcomes: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)  # documents that could not be read
    error: str = ""  # why the poll failed
    next_poll_at: datetime | None = None

    def __str__(self) -> str:
        if self.status == "failed":
            return f"failed: {self.error}"
        if self.status == "unchanged":
            return "unchanged"
        parts = [f"{self.documents} new"]
        parts += [f"{n} {outcome}" for outcome, n in sorted(self.outcomes.items())]
        if self.skipped:
            parts.append(f"{self.skipped} known")
        if self.errors:
            parts.append(f"{len(self.errors)} unreadable")
        return ", ".join(parts)


def poll_due(now: datetime | None = None) -> int:
    """Claim every due source and queue its poll; returns how many this caller claimed."""
    now = now or timezone.now()
    due = list(
        WarningSource.objects.filter(enabled=True, next_poll_at__lte=now)
        .exclude(kind=SourceKind.PUSH)
        .order_by("next_poll_at")
        .values_list("pk", flat=True)[:CLAIM_AT_ONCE]
    )
    claimed = 0
    for pk in due:
        with transaction.atomic():
            won = WarningSource.objects.filter(pk=pk, enabled=True, next_poll_at__lte=now).update(
                next_poll_at=now + LEASE
            )
            if won:
                enqueue_on_commit(poll_source, pk)
                claimed += 1
    return claimed


JOBS = {"cap_poll": (timedelta(seconds=10), poll_due)}


# Warnings are urgent: ahead of ordinary fan-outs (priority 5) in the same queue.
@task(queue_name="fanout", priority=10)
def poll_source(source_id: int) -> str:
    source = WarningSource.objects.select_related("tenant").filter(pk=source_id).first()
    if source is None or not source.enabled or source.kind == SourceKind.PUSH:
        return "skipped"
    report = poll(source)
    log.info("CAP poll %s: %s", source, report)
    return str(report)


def poll(
    source: WarningSource, *, now: datetime | None = None, rng: random.Random | None = None
) -> Report:
    """Fetch the source, relay what is new, and record the outcome on the source.

    ``now`` (tests) fixes the clock for the relay's expiry check and the source's times.
    """
    report = Report()
    redo = False  # a document failed in a way that may pass: fetch everything again next time
    try:
        with Client() as client:
            got = harvest(source, client, _seen(source))
            if got.status == 304:
                report.status = "unchanged"
            for document in got.documents:
                report.documents += 1
                try:
                    alert = document.read()
                except CapError as exc:
                    log.warning("CAP poll %s: %s unreadable: %s", source, document.name, exc)
                    report.errors.append(f"{document.name}: {exc}"[:300])
                    continue
                try:
                    handled = relay(source.tenant, source, alert, now)
                except Exception:  # one warning must not keep the others from the town
                    log.exception("CAP poll %s: relaying %s failed", source, alert.identifier)
                    report.errors.append(f"{document.name}: could not be relayed")
                    redo = True
                    continue
                report.outcomes["duplicate" if handled.duplicate else handled.outcome] += 1
            report.skipped = got.skipped  # counted while the documents were read
    except (FetchError, SourceError) as exc:
        report.status, report.error = "failed", str(exc)[:300]
        retry_after = exc.retry_after if isinstance(exc, FetchError) else None
        report.next_poll_at = _failed(source, report.error, retry_after, now, rng)
        log.warning("CAP poll %s failed: %s", source, report.error)
        return report
    etag, modified = ("", "") if redo else (got.etag, got.last_modified)
    report.next_poll_at = _succeeded(source, etag, modified, now)
    return report


def backoff(
    poll_seconds: int,
    failures: int,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds until the next try after ``failures`` failures in a row: doubling from the
    source's interval up to an hour, ±10 % so sources that failed together spread out again;
    never sooner than the server's Retry-After."""
    wait = min(max(poll_seconds, 1) * 2.0 ** min(failures, 20), MAX_BACKOFF_S)
    wait *= (rng or random).uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        wait = max(wait, min(retry_after, MAX_BACKOFF_S))
    return wait


def _seen(source: WarningSource) -> Callable[[list[str]], set[str]]:
    def seen(identifiers: list[str]) -> set[str]:
        keys: dict[str, list[str]] = {}
        for identifier in identifiers:
            keys.setdefault(alert_key(identifier), []).append(identifier)
        found = ReceivedAlert.objects.filter(tenant_id=source.tenant_id, key__in=list(keys))
        return {i for key in found.values_list("key", flat=True) for i in keys[key]}

    return seen


def _succeeded(source: WarningSource, etag: str, modified: str, now: datetime | None) -> datetime:
    at = now or timezone.now()
    following = at + timedelta(seconds=source.poll_seconds)
    # Only the polling state: the relay rule may be edited by staff meanwhile.
    WarningSource.objects.filter(pk=source.pk).update(
        failures=0,
        last_error="",
        etag=etag[:300],
        last_modified=modified[:100],
        last_polled_at=at,
        last_success_at=at,
        next_poll_at=following,
    )
    source.failures, source.last_error, source.next_poll_at = 0, "", following
    return following


def _failed(
    source: WarningSource,
    error: str,
    retry_after: float | None,
    now: datetime | None,
    rng: random.Random | None,
) -> datetime:
    at = now or timezone.now()
    failures = source.failures + 1
    following = at + timedelta(seconds=backoff(source.poll_seconds, failures, retry_after, rng))
    WarningSource.objects.filter(pk=source.pk).update(
        failures=failures, last_error=error, last_polled_at=at, next_poll_at=following
    )
    source.failures, source.last_error, source.next_poll_at = failures, error, following
    return following
