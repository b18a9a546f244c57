"""Keeping the knowledge base: importing a folder of pages (``stadtbote kb import``), which
creates, updates and removes what came from files, and leaves everything else alone: entries
staff wrote or made from an answer in the console (assistant/entries.py) and those derived
from messages, categories and contacts are never changed or removed by an import. A file whose
url such an entry already has is skipped and named in the result."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from stadtbote.assistant.kb_files import Page
from stadtbote.assistant.models import Entry, Origin, Synonym
from stadtbote.tenants.models import Municipality


@dataclass
class Imported:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    # Files skipped because an entry not from files has their url (it is kept as it is).
    kept: list[str] = field(default_factory=list)
    kept_origins: dict[str, str] = field(default_factory=dict)  # url -> that entry's origin

    def __str__(self) -> str:
        text = (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.removed} removed"
        )
        if not self.kept:
            return text
        owners = sorted(set(self.kept_origins.values()))
        return text + (
            f", {len(self.kept)} skipped as their url is taken "
            f"({', '.join(ORIGIN_WORDS.get(o, o) for o in owners)}); change the file's url "
            "or that entry"
        )


# /{town}/info/{id} is where entries staff write are published (entries.own_url): a file
# cannot take such a path, or a later entry of the console could not have its own page.
RESERVED = "reserved"

# How the command's output names the owners of a url an imported file cannot take.
ORIGIN_WORDS = {
    RESERVED: "the path of the console's own entry pages",
    Origin.STAFF: "written by staff",
    Origin.ANSWER: "made from an answer",
    Origin.MESSAGE: "derived from a message",
    Origin.CATEGORY: "derived from a category",
    Origin.CONTACT: "derived from contacts",
}


def import_pages(
    tenant: Municipality, pages: list[Page], synonyms: dict[str, list[str]] | None = None
) -> Imported:
    """Make the town's imported pages exactly ``pages``; ``synonyms``, if given, replace the
    town's synonyms. All or nothing."""
    result = Imported()
    now = timezone.now()
    with transaction.atomic():
        existing = {e.url: e for e in Entry.objects.filter(tenant=tenant)}
        for page in pages:
            fields = {
                "title": page.title,
                "body": page.body,
                "language": page.language,
                "tags": page.tags,
                "translation_of": page.translation_of,
            }
            entry = existing.get(page.url)
            if page.url.startswith(f"/{tenant.slug}/info/"):
                result.kept.append(page.url)
                result.kept_origins[page.url] = RESERVED
            elif entry is None:
                Entry.objects.create(
                    tenant=tenant, url=page.url, origin=Origin.IMPORT, updated_at=now, **fields
                )
                result.created += 1
            elif entry.origin != Origin.IMPORT:
                # Never overwritten: staff's own entries, answers and derived entries.
                result.kept.append(page.url)
                result.kept_origins[page.url] = entry.origin
            elif any(getattr(entry, k) != v for k, v in fields.items()):
                Entry.objects.filter(pk=entry.pk).update(updated_at=now, **fields)
                result.updated += 1
            else:
                result.unchanged += 1
        # Only what came from files goes when its file is gone.
        gone = Entry.objects.filter(tenant=tenant, origin=Origin.IMPORT).exclude(
            url__in=[p.url for p in pages]
        )
        result.removed, _ = gone.delete()
        if synonyms is not None:
            Synonym.objects.filter(tenant=tenant).delete()
            Synonym.objects.bulk_create(
                Synonym(tenant=tenant, term=term, expansions=expansions)
                for term, expansions in synonyms.items()
            )
    return result
