"""Ranked passages from a town's knowledge base: pages split at their ``##`` headings, BM25
over analysed terms (``text.py``) with title and heading counting more, and a query that is
widened by stems, compound parts, synonyms and typo corrections. In memory, no Django.

A query becomes *concepts* (one per content word, or per synonym term), each with
alternatives: the word's stem (weight 1), its compound parts, a compound formed with a
neighbouring word ("Abfuhr von Müll" -> "müllabfuhr"), the town's synonyms, close spellings.
A passage scores, per concept, its best alternative (so an expansion never counts twice), and
the concepts' scores add up. Scores are comparable across queries only through
``confidence``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from stadtbote.assistant.text import (
    MIN_PART,
    FuzzyVocabulary,
    Synonyms,
    analysed,
    compound_splits,
    fold_umlauts,
    is_content,
    joined_compounds,
    language_code,
    plain_text,
    split_compound,
    stem,
    terms,
    umlaut_variants,
    words,
)

K1, B = 1.2, 0.75
TITLE_WEIGHT, HEADING_WEIGHT = 3.0, 2.0  # a body word counts 1
PART_WEIGHT = 0.5  # each part of a compound in a page ("müllabfuhr" -> "mull", "abfuhr")
COMPOUND_LANGUAGES = frozenset({"de"})
PASSAGE_WORDS = 120

# Query alternatives, relative to the word as typed (1.0).
COMPOUND_WEIGHT = 0.85  # its parts, or the compound it forms with a neighbour
SYNONYM_WEIGHT = 0.9
TYPO_WEIGHT = 0.9  # times the similarity of the correction
OTHER_LANGUAGE = 0.6  # pages not in the question's language: found, but after
MARGIN_SHARE = 0.3  # how much of ``confidence`` a close second page can take away
# A word is fully matched at tf 2 (in the heading, or twice in the text) and average length;
# a passage that mentions it once in passing is weaker evidence that it answers (73 %).
FULL_MATCH_TF = 2.0
FULL_MATCH = FULL_MATCH_TF * (K1 + 1.0) / (FULL_MATCH_TF + K1)  # BM25 of it, per unit of idf
_DEFAULT_SYNONYMS = Synonyms()


@dataclass(frozen=True, slots=True)
class Passage:
    doc_id: str
    url: str
    title: str
    heading: str  # "" for the text before the first "##"
    text: str  # the section's Markdown, without its heading line
    language: str


@dataclass(frozen=True, slots=True)
class Hit:
    passage: Passage
    score: float  # BM25, comparable within one search only
    coverage: float = 0.0  # how much of the question the passage matches, 0..1 (see confidence)


@dataclass(frozen=True, slots=True)
class Alternative:
    terms: tuple[str, ...]  # several: all of them, scored by their mean
    weight: float
    kind: str  # exact, variant, compound, joined, synonym, typo


@dataclass(slots=True)
class Concept:
    text: str
    alternatives: list[Alternative] = field(default_factory=list)
    stem: str = ""  # for single words: what compound joining starts from


class PageLike(Protocol):
    url: str
    title: str
    body: str
    language: str


# -- passages -----------------------------------------------------------------------------------

_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)[\s#]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def split_passages(
    title: str, markdown_body: str, url: str, language: str, doc_id: str | None = None
) -> list[Passage]:
    """One passage per ``##`` section (the text before the first one too); sections longer
    than ~``PASSAGE_WORDS`` words are cut at paragraph boundaries, and a paragraph that alone
    is far longer at sentence ends. A ``#`` line repeats the title and is left out; ``###``
    and deeper stay in their section. Each passage carries the page title and its heading."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    in_code = False
    for line in markdown_body.splitlines():
        if _FENCE.match(line):
            in_code = not in_code
        heading = None if in_code else _HEADING.match(line)
        if heading and len(heading.group(1)) == 1:
            continue
        if heading and len(heading.group(1)) == 2:
            sections.append((heading.group(2).strip(), []))
        else:
            sections[-1][1].append(line)
    passages = []
    for heading_text, lines in sections:
        for chunk in _chunks("\n".join(lines)):
            passages.append(
                Passage(doc_id or url, url, title.strip(), heading_text, chunk, language)
            )
    return passages


