"""Opening and handling cases: service levels on creation, the first answer, duplicates,
merging, moderation, the append-only history and the walls between towns."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from stadtbote.core.errors import InvalidInput
from stadtbote.reports import service
from stadtbote.reports.models import AppendOnly, Case, CaseEvent, Follower
from stadtbote.reports.states import CaseStatus
from stadtbote.tenants.models import Municipality
from tests.conftest import ALTSTADT

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_10 = datetime(2026, 11, 23, 10, tzinfo=BERLIN)


def report(tenant: Municipality, **extra) -> Case:
    body = {
        "category": "schlagloch",
        "lat": ALTSTADT[0],
        "lon": ALTSTADT[1],
        "description": "Tiefes Loch vor Hausnummer 12",
        "answers": {"size": "large"},
        **extra,
    }
    return service.create_case(tenant, body, now=extra.pop("now", None) or MONDAY_10)


@pytest.fixture
def other_town(db) -> Municipality:
    return Municipality.objects.create(
        slug="nachbarort", name="Nachbarort", center_lat=52.0, center_lon=9.0
    )


def test_a_report_opens_a_case_routed_to_its_department_with_both_deadlines(tenant):
    case = report(tenant, email="ada@example.org", name="Ada")
    assert (case.number, case.status, case.department.slug) == (1, "received", "tiefbau")
    assert case.first_response_due == MONDAY_10 + timedelta(hours=24)
    assert case.resolve_due.astimezone(BERLIN) == datetime(2026, 12, 7, 10, tzinfo=BERLIN)
    assert list(case.events.values_list("kind", "public")) == [("created", True)]
    assert Follower.objects.get(case=case).is_reporter


def test_numbers_count_up_per_town(tenant, other_town):
    assert [report(tenant).number for _ in range(3)] == [1, 2, 3]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"category": "gibt-es-nicht"}, "category"),
        ({"lat": None, "lon": None}, "location"),
        ({"lat": 48.1, "lon": 11.6}, "lat"),  # Munich is not Musterstadt
        ({"lat": "north"}, "lat"),
        ({"description": "x" * 5001}, "description"),
        ({"answers": {}}, "attribute[size]"),
        ({"answers": {"size": "huge"}}, "attribute[size]"),
        ({"answers": {"size": "small", "colour": "red"}}, "attribute[colour]"),
        ({"email": "not-an-address"}, "email"),
    ],
)
def test_bad_reports_are_refused_naming_the_field(tenant, extra, field):
    with pytest.raises(InvalidInput) as err:
        report(tenant, **extra)
    assert err.value.field == field
    assert not Case.objects.exists()


def test_an_address_alone_is_enough(tenant):
    case = report(tenant, lat=None, lon=None, address="Lange Straße 12")
    assert (case.lat, case.address) == (None, "Lange Straße 12")


def test_open_cases_of_the_same_category_nearby_are_offered_as_duplicates(tenant):
    near = report(tenant)
    report(tenant, lat=ALTSTADT[0] + 0.01)  # about 1 km north
    report(tenant, category="muell", answers={})
    closed = report(tenant)
    service.change_status(closed, "resolved", None)
    found = service.likely_duplicates(tenant, "schlagloch", ALTSTADT[0] + 0.0002, ALTSTADT[1])
    assert found == [near]


def test_taking_a_case_up_is_the_first_answer_and_is_recorded_once(tenant):
    case = report(tenant)
    case = service.change_status(case, "in_progress", None, text="Wir kümmern uns.")
    first = case.first_response_at
    assert first is not None
    case = service.reply(case, "Die Reparatur ist für Donnerstag geplant.", None)
    assert case.first_response_at == first
    kinds = list(case.events.values_list("kind", "old_status", "new_status"))
    assert kinds[1:] == [("status", "received", "in_progress"), ("reply", "", "")]


def test_an_internal_note_is_not_an_answer(tenant):
    case = report(tenant)
    service.add_note(case, "Bauhof informiert", None)
    case.refresh_from_db()
    assert case.first_response_at is None
    assert not case.events.get(kind="note").public


def test_a_forbidden_transition_is_refused_and_changes_nothing(tenant):
    case = report(tenant)
    with pytest.raises(InvalidInput) as err:
        service.change_status(case, "closed", None)
    assert (err.value.field, err.value.code) == ("status", "transition_refused")
    case.refresh_from_db()
    assert case.status == "received"
    assert case.events.count() == 1


def test_merging_keeps_the_followers_of_both_cases(tenant):
    original = report(tenant, email="ada@example.org")
    copy = report(tenant, email="bert@example.org")
    Follower.objects.create(case=copy, email="ada@example.org")
    merged = service.merge(copy, original, None)
    assert (merged.status, merged.duplicate_of_id) == (CaseStatus.DUPLICATE, original.pk)
    assert sorted(original.followers.values_list("email", flat=True)) == [
        "ada@example.org",
        "bert@example.org",
    ]
    assert original.events.filter(kind="merged").exists()


def test_a_case_cannot_be_merged_across_towns_or_into_itself(tenant, other_town):
    from stadtbote.reports.models import Category, Department

    dept = Department.objects.create(tenant=other_town, slug="bau", name={"de": "Bau"})
    Category.objects.create(tenant=other_town, slug="schlagloch", name={"de": "x"}, department=dept)
    foreign = service.create_case(
        other_town, {"category": "schlagloch", "address": "Hauptstraße 1"}, now=MONDAY_10
    )
    mine = report(tenant)
    with pytest.raises(InvalidInput):
        service.merge(mine, foreign, None)
    with pytest.raises(InvalidInput):
        service.merge(mine, mine, None)
    assert service.likely_duplicates(other_town, "schlagloch", ALTSTADT[0], ALTSTADT[1]) == []


def test_another_towns_categories_cannot_be_used(tenant, other_town):
    with pytest.raises(InvalidInput) as err:
        service.create_case(other_town, {"category": "schlagloch", "address": "x"})
    assert err.value.field == "category"


def test_nothing_is_public_before_moderation(tenant):
    case = report(tenant, description="Loch vor dem Haus von Familie Müller, Tel. 0170 1234567")
    assert not case.published
    service.moderate(case, "Loch in der Fahrbahn", published=True, actor=None)
    case.refresh_from_db()
    assert (case.published, case.public_description) == (True, "Loch in der Fahrbahn")
    assert case.events.filter(kind="moderated").exists()


def test_the_history_cannot_be_changed_or_deleted(tenant):
    event = CaseEvent.objects.get(case=report(tenant))
    event.text = "rewritten"
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()


def test_the_demo_town_has_categories_routed_to_departments(tenant):
    from stadtbote.reports.models import Category

    routes = dict(Category.objects.filter(tenant=tenant).values_list("slug", "department__slug"))
    assert routes["strassenlaterne"] == "stadtwerke"
    assert len(routes) >= 5
