"""SMS providers behind one interface (``base.SmsProvider``): SMPP 3.4 and Kannel-style HTTP."""

from .base import Receipt, SmsOut, SmsProvider, SubmitResult

__all__ = ["Receipt", "SmsOut", "SmsProvider", "SubmitResult"]
