"""Staff roles and what each may do (least privilege: a key gets only its role's actions)."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    PUBLISHER = "publisher", "Publisher"
    CASEWORKER = "caseworker", "Caseworker"
    VIEWER = "viewer", "Viewer"
    APP = "app", "Client app"


# action -> roles allowed. Kept as data so the whole policy is reviewable in one place.
PERMISSIONS: dict[str, frozenset[str]] = {
    "message.create": frozenset({"admin", "publisher"}),
    "message.publish": frozenset({"admin", "publisher"}),
    "message.approve": frozenset({"admin"}),
    "message.cancel": frozenset({"admin", "publisher"}),
    "message.read_deliveries": frozenset({"admin", "publisher", "viewer"}),
    "message.read_all": frozenset({"admin", "publisher", "viewer", "caseworker"}),
    "subscriber.create": frozenset({"app", "admin"}),
    "report.create": frozenset({"app", "admin", "caseworker"}),
    # Cases hold citizens' personal data: only those who handle them, and viewers, read them.
    "case.read": frozenset({"admin", "caseworker", "viewer"}),
    "case.handle": frozenset({"admin", "caseworker"}),
    "case.moderate": frozenset({"admin", "caseworker"}),
    "case.stats": frozenset({"admin", "caseworker", "viewer", "publisher"}),
}


def allows(role: str, action: str) -> bool:
    return role in PERMISSIONS.get(action, frozenset())
