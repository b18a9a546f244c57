"""Placeholders in message templates: found once each, in order; ordinary brackets too long to
be a placeholder are left alone."""

from __future__ import annotations

from stadtbote.messages.templates import unfilled


def test_placeholders_are_listed_once_in_order():
    assert unfilled(["Vollsperrung [Straße]", "Von [Beginn] bis [Ende], [Straße]"]) == [
        "[Straße]",
        "[Beginn]",
        "[Ende]",
    ]


def test_a_filled_in_text_has_none():
    assert unfilled(["Vollsperrung Lange Straße", "Von 8 bis 18 Uhr"]) == []


def test_brackets_across_lines_or_very_long_are_not_placeholders():
    assert unfilled(["[Hinweis\nzweite Zeile]", "[" + "x" * 41 + "]"]) == []
