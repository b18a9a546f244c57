"""Every page of a town links to the legal pages; the root leads to the towns."""

from __future__ import annotations

import pytest

from stadtbote.tenants.models import Municipality
from tests.web.support import FOOTER_LINKS, publish, sign_up, text

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = [
    "/musterstadt/",
    "/musterstadt/start",
    "/musterstadt/inbox",
    "/musterstadt/accessibility",
    "/musterstadt/privacy",
    "/musterstadt/imprint",
    "/musterstadt/offline",
    "/musterstadt/messages/00000000-0000-4000-8000-000000000000",  # the 404 page
]
SUBSCRIBER_PAGES = ["/musterstadt/inbox", "/musterstadt/settings", "/musterstadt/settings/delete"]


def assert_footer(page: str) -> None:
    for link in FOOTER_LINKS:
        assert link in page, link


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_public_page_links_to_the_accessibility_privacy_and_imprint_pages(
    client, tenant, path
):
    assert_footer(text(client.get(path)))


@pytest.mark.parametrize("path", SUBSCRIBER_PAGES)
def test_every_subscriber_page_links_to_the_legal_pages(client, tenant, path):
    sign_up(client)
    response = client.get(path)
    assert response.status_code == 200
    assert_footer(text(response))


def test_pages_after_a_post_have_the_footer_too(client, tenant):
    assert_footer(text(client.post("/musterstadt/start", {"topic": "kita"})))  # 422
    assert_footer(text(client.post("/musterstadt/accessibility/feedback", {"text": "Zu klein"})))
    message = publish(tenant)
    assert_footer(text(client.get(f"/musterstadt/messages/{message.id}")))
    sign_up(client)
    assert_footer(text(client.post("/musterstadt/settings/delete")))


def test_report_a_barrier_links_back_from_the_page_it_was_found_on(client, tenant):
    page = text(client.get("/musterstadt/start"))
    assert 'href="/musterstadt/accessibility?from=/musterstadt/start#feedback"' in page


def test_the_root_without_towns_says_so(client, db):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "No municipality yet." in text(response)


def test_the_root_leads_to_the_only_town(client, tenant):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/musterstadt/"


def test_the_root_lists_the_towns_when_there_are_several(client, tenant):
    Municipality.objects.create(
        slug="nachbarort", name="Nachbarort", center_lat=51.7, center_lon=8.5
    )
    response = client.get("/")
    assert response.status_code == 200
    page = text(response)
    assert '<a href="/musterstadt/">Musterstadt (Lippstadt)</a>' in page
    assert '<a href="/nachbarort/">Nachbarort</a>' in page
    assert page.index("/musterstadt/") < page.index("/nachbarort/")  # by name
