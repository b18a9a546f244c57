"""Telegram: one message per Stadtbote message in the town's channel, through the Bot API."""

from stadtbote.delivery.channels.telegram.transport import TelegramChannel

__all__ = ["TelegramChannel"]
