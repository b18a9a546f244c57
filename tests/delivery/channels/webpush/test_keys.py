from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from stadtbote.delivery.channels.webpush.keys import (
    b64url_decode,
    generate_vapid_keypair,
    load_private_key,
    public_key_b64url,
    synthetic_subscription,
)


def test_a_generated_vapid_keypair_is_a_p256_pem_and_its_uncompressed_public_point() -> None:
    pem, public = generate_vapid_keypair()
    key = load_private_key(pem)
    raw = b64url_decode(public)
    assert "=" not in public
    assert len(raw) == 65
    assert raw[0] == 0x04
    assert public_key_b64url(key) == public


def test_loading_a_key_on_another_curve_is_refused() -> None:
    from cryptography.hazmat.primitives import serialization

    other = ec.derive_private_key(12345, ec.SECP384R1())
    pem = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValueError, match="P-256"):
        load_private_key(pem)


def test_synthetic_subscriptions_are_deterministic_per_seed_and_number() -> None:
    first = synthetic_subscription(7, 3)
    again = synthetic_subscription(7, 3)
    assert first.p256dh_b64url == again.p256dh_b64url
    assert first.auth_b64url == again.auth_b64url
    assert public_key_b64url(first.private_key) == first.p256dh_b64url
    assert len(first.auth_secret) == 16


def test_synthetic_subscriptions_differ_between_numbers_and_seeds() -> None:
    keys = {synthetic_subscription(seed, n).p256dh_b64url for seed in (1, 2) for n in range(5)}
    auths = {synthetic_subscription(seed, n).auth_b64url for seed in (1, 2) for n in range(5)}
    assert len(keys) == len(auths) == 10


def test_base64url_decoding_accepts_padding_and_the_standard_alphabet() -> None:
    assert b64url_decode("-_8") == b64url_decode("-_8=") == b64url_decode("+/8=") == b"\xfb\xff"
