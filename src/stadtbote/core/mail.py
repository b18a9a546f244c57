"""Sending one mail with the retry rules every mail task shares."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from datetime import datetime, timedelta

from django.core.mail import EmailMessage
from django.utils import timezone

from stadtbote.core.retry import RetryPolicy

log = logging.getLogger(__name__)


def send_with_retry(
    mail: EmailMessage,
    policy: RetryPolicy,
    attempt: int,
    requeue: Callable[[datetime], None],
    what: str,
) -> str:
    """Send ``mail``; on a transient SMTP error call ``requeue(run_after)`` until ``policy``
    is exhausted. Returns "sent", "retry" or "failed"."""
    try:
        mail.send()
    except (OSError, smtplib.SMTPException) as exc:
        if policy.exhausted(attempt):
            log.error("%s failed for good: %s", what, exc)
            return "failed"
        requeue(timezone.now() + timedelta(seconds=policy.delay(attempt)))
        return "retry"
    return "sent"
