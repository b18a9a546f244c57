from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from stadtbote.core.roles import Role
from stadtbote.tenants import keys
from stadtbote.tenants.models import ApiKey, Municipality


class Command(BaseCommand):
    help = "Manage staff API keys. `apikey create` prints the new key alone on its last line."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="issue a key")
        create.add_argument("--tenant", required=True)
        create.add_argument("--role", required=True, choices=Role.values)
        create.add_argument("--name", required=True)
        listing = sub.add_parser("list", help="list keys of a tenant")
        listing.add_argument("--tenant", required=True)
        revoke = sub.add_parser("revoke", help="revoke a key by its prefix")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "revoke":
            from django.utils import timezone

            if not ApiKey.objects.filter(prefix=options["prefix"]).update(
                revoked_at=timezone.now()
            ):
                raise CommandError(f"no key with prefix {options['prefix']!r}")
            self.stdout.write(f"revoked {options['prefix']}")
            return
        tenant = Municipality.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(
                f"no municipality {options['tenant']!r} (run `stadtbote demo` for the demo town)"
            )
        if action == "list":
            for key in ApiKey.objects.filter(tenant=tenant).order_by("created_at"):
                state = "revoked" if key.revoked_at else "active"
                self.stdout.write(f"{key.prefix}  {key.role:<10} {state:<8} {key.name}")
            return
        _, secret = keys.issue(tenant, options["role"], options["name"])
        self.stderr.write(
            f"API key for {tenant.slug} ({options['role']}); shown once, store it safely:"
        )
        self.stdout.write(secret)
