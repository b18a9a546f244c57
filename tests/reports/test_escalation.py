"""The 24-hour promise is watched: a reminder at 75 %, the head of department on breach, each
once, and nothing for answered cases."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from stadtbote.delivery import maintenance
from stadtbote.reports import escalation, service
from stadtbote.reports.models import Case
from tests.conftest import ALTSTADT
from tests.support.tasks import drain

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 11, 23, 10, tzinfo=BERLIN)


def report(tenant) -> Case:
    return service.create_case(
        tenant,
        {
            "category": "schlagloch",
            "lat": ALTSTADT[0],
            "lon": ALTSTADT[1],
            "answers": {"size": "small"},
        },
        now=START,
    )


# Mails are enqueued after commit: these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


def test_the_department_is_reminded_at_75_percent_and_the_head_told_on_breach(tenant, smtp):
    case = report(tenant)
    assert escalation.sweep(START + timedelta(hours=17)) == 0
    assert escalation.sweep(START + timedelta(hours=18)) == 1
    drain()
    [reminder] = [r.message for r in smtp.received]
    assert reminder["To"] == "tiefbau@musterstadt.example"
    assert "Meldung 1" in reminder["Subject"]
    assert escalation.sweep(START + timedelta(hours=20)) == 0  # once only
    assert escalation.sweep(START + timedelta(hours=24, seconds=1)) == 1
    drain()
    assert smtp.received[-1].message["To"] == "leitung.tiefbau@musterstadt.example"
    kinds = list(Case.objects.get(pk=case.pk).events.values_list("kind", flat=True))
    assert kinds == ["created", "reminded", "escalated"]


def test_an_answered_case_is_never_escalated(tenant, smtp):
    case = report(tenant)
    service.reply(case, "Wir sehen es uns an.", None)
    assert escalation.sweep(START + timedelta(days=3)) == 0


def test_a_late_sweep_sends_both_at_once_and_the_worker_runs_it_with_the_upkeep(tenant, smtp):
    report(tenant)
    later = timezone.now() + timedelta(days=30)
    done = maintenance.run_due(now=later, jobs=escalation.JOBS)
    assert done == {"report_escalations": 2}
    drain()
    assert len(smtp.received) == 2
