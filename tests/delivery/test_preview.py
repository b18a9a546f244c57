"""The count staff see before sending is what the fan-out then does: same targeting, same
channel rules, counted instead of written."""

from __future__ import annotations

import pytest

from stadtbote.core.severity import Severity
from stadtbote.delivery import dispatch, preview
from stadtbote.delivery.models import Delivery
from stadtbote.messages import service as messages
from stadtbote.subscribers import service as subscribers
from stadtbote.subscribers.models import Channel, Subscriber
from tests.conftest import ALTSTADT, CAPPEL, LIPPERODE, point_place
from tests.support.tasks import drain

pytestmark = pytest.mark.django_db(transaction=True)


def person(tenant, where, topics, *, push: bool, email: bool, paused: bool = False) -> None:
    sub, _ = subscribers.create(tenant, {"places": [point_place(where)], "topics": topics})
    n = Subscriber.objects.count()
    if push:
        Channel.objects.create(
            tenant=tenant, subscriber=sub, type="webpush", status="confirmed",
            address=f"https://push.example/{n}", address_key=f"p{n}", p256dh="x", auth="y",
        )  # fmt: skip
    if email:
        Channel.objects.create(
            tenant=tenant, subscriber=sub, type="email", status="confirmed",
            address=f"p{n}@example.org", address_key=f"e{n}",
        )  # fmt: skip
    if paused:
        Subscriber.objects.filter(pk=sub.pk).update(paused=True)


@pytest.fixture
def town(tenant):
    person(tenant, ALTSTADT, ["strassensperrungen"], push=True, email=True)
    person(tenant, ALTSTADT, ["strassensperrungen"], push=True, email=False)
    person(tenant, ALTSTADT, ["kultur"], push=False, email=True)
    person(tenant, ALTSTADT, ["strassensperrungen"], push=True, email=True, paused=True)
    person(tenant, CAPPEL, ["strassensperrungen"], push=True, email=True)
    person(tenant, LIPPERODE, ["strassensperrungen"], push=False, email=True)
    return tenant


@pytest.mark.parametrize(
    ("severity", "topics", "area"),
    [
        ("info", ["strassensperrungen"], {"areas": ["altstadt"]}),
        ("severe", [], {"areas": ["altstadt"]}),
        ("info", ["strassensperrungen"], None),
        ("moderate", ["strassensperrungen"], {"circle": {"lat": CAPPEL[0], "lon": CAPPEL[1], "radius_m": 500}}),
    ],
)  # fmt: skip
def test_the_preview_counts_exactly_the_deliveries_the_fan_out_makes(
    town, severity, topics, area, settings
):
    body = {"title": {"de": "Test"}, "severity": severity, "topics": topics,
            "channels": ["webpush", "email"]}  # fmt: skip
    if area is not None:
        body["area"] = area
    message = messages.create(town, body, None)
    counted = preview.reach(
        town, Severity(message.severity), topics, message.area, message.channels
    )
    dispatch.submit(message)
    drain()
    made = Delivery.objects.filter(message=message)
    assert counted.by_channel == {
        "webpush": made.filter(channel_type="webpush").count(),
        "email": made.filter(channel_type="email").count(),
    }
    assert counted.subscribers == made.values("subscriber").distinct().count()
    assert counted.subscribers > 0


def test_only_the_chosen_channels_are_counted(town):
    counted = preview.reach(
        town, Severity.INFO, ["strassensperrungen"], {"kind": "town"}, ["email"]
    )
    assert set(counted.by_channel) == {"email"}
