"""The APNs provider token: an ES256 JWT (``kid`` = key id, ``iss`` = team id, ``iat``).

Apple refuses tokens older than an hour (403 ExpiredProviderToken) and new tokens more often
than every 20 minutes (429 TooManyProviderTokenUpdates), so one token is signed and reused for
``lifetime`` seconds (50 minutes by default) and replaced early only when Apple says it expired.

Channels are made per batch and per worker thread, so the token lives in a process-wide cache
keyed by team, key id and key: every channel of a process presents the same token. Worker
processes present the same token as well: it is issued at the start of the current lifetime
window and signed deterministically (RFC 6979), so two processes never make Apple see two new
tokens within 20 minutes.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

TOKEN_LIFETIME = 50 * 60
MIN_LIFETIME = 20 * 60
MAX_LIFETIME = 60 * 60


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def load_signing_key(private_key_pem: str) -> ec.EllipticCurvePrivateKey:
    """The ``AuthKey_<key id>.p8`` file Apple hands out: a PKCS#8 PEM P-256 key."""
    try:
        key = serialization.load_pem_private_key(private_key_pem.encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise ValueError(f"APNs key is not a PEM private key: {exc}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("APNs key must be an ES256 (P-256) key")
    return key


def sign_provider_token(
    key: ec.EllipticCurvePrivateKey, team_id: str, key_id: str, issued_at: int
) -> str:
    header = b64url(json.dumps({"alg": "ES256", "kid": key_id}, separators=(",", ":")).encode())
    claims = b64url(json.dumps({"iss": team_id, "iat": issued_at}, separators=(",", ":")).encode())
    signing_input = f"{header}.{claims}".encode("ascii")
    # Deterministic (RFC 6979): every process signing the same claims gets the same token.
    signature = key.sign(signing_input, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    r, s = decode_dss_signature(signature)
    return f"{header}.{claims}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


@dataclass(slots=True)
class _Entry:
    token: str | None = None
    issued_at: int = 0


_CACHE: dict[tuple[str, str, str], _Entry] = {}
_CACHE_LOCK = threading.Lock()


def clear_token_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()


class ProviderToken:
    """Hands out the current token, signing a new one only when it is ``lifetime`` old or when
    ``expired()`` is told that Apple refused it. Thread-safe; shared through the process cache."""

    def __init__(
        self,
        private_key_pem: str,
        team_id: str,
        key_id: str,
        *,
        lifetime: int = TOKEN_LIFETIME,
        clock: Callable[[], float] = time.time,
    ):
        if not team_id or not key_id:
            raise ValueError("APNs needs a team id and a key id")
        if not MIN_LIFETIME <= lifetime < MAX_LIFETIME:
            raise ValueError("token lifetime must be at least 20 minutes and under an hour")
        self._key = load_signing_key(private_key_pem)
        self.team_id = team_id
        self.key_id = key_id
        self._lifetime = lifetime
        self._clock = clock
        with _CACHE_LOCK:
            self._entry = _CACHE.setdefault((team_id, key_id, private_key_pem.strip()), _Entry())
        self.signed = 0  # how many tokens this instance signed, for tests and logs

    def current(self) -> str:
        with _CACHE_LOCK:
            entry = self._entry
            now = int(self._clock())
            # A token "from the future" means the clock went back: sign anew rather than trust it.
            age = now - entry.issued_at
            if entry.token is None or not 0 <= age < self._lifetime:
                # Issued at the start of the current lifetime window, not now: every worker
                # process then presents the very same token (the signature is deterministic),
                # and Apple never sees several new tokens within 20 minutes (429
                # TooManyProviderTokenUpdates). The token is at most one lifetime old.
                self._sign(now - now % self._lifetime)
            assert entry.token is not None
            return entry.token

    def expired(self, token: str) -> str:
        """Apple said ``token`` expired: sign a new one unless another stream already did."""
        with _CACHE_LOCK:
            if token == self._entry.token:
                self._sign(int(self._clock()))
        return self.current()

    def _sign(self, now: int) -> None:
        self._entry.token = sign_provider_token(self._key, self.team_id, self.key_id, now)
        self._entry.issued_at = now
        self.signed += 1
