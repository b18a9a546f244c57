"""Background work of the public pages: telling the town about accessibility feedback."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django_tasks import task

from stadtbote.core.mail import send_with_retry
from stadtbote.core.retry import RetryPolicy
from stadtbote.core.tasks import enqueue_on_commit
from stadtbote.pages.models import Feedback
from stadtbote.subscribers.tasks import from_address

FEEDBACK_RETRY = RetryPolicy(max_attempts=6, base_delay=60, max_delay=3600)


@task(queue_name="send")
def notify_feedback(feedback_id: int, attempt: int = 1) -> str:
    """Mail a barrier report to the municipality's contact address; retried with backoff."""
    fb = Feedback.objects.select_related("tenant").filter(pk=feedback_id).first()
    if fb is None or not fb.tenant.contact_email:
        return "skipped"
    body = "\n".join(
        [
            f"Page: {fb.page or '-'}",
            f"Name: {fb.name or '-'}",
            f"E-mail: {fb.email or '-'}",
            f"Received: {fb.created_at.isoformat()}",
            "",
            fb.text,
            "",
            f"{settings.PUBLIC_URL}/admin/pages/feedback/{fb.pk}/change/",
        ]
    )
    mail = EmailMessage(
        f"[{fb.tenant.name}] Barrierefreiheit: Rückmeldung / accessibility feedback",
        body,
        from_email=from_address(fb.tenant.name),
        to=[fb.tenant.contact_email],
        reply_to=[fb.email] if fb.email else None,
        headers={"Auto-Submitted": "auto-generated"},
    )
    return send_with_retry(
        mail,
        FEEDBACK_RETRY,
        attempt,
        lambda when: enqueue_on_commit(notify_feedback, feedback_id, attempt + 1, run_after=when),
        f"feedback {feedback_id} mail",
    )
