"""Background work of the reports domain."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from stadtbote.core.mail import send_with_retry
from stadtbote.core.retry import RetryPolicy
from stadtbote.core.tasks import enqueue_on_commit
from stadtbote.reports.models import Case, EventKind
from stadtbote.subscribers.tasks import from_address

MAIL_RETRY = RetryPolicy(max_attempts=6, base_delay=60, max_delay=3600)


@task(queue_name="send")
def send_escalation(case_id: int, kind: str, attempt: int = 1) -> str:
    """Mail a reminder to the department, or a breach to its head; retried with backoff."""
    case = (
        Case.objects.select_related("tenant", "department", "category").filter(pk=case_id).first()
    )
    if case is None:
        return "skipped"
    to = case.department.email if kind == EventKind.REMINDED else case.department.head_email
    if not to:
        return "no address"
    due = case.first_response_due.astimezone(timezone.get_current_timezone())
    what = "Erinnerung" if kind == EventKind.REMINDED else "Frist überschritten"
    subject = f"[{case.tenant.name}] {what}: Meldung {case.number} ({case.category.slug})"
    body = "\n".join(
        [
            f"Meldung {case.number} wartet auf eine erste Antwort.",
            f"Frist für die erste Antwort: {due:%d.%m.%Y %H:%M}",
            f"Ort: {case.address or f'{case.lat}, {case.lon}'}",
            "",
            f"{settings.PUBLIC_URL}/{case.tenant.slug}/staff/cases/{case.number}",
        ]
    )
    mail = EmailMessage(
        subject,
        body,
        from_email=from_address(case.tenant.name),
        to=[to],
        headers={"Auto-Submitted": "auto-generated"},
    )
    return send_with_retry(
        mail,
        MAIL_RETRY,
        attempt,
        lambda when: enqueue_on_commit(send_escalation, case_id, kind, attempt + 1, run_after=when),
        f"escalation mail for case {case_id}",
    )


@task(queue_name="send")
def notify_followers(event_id: int) -> int:
    """Tell the reporter and followers about a public change; retries transient failures."""
    from stadtbote.reports import notify

    retry = notify.send(notify.prepare(event_id))
    if retry:
        enqueue_on_commit(
            resend_notices,
            retry,
            2,
            run_after=timezone.now() + timedelta(seconds=MAIL_RETRY.delay(1)),
        )
    return len(retry)


@task(queue_name="send")
def resend_notices(notice_ids: list[int], attempt: int) -> int:
    from stadtbote.reports import notify

    retry = notify.send(notice_ids)
    if retry:
        enqueue_on_commit(
            resend_notices,
            retry,
            attempt + 1,
            run_after=timezone.now() + timedelta(seconds=MAIL_RETRY.delay(attempt)),
        )
    return len(retry)


@task(queue_name="send", priority=10)
def send_follow_confirmation(case_id: int, email: str, language: str, attempt: int = 1) -> str:
    """Mail the link that confirms following a report by e-mail; retried with backoff."""
    from stadtbote.reports.following import LINK_VALID_S, email_token

    case = Case.objects.select_related("tenant").filter(pk=case_id).first()
    if case is None:
        return "skipped"
    link = f"{settings.PUBLIC_URL}/{case.tenant.slug}/reports/follow/{email_token(case, email)}"
    with translation.override(language):
        subject = _("[%(town)s] Confirm: follow report %(number)s") % {
            "town": case.tenant.name,
            "number": case.number,
        }
        body = "\n".join(
            [
                _("Someone (hopefully you) asked to follow report %(number)s by e-mail.")
                % {"number": case.number},
                "",
                _("To get a mail on every public change, open this link within %(days)s days:")
                % {"days": LINK_VALID_S // 86400},
                link,
                "",
                _("If it was not you, ignore this mail; nothing will be sent to you."),
            ]
        )
    mail = EmailMessage(
        subject,
        body,
        from_email=from_address(case.tenant.name),
        to=[email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    return send_with_retry(
        mail,
        MAIL_RETRY,
        attempt,
        lambda when: enqueue_on_commit(
            send_follow_confirmation, case_id, email, language, attempt + 1, run_after=when
        ),
        f"follow confirmation for case {case_id}",
    )
