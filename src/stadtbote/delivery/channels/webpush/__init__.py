"""Web Push (RFC 8030 delivery, RFC 8291 encryption, RFC 8292 VAPID) to browsers and phones."""

from .transport import WebPushChannel

__all__ = ["WebPushChannel"]
