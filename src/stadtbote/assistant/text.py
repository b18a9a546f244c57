"""Text analysis for the assistant's retrieval, German first, with no model to download:
normalising, tokens, stop words, Snowball stems, German compounds, a town's synonyms and
tolerance for typos. Pure functions and small classes; the index (``index.py``) decides how
the pieces are weighted.

Umlauts: the Snowball German stemmer (snowballstemmer 3) folds ä/ö/ü to a/o/u and also reads
"ae"/"oe"/"ue" as umlauts, so "Müll", "Muell" and "Mülls" share the stem "mull".
``umlaut_variants`` offers the other spelling for tokens that are still unknown (English
stems, compounds the stemmer does not see through).
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from functools import lru_cache

import snowballstemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

from stadtbote.assistant.stopwords import QUESTION_PHRASE_TEXT, STOPWORDS

# ISO 639-1 code -> Snowball algorithm; other languages are not stemmed (exact words only).
ALGORITHMS = {
    "de": "german",
    "en": "english",
    "fr": "french",
    "it": "italian",
    "es": "spanish",
    "nl": "dutch",
    "pt": "portuguese",
    "pl": "polish",
    "tr": "turkish",
    "ru": "russian",
    "ar": "arabic",
    "el": "greek",
    "ro": "romanian",
    "da": "danish",
    "sv": "swedish",
    "no": "norwegian",
    "fi": "finnish",
    "hu": "hungarian",
    "cs": "czech",
    "sr": "serbian",
}
_NAMES = {name: code for code, name in ALGORITHMS.items()}

# Between two parts of a German compound: Hund-e-steuer, Arbeit-s-amt, Straße-n-bahn.
LINKING_ELEMENTS = ("", "s", "es", "n", "en", "e", "er")
# Parts of four letters at least, but the last part (the head) may have three ("Jugend|amt",
# "Geburts|tag", "Wohn|ort"): with three-letter modifiers, verb stems split everything
# ("geb|uhr" for "gebühr", "sof|ort"). Heads that are really suffixes are no parts.
MIN_PART = 4
MIN_HEAD = 3
NOT_HEADS = frozenset(
    {"and", "att", "bar", "elt", "end", "ern", "ens", "heit", "isch", "keit", "lich", "ung"}
)
_MAX_COMPOUND = 64  # longer "words" are not language (hashes, runs of letters): not split

_WORD = re.compile(r"[^\W_]+(?:[-\u2010][^\W_]+)*")


def language_code(language: str) -> str:
    """The ISO code of a language tag or Snowball name: "de-DE", "de_AT", "German" -> "de";
    anything else passes through lower-cased (and is not stemmed)."""
    value = language.strip().lower().replace("_", "-").split("-")[0]
    return _NAMES.get(value, value)


def normalise(text: str) -> str:
    """Casefolded NFKC with ß as ss (casefold does that already; ẞ too). Repeated to a fixed
    point because casefolding can un-normalise a few characters; in practice two rounds."""
    for _ in range(4):
        folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
        folded = folded.replace("ß", "ss")
        if folded == text:
            break
        text = folded
    return text


def words(text: str) -> list[str]:
    """Normalised words, hyphenated compounds kept whole ("e-mail-adresse"), numbers kept."""
    return _WORD.findall(normalise(text).replace("\u2010", "-"))


def tokens(text: str) -> list[str]:
    """Index tokens: words, with a hyphenated compound as its parts and joined
    ("e-mail-adresse" -> "e", "mail", "adresse", "emailadresse"); punctuation dropped."""
    out: list[str] = []
    for word in words(text):
        if "-" in word:
            parts = word.split("-")
            out.extend(parts)
            out.append("".join(parts))
        else:
            out.append(word)
    return out


QUESTION_PHRASES: dict[str, frozenset[tuple[str, ...]]] = {
    code: frozenset(tuple(normalise(phrase).split()) for phrase in phrases.split("|"))
    for code, phrases in QUESTION_PHRASE_TEXT.items()
}


def question_phrase(sequence: Sequence[str], start: int, language: str) -> int:
    """How many words at ``sequence[start]`` only say how the question asks (0 if none)."""
    for phrase in QUESTION_PHRASES.get(language_code(language), ()):
        if tuple(sequence[start : start + len(phrase)]) == phrase:
            return len(phrase)
    return 0


def is_stopword(word: str, language: str) -> bool:
    return word in STOPWORDS.get(language_code(language), frozenset())


def is_content(word: str, language: str) -> bool:
    """Worth indexing: not a stop word, and not a lone letter (numbers of any length are)."""
    return (len(word) > 1 or word.isdigit()) and not is_stopword(word, language)


_STEMMERS: dict[str, object] = {}
# Snowball stemmers keep the word being stemmed in the object: not safe across threads.
_STEM_LOCK = threading.Lock()


@lru_cache(maxsize=65_536)
def stem(word: str, language: str) -> str:
    """Snowball stem of a normalised word ("ausweise" -> "ausweis"); cached, bounded."""
    algorithm = ALGORITHMS.get(language_code(language))
    if algorithm is None:
        return word
    with _STEM_LOCK:
        stemmer = _STEMMERS.get(algorithm)
        if stemmer is None:
            stemmer = _STEMMERS[algorithm] = snowballstemmer.stemmer(algorithm)
        found = str(stemmer.stemWord(word))  # type: ignore[attr-defined]
    # Snowball German keeps the -s of plurals after a vowel (loanwords: "Sofas", "Autos",
    # "Handys", "Fotos", "Euros"), so they would miss their singular.
    if algorithm == "german" and len(found) >= 5 and found[-1] == "s" and found[-2] in "aoy":
        found = found[:-1]
    return found


def analysed(text: str, language: str) -> list[tuple[str, str]]:
    """(token, stem) of the content tokens of ``text``, in order (``is_content``, inlined:
    this runs for every word of every page when an index is built)."""
    code = language_code(language)
    stop = STOPWORDS.get(code, frozenset())
    return [
        (t, stem(t, code)) for t in tokens(text) if (len(t) > 1 or t.isdigit()) and t not in stop
    ]


def terms(text: str, language: str) -> list[str]:
    """What the index stores for ``text``: stems of its content tokens, in order."""
    return [term for _, term in analysed(text, language)]


def fold_umlauts(word: str) -> str:
    return word.replace("ä", "a").replace("ö", "o").replace("ü", "u")


def umlaut_variants(word: str) -> list[str]:
    """The other spellings of a word: "muell" -> ["müll"], "müll" -> ["muell"]. Only offered
    for words the index does not know, since "ue" is often no umlaut ("steuer", "neue")."""
    out = []
    if any(v in word for v in ("ae", "oe", "ue")):
        out.append(word.replace("ae", "ä").replace("oe", "ö").replace("ue", "ü"))
    if any(v in word for v in "äöü"):
        out.append(word.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue"))
    return [w for w in out if w != word]


def split_compound(
    word: str,
    vocabulary: Container[str],
    min_part: int = MIN_PART,
    frequency: Callable[[str], float] | None = None,
    min_head: int = MIN_HEAD,
) -> list[str]:
    """Split a German compound into parts from ``vocabulary`` (surface forms or stems, in the
    form ``word`` has), allowing a linking element between parts: "müllabfuhr" -> ["müll",
    "abfuhr"], "hundesteuer" -> ["hund", "steuer"]. Fewest parts win; among those the split
    with the most frequent parts (geometric mean of ``frequency``, after Koehn & Knight 2003:
    "reise|pass", not "reis|epass"), then the longer parts. ``[word]`` when there is no split
    into two or more parts."""
    n = len(word)
    min_head = min(min_head, min_part)
    if n < min_part + min_head or n > _MAX_COMPOUND:
        return [word]
    memo: dict[int, tuple[str, ...] | None] = {}

    def rank(parts: tuple[str, ...]) -> tuple[int, float, int, tuple[str, ...]]:
        common = math.prod(frequency(p) for p in parts) ** (1 / len(parts)) if frequency else 0
        return (len(parts), -common, -sum(len(p) ** 2 for p in parts), parts)

    def best(start: int) -> tuple[str, ...] | None:
        # The best split of word[start:], or None; the whole word is never its own split.
        if start in memo:
            return memo[start]
        found: tuple[str, ...] | None = None
        head = word[start:]
        if start > 0 and len(head) >= min_head and head in vocabulary and head not in NOT_HEADS:
            found = (head,)
        for end in range(start + min_part, n - min_head + 1):
            part = word[start:end]
            if part not in vocabulary:
                continue
            for link in LINKING_ELEMENTS:
                rest = end + len(link)
                if n - rest < min_head or not word.startswith(link, end):
                    continue
                tail = best(rest)
                if tail is not None and (found is None or rank((part, *tail)) < rank(found)):
                    found = (part, *tail)
        memo[start] = found
        return found

    parts = best(0)
    return list(parts) if parts else [word]


# Participles and verb forms Snowball leaves apart from their verb: "abgeholt" (abholen),
# "geleert" (leeren), "angemeldet" (anmelden), "beantragt" (beantragen).
SEPARABLE_PREFIXES = (
    "ab", "an", "auf", "aus", "bei", "durch", "ein", "fest", "frei", "her", "hin", "los", "mit",
    "nach", "raus", "rein", "um", "vor", "weg", "wieder", "zu", "zurück",
)  # fmt: skip
INSEPARABLE_PREFIXES = ("be", "emp", "ent", "er", "miss", "ver", "zer")


def verb_stems(word: str, language: str) -> list[str]:
    """Stems of the verb a German past participle or third person may come from: "abgeholt"
    -> "abhol", "geleert" -> "leer", "abgegeben" -> "abgeb", "beantragt" -> "beantrag".
    Guesses: the caller keeps only those its vocabulary knows ("geburt" -> "bur" is none)."""
    if language_code(language) != "de" or not word.isalpha():
        return []
    bases: list[tuple[str, str]] = []  # (prefix, what is left of the verb)
    for prefix in ("", *SEPARABLE_PREFIXES):
        rest = word[len(prefix) + 2 :]
        if word.startswith(prefix + "ge") and len(rest) >= 3:
            bases.append((prefix, rest))
    if word.startswith(INSEPARABLE_PREFIXES) and word.endswith("t"):
        bases.append(("", word))
    found: list[str] = []
    for prefix, rest in bases:
        for ending in ("et", "t", "en"):
            if rest.endswith(ending) and len(rest) - len(ending) >= 3:
                base = prefix + rest[: -len(ending)]
                # "leer-en", but "änder-n", "sammel-n"
                for infinitive in (
                    (base + "en", base + "n") if base.endswith(("el", "er")) else (base + "en",)
                ):
                    if (candidate := stem(infinitive, "de")) not in found:
                        found.append(candidate)
                break
    return found


def compound_splits(frequencies: Mapping[str, int]) -> dict[str, list[str]]:
    """Every alphabetic term of a vocabulary (term -> how often) that splits into other terms
    of it, with its parts: how an index learns that "mullabfuhr" is "mull" + "abfuhr"."""
    found = (
        (term, split_compound(term, frequencies, frequency=frequencies.__getitem__))
        for term in frequencies
        if term.isalpha()
    )
    return {term: parts for term, parts in found if len(parts) > 1}


def joined_compounds(modifier: str, head: str, language: str) -> set[str]:
    """Stems of the compounds a modifier's stem and a head word may form, with each linking
    element: ("mull", "abfuhr") -> {"mullabfuhr", "mullsabfuhr", ...}. A modifier in "-ung"
    also joins by its verb stem, as compounds do: "wohnung" + "steuer" -> "wohnsteuer"."""
    verb = modifier.removesuffix("ung")
    starts = {modifier, verb} if len(verb) >= MIN_PART else {modifier}
    return {stem(start + link + head, language) for start in starts for link in LINKING_ELEMENTS}


_MARKUP = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+|<[^>]*>")


def plain_text(markdown: str) -> str:
    """Markdown as text to index: web and e-mail addresses and HTML tags would index as words
    ("https", "www"); the rest of Markdown's syntax is punctuation, which tokens() drops."""
    return _MARKUP.sub(" ", markdown)


