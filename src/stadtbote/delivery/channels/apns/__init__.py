"""Apple Push Notification service over HTTP/2 with token (JWT, ES256) authentication."""

from .token import clear_token_cache
from .transport import ApnsChannel

__all__ = ["ApnsChannel", "clear_token_cache"]
