"""Telling the reporter and every follower about public changes and replies: by e-mail, and by
Web Push to followers who subscribed in the citizen app."""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from stadtbote.core.retry import RetryPolicy
from stadtbote.reports import following
from stadtbote.reports.models import (
    Case,
    CaseEvent,
    CaseNotice,
    CategoryKind,
    EventKind,
    Follower,
    NoticeStatus,
)
from stadtbote.subscribers.models import Channel, ChannelStatus, ChannelType
from stadtbote.subscribers.tasks import from_address

log = logging.getLogger(__name__)

RETRY = RetryPolicy(max_attempts=6, base_delay=60, max_delay=3600)
TOLD = (EventKind.STATUS, EventKind.REPLY, EventKind.MERGED)

STATUS_WORDS = {
    "received": pgettext_lazy("case status", "received"),
    "in_progress": pgettext_lazy("case status", "in progress"),
    "scheduled": pgettext_lazy("case status", "scheduled"),
    "resolved": pgettext_lazy("case status", "resolved"),
    "closed": pgettext_lazy("case status", "closed"),
    "rejected": pgettext_lazy("case status", "rejected"),
    "duplicate": pgettext_lazy("case status", "already reported"),
    "forwarded": pgettext_lazy("case status", "forwarded to the responsible body"),
}


def worth_telling(event: CaseEvent) -> bool:
    return event.public and event.kind in TOLD


def prepare(event_id: int) -> list[int]:
    """Create one pending notice per follower address (idempotent); returns the ids to send.

    E-mail notices are keyed by the address (a reporter who also follows in the app gets one
    mail); push notices by the browser subscription's channel id.
    """
    event = CaseEvent.objects.select_related("case").get(pk=event_id)
    if not worth_telling(event):
        return []
    emails, pushes = audience(event.case_id)
    with transaction.atomic():
        for address in sorted(emails):
            CaseNotice.objects.get_or_create(event=event, channel="email", address=address)
        for channel_id in sorted(pushes):
            CaseNotice.objects.get_or_create(event=event, channel="webpush", address=channel_id)
    return list(
        CaseNotice.objects.filter(
            event=event, status__in=[NoticeStatus.PENDING, NoticeStatus.RETRY]
        ).values_list("pk", flat=True)
    )


def audience(case_id: int) -> tuple[set[str], set[str]]:
    """Who hears about the case now: (e-mail addresses, lower-cased; Web Push channel ids).

    Followers by e-mail, and the confirmed channels of followers who subscribed in the app,
    unless they paused: a pause in the app stops everything it sends, report news included.
    """
    followers = Follower.objects.filter(case_id=case_id)
    emails = {f.email.lower() for f in followers.exclude(email="")}
    subscriber_ids = [f.subscriber_id for f in followers if f.subscriber_id]
    channels = Channel.objects.filter(
        subscriber_id__in=subscriber_ids,
        status=ChannelStatus.CONFIRMED,
        subscriber__paused=False,
    )
    pushes = set()
    for channel in channels:
        if channel.type == ChannelType.EMAIL:
            emails.add(channel.address.lower())
        elif channel.type == ChannelType.WEBPUSH:
            pushes.add(str(channel.pk))
    return emails, pushes


def send(notice_ids: list[int]) -> list[int]:
    """Send e-mails over one SMTP connection and pushes per town; returns the ids to retry."""
    notices = _still_wanted(
        list(
            CaseNotice.objects.filter(
                pk__in=notice_ids, status__in=[NoticeStatus.PENDING, NoticeStatus.RETRY]
            ).select_related("event__case__tenant", "event__case__category")
        )
    )
    mails = [n for n in notices if n.channel == "email"]
    pushes = [n for n in notices if n.channel == "webpush"]
    retry = _send_mails(mails) if mails else []
    if pushes:
        from stadtbote.reports import push

        retry += push.send(pushes, _later_or_never)
    return retry


def _still_wanted(notices: list[CaseNotice]) -> list[CaseNotice]:
    """The notices still to send. A retry can come hours later: an address whose stop link was
    used, or that belongs to a subscriber who paused the app, gets no more mail (push notices
    are checked in ``push.send``, where their channels are read)."""
    audiences: dict[int, set[str]] = {}
    wanted, dropped = [], []
    for notice in notices:
        if notice.channel == "email":
            case_id = notice.event.case_id
            if case_id not in audiences:
                audiences[case_id] = audience(case_id)[0]
            if notice.address not in audiences[case_id]:
                notice.status, notice.reason = NoticeStatus.FAILED, "no longer following"
                dropped.append(notice)
                continue
        wanted.append(notice)
    if dropped:
        CaseNotice.objects.bulk_update(dropped, ["status", "reason"])
    return wanted


