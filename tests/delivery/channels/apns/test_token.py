"""The ES256 provider token Apple expects."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from stadtbote.delivery.channels.apns.token import ProviderToken

from .conftest import KEY_ID, START, TEAM_ID, Clock, fixed_key, p8_pem


def _part(text: str) -> dict[str, object]:
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


LIFETIME = 50 * 60
WINDOW_START = int(START) - int(START) % LIFETIME  # 20 minutes before START


def test_the_token_is_an_es256_jwt_issued_at_the_start_of_its_fifty_minute_window() -> None:
    token = ProviderToken(p8_pem(), TEAM_ID, KEY_ID, clock=Clock()).current()
    header, claims, signature = token.split(".")
    assert _part(header) == {"alg": "ES256", "kid": KEY_ID}
    assert _part(claims) == {"iss": TEAM_ID, "iat": WINDOW_START}
    raw = base64.urlsafe_b64decode(signature + "==")
    fixed_key().public_key().verify(
        encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
        f"{header}.{claims}".encode(),
        ec.ECDSA(hashes.SHA256()),
    )


def test_channels_of_one_process_share_the_token_until_its_window_ends() -> None:
    clock = Clock()
    first = ProviderToken(p8_pem(), TEAM_ID, KEY_ID, clock=clock)
    second = ProviderToken(p8_pem(), TEAM_ID, KEY_ID, clock=clock)
    token = first.current()
    clock.advance(WINDOW_START + LIFETIME - START - 1)
    assert second.current() == token
    clock.advance(1)
    assert second.current() != token
    assert first.current() == second.current()


def test_worker_processes_signing_at_different_times_present_the_same_token() -> None:
    from stadtbote.delivery.channels.apns import clear_token_cache

    one = ProviderToken(p8_pem(), TEAM_ID, KEY_ID, clock=Clock(START)).current()
    clear_token_cache()  # another process: its own cache
    other = ProviderToken(p8_pem(), TEAM_ID, KEY_ID, clock=Clock(START + 17 * 60)).current()

    assert one == other  # Apple sees one token, not one per process


def test_a_refused_token_is_replaced_once_however_many_streams_report_it() -> None:
    tokens = ProviderToken(p8_pem(), TEAM_ID, KEY_ID, clock=Clock())
    old = tokens.current()
    new = tokens.expired(old)
    assert new != old
    assert tokens.expired(old) == new
    assert tokens.signed == 2


def test_a_key_that_is_not_p256_or_a_lifetime_apple_refuses_is_a_configuration_error() -> None:
    rsa_pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    with pytest.raises(ValueError, match="ES256"):
        ProviderToken(rsa_pem, TEAM_ID, KEY_ID)
    with pytest.raises(ValueError, match="PEM"):
        ProviderToken("not a key", TEAM_ID, KEY_ID)
    with pytest.raises(ValueError, match="20 minutes"):
        ProviderToken(p8_pem(), TEAM_ID, KEY_ID, lifetime=3600)
