"""Reporting a problem in Chromium: the place set on the map by keyboard, a report nearby
offered before sending, the thank-you page; the form without scripts and after an error is
accessible too."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from stadtbote.reports.models import Case
from tests.browser.support import tab_to
from tests.conftest import ALTSTADT
from tests.support import cases


@pytest.fixture
def photo_file(tmp_path: Path) -> Path:
    path = tmp_path / "loch.jpg"
    Image.new("RGB", (800, 600), (110, 80, 50)).save(path, "JPEG")
    return path


@pytest.fixture
def nearby_case(tenant) -> Case:
    return cases.report(tenant)


def test_a_citizen_reports_a_pothole_by_keyboard_and_is_offered_the_one_nearby(
    page: Page, open_page, nearby_case, photo_file, console_errors, assert_accessible
):
    open_page("/musterstadt/report")
    page.locator("#cat-schlagloch").check()
    # Only the chosen category's questions are shown.
    expect(page.locator("#questions-schlagloch")).to_be_visible()
    expect(page.locator("#questions-strassenlaterne")).to_be_hidden()
    page.locator("#q-schlagloch-size-large").check()
    # The map: focus it, centre is the town centre; "use the map centre" sets the point.
    page.locator("#point-lat").fill(str(ALTSTADT[0]))
    page.locator("#point-lon").fill(str(ALTSTADT[1]))
    page.locator("#point-lon").dispatch_event("change")
    centre = page.locator("#map-centre")
    expect(centre).to_be_visible()
    expect(page.locator("#nearby")).to_contain_text(str(nearby_case.number))
    expect(page.locator("#nearby a")).to_have_attribute(
        "href", f"/musterstadt/reports/{nearby_case.public_id}"
    )
    page.locator("#description").fill("Tiefes Loch")
    page.locator("#photos").set_input_files(str(photo_file))
    assert_accessible(page, "report form with a report nearby")
    button = page.locator("#send-report")
    tab_to(page, button)
    page.keyboard.press("Enter")
    page.wait_for_url("**/musterstadt/reports/*?new=1")
    expect(page.get_by_role("status").first).to_contain_text("2")
    assert Case.objects.count() == 2
    assert Case.objects.get(number=2).photos.count() == 1
    assert_accessible(page, "thank-you page")
    assert not console_errors, "\n".join(console_errors)


def test_the_map_centre_button_sets_the_point(page: Page, open_page, tenant):
    open_page("/musterstadt/report")
    centre = page.locator("#map-centre")
    tab_to(page, centre)
    page.keyboard.press("Enter")
    expect(page.locator("#point-status")).not_to_have_text("")
    assert page.locator("#point-lat").input_value() != ""


def test_without_scripts_the_form_and_its_errors_are_accessible(
    page: Page, open_page, tenant, assert_accessible
):
    page.route("**/static/web/*.js", lambda route: route.abort())
    page.route("**/static/leaflet/*.js", lambda route: route.abort())
    open_page("/musterstadt/report")
    expect(page.locator("#questions-schlagloch")).to_be_visible()
    assert_accessible(page, "report form without scripts")
    page.locator("#send-report").click()
    expect(page.locator("#error-summary")).to_contain_text("was Sie melden möchten")
    assert_accessible(page, "report form with errors")
