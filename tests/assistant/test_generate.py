"""The generative mode: a model's answer through an OpenAI-compatible endpoint (a real local
server, tests/support/openai_fake.py), shown only when every sentence cites a passage that
was sent and says nothing the cited passages do not; anything else falls back (None)."""

from __future__ import annotations

import logging
import socket
import time
from functools import cache
from pathlib import Path

import pytest

from stadtbote.assistant import generate, grounding
from stadtbote.assistant.generate import MAX_PASSAGES, grounded_answer
from stadtbote.assistant.grounding import Rejected, check
from stadtbote.assistant.index import Hit, Passage, split_passages
from stadtbote.assistant.kb_files import parse
from stadtbote.assistant.text import Synonyms
from stadtbote.config import AssistantLlmConfig
from tests.support.openai_fake import (  # noqa: F401 (openai_fake_fixture: the fixture)
    OpenAIFake,
    Reply,
    openai_fake_fixture,
)

DEMO_KB = Path(generate.__file__).parent / "demo_kb"
DOG_TAX = "https://www.musterstadt.example/buergerservice/hundesteuer"
HOURS = "https://www.musterstadt.example/buergerservice/oeffnungszeiten"
QUESTION = "Was kostet die Hundesteuer für einen Hund?"


@cache
def _page(name: str) -> tuple[Passage, ...]:
    page = parse((DEMO_KB / name).read_text(encoding="utf-8"), name)
    return tuple(split_passages(page.title, page.body, page.url, page.language))


def passage(name: str, heading: str) -> Passage:
    """A passage of the demo town's pages, by its heading."""
    return next(p for p in _page(name) if p.heading == heading)


RATES = passage("de/hundesteuer.md", "Steuersätze pro Jahr")
TAX_CONTACT = passage("de/hundesteuer.md", "Kontakt")
REGISTER = passage("de/hundesteuer.md", "Hund anmelden")
CITIZENS_OFFICE = passage("de/oeffnungszeiten.md", "Bürgerbüro im Rathaus")
HOLIDAYS = passage("de/oeffnungszeiten.md", "Feiertage und Schließtage")
OFFICE_EN = passage("en/opening-hours.md", "Citizens' Office (Bürgerbüro) in the Town Hall")
GOOD = (
    "Für den ersten Hund zahlen Sie 108,00 € pro Jahr [1]. Das Steueramt erreichen Sie "
    "unter 02941 980-300 [2]."
)


def hits(*passages: Passage) -> list[Hit]:
    return [Hit(p, score=10.0 - n) for n, p in enumerate(passages)]


def ask(fake: OpenAIFake, *passages: Passage, question: str = QUESTION, **config: float | str):
    return grounded_answer(question, hits(*passages), "de", config=fake.config(**config))  # type: ignore[arg-type]


# -- answers that are shown ----------------------------------------------------------------------


def test_a_grounded_answer_with_citations_is_returned_with_its_sources(openai_fake):
    openai_fake.answer(GOOD)
    generated = ask(openai_fake, RATES, TAX_CONTACT)
    assert generated is not None
    assert generated.answer == (
        "Für den ersten Hund zahlen Sie 108,00 € pro Jahr [1]. Das Steueramt erreichen Sie "
        "unter 02941 980-300 [1]."
    )  # both passages are one page: one source, one number
    assert generated.sources == [{"title": RATES.title, "url": DOG_TAX}]
    assert generated.model == "fake-model"


def test_sources_are_numbered_in_the_order_the_answer_cites_them(openai_fake):
    openai_fake.answer(
        "Das Bürgerbüro öffnet montags um 7:30 Uhr [2]. Der erste Hund kostet 108,00 € [1]."
    )
    generated = ask(openai_fake, RATES, CITIZENS_OFFICE)
    assert generated is not None
    assert generated.answer == (
        "Das Bürgerbüro öffnet montags um 7:30 Uhr [1]. Der erste Hund kostet 108,00 € [2]."
    )
    assert [s["url"] for s in generated.sources] == [HOURS, DOG_TAX]


def test_a_citation_after_the_full_stop_and_list_items_are_read_as_sentences():
    checked = check(
        "Die Steuer für den ersten Hund beträgt 108,00 €. [1]\n"
        "- zweiter Hund: 138,00 € [1]\n- dritter Hund: 168,00 € [1]",
        [RATES],
        "de",
    )
    assert checked.answer == (
        "Die Steuer für den ersten Hund beträgt 108,00 € [1]. zweiter Hund: 138,00 € [1]. "
        "dritter Hund: 168,00 € [1]."
    )


