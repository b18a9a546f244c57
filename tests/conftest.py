"""Fixtures shared by the suite: the demo town, keys, an API client, real push and SMTP peers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from stadtbote.ops.demo import load_demo
from stadtbote.tenants import keys
from stadtbote.tenants.models import Municipality
from tests.support.push_service import PushService
from tests.support.smtp import SmtpServer, SmtpSink

# Fixed places in the demo town (lat, lon).
ALTSTADT = (51.673, 8.345)
CAPPEL = (51.665, 8.29)
LIPPERODE = (51.69, 8.42)


@pytest.fixture
def tenant(db: None) -> Municipality:
    return load_demo(say=lambda _: None)


@pytest.fixture
def staff_token(tenant: Municipality) -> str:
    _, secret = keys.issue(tenant, "publisher", "tests")
    return secret


class Api:
    """JSON calls against /api/v1/ with an optional bearer token."""

    def __init__(self, client: Client):
        self.client = client

    def call(
        self, method: str, path: str, body: Any = None, token: str | None = None, **headers: str
    ) -> Any:
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        if token:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        fn = getattr(self.client, method.lower())
        if body is None:
            return fn(f"/api/v1/{path}", **extra)
        return fn(
            f"/api/v1/{path}", data=json.dumps(body), content_type="application/json", **extra
        )

    def get(self, path: str, **kw: Any) -> Any:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.call("POST", path, body if body is not None else {}, **kw)

    def patch(self, path: str, body: Any, **kw: Any) -> Any:
        return self.call("PATCH", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.call("DELETE", path, **kw)


@pytest.fixture
def api(client: Client) -> Api:
    return Api(client)


@pytest.fixture
def push_service(settings: Any) -> Iterator[PushService]:
    with PushService(seed=7) as service:
        settings.STADTBOTE_WEBPUSH_ALLOWED_HOSTS = (service.host_port,)
        yield service


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpSink]:
    server = SmtpServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    with server as sink:
        yield sink


def point_place(where: tuple[float, float], radius_m: int = 0, label: str = "") -> dict[str, Any]:
    return {"lat": where[0], "lon": where[1], "radius_m": radius_m, "label": label}


def push_channel(service: PushService, name: str) -> dict[str, Any]:
    endpoint, p256dh, auth = service.register(name)
    return {
        "type": "webpush",
        "subscription": {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}},
    }
