"""Staff-written Markdown: formatting works, raw HTML and script links do not."""

from __future__ import annotations

import pytest

from stadtbote.pages.render import markdown


def test_markdown_renders_headings_emphasis_lists_and_links():
    html = markdown("## Kontakt\n\n**Rathaus**\n\n- eins\n\n[Mail](mailto:a@example.org)")
    assert "<h2>Kontakt</h2>" in html
    assert "<strong>Rathaus</strong>" in html
    assert "<li>eins</li>" in html
    assert '<a href="mailto:a@example.org">Mail</a>' in html


@pytest.mark.parametrize(
    "raw",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "Text <iframe src='https://evil.example'></iframe>",
    ],
)
def test_raw_html_is_escaped_not_rendered(raw):
    html = markdown(raw)
    assert "<script" not in html
    assert "<img" not in html
    assert "<iframe" not in html
    assert "&lt;" in html


@pytest.mark.parametrize(
    "link",
    [
        "[klick](javascript:alert(1))",
        "[klick](JAVASCRIPT:alert(1))",
        "[klick](vbscript:msgbox(1))",
        "[klick](data:text/html;base64,PHNjcmlwdD4=)",
        "<javascript:alert(1)>",
        "![bild](javascript:alert(1))",
    ],
)
def test_script_links_are_refused(link):
    html = markdown(link).lower()
    assert 'href="javascript:' not in html
    assert 'href="vbscript:' not in html
    assert 'href="data:text/html' not in html
    assert 'src="javascript:' not in html
