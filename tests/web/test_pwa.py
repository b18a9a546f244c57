"""What makes the app installable: manifest, service worker, icons and the theme colour."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from stadtbote.web import icons
from stadtbote.web.release import release
from tests.web.support import text

pytestmark = pytest.mark.django_db


def png(response) -> Image.Image:
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    return image


def rgba(image: Image.Image, x: int, y: int) -> tuple[int, int, int, int]:
    r, g, b, a = image.convert("RGBA").getpixel((x, y))  # type: ignore[misc]
    return r, g, b, a


def test_the_manifest_describes_an_app_scoped_to_the_town(client, tenant):
    response = client.get("/musterstadt/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert data["name"] == tenant.name
    assert data["id"] == data["scope"] == "/musterstadt/"
    assert data["start_url"] == "/musterstadt/inbox?source=app"
    assert data["start_url"].startswith(data["scope"])
    assert data["display"] == "standalone"
    assert data["theme_color"] == tenant.theme_color
    assert len(data["short_name"]) <= 12
    sizes = {i["sizes"] for i in data["icons"] if "purpose" not in i}
    assert sizes == {"72x72", "192x192", "512x512"}
    [maskable] = [i for i in data["icons"] if i.get("purpose") == "maskable"]
    assert maskable == {
        "src": "/musterstadt/icon-512-maskable.png",
        "sizes": "512x512",
        "type": "image/png",
        "purpose": "maskable",
    }


def test_every_icon_the_manifest_names_is_a_png_of_its_size(client, tenant):
    data = json.loads(client.get("/musterstadt/manifest.webmanifest").content)
    for entry in data["icons"]:
        image = png(client.get(entry["src"]))
        assert f"{image.width}x{image.height}" == entry["sizes"]


@pytest.mark.parametrize("size", icons.SIZES)
def test_icons_are_cacheable_pngs_in_the_theme_colour(client, tenant, size):
    response = client.get(f"/musterstadt/icon-{size}.png")
    image = png(response)
    assert image.size == (size, size)
    assert "max-age" in response["Cache-Control"]
    assert response["ETag"]
    assert rgba(image, 0, 0)[3] == 0  # rounded corners are transparent
    r, g, b, _ = rgba(image, size // 10, size // 2)
    assert f"#{r:02x}{g:02x}{b:02x}" == tenant.theme_color


def test_the_maskable_icon_fills_the_whole_square(client, tenant):
    image = png(client.get("/musterstadt/icon-512-maskable.png"))
    assert image.size == (512, 512)
    assert rgba(image, 0, 0)[3] == 255


@pytest.mark.parametrize("path", ["icon-100.png", "icon-0.png", "icon-100-maskable.png"])
def test_icons_of_other_sizes_do_not_exist(client, tenant, path):
    assert client.get(f"/musterstadt/{path}").status_code == 404


def test_the_service_worker_is_never_cached_and_knows_the_release_and_the_town(client, tenant):
    response = client.get("/musterstadt/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "no-cache"
    assert response["Service-Worker-Allowed"] == "/musterstadt/"
    js = text(response)
    assert f"(release {release()})" in js
    config = json.loads(js.split("const CONFIG = ", 1)[1].split(";\n", 1)[0])
    assert config["base"] == "/musterstadt/"
    assert config["release"] == release()
    assert config["slug"] == "musterstadt"
    assert "/musterstadt/offline" in config["shell"]
    assert set(config["labels"]) == {"de", "en"}


def test_a_town_name_cannot_end_the_service_workers_comment(client, tenant):
    tenant.name = "Nord */ Süd"
    tenant.save()
    js = text(client.get("/musterstadt/sw.js"))
    assert js.index("*/") > js.index("(release ")


def test_the_theme_stylesheet_carries_the_towns_colour(client, tenant):
    tenant.theme_color = "#005a9c"
    tenant.save()
    response = client.get("/musterstadt/theme.css")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/css; charset=utf-8"
    assert "--theme: #005a9c;" in text(response)
    assert json.loads(client.get("/musterstadt/manifest.webmanifest").content)["theme_color"] == (
        "#005a9c"
    )
    assert '<meta name="theme-color" content="#005a9c">' in text(client.get("/musterstadt/"))


def test_the_offline_page_links_to_the_inbox(client, tenant):
    response = client.get("/musterstadt/offline")
    assert response.status_code == 200
    assert 'href="/musterstadt/inbox"' in text(response)


@pytest.mark.parametrize(
    "path", ["manifest.webmanifest", "sw.js", "theme.css", "icon-192.png", "offline"]
)
def test_an_unknown_town_has_no_app(client, tenant, path):
    assert client.get(f"/nirgendwo/{path}").status_code == 404
