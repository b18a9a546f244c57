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
