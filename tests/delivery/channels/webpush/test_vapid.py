from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from stadtbote.delivery.channels.webpush.keys import b64url_decode, load_public_key
from stadtbote.delivery.channels.webpush.vapid import VapidSigner, origin_of

from .conftest import SUBJECT, fixed_vapid_pem

KEY = ec.derive_private_key(0xC0FFEE, ec.SECP256R1())
T0 = 1_900_000_000.0


class Clock:
    def __init__(self, now: float = T0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def parse(header: str) -> tuple[dict[str, object], dict[str, object], bytes, str, bytes]:
    assert header.startswith("vapid t=")
    token_part, key_part = header[len("vapid ") :].split(", ")
    token = token_part.removeprefix("t=")
    k = key_part.removeprefix("k=")
    head, claims, signature = token.split(".")
    return (
        json.loads(b64url_decode(head)),
        json.loads(b64url_decode(claims)),
        b64url_decode(signature),
        k,
        f"{head}.{claims}".encode(),
    )


def test_the_vapid_header_carries_an_es256_jwt_that_verifies_with_the_public_key() -> None:
    signer = VapidSigner(KEY, SUBJECT, clock=Clock())
    head, claims, signature, k, signed = parse(
        signer.header_for("https://fcm.googleapis.com/fcm/send/abc")
    )
    assert head == {"typ": "JWT", "alg": "ES256"}
    assert claims == {
        "aud": "https://fcm.googleapis.com",
        "exp": int(T0) + 12 * 3600,
        "sub": SUBJECT,
    }
    assert len(signature) == 64  # raw r || s, not DER
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    load_public_key(b64url_decode(k)).verify(der, signed, ec.ECDSA(hashes.SHA256()))
    assert k == signer.public_key


@pytest.mark.parametrize(
    ("endpoint", "origin"),
    [
        ("https://fcm.googleapis.com/fcm/send/x", "https://fcm.googleapis.com"),
        ("https://FCM.googleapis.com:443/x", "https://fcm.googleapis.com"),
        ("http://127.0.0.1:8765/3", "http://127.0.0.1:8765"),
        ("https://push.example:8443/a?b", "https://push.example:8443"),
    ],
)
def test_the_audience_is_the_push_service_origin(endpoint: str, origin: str) -> None:
    assert origin_of(endpoint) == origin


def test_the_header_is_reused_while_more_than_an_hour_of_validity_remains() -> None:
    clock = Clock()
    signer = VapidSigner(KEY, SUBJECT, clock=clock)
    first = signer.header_for("https://fcm.googleapis.com/a")
    clock.now += 10 * 3600
    assert signer.header_for("https://fcm.googleapis.com/b") == first


def test_the_header_is_re_signed_when_less_than_an_hour_remains() -> None:
    clock = Clock()
    signer = VapidSigner(KEY, SUBJECT, clock=clock)
    first = signer.header_for("https://fcm.googleapis.com/a")
    clock.now += 11 * 3600 + 1
    second = signer.header_for("https://fcm.googleapis.com/a")
    assert second != first
    assert parse(second)[1]["exp"] == int(clock.now) + 12 * 3600


def test_each_push_service_origin_gets_its_own_token() -> None:
    signer = VapidSigner(KEY, SUBJECT, clock=Clock())
    fcm = signer.header_for("https://fcm.googleapis.com/a")
    mozilla = signer.header_for("https://updates.push.services.mozilla.com/wpush/v2/x")
    assert parse(fcm)[1]["aud"] == "https://fcm.googleapis.com"
    assert parse(mozilla)[1]["aud"] == "https://updates.push.services.mozilla.com"


@pytest.mark.parametrize("subject", ["ops@example.org", "mailto:", "http://example.org", ""])
def test_a_subject_that_is_not_a_mailto_or_https_uri_is_refused(subject: str) -> None:
    with pytest.raises(ValueError, match="subject"):
        VapidSigner(KEY, subject)


def test_an_https_subject_is_accepted() -> None:
    assert VapidSigner(KEY, "https://musterstadt.example/kontakt").subject.startswith("https")


def test_the_fixed_test_key_loads() -> None:
    from stadtbote.delivery.channels.webpush.keys import load_private_key

    assert load_private_key(fixed_vapid_pem()).curve.name == "secp256r1"
