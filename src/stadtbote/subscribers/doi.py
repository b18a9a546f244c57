"""Double opt-in for e-mail, one-click unsubscribe, and the purge of unconfirmed addresses.

Nothing but the confirmation mail is ever sent to an unconfirmed address: fan-out only selects
confirmed channels. The confirmation link is single-use (its digest is cleared on use) and
expires; unconfirmed addresses are deleted after ``PURGE_AFTER``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core import signing
from django.db import transaction
from django.utils import timezone

from stadtbote.core import tokens
from stadtbote.core.errors import InvalidInput
from stadtbote.subscribers.models import Channel, ChannelStatus

LINK_VALID_FOR = timedelta(hours=72)
PURGE_AFTER = timedelta(days=7)
# A repeated PATCH must not turn us into a mail cannon against someone else's address.
RESEND_INTERVAL = timedelta(minutes=10)
UNSUBSCRIBE_SALT = "stadtbote.unsubscribe"


def request_confirmation(channel: Channel) -> None:
    """Queue the confirmation mail (after commit); the task mints the link itself, so no secret
    ever sits in the task queue."""
    from stadtbote.subscribers.tasks import send_confirmation

    now = timezone.now()
    if (
        channel.confirm_expires_at
        and channel.confirm_expires_at - LINK_VALID_FOR + RESEND_INTERVAL > now
    ):
        return
    # Mark the request now, so repeated calls inside RESEND_INTERVAL are no-ops.
    channel.confirm_expires_at = now + LINK_VALID_FOR
    channel.save(update_fields=["confirm_expires_at"])
    channel_id = channel.pk
    transaction.on_commit(lambda: send_confirmation.enqueue(channel_id))


def mint_link_token(channel: Channel) -> str:
    token = tokens.new_secret()
    channel.confirm_token_hash = tokens.digest(token)
    channel.confirm_expires_at = timezone.now() + LINK_VALID_FOR
    channel.save(update_fields=["confirm_token_hash", "confirm_expires_at"])
    return token


def find_pending(token: str) -> Channel | None:
    channel = (
        Channel.objects.select_related("tenant", "subscriber")
        .filter(confirm_token_hash=tokens.digest(token), status=ChannelStatus.PENDING)
        .first()
    )
    if (
        channel is None
        or channel.confirm_expires_at is None
        or channel.confirm_expires_at < timezone.now()
    ):
        return None
    return channel


def confirm(token: str) -> Channel:
    """Confirm an address with the token from its link; the token is spent."""
    with transaction.atomic():
        channel = find_pending(token)
        if channel is None:
            raise InvalidInput(
                "this confirmation link is invalid, used or expired", code="invalid_token"
            )
        updated = Channel.objects.filter(pk=channel.pk, status=ChannelStatus.PENDING).update(
            status=ChannelStatus.CONFIRMED,
            confirmed_at=timezone.now(),
            confirm_token_hash=None,
            confirm_expires_at=None,
        )
        if not updated:
            raise InvalidInput(
                "this confirmation link is invalid, used or expired", code="invalid_token"
            )
    channel.refresh_from_db()
    return channel


def unsubscribe_token(channel: Channel) -> str:
    return signing.dumps(channel.pk, salt=UNSUBSCRIBE_SALT, compress=True)


def channel_for_unsubscribe(token: str) -> Channel | None:
    try:
        channel_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return Channel.objects.select_related("tenant").filter(pk=channel_id).first()


def unsubscribe(token: str) -> bool:
    """Remove the channel the token names; False for a forged token. Idempotent: a channel
    that is already gone counts as unsubscribed."""
    try:
        channel_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return False
    Channel.objects.filter(pk=channel_id).delete()
    return True


def purge_unconfirmed(now: datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - PURGE_AFTER
    deleted, _ = Channel.objects.filter(
        status=ChannelStatus.PENDING, created_at__lt=cutoff
    ).delete()
    return deleted
