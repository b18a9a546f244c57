"""Operators set up a town's warning sources in the admin; an address off the allow-list is
refused when saved, before any request is made."""

from __future__ import annotations

from stadtbote.cap.admin import WarningSourceForm


def form(tenant, **fields):
    data = {
        "tenant": tenant.pk, "kind": "dwd", "name": "DWD", "codes": '["805974028"]',
        "enabled": "on", "poll_seconds": "60", "auto_from": "moderate",
        "ignore_below": "minor", "severity_map": "{}",
        "url": "https://opendata.dwd.de/weather/alerts/cap/x.zip",
    }  # fmt: skip
    return WarningSourceForm(data={**data, **fields})


def test_a_dwd_source_on_the_allow_list_is_accepted(tenant):
    assert form(tenant).is_valid(), form(tenant).errors


def test_an_address_off_the_allow_list_is_refused(tenant):
    for url in ("https://evil.example/cap.xml", "http://opendata.dwd.de/x.zip",
                "https://user@opendata.dwd.de/x.zip", "file:///etc/passwd"):  # fmt: skip
        f = form(tenant, url=url)
        assert not f.is_valid()
        assert "url" in f.errors


def test_polling_more_often_than_every_half_minute_is_refused(tenant):
    assert "poll_seconds" in form(tenant, poll_seconds="5").errors


def test_levels_and_the_severity_map_must_be_known_values(tenant):
    assert "auto_from" in form(tenant, auto_from="loud").errors
    assert "severity_map" in form(tenant, severity_map='{"Minor": "loud"}').errors
    assert form(tenant, severity_map='{"Minor": "info"}').is_valid()


def test_a_push_source_needs_no_address(tenant):
    assert form(tenant, kind="push", url="").is_valid()
    assert "url" in form(tenant, kind="dwd", url="").errors


def test_only_known_providers_may_be_read_from_warnung_bund_de(tenant):
    assert form(tenant, kind="bund", url="https://warnung.bund.de/api31",
                providers='["mowas", "lhp"]').is_valid()  # fmt: skip
    assert "providers" in form(tenant, providers='["../admin"]').errors


def test_codes_must_be_a_list_of_plain_codes(tenant):
    assert "codes" in form(tenant, codes='"805974028"').errors  # a string, not a list
    assert "codes" in form(tenant, codes='["80597 4028"]').errors