# Out of the box: the commonest ways a question and a page say the same thing in different
# words ("Was kostet ...?" - "## Gebühren", "Wie lange dauert ...?" - "## Bearbeitungszeit").
# A town's own synonyms come on top.
DEFAULT_SYNONYMS: dict[str, list[str]] = {
    "kosten": ["gebühr", "preis", "steuersatz", "beitrag"],
    "preis": ["gebühr", "kosten"],
    "gebühr": ["kosten"],
    "teuer": ["gebühr", "kosten"],
    "wie viel": ["gebühr", "kosten", "preis", "höhe", "beitrag", "steuersatz"],
    "wie hoch": ["gebühr", "kosten", "höhe", "beitrag", "steuersatz"],
    "kostenlos": ["gebührenfrei", "kostenfrei", "beitragsfrei"],
    "umsonst": ["kostenlos", "gebührenfrei", "kostenfrei", "beitragsfrei"],
    "wie lange": ["bearbeitungszeit", "dauer"],
    "wie schnell": ["bearbeitungszeit", "dauer"],
    "dauert": ["bearbeitungszeit", "dauer"],
    "dauer": ["bearbeitungszeit"],
    "bearbeitungszeit": ["dauer"],
    "zu spät": ["frist", "versäumt"],
    "verpasst": ["frist", "versäumt"],
    "öffnungszeiten": ["sprechzeiten", "geöffnet"],
    "sprechzeiten": ["öffnungszeiten"],
    "geöffnet": ["öffnungszeiten", "sprechzeiten"],
    "öffnet": ["öffnungszeiten", "geöffnet"],  # stems apart from "öffnen"
    "öffnen": ["öffnungszeiten", "geöffnet"],
    "verloren": ["verlust", "gestohlen"],
    "verlust": ["verloren"],
    "gestohlen": ["diebstahl", "verloren"],
    "beantragen": ["antrag"],
    "antrag": ["beantragen"],
    "umziehen": ["umzug", "ummelden"],
    "umzug": ["ummelden", "umziehen"],
    "cost": ["fee", "price"],
    "how much": ["fee", "cost", "price"],
    "price": ["fee", "cost"],
    "fee": ["cost"],
    "how long": ["processing time"],
    "opening hours": ["open"],
    "lost": ["loss", "stolen"],
}


