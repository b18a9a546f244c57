"""The town's broadcast accounts against local Mastodon, Telegram, Matrix and webhook servers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from stadtbote.broadcast.models import BroadcastAccount
from stadtbote.tenants.models import Municipality
from tests.support.apprise_server import AppriseHook
from tests.support.mastodon_server import MastodonServer
from tests.support.matrix_server import MatrixServer
from tests.support.telegram_server import TelegramServer

MASTODON_TOKEN = "mastodon-token-musterstadt"
TELEGRAM_TOKEN = "123456789:AAH-musterstadt-bot-token"
MATRIX_TOKEN = "syt_bXVzdGVyc3RhZHQ_access"
ROOM = "!town:example.org"

NEWS = {
    "title": {"de": "Vollsperrung Lange Straße", "en": "Lange Straße closed"},
    "body": {"de": "Bis Freitag gesperrt.", "en": "Closed until Friday."},
    "severity": "moderate",
    "topics": ["strassensperrungen"],
    "area": {"areas": ["altstadt"]},
}


@dataclass
class Peers:
    mastodon: MastodonServer
    telegram: TelegramServer
    matrix: MatrixServer
    hook: AppriseHook


@pytest.fixture
def peers(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Peers]:
    with (
        MastodonServer(MASTODON_TOKEN) as mastodon,
        TelegramServer(TELEGRAM_TOKEN, channel="@musterstadt") as telegram,
        MatrixServer(MATRIX_TOKEN, room_id=ROOM) as matrix,
        AppriseHook() as hook,
    ):
        settings.STADTBOTE_BROADCAST_ALLOWED_HOSTS = (
            "api.telegram.org",
            mastodon.host_port,
            telegram.host_port,
            matrix.host_port,
            hook.host_port,
        )
        settings.STADTBOTE_TELEGRAM_API = telegram.url
        monkeypatch.setenv("MUSTERSTADT_MASTODON_TOKEN", MASTODON_TOKEN)
        monkeypatch.setenv("MUSTERSTADT_TELEGRAM_TOKEN", TELEGRAM_TOKEN)
        monkeypatch.setenv("MUSTERSTADT_MATRIX_TOKEN", MATRIX_TOKEN)
        monkeypatch.setenv("MUSTERSTADT_APPRISE_URL", f"json://{hook.host_port}/stadtbote")
        yield Peers(mastodon, telegram, matrix, hook)


def add_account(tenant: Municipality, peers: Peers, kind: str, **fields: Any) -> BroadcastAccount:
    defaults: dict[str, dict[str, str]] = {
        "mastodon": {"target": peers.mastodon.url, "secret_env": "MUSTERSTADT_MASTODON_TOKEN"},
        "telegram": {"target": "@musterstadt", "secret_env": "MUSTERSTADT_TELEGRAM_TOKEN"},
        "matrix": {
            "target": peers.matrix.url,
            "room": ROOM,
            "secret_env": "MUSTERSTADT_MATRIX_TOKEN",
        },
        "apprise": {"secret_env": "MUSTERSTADT_APPRISE_URL"},
    }
    topics = fields.pop("topics", [])
    account = BroadcastAccount.objects.create(
        tenant=tenant, kind=kind, **({"name": f"{tenant.slug} {kind}"} | defaults[kind] | fields)
    )
    if topics:
        account.topics.set(topics)
    return account
