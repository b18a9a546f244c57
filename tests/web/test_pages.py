"""Pages behind links we send: German by default, English on request, no crash on bad tokens."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_pages_are_german_by_default_and_english_on_request(client, tenant):
    german = client.get("/musterstadt/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert 'lang="de"' in german
    assert "Aktuelle Mitteilungen" in german
    english = client.get("/musterstadt/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="en"' in english
    assert "Current messages" in english


def test_a_forged_confirmation_or_unsubscribe_token_is_a_404_not_an_error(client, tenant):
    assert client.get("/musterstadt/confirm/forged").status_code == 404
    assert client.post("/musterstadt/confirm/forged").status_code == 404
    assert client.post("/musterstadt/unsubscribe/forged").status_code == 404


def test_every_page_sends_a_strict_content_security_policy(client, tenant):
    response = client.get("/musterstadt/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
