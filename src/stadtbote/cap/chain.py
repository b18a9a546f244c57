"""The versions of one warning: an Alert, its Updates and its Cancel arrive as separate CAP
documents chained by ``references``; here they meet again as the town's messages.

``find`` locks the chain's first message, so two workers relaying an Update and a Cancel of the
same warning (or two Updates) take turns, and the second sees what the first did.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from stadtbote.cap.alert import Alert
from stadtbote.cap.models import ReceivedAlert
from stadtbote.messages.models import Message, MessageStatus
from stadtbote.messages.service import MAX_VERSIONS, earlier_versions
from stadtbote.tenants.models import Municipality

MAX_KEY = 300  # ReceivedAlert.key
# warnung.bund.de prefixes the identifiers of what it relays; without them, a DWD warning polled
# there and at the DWD is recognised as one.
PORTAL_PREFIXES = ("dwdmap.", "dwd.", "mow.", "kat.", "biw.", "lhp.", "pol.")
# The DWD ends its identifiers with the document's language: ".DEU" at the DWD, ".MUL" at
# warnung.bund.de, ".ENG" in its English feed. Without it, one warning is one key.
DWD_LANGUAGE_SUFFIXES = (".DEU", ".MUL", ".ENG")
LOOK_BACK = timedelta(days=30)  # how far back a newer version is looked for
LIVE = (MessageStatus.PUBLISHED, MessageStatus.SCHEDULED)


@dataclass
class Chain:
    versions: list[Message] = field(default_factory=list)  # oldest first

    @property
    def live(self) -> Message | None:
        """The newest version citizens have (or will have at its time)."""
        return next((m for m in reversed(self.versions) if m.status in LIVE), None)

    @property
    def drafts(self) -> list[Message]:
        """Versions held for a publisher, never sent."""
        return [m for m in self.versions if m.status == MessageStatus.DRAFT]

    @property
    def ended(self) -> bool:
        """Sent once, withdrawn since: an update now would be a new alarm after the all-clear."""
        return self.live is None and any(m.published_at for m in self.versions)


def alert_key(identifier: str) -> str:
    """One warning, one key, whichever portal relayed it."""
    for prefix in PORTAL_PREFIXES:
        if identifier.startswith(prefix):
            identifier = identifier[len(prefix) :]
            break
    if ".DWD." in identifier and identifier.endswith(DWD_LANGUAGE_SUFFIXES):
        identifier = identifier[:-4]
    if len(identifier) > MAX_KEY:  # CAP sets no limit; the column does
        digest = hashlib.sha256(identifier.encode()).hexdigest()
        identifier = f"{identifier[: MAX_KEY - 65]}#{digest}"
    return identifier


def sender_domain(sender: str) -> str:
    """Warnings are matched by the sender's domain: the DWD signs as CAP@dwd.de in its own feed
    and as opendata@dwd.de through warnung.bund.de."""
    return sender.rpartition("@")[2].lower()


def find(tenant: Municipality, alert: Alert) -> Chain:
    """The messages of the warnings ``alert`` refers to, with all their versions, the first one
    locked."""
    if not alert.references:
        return Chain()
    # Only the sender of a warning may update or cancel it: a reference must name the warning
    # as received, and come from the same sender (by domain).
    own = sender_domain(alert.sender)
    wanted = {
        (alert_key(r.identifier), own) for r in alert.references if sender_domain(r.sender) == own
    }
    rows = ReceivedAlert.objects.filter(
        tenant=tenant, key__in={key for key, _ in wanted}, message__isnull=False
    ).values_list("key", "sender", "message_id")
    ids = [m for key, sender, m in rows if (key, sender_domain(sender)) in wanted]
    if not ids:
        return Chain()
    root_id = ([ids[0], *earlier_versions(ids[0])])[-1]
    # Locked until the relay's transaction ends: concurrent versions of this warning queue.
    root = Message.objects.select_for_update().filter(pk=root_id).first()
    if root is None:
        return Chain()
    versions, frontier = [root], [root.pk]
    while frontier and len(versions) < MAX_VERSIONS:
        newer = list(
            Message.objects.filter(replaces_id__in=frontier)
            .exclude(pk__in=[m.pk for m in versions])
            .order_by("created_at")
        )
        versions += newer
        frontier = [m.pk for m in newer]
    versions.sort(key=lambda m: m.created_at)
    return Chain(versions[:MAX_VERSIONS])


def superseded(tenant: Municipality, key: str, now: datetime) -> bool:
    """Whether a later version (an Update or a Cancel that refers to this alert) arrived
    first: sources lag differently, and the older news must not undo the newer."""
    recent = ReceivedAlert.objects.filter(tenant=tenant, received_at__gte=now - LOOK_BACK)
    for references in recent.exclude(references=[]).values_list("references", flat=True):
        for entry in references:
            if len(entry) == 3 and alert_key(str(entry[1])) == key:
                return True
    return False
