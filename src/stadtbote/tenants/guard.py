"""Locking an account after repeated failed sign-ins (password or second factor).

Counted per account, wherever the tries come from: a rate limit per address does not stop a
botnet guessing one password. Locked accounts get the same answer as wrong passwords, so the
lock does not tell anyone that an account exists.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F

from stadtbote.tenants.models import SignInGuard

LOCK_AFTER = 5
LOCK_FOR = timedelta(minutes=15)


def is_locked(user: User, now: datetime) -> bool:
    guard = SignInGuard.objects.filter(user=user).first()
    return bool(guard and guard.locked_until and guard.locked_until > now)


def failed(user: User, now: datetime) -> bool:
    """Count one failure; returns True if the account is locked now."""
    with transaction.atomic():
        guard, _ = SignInGuard.objects.select_for_update().get_or_create(user=user)
        if guard.locked_until and guard.locked_until <= now:
            guard.failures, guard.locked_until = 0, None  # the last lock has run out
        guard.failures = F("failures") + 1
        guard.save(update_fields=["failures", "locked_until"])
        guard.refresh_from_db()
        if guard.failures >= LOCK_AFTER and not guard.locked_until:
            guard.locked_until = now + LOCK_FOR
            guard.save(update_fields=["locked_until"])
        return bool(guard.locked_until and guard.locked_until > now)


def succeeded(user: User) -> None:
    SignInGuard.objects.filter(user=user).update(failures=0, locked_until=None)
