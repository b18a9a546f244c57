"""Telegram: one message per Stadtbote message in the town's channel, through the Bot API."""

from stadtbote.delivery.channels.telegram.transport import API, TelegramChannel

__all__ = ["API", "TelegramChannel"]
