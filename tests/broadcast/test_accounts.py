"""An account is checked when it is saved: no host off the allow-list, no secret in the row."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from stadtbote.broadcast.admin import BroadcastAccountForm
from stadtbote.broadcast.models import BroadcastAccount, BroadcastPost
from stadtbote.broadcast.tasks import post_broadcast
from stadtbote.tenants.models import Municipality, Topic

pytestmark = pytest.mark.django_db

ALLOWED = ("api.telegram.org", "social.musterstadt.de", "matrix.musterstadt.de")


@pytest.fixture(autouse=True)
def allow_list(settings: Any) -> None:
    settings.STADTBOTE_BROADCAST_ALLOWED_HOSTS = ALLOWED


def account(tenant: Municipality, **fields: Any) -> BroadcastAccount:
    defaults = {
        "kind": "mastodon",
        "name": "Mastodon",
        "target": "https://social.musterstadt.de",
        "secret_env": "MUSTERSTADT_MASTODON_TOKEN",
    }
    return BroadcastAccount(tenant=tenant, **(defaults | fields))


def errors(candidate: BroadcastAccount) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        candidate.save()
    return caught.value.message_dict


def test_an_account_on_a_listed_instance_is_saved(tenant: Municipality) -> None:
    saved = account(tenant, target="https://social.musterstadt.de/")
    saved.save()

    assert BroadcastAccount.objects.get().target == "https://social.musterstadt.de"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"target": "https://intranet.rathaus.local"}, "target", "not on the broadcast allow"),
        ({"target": "http://social.musterstadt.de"}, "target", "not on the broadcast allow"),
        ({"target": "https://social.musterstadt.de/api"}, "target", "without a path"),
        ({"secret_env": "glpat-secret token"}, "secret_env", "environment variable name"),
        ({"kind": "telegram", "target": "musterstadt"}, "target", "@channelname"),
        (
            {"kind": "matrix", "target": "https://matrix.musterstadt.de", "room": "town"},
            "room",
            "room id",
        ),
        ({"kind": "matrix", "target": "https://evil.example", "room": "!a:b"}, "target", "allow"),
        ({"kind": "apprise", "target": "json://x"}, "target", "keep it in the env"),
        ({"room": "!a:b"}, "room", "Only Matrix"),
    ],
)
def test_an_invalid_account_is_refused_naming_the_field(
    tenant: Municipality, fields: dict[str, str], field: str, message: str
) -> None:
    found = errors(account(tenant, **fields))

    assert message in " ".join(found[field])


def test_telegram_needs_its_api_host_on_the_allow_list(tenant: Municipality, settings) -> None:
    settings.STADTBOTE_BROADCAST_ALLOWED_HOSTS = ("social.musterstadt.de",)

    found = errors(account(tenant, kind="telegram", target="@musterstadt"))

    assert "api.telegram.org is not on" in found["target"][0]


def test_an_account_only_takes_topics_of_its_own_town(tenant: Municipality) -> None:
    other = Municipality.objects.create(slug="anders", name="Anders", center_lat=50, center_lon=8)
    foreign = Topic.objects.create(tenant=other, slug="fremd", name={"de": "Fremd"}, bit=0)
    data = {
        "tenant": tenant.pk,
        "kind": "mastodon",
        "name": "Mastodon",
        "target": "https://social.musterstadt.de",
        "secret_env": "MUSTERSTADT_MASTODON_TOKEN",
        "min_severity": 0,
        "topics": [foreign.pk],
        "active": True,
    }

    form = BroadcastAccountForm(data=data)

    assert not form.is_valid()
    assert form.errors["topics"] == ["Only topics of this town"]


def test_a_post_that_is_already_sent_is_not_claimed_again(tenant: Municipality) -> None:
    from stadtbote.messages.models import Message

    saved = account(tenant)
    saved.save()
    message = Message.objects.create(
        tenant=tenant,
        title={"de": "T"},
        body={"de": "B"},
        severity=0,
        area={"kind": "town"},
        channels=[],
        status="published",
    )
    post = BroadcastPost.objects.create(account=saved, message=message, kind="message")
    BroadcastPost.objects.filter(pk=post.pk).update(status="sent")

    assert post_broadcast.call(post.pk) == "not claimed"
