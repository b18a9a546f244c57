"""The local push service must be a faithful peer, or the transport tests prove nothing.

These tests talk to it with pywebpush (an independent RFC 8291/8292 implementation) and with
hand-made requests, never with our own channel.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from stadtbote.delivery.channels.webpush.crypto import encrypt
from stadtbote.delivery.channels.webpush.keys import b64url_decode
from stadtbote.delivery.channels.webpush.vapid import VapidSigner
from tests.support.push_service import PushService

from .conftest import SUBJECT, fixed_vapid_pem


def pywebpush_send(service: PushService, n: int, data: dict[str, str], **claims: object) -> int:
    endpoint, p256dh, auth = service.subscription(n)
    response = webpush(
        {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}},
        data=json.dumps(data),
        vapid_private_key=Vapid.from_pem(fixed_vapid_pem().encode()),
        vapid_claims={"sub": SUBJECT, **claims},
        ttl=60,
        content_encoding="aes128gcm",
    )
    return int(response.status_code)


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def signed_request(
    service: PushService, n: int, audience_url: str
) -> tuple[str, bytes, dict[str, str]]:
    endpoint, p256dh, auth = service.subscription(n)
    from stadtbote.delivery.channels.webpush.keys import load_private_key

    signer = VapidSigner(load_private_key(fixed_vapid_pem()), SUBJECT)
    body = encrypt(b'{"title":"x"}', b64url_decode(p256dh), b64url_decode(auth))
    headers = {
        "Authorization": signer.header_for(audience_url),
        "TTL": "60",
        "Content-Encoding": "aes128gcm",
    }
    return endpoint, body, headers


def test_a_message_from_pywebpush_is_accepted_and_decrypted(push_service: PushService) -> None:
    status = pywebpush_send(push_service, 11, {"title": "Von pywebpush"})

    assert status == 201
    assert push_service.wait_for(1)
    [received] = push_service.received_for(11)
    assert received.payload == {"title": "Von pywebpush"}
    assert received.ttl == 60


def test_a_token_for_another_push_service_is_forbidden(push_service: PushService) -> None:
    with pytest.raises(WebPushException, match="403"):
        pywebpush_send(push_service, 12, {"title": "x"}, aud="https://fcm.googleapis.com")
    assert push_service.received == []


def test_a_request_without_vapid_authorization_is_unauthorized(push_service: PushService) -> None:
    endpoint, body, headers = signed_request(push_service, 13, push_service.url)
    del headers["Authorization"]

    assert post(endpoint, body, headers)[0] == 401


def test_a_tampered_token_is_unauthorized(push_service: PushService) -> None:
    endpoint, body, headers = signed_request(push_service, 13, push_service.url)
    token = headers["Authorization"]
    headers["Authorization"] = token.replace(".", ".e", 1)

    status, text = post(endpoint, body, headers)
    assert status == 401
    assert "VAPID" in text


def test_a_request_without_ttl_is_rejected(push_service: PushService) -> None:
    endpoint, body, headers = signed_request(push_service, 14, push_service.url)
    del headers["TTL"]

    assert post(endpoint, body, headers) == (400, "missing or invalid TTL header")


def test_a_body_that_does_not_decrypt_is_rejected(push_service: PushService) -> None:
    endpoint, body, headers = signed_request(push_service, 15, push_service.url)

    assert post(endpoint, body[:-1] + bytes([body[-1] ^ 1]), headers)[0] == 400
    assert push_service.received == []


def test_a_valid_hand_made_request_gets_201_with_a_location(push_service: PushService) -> None:
    endpoint, body, headers = signed_request(push_service, 16, push_service.url)

    assert post(endpoint, body, headers)[0] == 201
    assert push_service.wait_for(1, timeout=1)


def test_the_stats_endpoint_reports_counts_for_benchmarks(push_service: PushService) -> None:
    endpoint, body, headers = signed_request(push_service, 17, push_service.url)
    post(endpoint, body, headers)
    assert push_service.wait_for(1)

    with urllib.request.urlopen(f"{push_service.url}/_stats", timeout=5) as response:  # noqa: S310
        stats = json.load(response)
    assert stats["accepted"] == 1
    assert stats["requests"] == 1


def test_without_decryption_messages_are_only_counted() -> None:
    with PushService(seed=3, decrypt=False) as service:
        endpoint, body, headers = signed_request(service, 1, service.url)
        assert post(endpoint, body[:-1] + b"\x00", headers)[0] == 201  # garbage is not inspected
        assert service.wait_for(1)
        assert service.received == []