def test_abbreviations_and_ordinals_do_not_end_a_sentence():
    found = grounding.sentences(
        "Fällig ist sie z. B. am 1. Juli [1]. Eine Ersatzmarke kostet ca. 5,00 € [2]."
    )
    assert [(s.text, s.cited) for s in found] == [
        ("Fällig ist sie z. B. am 1. Juli.", (1,)),
        ("Eine Ersatzmarke kostet ca. 5,00 €.", (2,)),
    ]


@pytest.mark.parametrize(
    ("sentence", "cited"),
    [
        ("Das Bürgerbüro öffnet montags um 7.30 Uhr [1].", CITIZENS_OFFICE),  # 7:30–12:30 Uhr
        ("Am Samstag öffnet das Bürgerbüro um 9 Uhr [1].", CITIZENS_OFFICE),  # 9:00–12:00 Uhr
        ("Der erste Hund kostet 108 € im Jahr [1].", RATES),  # 108,00 €
        (
            "Die Zentrale des Rathauses: +49 2941 9800 [1].",
            passage("de/oeffnungszeiten.md", "Kontakt"),
        ),
        ("Melden Sie Ihren Hund innerhalb von 2 Wochen an [1].", REGISTER),  # zwei Wochen
        ("Am 24. Dezember sind alle Dienststellen geschlossen [1].", HOLIDAYS),  # 24. und 31.
        ("The office opens on Monday at 7:30 am [1].", OFFICE_EN),
        ("Mehr unter www.musterstadt.example/buergerservice/hundesteuer [1].", REGISTER),
    ],
)
def test_the_same_value_written_differently_is_supported(sentence, cited):
    language = cited.language
    assert check(sentence, [cited], language).sources[0]["url"] == cited.url


def test_the_towns_synonyms_back_a_word_the_passage_does_not_use():
    sentence = "Die Marke für den Wauwau kostet 5,00 € [1]."
    with pytest.raises(Rejected):
        check(sentence, [REGISTER], "de")
    assert check(sentence, [REGISTER], "de", Synonyms({"wauwau": ["hund"]}))


def test_a_reasoning_models_thoughts_before_the_answer_are_dropped(openai_fake):
    openai_fake.answer("<think>Der Nutzer fragt nach 999 €.</think>\n" + GOOD)
    generated = ask(openai_fake, RATES, TAX_CONTACT)
    assert generated is not None
    assert "999" not in generated.answer


# -- answers that are not shown ------------------------------------------------------------------


def test_a_sentence_without_a_citation_rejects_the_whole_answer(openai_fake, caplog):
    openai_fake.answer("Für den ersten Hund zahlen Sie 108,00 € pro Jahr. Das ist günstig [1].")
    with caplog.at_level(logging.INFO, logger="stadtbote.assistant.generate"):
        assert ask(openai_fake, RATES) is None
    assert "sentence 1 of 2 cites no passage" in caplog.text


def test_a_citation_of_a_passage_that_was_not_sent_rejects_the_answer(openai_fake, caplog):
    openai_fake.answer("Für den ersten Hund zahlen Sie 108,00 € pro Jahr [3].")
    with caplog.at_level(logging.INFO, logger="stadtbote.assistant.generate"):
        assert ask(openai_fake, RATES, TAX_CONTACT) is None
    assert "cites passage 3, which was not given" in caplog.text


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("Für den ersten Hund zahlen Sie 100,00 € pro Jahr [1].", "an amount"),
        ("Für den ersten Hund zahlen Sie 108,00 € pro Jahr, fällig am 1. August [1].", "a date"),
        ("Das Steueramt erreichen Sie unter 02941 980-301 [2].", "a phone number"),
        ("Schreiben Sie an hundesteuer@musterstadt.example [2].", "an e-mail address"),
        ("Für den vierten Hund zahlen Sie 4 mal 168,00 € [1].", "a number"),
        ("Für den ersten Hund zahlen Sie drei Jahre lang 108,00 € [1].", "a number"),
        ("Das Steueramt im Stadthaus hat ab 8 Uhr geöffnet [2].", "a time"),
        (
            "Das Formular steht unter https://www.musterstadt.example/formulare [1].",
            "a web address",
        ),
        ("Mitglieder des Tierschutzvereins erhalten 20 % Ermäßigung [1].", "a percentage"),
    ],
)
def test_an_invented_fact_rejects_the_answer(sentence, kind):
    with pytest.raises(Rejected, match=f"{kind} not in the cited passages"):
        check(sentence, [RATES, TAX_CONTACT], "de")


