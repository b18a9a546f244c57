"""Firebase Cloud Messaging HTTP v1 to Android (and FCM-registered) apps."""

from .oauth import ServiceAccount, clear_token_cache
from .transport import FcmChannel

__all__ = ["FcmChannel", "ServiceAccount", "clear_token_cache"]