def _send_mails(notices: list[CaseNotice]) -> list[int]:
    retry: list[int] = []
    connection = get_connection()
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as exc:
        return _failed_all(notices, f"smtp: {exc}")
    try:
        for notice in notices:
            notice.attempts += 1
            try:
                connection.send_messages([_mail(notice)])
            except smtplib.SMTPRecipientsRefused as exc:
                notice.status, notice.reason = NoticeStatus.FAILED, f"refused: {exc}"[:300]
            except (OSError, smtplib.SMTPException) as exc:
                if _later_or_never(notice, str(exc)):
                    retry.append(notice.pk)
            else:
                notice.status, notice.sent_at, notice.reason = NoticeStatus.SENT, timezone.now(), ""
            notice.save(update_fields=["status", "attempts", "reason", "sent_at"])
    finally:
        connection.close()
    return retry


def _later_or_never(notice: CaseNotice, reason: str) -> bool:
    """Mark a transient failure: retry (True) until the policy gives up."""
    notice.reason = reason[:300]
    notice.status = NoticeStatus.FAILED if RETRY.exhausted(notice.attempts) else NoticeStatus.RETRY
    return notice.status == NoticeStatus.RETRY


def _failed_all(notices: list[CaseNotice], reason: str) -> list[int]:
    """The SMTP server could not be reached: every notice counts one failed attempt."""
    retry = []
    for notice in notices:
        notice.attempts += 1
        if _later_or_never(notice, reason):
            retry.append(notice.pk)
        notice.save(update_fields=["status", "attempts", "reason"])
    return retry


def headline(event: CaseEvent) -> str:
    """What changed, in the active language, for a push title or a mail's first line."""
    number = event.case.number
    if is_inquiry(event.case):
        if event.kind == EventKind.STATUS:
            return _("Your question %(number)s: %(status)s") % {
                "number": number,
                "status": STATUS_WORDS[event.new_status],
            }
        return _("Your question %(number)s: the answer") % {"number": number}
    if event.kind == EventKind.STATUS:
        return _("Report %(number)s: %(status)s") % {
            "number": number,
            "status": STATUS_WORDS[event.new_status],
        }
    if event.kind == EventKind.MERGED:
        return _("Report %(number)s: already reported") % {"number": number}
    return _("Report %(number)s: new answer") % {"number": number}


def is_inquiry(case: Case) -> bool:
    return case.category.kind == CategoryKind.INQUIRY


def _mail(notice: CaseNotice) -> EmailMessage:
    event = notice.event
    case = event.case
    tenant = case.tenant
    # A question is answered in the language it was asked in.
    language = case.language or tenant.default_language
    inquiry = is_inquiry(case)
    with translation.override(language):
        category = case.category.name.get(language) or case.category.slug
        if inquiry:
            lines = [
                _("Your question %(number)s to %(town)s")
                % {"number": case.number, "town": tenant.name},
                "",
                case.description[:300],
                "",
            ]
        else:
            lines = [
                _("Your report %(number)s (%(category)s)")
                % {"number": case.number, "category": category},
                "",
            ]
        if event.kind == EventKind.STATUS:
            lines.append(_("New status: %(status)s") % {"status": STATUS_WORDS[event.new_status]})
        elif event.kind == EventKind.MERGED:
            lines.append(_("This problem had already been reported; we handle it there."))
        if event.text:
            lines += ["", event.text]
        stop = (
            f"{settings.PUBLIC_URL}/{tenant.slug}/reports/unfollow/"
            f"{following.unfollow_token(case, notice.address)}"
        )
        lines += [
            "",
            _("Thank you for helping %(town)s.") % {"town": tenant.name},
            "",
            _("No more mails about this question: %(link)s") % {"link": stop}
            if inquiry
            else _("No more mails about this report: %(link)s") % {"link": stop},
        ]
        subject = (
            _("[%(town)s] Your question %(number)s: update")
            if inquiry
            else _("[%(town)s] Report %(number)s: update")
        ) % {"town": tenant.name, "number": case.number}
    return EmailMessage(
        subject,
        "\n".join(lines),
        from_email=from_address(tenant.name),
        to=[notice.address],
        headers={
            "Auto-Submitted": "auto-generated",
            "X-Stadtbote-Case": str(case.public_id),
            # RFC 8058 one-click: the mail client POSTs to the link; the signed token authorises.
            "List-Unsubscribe": f"<{stop}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
