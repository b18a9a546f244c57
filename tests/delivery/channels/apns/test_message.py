"""The headers and payload of one APNs request (pure functions)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stadtbote.delivery.channels.apns.message import (
    DEFAULT_EXPIRATION,
    MAX_PAYLOAD,
    apns_headers,
    collapse_id,
    expiration,
    interruption_level,
    payload,
    priority,
)

from .conftest import EXPIRES, START, make_notice

NOW = datetime.fromtimestamp(START, UTC)


def test_info_is_sent_with_power_considerate_priority_and_everything_else_at_once() -> None:
    assert [priority(make_notice(severity=s)) for s in ("info", "minor", "extreme")] == [5, 10, 10]
    assert priority(make_notice(severity="no-such-level")) == 10


def test_critical_needs_both_an_extreme_warning_and_the_entitlement() -> None:
    extreme = make_notice(severity="extreme")
    assert interruption_level(extreme, critical_alerts=False) == "time-sensitive"
    assert interruption_level(extreme, critical_alerts=True) == "critical"
    assert interruption_level(make_notice(severity="moderate"), critical_alerts=True) == "active"


def test_a_raised_update_alerts_while_an_update_that_did_not_grow_is_quiet() -> None:
    raised = make_notice(
        kind="update", replaces="m1", severity="extreme", previous_severity="minor"
    )
    lowered = make_notice(
        kind="update", replaces="m1", severity="minor", previous_severity="severe"
    )
    assert interruption_level(raised, critical_alerts=False) == "time-sensitive"
    assert interruption_level(lowered, critical_alerts=False) == "passive"
    assert "sound" not in json.loads(payload(lowered))["aps"]


def test_a_collapse_id_longer_than_64_bytes_is_hashed_to_a_stable_short_one() -> None:
    long_id = "ü" * 40  # 80 bytes
    value = collapse_id(make_notice(message_id=long_id))
    assert len(value.encode()) <= 64
    assert value == collapse_id(make_notice(message_id=long_id))
    assert collapse_id(make_notice(message_id="m" * 64)) == "m" * 64


def test_expiration_is_the_notice_expiry_or_zero_once_it_passed() -> None:
    assert expiration(make_notice(), NOW) == EXPIRES
    assert expiration(make_notice(expires_at="2029-12-31T00:00:00+00:00"), NOW) == 0
    assert expiration(make_notice(expires_at=None), NOW) == int(START) + DEFAULT_EXPIRATION


def test_the_headers_carry_a_uuid_apns_id_derived_from_the_delivery_key() -> None:
    headers = apns_headers(make_notice(), "msg-0042:apns:1", "de.stadtbote.app", NOW)
    assert uuid.UUID(headers["apns-id"])
    assert headers["apns-id"] == headers["apns-id"].upper()
    assert "apns-id" not in apns_headers(make_notice(), "", "de.stadtbote.app", NOW)


def test_a_long_body_is_shortened_to_fit_four_kilobytes() -> None:
    notice = make_notice(body="Wasser " * 2000)
    data = payload(notice)
    doc = json.loads(data)
    assert len(data) <= MAX_PAYLOAD
    assert doc["aps"]["alert"]["body"].endswith("…")
    assert len(data) > MAX_PAYLOAD - 16  # shortened, not gutted
    assert doc["aps"]["alert"]["title"] == notice.title


def test_an_overlong_title_is_shortened_once_the_body_is_gone() -> None:
    doc = json.loads(payload(make_notice(title="Ä" * 5000, body="x" * 5000)))
    assert doc["aps"]["alert"]["body"] == ""
    assert doc["aps"]["alert"]["title"].endswith("…")


@settings(max_examples=40, deadline=None)
@given(title=st.text(max_size=3000), body=st.text(max_size=6000))
def test_any_notice_fits_apples_limit(title: str, body: str) -> None:
    data = payload(make_notice(title=title, body=body))
    assert len(data) <= MAX_PAYLOAD
    assert json.loads(data)["message_id"] == "msg-0042"


@pytest.mark.parametrize("severity", ["severe", "extreme"])
def test_severe_warnings_sound_and_break_through_focus(severity: str) -> None:
    aps = json.loads(payload(make_notice(severity=severity)))["aps"]
    assert (aps["sound"], aps["interruption-level"]) == ("default", "time-sensitive")
