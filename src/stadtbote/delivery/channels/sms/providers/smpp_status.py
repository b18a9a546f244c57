"""Pure SMPP 3.4 rules: what a ``command_status`` means for a message, and how a delivery
receipt (``deliver_sm`` with esm_class 0x04) reads.

Receipts come in two shapes and SMSCs send either or both: the de-facto text of SMPP 3.4
Appendix B (``id:... sub:001 dlvrd:001 submit date:2611270900 done date:2611270901
stat:DELIVRD err:000 text:...``) and the TLVs ``receipted_message_id`` and ``message_state``.
The TLVs win where both exist: they are typed, the text is free-form.
"""

from __future__ import annotations

import re
from calendar import timegm
from dataclasses import dataclass

from .base import Receipt, ReceiptStatus

ESME_ROK = 0x00
ESME_RSYSERR = 0x08
ESME_RINVSRCADR = 0x0A
ESME_RINVDSTADR = 0x0B
ESME_RMSGQFUL = 0x14
ESME_RTHROTTLED = 0x58

NAMES = {
    0x01: "ESME_RINVMSGLEN",
    0x03: "ESME_RINVCMDID",
    0x04: "ESME_RINVBNDSTS",
    0x08: "ESME_RSYSERR",
    0x0A: "ESME_RINVSRCADR",
    0x0B: "ESME_RINVDSTADR",
    0x0D: "ESME_RBINDFAIL",
    0x0E: "ESME_RINVPASWD",
    0x0F: "ESME_RINVSYSID",
    0x14: "ESME_RMSGQFUL",
    0x43: "ESME_RINVESMCLASS",
    0x45: "ESME_RSUBMITFAIL",
    0x48: "ESME_RINVSRCTON",
    0x49: "ESME_RINVSRCNPI",
    0x50: "ESME_RINVDSTTON",
    0x51: "ESME_RINVDSTNPI",
    0x58: "ESME_RTHROTTLED",
    0x62: "ESME_RINVEXPIRY",
    0xFE: "ESME_RDELIVERYFAILURE",
    0xFF: "ESME_RUNKNOWNERR",
}

# The message itself is wrong: sending it again, anywhere, gives the same answer.
PERMANENT = frozenset({0x01, 0x0A, 0x0B, 0x43, 0x48, 0x49, 0x50, 0x51, 0x62, 0xC4})
# The provider is unwell or overloaded: another provider may take the message now.
PROVIDER_WIDE = frozenset({0x04, 0x08, 0x0D, 0x0E, 0x0F, 0x14, 0x58})
# Anything else (0x45 submit failed, 0xFE, vendor codes 0x400+) is retried, not failed over:
# the SMSC answered properly, it is this message it could not take right now.


@dataclass(frozen=True, slots=True)
class StatusMeaning:
    reason: str
    permanent: bool
    provider_failure: bool


def status_name(status: int) -> str:
    return NAMES.get(status, f"0x{status:08X}")


def classify_status(status: int, command: str = "submit_sm") -> StatusMeaning:
    reason = f"{command}: {status_name(status)}"
    if status in PERMANENT:
        return StatusMeaning(reason, permanent=True, provider_failure=False)
    return StatusMeaning(reason, permanent=False, provider_failure=status in PROVIDER_WIDE)


# message_state TLV values (SMPP 3.4 5.2.28).
_MESSAGE_STATES: dict[int, ReceiptStatus] = {
    1: "accepted",  # ENROUTE
    2: "delivered",
    3: "expired",
    4: "failed",  # DELETED
    5: "failed",  # UNDELIVERABLE
    6: "accepted",
    7: "unknown",
    8: "rejected",
}
_TEXT_STATES: dict[str, ReceiptStatus] = {
    "DELIVRD": "delivered",
    "EXPIRED": "expired",
    "DELETED": "failed",
    "UNDELIV": "failed",
    "ACCEPTD": "accepted",
    "ENROUTE": "accepted",
    "UNKNOWN": "unknown",
    "REJECTD": "rejected",
}
_FIELD_RE = re.compile(r"(id|sub|dlvrd|submit date|done date|stat|err):(\S*)", re.IGNORECASE)


def _smsc_time(value: str) -> float | None:
    """YYMMDDhhmm[ss], taken as UTC (the spec says nothing about the zone)."""
    if not re.fullmatch(r"\d{10}(\d{2})?", value):
        return None
    year, month, day, hour, minute = (int(value[i : i + 2]) for i in range(0, 10, 2))
    second = int(value[10:12]) if len(value) == 12 else 0
    try:
        return float(timegm((2000 + year, month, day, hour, minute, second, 0, 0, 0)))
    except (ValueError, OverflowError):
        return None


def parse_receipt(
    text: str,
    *,
    receipted_message_id: str | None = None,
    message_state: int | None = None,
    network_error: str = "",
) -> Receipt | None:
    """A receipt from a deliver_sm's short_message text and TLVs; None if it is not one."""
    fields = {key.lower(): value for key, value in _FIELD_RE.findall(text)}
    message_id = receipted_message_id or fields.get("id", "")
    if not message_id:
        return None
    status: ReceiptStatus | None = None
    if message_state is not None:
        status = _MESSAGE_STATES.get(message_state)
    if status is None:
        status = _TEXT_STATES.get(fields.get("stat", "").upper(), "unknown")
    error = network_error or fields.get("err", "")
    if error.strip("0") == "":
        error = ""
    extra = {k: v for k, v in fields.items() if k in ("sub", "dlvrd", "submit date")}
    return Receipt(
        message_id=message_id,
        status=status,
        at=_smsc_time(fields.get("done date", "")),
        error=error,
        extra=extra,
    )
