"""SMS to citizens' phones: texts fitted to GSM-7/UCS-2 segments, SMPP 3.4 and Kannel-style HTTP
providers, weighted failover by health (ADR 0020)."""

from .failover import FailoverPolicy, FailoverState
from .numbers import normalise_number
from .providers.http_gateway import HttpGatewayProvider, parse_dlr
from .providers.smpp import SmppProvider
from .render import render_sms, segment_preview
from .transport import Accepted, HealthStore, MemoryHealthStore, SmsChannel

__all__ = [
    "Accepted",
    "FailoverPolicy",
    "FailoverState",
    "HealthStore",
    "HttpGatewayProvider",
    "MemoryHealthStore",
    "SmppProvider",
    "SmsChannel",
    "normalise_number",
    "parse_dlr",
    "render_sms",
    "segment_preview",
]
