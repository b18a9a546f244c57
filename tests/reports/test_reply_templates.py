"""Reply templates: the town's frequent answers, filled from the case without letting a
template reach into Python objects."""

from __future__ import annotations

import pytest

from stadtbote.reports import templates
from stadtbote.reports.models import Category, ReplyTemplate
from tests.support import cases


@pytest.fixture
def case(tenant):
    return cases.report(tenant, address="Lange Straße 12")


def test_placeholders_are_filled_from_the_case_in_the_chosen_language(case):
    template = ReplyTemplate.objects.get(tenant=case.tenant, slug="eingegangen")
    german = templates.render(template, case, "de")
    english = templates.render(template, case, "en")
    assert "Meldung 1 (Schlagloch oder Straßenschaden)" in german
    assert "report 1 (Pothole or road damage)" in english


def test_the_due_date_is_written_the_towns_way(case):
    template = ReplyTemplate.objects.get(tenant=case.tenant, slug="eingeplant")
    assert "Lange Straße 12" in templates.render(template, case, "de")
    assert case.resolve_due.astimezone().strftime("%d.%m.%Y") in templates.render(
        template, case, "de"
    )


@pytest.mark.parametrize(
    "text",
    ["{number.__class__}", "{0}", "{", "}", "{unknown}", "{number!r}", "{town:>99999999}"],
)
def test_anything_but_a_known_placeholder_stays_as_written(text):
    assert templates.fill(text, {"number": "7", "town": "Musterstadt"}) == text


def test_templates_for_a_case_are_those_of_its_category_and_those_for_all(case):
    slugs = [t.slug for t in templates.for_case(case)]
    assert "landesstrasse" in slugs  # only for potholes
    assert "eingegangen" in slugs
    litter = Category.objects.get(tenant=case.tenant, slug="muell")
    case.category = litter
    assert "landesstrasse" not in [t.slug for t in templates.for_case(case)]


def test_inactive_templates_and_other_towns_templates_are_not_offered(case, db):
    from stadtbote.tenants.models import Municipality

    ReplyTemplate.objects.filter(slug="erledigt").update(active=False)
    other = Municipality.objects.create(slug="anders", name="Anders", center_lat=50, center_lon=8)
    ReplyTemplate.objects.create(tenant=other, slug="fremd", title={"de": "x"}, text={"de": "y"})
    slugs = [t.slug for t in templates.for_case(case)]
    assert "erledigt" not in slugs
    assert "fremd" not in slugs


@pytest.mark.parametrize(
    "text",
    ["{number.__class__}", "{0.__class__}", "{town.__init__.__globals__}", "{number[0]}", "{}"],
)
def test_a_stored_template_cannot_reach_into_python_objects(case, text):
    template = ReplyTemplate(tenant=case.tenant, slug="boese", title={"de": "x"}, text={"de": text})
    assert templates.render(template, case, "de") == text


def test_a_missing_language_falls_back_to_the_towns_language(case):
    template = ReplyTemplate(
        tenant=case.tenant, slug="nur-de", title={"de": "x"}, text={"de": "Meldung {number}"}
    )
    assert templates.render(template, case, "tr") == "Meldung 1"


def test_a_report_without_an_address_is_named_by_its_place(tenant):
    case = cases.report(tenant)
    template = ReplyTemplate(tenant=tenant, slug="ort", title={"de": "x"}, text={"de": "{address}"})
    assert templates.render(template, case, "de") == "51.67300, 8.34500"


def test_the_demo_town_has_five_templates_in_german_and_english(tenant):
    demo = ReplyTemplate.objects.filter(tenant=tenant)
    assert sorted(demo.values_list("status", flat=True)) == [
        "forwarded",
        "in_progress",
        "rejected",
        "resolved",
        "scheduled",
    ]
    for template in demo:
        assert set(template.title) == set(template.text) == {"de", "en"}


def test_loading_the_demo_again_keeps_one_of_each_and_the_towns_own_wording(tenant):
    from stadtbote.ops.demo import load_demo

    ReplyTemplate.objects.filter(tenant=tenant, slug="erledigt").update(
        text={"de": "Ist repariert.", "en": "Fixed."}
    )
    load_demo(say=lambda _: None)
    assert ReplyTemplate.objects.filter(tenant=tenant).count() == 5
    assert ReplyTemplate.objects.get(tenant=tenant, slug="erledigt").text["de"] == "Ist repariert."
