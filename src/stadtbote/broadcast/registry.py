"""Broadcast kinds: a plain dict from kind to a factory opening the channel of one account.

Secrets come only from the environment, read when the channel is opened (a rotated token is
used from the next post on, without a restart).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from django.conf import settings

from stadtbote.broadcast.models import BroadcastAccount
from stadtbote.delivery.channels.broadcast import BroadcastChannel


class MissingSecret(Exception):
    """The account's environment variable is not set (or empty); the message names it."""


def secret(account: BroadcastAccount) -> str:
    value = os.environ.get(account.secret_env, "").strip()
    if not value:
        raise MissingSecret(f"environment variable {account.secret_env} is not set")
    return value


def _allowed() -> tuple[str, ...]:
    return tuple(settings.STADTBOTE_BROADCAST_ALLOWED_HOSTS)


def _mastodon(account: BroadcastAccount) -> BroadcastChannel:
    from stadtbote.delivery.channels.mastodon import MastodonChannel

    return MastodonChannel(account.target, secret(account), allowed_hosts=_allowed())


def _telegram(account: BroadcastAccount) -> BroadcastChannel:
    from stadtbote.delivery.channels.telegram import API, TelegramChannel

    # Tests point this at a local Bot API; in production it is never set.
    api = getattr(settings, "STADTBOTE_TELEGRAM_API", API)
    return TelegramChannel(secret(account), account.target, api=api, allowed_hosts=_allowed())


def _matrix(account: BroadcastAccount) -> BroadcastChannel:
    from stadtbote.delivery.channels.matrix import MatrixChannel

    return MatrixChannel(account.target, account.room, secret(account), allowed_hosts=_allowed())


def _apprise(account: BroadcastAccount) -> BroadcastChannel:
    from stadtbote.delivery.channels.apprise import AppriseChannel

    return AppriseChannel(secret(account), allowed_hosts=_allowed())


BROADCASTS: dict[str, Callable[[BroadcastAccount], BroadcastChannel]] = {
    "mastodon": _mastodon,
    "telegram": _telegram,
    "matrix": _matrix,
    "apprise": _apprise,
}


def open_channel(account: BroadcastAccount) -> BroadcastChannel:
    return BROADCASTS[account.kind](account)