def test_a_fact_from_a_passage_the_sentence_does_not_cite_is_not_support():
    # 02941 980-300 is in passage 2, but the sentence cites passage 1 only.
    with pytest.raises(Rejected, match="a phone number"):
        check("Das Steueramt erreichen Sie unter 02941 980-300 [1].", [RATES, TAX_CONTACT], "de")


def test_a_number_only_the_question_mentions_is_not_support(openai_fake):
    openai_fake.answer("Für 3 Hunde zahlen Sie 168,00 € je Hund [1].")
    assert ask(openai_fake, RATES, question="Was kostet die Steuer für 3 Hunde?") is None


def test_content_words_the_cited_passages_do_not_contain_reject_the_answer(openai_fake, caplog):
    openai_fake.answer(
        "Für den ersten Hund zahlen Sie 108,00 € pro Jahr [1]. Rentner und Studierende "
        "bekommen per Lastschrift einen Rabatt beim Tierarzt [1]."
    )
    with caplog.at_level(logging.INFO, logger="stadtbote.assistant.generate"):
        assert ask(openai_fake, RATES) is None
    assert "sentence 2 of 2: 6 of 6 content words not in the cited passages" in caplog.text


def test_a_negation_the_cited_passages_do_not_make_rejects_the_answer():
    with pytest.raises(Rejected, match="negation"):
        check("Für den ersten Hund zahlen Sie keine Steuer [1].", [RATES], "de")


def test_a_sentence_that_says_nothing_checkable_rejects_the_answer():
    with pytest.raises(Rejected, match="nothing"):
        check("Ja [1].", [RATES], "de")


def test_the_model_finding_no_answer_in_the_passages_gives_none(openai_fake):
    openai_fake.answer("NO_ANSWER")
    assert ask(openai_fake, RATES) is None


@pytest.mark.parametrize(
    "reply",
    [
        Reply(content=None, refusal="I can't help with that."),
        Reply(content=GOOD, finish_reason="length"),
        Reply(content=GOOD, finish_reason="content_filter"),
        Reply(content=""),
    ],
    ids=["refusal", "cut-off", "content-filter", "empty"],
)
def test_a_refusal_or_an_incomplete_reply_gives_none(openai_fake, reply):
    openai_fake.script(reply)
    assert ask(openai_fake, RATES, TAX_CONTACT) is None


# -- the endpoint failing ------------------------------------------------------------------------


def test_a_slow_endpoint_gives_none_within_the_timeout(openai_fake, caplog):
    openai_fake.script(Reply(content=GOOD, delay=5))
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="stadtbote.assistant.generate"):
        assert ask(openai_fake, RATES, TAX_CONTACT, timeout=0.5) is None
    assert time.monotonic() - started < 1.5  # cut at 0.5 s; slack for a busy machine
    assert "timed out after 0.5 s" in caplog.text
    assert len(openai_fake.requests) == 1  # a timeout is not retried: the time is spent


def test_a_reply_trickled_out_byte_by_byte_is_cut_off_at_the_timeout(openai_fake):
    openai_fake.script(Reply(content=GOOD, trickle=0.05))  # ~25 s for the whole body
    started = time.monotonic()
    assert ask(openai_fake, RATES, TAX_CONTACT, timeout=0.5) is None
    assert time.monotonic() - started < 1.5  # cut at 0.5 s; slack for a busy machine


def test_a_server_error_is_retried_once_then_gives_none_within_the_timeout(openai_fake, caplog):
    openai_fake.script(Reply(status=500), Reply(status=500))
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="stadtbote.assistant.generate"):
        assert ask(openai_fake, RATES, TAX_CONTACT, timeout=2) is None
    assert time.monotonic() - started < 2
    assert len(openai_fake.requests) == 2
    assert "HTTP 500: scripted error" in caplog.text


def test_an_overloaded_server_answering_on_the_retry_gives_the_answer(openai_fake):
    openai_fake.script(Reply(status=503, error="Loading model"), Reply(content=GOOD))
    assert ask(openai_fake, RATES, TAX_CONTACT) is not None
    assert len(openai_fake.requests) == 2


