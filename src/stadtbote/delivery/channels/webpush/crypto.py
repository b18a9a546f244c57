"""RFC 8291 message encryption (``aes128gcm``, RFC 8188), single record.

Written directly on ``cryptography`` and ``hmac`` rather than through ``http_ece``: one warning can
mean tens of thousands of encryptions, so the hot path skips its generic multi-record machinery and
enforces the single-record size limit up front with a clear error. The tests decrypt our output
with ``http_ece`` to prove the two agree.

Every call generates a fresh ephemeral ECDH key and salt. Reusing either would let anyone who
sees two messages to the same subscriber relate (and with a reused salt, break) them.
"""

from __future__ import annotations

import hmac
import os
import struct

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .keys import AUTH_SECRET_LENGTH, load_public_key, public_key_bytes

RECORD_SIZE = 4096
SALT_LENGTH = 16
# salt (16) || rs (4) || idlen (1) || keyid = our 65-byte public key
HEADER_LENGTH = SALT_LENGTH + 4 + 1 + 65
TAG_LENGTH = 16
# RFC 8291 section 4: push services need not accept more than 4096 bytes of body, which leaves
# 4096 - 86 (header) - 16 (tag) - 1 (padding delimiter) plaintext bytes.
MAX_PLAINTEXT = RECORD_SIZE - HEADER_LENGTH - TAG_LENGTH - 1  # 3993

_KEY_INFO = b"WebPush: info\x00"
_CEK_INFO = b"Content-Encoding: aes128gcm\x00\x01"
_NONCE_INFO = b"Content-Encoding: nonce\x00\x01"
_LAST_RECORD = b"\x02"
_CURVE = ec.SECP256R1()


class PayloadTooLarge(ValueError):
    """The plaintext cannot fit the single 4096-byte record push services must accept."""


class InvalidSubscriptionKeys(ValueError):
    """The subscription's ``p256dh`` or ``auth`` is malformed; resending will not help."""


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.digest(key, data, "sha256")


def encrypt(
    plaintext: bytes,
    ua_public: bytes,
    auth_secret: bytes,
    *,
    salt: bytes | None = None,
    ephemeral_key: ec.EllipticCurvePrivateKey | None = None,
) -> bytes:
    """Encrypt ``plaintext`` for the user agent key ``ua_public`` (raw 65-byte point).

    ``salt`` and ``ephemeral_key`` exist only for known-answer tests (RFC 8291 appendix A);
    production callers must leave them unset so both are fresh for every message.
    """
    if len(plaintext) > MAX_PLAINTEXT:
        raise PayloadTooLarge(
            f"payload is {len(plaintext)} bytes; at most {MAX_PLAINTEXT} fit one Web Push record"
        )
    if len(auth_secret) != AUTH_SECRET_LENGTH:
        raise InvalidSubscriptionKeys(f"auth secret must be {AUTH_SECRET_LENGTH} bytes")
    try:
        peer = load_public_key(ua_public)
    except ValueError as exc:
        raise InvalidSubscriptionKeys(f"p256dh is not a valid P-256 key: {exc}") from None

    as_key = ephemeral_key if ephemeral_key is not None else ec.generate_private_key(_CURVE)
    as_public = public_key_bytes(as_key)
    if salt is None:
        salt = os.urandom(SALT_LENGTH)
    ecdh_secret = as_key.exchange(ec.ECDH(), peer)

    # HKDF-SHA256 with one-block expands, spelled out: each Expand here needs a single HMAC.
    prk_key = _hmac(auth_secret, ecdh_secret)
    ikm = _hmac(prk_key, _KEY_INFO + ua_public + as_public + b"\x01")
    prk = _hmac(salt, ikm)
    cek = _hmac(prk, _CEK_INFO)[:16]
    nonce = _hmac(prk, _NONCE_INFO)[:12]

    ciphertext = AESGCM(cek).encrypt(nonce, plaintext + _LAST_RECORD, None)
    header = salt + struct.pack("!IB", RECORD_SIZE, len(as_public)) + as_public
    return header + ciphertext
