"""RFC 8292 VAPID: prove to push services that requests come from the key subscribers trusted.

A VAPID token is an ES256 JWT bound to one push-service origin. Signing costs far more than a
request header lookup, so ``VapidSigner`` signs once per origin and reuses the header until it is
close to expiry; a batch of 50,000 messages to FCM needs one signature, not 50,000.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from .keys import b64url_encode, public_key_b64url

TOKEN_LIFETIME = 12 * 3600  # RFC 8292 caps ``exp`` at 24h; half leaves room for clock skew.
RESIGN_MARGIN = 3600  # A header with less validity left could expire while a batch is in flight.
_HEADER_SEGMENT = b64url_encode(b'{"typ":"JWT","alg":"ES256"}')


def origin_of(url: str) -> str:
    """The JWT ``aud``: ``scheme://host[:port]`` of the endpoint, port only when not default."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port
    if port is None or (scheme, port) in {("https", 443), ("http", 80)}:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def check_subject(subject: str) -> None:
    """RFC 8292 section 2.1: ``sub`` is a contact URI, ``mailto:`` or ``https:``."""
    if not (subject.startswith("mailto:") and len(subject) > 7) and not subject.startswith(
        "https://"
    ):
        raise ValueError(f"VAPID subject must be a mailto: or https:// URI, got {subject!r}")


def sign_jwt(private_key: ec.EllipticCurvePrivateKey, claims: dict[str, object]) -> str:
    """Compact ES256 JWT. JWS wants the raw ``r || s`` (64 bytes), not the DER that
    ``cryptography`` returns, so the signature is re-encoded."""
    payload = b64url_encode(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{_HEADER_SEGMENT}.{payload}".encode("ascii")
    der = private_key.sign(signing_input, ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return f"{_HEADER_SEGMENT}.{payload}.{b64url_encode(signature)}"


def vapid_header(
    private_key: ec.EllipticCurvePrivateKey, audience: str, subject: str, expires: int
) -> str:
    token = sign_jwt(private_key, {"aud": audience, "exp": expires, "sub": subject})
    return f"vapid t={token}, k={public_key_b64url(private_key)}"


@dataclass(slots=True)
class _Cached:
    header: str
    expires: int


class VapidSigner:
    """Hands out ``Authorization`` headers per push-service origin, re-signing near expiry.

    Not thread-safe by design: a channel owns one signer and uses it from its own event loop.
    """

    def __init__(
        self,
        private_key: ec.EllipticCurvePrivateKey,
        subject: str,
        *,
        clock: Callable[[], float] = time.time,
        lifetime: int = TOKEN_LIFETIME,
        resign_margin: int = RESIGN_MARGIN,
    ):
        check_subject(subject)
        if not 0 < resign_margin < lifetime <= 24 * 3600:
            raise ValueError("need 0 < resign_margin < lifetime <= 24h")
        self._key = private_key
        self.subject = subject
        self.public_key = public_key_b64url(private_key)
        self._clock = clock
        self._lifetime = lifetime
        self._margin = resign_margin
        self._cache: dict[str, _Cached] = {}

    def header_for(self, endpoint: str) -> str:
        """``Authorization`` value for a request to ``endpoint`` (or to its origin)."""
        audience = origin_of(endpoint)
        now = int(self._clock())
        cached = self._cache.get(audience)
        if cached is not None and cached.expires - now > self._margin:
            return cached.header
        expires = now + self._lifetime
        header = vapid_header(self._key, audience, self.subject, expires)
        self._cache[audience] = _Cached(header, expires)
        return header
