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


# German premium-rate and special ranges (0900 premium, 0137/0138 mass calls, 0180 shared cost,
# 0190 old premium, 0116 harmonised services, 0118 directory): a number there costs the town per
# SMS far more than a phone's and is how "SMS pumping" fraud earns its money.
_DE_SPECIAL = ("49900", "49137", "49138", "49180", "49190", "49116", "49118")


def check_reachable(number: str, countries: tuple[str, ...] = tuple(COUNTRY_CODES.values())) -> str:
    """``number`` (E.164) if it is a phone number the town should text: a country we expect
    citizens from (Germany and its neighbours) and not a special or premium range."""
    digits = number.removeprefix("+")
    if not any(digits.startswith(code) for code in countries):
        raise ValueError("SMS go to numbers in Germany and its neighbouring countries only")
    if digits.startswith(_DE_SPECIAL):
        raise ValueError("SMS do not go to service or premium-rate numbers")
    return number
