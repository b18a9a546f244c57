"""Work lists and hand-overs in the domain: the next deadline, the load per department,
assigning only to the town's case workers, re-routing by category."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model

from stadtbote.core.errors import InvalidInput
from stadtbote.reports import queue, service
from stadtbote.reports.models import Category
from tests.support import cases

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_10 = datetime(2026, 11, 23, 10, tzinfo=BERLIN)


def report(tenant, when=MONDAY_10, **extra):
    return cases.report(tenant, when, **extra)


def listed(tenant, now, **filters):
    return [c.number for c in queue.queue(tenant.pk, queue.Filters(**filters), None, now)]


def test_the_next_deadline_is_the_first_answer_until_there_is_one_then_the_fix(tenant):
    case = report(tenant)
    row = queue.with_next_due(type(case).objects.filter(pk=case.pk)).get()
    assert row.next_due == case.first_response_due
    service.reply(case, "Wir kümmern uns.", None)
    row = queue.with_next_due(type(case).objects.filter(pk=case.pk)).get()
    assert row.next_due == case.resolve_due
    service.change_status(case, "resolved", None)
    assert queue.with_next_due(type(case).objects.filter(pk=case.pk)).get().next_due is None


def test_late_cases_are_found_by_their_next_deadline(tenant):
    late = report(tenant, when=MONDAY_10 - timedelta(days=2))
    report(tenant)
    assert listed(tenant, MONDAY_10 + timedelta(hours=1), overdue=True) == [late.number]


def test_the_load_per_department_counts_open_unanswered_soon_and_late(tenant):
    now = MONDAY_10 + timedelta(hours=21)
    report(tenant, when=MONDAY_10 - timedelta(days=2))  # first answer late
    report(tenant)  # due in 3 hours: soon
    answered = report(tenant, when=MONDAY_10 - timedelta(days=30))
    service.reply(answered, "Ist beauftragt.", None)  # resolve deadline passed
    done = report(tenant, category="muell")
    service.change_status(done, "resolved", None)
    loads = {x.department.slug: x for x in queue.workload(tenant.pk, now)}
    tiefbau = loads["tiefbau"]
    assert (tiefbau.open, tiefbau.unanswered, tiefbau.due_soon) == (3, 2, 1)
    assert (tiefbau.answer_overdue, tiefbau.resolve_overdue) == (1, 1)
    assert loads["ordnungsamt"].open == 0


def test_a_case_goes_only_to_a_case_worker_or_admin_of_its_own_town(tenant):
    case = report(tenant)
    worker = tenant.staff.get(role="caseworker").user
    assert service.assign(case, worker, None).assignee == worker
    stranger = get_user_model().objects.create_user("fremd@example.org")
    for person in (stranger, tenant.staff.get(role="viewer").user):
        with pytest.raises(InvalidInput) as refused:
            service.assign(case, person, None)
        assert refused.value.field == "assignee"


def test_assigning_the_same_person_again_writes_no_new_event(tenant):
    case = report(tenant)
    worker = tenant.staff.get(role="caseworker").user
    service.assign(case, worker, None)
    service.assign(case, worker, None)
    assert case.events.filter(kind="assigned").count() == 1


def test_re_routing_keeps_the_promised_deadlines(tenant):
    case = report(tenant)
    due = (case.first_response_due, case.resolve_due)
    moved = service.route(case, Category.objects.get(tenant=tenant, slug="muell"), None)
    assert moved.department.slug == "ordnungsamt"
    assert (moved.first_response_due, moved.resolve_due) == due


def test_a_category_of_another_town_is_refused(tenant, other_town_category):
    case = report(tenant)
    with pytest.raises(InvalidInput) as refused:
        service.route(case, other_town_category, None)
    assert refused.value.field == "category"


@pytest.fixture
def other_town_category(db):
    from stadtbote.reports.models import Department
    from stadtbote.tenants.models import Municipality

    town = Municipality.objects.create(
        slug="anderswo", name="Anderswo", center_lat=50, center_lon=8
    )
    dept = Department.objects.create(tenant=town, slug="bauhof", name={"de": "Bauhof"})
    return Category.objects.create(tenant=town, slug="muell", name={"de": "Müll"}, department=dept)
