"""Text analysis for the assistant: normalising, tokens, stems, compounds, synonyms, typos,
and the kinds of answer a question asks for."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stadtbote.assistant.answer_types import AMOUNT, TIME, answered, asked
from stadtbote.assistant.text import (
    LINKING_ELEMENTS,
    FuzzyVocabulary,
    Synonyms,
    is_content,
    language_code,
    normalise,
    question_phrase,
    split_compound,
    stem,
    terms,
    tokens,
    umlaut_variants,
    verb_stems,
    words,
)

SETTINGS = settings(derandomize=True, deadline=None, max_examples=300)


def test_normalise_casefolds_and_writes_sharp_s_as_ss():
    assert normalise("Straße") == "strasse"
    assert normalise("STRASSE") == "strasse"
    assert normalise("GROẞ") == "gross"


def test_normalise_applies_nfkc_to_ligatures_and_wide_digits():
    assert normalise("Ｐｅｒｓｏ ﬁnden ２４") == "perso finden 24"


def test_normalise_keeps_umlauts():
    assert normalise("Müllabfuhr") == "müllabfuhr"


def test_tokens_drop_punctuation_and_keep_numbers_and_postal_codes():
    assert tokens("Öffnungszeiten: Mo.–Fr., 24/7 in 59557 Musterstadt!") == [
        "öffnungszeiten",
        "mo",
        "fr",
        "24",
        "7",
        "in",
        "59557",
        "musterstadt",
    ]


def test_tokens_give_a_hyphenated_compound_as_parts_and_joined():
    assert tokens("E-Mail-Adresse") == ["e", "mail", "adresse", "emailadresse"]


def test_words_keep_a_hyphenated_compound_whole():
    assert words("Ihre E-Mail-Adresse.") == ["ihre", "e-mail-adresse"]


def test_question_words_and_negations_are_no_content_but_numbers_are():
    assert not is_content("wie", "de")
    assert not is_content("nicht", "de")
    assert not is_content("fuer", "de")  # umlaut written out is a stop word too
    assert not is_content("where", "en")
    assert is_content("7", "de")
    assert is_content("ausweis", "de")


def test_terms_are_the_stems_of_the_content_words():
    assert terms("Wie beantrage ich einen Ausweis für mein Kind?", "de") == [
        "beantrag",
        "ausweis",
        "kind",
    ]


@pytest.mark.parametrize(
    ("word", "language"),
    [("trotzdem", "de"), ("eigentlich", "de"), ("bekomme", "de"), ("kommt", "de"),
     ("passiert", "de"), ("lassen", "de"), ("neuen", "de"), ("alte", "de"), ("happens", "en")],
)  # fmt: skip
def test_fillers_and_the_verbs_any_question_uses_are_no_content(word, language):
    assert not is_content(word, language)


def test_how_a_question_asks_is_left_out_but_the_same_words_elsewhere_are_not():
    assert question_phrase(["wie", "spät", "ist", "es"], 0, "de") == 2
    assert question_phrase(["what", "time", "is", "it"], 0, "en") == 2
    assert question_phrase(["ist", "es", "zu", "spät"], 2, "de") == 0
    assert question_phrase(["processing", "time"], 0, "en") == 0
    assert is_content("spät", "de")
    assert is_content("time", "en")


def test_questions_about_durations_and_amounts_look_for_what_pages_call_them():
    assert Synonyms().match(["wie", "lange", "dauert", "es"], 0, "de") == (
        2,
        ("bearbeitungszeit", "dauer"),
    )
    size, expansions = Synonyms().match(["wie", "viel", "hundesteuer"], 0, "de")
    assert size == 2
    assert {"gebühr", "steuersatz"} <= set(expansions)
    assert "beitragsfrei" in Synonyms().match(["kostenlos"], 0, "de")[1]


def test_inflected_german_forms_share_a_stem():
    assert stem("ausweise", "de") == stem("ausweis", "de")
    assert stem("personalausweise", "de") == stem("personalausweis", "de")
    assert stem("mülls", "de") == stem("müll", "de")


@pytest.mark.parametrize(
    ("plural", "singular"),
    [("sofas", "sofa"), ("autos", "auto"), ("handys", "handy"), ("euros", "euro")],
)
def test_plurals_in_s_after_a_vowel_share_the_stem_of_the_singular(plural, singular):
    assert stem(plural, "de") == stem(singular, "de")


def test_words_ending_in_s_after_a_consonant_or_short_keep_it():
    assert stem("glas", "de") == "glas"
    assert stem("ausweis", "de") == "ausweis"


@pytest.mark.parametrize(
    ("participle", "verb"),
    [("abgeholt", "abholen"), ("geleert", "leeren"), ("angemeldet", "anmelden"),
     ("abgegeben", "abgeben"), ("beantragt", "beantragen"), ("verlängert", "verlängern")],
)  # fmt: skip
def test_a_participle_leads_to_its_verb(participle, verb):
    assert stem(verb, "de") in verb_stems(participle, "de")


def test_words_that_only_look_like_participles_lead_to_guesses_or_nothing():
    assert verb_stems("gelbe", "de") == []
    assert verb_stems("gebühr", "de") == []
    assert verb_stems("geburt", "de") == ["bur"]  # no such word in any vocabulary: unused
    assert verb_stems("collected", "en") == []


def test_umlauts_written_out_share_the_stem_of_the_umlaut():
    assert stem("muell", "de") == stem("müll", "de")
    assert stem("buergerbuero", "de") == stem("bürgerbüro", "de")


def test_english_words_are_stemmed_in_english():
    assert stem("passports", "en") == stem("passport", "en")
    assert stem("collected", "english") == stem("collection", "en")


def test_language_codes_accept_regions_and_names():
    assert language_code("de-DE") == "de"
    assert language_code("de_AT") == "de"
    assert language_code("German") == "de"
    assert language_code("xx") == "xx"


def test_a_language_without_stemmer_keeps_words_as_they_are():
    assert stem("kitaplätze", "xx") == "kitaplätze"


def test_umlaut_variants_offer_the_other_spelling():
    assert umlaut_variants("muell") == ["müll"]
    assert umlaut_variants("müll") == ["muell"]
    assert umlaut_variants("abfuhr") == []


@pytest.mark.parametrize(
    ("word", "vocabulary", "parts"),
    [
        ("müllabfuhr", {"müll", "abfuhr"}, ["müll", "abfuhr"]),
        ("hundesteuer", {"hund", "steuer"}, ["hund", "steuer"]),
        ("personalausweisverlust", {"personal", "ausweis", "personalausweis", "verlust"},
         ["personalausweis", "verlust"]),
        ("wohnsitzanmeldung", {"wohnsitz", "anmeldung"}, ["wohnsitz", "anmeldung"]),
        ("arbeitsamt", {"arbeit", "amt"}, ["arbeit", "amt"]),
        ("kindergartenplatz", {"kind", "garten", "platz"}, ["kind", "garten", "platz"]),
    ],
)  # fmt: skip
def test_compounds_split_into_known_parts_with_linking_elements(word, vocabulary, parts):
    assert split_compound(word, vocabulary) == parts


def test_a_word_without_known_parts_stays_whole():
    assert split_compound("müllabfuhr", {"müll"}) == ["müllabfuhr"]
    assert split_compound("abfuhr", {"ab", "fuhr", "abfuhr"}) == ["abfuhr"]


def test_compound_splitting_prefers_the_fewest_parts():
    vocabulary = {"personal", "ausweis", "personalausweis", "verlust"}
    assert split_compound("personalausweisverlust", vocabulary) == ["personalausweis", "verlust"]


def test_compound_splitting_prefers_the_more_frequent_parts():
    frequency = {"reis": 30, "pass": 20, "epass": 1}
    assert split_compound("reisepass", frequency, frequency=frequency.__getitem__) == [
        "reis",
        "pass",
    ]


def test_three_letter_modifiers_do_not_split_and_suffixes_are_no_parts():
    assert split_compound("gebuhr", {"geb", "uhr"}) == ["gebuhr"]
    assert split_compound("jugendamt", {"jugend", "amt"}) == ["jugend", "amt"]
    assert split_compound("zahlbar", {"zahl", "bar"}) == ["zahlbar"]


def test_synonyms_match_on_stems_and_prefer_the_longest_term():
    synonyms = Synonyms({"perso": ["Personalausweis"], "tonne": ["behälter"],
                         "blaue tonne": ["papiertonne", "altpapier"]})  # fmt: skip
    assert synonyms.match(["mein", "perso"], 1, "de") == (1, ("personalausweis",))
    assert synonyms.match(["die", "blauen", "tonnen"], 1, "de") == (2, ("papiertonne", "altpapier"))
    assert synonyms.match(["die", "tonnen"], 1, "de") == (1, ("behälter",))
    assert synonyms.match(["die", "tonne"], 0, "de") == (0, ())
    assert len(Synonyms({"tonne": ["behälter"]}, defaults=False)) == 1


def test_questions_about_costs_look_for_fees_out_of_the_box():
    assert Synonyms().match(["was", "kostet"], 1, "de") == (
        1,
        ("gebühr", "preis", "steuersatz", "beitrag"),
    )
    assert Synonyms(defaults=False).match(["kostet"], 0, "de") == (0, ())


def test_no_synonyms_match_nothing():
    assert Synonyms().match(["perso"], 0, "de") == (0, ())
    assert Synonyms({"   ": ["x"], "perso": []}).match(["perso"], 0, "de") == (0, ())


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("sperrmul", "sperrmull"),
        ("persnalausweis", "personalausweis"),
        ("hundesteur", "hundesteuer"),
        ("hundestuer", "hundesteuer"),  # swapped letters are one edit
        ("personalsammulng", "personalsammlung"),
    ],
)
def test_typos_find_the_close_known_word(typed, meant):
    vocabulary = FuzzyVocabulary(
        ["sperrmull", "personalausweis", "hundesteuer", "personalsammlung", "hund", "wetter"]
    )
    found = vocabulary.lookup(typed)
    assert found[0][0] == meant
    assert 0.8 < found[0][1] < 1


def test_only_the_nearest_corrections_are_offered():
    vocabulary = FuzzyVocabulary(["wahlsammlung", "wohnsammlung", "bausammlung"])
    assert [w for w, _ in vocabulary.lookup("wahsammlung")] == ["wahlsammlung"]


def test_short_words_are_not_corrected_and_far_words_are_not_found():
    vocabulary = FuzzyVocabulary(["welt", "wetter", "personalausweis"])
    assert vocabulary.lookup("wett") == []
    assert vocabulary.lookup("ausweis") == []
    assert vocabulary.lookup("personalauswxxx") == []


@SETTINGS
@given(st.text())
def test_tokens_are_never_empty(text):
    assert all(tokens(text))
    assert all(words(text))


@SETTINGS
@given(st.text())
def test_normalise_is_idempotent(text):
    once = normalise(text)
    assert normalise(once) == once


@SETTINGS
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüß- ", max_size=40))
def test_terms_of_german_text_are_stems_without_stop_words(text):
    for term in terms(text, "de"):
        assert term
        assert is_content(term, "de") or term in {stem(t, "de") for t in tokens(text)}


MODIFIERS = ["müll", "abfuhr", "hund", "steuer", "wohnsitz", "anmeldung", "kinder", "garten"]
PARTS = [*MODIFIERS, "amt"]  # three letters: only as the last part


def _reassembles(word: str, parts: list[str]) -> bool:
    """Whether ``parts`` with linking elements between them spell ``word``."""
    if not parts:
        return word == ""
    if not word.startswith(parts[0]):
        return False
    rest = word[len(parts[0]) :]
    if len(parts) == 1:
        return rest == ""
    return any(rest.startswith(link) and _reassembles(rest[len(link) :], parts[1:])
               for link in LINKING_ELEMENTS)  # fmt: skip


@SETTINGS
@given(
    st.lists(st.sampled_from(MODIFIERS), min_size=1, max_size=2),
    st.sampled_from(PARTS),
    st.lists(st.sampled_from(LINKING_ELEMENTS), min_size=2, max_size=2),
)
def test_a_compound_of_known_words_splits_into_known_parts_that_spell_it(modifiers, head, links):
    chosen = [*modifiers, head]
    word = chosen[0] + "".join(link + part for link, part in zip(links, chosen[1:], strict=False))
    parts = split_compound(word, set(PARTS))
    assert len(parts) >= 2
    assert all(p in PARTS for p in parts)
    assert _reassembles(word, parts)


# -- what a question asks for ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "kinds"),
    [("Wann kommt die blaue Tonne?", {TIME}), ("wie lange dauert es", {TIME}),
     ("Bis wieviel Uhr muss die Tonne raus?", {TIME}), ("when is the bin collected", {TIME}),
     ("Was kostet ein Personalausweis?", {AMOUNT}), ("how much is a passport", {AMOUNT}),
     ("Personalausweis verloren", set())],
)  # fmt: skip
def test_a_question_asks_for_a_time_or_an_amount_or_neither(question, kinds):
    assert asked(question) == kinds


@pytest.mark.parametrize(
    ("text", "kinds"),
    [("Die Papiertonne wird alle vier Wochen geleert.", {TIME}),
     ("Montag 7:30–12:30 Uhr", {TIME}),
     ("in der zweiten Januarwoche", {TIME}),
     ("Zwei Abholungen im Jahr sind kostenlos.", {AMOUNT}),
     ("Der Reisepass kostet 70,00 €.", {AMOUNT}),
     ("Sperrmüll sind Möbel und große Gegenstände aus dem Haushalt.", set())],
)  # fmt: skip
def test_a_passage_answers_with_times_and_amounts(text, kinds):
    assert answered(text) == kinds