class Synonyms:
    """A town's words for what its pages call otherwise: term -> expansions, both may be
    several words ({"perso": ["personalausweis"], "blaue tonne": ["papiertonne"]}), on top
    of ``DEFAULT_SYNONYMS`` unless ``defaults=False``. Matched on stems, so "blauen Tonnen"
    finds "blaue tonne"; the longest term wins."""

    def __init__(self, mapping: Mapping[str, Iterable[str]] | None = None, defaults: bool = True):
        self._entries: list[tuple[list[str], tuple[str, ...]]] = []
        merged = [*(DEFAULT_SYNONYMS.items() if defaults else ()), *(mapping or {}).items()]
        for term, expansions in merged:
            key = words(term)
            found = tuple(e for e in (normalise(x).strip() for x in expansions) if e)
            if key and found:
                self._entries.append((key, found))
        self.longest = max((len(k) for k, _ in self._entries), default=0)
        self._tables: dict[str, dict[tuple[str, ...], tuple[str, ...]]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def _table(self, language: str) -> dict[tuple[str, ...], tuple[str, ...]]:
        table = self._tables.get(language)
        if table is None:
            table = {}
            for key, expansions in self._entries:
                stems = tuple(_word_stem(w, language) for w in key)
                table[stems] = tuple(dict.fromkeys(table.get(stems, ()) + expansions))
            self._tables[language] = table
        return table

    def match(
        self, sequence: Sequence[str], start: int, language: str
    ) -> tuple[int, tuple[str, ...]]:
        """(words matched, expansions) for the longest term at ``sequence[start]``; (0, ())."""
        if not self._entries:
            return 0, ()
        table = self._table(language_code(language))
        for size in range(min(self.longest, len(sequence) - start), 0, -1):
            key = tuple(_word_stem(w, language) for w in sequence[start : start + size])
            if key in table:
                return size, table[key]
        return 0, ()


def _word_stem(word: str, language: str) -> str:
    return stem(word.replace("-", ""), language)


def max_typo_distance(length: int) -> int:
    """Edits tolerated: none below 5 letters (too many neighbours: "bank" ~ "band", "hand"),
    one up to 7, two from 8 letters on."""
    return 0 if length < 5 else 1 if length < 8 else 2


class FuzzyVocabulary:
    """Close known words for an unknown one, by optimal-string-alignment distance (a swapped
    pair of letters is one edit). Give it words as written (umlauts folded), not stems: a typo
    near the end changes what the stemmer strips ("sammulng" keeps its ending, "sammlung"
    loses it). Words are kept in buckets by length, so a lookup only scans the band of lengths
    the distance allows (rapidfuzz does the scanning in C++)."""

    def __init__(self, vocabulary: Iterable[str]):
        buckets: dict[int, list[str]] = {}
        for term in vocabulary:
            if len(term) >= 4 and term.isalpha():
                buckets.setdefault(len(term), []).append(term)
        self._buckets = {size: sorted(b) for size, b in buckets.items()}

    def lookup(self, term: str, limit: int = 3) -> list[tuple[str, float]]:
        """Up to ``limit`` (word, similarity in (0, 1)) pairs at the nearest distance found:
        with one word an edit away, words two edits away are other words."""
        distance = max_typo_distance(len(term))
        if distance == 0:
            return []
        found: list[tuple[int, str]] = []
        for size in range(len(term) - distance, len(term) + distance + 1):
            bucket = self._buckets.get(size)
            if bucket:
                for candidate, edits, _ in process.extract(
                    term, bucket, scorer=OSA.distance, score_cutoff=distance, limit=limit
                ):
                    if candidate != term:
                        found.append((int(edits), candidate))
        found.sort()
        nearest = [(d, c) for d, c in found if d == found[0][0]][:limit]
        return [(c, 1.0 - d / max(len(term), len(c))) for d, c in nearest]
