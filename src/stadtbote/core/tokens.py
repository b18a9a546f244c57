"""Secrets handed to clients (API keys, subscriber tokens, confirmation links).

Only a SHA-256 digest is stored. The secrets are 256-bit random, so a plain digest is enough:
there is nothing to brute-force, and lookups stay a single indexed equality.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(secret: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_digest)


def address_key(kind: str, address: str) -> str:
    """Idempotency key of a channel address: the same address never gets a message twice."""
    return hashlib.sha256(f"{kind}:{normalise_address(kind, address)}".encode()).hexdigest()


def normalise_address(kind: str, address: str) -> str:
    address = address.strip()
    if kind == "email":
        local, _, domain = address.rpartition("@")
        return f"{local}@{domain.lower()}"
    return address
