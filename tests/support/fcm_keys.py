"""Deterministic Google service-account keys for the FCM tests: a key file as Google issues
it, its RSA key derived from a seed, so runs are reproducible and no key file is kept in the
repository. FOR TESTS ONLY: the seed is the key."""

from __future__ import annotations

import base64
import functools
import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_SMALL_PRIMES = [p for p in range(3, 2000) if all(p % d for d in range(2, int(p**0.5) + 1))]


def _is_probable_prime(
    n: int, bases: tuple[int, ...] = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29)
) -> bool:
    if any(n % p == 0 for p in _SMALL_PRIMES):
        return n in _SMALL_PRIMES
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in bases:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime_from(label: str, bits: int) -> int:
    """The first prime at or after a number drawn from SHA-256 of ``label`` (top two bits set,
    so the product of two has exactly ``2 * bits`` bits)."""
    stream = b"".join(
        hashlib.sha256(f"{label}:{i}".encode()).digest() for i in range(bits // 256 + 1)
    )
    n = int.from_bytes(stream, "big") >> (len(stream) * 8 - bits)
    n |= (3 << (bits - 2)) | 1
    while not _is_probable_prime(n):
        n += 2
    return n


@functools.lru_cache(maxsize=8)
def rsa_key(seed: int, bits: int = 2048) -> rsa.RSAPrivateKey:
    """A deterministic RSA key for ``seed``. FOR TESTS ONLY: the seed is the key."""
    e = 65537
    p = _prime_from(f"stadtbote-fcm-test-key:{seed}:p", bits // 2)
    q = _prime_from(f"stadtbote-fcm-test-key:{seed}:q", bits // 2)
    d = pow(e, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p=p,
        q=q,
        d=d,
        dmp1=d % (p - 1),
        dmq1=d % (q - 1),
        iqmp=pow(q, -1, p),
        public_numbers=rsa.RSAPublicNumbers(e, p * q),
    )
    return numbers.private_key()


def service_account(seed: int, project_id: str = "stadtbote-test") -> dict[str, str]:
    """A service-account key file as Google issues it, with a key derived from ``seed``."""
    pem = rsa_key(seed).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": hashlib.sha256(f"kid:{seed}".encode()).hexdigest()[:40],
        "private_key": pem.decode("ascii"),
        "client_email": f"stadtbote-{seed}@{project_id}.iam.gserviceaccount.com",
        "client_id": str(100000000000000000000 + seed),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
