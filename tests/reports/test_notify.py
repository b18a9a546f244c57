"""The reporter and followers hear about every public change, once, even when SMTP stumbles."""

from __future__ import annotations

import pytest

from stadtbote.reports import service
from stadtbote.reports.models import Case, CaseNotice, Follower
from tests.conftest import ALTSTADT
from tests.support.smtp import free_port
from tests.support.tasks import drain

# Notices are enqueued after commit: these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


def report(tenant) -> Case:
    case = service.create_case(
        tenant,
        {
            "category": "schlagloch",
            "lat": ALTSTADT[0],
            "lon": ALTSTADT[1],
            "answers": {"size": "small"},
            "email": "ada@example.org",
        },
    )
    Follower.objects.create(case=case, email="bert@example.org")
    return case


def test_a_reply_reaches_the_reporter_and_every_follower_once(tenant, smtp):
    case = report(tenant)
    service.reply(case, "Die Reparatur ist für Donnerstag geplant.", None)
    drain()
    drain()
    assert sorted(r.rcpt_tos[0] for r in smtp.received) == ["ada@example.org", "bert@example.org"]
    mail = smtp.received[0].message
    assert "Meldung 1" in mail["Subject"] or "Report 1" in mail["Subject"]
    assert "Donnerstag" in mail.get_content()
    assert set(CaseNotice.objects.values_list("status", flat=True)) == {"sent"}


def test_internal_notes_and_private_status_changes_tell_nobody(tenant, smtp):
    case = report(tenant)
    service.add_note(case, "Bauhof informiert", None)
    service.change_status(case, "in_progress", None, public=False)
    drain()
    assert smtp.received == []


def test_when_smtp_is_down_notices_wait_and_are_sent_later(tenant, settings, smtp):
    case = report(tenant)
    working_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nobody listens there
    service.change_status(case, "in_progress", None, text="Wir kümmern uns.")
    drain()
    assert set(CaseNotice.objects.values_list("status", flat=True)) == {"retry"}
    settings.EMAIL_PORT = working_port
    drain(fast_forward=True)
    assert set(CaseNotice.objects.values_list("status", flat=True)) == {"sent"}
    assert len(smtp.received) == 2
    assert "Neuer Stand: in Bearbeitung" in smtp.received[0].message.get_content()


def test_a_notice_that_keeps_failing_is_given_up_after_the_retry_limit(
    tenant, settings, smtp, monkeypatch
):
    from stadtbote.core.retry import RetryPolicy
    from stadtbote.reports import notify

    monkeypatch.setattr(notify, "RETRY", RetryPolicy(max_attempts=1, base_delay=1, max_delay=1))
    case = report(tenant)
    settings.EMAIL_PORT = free_port()
    service.reply(case, "Wir sind dran.", None)
    drain()
    assert set(CaseNotice.objects.values_list("status", flat=True)) == {"failed"}
