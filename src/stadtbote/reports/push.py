"""Case notices over Web Push: followers who subscribed in the citizen app hear about their
report on their phone, through the same channel (and VAPID key) as the town's messages."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from stadtbote.delivery.channels.base import Notice, Outgoing, TransportError
from stadtbote.delivery.registry import open_channel
from stadtbote.delivery.sending import forget_gone_subscriptions
from stadtbote.reports.models import CaseNotice, Follower, NoticeStatus
from stadtbote.subscribers.models import Channel, ChannelStatus, ChannelType
from stadtbote.tenants.models import Municipality

Retry = Callable[[CaseNotice, str], bool]


def case_url(notice: CaseNotice) -> str:
    case = notice.event.case
    return f"{settings.PUBLIC_URL}/{case.tenant.slug}/reports/{case.public_id}"


def _notice(notice: CaseNotice, language: str) -> Notice:
    from stadtbote.reports.notify import headline, is_inquiry

    event, case = notice.event, notice.event.case
    with translation.override(language):
        title = headline(event)
        if event.text:
            body = event.text
        elif is_inquiry(case):
            body = str(translation.gettext("Open your question to see what has changed."))
        else:
            body = str(translation.gettext("Open the report to see what has changed."))
    return Notice(
        # One id (notification tag) per change: a second update about the same report must
        # alert again, not silently replace the first notification still on the screen.
        message_id=f"case-{case.public_id}-{event.pk}",
        kind="case",
        title=title,
        body=body,
        severity="info",
        url=case_url(notice),
        language=language,
        tenant=case.tenant.slug,
        tenant_name=case.tenant.name,
        sent_at=timezone.now().isoformat(),
    )


def send(notices: list[CaseNotice], later_or_never: Retry) -> list[int]:
    """Push each notice; a subscription the push service calls gone is removed, as for
    messages. Returns the ids to retry."""
    channels = {
        str(c.pk): c
        for c in Channel.objects.filter(
            pk__in=[int(n.address) for n in notices if n.address.isdigit()],
            type=ChannelType.WEBPUSH,
            status=ChannelStatus.CONFIRMED,
        ).select_related("subscriber")
    }
    # A retry can come hours later: someone who paused the app or stopped following since
    # hears nothing more.
    following = set(
        Follower.objects.filter(
            case_id__in={n.event.case_id for n in notices},
            subscriber_id__in={c.subscriber_id for c in channels.values()},
            subscriber__paused=False,
        ).values_list("case_id", "subscriber_id")
    )
    per_town: dict[int, list[CaseNotice]] = defaultdict(list)
    for notice in notices:
        per_town[notice.event.case.tenant_id].append(notice)
    retry: list[int] = []
    for town_notices in per_town.values():
        retry += _send_town(
            town_notices[0].event.case.tenant, town_notices, channels, following, later_or_never
        )
    return retry


def _send_town(
    tenant: Municipality,
    notices: list[CaseNotice],
    channels: dict[str, Channel],
    following: set[tuple[int, int]],
    later_or_never: Retry,
) -> list[int]:
    items, by_id = [], {n.pk: n for n in notices}
    for notice in notices:
        notice.attempts += 1
        channel = channels.get(notice.address)
        if channel is None:  # unsubscribed or pruned since the notice was prepared
            notice.status, notice.reason = NoticeStatus.FAILED, "subscription gone"
            continue
        if (notice.event.case_id, channel.subscriber_id) not in following:
            notice.status, notice.reason = NoticeStatus.FAILED, "no longer following"
            continue
        items.append(
            Outgoing(
                delivery_id=notice.pk,
                address=channel.address,
                # A question is answered in the language it was asked in (reports have none).
                notice=_notice(
                    notice,
                    notice.event.case.language
                    or channel.subscriber.language
                    or tenant.default_language,
                ),
                extra={"p256dh": channel.p256dh, "auth": channel.auth},
                key=f"case-notice:{notice.pk}",
            )
        )
    retry: list[int] = []
    gone: list[int] = []
    if items:
        try:
            transport = open_channel("webpush", tenant)
        except (TransportError, ValueError) as exc:  # e.g. a town without a VAPID key
            for item in items:
                by_id[item.delivery_id].status = NoticeStatus.FAILED
                by_id[item.delivery_id].reason = f"webpush: {exc}"[:300]
        else:
            try:
                outcomes = transport.send(items)
            finally:
                transport.close()
            for outcome in outcomes:
                notice = by_id[outcome.delivery_id]
                if outcome.status == "sent":
                    notice.status, notice.sent_at, notice.reason = (
                        NoticeStatus.SENT,
                        timezone.now(),
                        "",
                    )
                elif outcome.status == "retry":
                    if later_or_never(notice, outcome.reason):
                        retry.append(notice.pk)
                else:
                    notice.status, notice.reason = NoticeStatus.FAILED, outcome.reason[:300]
                    if outcome.status == "gone":
                        gone.append(int(notice.address))
    with transaction.atomic():
        for notice in notices:
            notice.save(update_fields=["status", "attempts", "reason", "sent_at"])
        if gone:
            # 404/410: the browser dropped the subscription, pruned as for the town's messages.
            forget_gone_subscriptions(gone)
    return retry
