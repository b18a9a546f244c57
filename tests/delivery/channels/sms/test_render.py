"""The SMS text of a notice fitted to its budget (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stadtbote.delivery.channels.sms.encoding import plan
from stadtbote.delivery.channels.sms.render import gsm_friendly, render_sms, segment_preview

URL = "https://mstadt.example/s/7Kq2"


def sms(**changes: object) -> str:
    fields: dict[str, object] = {
        "tenant_name": "Musterstadt",
        "title": "Hochwasser am Rheinufer",
        "body": "Der Pegel steigt. Bitte meiden Sie die Uferwege bis Freitag.",
        "url": URL,
        "severity": "severe",
        "kind": "message",
        "language": "de",
    }
    fields.update(changes)
    return render_sms(**fields)  # type: ignore[arg-type]


def test_a_short_warning_reads_tenant_label_title_body_and_link() -> None:
    assert sms() == (
        "Musterstadt - WARNUNG: Hochwasser am Rheinufer. "
        f"Der Pegel steigt. Bitte meiden Sie die Uferwege bis Freitag. {URL}"
    )


def test_an_english_notice_gets_english_labels() -> None:
    assert sms(language="en", severity="extreme").startswith("Musterstadt - DANGER: ")


def test_a_withdrawal_and_an_update_say_so_in_german_and_english() -> None:
    assert sms(kind="withdrawal").startswith("Musterstadt - WIDERRUFEN: ")
    assert sms(kind="withdrawal", language="en").startswith("Musterstadt - WITHDRAWN: ")
    assert sms(kind="update").startswith("Musterstadt - WARNUNG (aktualisiert): ")
    assert sms(kind="update", language="en").startswith("Musterstadt - WARNING (updated): ")


def test_typographic_quotes_dashes_and_ellipsis_become_gsm_so_umlauts_stay_gsm_7() -> None:
    text = sms(body="„Achtung“ – Straße gesperrt… bis ‘Montag’")
    assert "\"Achtung\" - Straße gesperrt... bis 'Montag'" in text
    assert plan(text).encoding == "gsm7"


def test_a_long_body_is_cut_at_a_word_with_three_dots_and_the_link_stays_whole() -> None:
    body = "Die Feuerwehr pumpt Keller aus und bittet um Geduld. " * 20
    text = sms(body=body, max_segments=2)
    assert plan(text).segments == 2
    assert text.endswith(f"... {URL}")
    assert "…" not in text
    cut = text.removesuffix(f"... {URL}")
    assert body.startswith(cut.split("Rheinufer. ", 1)[1])
    assert cut.split()[-1] in body.split()  # the last word is whole


def test_when_even_the_title_is_too_long_the_title_is_shortened_and_the_body_dropped() -> None:
    text = sms(title="Sperrung " * 40, max_segments=1)
    assert plan(text).segments == 1
    assert text.startswith("Musterstadt - WARNUNG: Sperrung Sperrung")
    assert text.endswith(f"... {URL}")
    assert "Pegel" not in text


def test_a_link_that_cannot_fit_is_an_error_not_a_cut_link() -> None:
    with pytest.raises(ValueError, match="need more than 1 SMS"):
        sms(url="https://x.example/" + "a" * 200, max_segments=1)


def test_a_text_that_must_be_ucs_2_is_fitted_to_ucs_2_segments() -> None:
    text = sms(body="Zażółć gęślą jaźń. " * 30, max_segments=3)
    assert plan(text).encoding == "ucs2"
    assert plan(text).segments == 3
    assert text.endswith(URL)


def test_the_preview_tells_staff_the_encoding_segments_and_room_left() -> None:
    assert segment_preview("Hallo €") == {
        "encoding": "gsm7",
        "units": 8,
        "segments": 1,
        "per_segment_limit": 160,
        "remaining_in_last_segment": 152,
    }
    preview = segment_preview("a" * 200)
    assert (preview["segments"], preview["remaining_in_last_segment"]) == (2, 106)
    assert segment_preview("ą")["remaining_in_last_segment"] == 69


def test_whitespace_runs_collapse() -> None:
    assert gsm_friendly(" a \n\t b\u00a0 c ") == "a b c"


words = st.text(alphabet=st.sampled_from("abcäöüß €–…„“😀 "), max_size=900)


@settings(derandomize=True, max_examples=150, deadline=None)
@given(title=words, body=words, max_segments=st.integers(1, 4))
def test_any_notice_fits_its_budget_and_keeps_its_link(
    title: str, body: str, max_segments: int
) -> None:
    text = sms(title=title, body=body, max_segments=max_segments)
    assert plan(text).segments <= max_segments
    assert text.endswith(f" {URL}")
