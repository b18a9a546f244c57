"""The console's warnings page passes axe in German and English, for an admin (with the relay
rule's form) and after saving the rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from stadtbote.cap.models import Outcome, ReceivedAlert, SourceKind, WarningSource
from tests.browser.fixtures import staff_sign_in

PASSWORD = "Sirene-Probealarm-2026"


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_warnings_page_passes_axe_before_and_after_changing_a_rule(
    language, page: Page, browser_context, live_server, tenant, assert_accessible
):
    user = get_user_model().objects.get(username="admin@musterstadt.example")
    user.set_password(PASSWORD)
    user.save()
    TOTPDevice.objects.create(user=user, name="Handy", confirmed=True)
    source = WarningSource.objects.create(
        tenant=tenant, kind=SourceKind.DWD, name="Deutscher Wetterdienst",
        url="https://opendata.dwd.de/weather/alerts/cap/x.zip", failures=1, last_error="HTTP 503",
    )  # fmt: skip
    ReceivedAlert.objects.create(
        tenant=tenant, source=source, key="k", identifier="2.49.0.1.276.0.DWD.PVW.1.DEU",
        sender="CAP@dwd.de", sent=datetime(2026, 11, 27, 6, tzinfo=UTC),
        sent_text="2026-11-27T07:00:00+01:00", msg_type="Alert", status="Actual",
        severity="Minor", event="FROST", headline="Amtliche WARNUNG vor FROST",
        outcome=Outcome.IGNORED, reason="minor is below moderate",
    )  # fmt: skip
    browser_context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    staff_sign_in(page, user.username, PASSWORD, "/musterstadt/staff/warnings/")
    assert_accessible(page, f"warnings ({language})")
    page.locator(f"#auto-{source.pk}").select_option("severe")
    page.locator(f"#source-{source.pk} button[type=submit]").click()
    expect(page.locator(".flash")).to_be_visible()
    assert_accessible(page, f"warnings after saving ({language})")
