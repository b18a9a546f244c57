"""FCM v1 answers (Google API error format) mapped to outcomes, without a network."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from stadtbote.delivery.channels.fcm.responses import classify_response, is_auth_failure
from tests.support.fcm_server import ANSWERS, BAD_REQUEST, FCM_ERROR

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def body(answer: str) -> tuple[int, bytes]:
    status, doc = ANSWERS[answer]
    return status, (doc if isinstance(doc, str) else json.dumps(doc)).encode()


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        ("unregistered", "gone"),
        ("invalid_token", "gone"),
        ("sender_id_mismatch", "gone"),
        ("quota_exceeded", "retry"),
        ("unavailable", "retry"),
        ("internal", "retry"),
        ("malformed_error", "retry"),
        ("third_party_auth", "failed"),
        ("forbidden_project", "failed"),
        ("malformed_success", "failed"),
    ],
)
def test_each_fcm_answer_maps_to_its_outcome(answer: str, status: str) -> None:
    code, text = body(answer)

    assert classify_response(1, code, text, None, NOW).status == status


def test_an_invalid_argument_about_another_field_fails_and_keeps_the_token() -> None:
    error: dict[str, Any] = {
        "error": {
            "code": 400,
            "message": "Invalid value at 'message.android.ttl' (type.googleapis.com/google.protobuf.Duration)",
            "status": "INVALID_ARGUMENT",
            "details": [
                {"@type": FCM_ERROR, "errorCode": "INVALID_ARGUMENT"},
                {"@type": BAD_REQUEST, "fieldViolations": [{"field": "message.android.ttl"}]},
            ],
        }
    }

    outcome = classify_response(1, 400, json.dumps(error).encode(), None, NOW)

    assert outcome.status == "failed"
    assert outcome.reason.startswith("HTTP 400 INVALID_ARGUMENT: Invalid value")


def test_a_bad_request_field_violation_on_the_token_means_gone() -> None:
    error = {
        "error": {
            "code": 400,
            "message": "Request contains an invalid argument.",
            "status": "INVALID_ARGUMENT",
            "details": [{"@type": BAD_REQUEST, "fieldViolations": [{"field": "message.token"}]}],
        }
    }

    assert classify_response(1, 400, json.dumps(error).encode(), None, NOW).status == "gone"


def test_a_retry_after_date_counts_from_now_and_is_capped() -> None:
    code, text = body("unavailable")

    soon = classify_response(1, code, text, "Tue, 01 Jan 2030 12:01:00 GMT", NOW)
    far = classify_response(1, code, text, "86400", NOW)

    assert soon.retry_after == 60.0
    assert far.retry_after == 3600.0


def test_only_a_401_about_our_access_token_triggers_a_refresh() -> None:
    assert is_auth_failure(*body("unauthenticated"))
    assert is_auth_failure(401, b"")
    assert not is_auth_failure(*body("third_party_auth"))
    assert not is_auth_failure(*body("unregistered"))
