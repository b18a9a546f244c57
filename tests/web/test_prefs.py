"""The preferences form turned into a subscribers request body, and its errors into steps."""

from __future__ import annotations

import json

import pytest
from django.http import QueryDict
from django.utils import translation

from stadtbote.core.errors import InvalidInput
from stadtbote.web import prefs
from stadtbote.web.prefs import FormError, Prefs


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def form(**fields: str | list[str]) -> QueryDict:
    q = QueryDict(mutable=True)
    for name, value in fields.items():
        q.setlist(name, value if isinstance(value, list) else [value])
    return q


def refused(data: QueryDict) -> FormError:
    with pytest.raises(FormError) as info:
        prefs.from_post(data, "de")
    return info.value


def test_a_full_form_becomes_the_subscribers_request_body():
    data = form(
        district=["altstadt", "cappel", ""],
        point_lat="51.673",
        point_lon="8.367",
        point_radius="500",
        point_label="  Schule  ",
        topic=["kita", "abfall"],
        min_severity="minor",
        quiet_start="22:00",
        quiet_end=" 07:00 ",
        language="en",
        email=" ada@example.org ",
    )
    p = prefs.from_post(data, "de")
    assert p.body() == {
        "language": "en",
        "places": [
            {"area": "altstadt"},
            {"area": "cappel"},
            {"lat": 51.673, "lon": 8.367, "radius_m": 500, "label": "Schule"},
        ],
        "topics": ["kita", "abfall"],
        "min_severity": "minor",
        "quiet_hours": {"start": "22:00", "end": "07:00"},
    }
    assert p.email == "ada@example.org"
    assert prefs.push_channel(p) is None


def test_an_empty_form_field_falls_back_to_defaults():
    p = prefs.from_post(form(district="altstadt"), "de")
    assert p.body() == {
        "language": "de",
        "places": [{"area": "altstadt"}],
        "topics": [],
        "min_severity": "moderate",
        "quiet_hours": None,
    }
    assert not p.keep_push


def test_a_point_without_a_radius_gets_the_default_radius():
    p = prefs.from_post(form(point_lat="51.673", point_lon="8.345"), "de")
    assert p.point == {"lat": 51.673, "lon": 8.345, "radius_m": prefs.DEFAULT_RADIUS_M, "label": ""}


def test_decimal_commas_are_read_as_points():
    p = prefs.from_post(form(point_lat="51,673", point_lon=" 8,345 "), "de")
    assert (p.point["lat"], p.point["lon"]) == (51.673, 8.345)


def test_a_long_place_label_is_cut_to_80_characters():
    p = prefs.from_post(form(point_lat="51.6", point_lon="8.3", point_label="x" * 200), "de")
    assert p.point["label"] == "x" * 80


def test_without_a_district_or_a_point_the_citizen_is_asked_for_a_place():
    error = refused(form(topic="kita"))
    assert error.field == "places"
    assert str(error.args[0]) == "Choose at least one place."


@pytest.mark.parametrize(
    "fields",
    [
        {"point_lat": "51.6", "point_lon": "acht"},
        {"point_lat": "", "point_lon": "8.3"},
        {"point_lat": "51.6", "point_lon": "8.3", "point_radius": "250m"},
        {"point_lat": "51.6", "point_lon": "8.3", "point_radius": "2.5"},
    ],
)
def test_a_point_that_is_not_numbers_is_refused_naming_the_point(fields):
    error = refused(form(district="altstadt", **fields))
    assert error.field == "point"
    assert str(error.args[0]) == "Enter the point as numbers."


@pytest.mark.parametrize(("start", "end"), [("22:00", ""), ("", "07:00")])
def test_only_one_end_of_the_quiet_hours_is_refused(start, end):
    error = refused(form(district="altstadt", quiet_start=start, quiet_end=end))
    assert error.field == "quiet_hours"


def test_the_browsers_push_subscription_becomes_a_web_push_channel():
    subscription = {"endpoint": "https://push.example/x", "keys": {"p256dh": "p", "auth": "a"}}
    p = prefs.from_post(
        form(district="altstadt", push_subscription=json.dumps(subscription), keep_push="on"),
        "de",
    )
    assert prefs.push_channel(p) == {"type": "webpush", "subscription": subscription}
    assert p.keep_push


def test_an_unreadable_push_subscription_is_refused_naming_push():
    p = Prefs(districts=["altstadt"], push_subscription="{not json")
    with pytest.raises(FormError) as info:
        prefs.push_channel(p)
    assert info.value.field == "push"


@pytest.mark.parametrize(
    ("field", "step"),
    [
        ("places", "places"),
        ("places[2]", "places"),
        ("places[0].area", "places"),
        ("places[1].radius_m", "places"),
        ("point", "places"),
        ("topics[0]", "topics"),
        ("min_severity", "warnings"),
        ("quiet_hours", "warnings"),
        ("quiet_hours.start", "warnings"),
        ("language", "warnings"),
        ("push", "notify"),
        ("channels[0].subscription.endpoint", "notify"),
        ("channels[0].subscription.keys.p256dh", "notify"),
        ("email", "email"),
        ("", "email"),
    ],
)
def test_each_error_field_belongs_to_its_onboarding_step(field, step):
    assert prefs.step_of(field) == step


@pytest.mark.parametrize("field", ["channels[0].address", "channels[1].address"])
def test_an_e_mail_address_error_belongs_to_the_e_mail_step(field):
    assert prefs.step_of(field) == "email"


def test_the_forms_own_errors_are_shown_as_they_are():
    assert prefs.friendly(FormError("Choose at least one place.", field="places")) == (
        "Choose at least one place."
    )


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("places[0]", "Please check your places: a point must lie in or near the town."),
        ("topics[1]", "One of the chosen topics no longer exists. Please choose again."),
        ("min_severity", "Please choose a warning level."),
        ("quiet_hours.end", "Please give quiet hours as start and end time, e.g. 22:00 and 07:00."),
        ("channels[0].address", "Please check the e-mail address."),
        ("language", "Please choose a language."),
        (
            "channels[0].subscription.endpoint",
            "This browser's push service is not supported. You can use e-mail instead.",
        ),
    ],
)
def test_domain_errors_are_told_in_words_for_citizens(field, expected):
    error = InvalidInput("developer detail", field=field)
    assert prefs.friendly(error) == expected


def test_an_error_on_an_unknown_field_keeps_its_own_text():
    assert prefs.friendly(InvalidInput("something odd", field="weird")) == "something odd"
    assert prefs.friendly(InvalidInput("no field at all")) == "no field at all"
