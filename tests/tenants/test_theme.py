"""A municipality's look is checked before it is saved: readable colour, safe tile template."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from stadtbote.tenants.models import Municipality


def town(**fields) -> Municipality:
    return Municipality(slug="t", name="T", center_lat=51.0, center_lon=8.0, **fields)


def errors_of(m: Municipality) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as info:
        m.clean()
    return info.value.message_dict


def test_the_default_look_is_valid():
    town().clean()
    town(
        theme_color="#005a9c", map_tile_url="https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    ).clean()


@pytest.mark.parametrize("bad", ["#ffff00", "#777777", "blue", "#12345", ""])
def test_a_theme_colour_white_text_cannot_be_read_on_is_refused(bad):
    assert set(errors_of(town(theme_color=bad))) == {"theme_color"}


def test_an_unsafe_tile_template_is_refused():
    errors = errors_of(town(map_tile_url="http://tiles.example.org/{z}/{x}/{y}.png"))
    assert set(errors) == {"map_tile_url"}


def test_both_problems_are_reported_together():
    errors = errors_of(town(theme_color="#ffffff", map_tile_url="https://x.example.org/"))
    assert set(errors) == {"theme_color", "map_tile_url"}


def test_the_tile_origin_is_none_without_a_template():
    assert town().tile_origin is None
    assert town(map_tile_url="https://{s}.t.example.org/{z}/{x}/{y}.png").tile_origin == (
        "https://*.t.example.org"
    )


def test_a_town_cannot_take_a_name_the_installation_uses_for_its_own_paths():
    from django.core.exceptions import ValidationError

    from stadtbote.tenants.models import Municipality

    town = Municipality(slug="open311", name="X", center_lat=51, center_lon=8)
    with pytest.raises(ValidationError) as err:
        town.clean()
    assert "slug" in err.value.message_dict
