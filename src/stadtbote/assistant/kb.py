"""Keeping the knowledge base: importing a folder of pages (``stadtbote kb import``), which
creates, updates and removes what came from files, and leaves what staff wrote alone."""

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
    kept: list[str] = field(default_factory=list)  # urls staff have edited: not overwritten

    def __str__(self) -> str:
        text = (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.removed} removed"
        )
        return text + (f", {len(self.kept)} kept as edited by staff" if self.kept else "")


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
            if entry is None:
                Entry.objects.create(
                    tenant=tenant, url=page.url, origin=Origin.IMPORT, updated_at=now, **fields
                )
                result.created += 1
            elif entry.origin != Origin.IMPORT:
                result.kept.append(page.url)
            elif any(getattr(entry, k) != v for k, v in fields.items()):
                Entry.objects.filter(pk=entry.pk).update(updated_at=now, **fields)
                result.updated += 1
            else:
                result.unchanged += 1
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