def _chunks(text: str) -> list[str]:
    """Paragraphs packed into chunks of at most ~``PASSAGE_WORDS`` words; a paragraph far
    longer than that is first cut into runs of whole sentences of about that size."""
    blocks: list[str] = []
    for paragraph in (p.strip() for p in re.split(r"\n\s*\n", text)):
        if len(paragraph.split()) > 2 * PASSAGE_WORDS:
            blocks.extend(" ".join(run) for run in _pack(_SENTENCE_END.split(paragraph)))
        elif paragraph:
            blocks.append(paragraph)
    return ["\n\n".join(run) for run in _pack(blocks)]


def _pack(pieces: list[str]) -> list[list[str]]:
    runs: list[list[str]] = []
    size = 0
    for piece in pieces:
        count = len(piece.split())
        if not runs or (size and size + count > PASSAGE_WORDS):
            runs.append([])
            size = 0
        runs[-1].append(piece)
        size += count
    return runs


# -- the index ----------------------------------------------------------------------------------


class _Postings:
    """One language's inverted index in three flat arrays (CSR): the passages containing the
    term in row r are ``ids[offsets[r]:offsets[r + 1]]``, with their weighted term frequencies
    in ``tfs``. Far fewer Python objects than a dict of lists (see bench/assistant_search.py)."""

    def __init__(self, counts: dict[int, dict[str, float]], surfaces: dict[str, str]):
        self.count = len(counts)
        rows: dict[str, int] = {}
        term_rows, ids, tfs = [], [], []
        for pid in sorted(counts):
            for term, tf in counts[pid].items():
                term_rows.append(rows.setdefault(term, len(rows)))
                ids.append(pid)
                tfs.append(tf)
        order = np.argsort(np.asarray(term_rows, dtype=np.int32), kind="stable")
        self.ids = np.asarray(ids, dtype=np.int32)[order]
        self.tfs = np.asarray(tfs, dtype=np.float32)[order]
        per_row = np.bincount(np.asarray(term_rows, dtype=np.int64), minlength=len(rows))
        self.offsets = np.concatenate(([0], np.cumsum(per_row))).astype(np.int64)
        self.rows = rows
        self.surfaces = surfaces  # word as written, umlauts folded -> stem: for typos
        self.fuzzy = FuzzyVocabulary(surfaces)
        self.unknown_idf = self.idf(0)  # a word no passage has: rarer than any

    def idf(self, df: int) -> float:
        return math.log(1.0 + (self.count - df + 0.5) / (df + 0.5))

    def df(self, term: str) -> int:
        row = self.rows[term]
        return int(self.offsets[row + 1] - self.offsets[row])

    def get(self, term: str) -> tuple[np.ndarray, np.ndarray, float] | None:
        row = self.rows.get(term)
        if row is None:
            return None
        start, end = int(self.offsets[row]), int(self.offsets[row + 1])
        return self.ids[start:end], self.tfs[start:end], self.idf(end - start)


