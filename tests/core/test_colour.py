"""Theme colours: WCAG 2.1 contrast, and whether white text stays readable on a colour."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stadtbote.core import colour

SETTINGS = settings(derandomize=True, deadline=None, database=None)

hex_colour = st.integers(0, 0xFFFFFF).map(lambda v: f"#{v:06x}")


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("#000000", "#ffffff", 21.0),
        ("#ffffff", "#ffffff", 1.0),
        ("#777777", "#ffffff", 4.48),  # the grey famously just below AA
        ("#767676", "#ffffff", 4.54),  # ...and the one just above
        ("#1f4e79", "#ffffff", 8.66),  # the default theme colour
        ("#ff0000", "#ffffff", 4.0),
    ],
)
def test_contrast_of_known_pairs_matches_the_wcag_figures(a, b, expected):
    assert colour.contrast(a, b) == pytest.approx(expected, abs=0.01)


def test_upper_and_lower_case_hex_digits_mean_the_same_colour():
    assert colour.contrast("#1F4E79", "#FFFFFF") == colour.contrast("#1f4e79", "#ffffff")


@pytest.mark.parametrize("dark", ["#1f4e79", "#000000", "#767676", "#8b0000", "#005a9c"])
def test_white_text_is_readable_on_dark_colours(dark):
    assert colour.carries_white_text(dark)


@pytest.mark.parametrize("light", ["#ffffff", "#777777", "#ffff00", "#ff0000", "#87ceeb"])
def test_white_text_is_not_readable_on_light_colours(light):
    assert not colour.carries_white_text(light)


@pytest.mark.parametrize(
    "bad", ["", "fff", "#fff", "1f4e79", "#1f4e7", "#1f4e799", "#gg0000", "red", " #1f4e79"]
)
def test_a_colour_that_is_not_rrggbb_is_refused(bad):
    with pytest.raises(ValueError, match="rrggbb"):
        colour.luminance(bad)
    with pytest.raises(ValueError, match="rrggbb"):
        colour.carries_white_text(bad)


@SETTINGS
@given(hex_colour, hex_colour)
def test_contrast_is_symmetric_and_between_1_and_21(a, b):
    ab = colour.contrast(a, b)
    assert ab == colour.contrast(b, a)
    assert 1.0 <= ab <= 21.0 + 1e-9


@SETTINGS
@given(hex_colour)
def test_a_colour_has_no_contrast_with_itself_and_most_with_black_or_white(c):
    assert colour.contrast(c, c) == pytest.approx(1.0)
    assert max(colour.contrast(c, "#000000"), colour.contrast(c, "#ffffff")) >= 4.5
