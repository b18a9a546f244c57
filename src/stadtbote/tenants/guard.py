"""Locking an account after repeated failed sign-ins (password or second factor).

Counted per account, wherever the tries come from: a rate limit per address does not stop a
botnet guessing one password. A locked account cannot authenticate at all (``LockingBackend``),
so the sign-in pages give it the same answer as a wrong password and nobody learns from the
lock that an account exists. Its owner learns of the lock by e-mail instead.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone, translation

from stadtbote.core.tasks import enqueue_on_commit
from stadtbote.tenants.models import SignInGuard
from stadtbote.tenants.tasks import tell_of_lock

LOCK_AFTER = 5
LOCK_FOR = timedelta(minutes=15)


def is_locked(user: User, now: datetime) -> bool:
    guard = SignInGuard.objects.filter(user=user).first()
    return bool(guard and guard.locked_until and guard.locked_until > now)


def failed(user: User, now: datetime) -> bool:
    """Count one failure; returns True if the account is locked now."""
    with transaction.atomic():
        guard, _made = SignInGuard.objects.select_for_update().get_or_create(user=user)
        if guard.locked_until and guard.locked_until <= now:
            guard.failures, guard.locked_until = 0, None  # the last lock has run out
        # The row is locked, so counting in Python loses no concurrent failure.
        guard.failures += 1
        just_locked = guard.failures >= LOCK_AFTER and not guard.locked_until
        if just_locked:
            guard.locked_until = now + LOCK_FOR
        guard.save(update_fields=["failures", "locked_until"])
        if just_locked:
            language = translation.get_language() or settings.LANGUAGE_CODE
            minutes = int(LOCK_FOR.total_seconds() // 60)
            enqueue_on_commit(tell_of_lock, user.pk, language, minutes)
        return bool(guard.locked_until and guard.locked_until > now)


def succeeded(user: User) -> None:
    SignInGuard.objects.filter(user=user).update(failures=0, locked_until=None)


class LockingBackend(ModelBackend):
    """Django's model backend, refusing accounts that are locked right now."""

    def user_can_authenticate(self, user: Any) -> bool:
        return super().user_can_authenticate(user) and not is_locked(user, timezone.now())
