"""Issuing and checking staff API keys.

A key looks like ``sb_<prefix>_<secret>``: the prefix finds the row, the digest of the whole key
proves it. Only the digest is stored, so a database leak does not leak usable keys.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from stadtbote.core import tokens

from .models import TOWN_ROLES, ApiKey, Municipality

TOWN_ROLE_VALUES = tuple(value for value, _ in TOWN_ROLES)

# Writing last_used_at on every call would turn reads into writes; a minute is precise enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def issue(tenant: Municipality, role: str, name: str) -> tuple[ApiKey, str]:
    if role not in TOWN_ROLE_VALUES:
        raise ValueError(f"unknown role {role!r}; use one of {', '.join(TOWN_ROLE_VALUES)}")
    prefix = tokens.new_secret(6)[:8].replace("-", "x").replace("_", "y")
    secret = f"sb_{prefix}_{tokens.new_secret(32)}"
    key = ApiKey.objects.create(
        tenant=tenant, role=role, name=name, prefix=prefix, key_hash=tokens.digest(secret)
    )
    return key, secret


def authenticate(secret: str) -> ApiKey | None:
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != "sb":
        return None
    key = ApiKey.objects.select_related("tenant").filter(prefix=parts[1]).first()
    if key is None or key.revoked_at is not None or not tokens.matches(secret, key.key_hash):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key
