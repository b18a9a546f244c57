"""The text each network gets: its limit, its markup, the severity prefix, the URL kept."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from stadtbote.delivery.channels.broadcast import (
    mastodon_text,
    matrix_content,
    plain_text,
    severity_label,
    shorten,
    telegram_html,
)
from tests.delivery.channels.native_push import make_notice
from tests.support.telegram_server import parse_html

URL = "https://musterstadt.example/m/msg-0042"
LONG_BODY = " ".join(["Der Pegel des Rheins steigt weiter an."] * 200)


def test_a_severe_warning_in_german_is_headed_unwetterwarnung() -> None:
    text = mastodon_text(make_notice())

    assert text == (
        "Unwetterwarnung: Hochwasserwarnung Rheinufer\n\n"
        "Der Pegel steigt. Bitte meiden Sie die Uferwege bis Freitag.\n\n"
        f"{URL}"
    )


@pytest.mark.parametrize(
    ("severity", "language", "label"),
    [
        ("info", "de", ""),
        ("minor", "de", "Hinweis"),
        ("moderate", "de", "Warnung"),
        ("severe", "en", "Severe warning"),
        ("extreme", "en", "Extreme danger"),
        ("moderate", "tr", "Warning"),
    ],
)
def test_the_prefix_follows_severity_in_the_notice_language(
    severity: str, language: str, label: str
) -> None:
    assert severity_label(make_notice(severity=severity, language=language)) == label


def test_a_withdrawal_carries_no_alarm_prefix() -> None:
    notice = make_notice(kind="withdrawal", title="Zurückgezogen: Hochwasserwarnung")

    assert mastodon_text(notice).startswith("Zurückgezogen: Hochwasserwarnung\n\n")


def test_a_long_body_is_shortened_to_the_mastodon_limit_and_the_url_is_kept() -> None:
    text = mastodon_text(make_notice(body=LONG_BODY))

    assert len(text) <= 500
    assert text.endswith(f"…\n\n{URL}")
    assert text.startswith("Unwetterwarnung: Hochwasserwarnung Rheinufer\n\n")


def test_even_an_overlong_title_leaves_room_for_the_url() -> None:
    text = mastodon_text(make_notice(title="Sehr " * 200, body=LONG_BODY), limit=120)

    assert len(text) <= 120
    assert text.endswith(URL)


def test_shortening_cuts_at_a_word_and_marks_the_cut() -> None:
    assert shorten("eins zwei drei vier", 12) == "eins zwei…"
    assert shorten("kurz", 12) == "kurz"


def test_telegram_html_escapes_markup_in_title_and_body() -> None:
    notice = make_notice(
        title="Straße <A&B> gesperrt", body='Umleitung über "Nord" & Süd <ab 8 Uhr>'
    )

    text = telegram_html(notice)

    assert text == (
        "<b>Unwetterwarnung: Straße &lt;A&amp;B&gt; gesperrt</b>\n\n"
        'Umleitung über "Nord" &amp; Süd &lt;ab 8 Uhr&gt;\n\n'
        f'<a href="{URL}">{URL}</a>'
    )
    # What Telegram shows after parsing the entities.
    assert "Straße <A&B> gesperrt" in parse_html(text)


def test_telegram_text_stays_within_4096_characters_after_parsing() -> None:
    notice = make_notice(body="<&> " * 3000)

    visible = parse_html(telegram_html(notice))

    assert len(visible) <= 4096
    assert visible.endswith(URL)


def test_a_matrix_message_has_a_plain_body_and_escaped_custom_html() -> None:
    notice = make_notice(body="Erster Absatz <b>.\n\nZweiter & letzter.")

    content = matrix_content(notice)

    assert content["msgtype"] == "m.text"
    assert content["format"] == "org.matrix.custom.html"
    assert content["body"] == (
        "Unwetterwarnung: Hochwasserwarnung Rheinufer\n\n"
        "Erster Absatz <b>.\n\nZweiter & letzter.\n\n"
        f"{URL}"
    )
    assert content["formatted_body"] == (
        "<p><strong>Unwetterwarnung: Hochwasserwarnung Rheinufer</strong></p>"
        "<p>Erster Absatz &lt;b&gt;.</p><p>Zweiter &amp; letzter.</p>"
        f'<p><a href="{URL}">{URL}</a></p>'
    )
    HTMLParser().feed(content["formatted_body"])  # well-formed enough for any parser


def test_apprise_gets_the_headline_as_title_and_the_url_at_the_end_of_the_body() -> None:
    title, body = plain_text(make_notice(severity="moderate", body=LONG_BODY))

    assert title == "Warnung: Hochwasserwarnung Rheinufer"
    assert len(body) <= 1000
    assert body.endswith(f"…\n\n{URL}")
