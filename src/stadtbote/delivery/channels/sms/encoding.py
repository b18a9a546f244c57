"""How many SMS a text costs: GSM 03.38 (7-bit) when every character is in its alphabet, UCS-2
otherwise, and where a long text is cut into concatenated segments.

Units are what the network counts: septets for GSM-7 (a character of the extension table,
e.g. ``€`` or ``[``, is an escape plus a septet, so two units) and UTF-16 code units for UCS-2
(an emoji outside the BMP is a surrogate pair, two units; phones render UCS-2 as UTF-16 today).
A concatenated segment loses room to its user data header (6 octets): 153 septets or 67 units.
An escape pair or a surrogate pair is never cut in half: a phone would show garbage on both
sides of the cut, so such a segment ends one unit early.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Encoding = Literal["gsm7", "ucs2"]

# GSM 03.38 default alphabet; the index is the septet value (0x1B is the escape, not a character).
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: escape 0x1B followed by this septet.
GSM_EXTENSION = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}
ESCAPE = 0x1B
_BASIC_INDEX = {char: septet for septet, char in enumerate(GSM_BASIC) if septet != ESCAPE}
_EXTENSION_CHAR = {septet: char for char, septet in GSM_EXTENSION.items()}

SINGLE_LIMIT: dict[Encoding, int] = {"gsm7": 160, "ucs2": 70}
CONCAT_LIMIT: dict[Encoding, int] = {"gsm7": 153, "ucs2": 67}
# A 1-octet concatenation reference allows 255 parts; nothing we send comes near it.
MAX_SEGMENTS = 255

assert len(GSM_BASIC) == 128


@dataclass(frozen=True, slots=True)
class SmsPlan:
    encoding: Encoding
    units: int  # septets (gsm7) or UTF-16 code units (ucs2)
    segments: int
    per_segment_limit: int  # 160/70 for one segment, 153/67 once concatenated


def is_gsm7(text: str) -> bool:
    return all(char in _BASIC_INDEX or char in GSM_EXTENSION for char in text)


def _char_units(char: str, encoding: Encoding) -> int:
    if encoding == "gsm7":
        return 2 if char in GSM_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1


def _cut(text: str, encoding: Encoding, limit: int) -> list[str]:
    """Greedy cut into pieces of at most ``limit`` units, never inside a character's units.

    Working on Python characters (code points) keeps escape pairs and surrogate pairs whole.
    """
    pieces: list[str] = []
    start = 0
    used = 0
    for index, char in enumerate(text):
        size = _char_units(char, encoding)
        if used + size > limit:
            pieces.append(text[start:index])
            start, used = index, 0
        used += size
    pieces.append(text[start:])
    return pieces


def count_units(text: str, encoding: Encoding) -> int:
    return sum(_char_units(char, encoding) for char in text)


def plan(text: str) -> SmsPlan:
    encoding: Encoding = "gsm7" if is_gsm7(text) else "ucs2"
    units = count_units(text, encoding)
    if units <= SINGLE_LIMIT[encoding]:
        return SmsPlan(encoding, units, 1, SINGLE_LIMIT[encoding])
    limit = CONCAT_LIMIT[encoding]
    return SmsPlan(encoding, units, len(_cut(text, encoding, limit)), limit)


def split(text: str, sms_plan: SmsPlan | None = None) -> list[str]:
    """The texts of the segments ``plan`` counted (one item when the text fits one SMS)."""
    sms_plan = sms_plan or plan(text)
    if sms_plan.segments == 1:
        return [text]
    return _cut(text, sms_plan.encoding, sms_plan.per_segment_limit)


def encode(text: str, encoding: Encoding) -> bytes:
    """The user data octets: unpacked septets for GSM-7 (SMPP ``data_coding`` 0 carries one
    septet per octet; the SMSC packs them), big-endian UTF-16 for UCS-2 (``data_coding`` 8)."""
    if encoding == "ucs2":
        return text.encode("utf-16-be")
    out = bytearray()
    for char in text:
        if char in _BASIC_INDEX:
            out.append(_BASIC_INDEX[char])
        elif char in GSM_EXTENSION:
            out += bytes((ESCAPE, GSM_EXTENSION[char]))
        else:
            raise ValueError(f"{char!r} is not in the GSM 03.38 alphabet")
    return bytes(out)


def decode(data: bytes, encoding: Encoding) -> str:
    """The inverse of ``encode`` (used for receipts' texts and by the test SMSC)."""
    if encoding == "ucs2":
        return data.decode("utf-16-be", errors="replace")
    chars: list[str] = []
    escaped = False
    for septet in data:
        if escaped:
            chars.append(_EXTENSION_CHAR.get(septet, " "))
            escaped = False
        elif septet == ESCAPE:
            escaped = True
        else:
            chars.append(GSM_BASIC[septet & 0x7F])
    return "".join(chars)
