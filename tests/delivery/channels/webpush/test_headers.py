from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stadtbote.delivery.channels.webpush.crypto import MAX_PLAINTEXT, PayloadTooLarge
from stadtbote.delivery.channels.webpush.headers import (
    DEFAULT_TTL,
    MAX_TTL,
    payload,
    push_headers,
    topic,
    ttl_seconds,
    urgency,
)

from .conftest import make_notice

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        ("extreme", "high"),
        ("severe", "high"),
        ("SEVERE", "high"),
        ("moderate", "normal"),
        ("minor", "normal"),
        ("info", "normal"),
        ("unheard-of", "normal"),
    ],
)
def test_only_severe_and_extreme_warnings_are_sent_with_high_urgency(
    severity: str, expected: str
) -> None:
    assert urgency(severity) == expected


@pytest.mark.parametrize(
    ("expires_at", "ttl"),
    [
        (None, DEFAULT_TTL),
        ("", DEFAULT_TTL),
        ("not a date", DEFAULT_TTL),
        ("2030-01-01T13:00:00+00:00", 3600),
        ("2030-01-01T14:00:00+01:00", 3600),
        ("2030-01-01T13:00:00Z", 3600),
        ("2030-01-01T13:00:00", 3600),  # naive: UTC
        ("2029-12-31T00:00:00+00:00", 0),  # already expired: deliver now or never
        ("2031-01-01T00:00:00+00:00", MAX_TTL),
    ],
)
def test_ttl_runs_until_the_notice_expires_clamped_to_28_days(
    expires_at: str | None, ttl: int
) -> None:
    assert ttl_seconds(expires_at, NOW) == ttl


def test_the_topic_is_32_url_safe_characters_stable_per_delivery_key() -> None:
    first = topic("msg-0042:webpush:17")
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", first)
    assert topic("msg-0042:webpush:17") == first
    assert topic("msg-0042:webpush:18") != first
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", topic("ü" * 500))


def test_the_headers_describe_an_aes128gcm_message() -> None:
    headers = push_headers(make_notice(expires_at="2030-01-01T18:00:00Z"), "k1", NOW)
    assert headers == {
        "TTL": "21600",
        "Urgency": "high",
        "Topic": topic("k1"),
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
    }


def test_a_withdrawal_with_the_same_delivery_key_replaces_the_original_via_its_topic() -> None:
    original = push_headers(make_notice(), "msg-0042:webpush:5", NOW)
    withdrawal = push_headers(make_notice(kind="withdrawal"), "msg-0042:webpush:5", NOW)
    assert original["Topic"] == withdrawal["Topic"]


def test_without_a_delivery_key_no_topic_is_sent() -> None:
    assert "Topic" not in push_headers(make_notice(), "", NOW)


def test_the_payload_is_compact_json_with_everything_the_service_worker_shows() -> None:
    data = payload(make_notice())
    assert b": " not in data
    assert "Straße".encode() in payload(make_notice(title="Straße"))  # UTF-8, not \\u escapes
    assert json.loads(data) == {
        "id": "msg-0042",
        "kind": "message",
        "title": "Hochwasserwarnung Rheinufer",
        "body": "Der Pegel steigt. Bitte meiden Sie die Uferwege bis Freitag.",
        "severity": "severe",
        "url": "https://musterstadt.example/m/msg-0042",
        "tenant": "musterstadt",
        "tenant_name": "Stadt Musterstadt",
        "lang": "de",
        "expires": "2030-01-02T12:00:00+00:00",
        "sent": "2030-01-01T12:00:00+00:00",
    }


def test_optional_timestamps_are_left_out_when_absent() -> None:
    doc = json.loads(payload(make_notice(expires_at=None, sent_at=None)))
    assert "expires" not in doc
    assert "sent" not in doc


def test_a_long_body_is_shortened_with_an_ellipsis_to_fit_one_record() -> None:
    body = "Überschwemmung droht. " * 400
    data = payload(make_notice(body=body))
    doc = json.loads(data)
    assert len(data) <= MAX_PLAINTEXT
    assert len(data) > MAX_PLAINTEXT - 30  # shortened no more than needed
    assert doc["body"].endswith("…")
    assert body.startswith(doc["body"][:-1])


def test_when_even_an_empty_body_does_not_fit_the_title_is_shortened() -> None:
    doc = json.loads(payload(make_notice(title="T" * 5000, body="B" * 100)))
    assert doc["body"] == "…"
    assert doc["title"].endswith("…")


def test_a_notice_whose_url_alone_is_too_large_cannot_be_sent() -> None:
    with pytest.raises(PayloadTooLarge):
        payload(make_notice(url="https://musterstadt.example/" + "x" * 4000))


@settings(derandomize=True, max_examples=60, deadline=None)
@given(body=st.text(min_size=0, max_size=6000), title=st.text(max_size=300))
def test_any_text_yields_valid_utf8_json_that_fits_one_record(body: str, title: str) -> None:
    notice = make_notice(title=title, body=body)
    data = payload(notice)
    doc = json.loads(data.decode("utf-8"))
    assert len(data) <= MAX_PLAINTEXT
    assert doc["body"] == body or (doc["body"].endswith("…") and body.startswith(doc["body"][:-1]))
