"""Ranked passages from a town's knowledge base: pages split at their ``##`` headings
(``passages.py``), BM25F over analysed terms (``text.py``) in four fields (title, the page's
keywords, heading, text), and a query that is widened by stems, compound parts, participles'
verbs, synonyms and typo corrections. In memory, no Django.

A query becomes *concepts* (one per content word, or per synonym term), each with
alternatives: the word's stem (weight 1), its compound parts (of an unknown compound, the part
the pages know), a compound formed with a neighbouring word ("Abfuhr von Müll" ->
"müllabfuhr"), the verb of a participle, the town's synonyms, close spellings. A passage
scores, per concept, its best alternative (so an expansion never counts twice), and the
concepts' scores add up; a passage whose title or heading says more than the question loses a
little (``Index._specificity``). Scores are comparable across queries only through
``confidence``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from stadtbote.assistant import answer_types
from stadtbote.assistant.passages import PageLike, Passage, split_passages
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
    question_phrase,
    split_compound,
    stem,
    terms,
    umlaut_variants,
    verb_stems,
    words,
)

K1 = 1.2
# BM25F: (weight, length normalisation b) of title, keywords (the page's tags), heading and
# text. Each field is normalised by its own average length, so a word in a short heading
# ("## Gebühren") counts more than in a long one ("## Gebühr und Gültigkeit"), and a long text
# does not drown its heading. Keywords are the words a page's editors expect citizens to use
# ("hundemarke", "urnengrab"): half a title.
FIELDS = ((3.0, 0.5), (1.5, 0.5), (2.0, 0.5), (1.0, 0.75))
PART_WEIGHT = 0.5  # each part of a compound in a page ("müllabfuhr" -> "mull", "abfuhr")
COMPOUND_LANGUAGES = frozenset({"de"})

# Query alternatives, relative to the word as typed (1.0).
COMPOUND_WEIGHT = 0.85  # its parts, or the compound it forms with a neighbour
SYNONYM_WEIGHT = 0.9
VARIANT_WEIGHT = 0.9  # the verb a participle comes from: "abgeholt" -> "abholen"
TYPO_WEIGHT = 0.9  # times the similarity of the correction
OTHER_LANGUAGE = 0.6  # pages not in the question's language: found, but after
# How much of ``confidence`` a second page as good as the first takes away: two equally good
# pages, and it is a coin toss which one the citizen needs.
MARGIN_SHARE = 0.5
# How much of a passage's score a title (and heading) saying more than the question costs
# (``Index._specificity``).
SPECIFICITY_SHARE = 0.3
# A word is fully matched at tf 2 (in the heading, or twice in the text) and average length;
# a passage that mentions it once in passing is weaker evidence that it answers (73 %).
FULL_MATCH_TF = 2.0
FULL_MATCH = FULL_MATCH_TF * (K1 + 1.0) / (FULL_MATCH_TF + K1)  # BM25 of it, per unit of idf
_DEFAULT_SYNONYMS = Synonyms()


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
        # per passage and field: its terms' counts and its length
        fields: list[list[tuple[Counter[str], int]]] = []
        surfaces: dict[str, dict[str, str]] = {}
        for pid, passage in enumerate(self.passages):
            written = surfaces.setdefault(codes[pid], {})
            row = []
            for text in (passage.title, passage.tags, passage.heading, plain_text(passage.text)):
                found = analysed(text, codes[pid])
                for token, term in found:
                    written.setdefault(fold_umlauts(token), term)
                row.append((Counter(term for _, term in found), len(found)))
            fields.append(row)
        counts: dict[str, dict[int, dict[str, float]]] = {}
        for code in sorted(set(codes)):
            members = [pid for pid in range(n) if codes[pid] == code]
            averages = [
                max(1.0, sum(fields[pid][f][1] for pid in members) / len(members))
                for f in range(len(FIELDS))
            ]
            bags = counts[code] = {}
            for pid in members:
                bag: dict[str, float] = {}
                for (terms_, length), (weight, b), average in zip(
                    fields[pid], FIELDS, averages, strict=True
                ):
                    norm = weight / (1.0 - b + b * length / average)
                    for term, tf in terms_.items():
                        bag[term] = bag.get(term, 0.0) + tf * norm
                bags[pid] = bag
            if code in COMPOUND_LANGUAGES:
                _add_compound_parts(bags)
                _add_verb_stems(bags, surfaces[code], code)
        self._languages = {code: _Postings(b, surfaces[code]) for code, b in counts.items()}
        self._answers = np.fromiter(
            (
                answer_types.bits(answer_types.answered(f"{p.heading}\n{p.text}"))
                for p in self.passages
            ),
            dtype=np.uint8,
            count=n,
        )
        # per label (title, heading): which passages have a term in it, and its idf in all
        self._labels: list[tuple[dict[str, dict[str, np.ndarray]], np.ndarray]] = []
        for field_number in (0, 2):
            members_of: dict[str, dict[str, list[int]]] = {}
            mass = np.zeros(n, dtype=np.float32)
            for pid in range(n):
                postings = self._languages[codes[pid]]
                for term in fields[pid][field_number][0]:
                    members_of.setdefault(codes[pid], {}).setdefault(term, []).append(pid)
                    mass[pid] += postings.idf(postings.df(term))
            arrays = {
                code: {term: np.asarray(ids, dtype=np.int32) for term, ids in found.items()}
                for code, found in members_of.items()
            }
            self._labels.append((arrays, mass))

    @classmethod
    def from_pages(cls, pages: Iterable[PageLike]) -> Index:
        split = (
            split_passages(p.title, p.body, p.url, p.language, tags=getattr(p, "tags", None) or ())
            for p in pages
        )
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
        said = [np.zeros(len(self.passages), dtype=np.float32) for _ in self._labels]
        largest: dict[str, float] = {}
        for code, postings in self._languages.items():
            if concepts := self.analyse(query, code, synonyms, asked_in=wanted):
                # languages have disjoint passages: adding them up only fills in each one's share
                factor = 1.0 if code == wanted else OTHER_LANGUAGE
                scores, covered, largest[code] = self._score(postings, concepts)
                total += factor * scores
                coverage += factor * covered
                self._label_matches(postings, code, concepts, said)
        total *= self._specificity(*said)
        found = np.flatnonzero(total > 0)
        best = found[np.lexsort((found, -total[found]))][: max(k, 0)]
        kinds = answer_types.bits(answer_types.asked(query))
        hits = []
        for i in best.tolist():
            share = min(1.0, float(coverage[i]))
            if kinds & ~int(self._answers[i]):
                # the kind of answer asked for counts as a concept as weighty as the question's
                # weightiest, and this passage does not have it
                share /= 1.0 + largest.get(language_code(self.passages[i].language), 0.0)
            hits.append(Hit(self.passages[i], float(total[i]), share))
        return hits

    def _label_matches(
        self, postings: _Postings, code: str, concepts: list[Concept], said: list[np.ndarray]
    ) -> None:
        """Adds, per label (title, heading) and passage, the idf of the label's terms the
        query says (times how directly: a synonym a little less)."""
        asked: dict[str, float] = {}
        for concept in concepts:
            for alternative in concept.alternatives:
                for term in alternative.terms:
                    asked[term] = max(asked.get(term, 0.0), alternative.weight)
        for (arrays, _mass), matched in zip(self._labels, said, strict=True):
            found = arrays.get(code, {})
            for term, weight in asked.items():
                if (ids := found.get(term)) is not None:
                    matched[ids] += weight * postings.idf(postings.df(term))

    def _specificity(self, title_said: np.ndarray, heading_said: np.ndarray) -> np.ndarray:
        """A factor per passage: how much of its title, and of its heading if the query
        touches that at all, the query says (by idf). A page whose title says more than the
        question ("Vorläufiger Personalausweis" for "Was kostet ein Personalausweis?") is
        about something more specific than was asked, and a heading the question only half
        says ("Gebühr und Gültigkeit") less to the point than one it says fully ("Gebühren")."""
        title_mass, heading_mass = self._labels[0][1], self._labels[1][1]
        mass = title_mass + np.where(heading_said > 0, heading_mass, 0.0)
        share = np.minimum((title_said + heading_said) / np.maximum(mass, 1e-6), 1.0)
        return 1.0 - SPECIFICITY_SHARE * (1.0 - share)

    def analyse(
        self,
        query: str,
        language: str,
        synonyms: Synonyms | None = None,
        asked_in: str | None = None,
    ) -> list[Concept]:
        """The query as concepts for ``language``'s passages (see the module docstring). A
        query ``asked_in`` another language loses that language's stop words too ("where can
        we get" is no German), and its words are not corrected as German typos."""
        code = language_code(language)
        asked = code if asked_in is None else language_code(asked_in)
        typos = asked == code
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
            if not size and (framing := question_phrase(sequence, i, asked)):
                i += framing
                continue
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
                content = is_content(span[0], code) and is_content(span[0], asked)
                if (term,) in said or not (expansions or content):
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
        for variant in verb_stems(word, code):
            if variant in postings.rows and variant != term:
                add(Alternative((variant,), VARIANT_WEIGHT, "variant"))
                known = True
        if not known:
            for variant in umlaut_variants(word):
                if (other := stem(variant, code)) in postings.rows and other != term:
                    add(Alternative((other,), 1.0, "variant"))
                    known = True
        if code in COMPOUND_LANGUAGES and term.isalpha():
            parts = split_compound(term, postings.rows, MIN_PART, postings.df)
            if len(parts) > 1:
                add(Alternative(tuple(parts), COMPOUND_WEIGHT, "compound"))
            elif not known and (half := _half_known(term, postings)):
                add(Alternative(half, COMPOUND_WEIGHT, "compound"))
        if not known and typos:
            corrections: dict[str, float] = {}
            for written, similarity in postings.fuzzy.lookup(fold_umlauts(word.replace("-", ""))):
                correction = postings.surfaces[written]
                corrections[correction] = max(similarity, corrections.get(correction, 0.0))
            for correction, similarity in corrections.items():
                add(Alternative((correction,), TYPO_WEIGHT * similarity, "typo"))
        return concept

    def _score(
        self, postings: _Postings, concepts: list[Concept]
    ) -> tuple[np.ndarray, np.ndarray, float]:
        """BM25 per passage (per concept its best alternative), and how much of the question
        the passage covers: per concept the best alternative's weight times its score over a
        full match (``FULL_MATCH_TF``), at most the weight; concepts count by importance."""
        n = len(self.passages)
        total, covered = np.zeros(n, dtype=np.float32), np.zeros(n, dtype=np.float32)
        importances, weightiest = 0.0, 0.0
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
                # a passage has a compound or a phrase only as far as it has its every part
                share = np.ones(n, dtype=np.float32) if all(found) else np.zeros(n, np.float32)
                for ids, tfs, idf in (p for p in found if p):
                    # ids are unique within a term, so the fancy-index += is exact
                    part = np.zeros(n, dtype=np.float32)
                    part[ids] = idf * tfs * (K1 + 1.0) / (tfs + K1)
                    raw += part
                    np.minimum(share, part / (idf * FULL_MATCH), out=share)
                raw /= len(alternative.terms)
                np.maximum(best, alternative.weight * raw, out=best)
                np.maximum(cover, alternative.weight * np.minimum(share, 1.0), out=cover)
            # a concept weighs as the word typed if the index knows it, else as what it may
            # mean, else as the rarest term (and stays uncovered)
            importance = known.get("exact") or max(known.values(), default=postings.unknown_idf)
            total += best
            covered += importance * cover
            importances += importance
            weightiest = max(weightiest, importance)
        return total, covered / importances, weightiest / importances


