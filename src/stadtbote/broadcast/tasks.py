"""Posting one broadcast: claim the row, open the account's channel, post, record the outcome.

At least once, never twice on purpose: the row is claimed with a lease, so two workers cannot
post it at the same time, and each attempt carries the post's idempotency key (Mastodon's
``Idempotency-Key``, Matrix's transaction id), so a resend after a crash between the post and
its record is dropped by the network where the protocol allows.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task

from stadtbote.broadcast.models import BroadcastPost, PostKind, PostStatus
from stadtbote.broadcast.registry import MissingSecret, open_channel
from stadtbote.core.retry import RetryPolicy
from stadtbote.core.tasks import enqueue_on_commit
from stadtbote.delivery import render
from stadtbote.delivery.channels.base import TransportError
from stadtbote.delivery.channels.broadcast import BroadcastChannel, BroadcastItem, Posted
from stadtbote.messages.service import is_current

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)  # above the channels' total timeout
# An instance that is down for a while is tried for about a day at most.
RETRY = RetryPolicy(max_attempts=8, base_delay=30, max_delay=3 * 3600)
# Apprise says only "did not work": a few tries, then a person should look.
APPRISE_RETRY = RetryPolicy(max_attempts=3, base_delay=60, max_delay=1800)
# An update or withdrawal whose original is being posted right now waits this long.
WAIT_FOR_ORIGINAL = 30.0


class _Wait(Exception):
    def __init__(self, reason: str):
        self.reason = reason


# Above the fan-out's send batches (priority 0): one request, and the town's followers should
# not learn of a warning after everyone else.
@task(queue_name="send", priority=3)
def post_broadcast(post_id: int) -> str:
    post = _claim(post_id)
    if post is None:
        return "not claimed"
    account, message = post.account, post.message
    if not account.active:
        return _fail(post, "the account was deactivated")
    if post.kind != PostKind.WITHDRAWAL and not is_current(message):
        return _fail(post, "the message was withdrawn or expired before it was posted")
    try:
        original_sent, reply_to = _original(post)
    except _Wait as wait:
        return _retry(post, wait.reason, WAIT_FOR_ORIGINAL, counts=False)
    if post.kind == PostKind.WITHDRAWAL and not original_sent:
        return _fail(post, "the message itself was never posted here: nothing to withdraw")
    language = account.language or message.tenant.default_language
    item = BroadcastItem(
        notice=render.notice(message, post.kind, language), key=post.key, reply_to=reply_to
    )
    channel: BroadcastChannel | None = None
    try:
        channel = open_channel(account)
        posted = channel.post(item)
    except MissingSecret as exc:
        return _fail(post, str(exc))
    except TransportError as exc:
        if exc.permanent:
            return _fail(post, exc.reason)
        return _retry(post, exc.reason, exc.retry_after)
    except Exception as exc:  # a channel bug must not leave the row "sending"
        log.exception("broadcast channel %s raised", account.kind)
        return _retry(post, f"channel error: {type(exc).__name__}", None)
    finally:
        if channel is not None:
            channel.close()
    return _sent(post, posted)


def _claim(post_id: int) -> BroadcastPost | None:
    now = timezone.now()
    # A retry is queued to run at its not_before; a row left "sending" by a dead worker is
    # free again once its lease ran out.
    free = Q(status__in=[PostStatus.PENDING, PostStatus.RETRY]) | Q(
        status=PostStatus.SENDING, lease_until__lt=now
    )
    claimed = BroadcastPost.objects.filter(free, pk=post_id).update(
        status=PostStatus.SENDING, lease_until=now + LEASE, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    return BroadcastPost.objects.select_related("account", "message__tenant").get(pk=post_id)


def _original(post: BroadcastPost) -> tuple[bool, str | None]:
    """Whether the post this one follows up was made, and its remote id to reply to: a
    withdrawal follows the message's own post, an update the post of the message it
    replaces. The id is None where the network gives none (Apprise). ``_Wait`` while that
    post may still be made."""
    if post.kind == PostKind.WITHDRAWAL:
        originals = BroadcastPost.objects.filter(
            account_id=post.account_id,
            message_id=post.message_id,
            kind__in=(PostKind.MESSAGE, PostKind.UPDATE),
        )
    elif post.kind == PostKind.UPDATE and post.message.replaces_id:
        originals = BroadcastPost.objects.filter(
            account_id=post.account_id, message_id=post.message.replaces_id
        ).exclude(kind=PostKind.WITHDRAWAL)
    else:
        return False, None
    statuses = dict(originals.values_list("status", "remote_id"))
    if PostStatus.SENT in statuses:
        return True, statuses[PostStatus.SENT] or None
    if {PostStatus.PENDING, PostStatus.SENDING, PostStatus.RETRY} & statuses.keys():
        raise _Wait("waiting for the original post")
    return False, None


def _sent(post: BroadcastPost, posted: Posted) -> str:
    BroadcastPost.objects.filter(pk=post.pk).update(
        status=PostStatus.SENT,
        remote_id=posted.remote_id[:255],
        url=(posted.url or "")[:500],
        reason="",
        sent_at=timezone.now(),
        not_before=None,
        lease_until=None,
    )
    return "sent"


def _fail(post: BroadcastPost, reason: str) -> str:
    log.warning("broadcast post %s failed: %s", post.pk, reason)
    BroadcastPost.objects.filter(pk=post.pk).update(
        status=PostStatus.FAILED, reason=reason[:300], not_before=None, lease_until=None
    )
    return "failed"


def _retry(post: BroadcastPost, reason: str, retry_after: float | None, counts: bool = True) -> str:
    """Come back later; ``counts=False`` for waiting that was no attempt to post."""
    policy = APPRISE_RETRY if post.account.kind == "apprise" else RETRY
    if counts and policy.exhausted(post.attempts):
        return _fail(post, f"gave up after {post.attempts} attempts: {reason}")
    wait = policy.delay(post.attempts, retry_after) if counts else retry_after or 0.0
    not_before = timezone.now() + timedelta(seconds=wait)
    BroadcastPost.objects.filter(pk=post.pk).update(
        status=PostStatus.RETRY,
        reason=reason[:300],
        not_before=not_before,
        lease_until=None,
        attempts=F("attempts") - (0 if counts else 1),
    )
    enqueue_on_commit(post_broadcast, post.pk, run_after=not_before)
    return "retry"


def take_over_stale(now: datetime | None = None) -> int:
    """Queue again the posts whose worker died: claimed with a lease that ran out, or pending
    for minutes with their task lost. The claim keeps a live post from being made twice."""
    now = now or timezone.now()
    stale = list(
        BroadcastPost.objects.filter(
            Q(status=PostStatus.SENDING, lease_until__lt=now)
            | Q(status=PostStatus.PENDING, created_at__lt=now - timedelta(minutes=5))
            | Q(status=PostStatus.RETRY, not_before__lt=now - timedelta(minutes=5))
        ).values_list("id", flat=True)[:500]
    )
    for post_id in stale:
        log.warning("taking over broadcast post %s", post_id)
        post_broadcast.enqueue(post_id)
    return len(stale)


# The worker's upkeep (ops worker command) runs this with the other periodic jobs.
JOBS = {"broadcast_take_over": (timedelta(minutes=1), take_over_stale)}
