"""Telling a town's publishers that a message waits for a second person: one composed in the
staff console (four-eyes rule), or an official warning the relay rule holds for confirmation."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from stadtbote.core.mail import send_with_retry
from stadtbote.core.retry import RetryPolicy
from stadtbote.core.tasks import enqueue_on_commit
from stadtbote.messages.models import Message, MessageStatus
from stadtbote.subscribers.tasks import from_address
from stadtbote.tenants.models import StaffMembership

# In a storm minutes count: retry fast, a few times.
APPROVAL_RETRY = RetryPolicy(max_attempts=5, base_delay=15, max_delay=300)
APPROVERS = ("admin", "publisher")


@task(queue_name="send", priority=20)
def ask_for_approval(message_id: str, attempt: int = 1) -> str:
    """Mail the town's other admins and publishers that a message waits for approval."""
    message = Message.objects.select_related("tenant").filter(pk=message_id).first()
    if message is None or message.status != MessageStatus.DRAFT:
        return "skipped"
    tenant = message.tenant
    approvers = StaffMembership.objects.filter(tenant=tenant, role__in=APPROVERS)
    if message.author_id is not None:
        approvers = approvers.exclude(user_id=message.author_id)
    to = sorted(
        {
            m.user.email
            for m in approvers.select_related("user")
            if m.user.email and m.user.is_active
        }
    )
    if not to:
        return "nobody to ask"
    link = f"{settings.PUBLIC_URL}/{tenant.slug}/staff/messages/{message.pk}"
    title = message.title.get(tenant.default_language) or next(iter(message.title.values()), "")
    with translation.override(tenant.default_language):
        subject = _("[%(town)s] Waiting for your approval: %(title)s") % {
            "town": tenant.name,
            "title": title,
        }
        body = "\n".join(
            [
                (
                    _("An official warning from %(source)s waits for your confirmation:")
                    % {"source": message.source_name}
                    if message.source_name
                    else _("A message needs a second person's approval before it is sent:")
                ),
                "",
                title,
                "",
                link,
            ]
        )
    mail = EmailMessage(
        subject,
        body,
        from_email=from_address(tenant.name),
        bcc=to,
        headers={"Auto-Submitted": "auto-generated"},
    )
    return send_with_retry(
        mail,
        APPROVAL_RETRY,
        attempt,
        lambda when: enqueue_on_commit(ask_for_approval, message_id, attempt + 1, run_after=when),
        f"approval request for message {message_id}",
    )
