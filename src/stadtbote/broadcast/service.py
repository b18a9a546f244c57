"""Which accounts a message is posted to, and when: called as the message's fan-out starts."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction

from stadtbote.broadcast.models import BroadcastAccount, BroadcastPost, PostKind, PostStatus
from stadtbote.core.tasks import enqueue_on_commit
from stadtbote.messages.models import Message, MessageStatus
from stadtbote.messages.service import is_current

log = logging.getLogger(__name__)


def post_kind(message: Message, kind: str) -> PostKind:
    """The delivery job's kind (message / withdrawal) as a post: a message that replaces
    another is an update, posted as a reply to the replaced one's post."""
    if kind == "withdrawal":
        return PostKind.WITHDRAWAL
    return PostKind.UPDATE if message.replaces_id else PostKind.MESSAGE


def schedule(message: Message, kind: str) -> list[BroadcastPost]:
    """Create the pending posts of ``message`` for the matching active accounts of its town
    and queue them once the caller's transaction commits. Idempotent.

    Only what the public may see is posted: a message while it is published and current
    (drafts, scheduled and expired ones never), and a withdrawal only where the message
    itself was posted, as a reply to that post.
    """
    wanted = post_kind(message, kind)
    accounts: Iterable[BroadcastAccount]
    if wanted == PostKind.WITHDRAWAL:
        if message.status != MessageStatus.CANCELLED:
            return []
        posted_to = BroadcastPost.objects.filter(
            message=message, kind__in=(PostKind.MESSAGE, PostKind.UPDATE)
        ).exclude(status=PostStatus.FAILED)
        accounts = BroadcastAccount.objects.filter(
            tenant_id=message.tenant_id, active=True, pk__in=posted_to.values("account_id")
        )
    else:
        if not is_current(message):
            return []
        topic_ids = set(message.topics.values_list("pk", flat=True))
        accounts = [
            account
            for account in BroadcastAccount.objects.filter(
                tenant_id=message.tenant_id, active=True
            ).prefetch_related("topics")
            if account.carries(message, topic_ids)
        ]
    posts = []
    with transaction.atomic():
        for account in accounts:
            post, created = BroadcastPost.objects.get_or_create(
                account=account, message=message, kind=wanted
            )
            if created:
                # Imported here: tasks imports this module's models, and fanout imports us.
                from stadtbote.broadcast.tasks import post_broadcast

                enqueue_on_commit(post_broadcast, post.pk)
                posts.append(post)
    if posts:
        log.info("broadcast %s %s to %d account(s)", wanted, message.pk, len(posts))
    return posts
