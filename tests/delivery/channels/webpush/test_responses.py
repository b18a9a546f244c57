from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stadtbote.delivery.channels.base import Outcome
from stadtbote.delivery.channels.webpush.responses import classify_response, parse_retry_after

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, None),
        ("", None),
        ("120", 120.0),
        ("999999", 3600.0),  # capped
        ("Tue, 01 Jan 2030 12:00:30 GMT", 30.0),
        ("Tue, 01 Jan 2030 11:00:00 GMT", 0.0),  # in the past
        ("soon", None),
        ("-5", None),
    ],
)
def test_retry_after_is_read_as_seconds_or_http_date(
    value: str | None, seconds: float | None
) -> None:
    assert parse_retry_after(value, NOW) == seconds


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (201, "sent"),
        (202, "sent"),
        (404, "gone"),
        (410, "gone"),
        (429, "retry"),
        (500, "retry"),
        (502, "retry"),
        (503, "retry"),
        (301, "failed"),
        (400, "failed"),
        (401, "failed"),
        (403, "failed"),
        (413, "failed"),
    ],
)
def test_status_codes_map_to_outcomes(status: int, expected: str) -> None:
    assert classify_response(1, status, b"", None, NOW).status == expected


def test_a_failure_reason_has_the_status_and_a_one_line_snippet_of_the_body() -> None:
    outcome = classify_response(
        9, 400, b"UnauthorizedRegistration\n  bad\tkey " + b"x" * 500, None, NOW
    )
    assert outcome.status == "failed"
    assert outcome.reason.startswith("HTTP 400: UnauthorizedRegistration bad key x")
    assert len(outcome.reason) < 140


def test_a_413_says_the_payload_was_too_large() -> None:
    assert classify_response(2, 413, b"", None, NOW).reason == "HTTP 413 payload too large"


def test_a_503_passes_on_the_requested_retry_delay() -> None:
    assert classify_response(3, 503, b"busy", "7", NOW) == Outcome(
        3, "retry", "HTTP 503: busy", 7.0
    )
