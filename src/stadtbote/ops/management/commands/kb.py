from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from stadtbote.assistant import kb
from stadtbote.assistant.kb_files import KbFileError, read_folder, read_synonyms
from stadtbote.assistant.models import Entry
from stadtbote.tenants.models import Municipality


class Command(BaseCommand):
    help = "The assistant's knowledge base: import a folder of Markdown pages, list entries."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser(
            "import",
            help="import DIR/**/*.md (front matter: title, url, language, tags); pages no "
            "longer there are removed; DIR/synonyms.yaml, if present, replaces the synonyms",
        )
        imp.add_argument("folder", type=Path)
        imp.add_argument("--tenant", required=True)
        listing = sub.add_parser("list", help="list the entries of a town")
        listing.add_argument("--tenant", required=True)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        tenant = Municipality.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"no municipality {options['tenant']!r}")
        if action == "list":
            for e in Entry.objects.filter(tenant=tenant).order_by("language", "title"):
                self.stdout.write(f"{e.language}  {e.origin:<8} {e.title}  <{e.url}>")
            return
        folder: Path = options["folder"]
        try:
            pages = read_folder(folder)
            synonyms_file = folder / "synonyms.yaml"
            synonyms = read_synonyms(synonyms_file) if synonyms_file.exists() else None
        except KbFileError as exc:
            raise CommandError(str(exc)) from None
        result = kb.import_pages(tenant, pages, synonyms)
        self.stdout.write(f"{tenant.slug}: {result}")
        for url in result.kept:
            self.stdout.write(f"  kept (edited by staff): {url}")
