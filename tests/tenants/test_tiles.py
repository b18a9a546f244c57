"""Map tile templates: only https, a plain host and {z}/{x}/{y}; the origin the CSP allows."""

from __future__ import annotations

import pytest

from stadtbote.tenants import tiles

OSM = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


@pytest.mark.parametrize(
    "url",
    [
        OSM,
        "https://{s}.tile.example.org/{z}/{x}/{y}.png",
        "https://tiles.example.org:8443/styles/basic/{z}/{x}/{y}@2x.png",
        "https://tiles.example.org/{z}/{x}/{y}.png?key=abc123",
    ],
)
def test_an_https_template_with_z_x_and_y_is_valid(url):
    assert tiles.valid_template(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://tile.openstreetmap.org/{z}/{x}/{y}.png",  # not https
        "https://tile.openstreetmap.org/{x}/{y}.png",  # no {z}
        "https://tile.openstreetmap.org/{z}/{x}.png",  # no {y}
        "https://tile.openstreetmap.org/{z}/{y}.png",  # no {x}
        'https://tile.example.org/{z}/{x}/{y}.png"onerror="x',  # double quote
        "https://tile.example.org/{z}/{x}/{y}.png'",  # single quote
        "https://tile.example.org/{z}/{x}/{y}.png<script>",  # angle brackets
        "https://tile.example.org/{z}/{x}/{y}.png; script-src *",  # a space
        "https://tile.example.org\\@evil.example/{z}/{x}/{y}.png",  # backslash
        "https://user@tile.example.org/{z}/{x}/{y}.png",  # userinfo
        "https://user:secret@tile.example.org/{z}/{x}/{y}.png",  # userinfo with password
        "https:///{z}/{x}/{y}.png",  # no host
        "javascript:alert(1)//{z}/{x}/{y}",
        "",
    ],
)
def test_other_templates_are_invalid(url):
    assert not tiles.valid_template(url)
    assert tiles.origin(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://:secret@tile.example.org/{z}/{x}/{y}.png",
        "https://@tile.example.org/{z}/{x}/{y}.png",
    ],
)
def test_userinfo_without_a_user_name_is_invalid_too(url):
    assert not tiles.valid_template(url)


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        (OSM, "https://tile.openstreetmap.org"),
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
        ("https://tiles.example.org:8443/{z}/{x}/{y}.png", "https://tiles.example.org:8443"),
        ("https://tiles.example.org/{s}/{z}/{x}/{y}.png", "https://tiles.example.org"),
        ("https://Tiles.Example.org/{z}/{x}/{y}.png?key=a", "https://Tiles.Example.org"),
    ],
)
def test_the_origin_is_scheme_and_host_with_a_wildcard_for_subdomains(url, origin):
    assert tiles.origin(url) == origin


def test_a_host_that_is_only_the_subdomain_placeholder_has_no_origin():
    assert tiles.origin("https://{s}/{z}/{x}/{y}.png") is None
