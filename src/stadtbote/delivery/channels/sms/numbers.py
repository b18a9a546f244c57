"""Phone numbers as citizens type them, made E.164 ("+4915112345678"). No phonenumbers
dependency: we only need to reach a number, not to format or classify it, and the SMSC tells us
(ESME_RINVDSTADR) when a well-formed number does not exist."""

from __future__ import annotations

import re

# Regions whose citizens we expect; a national number ("0151 ...") needs its country code.
COUNTRY_CODES = {
    "DE": "49",
    "AT": "43",
    "CH": "41",
    "LI": "423",
    "LU": "352",
    "NL": "31",
    "BE": "32",
    "FR": "33",
    "DK": "45",
    "PL": "48",
    "CZ": "420",
    "IT": "39",
}
_SEPARATORS = re.compile(r"[\s\-./()]")
_TRUNK_ZERO = re.compile(r"^\+(\d{1,3})\s*\(0\)")  # "+49 (0)151 ..." as printed in Germany


def normalise_number(text: str, default_region: str = "DE") -> str:
    """The E.164 form of ``text``; ValueError names what is wrong with it."""
    raw = text.strip()
    if not raw:
        raise ValueError("the number is empty")
    raw = _TRUNK_ZERO.sub(r"+\1", raw)
    compact = _SEPARATORS.sub("", raw)
    if compact.startswith("+"):
        digits = compact[1:]
    elif compact.startswith("00"):
        digits = compact[2:]
    elif compact.startswith("0"):
        code = COUNTRY_CODES.get(default_region.upper())
        if code is None:
            raise ValueError(f"unknown region {default_region!r} for a national number")
        digits = code + compact[1:]
    else:
        raise ValueError("the number needs a country code (+49 ...) or a leading 0")
    if not digits.isascii() or not digits.isdigit():
        raise ValueError("the number may only contain digits, spaces and + - / ( ) .")
    if digits.startswith("0"):
        raise ValueError("a country code never starts with 0")
    if not 8 <= len(digits) <= 15:
        raise ValueError(
            f"a phone number has 8 to 15 digits with its country code, not {len(digits)}"
        )
    return f"+{digits}"
