from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from stadtbote.ops.demo import add_demo_messages, add_synthetic_subscribers, load_demo


class Command(BaseCommand):
    help = "Load the demo municipality (idempotent); optionally add synthetic subscribers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--subscribers", type=int, default=0, help="add N synthetic subscribers"
        )
        parser.add_argument(
            "--push-endpoint", default=None, help="base URL; subscriber n gets URL/<n>"
        )
        parser.add_argument(
            "--no-messages", action="store_true", help="do not publish the sample messages"
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="seed for places, topics and push keys"
        )

    def handle(
        self,
        *args: Any,
        subscribers: int,
        push_endpoint: str | None,
        seed: int,
        no_messages: bool,
        **options: Any,
    ) -> None:
        if subscribers < 0:
            raise CommandError("--subscribers must be 0 or more")
        if push_endpoint and not push_endpoint.startswith(("http://", "https://")):
            raise CommandError("--push-endpoint must be an http(s) URL")
        say = self.stdout.write
        tenant = load_demo(say)
        if not no_messages and not subscribers:
            add_demo_messages(tenant, say)
        if subscribers:
            if push_endpoint:
                host = push_endpoint.split("://", 1)[1].split("/", 1)[0].lower()
                if host not in settings.STADTBOTE_WEBPUSH_ALLOWED_HOSTS:
                    say(
                        self.style.WARNING(
                            f"Note: {host} is not in STADTBOTE_WEBPUSH_ALLOWED_HOSTS; pushes to it will be refused."
                        )
                    )
            add_synthetic_subscribers(tenant, subscribers, push_endpoint, seed, say)
