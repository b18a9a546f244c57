"""Ranked passages: splitting pages, BM25F over title, keywords, heading and text with the query
widened by stems, compounds, participles, synonyms and typo corrections, other languages after
the question's, pages about something more specific than asked after the general one, and
confidence."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stadtbote.assistant import index as index_module
from stadtbote.assistant.index import Hit, Index, Passage, confidence, split_passages
from stadtbote.assistant.passages import PASSAGE_WORDS
from stadtbote.assistant.text import Synonyms

# name -> (title, Markdown body, language); short pages in the style of a town's website
PAGES: dict[str, tuple[str, str, str]] = {
    "abfall": ("Müllabfuhr und Abfallkalender", """
Die Müllabfuhr kommt in allen Ortsteilen alle zwei Wochen. Den Abfallkalender gibt es im
Bürgerbüro und in der App.

## Restmülltonne
Die graue Restmülltonne wird dienstags geleert. Stellen Sie die Tonne bis 6 Uhr an den
Straßenrand.

## Papiertonne
Die Papiertonne für Kartons und Zeitungen wird einmal im Monat geleert.
""", "de"),
    "sperrmuell": ("Sperrmüll anmelden", """
Sperrmüll sind Möbel und große Gegenstände aus dem Haushalt.

## Anmeldung
Melden Sie Sperrmüll online oder telefonisch an. Zwei Abholungen im Jahr sind kostenlos.
""", "de"),
    "gruenschnitt": ("Grünschnitt und Gartenabfälle", """
## Abholung im Herbst
Im Herbst übernimmt der Bauhof die Abfuhr des Mülls aus Kleingärten: Laub, Äste und
Rasenschnitt.
""", "de"),
    "ausweis": ("Personalausweis beantragen", """
Den Personalausweis beantragen Sie persönlich im Bürgerbüro.

## Unterlagen
Bringen Sie ein biometrisches Passfoto und den alten Ausweis mit.

## Verlust
Haben Sie Ihren Personalausweis verloren, melden Sie den Verlust sofort im Bürgerbüro oder
bei der Polizei.

## Gebühren
Ab 24 Jahren 37,00 Euro, darunter 22,80 Euro.
""", "de"),
    "reisepass": ("Reisepass", """
Für Reisen außerhalb der EU brauchen Sie einen Reisepass; innerhalb der EU genügt oft der
Personalausweis.

## Gebühren
Der Reisepass kostet 70 Euro, für Personen unter 24 Jahren 37,50 Euro.
""", "de"),
    "hundesteuer": ("Hundesteuer", """
Wer in der Stadt einen Hund hält, zahlt Hundesteuer.

## Höhe
Für den ersten Hund beträgt die Steuer 96 Euro im Jahr.
""", "de"),
    "wohnsitz": ("Wohnsitz anmelden", """
Nach einem Umzug melden Sie Ihren neuen Wohnsitz innerhalb von zwei Wochen an.

## Wohnungsgeberbestätigung
Für die Wohnsitzanmeldung brauchen Sie die Bestätigung des Vermieters.
""", "de"),
    "bibliothek": ("Stadtbibliothek", """
## Öffnungszeiten
Die Stadtbibliothek ist dienstags bis samstags geöffnet. Die Ausleihe von Büchern ist
kostenlos.
""", "de"),
    "id-en": ("Identity card and passport", """
## Lost passport
If you lost your passport or identity card (Personalausweis), report the loss at the
citizens' office.

## Passport photos
Passports need a biometric photo.
""", "en"),
    "waste-en": ("Waste collection", """
