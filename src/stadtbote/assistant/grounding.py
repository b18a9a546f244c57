"""Checking a generated answer against the passages it was given: pure functions, no network.

An answer is shown only if every sentence cites at least one passage that was sent ("[1]"),
and every sentence is supported by the passages it cites:

- every *fact* in it (web and e-mail address, phone number, date, time, amount in euro,
  percentage, any other number, number words such as "zwei") appears in a cited passage, in
  any spelling of the same value: "8:00", "8.00 Uhr", "8 Uhr" and "8 am" are one time, "108 €",
  "108,00 €" and "€108.00" one amount, "02941 980-300" and "+49 2941 980300" one phone number.
  A number in the sentence that is not one of these kinds must occur in a cited passage as a
  number, an amount or a percentage (not as a time, a phone number or a date);
- at least ``MIN_SUPPORT`` of its content words occur in the cited passages, compared by their
  stems (``text.py``, as the search compares them) or as the parts of a compound the passages
  use ("Hundeanmeldung": "hund" + "anmeldung");
- a negation ("nicht", "kein", "not", "no", ...) only where a cited passage negates too, and
  no sentence that says nothing checkable ("Ja [1].").

One failing sentence rejects the whole answer. Words of the citizen's question are no support:
a number the question mentions may not appear in the answer unless a passage has it too. The
check cannot see whether a fact is attached to the right thing within a passage (the phone
number of the wrong office on the same page); it keeps the answer to what the passages say.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from stadtbote.assistant.index import Passage
from stadtbote.assistant.text import (
    MIN_PART,
    Synonyms,
    analysed,
    fold_umlauts,
    language_code,
    normalise,
    plain_text,
    split_compound,
    stem,
    terms,
)

_DEFAULT_SYNONYMS = Synonyms()
MAX_ANSWER_CHARS = 4000  # far more than a few sentences; keeps the check's work bounded
# Share of a sentence's content words the cited passages must contain (see the module doc).
MIN_SUPPORT = 0.7

CITATION = re.compile(r"\[\s*(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\s*\]")
_MARKER = re.compile(r"\[(\d{1,3})\]")
_MARKERS_AFTER_END = re.compile(r"([.!?…])((?:\s*\[\d{1,3}\])+)")
_SENTENCE_END = re.compile(r"[.!?…][\"'“”»«)]*\s+|\]\s+(?=[A-ZÄÖÜ])")
# Abbreviations a sentence does not end with (normalised, without the final dot).
_ABBREVIATIONS = """
z.b zb u.a ua d.h dh bzw ca ggf evtl inkl zzgl nr str tel mo di mi do fr sa so jan feb mär apr
jun jul aug sep sept okt nov dez vgl usw etc e.g i.e eg ie approx no dr prof st abs art hr frau
herr mrs mr ms
"""
ABBREVIATIONS = frozenset(_ABBREVIATIONS.split())
_NEGATIONS = """
nicht kein keine keinen keinem keiner keines nie niemals nichts weder ohne not no never none
nothing neither nor without cannot
"""
NEGATIONS = frozenset(_NEGATIONS.split())
# Words that only frame a fact an answer states ("Sie *erreichen* das Steueramt unter ...",
# "the fee *is* ..."): they count neither for nor against a sentence. The fact itself is
# checked, and so are the words that say what it is about.
_FRAME_WORDS = {
    "de": """
    kosten kostet betragen beträgt zahlen zahlt bezahlen erreichen erreichbar kontaktieren
    wenden anrufen schreiben finden erhalten erhält bekommen benötigen gelten gilt jeweils
    insgesamt folgende folgt sowie dafür hierfür dabei dazu außerdem zudem mehr informationen
    infos details
    """,
    "en": """
    cost costs amount amounts pay pays reach contact call write find receive get gets need needs
    apply applies each total following also however more information details
    """,
}
FRAME_WORDS = {code: frozenset(text.split()) for code, text in _FRAME_WORDS.items()}
# Number words that are facts ("ein/eine/one" are left out: they are mostly articles).
NUMBER_WORDS = {
    **dict.fromkeys(("zwei", "two"), 2),
    **dict.fromkeys(("drei", "three"), 3),
    **dict.fromkeys(("vier", "four"), 4),
    **dict.fromkeys(("fünf", "funf", "fuenf", "five"), 5),
    **dict.fromkeys(("sechs", "six"), 6),
    **dict.fromkeys(("sieben", "seven"), 7),
    **dict.fromkeys(("acht", "eight"), 8),
    **dict.fromkeys(("neun", "nine"), 9),
    **dict.fromkeys(("zehn", "ten"), 10),
    **dict.fromkeys(("elf", "eleven"), 11),
    **dict.fromkeys(("zwölf", "zwolf", "zwoelf", "twelve"), 12),
    **dict.fromkeys(("zwanzig", "twenty"), 20),
    **dict.fromkeys(("dreißig", "dreissig", "thirty"), 30),
    **dict.fromkeys(("hundert", "hundred"), 100),
}
MONTHS = {
    **dict.fromkeys(("januar", "jänner", "jan", "january"), 1),
    **dict.fromkeys(("februar", "feb", "february"), 2),
    **dict.fromkeys(("märz", "maerz", "mär", "mar", "march"), 3),
    **dict.fromkeys(("april", "apr"), 4),
    **dict.fromkeys(("mai", "may"), 5),
    **dict.fromkeys(("juni", "jun", "june"), 6),
    **dict.fromkeys(("juli", "jul", "july"), 7),
    **dict.fromkeys(("august", "aug"), 8),
    **dict.fromkeys(("september", "sep", "sept"), 9),
    **dict.fromkeys(("oktober", "okt", "oct", "october"), 10),
    **dict.fromkeys(("november", "nov"), 11),
    **dict.fromkeys(("dezember", "dez", "dec", "december"), 12),
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
# Bullets, headings, quotes and numbers of list items ("1. ", "2) "), but not a date at the
# start of a line ("1. Juli ...").
_LIST_ITEM = re.compile(
    rf"^\s*(?:[-*•]\s+|#+\s+|>\s*|\d{{1,2}}(?:\)|\.(?!\s*(?:{_MONTH})\b))\s+)", re.IGNORECASE
)

# -- facts -------------------------------------------------------------------------------------

_URL = re.compile(r"(?:https?://|www\.)[^\s<>()\[\]\"']+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(
    r"(?<![\w+,.])(?:(?:\+|00)\d{2}[ \u00a0]?(?:\(0\)[ \u00a0]?)?\d{2,5}|\(?0\d{2,5}\)?)"
    r"(?:[ \u00a0/-]\d{1,8}){1,4}(?!\d|[,.:]\d)"
)
_DAY_LIST = re.compile(
    rf"((?:\d{{1,2}}\.?(?:st|nd|rd|th)?\s*(?:,|und|and|oder|or|bis|to|–|-)\s*){{0,6}})"
    rf"(\d{{1,2}})\.?(?:st|nd|rd|th)?\s*({_MONTH})\b\.?(?:\s+(\d{{4}}))?",
    re.IGNORECASE,
)
_MONTH_DAY = re.compile(
    rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?", re.IGNORECASE
)
_NUMERIC_DATE = re.compile(r"(?<![\d.,])(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2}(?!\d))?")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_CLOCK = r"(\d{1,2})(?:[:.](\d{2}))?"
_TIME_RANGE = re.compile(
    rf"(?<![\d.,]){_CLOCK}\s*(?:–|—|-|bis|to|until)\s*{_CLOCK}\s*(?:Uhr|o'clock)\b",
    re.IGNORECASE,
)
_TIME_AMPM = re.compile(
    r"(?<![\d.,])(\d{1,2})(?::(\d{2}))?\s*(?:([ap])\.?\s?m\b\.?|(noon|midnight)\b)",
    re.IGNORECASE,
)
_TIME = re.compile(
    r"(?<![\d.,])(?:(\d{1,2}):(\d{2})(?:\s*(?:Uhr|h)\b)?|(\d{1,2})\.(\d{2})\s*(?:Uhr|h)\b"
    r"|(\d{1,2})\s*(?:Uhr|o'clock)\b)",
    re.IGNORECASE,
)
_NUMBER = r"\d{1,3}(?:[.,\u00a0]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
_EURO = re.compile(
    rf"(?:€|\bEUR\b|\bEuro\b)\s?({_NUMBER})(?:,-)?|({_NUMBER})(?:,-)?\s?(?:€|EUR\b|Euro\b)",
    re.IGNORECASE,
)
_PERCENT = re.compile(rf"({_NUMBER})\s?(?:%|prozent\b|per ?cent\b)", re.IGNORECASE)
_PLAIN_NUMBER = re.compile(rf"(?:{_NUMBER})(?:st|nd|rd|th)?")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Fact:
    kind: str  # url, email, phone, date, time, euro, percent, number
    value: str  # canonical: "https://x.example/a", "02941980300", "1.7", "8:00", "108"


def _decimal(text: str) -> str:
    """A number as written in German or English, canonical: "1.200,50" and "1,200.50" ->
    "1200.5", "108,00" -> "108". A separator before exactly three digits groups thousands."""
    digits = text.replace("\u00a0", "").replace(" ", "")
    groups = re.split(r"[.,]", digits)
    if len(groups) > 1 and len(groups[-1]) != 3:
        whole, fraction = "".join(groups[:-1]), groups[-1]
    else:
        whole, fraction = "".join(groups), ""
    try:
        value = Decimal(f"{whole}.{fraction}" if fraction else whole)
    except InvalidOperation:
        return digits
    return format(value.normalize(), "f")


def _time(hour: str, minute: str | None, half: str | None = None) -> str | None:
    h, m = int(hour), int(minute or 0)
    if half:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if half.lower() in ("p", "noon") else 0)
        if half.lower() == "midnight":
            h = 0
    if h > 24 or m > 59:
        return None
    return f"{h}:{m:02d}"


def _url(text: str) -> str:
    value = normalise(text).rstrip(".,;:!?*_")
    value = re.sub(r"^https?://", "", value)
    return value.removeprefix("www.").rstrip("/")


def _phone(text: str) -> str:
    digits = re.sub(r"\(0\)", "", text)
    digits = re.sub(r"\D", "", digits.replace("+", "00"))
    if digits.startswith("0049"):
        digits = "0" + digits[4:]
    return digits


def facts(text: str) -> tuple[list[Fact], str]:
    """The facts of ``text`` and the text without them (for the word check). Every digit of
    ``text`` ends up in some fact, so no number escapes the check."""
    found: list[Fact] = []
    rest = text

    def take(pattern: re.Pattern[str], read: Callable[[re.Match[str]], list[Fact] | None]) -> None:
        nonlocal rest

        def replace(match: re.Match[str]) -> str:
            made = read(match)
            if made is None:
                return match.group(0)
            found.extend(made)
            return " "

        rest = pattern.sub(replace, rest)

    take(_URL, lambda m: [Fact("url", _url(m.group(0)))])
    take(_EMAIL, lambda m: [Fact("email", normalise(m.group(0)).rstrip("."))])
    take(_PHONE, _read_phone)
    take(_ISO_DATE, _read_iso_date)
    take(_DAY_LIST, _read_day_list)
    take(_MONTH_DAY, _read_month_day)
    take(_NUMERIC_DATE, _read_numeric_date)
    take(_TIME_RANGE, _read_time_range)
    take(_TIME_AMPM, _read_ampm)
    take(_TIME, _read_time)
    take(_EURO, lambda m: [Fact("euro", _decimal(m.group(1) or m.group(2)))])
    take(_PERCENT, lambda m: [Fact("percent", _decimal(m.group(1)))])
    take(
        _PLAIN_NUMBER,
        lambda m: [Fact("number", _decimal(re.sub(r"(st|nd|rd|th)$", "", m.group(0))))],
    )

    def number_word(match: re.Match[str]) -> str:
        value = NUMBER_WORDS.get(normalise(match.group(0)))
        if value is None:
            return match.group(0)
        found.append(Fact("number", str(value)))
        return " "

    rest = _WORD.sub(number_word, rest)
    return found, rest


def _read_phone(match: re.Match[str]) -> list[Fact] | None:
    digits = _phone(match.group(0))
    return [Fact("phone", digits)] if len(digits) >= 6 else None


def _date(day: str | int, month: int, year: str | None = None) -> list[Fact] | None:
    d = int(day)
    if not (1 <= d <= 31 and 1 <= month <= 12):
        return None
    made = [Fact("date", f"{d}.{month}")]
    if year:
        made.append(Fact("number", _decimal(year) if len(year) == 4 else str(2000 + int(year))))
    return made


def _read_iso_date(match: re.Match[str]) -> list[Fact] | None:
    return _date(match.group(3), int(match.group(2)), match.group(1))


def _read_day_list(match: re.Match[str]) -> list[Fact] | None:
    month = MONTHS[normalise(match.group(3)).rstrip(".")]
    days = [*re.findall(r"\d{1,2}", match.group(1)), match.group(2)]
    made: list[Fact] = []
    for day in days:
        date = _date(day, month)
        if date is None:
            return None
        made.extend(date)
    if match.group(4):
        made.append(Fact("number", match.group(4)))
    return made


def _read_month_day(match: re.Match[str]) -> list[Fact] | None:
    return _date(match.group(2), MONTHS[normalise(match.group(1))], match.group(3))


def _read_numeric_date(match: re.Match[str]) -> list[Fact] | None:
    return _date(match.group(1), int(match.group(2)), match.group(3))


def _read_time_range(match: re.Match[str]) -> list[Fact] | None:
    start, end = _time(match.group(1), match.group(2)), _time(match.group(3), match.group(4))
    if start is None or end is None:
        return None
    return [Fact("time", start), Fact("time", end)]


def _read_ampm(match: re.Match[str]) -> list[Fact] | None:
    value = _time(match.group(1), match.group(2), match.group(3) or match.group(4))
    return None if value is None else [Fact("time", value)]


def _read_time(match: re.Match[str]) -> list[Fact] | None:
    g = match.groups()
    value = _time(g[0], g[1]) if g[0] else _time(g[2], g[3]) if g[2] else _time(g[4], None)
    return None if value is None else [Fact("time", value)]


# -- what the passages say ---------------------------------------------------------------------


@dataclass(slots=True)
class Support:
    """What one or more passages can back: their facts, stems and words."""

    facts: set[Fact] = field(default_factory=set)
    numbers: set[str] = field(default_factory=set)  # values of numbers, amounts, percentages
    stems: set[str] = field(default_factory=set)
    surfaces: set[str] = field(default_factory=set)  # words as written, umlauts folded
    negates: bool = False

    def add(self, other: Support) -> None:
        self.facts |= other.facts
        self.numbers |= other.numbers
        self.stems |= other.stems
        self.surfaces |= other.surfaces
        self.negates = self.negates or other.negates


def passage_text(passage: Passage) -> str:
    """A passage as the model sees it (``generate.py`` sends exactly this)."""
    heading = f" – {passage.heading}" if passage.heading else ""
    return f"{passage.title}{heading}\nSource: {passage.url}\n{passage.text.strip()}"


def support(passage: Passage, language: str) -> Support:
    found, rest = facts(passage_text(passage))
    out = Support(facts=set(found))
    out.numbers = {f.value for f in found if f.kind in ("number", "euro", "percent")}
    rest = plain_text(rest)
    for code in {language_code(passage.language), language_code(language)}:
        for token, term in analysed(rest, code):
            out.stems.add(term)
            out.surfaces.add(fold_umlauts(token))
    out.negates = negates(rest)
    return out


def negates(text: str) -> bool:
    """Whether ``text`` says "not" in some way ("nicht", "keine", "don't", "cannot", ...)."""
    folded = normalise(text).replace("\u2019", "'")
    return "n't" in folded or any(w in NEGATIONS for w in _WORD.findall(folded))


# -- sentences ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str  # without its citation markers
    cited: tuple[int, ...]  # passage numbers as the model wrote them (1-based)


class Rejected(ValueError):
    """The answer is not shown; ``str()`` says why (no text of the answer in it)."""


def sentences(answer: str) -> list[Sentence]:
    """The answer's sentences with the passages each cites. Lines and list items are
    sentences too; a citation written after the full stop ("... Uhr. [1]") belongs to the
    sentence before it, as does a line of nothing but citations."""
    text = answer.replace("**", "").replace("__", "").replace("`", "")
    text = CITATION.sub(lambda m: "".join(f"[{n}]" for n in re.findall(r"\d+", m.group(1))), text)
    out: list[Sentence] = []
    for raw_line in text.splitlines():
        line = _LIST_ITEM.sub("", raw_line).strip()
        line = _MARKERS_AFTER_END.sub(lambda m: m.group(2) + m.group(1), line)
        for piece in _split(line):
            cited = tuple(int(n) for n in _MARKER.findall(piece))
            bare = _tidy(_MARKER.sub(" ", piece))
            if not re.search(r"\w", bare):
                if cited and out:  # citations alone: they belong to the sentence before
                    last = out[-1]
                    out[-1] = Sentence(last.text, last.cited + cited)
                elif cited:
                    raise Rejected("the answer starts with a citation and no sentence")
                continue
            out.append(Sentence(bare, cited))
    return out


def _split(line: str) -> list[str]:
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(line):
        end = match.end()
        before = line[start : match.start() + 1]
        following = line[end : end + 1]
        if match.group(0).startswith(".") and not _ends_sentence(before, following):
            continue
        pieces.append(line[start:end].strip())
        start = end
    pieces.append(line[start:].strip())
    return [p for p in pieces if p]


def _ends_sentence(before: str, following: str) -> bool:
    """Whether a full stop ends a sentence: not after an abbreviation, an initial or a
    number ("am 1. Juli"), and not before a lower-case word."""
    if following and following.islower():
        return False
    word = before.rsplit(None, 1)[-1] if before.strip() else ""
    word = normalise(word).rstrip(".")
    if word.endswith("]"):
        return True
    return not (word in ABBREVIATIONS or (len(word) == 1 and word.isalpha()) or word.isdigit())


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"\s+([.,;:!?…)])", r"\1", text)


# -- the check ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Checked:
    answer: str  # sentences with markers [1], [2] … numbered by ``sources``
    sources: list[dict[str, str]]  # {"title", "url"} in the order the answer first cites them


def check(
    answer: str,
    passages: Sequence[Passage],
    language: str,
    synonyms: Synonyms | None = None,
) -> Checked:
    """The answer with its sources if every sentence is cited and supported (module doc);
    else ``Rejected`` naming the first sentence that failed and why. ``synonyms`` (the
    town's, as the search uses them) let "öffnet" be backed by "Öffnungszeiten"."""
    if len(answer) > MAX_ANSWER_CHARS:
        raise Rejected(f"the answer is longer than {MAX_ANSWER_CHARS} characters")
    found = sentences(answer)
    if not found:
        raise Rejected("the answer is empty")
    cache: dict[int, Support] = {}
    for number, sentence in enumerate(found, 1):
        where = f"sentence {number} of {len(found)}"
        if not sentence.cited:
            raise Rejected(f"{where} cites no passage")
        unknown = [n for n in sentence.cited if not 1 <= n <= len(passages)]
        if unknown:
            raise Rejected(f"{where} cites passage {unknown[0]}, which was not given")
        backing = Support()
        for n in dict.fromkeys(sentence.cited):
            if n not in cache:
                cache[n] = support(passages[n - 1], language)
            backing.add(cache[n])
        problem = unsupported(sentence.text, backing, language, synonyms)
        if problem:
            raise Rejected(f"{where}: {problem}")
    return _render(found, passages)


def unsupported(
    sentence: str, backing: Support, language: str, synonyms: Synonyms | None = None
) -> str:
    """Why the sentence is not backed by ``backing``, or "" if it is."""
    claimed, rest = facts(sentence)
    for fact in claimed:
        ok = fact.value in backing.numbers if fact.kind == "number" else fact in backing.facts
        if not ok:
            return f"{_KIND_NAMES[fact.kind]} not in the cited passages"
    if negates(rest) and not backing.negates:
        return "a negation the cited passages do not make"
    code = language_code(language)
    frame = {stem(w, code) for w in FRAME_WORDS.get(code, ())}
    tokens = [(t, term) for t, term in analysed(plain_text(rest), code) if term not in frame]
    if not tokens and not claimed:
        return "it says nothing the passages could back"
    backed = sum(1 for token, term in tokens if _backed(token, term, backing, code, synonyms))
    if backed < MIN_SUPPORT * len(tokens):
        return f"{len(tokens) - backed} of {len(tokens)} content words not in the cited passages"
    return ""


_KIND_NAMES = {
    "url": "a web address",
    "email": "an e-mail address",
    "phone": "a phone number",
    "date": "a date",
    "time": "a time",
    "euro": "an amount",
    "percent": "a percentage",
    "number": "a number",
}


def _backed(
    token: str, term: str, backing: Support, language: str, synonyms: Synonyms | None
) -> bool:
    folded = fold_umlauts(token)
    if term in backing.stems or folded in backing.surfaces:
        return True
    if stem(folded, language) in backing.stems:
        return True
    # A compound of the passages' words ("hundeanmeldung": "hund" + "anmeld"), or the head
    # of one of theirs ("marke" in "ersatzmarke").
    if folded.isalpha() and (
        len(split_compound(folded, backing.surfaces)) > 1
        or len(split_compound(term, backing.stems)) > 1
        or (len(folded) >= MIN_PART and any(w.endswith(folded) for w in backing.surfaces))
    ):
        return True
    # One of its synonyms, all of whose words the passages have ("öffnet": "öffnungszeiten").
    size, expansions = (synonyms or _DEFAULT_SYNONYMS).match([token], 0, language)
    for expansion in expansions if size == 1 else ():
        stems = terms(expansion, language)
        if stems and all(t in backing.stems for t in stems):
            return True
    return False


def _render(found: list[Sentence], passages: Sequence[Passage]) -> Checked:
    """Markers renumbered by source (one page's passages share a number), in the order the
    answer first cites them, each set of markers before the sentence's final punctuation."""
    numbers: dict[str, int] = {}
    sources: list[dict[str, str]] = []
    parts: list[str] = []
    for sentence in found:
        cited: list[int] = []
        for n in sentence.cited:
            passage = passages[n - 1]
            if passage.url not in numbers:
                numbers[passage.url] = len(numbers) + 1
                sources.append({"title": passage.title, "url": passage.url})
            if numbers[passage.url] not in cited:
                cited.append(numbers[passage.url])
        markers = "".join(f"[{n}]" for n in cited)
        body = sentence.text.rstrip(" ,;:–-")
        end = body[-1] if body[-1] in ".!?…" else "."  # a list item becomes a sentence
        parts.append(f"{body.removesuffix(end).rstrip()} {markers}{end}")
    return Checked(answer=" ".join(parts), sources=sources)
