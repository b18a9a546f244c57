"""What kind of answer a question asks for, and whether a passage has one: the classic answer
type check of question answering, with patterns instead of a model. "Wann kommt die blaue
Tonne?" asks for a time; a passage about the blue bin that names no day, week or hour does
not answer it, however well its words match. Only times and amounts: the kinds citizens ask
for most, and the ones a pattern recognises reliably in German and English."""

from __future__ import annotations

import re

from stadtbote.assistant.text import normalise

TIME, AMOUNT = "time", "amount"
KINDS = (TIME, AMOUNT)

_NUMBER = (
    r"(?:\d+|eine?[mnrs]?|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|vierzehn"
    r"|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fourteen)"
)
_MONTHS = (
    r"januar|februar|märz|april|mai|juni|juli|august|september|oktober|november|dezember"
    r"|january|february|march|june|july|october|december"
)
_DAYS = (
    r"montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|feiertag|werktag|wochenende"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekend"
)

# What questions ask: "wann", "bis wann", "wie lange", "wie oft", "um wie viel Uhr"; "was
# kostet", "wie viel", "wie teuer", "Gebühr"; and their English counterparts.
_ASKS = {
    TIME: re.compile(
        r"\b(?:wann|when|wie lange|how long|wie oft|how often|wie ?viel uhr|what time|uhrzeit\w*)\b"
    ),
    AMOUNT: re.compile(
        r"\b(?:kostet|kosten|wie ?viel(?! ?uhr)|wie teuer|teuer|preis\w*|gebühr\w*"
        r"|how much|costs?|prices?|fees?)\b"
    ),
}
# What passages answer with: a clock time, a number of days to years, a weekday, a month, a
# date, a rhythm ("wöchentlich", "zweimal"); a price, a number, or "kostenlos".
_HAS = {
    TIME: re.compile(
        r"\d{1,2}[:.]\d{2}|\b\d{1,2}\s*uhr\b"
        rf"|\b{_NUMBER}\s*(?:werk|arbeits|kalender)?(?:tag|woche|monat|jahr|stunde|minute"
        r"|day|week|month|year|hour|minute)"
        rf"|(?:{_DAYS})|(?:{_MONTHS})|\b\d{{1,2}}\.\s?\d{{1,2}}\."
        r"|täglich|wöchentlich|monatlich|jährlich|werktags|kalender(?:monat|jahr)"
        r"|\b(?:\d+|ein|zwei|drei|vier)mal\b|\b(?:once|twice)\b"
        r"|sofort|vorabend|daily|weekly|monthly|annually|immediately"
    ),
    AMOUNT: re.compile(
        r"€|\beuro?s?\b|\beur\b|%|prozent|percent|kostenlos|kostenfrei|gebührenfrei|\bfree\b"
    ),
}


def asked(question: str) -> frozenset[str]:
    """The kinds of answer ``question`` asks for (``TIME``, ``AMOUNT``), maybe none."""
    text = normalise(question)
    return frozenset(kind for kind, pattern in _ASKS.items() if pattern.search(text))


def answered(text: str) -> frozenset[str]:
    """The kinds of answer ``text`` gives."""
    text = normalise(text)
    return frozenset(kind for kind, pattern in _HAS.items() if pattern.search(text))


def bits(kinds: frozenset[str]) -> int:
    """``kinds`` as a bit mask (one small int per passage in an index)."""
    return sum(1 << KINDS.index(kind) for kind in kinds)