## Bins
Bins are collected every two weeks. Bulky waste is collected on request.
""", "en"),
}  # fmt: skip

SYNONYMS = Synonyms({"perso": ["personalausweis"], "blaue tonne": ["papiertonne", "altpapier"]})


def build(*leave_out: str) -> Index:
    return Index(
        passage
        for name, (title, body, language) in PAGES.items()
        if name not in leave_out
        for passage in split_passages(title, body, f"/kb/{name}", language)
    )


@pytest.fixture(scope="module")
def index() -> Index:
    return build()


def top(hits: list[Hit]) -> str:
    assert hits, "no hits"
    return hits[0].passage.url.removeprefix("/kb/")


def pages(hits: list[Hit]) -> list[str]:
    return [h.passage.url.removeprefix("/kb/") for h in hits]


# -- passages -----------------------------------------------------------------------------------


def test_a_page_splits_into_one_passage_per_second_level_heading():
    body = "# Hundesteuer\n\nWer einen Hund hält, zahlt.\n\n## Höhe\n96 Euro.\n\n## Befreiung ##\nFür Blindenhunde.\n"
    passages = split_passages("Hundesteuer", body, "/kb/hund", "de")
    assert [(p.heading, p.text) for p in passages] == [
        ("", "Wer einen Hund hält, zahlt."),
        ("Höhe", "96 Euro."),
        ("Befreiung", "Für Blindenhunde."),
    ]
    assert {(p.doc_id, p.url, p.title, p.language) for p in passages} == {
        ("/kb/hund", "/kb/hund", "Hundesteuer", "de")
    }


def test_deeper_headings_and_code_stay_in_their_section():
    body = "## Termine\n### Im Sommer\nMontags.\n```\n## kein Abschnitt\n```\n"
    [passage] = split_passages("Abfall", body, "/kb/a", "de", doc_id="7")
    assert passage.heading == "Termine"
    assert "### Im Sommer" in passage.text
    assert "## kein Abschnitt" in passage.text
    assert passage.doc_id == "7"


def test_a_long_section_is_cut_at_paragraph_boundaries():
    paragraphs = [" ".join(f"wort{p}x{i}" for i in range(50)) for p in range(5)]
    body = "## Lang\n" + "\n\n".join(paragraphs)
    passages = split_passages("Seite", body, "/kb/lang", "de")
    assert [p.text.split("\n\n") for p in passages] == [
        paragraphs[0:2],
        paragraphs[2:4],
        [paragraphs[4]],
    ]
    assert all(p.heading == "Lang" for p in passages)


def test_a_very_long_paragraph_is_cut_at_sentence_ends():
    paragraph = " ".join(f"Satz {i} hat genau sechs Wörter." for i in range(60))  # 360 words
    passages = split_passages("Seite", paragraph, "/kb/lang", "de")
    assert len(passages) == 3
    assert all(len(p.text.split()) <= PASSAGE_WORDS for p in passages)
    assert passages[0].text.startswith("Satz 0 hat")
    assert passages[0].text.endswith("Wörter.")
    assert "\n" not in passages[0].text  # the sentences stay one paragraph


def test_empty_sections_make_no_passages():
    assert split_passages("Leer", "# Leer\n\n## Nichts\n\n", "/kb/leer", "de") == []


# -- matching -----------------------------------------------------------------------------------


def test_inflected_forms_find_the_page(index):
    assert top(index.search("Ausweise")) == "ausweis"
    assert top(index.search("Hunden")) == "hundesteuer"


def test_a_written_out_umlaut_finds_the_page(index):
    assert top(index.search("Sperrmuell")) == "sperrmuell"


def test_words_of_a_compound_find_the_compound():
    # no page says "Abfuhr" or "Müll" alone: the two words are joined to "müllabfuhr"
    hits = build("gruenschnitt", "sperrmuell").search("Abfuhr von Müll")
    assert top(hits) == "abfall"


def test_words_apart_find_a_compound_with_a_linking_element(index):
    assert top(index.search("Steuer für Hunde")) == "hundesteuer"


def test_a_modifier_in_ung_is_joined_by_its_verb_stem():
    index = Index(split_passages("Meldeamt", "Das Meldeamt ist im Rathaus.", "/kb/m", "de"))
    hits = index.search("Amt für Meldungen")
    assert top(hits) == "m"
    assert hits[0].coverage > 0.7


def test_a_compound_finds_its_words_apart():
    hits = build("abfall").search("Müllabfuhr")
    assert top(hits) == "gruenschnitt"
    assert hits[0].passage.heading == "Abholung im Herbst"


def test_both_the_compound_and_its_words_apart_are_found(index):
    assert {"abfall", "gruenschnitt"} <= set(pages(index.search("Müllabfuhr")))


def test_a_compound_in_a_page_is_indexed_by_its_parts(index):
    # "Wohnsitzanmeldung" (page) = "Wohnsitz" + "Anmeldung" (both known elsewhere)
    hits = index.search("Anmeldung Wohnsitz", k=10)
    assert top(hits) == "wohnsitz"
    assert "Wohnungsgeberbestätigung" in [h.passage.heading for h in hits if top([h]) == "wohnsitz"]


def test_a_synonym_finds_the_page_the_town_means(index):
    hits = index.search("Perso verloren", synonyms=SYNONYMS)
    assert top(hits) == "ausweis"
    assert hits[0].passage.heading == "Verlust"


def test_a_synonym_of_several_words_finds_its_expansion(index):
    hits = index.search("Wann wird die blaue Tonne geleert?", synonyms=SYNONYMS)
    assert top(hits) == "abfall"
    assert hits[0].passage.heading == "Papiertonne"


def test_a_question_about_costs_finds_the_fees_out_of_the_box(index):
    hits = index.search("Was kostet ein Personalausweis?")
    assert (top(hits), hits[0].passage.heading) == ("ausweis", "Gebühren")
    assert confidence(hits) > 0.6
    without = index.search("Was kostet ein Personalausweis?", synonyms=Synonyms(defaults=False))
    assert (top(without), without[0].passage.heading) != ("ausweis", "Gebühren")


@pytest.mark.parametrize(
    ("query", "page"),
    [("Sperrmül", "sperrmuell"), ("Persnalausweis", "ausweis"), ("Hundesteur", "hundesteuer"),
     ("Stadtbiblothek", "bibliothek")],
)  # fmt: skip
def test_a_typo_still_finds_the_page(index, query, page):
    assert top(index.search(query)) == page


def test_english_questions_are_stemmed_in_english(index):
    hits = index.search("lost passports", language="en")
    assert top(hits) == "id-en"
    assert hits[0].passage.heading == "Lost passport"
    assert top(index.search("When are the bins collected?", language="en-GB")) == "waste-en"


def test_pages_in_the_question_language_come_before_other_languages(index):
    hits = index.search("Personalausweis verloren", language="de", k=10)
    assert top(hits) == "ausweis"
    assert "id-en" in pages(hits)
    assert pages(hits).index("id-en") > pages(hits).index("reisepass")


def test_a_title_match_beats_a_mention_in_the_body(index):
    found = pages(index.search("Reisepass", k=10))
    assert found[0] == "reisepass"
    found = pages(index.search("Personalausweis", k=10))
    assert found[:2] == ["ausweis", "ausweis"]
    assert found.index("reisepass") > found.index("ausweis")


def test_hits_are_sorted_and_limited_to_k(index):
    hits = index.search("Bürgerbüro Personalausweis Müllabfuhr", k=3)
    assert len(hits) == 3
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_stop_words_alone_find_nothing(index):
    assert index.search("Wie kann ich das?") == []
    assert index.search("") == []


def test_an_empty_index_finds_nothing():
    assert Index([]).search("Müllabfuhr") == []


def test_an_index_can_be_built_from_pages():
    class Page:
        url, title, body, language = "/kb/h", "Hundesteuer", "## Höhe\n96 Euro", "de"

    index = Index.from_pages([Page()])
    assert len(index) == 1
    assert index.languages == ["de"]
    assert top(index.search("Hundesteuer Höhe")) == "h"


def test_a_page_is_found_by_its_keywords():
    class Page:
        url, title, language = "/kb/hund", "Hundesteuer", "de"
        body, tags = "## Höhe\n96 Euro im Jahr.", ["hundemarke", "steuern"]

    assert top(Index.from_pages([Page()]).search("Hundemarke verloren")) == "hund"


def pair(first: tuple[str, str], second: tuple[str, str], *more: tuple[str, str]) -> Index:
    pages = [first, second, *more]
    return Index(
        passage
        for number, (title, body) in enumerate(pages)
        for passage in split_passages(title, body, f"/kb/{number}", "de")
    )


FILLER = [("Wohnsitz anmelden", "## Unterlagen\nPersonalausweis und Wohnungsgeberbestätigung."),
          ("Hundesteuer", "## Höhe\n96 Euro im Jahr für den ersten Hund."),
          ("Reisepass beantragen", "## Gültigkeit\nDer Reisepass gilt zehn Jahre."),
          ("Wohngeld beantragen", "## Anspruch\nWohngeld bekommen Mieter mit wenig Einkommen."),
          ("Führungszeugnis beantragen", "## Arten\nEs gibt das einfache und das erweiterte."),
          ]  # fmt: skip


def test_a_word_in_a_short_heading_counts_more_than_in_a_long_one():
    # each field is normalised by its own length: "Gebühren" says only that, the other
    # heading says three things
    index = pair(("Bewohnerparkausweis", "## Gültigkeit, Fristen und Gebühren\n30 Euro im Jahr."),
                 ("Parkausweis", "## Gebühren\n30 Euro im Jahr."), *FILLER)  # fmt: skip
    assert top(index.search("Gebühren Parkausweis")) == "1"


def test_a_page_about_something_more_specific_than_asked_comes_after_the_general_one(
    monkeypatch,
):
    # the specific page says more about fees; its title says "vorläufig", which the question
    # does not, while the general one's only other word ("beantragen") is in many titles
    general = ("Personalausweis beantragen", "## Gebühren\nDer Personalausweis kostet 37 Euro.")
    specific = ("Vorläufiger Personalausweis", "## Gebühren\nDer vorläufige Personalausweis "
                "kostet 10 Euro zusätzlich zur Gebühr.")  # fmt: skip
    passport = ("Vorläufiger Reisepass", "## Ablauf\nDer vorläufige Pass wird sofort ausgestellt.")
    index = pair(specific, general, passport, *FILLER)

    def lead(query: str) -> float:
        scores = {h.passage.url: h.score for h in reversed(index.search(query))}
        return scores["/kb/1"] / scores["/kb/0"]

    assert top(index.search("Was kostet ein Personalausweis?")) == "1"
    assert top(index.search("Was kostet ein vorläufiger Personalausweis?")) == "0"
    with_specificity = lead("Was kostet ein Personalausweis?")
    monkeypatch.setattr(index_module, "SPECIFICITY_SHARE", 0.0)
    assert top(index.search("Was kostet ein Personalausweis?")) == "0"
    assert lead("Was kostet ein Personalausweis?") < with_specificity


def test_a_question_in_another_language_loses_its_stop_words_there(index):
    concepts = index.analyse("where can we get married", "de", asked_in="en")
    assert [c.text for c in concepts] == ["married"]


def test_asking_the_time_finds_nothing(index):
    assert index.search("Wie spät ist es?") == []
    assert index.search("What time is it?", language="en") == []
    assert confidence(index.search("Wie spät ist es?")) == 0.0


def test_a_participle_finds_the_verbs_noun_and_the_verb_finds_a_participle():
    index = pair(("Sperrmüll", "## Abholung\nDie Abholung ist zweimal im Jahr kostenlos."),
                 ("Gelbe Tonne", "## Leerung\nDie Gelbe Tonne wird alle zwei Wochen geleert."),
                 *FILLER)  # fmt: skip
    assert index.search("Wann wird der Sperrmüll abgeholt?")[0].passage.heading == "Abholung"
    assert top(index.search("Wann leeren die die Tonne?")) == "1"


def test_an_unknown_compound_is_found_by_the_part_the_pages_know_but_not_trusted():
    index = pair(("Straßenschäden melden", "## Gehweg\nSchäden am Gehweg melden Sie online."),
                 *FILLER)  # fmt: skip
    hits = index.search("Gehwegplatte")
    assert top(hits) == "0"
    assert confidence(hits) == 0.0


def test_a_compound_counts_as_covered_only_with_all_its_parts():
    # "Gewerbesteuer" shares "Steuer" with the page, but is not what it is about
    index = pair(("Grundsteuer", "## Hebesätze\nDer Hebesatz der Grundsteuer B beträgt 480 %."),
                 ("Gewerbe anmelden", "## Unterlagen\nFür das Gewerbe brauchen Sie einen Ausweis."),
                 *FILLER)  # fmt: skip
    known = index.search("Grundsteuer Hebesatz")
    unknown = index.search("Gewerbesteuer Hebesatz")
    assert top(unknown) == "0"
    assert confidence(known) > 0.8
    assert confidence(unknown) < 0.5


# -- confidence ---------------------------------------------------------------------------------


def test_confidence_is_high_for_a_clear_match(index):
    assert confidence(index.search("Hundesteuer")) > 0.8
    assert confidence(index.search("Ich habe meinen Perso verloren", synonyms=SYNONYMS)) > 0.8


def test_confidence_is_low_for_an_unrelated_question(index):
    assert confidence(index.search("Wie wird das Wetter morgen?")) < 0.1
    assert confidence(index.search("Wer gewinnt die Bundesliga?")) < 0.1


def test_confidence_stays_below_one_half_when_the_topic_is_unknown(index):
    # the pages know opening hours, but not of a swimming pool
    hits = index.search("Wann öffnet das Schwimmbad?")
    assert hits[0].passage.heading == "Öffnungszeiten"
    assert confidence(hits) < 0.5


def test_confidence_is_middling_when_only_part_of_the_question_is_known(index):
    assert 0.1 < confidence(index.search("Kann ich meinen Hund im Schwimmbad anmelden?")) < 0.5


def test_a_typo_or_a_synonym_costs_a_little_confidence(index):
    exact = confidence(index.search("Personalausweis verloren"))
    assert confidence(index.search("Persnalausweis verloren")) < exact
    assert confidence(index.search("Perso verloren", synonyms=SYNONYMS)) <= exact


def test_confidence_drops_when_the_passage_lacks_the_kind_of_answer_asked_for():
    index = pair(("Papiertonne", "Die Papiertonne ist für Papier, Pappe und Kartons."),
                 ("Gelbe Tonne", "## Leerung\nDie Gelbe Tonne wird alle zwei Wochen geleert."),
                 *FILLER)  # fmt: skip
    assert confidence(index.search("Papiertonne")) > 0.8
    assert confidence(index.search("Wann kommt die Papiertonne?")) < 0.5
    assert confidence(index.search("Wann kommt die Gelbe Tonne?")) > 0.8


def test_confidence_without_hits_is_zero():
    assert confidence([]) == 0.0


def test_a_second_page_as_good_as_the_first_halves_confidence():
    passage = Passage("a", "/a", "A", "", "", "de")
    other = Passage("b", "/b", "B", "", "", "de")
    alone = confidence([Hit(passage, 5.0, 1.0)])
    assert alone == 1.0
    assert confidence([Hit(passage, 5.0, 1.0), Hit(passage, 4.9, 1.0)]) == 1.0
    assert confidence([Hit(passage, 5.0, 1.0), Hit(other, 5.0, 1.0)]) == pytest.approx(0.5)


QUERY_WORDS = ["Müll", "Abfuhr", "Perso", "Hund", "wetter", "Bürgerbüro", "passport", "Tonne",
               "blaue", "verloren", "der", "wie", "24", "Sperrmül", "E-Mail", "ÄÖÜ"]  # fmt: skip


@settings(derandomize=True, deadline=None, max_examples=150)
@given(
    st.lists(st.sampled_from(QUERY_WORDS) | st.text(max_size=12), max_size=6),
    st.sampled_from(["de", "en", "fr"]),
)
def test_any_question_gives_sorted_hits_and_a_confidence_between_0_and_1(index, parts, language):
    hits = index.search(" ".join(parts), language=language, synonyms=SYNONYMS)
    assert len(hits) <= 5
    assert all(h.score > 0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert 0.0 <= confidence(hits) <= 1.0
