"""GSM-7 vs UCS-2, units and segments (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stadtbote.delivery.channels.sms.encoding import (
    GSM_BASIC,
    GSM_EXTENSION,
    SmsPlan,
    count_units,
    decode,
    encode,
    plan,
    split,
)

GSM_CHARS = [c for c in GSM_BASIC if c != "\x1b"] + list(GSM_EXTENSION)
gsm_text = st.text(alphabet=st.sampled_from(GSM_CHARS), max_size=700)
any_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(GSM_CHARS), st.characters(codec="utf-8", exclude_categories=("Cs",))
    ),
    max_size=400,
)


def test_a_german_text_with_umlauts_and_eszett_stays_gsm_7() -> None:
    assert plan("Straße gesperrt: Überflutung in Köln-Mülheim") == SmsPlan("gsm7", 44, 1, 160)


def test_160_gsm_characters_fit_one_sms_and_161_need_two_of_153() -> None:
    assert plan("a" * 160) == SmsPlan("gsm7", 160, 1, 160)
    assert plan("a" * 161) == SmsPlan("gsm7", 161, 2, 153)
    assert plan("a" * 306) == SmsPlan("gsm7", 306, 2, 153)
    assert plan("a" * 307).segments == 3


def test_extension_characters_cost_two_septets() -> None:
    assert plan("€" * 80) == SmsPlan("gsm7", 160, 1, 160)
    assert plan("€" * 80 + "a").segments == 2
    assert count_units("[x]", "gsm7") == 5


def test_one_character_outside_gsm_makes_the_whole_text_ucs_2_with_70_and_67() -> None:
    assert plan("Gefahr – bitte").encoding == "ucs2"
    assert plan("ą" * 70) == SmsPlan("ucs2", 70, 1, 70)
    assert plan("ą" * 71) == SmsPlan("ucs2", 71, 2, 67)


def test_an_emoji_is_a_surrogate_pair_of_two_units() -> None:
    assert plan("😀" * 35) == SmsPlan("ucs2", 70, 1, 70)


def test_an_escape_pair_is_never_split_across_segments() -> None:
    text = "a" * 152 + "€" + "b" * 10
    parts = split(text)
    assert parts[0] == "a" * 152  # 152 + 2 would exceed 153 septets
    assert parts[1].startswith("€")
    assert plan(text).segments == 2


def test_a_surrogate_pair_is_never_split_across_segments() -> None:
    text = "ą" * 66 + "😀" + "ą" * 5  # 73 units: two segments of at most 67
    assert split(text) == ["ą" * 66, "😀ąąąąą"]


def test_gsm_septets_are_the_03_38_values() -> None:
    assert encode("@£$", "gsm7") == b"\x00\x01\x02"
    assert encode("äöüß§¿", "gsm7") == bytes([0x7B, 0x7C, 0x7E, 0x1E, 0x5F, 0x60])
    assert encode("€{", "gsm7") == b"\x1b\x65\x1b\x28"
    assert encode("Hi", "ucs2") == b"\x00H\x00i"
    with pytest.raises(ValueError, match="not in the GSM"):
        encode("ą", "gsm7")


@settings(derandomize=True, max_examples=200, deadline=None)
@given(any_text)
def test_segments_joined_give_the_text_back_and_each_fits_its_limit(text: str) -> None:
    sms = plan(text)
    parts = split(text, sms)
    assert "".join(parts) == text
    assert len(parts) == sms.segments
    assert all(count_units(part, sms.encoding) <= sms.per_segment_limit for part in parts)
    assert sms.per_segment_limit in ((160, 70) if sms.segments == 1 else (153, 67))


@settings(derandomize=True, max_examples=200, deadline=None)
@given(gsm_text)
def test_gsm_text_round_trips_through_septets(text: str) -> None:
    assert plan(text).encoding == "gsm7"
    assert decode(encode(text, "gsm7"), "gsm7") == text
    assert len(encode(text, "gsm7")) == plan(text).units


@settings(derandomize=True, max_examples=100, deadline=None)
@given(gsm_text)
def test_no_segment_ends_with_a_lone_escape(text: str) -> None:
    for part in split(text):
        assert not encode(part, "gsm7").endswith(b"\x1b")
