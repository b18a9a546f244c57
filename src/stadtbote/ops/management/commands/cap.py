from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from stadtbote.cap import reader
from stadtbote.cap.alert import CapError
from stadtbote.cap.models import SourceKind, WarningSource
from stadtbote.cap.poll import poll
from stadtbote.cap.relay import relay
from stadtbote.tenants.models import Municipality


class Command(BaseCommand):
    help = (
        "Official warnings (CAP): poll the towns' sources now, or relay a CAP file through a "
        "town's relay rule."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        polling = sub.add_parser(
            "poll", help="poll every enabled source now (whether due or not), one after another"
        )
        polling.add_argument("--tenant", metavar="SLUG", help="only this town's sources")
        importing = sub.add_parser(
            "import", help="relay a local CAP 1.2 file by the rule of the town's push source"
        )
        importing.add_argument("file")
        importing.add_argument("--tenant", metavar="SLUG", required=True)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "poll":
            self._poll(options.get("tenant"))
        else:
            self._import(Path(options["file"]), options["tenant"])

    def _town(self, slug: str) -> Municipality:
        town = Municipality.objects.filter(slug=slug).first()
        if town is None:
            raise CommandError(f"no town {slug!r}")
        return town

    def _poll(self, slug: str | None) -> None:
        sources = (
            WarningSource.objects.filter(enabled=True)
            .exclude(kind=SourceKind.PUSH)
            .select_related("tenant")
            .order_by("tenant__slug", "name", "pk")
        )
        if slug:
            sources = sources.filter(tenant=self._town(slug))
        if not sources.exists():
            self.stdout.write("No enabled source to poll.")
            return
        for source in sources:
            report = poll(source)
            self.stdout.write(f"{source.tenant.slug}: {source.name} ({source.kind}): {report}")
            for error in report.errors:
                self.stdout.write(f"  unreadable: {error}")

    def _import(self, path: Path, slug: str) -> None:
        town = self._town(slug)
        try:
            if path.stat().st_size > reader.MAX_BYTES:
                raise CommandError(f"{path} is larger than {reader.MAX_BYTES} bytes")
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None
        try:
            alert = reader.read(data)
        except CapError as exc:
            raise CommandError(f"{path} is not usable CAP 1.2: {exc}") from None
        source = (
            WarningSource.objects.filter(tenant=town, kind=SourceKind.PUSH, enabled=True)
            .order_by("pk")
            .first()
        )
        with transaction.atomic():
            handled = relay(town, source, alert)
        again = " (received before; nothing sent)" if handled.duplicate else ""
        reason = f": {handled.reason}" if handled.reason else ""
        self.stdout.write(f"{alert.identifier}: {handled.outcome}{reason}{again}")
        if handled.message_id:
            self.stdout.write(f"message {handled.message_id}")
