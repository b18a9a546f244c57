from __future__ import annotations

import http_ece
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from stadtbote.delivery.channels.webpush.crypto import (
    HEADER_LENGTH,
    MAX_PLAINTEXT,
    InvalidSubscriptionKeys,
    PayloadTooLarge,
    encrypt,
)
from stadtbote.delivery.channels.webpush.keys import b64url_decode, synthetic_subscription

SUB = synthetic_subscription(7, 1)
UA_PUBLIC = b64url_decode(SUB.p256dh_b64url)


def decrypt(body: bytes) -> bytes:
    return http_ece.decrypt(
        body, private_key=SUB.private_key, auth_secret=SUB.auth_secret, version="aes128gcm"
    )


def test_http_ece_decrypts_what_we_encrypt() -> None:
    plaintext = '{"title":"Straßensperrung","body":"Ab Montag gesperrt."}'.encode()
    assert decrypt(encrypt(plaintext, UA_PUBLIC, SUB.auth_secret)) == plaintext


def test_the_largest_allowed_payload_fills_exactly_one_4096_byte_record() -> None:
    plaintext = b"x" * MAX_PLAINTEXT
    body = encrypt(plaintext, UA_PUBLIC, SUB.auth_secret)
    assert MAX_PLAINTEXT == 3993
    assert len(body) == 4096
    assert decrypt(body) == plaintext


def test_a_payload_one_byte_over_the_record_limit_is_rejected_with_a_clear_error() -> None:
    with pytest.raises(PayloadTooLarge, match="3994 bytes; at most 3993"):
        encrypt(b"x" * (MAX_PLAINTEXT + 1), UA_PUBLIC, SUB.auth_secret)


def test_every_message_gets_a_fresh_ephemeral_key_and_salt() -> None:
    first = encrypt(b"same", UA_PUBLIC, SUB.auth_secret)
    second = encrypt(b"same", UA_PUBLIC, SUB.auth_secret)
    assert first[:16] != second[:16]  # salt
    assert first[21:HEADER_LENGTH] != second[21:HEADER_LENGTH]  # key id = ephemeral public key
    assert first != second
    assert decrypt(first) == decrypt(second) == b"same"


def test_the_rfc_8291_example_encrypts_to_the_published_bytes() -> None:
    # RFC 8291 appendix A.
    as_private = ec.derive_private_key(
        int.from_bytes(b64url_decode("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"), "big"),
        ec.SECP256R1(),
    )
    body = encrypt(
        b"When I grow up, I want to be a watermelon",
        b64url_decode(
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
        ),
        b64url_decode("BTBZMqHH6r4Tts7J_aSIgg"),
        salt=b64url_decode("DGv6ra1nlYgDCS1FRnbzlw"),
        ephemeral_key=as_private,
    )
    assert body == b64url_decode(
        "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6T"
        "lzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
    )


@pytest.mark.parametrize(
    ("ua_public", "auth", "problem"),
    [
        (b"\x04" + b"\x01" * 64, SUB.auth_secret, "p256dh"),
        (UA_PUBLIC[:33], SUB.auth_secret, "p256dh"),
        (UA_PUBLIC, b"short", "auth"),
    ],
)
def test_malformed_subscription_keys_are_reported_as_such(
    ua_public: bytes, auth: bytes, problem: str
) -> None:
    with pytest.raises(InvalidSubscriptionKeys, match=problem):
        encrypt(b"hello", ua_public, auth)
