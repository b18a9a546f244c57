"""Apple's status codes and ``{"reason": ...}`` bodies, mapped to outcomes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stadtbote.delivery.channels.apns.responses import classify, reason_of

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "reason", "expected"),
    [
        (200, "", "sent"),
        (410, "Unregistered", "gone"),
        (410, "ExpiredToken", "gone"),
        (400, "BadDeviceToken", "gone"),
        (400, "DeviceTokenNotForTopic", "gone"),
        (400, "BadCollapseId", "failed"),
        (403, "InvalidProviderToken", "failed"),
        (403, "ExpiredProviderToken", "retry"),
        (413, "PayloadTooLarge", "failed"),
        (429, "TooManyRequests", "retry"),
        (429, "TooManyProviderTokenUpdates", "retry"),
        (500, "InternalServerError", "retry"),
        (503, "ServiceUnavailable", "retry"),
    ],
)
def test_each_apns_answer_maps_to_one_outcome(status: int, reason: str, expected: str) -> None:
    body = f'{{"reason":"{reason}"}}'.encode() if reason else b""
    outcome = classify(7, status, body, None, NOW)
    assert (outcome.delivery_id, outcome.status) == (7, expected)
    assert reason in outcome.reason


def test_retry_after_is_honoured_in_seconds_or_as_a_date_and_capped() -> None:
    body = b'{"reason":"TooManyRequests"}'
    assert classify(1, 429, body, "17", NOW).retry_after == 17.0
    assert classify(1, 429, body, "Tue, 01 Jan 2030 12:01:00 GMT", NOW).retry_after == 60.0
    assert classify(1, 503, body, "999999", NOW).retry_after == 3600.0
    assert classify(1, 503, body, "soon", NOW).retry_after is None


def test_a_body_that_is_not_apples_json_is_quoted_briefly() -> None:
    assert reason_of(b"<html>bad gateway</html>") == "<html>bad gateway</html>"
    assert len(reason_of(b"x" * 5000)) <= 120
