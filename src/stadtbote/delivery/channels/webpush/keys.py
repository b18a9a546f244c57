"""P-256 key material for Web Push: VAPID keys and (benchmark-only) synthetic subscriptions.

Browsers want the VAPID public key as ``applicationServerKey``: the uncompressed curve point
(65 bytes, ``0x04 || X || Y``), base64url without padding. Subscriptions hand us the same
encoding for the user agent's key (``p256dh``) plus a 16-byte ``auth`` secret.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

# Order of the P-256 group (SEC 2, secp256r1 "n").
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
AUTH_SECRET_LENGTH = 16
UNCOMPRESSED_POINT_LENGTH = 65


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url with or without padding; browsers and libraries disagree on padding."""
    text = text.strip()
    # Some clients send standard base64; accepting it costs nothing and avoids dead subscriptions.
    text = text.replace("+", "-").replace("/", "_")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_key_bytes(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> bytes:
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def public_key_b64url(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> str:
    return b64url_encode(public_key_bytes(key))


def load_public_key(raw: bytes) -> ec.EllipticCurvePublicKey:
    """Load an uncompressed P-256 point; raises ``ValueError`` if it is not on the curve."""
    if len(raw) != UNCOMPRESSED_POINT_LENGTH or raw[0] != 0x04:
        raise ValueError("expected a 65-byte uncompressed P-256 point")
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)


def generate_vapid_keypair() -> tuple[str, str]:
    """Return ``(private_pem, public_key_b64url)`` for a new VAPID identity.

    The PEM is PKCS#8 so it can be stored in settings/secrets as text; the second value is what
    the browser page passes to ``pushManager.subscribe({applicationServerKey})``.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return pem, public_key_b64url(key)


def load_private_key(pem: str | bytes) -> ec.EllipticCurvePrivateKey:
    """Load a PEM private key and insist it is P-256, the only curve VAPID (ES256) allows."""
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("VAPID key must be an EC P-256 private key")
    return key


@dataclass(frozen=True, slots=True)
class SyntheticSubscription:
    """Keys a fake user agent would hold. FOR BENCHMARKS AND TESTS ONLY (see below)."""

    private_key: ec.EllipticCurvePrivateKey
    p256dh_b64url: str
    auth_b64url: str

    @property
    def auth_secret(self) -> bytes:
        return b64url_decode(self.auth_b64url)


def synthetic_subscription(seed: int, n: int) -> SyntheticSubscription:
    """Deterministic subscriber keys derived from ``(seed, n)``.

    FOR BENCHMARKS AND TESTS ONLY: anyone who knows the seed can derive the private key and read
    every message. It exists so that ``stadtbote demo --subscribers N --seed S --push-endpoint URL``
    can create subscribers ``URL/<n>`` whose messages a local push service (started with the same
    seed) can decrypt without the two processes sharing any state.
    """
    digest = hashlib.sha256(f"stadtbote-synthetic-webpush-v1:key:{seed}:{n}".encode()).digest()
    # Maps into [1, order-1]; the tiny modulo bias is irrelevant for throw-away keys.
    scalar = int.from_bytes(digest, "big") % (P256_ORDER - 1) + 1
    private_key = ec.derive_private_key(scalar, ec.SECP256R1())
    auth = hashlib.sha256(f"stadtbote-synthetic-webpush-v1:auth:{seed}:{n}".encode()).digest()
    return SyntheticSubscription(
        private_key=private_key,
        p256dh_b64url=public_key_b64url(private_key),
        auth_b64url=b64url_encode(auth[:AUTH_SECRET_LENGTH]),
    )
