"""Mastodon: one public status per message on the town's account (POST /api/v1/statuses)."""

from stadtbote.delivery.channels.mastodon.transport import MastodonChannel

__all__ = ["MastodonChannel"]