def test_no_retry_when_less_than_half_of_the_time_is_left(openai_fake):
    openai_fake.script(Reply(status=503, delay=0.6), Reply(content=GOOD))
    assert ask(openai_fake, RATES, TAX_CONTACT, timeout=1) is None
    assert len(openai_fake.requests) == 1


@pytest.mark.parametrize("status", [400, 401, 404, 429])
def test_a_client_error_gives_none_without_a_retry(openai_fake, status):
    openai_fake.script(Reply(status=status))
    assert ask(openai_fake, RATES) is None
    assert len(openai_fake.requests) == 1


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"[]", b'{"choices": []}', b'{"choices": [{"message": "hi"}]}'],
    ids=["not-json", "array", "no-choices", "message-not-object"],
)
def test_a_malformed_reply_gives_none(openai_fake, raw):
    openai_fake.script(Reply(raw=raw))
    assert ask(openai_fake, RATES) is None


def test_an_endpoint_that_is_not_listening_gives_none_at_once():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    config = AssistantLlmConfig(url=f"http://127.0.0.1:{port}/v1", model="m", timeout=2)
    started = time.monotonic()
    assert grounded_answer(QUESTION, hits(RATES), "de", config=config) is None
    assert time.monotonic() - started < 1  # refused twice (one retry), no waiting


# -- the request ---------------------------------------------------------------------------------


def test_the_request_is_a_chat_completion_with_the_model_temperature_0_and_the_key(openai_fake):
    openai_fake.answer(GOOD)
    ask(openai_fake, RATES, TAX_CONTACT, api_key="sk-test-123")
    (request,) = openai_fake.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test-123"
    assert request.headers["content-type"] == "application/json"
    body = request.body
    assert body["model"] == "fake-model"
    assert body["temperature"] == 0
    assert body["max_tokens"] == generate.MAX_TOKENS
    assert body["stream"] is False
    assert [m["role"] for m in body["messages"]] == ["system", "user"]


def test_without_an_api_key_no_authorization_is_sent(openai_fake):
    openai_fake.answer(GOOD)
    ask(openai_fake, RATES)
    assert "authorization" not in openai_fake.requests[0].headers


def test_the_prompt_holds_only_the_passages_given_and_the_question(openai_fake):
    openai_fake.answer(GOOD)
    ask(openai_fake, RATES, TAX_CONTACT)
    request = openai_fake.requests[0]
    user = request.message("user")
    assert user == (
        f"Passages:\n\n[1] {grounding.passage_text(RATES)}\n\n"
        f"[2] {grounding.passage_text(TAX_CONTACT)}\n\nQuestion: {QUESTION}"
    )
    # Nothing of the page's other sections, nor of any other page, is sent.
    for other in (REGISTER, CITIZENS_OFFICE):
        assert other.text.strip()[:60] not in user
    system = request.message("system")
    assert "only the numbered passages" in system
    assert "[1]" in system
    assert "German" in system
    assert "108" not in system
    assert "Hund" not in system


def test_at_most_the_first_three_passages_are_sent(openai_fake):
    openai_fake.answer(GOOD)
    ask(openai_fake, RATES, TAX_CONTACT, REGISTER, CITIZENS_OFFICE, HOLIDAYS)
    user = openai_fake.requests[0].message("user")
    assert MAX_PASSAGES == 3
    assert "[3] " in user
    assert "[4] " not in user
    assert CITIZENS_OFFICE.title not in user


def test_an_english_question_asks_for_an_english_answer(openai_fake):
    openai_fake.answer("The Citizens' Office opens on Monday at 7:30 am [1].")
    generated = grounded_answer(
        "When does the citizens' office open on Monday?",
        hits(OFFICE_EN),
        "en",
        config=openai_fake.config(),
    )
    assert generated is not None
    assert "Answer in English" in openai_fake.requests[0].message("system")


# -- configuration -------------------------------------------------------------------------------


def test_the_mode_is_off_when_no_endpoint_is_configured(openai_fake, settings):
    settings.STADTBOTE_ASSISTANT_LLM = None
    openai_fake.answer(GOOD)
    assert not generate.enabled()
    assert grounded_answer(QUESTION, hits(RATES), "de") is None
    assert openai_fake.requests == []


def test_the_configured_endpoint_is_used(openai_fake, settings):
    settings.STADTBOTE_ASSISTANT_LLM = openai_fake.config()
    openai_fake.answer(GOOD)
    assert generate.enabled()
    assert grounded_answer(QUESTION, hits(RATES, TAX_CONTACT), "de") is not None
    assert len(openai_fake.requests) == 1
