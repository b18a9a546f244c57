"""The queue: the next deadline first, filters a case worker needs, a partial for htmx."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from stadtbote.reports import service
from stadtbote.reports.models import Case
from tests.staff.conftest import MONDAY_10, report


def numbers_on(page: bytes) -> list[int]:
    return [int(n) for n in re.findall(rb'id="case-link-(\d+)"', page)]


def test_open_cases_are_listed_by_the_deadline_that_comes_next(caseworker, tenant):
    older = report(tenant, when=MONDAY_10)
    newer = report(tenant, when=MONDAY_10 + timedelta(hours=2))
    answered = report(tenant, when=MONDAY_10 - timedelta(hours=5))
    service.reply(answered, "Wir schauen es uns an.", None)  # now the 10-day deadline counts
    page = caseworker.get("/musterstadt/staff/cases/").content
    assert numbers_on(page) == [older.number, newer.number, answered.number]


def test_late_cases_are_marked_in_words_not_only_in_colour(caseworker, tenant):
    report(tenant, when=timezone.now() - timedelta(days=3))
    page = caseworker.get("/musterstadt/staff/cases/").content.decode()
    assert 'class="late"' in page
    assert '<strong class="late-tag">late</strong>' in page
    assert numbers_on(caseworker.get("/musterstadt/staff/cases/?overdue=1").content) == [1]


def test_the_queue_filters_by_department_assignee_category_and_text(caseworker, tenant):
    pothole = report(tenant)
    litter = report(tenant, category="muell", address="Marktplatz", answers={})
    me = caseworker.get("/musterstadt/staff/cases/")  # warm the session
    assert me.status_code == 200
    service.assign(pothole, tenant.staff.get(role="caseworker").user, None)
    get = caseworker.get
    assert numbers_on(get("/musterstadt/staff/cases/?department=ordnungsamt").content) == [
        litter.number
    ]
    assert numbers_on(get("/musterstadt/staff/cases/?assignee=me").content) == [pothole.number]
    assert numbers_on(get("/musterstadt/staff/cases/?assignee=none").content) == [litter.number]
    assert numbers_on(get("/musterstadt/staff/cases/?category=muell").content) == [litter.number]
    assert numbers_on(get("/musterstadt/staff/cases/?q=Marktplatz").content) == [litter.number]
    assert numbers_on(get("/musterstadt/staff/cases/?q=%231").content) == [pothole.number]


def test_done_cases_are_listed_apart_newest_change_first(caseworker, tenant):
    first, second = report(tenant), report(tenant)
    service.change_status(first, "rejected", None)
    service.change_status(second, "resolved", None)
    assert numbers_on(caseworker.get("/musterstadt/staff/cases/").content) == []
    done = caseworker.get("/musterstadt/staff/cases/?state=closed").content
    assert numbers_on(done) == [second.number, first.number]
    everything = caseworker.get("/musterstadt/staff/cases/?state=all").content
    assert numbers_on(everything) == [first.number, second.number]


def test_htmx_gets_only_the_results_for_the_polling_refresh(caseworker, tenant):
    report(tenant)
    response = caseworker.get(
        "/musterstadt/staff/cases/?state=open",
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="queue-results",
    )
    body = response.content.decode()
    assert body.startswith('<div id="queue-results"')
    assert "<html" not in body
    assert 'hx-trigger="every 60s"' in body
    assert "state=open" in body


def test_nonsense_filters_fall_back_to_the_defaults(caseworker, tenant):
    report(tenant)
    response = caseworker.get("/musterstadt/staff/cases/?state=evil&assignee=x&page=-3")
    assert response.status_code == 200
    assert numbers_on(response.content) == [1]


def test_fifty_cases_fit_on_a_page_and_the_rest_follow(caseworker, tenant):
    for i in range(51):
        report(tenant, when=MONDAY_10 + timedelta(minutes=i))
    first = caseworker.get("/musterstadt/staff/cases/").content.decode()
    assert len(numbers_on(first.encode())) == 50
    assert "Page 1 of 2" in first
    assert numbers_on(caseworker.get("/musterstadt/staff/cases/?page=2").content) == [51]
    assert Case.objects.count() == 51


def test_digits_that_are_not_numbers_do_not_crash_the_queue(caseworker, tenant):
    report(tenant)
    assert caseworker.get("/musterstadt/staff/cases/?q=%C2%B2&page=%C2%B2").status_code == 200