def _half_known(term: str, postings: _Postings) -> tuple[str, str] | None:
    """An unknown compound as a known part and the rest ("telefonnumm" -> "telefon" +
    "numm", "fischereischein" -> "fischerei" + "schein"): found by the part, never covered
    by it (``Index._score`` covers a compound only with all its parts). The longest part wins."""
    best, known = None, 0
    for cut in range(MIN_PART, len(term) - MIN_PART + 1):
        head, tail = term[:cut], term[cut:]
        for part in (head, tail):
            if len(part) > known and part in postings.rows:
                best, known = (head, tail), len(part)
    return best


def _add_compound_parts(bags: dict[int, dict[str, float]]) -> None:
    """Index German compounds also by their parts, where the parts occur in the language's
    vocabulary ("mullabfuhr" -> "mull" + "abfuhr"), at ``PART_WEIGHT`` of the compound's tf."""
    splits = compound_splits(Counter(term for bag in bags.values() for term in bag))
    for bag in bags.values():
        for term, tf in [(t, tf) for t, tf in bag.items() if t in splits]:
            for part in splits[term]:
                bag[part] = bag.get(part, 0.0) + PART_WEIGHT * tf


def _add_verb_stems(bags: dict[int, dict[str, float]], written: dict[str, str], code: str) -> None:
    """Index a participle also by its verb, where the pages use the verb too ("abgeholt" ->
    "abhol", as in "Abholung"), at ``PART_WEIGHT``: a question in other words finds it."""
    vocabulary = {term for bag in bags.values() for term in bag}
    verbs: dict[str, set[str]] = {}
    for word, term in written.items():
        for verb in verb_stems(word, code):
            if verb != term and verb in vocabulary:
                verbs.setdefault(term, set()).add(verb)
    for bag in bags.values():
        for term, tf in [(t, tf) for t, tf in bag.items() if t in verbs]:
            for verb in verbs[term]:
                bag[verb] = bag.get(verb, 0.0) + PART_WEIGHT * tf


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
    A compound or a phrase covers only as far as its every part is in the passage
    ("Gewerbesteuer" is not covered by a page on "Grundsteuer"). If the question asks for a
    time ("wann", "wie lange") or an amount ("was kostet", "wie viel") and the passage has
    none (``answer_types``), that counts as one more uncovered concept, as weighty as the
    question's weightiest: "Wann kommt die blaue Tonne?" answered with what goes into it.
    margin = 1 - (best other page's score / top score), 1 if no other page is among the hits.
    confidence = coverage * (1 - MARGIN_SHARE + MARGIN_SHARE * margin): a second page as good
    as the first halves it. Pass the hits of one search with k >= 3 so it can show.
    """
    if not hits or hits[0].score <= 0:
        return 0.0
    top = hits[0]
    runner = next((h for h in hits[1:] if h.passage.doc_id != top.passage.doc_id), None)
    margin = 1.0 if runner is None else max(0.0, 1.0 - runner.score / top.score)
    return round(top.coverage * (1.0 - MARGIN_SHARE + MARGIN_SHARE * margin), 4)
