"""Apprise: the long tail of networks (a webhook, ntfy, Gotify, Discord…) through Apprise URLs."""

from stadtbote.delivery.channels.apprise.transport import AppriseChannel, check_urls

__all__ = ["AppriseChannel", "check_urls"]
