"""Background work of the subscribers domain."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from stadtbote.core.retry import RetryPolicy
from stadtbote.core.tasks import enqueue_on_commit
from stadtbote.subscribers import doi, sms_codes
from stadtbote.subscribers.models import Channel, ChannelStatus

log = logging.getLogger(__name__)

CONFIRMATION_RETRY = RetryPolicy(max_attempts=6, base_delay=30, max_delay=3600)


@task(queue_name="send", priority=10)
def send_confirmation(channel_id: int, attempt: int = 1) -> str:
    """Mail the double opt-in link. Retries transient SMTP trouble with backoff."""
    channel = Channel.objects.select_related("tenant", "subscriber").filter(pk=channel_id).first()
    if channel is None or channel.status != ChannelStatus.PENDING:
        return "skipped"
    tenant = channel.tenant
    token = doi.mint_link_token(channel)
    link = f"{settings.PUBLIC_URL}/{tenant.slug}/confirm/{token}"
    with translation.override(channel.subscriber.language):
        context = {
            "tenant": tenant,
            "link": link,
            "hours": int(doi.LINK_VALID_FOR.total_seconds() // 3600),
        }
        subject = render_to_string("subscribers/email/confirm_subject.txt", context).strip()
        text = render_to_string("subscribers/email/confirm.txt", context)
        html = render_to_string("subscribers/email/confirm.html", context)
    mail = EmailMultiAlternatives(
        subject, text, from_email=from_address(tenant.name), to=[channel.address]
    )
    mail.attach_alternative(html, "text/html")
    # Never a List-Unsubscribe here: there is nothing to unsubscribe from before confirmation.
    mail.extra_headers["Auto-Submitted"] = "auto-generated"
    try:
        mail.send()
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
        log.warning("confirmation mail for channel %s refused: %s", channel_id, exc)
        return "refused"
    except (OSError, smtplib.SMTPException) as exc:
        if CONFIRMATION_RETRY.exhausted(attempt):
            log.error("confirmation mail for channel %s failed for good: %s", channel_id, exc)
            return "failed"
        wait = CONFIRMATION_RETRY.delay(attempt)
        enqueue_on_commit(
            send_confirmation,
            channel_id,
            attempt + 1,
            run_after=timezone.now() + timedelta(seconds=wait),
        )
        return "retry"
    return "sent"


@task(queue_name="send", priority=10)
def send_sms_code(channel_id: int, attempt: int = 1) -> str:
    """Send the code that confirms a phone number. Retries transient trouble with backoff."""
    from stadtbote.delivery.channels.base import Notice, Outgoing
    from stadtbote.delivery.registry import open_channel

    channel = Channel.objects.select_related("tenant", "subscriber").filter(pk=channel_id).first()
    if channel is None or channel.status != ChannelStatus.PENDING:
        return "skipped"
    tenant = channel.tenant
    code = sms_codes.mint_code(channel)
    minutes = int(sms_codes.CODE_VALID_FOR.total_seconds() // 60)
    with translation.override(channel.subscriber.language):
        text = _("%(town)s: your code is %(code)s. It is valid for %(minutes)s minutes.") % {
            "town": tenant.name,
            "code": code,
            "minutes": minutes,
        }
    notice = Notice(
        message_id=f"code-{channel_id}",
        kind="message",
        title="",
        body=text,
        severity="info",
        url="",
        language=channel.subscriber.language,
        tenant=tenant.slug,
        tenant_name=tenant.name,
    )
    item = Outgoing(channel_id, channel.address, notice, {"text": text}, f"code:{channel_id}")
    try:
        sms = open_channel("sms", tenant)
    except Exception as exc:  # providers removed or misconfigured: said once, in the log
        log.error("code for channel %s not sent: cannot open SMS: %s", channel_id, exc)
        return "failed"
    try:
        [outcome] = sms.send([item])
    finally:
        sms.close()
    if outcome.status == "sent":
        return "sent"
    if outcome.status == "retry" and not CONFIRMATION_RETRY.exhausted(attempt):
        wait = CONFIRMATION_RETRY.delay(attempt, outcome.retry_after)
        enqueue_on_commit(
            send_sms_code,
            channel_id,
            attempt + 1,
            run_after=timezone.now() + timedelta(seconds=wait),
        )
        return "retry"
    log.warning("code for channel %s not sent: %s", channel_id, outcome.reason)
    return "failed"


@task(queue_name="maintenance")
def purge_unconfirmed() -> int:
    return doi.purge_unconfirmed()


def from_address(name: str) -> str:
    address = settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">")
    safe = name.replace('"', "").replace("\n", " ")
    return f'"{safe}" <{address}>'
