"""The Content-Security-Policy allows one outside origin: the town's own map tile server."""

from __future__ import annotations

import pytest

from stadtbote.core.middleware import CSP
from stadtbote.tenants.models import Municipality
from tests.web.support import publish

pytestmark = pytest.mark.django_db

TILES = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"


def img_src(response) -> str:
    [directive] = [
        d.strip()
        for d in response["Content-Security-Policy"].split(";")
        if d.strip().startswith("img-src")
    ]
    return directive


@pytest.fixture
def with_tiles(tenant: Municipality) -> Municipality:
    tenant.map_tile_url = TILES
    tenant.full_clean()
    tenant.save()
    return tenant


def test_a_town_with_a_tile_server_may_load_its_tiles_on_the_message_page(client, with_tiles):
    message = publish(with_tiles)
    response = client.get(f"/musterstadt/messages/{message.id}")
    assert img_src(response) == "img-src 'self' data: https://*.tiles.example.org"
    assert f'data-tiles="{TILES}"' in response.content.decode()
    # nothing else is loosened
    assert response["Content-Security-Policy"] == CSP.replace(
        "img-src 'self' data:", "img-src 'self' data: https://*.tiles.example.org"
    )


def test_a_town_with_a_tile_server_may_load_its_tiles_on_the_onboarding_page(client, with_tiles):
    response = client.get("/musterstadt/start")
    assert img_src(response) == "img-src 'self' data: https://*.tiles.example.org"


def test_a_town_without_a_tile_server_loads_images_only_from_itself(client, tenant):
    message = publish(tenant)
    for path in (f"/musterstadt/messages/{message.id}", "/musterstadt/start", "/musterstadt/"):
        response = client.get(path)
        assert response["Content-Security-Policy"] == CSP
        assert img_src(response) == "img-src 'self' data:"


def test_one_towns_tile_server_is_not_allowed_on_another_towns_pages(client, with_tiles):
    Municipality.objects.create(slug="nachbarort", name="N", center_lat=51.7, center_lon=8.5)
    assert client.get("/nachbarort/start")["Content-Security-Policy"] == CSP
