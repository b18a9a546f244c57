"""Confirming a phone number with a code sent to it by SMS.

Nothing but the code is ever sent to an unconfirmed number (fan-out selects confirmed channels
only). A code is six digits, so it is guarded the way short secrets must be: it is valid for
``CODE_VALID_FOR``, dies after ``MAX_ATTEMPTS`` wrong guesses, only its digest (bound to the
channel) is stored, and a new one is sent at most every ``RESEND_INTERVAL``. SMS cost money and
invite "SMS pumping" fraud, so codes per town and hour are capped as well.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from stadtbote.core import tokens
from stadtbote.core.errors import InvalidInput, RateLimited
from stadtbote.core.ratelimit import allow
from stadtbote.subscribers.models import Channel, ChannelStatus

CODE_VALID_FOR = timedelta(minutes=15)
RESEND_INTERVAL = timedelta(minutes=1)
MAX_ATTEMPTS = 5
CODES_PER_TOWN_AND_HOUR = 500
CODES_PER_NUMBER_AND_DAY = 5


def _digest(channel: Channel, code: str) -> str:
    # Bound to the channel: the same six digits for two numbers are two different digests.
    return tokens.digest(f"sms-code:{channel.pk}:{code}")


def request_code(channel: Channel, *, new_code: bool = False) -> None:
    """Queue a code for the channel's number (after commit); the task mints it, so the code
    never sits in the task queue.

    Saving a subscription again while its code is still valid sends nothing (each SMS costs,
    and the daily limit per number must not be used up by saves); ``new_code`` (the citizen
    asks for one) sends a new code once ``RESEND_INTERVAL`` has passed.
    """
    from stadtbote.subscribers.tasks import send_sms_code

    now = timezone.now()
    valid_until = channel.confirm_expires_at
    if valid_until and (
        valid_until > now if not new_code else valid_until - CODE_VALID_FOR + RESEND_INTERVAL > now
    ):
        return
    number = f"{channel.tenant_id}:{channel.address_key}"
    if not allow("sms-code-number", number, CODES_PER_NUMBER_AND_DAY, 86400):
        raise RateLimited("too many codes for this number today; try again tomorrow")
    if not allow("sms-code-town", str(channel.tenant_id), CODES_PER_TOWN_AND_HOUR, 3600):
        raise RateLimited("too many confirmation codes just now; try again later")
    channel.confirm_expires_at = now + CODE_VALID_FOR
    channel.save(update_fields=["confirm_expires_at"])
    channel_id = channel.pk
    transaction.on_commit(lambda: send_sms_code.enqueue(channel_id))


def mint_code(channel: Channel) -> str:
    code = f"{secrets.randbelow(1_000_000):06d}"
    channel.confirm_token_hash = _digest(channel, code)
    channel.confirm_expires_at = timezone.now() + CODE_VALID_FOR
    channel.confirm_attempts = 0
    channel.save(update_fields=["confirm_token_hash", "confirm_expires_at", "confirm_attempts"])
    return code


def confirm(channel: Channel, code: str, field: str = "code") -> Channel:
    """Confirm the number with its code; every wrong guess counts."""
    code = code.strip().replace(" ", "")
    with transaction.atomic():
        current = Channel.objects.select_for_update().get(pk=channel.pk)
        problem = _check(current, code)
        if problem == "invalid_code":
            # Counted in this transaction, which commits: the error is raised after it.
            current.confirm_attempts += 1
            current.save(update_fields=["confirm_attempts"])
        elif problem is None and current.status != ChannelStatus.CONFIRMED:
            current.status = ChannelStatus.CONFIRMED
            current.confirmed_at = timezone.now()
            current.confirm_token_hash = None
            current.confirm_expires_at = None
            current.confirm_attempts = 0
            current.save(
                update_fields=[
                    "status",
                    "confirmed_at",
                    "confirm_token_hash",
                    "confirm_expires_at",
                    "confirm_attempts",
                ]
            )
    if problem is not None:
        raise InvalidInput(PROBLEMS[problem], field=field, code=problem)
    return current


PROBLEMS = {
    "too_many_attempts": "too many wrong codes; add the number again for a new code",
    "expired_code": "this code has expired; add the number again for a new code",
    "invalid_code": "wrong code",
}


def _check(channel: Channel, code: str) -> str | None:
    if channel.status == ChannelStatus.CONFIRMED:
        return None
    if channel.confirm_attempts >= MAX_ATTEMPTS:
        return "too_many_attempts"
    if (
        channel.confirm_expires_at is None
        or channel.confirm_expires_at < timezone.now()
        or channel.confirm_token_hash is None
    ):
        return "expired_code"
    if not hmac.compare_digest(_digest(channel, code), channel.confirm_token_hash):
        return "invalid_code"
    return None