class Index:
    """BM25 over passages; built once per town and knowledge-base version, then read-only
    (safe to search from several threads)."""

    def __init__(self, passages: Iterable[Passage]):
        self.passages = list(passages)
        n = len(self.passages)
        codes = [language_code(p.language) for p in self.passages]
        counts: dict[str, dict[int, dict[str, float]]] = {}
        surfaces: dict[str, dict[str, str]] = {}
        lengths = np.zeros(n, dtype=np.float64)
        for pid, passage in enumerate(self.passages):
            bag: dict[str, float] = {}
            written = surfaces.setdefault(codes[pid], {})
            length = 0.0
            for text, weight in (
                (passage.title, TITLE_WEIGHT),
                (passage.heading, HEADING_WEIGHT),
                (plain_text(passage.text), 1.0),
            ):
                for token, term in analysed(text, codes[pid]):
                    bag[term] = bag.get(term, 0.0) + weight
                    length += weight
                    written.setdefault(fold_umlauts(token), term)
            counts.setdefault(codes[pid], {})[pid] = bag
            lengths[pid] = length
        for code, bags in counts.items():
            if code in COMPOUND_LANGUAGES:
                _add_compound_parts(bags)
        self._languages = {code: _Postings(b, surfaces[code]) for code, b in counts.items()}
        # BM25's length normalisation, per passage against its language's average
        self._knorm = np.ones(n, dtype=np.float32)
        for code in self._languages:
            mask = np.fromiter((c == code for c in codes), dtype=bool, count=n)
            average = float(lengths[mask].mean()) or 1.0
            self._knorm[mask] = K1 * (1.0 - B + B * lengths[mask] / average)

    @classmethod
    def from_pages(cls, pages: Iterable[PageLike]) -> Index:
        split = (split_passages(p.title, p.body, p.url, p.language) for p in pages)
        return cls(passage for passages in split for passage in passages)

    def __len__(self) -> int:
        return len(self.passages)

    @property
    def languages(self) -> list[str]:
        return sorted(self._languages)

    def search(
        self, query: str, language: str = "de", synonyms: Synonyms | None = None, k: int = 5
    ) -> list[Hit]:
        """The ``k`` best passages, best first (ties: index order). Pages in other languages
        are searched with the query analysed for their language, and scored lower. Without
        ``synonyms``, the built-in ones apply (``Synonyms(defaults=False)`` for none)."""
        wanted = language_code(language)
        total = np.zeros(len(self.passages), dtype=np.float32)
        coverage = np.zeros(len(self.passages), dtype=np.float32)
        for code, postings in self._languages.items():
            if concepts := self.analyse(query, code, synonyms, typos=code == wanted):
                # languages have disjoint passages: adding them up only fills in each one's share
                factor = 1.0 if code == wanted else OTHER_LANGUAGE
                scores, covered = self._score(postings, concepts)
                total += factor * scores
                coverage += factor * covered
        found = np.flatnonzero(total > 0)
        best = found[np.lexsort((found, -total[found]))][: max(k, 0)]
        return [
            Hit(self.passages[i], float(total[i]), min(1.0, float(coverage[i])))
            for i in best.tolist()
        ]

    def analyse(
        self, query: str, language: str, synonyms: Synonyms | None = None, typos: bool = True
    ) -> list[Concept]:
        """The query as concepts for ``language``'s passages (see the module docstring)."""
        code = language_code(language)
        postings = self._languages.get(code)
        if postings is None:
            return []
        synonyms = _DEFAULT_SYNONYMS if synonyms is None else synonyms
        sequence = words(query)
        concepts: list[Concept] = []
        said: set[tuple[str, ...]] = set()  # words and synonyms so far: "how much ... cost" once
        i = 0
        while i < len(sequence):
            size, expansions = synonyms.match(sequence, i, code)
            span = sequence[i : i + max(size, 1)]
            i += len(span)
            meant = {tuple(terms(e, code)) for e in expansions} - {()}
            if len(span) > 1:  # a synonym of several words: they and its expansions
                own = tuple(t for w in span for t in terms(w, code))
                if own in said or meant <= said:
                    continue
                concept = Concept(" ".join(span), [Alternative(own, 1.0, "exact")] if own else [])
            else:
                term = stem(span[0].replace("-", ""), code)
                if (term,) in said or not (expansions or is_content(span[0], code)):
                    continue
                # a word the town gave synonyms for is no typo
                concept = self._word(span[0], term, code, postings, typos and not expansions)
            concept.alternatives += [
                Alternative(t, SYNONYM_WEIGHT, "synonym") for t in sorted(meant)
            ]
            said.update(a.terms for a in concept.alternatives if a.kind in ("exact", "synonym"))
            concepts.append(concept)
        if code in COMPOUND_LANGUAGES:
            _join_neighbours(concepts, code, postings)
        return [c for c in concepts if c.alternatives]

    def _word(self, word: str, term: str, code: str, postings: _Postings, typos: bool) -> Concept:
        concept = Concept(word, [Alternative((term,), 1.0, "exact")], stem=term)
        add = concept.alternatives.append
        # "e-mail-adresse": also its parts, as a page may write them apart
        if "-" in word and (pieces := tuple(terms(word.replace("-", " "), code))):
            add(Alternative(pieces, COMPOUND_WEIGHT, "compound"))
        known = term in postings.rows
        if not known:
            for variant in umlaut_variants(word):
                if (other := stem(variant, code)) in postings.rows and other != term:
                    add(Alternative((other,), 1.0, "variant"))
                    known = True
        if code in COMPOUND_LANGUAGES and term.isalpha():
            parts = split_compound(term, postings.rows, MIN_PART, postings.df)
            if len(parts) > 1:
                add(Alternative(tuple(parts), COMPOUND_WEIGHT, "compound"))
        if not known and typos:
            corrections: dict[str, float] = {}
            for written, similarity in postings.fuzzy.lookup(fold_umlauts(word.replace("-", ""))):
                correction = postings.surfaces[written]
                corrections[correction] = max(similarity, corrections.get(correction, 0.0))
            for correction, similarity in corrections.items():
                add(Alternative((correction,), TYPO_WEIGHT * similarity, "typo"))
        return concept

    def _score(self, postings: _Postings, concepts: list[Concept]) -> tuple[np.ndarray, np.ndarray]:
        """BM25 per passage (per concept its best alternative), and how much of the question
        the passage covers: per concept the best alternative's weight times its score over a
        full match (``FULL_MATCH_TF``), at most the weight; concepts count by importance."""
        n = len(self.passages)
        total, covered = np.zeros(n, dtype=np.float32), np.zeros(n, dtype=np.float32)
        importances = 0.0
        for concept in concepts:
            best, cover = np.zeros(n, dtype=np.float32), np.zeros(n, dtype=np.float32)
            known: dict[str, float] = {}  # kind -> best idf of the alternatives known in full
            for alternative in concept.alternatives:
                found = [postings.get(t) for t in alternative.terms]
                if not any(found):
                    continue
                idf_mean = sum(p[2] if p else postings.unknown_idf for p in found) / len(found)
                if all(found):
                    known[alternative.kind] = max(idf_mean, known.get(alternative.kind, 0.0))
                raw = np.zeros(n, dtype=np.float32)
                for ids, tfs, idf in (p for p in found if p):
                    # ids are unique within a term, so the fancy-index += is exact
                    raw[ids] += idf * tfs * (K1 + 1.0) / (tfs + self._knorm[ids])
                raw /= len(alternative.terms)
                np.maximum(best, alternative.weight * raw, out=best)
                share = np.minimum(raw / (idf_mean * FULL_MATCH), 1.0)
                np.maximum(cover, alternative.weight * share, out=cover)
            # a concept weighs as the word typed if the index knows it, else as what it may
            # mean, else as the rarest term (and stays uncovered)
            importance = known.get("exact") or max(known.values(), default=postings.unknown_idf)
            total += best
            covered += importance * cover
            importances += importance
        return total, covered / importances


