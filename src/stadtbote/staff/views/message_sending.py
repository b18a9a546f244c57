"""What the console shows about a message's sending: the channels in words, the numbers while
it goes out and how fast it arrived, the SMS it costs, and the posts to the town's accounts."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy, pgettext_lazy

from stadtbote.core.severity import Severity
from stadtbote.delivery import fallback, progress, shortlinks, summary
from stadtbote.delivery.channels.sms import render_sms, segment_preview
from stadtbote.delivery.registry import available
from stadtbote.messages.models import Message, MessageStatus
from stadtbote.tenants.models import Municipality

CHANNEL_WORDS = {
    "webpush": gettext_lazy("Push"),
    "fcm": gettext_lazy("App (Android)"),
    "apns": gettext_lazy("App (iOS)"),
    "email": gettext_lazy("E-mail"),
    "sms": gettext_lazy("SMS"),
}


def follow(message: Message) -> dict[str, Any]:
    counts = summary.summary(message, message.channels)
    followed = progress.progress(message)
    return {
        "summary": counts,
        "channel_rows": [
            (CHANNEL_WORDS.get(c, c), numbers) for c, numbers in counts["by_channel"].items()
        ],
        "progress": followed,
        "arrival_rows": [(CHANNEL_WORDS.get(c, c), a) for c, a in followed.arrival.items()],
        "live": message.status == MessageStatus.PUBLISHED,
    }


def sms_preview(tenant: Municipality, data: dict[str, Any]) -> dict[str, Any] | None:
    """The SMS as the town's default language renders it, with its segment count: SMS are
    paid per segment, and one typographic character can halve what fits. A warning sent by
    push shows it too when the town has SMS: it is what the fallback sends."""
    severity = int(Severity.parse(str(data["severity"])))
    fallback_only = fallback.applies(severity, data["channels"]) and available("sms", tenant)
    if "sms" not in data["channels"] and not fallback_only:
        return None
    lang = tenant.default_language
    title = data["title"].get(lang) or next(iter(data["title"].values()), "")
    body = data["body"].get(lang) or next(iter(data["body"].values()), "")
    try:
        text = render_sms(
            tenant_name=tenant.name,
            title=title,
            body=body,
            url=shortlinks.short_url(tenant.slug, "0" * 32),
            severity=str(data["severity"]),
            kind="message",
            language=lang,
        )
    except ValueError:
        return None
    return {"text": text, "fallback": fallback_only, **segment_preview(text)}


POST_WORDS = {
    "message": pgettext_lazy("broadcast post", "the message"),
    "update": pgettext_lazy("broadcast post", "the update"),
    "withdrawal": pgettext_lazy("broadcast post", "the all-clear"),
}
POST_STATUS_WORDS = {
    "pending": pgettext_lazy("broadcast post", "waiting"),
    "sending": pgettext_lazy("broadcast post", "being posted"),
    "retry": pgettext_lazy("broadcast post", "waiting to try again"),
    "sent": pgettext_lazy("broadcast post", "posted"),
    "failed": pgettext_lazy("broadcast post", "failed"),
}


def posts(message: Message) -> list[dict[str, Any]]:
    """What went to the town's own accounts (Mastodon, Telegram, Matrix, Apprise)."""
    from stadtbote.broadcast.models import BroadcastPost

    return [
        {
            "account": post.account.name,
            "what": POST_WORDS.get(post.kind, post.kind),
            "status": POST_STATUS_WORDS.get(post.status, post.status),
            "url": post.url,
            "reason": post.reason if post.status in ("failed", "retry") else "",
        }
        for post in BroadcastPost.objects.filter(message=message)
        .select_related("account")
        .order_by("created_at", "id")
    ]
