"""The public page of one message: cacheable with an ETag, withdrawals and updates shown."""

from __future__ import annotations

import pytest
from django.test import Client

from stadtbote.delivery import dispatch
from stadtbote.tenants.models import Municipality
from tests.web.support import publish, text

pytestmark = pytest.mark.django_db


def url(message) -> str:
    return f"/musterstadt/messages/{message.id}"


def test_a_message_page_is_public_and_cacheable_with_an_etag(client, tenant):
    message = publish(
        tenant,
        title={"de": "Vollsperrung", "en": "Road closed"},
        body={"de": "Bis Freitag.", "en": "Until Friday."},
        severity="minor",
        topics=["strassensperrungen"],
        area={"areas": ["altstadt"]},
    )
    response = client.get(url(message), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = text(response)
    assert '<h1 lang="en">Road closed</h1>' in page
    assert "Until Friday." in page
    assert "District Old Town" in page
    assert 'id="area-geojson"' in page
    assert response["Cache-Control"] == "public, max-age=60, stale-while-revalidate=300"
    assert response["ETag"].startswith('"')
    assert {"Accept-Language", "Cookie"} <= {v.strip() for v in response["Vary"].split(",")}


def test_a_known_etag_gets_not_modified(client, tenant):
    message = publish(tenant)
    etag = client.get(url(message))["ETag"]
    response = client.get(url(message), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert client.get(url(message), HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_each_language_has_its_own_etag(client, tenant):
    message = publish(tenant)
    german = client.get(url(message), HTTP_ACCEPT_LANGUAGE="de")
    english = client.get(url(message), HTTP_ACCEPT_LANGUAGE="en")
    assert german["ETag"] != english["ETag"]
    assert "Meldung" in text(german)
    assert "Notice" in text(english)


def test_a_message_only_in_german_is_shown_in_german_to_english_readers(client, tenant):
    message = publish(tenant, title={"de": "Nur deutsch"}, body={"de": "Text"})
    page = text(client.get(url(message), HTTP_ACCEPT_LANGUAGE="en"))
    assert '<h1 lang="de">Nur deutsch</h1>' in page


def test_a_withdrawn_message_says_so_and_gets_a_new_etag(client, tenant):
    message = publish(tenant, severity="moderate")
    before = client.get(url(message), HTTP_ACCEPT_LANGUAGE="en")
    dispatch.cancel(message)
    after = client.get(url(message), HTTP_ACCEPT_LANGUAGE="en")
    assert after.status_code == 200
    assert 'class="alert withdrawn-note"' in text(after)
    assert "This message is no longer valid. Please disregard it." in text(after)
    assert after["ETag"] != before["ETag"]
    assert client.get(url(message), HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 200


def test_an_update_and_the_message_it_replaces_link_to_each_other(client, tenant):
    old = publish(tenant, title={"de": "Sperrung bis Freitag"})
    new = publish(tenant, title={"de": "Sperrung verlängert"}, replaces=str(old.id))
    new_page = text(client.get(url(new), HTTP_ACCEPT_LANGUAGE="en"))
    old_page = text(client.get(url(old), HTTP_ACCEPT_LANGUAGE="en"))
    assert f'<a href="/musterstadt/messages/{old.id}" lang="de">Sperrung bis Freitag</a>' in (
        new_page
    )
    assert "There is a newer version of this message." in old_page
    assert f'<a href="/musterstadt/messages/{new.id}" lang="de">Sperrung verlängert</a>' in (
        old_page
    )
    assert "There is a newer version" not in new_page


def test_a_page_seen_before_the_update_was_published_links_to_the_update(client, tenant):
    old = publish(tenant, title={"de": "Sperrung bis Freitag"})
    first = client.get(url(old))
    new = publish(tenant, title={"de": "Sperrung verlängert"}, replaces=str(old.id))
    again = client.get(url(old))
    assert again["ETag"] != first["ETag"]
    assert f"/musterstadt/messages/{new.id}" in text(again)


def test_an_unknown_message_is_a_404_page_of_the_town(client, tenant):
    response = client.get(
        "/musterstadt/messages/5b0f3a52-7c1e-4d7a-9a43-2f1e0c6b8d11", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 404
    assert "This message does not exist or is not public." in text(response)
    assert 'href="/musterstadt/"' in text(response)


def test_a_message_of_an_unknown_town_is_a_404(client, tenant):
    message = publish(tenant)
    assert client.get(f"/nirgendwo/messages/{message.id}").status_code == 404


def test_a_held_or_scheduled_message_is_not_public(client, tenant):
    held = publish(tenant, hold=True)
    scheduled = publish(tenant, send_at="2099-01-01T08:00:00+01:00")
    assert held.status == "draft"
    assert scheduled.status == "scheduled"
    assert client.get(url(held)).status_code == 404
    assert client.get(url(scheduled)).status_code == 404


def test_another_towns_message_is_not_shown_under_this_town(client, tenant):
    other = Municipality.objects.create(
        slug="nachbarort", name="N", center_lat=51.7, center_lon=8.5
    )
    foreign = publish(other, title={"de": "Fremd"})
    assert client.get(f"/musterstadt/messages/{foreign.id}").status_code == 404
    assert client.get(f"/nachbarort/messages/{foreign.id}").status_code == 200


def test_a_second_visitor_can_switch_the_language_from_a_message_page(tenant):
    message = publish(tenant)
    Client(enforce_csrf_checks=True).get(url(message))  # the first visitor fills the cache
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get(url(message)).content.decode()
    assert "csrfmiddlewaretoken" not in page  # a shared page carries nobody's token
    response = visitor.get("/language", {"language": "en", "next": url(message)})
    assert response.status_code == 302
    assert response["Location"] == url(message)
    assert visitor.get(url(message)).content.decode().count('<html lang="en"') == 1


def test_the_language_switch_never_redirects_to_another_site(client, tenant):
    response = client.get("/language", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_under_load_a_worker_answers_the_page_from_memory_for_a_moment(
    client, tenant, settings, django_assert_num_queries
):
    settings.STADTBOTE_MICROCACHE_S = 60
    message = publish(tenant)
    first = client.get(url(message))
    with django_assert_num_queries(0):
        again = client.get(url(message))
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
