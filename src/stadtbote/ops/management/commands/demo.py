from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from stadtbote.ops.demo import (
    MAX_SMS_SUBSCRIBERS,
    add_demo_messages,
    add_synthetic_subscribers,
    load_demo,
    parse_channel_mix,
)


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
        parser.add_argument(
            "--channel-mix",
            default=None,
            help="one channel per synthetic subscriber in these proportions, e.g. "
            "webpush=40,fcm=25,apns=20,email=15,sms=10 (default: Web Push if --push-endpoint); "
            "SMS numbers are +49151<seed % 100><n, six digits>",
        )
        parser.add_argument(
            "--email-domain",
            default="bench.example.org",
            help="domain of the synthetic e-mail addresses (buerger<n>@DOMAIN)",
        )

    def handle(
        self,
        *args: Any,
        subscribers: int,
        push_endpoint: str | None,
        seed: int,
        no_messages: bool,
        channel_mix: str | None = None,
        email_domain: str = "bench.example.org",
        **options: Any,
    ) -> None:
        if subscribers < 0:
            raise CommandError("--subscribers must be 0 or more")
        try:
            mix = parse_channel_mix(channel_mix) if channel_mix else None
        except ValueError as exc:
            raise CommandError(f"--channel-mix: {exc}") from None
        if mix and mix.get("webpush") and not push_endpoint:
            raise CommandError("--channel-mix with webpush needs --push-endpoint")
        if mix and mix.get("sms") and subscribers > MAX_SMS_SUBSCRIBERS:
            raise CommandError(
                f"--channel-mix with sms: at most {MAX_SMS_SUBSCRIBERS:,} synthetic subscribers"
            )
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
            add_synthetic_subscribers(
                tenant, subscribers, push_endpoint, seed, say, mix, email_domain
            )
