"""The v1 message built from a notice, checked against the local server's schema validation."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from stadtbote.delivery.channels.fcm.message import MAX_PAYLOAD, data, fcm_message, token_problem
from tests.support.fcm_server import validate

from .conftest import make_notice

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def test_every_data_value_is_a_string_and_no_key_is_reserved_by_fcm() -> None:
    values = data(make_notice(replaces="msg-0041", previous_severity="minor"))

    assert all(isinstance(v, str) for v in values.values())
    assert validate({"message": {"token": "t", "data": values}}) is None


def test_an_expired_notice_is_delivered_now_or_never() -> None:
    message = fcm_message("t", make_notice(expires_at="2029-12-31T00:00:00+00:00"), NOW)

    assert message["message"]["android"]["ttl"] == "0s"


def test_a_notice_expiring_in_months_is_held_at_most_four_weeks() -> None:
    message = fcm_message("t", make_notice(expires_at="2030-06-01T00:00:00+00:00"), NOW)

    assert message["message"]["android"]["ttl"] == f"{28 * 86400}s"
    assert validate(message) is None


def test_a_long_body_is_shortened_to_fit_fcms_four_kilobytes() -> None:
    notice = make_notice(body="Überflutung " * 1000)

    message = fcm_message("t", notice, NOW)["message"]

    size = len(
        json.dumps(
            {"notification": message["notification"], "data": message["data"]},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
    )
    assert size <= MAX_PAYLOAD
    assert message["notification"]["body"].endswith("…")
    assert message["notification"]["title"] == notice.title
    assert validate({"message": message}) is None


def test_tokens_that_cannot_be_registration_tokens_are_named() -> None:
    assert token_problem("dev1:APA91b-abc_DEF") is None
    assert token_problem("") == "empty registration token"
    assert token_problem("a b") is not None
    assert token_problem("ä") is not None
