"""Short links to a message's page, for SMS where every character counts.

``/{town}/s/1a2b3c4d`` is the first 32 bits of the message's UUID: no table and no migration. A
town publishes a few thousand messages a year, so two sharing a prefix is unlikely; if they do,
the link leads to the newer one (the older one's SMS is then weeks old).
"""

from __future__ import annotations

import re
import uuid

from django.conf import settings

from stadtbote.messages.models import Message, MessageStatus
from stadtbote.tenants.models import Municipality

CODE_LENGTH = 8
_CODE = re.compile(r"[0-9a-f]{8}")


def code_of(message_id: uuid.UUID | str) -> str:
    return uuid.UUID(str(message_id)).hex[:CODE_LENGTH]


def short_url(tenant_slug: str, message_id: uuid.UUID | str) -> str:
    return f"{settings.PUBLIC_URL}/{tenant_slug}/s/{code_of(message_id)}"


def resolve(tenant: Municipality, code: str) -> Message | None:
    code = code.lower()
    if not _CODE.fullmatch(code):
        return None
    # A range of UUIDs, which both SQLite (hex text) and PostgreSQL (uuid) order by their hex.
    low = uuid.UUID(code + "0" * 24)
    high = uuid.UUID(code + "f" * 24)
    # Only what citizens may read: a draft's id must not leak through a guessed prefix.
    return (
        Message.objects.filter(
            tenant=tenant,
            id__gte=low,
            id__lte=high,
            status__in=(MessageStatus.PUBLISHED, MessageStatus.CANCELLED),
        )
        .order_by("-created_at")
        .first()
    )
