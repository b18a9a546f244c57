"""/{tenant}/widget and /{tenant}/widget.js: current messages on the town's own website."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from stadtbote.core.middleware import CSP
from stadtbote.delivery import dispatch
from stadtbote.messages.models import Message
from stadtbote.tenants.models import Municipality
from tests.web.support import publish, text

pytestmark = pytest.mark.django_db


def closure(tenant: Municipality, title: str = "Vollsperrung Lange Straße", **body: Any) -> Message:
    data = {
        "title": {"de": title, "en": f"{title} (en)"},
        "severity": "moderate",
        "topics": ["strassensperrungen"],
        **body,
    }
    return publish(tenant, **data)


def listed(response: Any) -> list[str]:
    """The titles the widget links to, in order."""
    return [
        re.sub(r"<span class=\"vh\".*", "", t)
        for t in re.findall(r'target="_blank" rel="noopener" lang="\w+">(.*?)</a>', text(response))
    ]


def directive(response: Any, name: str) -> str:
    [found] = [
        d.strip()
        for d in response["Content-Security-Policy"].split(";")
        if d.strip().startswith(name)
    ]
    return found


def test_the_widget_lists_current_messages_with_severity_date_and_a_link(client, tenant):
    message = closure(tenant)
    response = client.get("/musterstadt/widget")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    page = text(response)
    assert '<html lang="de">' in page
    assert "Aktuelle Mitteilungen von Musterstadt (Lippstadt)" in page
    assert listed(response) == ["Vollsperrung Lange Straße"]
    assert (
        f'<a href="/musterstadt/messages/{message.id}" target="_blank" rel="noopener" lang="de">'
        in page
    )
    assert '<span class="badge sev-moderate"><span aria-hidden="true">!!</span> Warnung</span>' in (
        page
    )
    local = timezone.localtime(message.published_at)
    assert f'<time datetime="{local.isoformat()}">{local:%d.%m.%Y %H:%M}</time>' in page
    assert '<a href="/musterstadt/" target="_blank" rel="noopener">' in page


def test_without_current_messages_the_widget_says_so(client, tenant):
    assert "Es gibt keine aktuellen Mitteilungen." in text(client.get("/musterstadt/widget"))


def test_the_widget_may_be_framed_by_any_site_and_nothing_else_is_loosened(client, tenant):
    response = client.get("/musterstadt/widget")
    assert directive(response, "frame-ancestors") == "frame-ancestors *"
    assert response["Content-Security-Policy"] == CSP.replace(
        "frame-ancestors 'none'", "frame-ancestors *"
    )
    assert "X-Frame-Options" not in response
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "Set-Cookie" not in response
    # The town's other pages still refuse to be framed.
    town = client.get("/musterstadt/")
    assert directive(town, "frame-ancestors") == "frame-ancestors 'none'"
    assert town["X-Frame-Options"] == "DENY"


def test_the_widget_is_cacheable_and_answers_304_to_its_etag(client, tenant):
    closure(tenant)
    first = client.get("/musterstadt/widget?lang=en")
    assert first["Cache-Control"] == "public, max-age=60"
    assert first["Content-Language"] == "en"
    again = client.get("/musterstadt/widget?lang=en", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    closure(tenant, "Neue Sperrung")
    assert client.get(
        "/musterstadt/widget?lang=en", HTTP_IF_NONE_MATCH=first["ETag"]
    ).status_code == (200)


def test_lang_chooses_the_language_whatever_the_browser_asks_for(client, tenant):
    closure(tenant)
    publish(tenant, title={"de": "Nur deutsch"}, severity="info")
    english = client.get("/musterstadt/widget?lang=en", HTTP_ACCEPT_LANGUAGE="de")
    page = text(english)
    assert '<html lang="en">' in page
    assert "Current messages from Musterstadt (Lippstadt)" in page
    assert "> Warning</span>" in page
    assert listed(english) == ["Vollsperrung Lange Straße (en)", "Nur deutsch"]
    # A message without English keeps its German text and says it is German.
    assert 'rel="noopener" lang="de">Nur deutsch' in page
    german = client.get("/musterstadt/widget", HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="de">' in text(german)
    assert listed(german) == ["Vollsperrung Lange Straße", "Nur deutsch"]
    assert '<html lang="de">' in text(client.get("/musterstadt/widget?lang=fr"))


def test_the_topic_filter_lists_only_that_topics_messages_and_names_the_topic(client, tenant):
    closure(tenant, "Sperrung")
    publish(tenant, title={"de": "Kita-Fest"}, topics=["kita"])
    response = client.get("/musterstadt/widget?topic=kita")
    assert listed(response) == ["Kita-Fest"]
    assert "Thema: Kita-Termine" in text(response)
    assert listed(client.get("/musterstadt/widget")) == ["Sperrung", "Kita-Fest"]


def test_limit_is_bounded(client, tenant):
    for n in range(25):
        publish(tenant, title={"de": f"Meldung {n:02}"})
    assert len(listed(client.get("/musterstadt/widget"))) == 5
    assert len(listed(client.get("/musterstadt/widget?limit=2"))) == 2
    assert len(listed(client.get("/musterstadt/widget?limit=0"))) == 1
    assert len(listed(client.get("/musterstadt/widget?limit=1000"))) == 20
    assert len(listed(client.get("/musterstadt/widget?limit=viele"))) == 5


def test_the_gravest_come_first_then_the_newest(client, tenant):
    publish(tenant, title={"de": "Info alt"})
    closure(tenant, "Warnung")
    publish(tenant, title={"de": "Info neu"})
    publish(tenant, title={"de": "Unwetter"}, severity="severe")
    assert listed(client.get("/musterstadt/widget")) == [
        "Unwetter",
        "Warnung",
        "Info neu",
        "Info alt",
    ]


def test_only_current_public_messages_are_listed(client, tenant):
    closure(tenant, "Entwurf", hold=True)
    closure(tenant, "Geplant", send_at="2099-01-01T08:00:00+01:00")
    dispatch.cancel(closure(tenant, "Zurückgezogen"))
    expired = closure(tenant, "Abgelaufen")
    Message.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    first = closure(tenant, "Sperrung bis Freitag")
    closure(tenant, "Sperrung bis Montag", replaces=str(first.id))
    closure(tenant, "Aktuell")
    assert listed(client.get("/musterstadt/widget")) == ["Aktuell", "Sperrung bis Montag"]


def test_script_in_a_title_stays_text(client, tenant):
    closure(tenant, '<script>alert("x")</script>')
    page = text(client.get("/musterstadt/widget"))
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    # The only scripts are our own file's.
    assert re.findall(r"<script[^>]*>", page) == [
        '<script src="/static/web/widget-frame.js" defer>'
    ]


def test_each_town_shows_only_its_own_messages_and_topics(client, tenant):
    other = Municipality.objects.create(
        slug="anders", name="Anders", center_lat=51.67, center_lon=8.34, languages=["de", "en"]
    )
    publish(other, title={"de": "Bei uns"})
    closure(tenant, "Bei Musterstadt")
    assert listed(client.get("/musterstadt/widget")) == ["Bei Musterstadt"]
    assert listed(client.get("/anders/widget")) == ["Bei uns"]
    assert client.get("/anders/widget?topic=strassensperrungen").status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/nirgendwo/widget", "/nirgendwo/widget.js", "/musterstadt/widget?topic=unbekannt"],
)
def test_unknown_towns_and_topics_are_not_found(client, tenant, path):
    assert client.get(path).status_code == 404


def test_the_embedding_script_is_served_under_the_towns_address(client, tenant):
    response = client.get("/musterstadt/widget.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    code = b"".join(response).decode()
    assert "document.currentScript" in code
    assert "event.origin !== src.origin" in code
    assert client.get(
        "/musterstadt/widget.js", HTTP_IF_NONE_MATCH=response["ETag"]
    ).status_code == (304)