def _add_compound_parts(bags: dict[int, dict[str, float]]) -> None:
    """Index German compounds also by their parts, where the parts occur in the language's
    vocabulary ("mullabfuhr" -> "mull" + "abfuhr"), at ``PART_WEIGHT`` of the compound's tf."""
    splits = compound_splits(Counter(term for bag in bags.values() for term in bag))
    for bag in bags.values():
        for term, tf in [(t, tf) for t, tf in bag.items() if t in splits]:
            for part in splits[term]:
                bag[part] = bag.get(part, 0.0) + PART_WEIGHT * tf


def _join_neighbours(concepts: list[Concept], code: str, postings: _Postings) -> None:
    """Two nearby words may be a compound the pages use: "Abfuhr von Müll" -> "müllabfuhr",
    in either order (see ``joined_compounds``); both words get it as an alternative."""
    singles = [c for c in concepts if c.stem and c.stem.isalpha()]
    for i, first in enumerate(singles):
        for second in singles[i + 1 : i + 3]:
            found = joined_compounds(first.stem, second.text, code)
            found |= joined_compounds(second.stem, first.text, code)
            for joined in sorted(found & postings.rows.keys()):
                alternative = Alternative((joined,), COMPOUND_WEIGHT, "joined")
                for concept in (first, second):
                    if alternative not in concept.alternatives:
                        concept.alternatives.append(alternative)


def confidence(hits: list[Hit]) -> float:
    """How sure the best hit answers the question, in [0, 1], for a caller to threshold.

    coverage (per hit, from ``Index.search``): for each concept of the question, the best
    alternative's BM25 score in the passage over the score of a full match of it (tf 2 at
    average length, ``FULL_MATCH_TF``), at most 1, times the alternative's weight; averaged
    over the concepts weighted by importance: the idf of the word as typed, or if the pages
    don't have it, of what it may mean (synonym, correction, parts), or else the idf of a
    word no page has (such a concept stays uncovered). So every word of the question in a
    title or heading -> 1, a word only mentioned once in the text -> 0.73; a synonym a little
    less, a corrected typo less (the shorter the word, the less); a question about what the
    pages never mention -> near 0; pages in another language -> times 0.6.
    margin = 1 - (best other page's score / top score), 1 if no other page is among the hits.
    confidence = coverage * (1 - MARGIN_SHARE + MARGIN_SHARE * margin): a second page as good
    as the first takes 30 % away. Pass the hits of one search with k >= 3 so it can show.
    """
    if not hits or hits[0].score <= 0:
        return 0.0
    top = hits[0]
    runner = next((h for h in hits[1:] if h.passage.doc_id != top.passage.doc_id), None)
    margin = 1.0 if runner is None else max(0.0, 1.0 - runner.score / top.score)
    return round(top.coverage * (1.0 - MARGIN_SHARE + MARGIN_SHARE * margin), 4)
