"""Mail tasks share one retry rule: retry transient SMTP trouble with backoff, then give up."""

from __future__ import annotations

import smtplib
from datetime import datetime

from stadtbote.core.mail import send_with_retry
from stadtbote.core.retry import RetryPolicy

POLICY = RetryPolicy(max_attempts=3, base_delay=60, max_delay=3600)


class Mail:
    def __init__(self, error: Exception | None = None):
        self.error, self.sent = error, 0

    def send(self) -> int:
        if self.error:
            raise self.error
        self.sent += 1
        return 1


def test_a_sent_mail_is_not_requeued():
    later: list[datetime] = []
    assert send_with_retry(Mail(), POLICY, 1, later.append, "test") == "sent"  # type: ignore[arg-type]
    assert later == []


def test_a_transient_failure_is_requeued_for_later():
    later: list[datetime] = []
    mail = Mail(smtplib.SMTPServerDisconnected("gone"))
    assert send_with_retry(mail, POLICY, 1, later.append, "test") == "retry"  # type: ignore[arg-type]
    assert len(later) == 1


def test_after_the_last_attempt_it_gives_up():
    later: list[datetime] = []
    mail = Mail(ConnectionRefusedError())
    assert send_with_retry(mail, POLICY, 3, later.append, "test") == "failed"  # type: ignore[arg-type]
    assert later == []
