"""Staff roles and what each may do (least privilege: a key gets only its role's actions)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    ADMIN = "admin", pgettext_lazy("role", "Admin")
    PUBLISHER = "publisher", pgettext_lazy("role", "Publisher")
    CASEWORKER = "caseworker", pgettext_lazy("role", "Caseworker")
    VIEWER = "viewer", pgettext_lazy("role", "Viewer")
    APP = "app", pgettext_lazy("role", "Client app")
    # The hosting provider's staff: an admin in every town (not assignable per town).
    OPERATOR = "operator", pgettext_lazy("role", "Operator")


# action -> roles allowed. Kept as data so the whole policy is reviewable in one place.
PERMISSIONS: dict[str, frozenset[str]] = {
    "message.create": frozenset({"admin", "publisher"}),
    "message.publish": frozenset({"admin", "publisher"}),
    "message.approve": frozenset({"admin"}),
    # Staff console: a second person (never the author) releases a message held by the
    # four-eyes rule. API keys keep "message.approve" (integrations, e.g. warning relays).
    "message.approve_other": frozenset({"admin", "publisher"}),
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
    # Official warnings pushed by an integration (a county's warning system, a relay).
    "warning.push": frozenset({"admin", "publisher"}),
    # The town's warning sources and relay rules.
    "warning.manage": frozenset({"admin"}),
    "warning.read": frozenset({"admin", "publisher", "viewer"}),
    # The assistant's knowledge base: everyone in the console reads it; those who answer
    # citizens or publish keep it. The review list shows what citizens typed: keepers only.
    "kb.read": frozenset({"admin", "publisher", "caseworker", "viewer"}),
    # Writing entries changes what citizens read: see SECOND_FACTOR_ACTIONS.
    "kb.manage": frozenset({"admin", "publisher", "caseworker"}),
    # The questions citizens asked (review list): what they typed, nothing about them.
    "kb.review": frozenset({"admin", "publisher", "caseworker"}),
    "audit.read": frozenset({"admin"}),
    "staff.manage": frozenset({"admin"}),
}


# Roles that may change what citizens receive or who may act: a password alone is not enough.
SECOND_FACTOR_REQUIRED = frozenset({"admin", "publisher", "operator"})
# Actions that change what citizens read need a second factor in this session whatever the
# role: case workers keep the knowledge base (public pages, the assistant's answers), and a
# stolen password alone must not let anyone put words in the town's mouth.
SECOND_FACTOR_ACTIONS = frozenset({"kb.manage"})


def allows(role: str, action: str) -> bool:
    if role == Role.OPERATOR:
        role = Role.ADMIN
    return role in PERMISSIONS.get(action, frozenset())
