"""OAuth 2.0 for a Google service account (RFC 7523 JWT bearer grant), on ``cryptography``.

The service account signs a one-hour RS256 assertion; the token endpoint swaps it for an access
token that FCM accepts as ``Authorization: Bearer``. Access tokens are cached until shortly before
they expire, in a small process-wide dict keyed by ``(client_email, token_url)``.

Why process-wide and not only per channel: the registry opens a fresh channel for every batch, so
a per-instance cache alone would cost one token round trip per batch. The dict holds plain
strings (no clients, sessions or event loops, nothing is created at import time) and a
``threading.Lock`` guards it because delivery workers run in threads. The lock is never held
across I/O; two threads that miss at the same moment both fetch a token, which is harmless.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_LIFETIME = 3600  # Google accepts at most one hour.
# Refresh this long before the token endpoint's ``expires_in`` runs out, so a token never
# expires while a batch is in flight (capped at half the lifetime for short-lived tokens).
REFRESH_MARGIN = 300.0


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class ServiceAccount:
    """The fields of a service-account key file that the JWT grant needs."""

    client_email: str
    private_key: rsa.RSAPrivateKey
    private_key_id: str = ""

    @classmethod
    def load(cls, source: str | Mapping[str, Any]) -> ServiceAccount:
        """Parse the JSON key file Google hands out (as text or already decoded).

        Raises ``ValueError`` with a message that never contains key material.
        """
        if isinstance(source, str):
            try:
                info = json.loads(source)
            except json.JSONDecodeError:
                raise ValueError("service account must be the JSON key file") from None
        else:
            info = source
        if not isinstance(info, Mapping):
            raise ValueError("service account must be a JSON object")
        if info.get("type", "service_account") != "service_account":
            raise ValueError("service account JSON must have type 'service_account'")
        email = info.get("client_email")
        pem = info.get("private_key")
        if not isinstance(email, str) or "@" not in email:
            raise ValueError("service account JSON lacks client_email")
        if not isinstance(pem, str) or not pem.strip():
            raise ValueError("service account JSON lacks private_key")
        try:
            key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
        except (ValueError, TypeError, UnicodeEncodeError):
            raise ValueError("service account private_key is not a PEM private key") from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("service account private_key must be an RSA key (RS256)")
        key_id = info.get("private_key_id", "")
        return cls(email, key, key_id if isinstance(key_id, str) else "")


def assertion(account: ServiceAccount, token_url: str, now: int) -> str:
    """The signed JWT for the token request: RS256 over ``header.claims``."""
    header: dict[str, str] = {"alg": "RS256", "typ": "JWT"}
    if account.private_key_id:
        header["kid"] = account.private_key_id
    claims = {
        "iss": account.client_email,
        "scope": SCOPE,
        "aud": token_url,
        "iat": now,
        "exp": now + ASSERTION_LIFETIME,
    }
    signing_input = ".".join(
        b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    signature = account.private_key.sign(
        signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256()
    )
    return f"{signing_input}.{b64url(signature)}"


@dataclass(frozen=True, slots=True)
class AccessToken:
    value: str
    refresh_at: float  # clock time after which a new token is fetched


class TokenError(Exception):
    """The token endpoint did not hand out a token."""


def parse_token_response(status: int, body: bytes, now: float) -> AccessToken:
    """Read the token endpoint's answer; raise ``TokenError`` with a loggable reason."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        data = None
    if status != 200:
        if isinstance(data, dict) and isinstance(data.get("error"), str):
            detail = data["error"]
            if isinstance(data.get("error_description"), str):
                detail += f": {data['error_description']}"
            raise TokenError(f"token endpoint HTTP {status}: {detail}"[:200])
        raise TokenError(f"token endpoint HTTP {status}")
    if not isinstance(data, dict):
        raise TokenError("token endpoint answered with something other than JSON")
    token = data.get("access_token")
    expires_in = data.get("expires_in")
    if not isinstance(token, str) or not token or any(c.isspace() for c in token):
        raise TokenError("token endpoint answer has no usable access_token")
    if isinstance(expires_in, bool) or not isinstance(expires_in, int | float) or expires_in <= 0:
        raise TokenError("token endpoint answer has no positive expires_in")
    margin = min(REFRESH_MARGIN, expires_in / 2)
    return AccessToken(token, now + expires_in - margin)


_lock = threading.Lock()
_tokens: dict[tuple[str, str], AccessToken] = {}


def cached_token(key: tuple[str, str], now: float) -> AccessToken | None:
    with _lock:
        token = _tokens.get(key)
    return token if token is not None and now < token.refresh_at else None


def store_token(key: tuple[str, str], token: AccessToken) -> None:
    with _lock:
        _tokens[key] = token


def forget_token(key: tuple[str, str], value: str) -> None:
    """Drop the cached token if it is still ``value`` (a newer one stays)."""
    with _lock:
        current = _tokens.get(key)
        if current is not None and current.value == value:
            del _tokens[key]


def clear_token_cache() -> None:
    """Forget every cached access token (tests; or after rotating a service-account key)."""
    with _lock:
        _tokens.clear()
