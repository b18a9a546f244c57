"""The widget on someone else's website: one script tag on a page of another origin inserts the
frame, which grows and shrinks with its content, opens messages in a new tab, and passes axe
in German and English, light and dark."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import Frame, Page, expect

from tests.browser.fixtures import publish

FRAME = "iframe.stadtbote-widget"


class Site:
    """A municipal website on another origin (127.0.0.1 here, the live server is localhost)
    whose one page holds the tag town staff copy from the README."""

    def __init__(self) -> None:
        self.page = b""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(site.page)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def embedding(self, script_url: str, lang: str, **data: str) -> str:
        attributes = "".join(f' data-{k}="{v}"' for k, v in data.items())
        self.page = (
            f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            "<title>Stadt Musterstadt</title></head><body><main><h1>Rathaus</h1>"
            f'<p id="before">Aktuelles aus der Stadt:</p>'
            f'<script src="{script_url}" data-lang="{lang}"{attributes} async></script>'
            '<p id="after">Impressum</p></main></body></html>'
        ).encode()
        return self.url


@pytest.fixture
def site() -> Iterator[Site]:
    site = Site()
    thread = threading.Thread(target=site.server.serve_forever, daemon=True)
    thread.start()
    yield site
    site.server.shutdown()
    site.server.server_close()


@pytest.fixture
def embed(page: Page, site: Site, live_server) -> Callable[..., Frame]:
    """Open the site's page with the widget tag; the frame once its content has loaded."""

    def open_(lang: str = "de", **data: str) -> Frame:
        assert "127.0.0.1" not in live_server.url, "the site must be on another origin"
        page.goto(site.embedding(f"{live_server.url}/musterstadt/widget.js", lang, **data))
        handle = page.wait_for_selector(FRAME)
        frame = handle.content_frame()
        assert frame is not None
        frame.wait_for_load_state("load")
        return frame

    return open_


def frame_height(page: Page) -> float:
    return page.eval_on_selector(FRAME, "f => f.getBoundingClientRect().height")


def wait_until_fitted(page: Page, frame: Frame) -> float:
    """Until the frame is exactly as tall as the widget's content; that height."""
    content = frame.evaluate("() => Math.ceil(document.body.getBoundingClientRect().height)")
    page.wait_for_function(
        f"h => document.querySelector('{FRAME}').getBoundingClientRect().height === h", arg=content
    )
    return content


def test_one_script_tag_inserts_the_widget_next_to_itself_with_a_title(
    page: Page, embed, tenant, console_errors
):
    publish(tenant, "Sperrung Marktplatz")
    frame = embed("de")
    # Right after the script tag, before the page's next paragraph.
    assert page.evaluate(
        f"() => document.querySelector('script[src$=\"widget.js\"]').nextElementSibling"
        f" === document.querySelector('{FRAME}')"
    )
    assert (
        page.evaluate(f"() => document.querySelector('{FRAME}').nextElementSibling.id") == "after"
    )
    expect(page.locator(FRAME)).to_have_attribute(
        "title", "Aktuelle Mitteilungen von Musterstadt (Lippstadt)"
    )
    # It cannot navigate the site's page.
    assert "allow-top-navigation" not in page.locator(FRAME).get_attribute("sandbox")
    expect(frame.locator("html")).to_have_attribute("lang", "de")
    expect(frame.get_by_role("link", name="Sperrung Marktplatz")).to_be_visible()
    assert console_errors == []


def test_the_frame_grows_and_shrinks_with_its_content(page: Page, embed, tenant, site):
    frame = embed("de")
    empty = wait_until_fitted(page, frame)
    for n in range(8):
        publish(tenant, f"Meldung Nummer {n}", severity="minor")
    frame = embed("de", limit="8")
    full = wait_until_fitted(page, frame)
    assert full > empty + 200
    # Nothing is cut off: the frame shows its whole content without scrolling.
    assert frame.evaluate(
        "() => document.documentElement.scrollHeight <= document.documentElement.clientHeight"
    )
    # A narrower page wraps the titles; the frame follows.
    page.set_viewport_size({"width": 260, "height": 844})
    narrow = wait_until_fitted(page, frame)
    assert narrow > full


def test_only_the_widget_itself_can_resize_its_frame(page: Page, embed, tenant):
    frame = embed("en")
    fitted = wait_until_fitted(page, frame)
    # The embedding page (another origin than the widget) posts a fake height.
    page.evaluate(
        "() => window.postMessage({type: 'stadtbote-widget', height: 5, title: 'x'}, '*')"
    )
    page.wait_for_timeout(300)
    assert frame_height(page) == fitted
    expect(page.locator(FRAME)).to_have_attribute(
        "title", "Current messages from Musterstadt (Lippstadt)"
    )


def test_topic_and_language_come_from_the_tag_and_links_open_in_a_new_tab(
    page: Page, embed, tenant
):
    publish(tenant, "Sperrung Marktplatz", topics=["strassensperrungen"])
    kita = publish(tenant, "Kita geschlossen", severity="info", topics=["kita"])
    frame = embed("en", topic="kita")
    expect(frame.locator("html")).to_have_attribute("lang", "en")
    expect(frame.get_by_text("Topic: Day-care news")).to_be_visible()
    links = frame.locator(".items a")
    expect(links).to_have_count(1)
    expect(links.first).to_have_accessible_name("Kita geschlossen (en) (opens in a new tab)")
    with page.context.expect_page() as opened:
        links.first.click()
    message_page = opened.value
    message_page.wait_for_load_state()
    assert message_page.url.endswith(f"/musterstadt/messages/{kita.id}")
    # Outside the frame's sandbox: the message page is its normal self, with its own origin.
    assert message_page.evaluate("() => window.origin") != "null"
    # The site's own page stays where it was.
    assert page.url.startswith("http://127.0.0.1:")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("language", ["de", "en"])
def test_the_widget_passes_axe(
    page: Page, embed, tenant, assert_accessible, language: str, scheme: str
):
    for severity in ("info", "minor", "moderate", "severe", "extreme"):
        publish(tenant, f"Meldung {severity}", severity=severity)
    page.emulate_media(color_scheme=scheme)
    frame = embed(language, topic="")
    # axe runs on a page of its own; the widget alone is what the town is answerable for.
    widget = page.context.new_page()
    widget.emulate_media(color_scheme=scheme)
    widget.goto(frame.url)
    expect(widget.locator("html")).to_have_attribute("lang", language)
    expect(widget.locator(".items li")).to_have_count(5)
    assert_accessible(widget, f"widget ({language}, {scheme})")
    empty = page.context.new_page()
    empty.emulate_media(color_scheme=scheme)
    empty.goto(frame.url.split("?")[0] + f"?lang={language}&topic=kita")
    assert_accessible(empty, f"widget without messages ({language}, {scheme})")
