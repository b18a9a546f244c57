"""The public page with the town's numbers about its 24-hour promise."""

from __future__ import annotations

from stadtbote.reports import service


def test_the_numbers_page_shows_each_category_and_month_with_the_share_in_time(client, tenant):
    case = service.create_case(
        tenant, {"category": "muell", "address": "Marktplatz 1", "description": "Sperrmüll"}
    )
    service.reply(case, "Wird morgen abgeholt.", None)
    page = client.get("/musterstadt/reports/numbers", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Unser Versprechen in Zahlen" in page
    assert "Wilder Müll" in page
    assert "100 %" in page
    assert "/api/v1/musterstadt/reports/stats.csv" in page


def test_without_reports_the_page_says_so(client, tenant):
    page = client.get("/musterstadt/reports/numbers", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No reports yet." in page
