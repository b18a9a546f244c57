"""Phone numbers as citizens type them, made E.164 (pure)."""

from __future__ import annotations

import pytest

from stadtbote.delivery.channels.sms.numbers import normalise_number


@pytest.mark.parametrize(
    "typed",
    [
        "0151 1234 5678",
        "+49 151 12345678",
        "0049151-12345678",
        "+49 (0)151 1234 5678",
        "(0151) 123/45678",
        " 0151.1234.5678 ",
    ],
)
def test_the_usual_ways_of_writing_a_german_mobile_number_give_one_e164(typed: str) -> None:
    assert normalise_number(typed) == "+4915112345678"


def test_a_national_number_takes_the_country_code_of_the_default_region() -> None:
    assert normalise_number("0664 1234567", default_region="AT") == "+436641234567"


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("", "empty"),
        ("151 1234 5678", "needs a country code"),
        ("+49 151 abc", "only contain digits"),
        ("+0049 151 1234", "never starts with 0"),
        ("0151", "8 to 15 digits"),
        ("+49 151 1234 5678 9012", "8 to 15 digits"),
        ("+49 151 １２３４５６７", "only contain digits"),
    ],
)
def test_a_number_that_cannot_be_reached_is_refused_saying_why(typed: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        normalise_number(typed)


def test_a_national_number_in_an_unknown_region_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown region"):
        normalise_number("0151 1234 5678", default_region="XX")
