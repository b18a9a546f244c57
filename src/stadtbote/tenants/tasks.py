"""Background work of accounts: telling a person that their account was locked."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from stadtbote.core.mail import send_with_retry
from stadtbote.core.retry import RetryPolicy
from stadtbote.core.tasks import enqueue_on_commit

LOCK_MAIL_RETRY = RetryPolicy(max_attempts=4, base_delay=30, max_delay=600)


@task(queue_name="send", priority=20)
def tell_of_lock(user_id: int, language: str, minutes: int, attempt: int = 1) -> str:
    """The lock answers like a wrong password (nobody learns that the account exists), so its
    owner hears of it here, and can raise the alarm if it was not them."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return "nobody to tell"
    with translation.override(language):
        subject = _("Your Stadtbote staff account is locked for %(minutes)d minutes") % {
            "minutes": minutes
        }
        body = "\n".join(
            [
                _("There were too many failed sign-in attempts with your account, so it is")
                + " "
                + _("locked for %(minutes)d minutes.") % {"minutes": minutes},
                "",
                _("If that was not you, tell your town's admin or the operator at once."),
            ]
        )
    mail = EmailMessage(
        subject,
        body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    return send_with_retry(
        mail,
        LOCK_MAIL_RETRY,
        attempt,
        lambda when: enqueue_on_commit(
            tell_of_lock, user_id, language, minutes, attempt + 1, run_after=when
        ),
        f"lock notice for user {user_id}",
    )
