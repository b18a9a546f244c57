"""Publishing and withdrawing reach the town's own accounts once each, as a thread."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from stadtbote.broadcast import service, tasks
from stadtbote.broadcast.models import BroadcastPost, PostStatus
from stadtbote.delivery.channels.matrix import txn_id
from stadtbote.messages.models import Message, MessageStatus
from stadtbote.tenants.models import Municipality, Topic
from tests.support.tasks import drain

from .conftest import NEWS, Peers, add_account

pytestmark = pytest.mark.django_db(transaction=True)


def publish(api, token, **changes) -> str:
    response = api.post("musterstadt/messages", NEWS | changes, token=token)
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def withdraw(api, token, message_id: str) -> None:
    response = api.post(f"musterstadt/messages/{message_id}/cancel", token=token)
    assert response.status_code == 200, response.json()


def test_a_published_message_is_posted_once_to_every_active_account_of_the_town(
    api, tenant, staff_token, peers: Peers
) -> None:
    for kind in ("mastodon", "telegram", "matrix", "apprise"):
        add_account(tenant, peers, kind)
    add_account(tenant, peers, "mastodon", name="switched off", active=False)

    message_id = publish(api, staff_token)
    drain()

    assert [s.text.split("\n")[0] for s in peers.mastodon.statuses] == [
        "Warnung: Vollsperrung Lange Straße"
    ]
    assert peers.mastodon.statuses[0].text.endswith(f"/musterstadt/messages/{message_id}")
    assert len(peers.telegram.sent) == 1
    assert len(peers.matrix.events) == 1
    assert [h.title for h in peers.hook.hooked] == ["Warnung: Vollsperrung Lange Straße"]
    posts = BroadcastPost.objects.filter(message_id=message_id)
    assert sorted(p.status for p in posts) == [PostStatus.SENT] * 4
    by_kind = {p.account.kind: p for p in posts}
    assert by_kind["mastodon"].url.endswith(f"/@musterstadt/{by_kind['mastodon'].remote_id}")
    assert by_kind["telegram"].url == "https://t.me/musterstadt/1"
    # Each attempt carries the post's own key: a resend is dropped by the network.
    assert peers.mastodon.requests[0].headers["idempotency-key"] == by_kind["mastodon"].key
    assert peers.matrix.events[0].txn_id == txn_id(by_kind["matrix"].key)


def test_publishing_again_does_not_post_twice(api, tenant, staff_token, peers: Peers) -> None:
    add_account(tenant, peers, "mastodon")
    message_id = publish(api, staff_token)
    drain()

    assert service.schedule(Message.objects.get(pk=message_id), "message") == []
    drain()

    assert len(peers.mastodon.statuses) == 1


def test_a_withdrawal_is_posted_as_a_reply_to_the_original_post(
    api, tenant, staff_token, peers: Peers
) -> None:
    add_account(tenant, peers, "mastodon")
    add_account(tenant, peers, "telegram")
    add_account(tenant, peers, "matrix")
    message_id = publish(api, staff_token)
    drain()

    withdraw(api, staff_token, message_id)
    drain()

    original, withdrawal = peers.mastodon.statuses
    assert withdrawal.in_reply_to_id == original.id
    assert withdrawal.text.startswith("Zurückgezogen: Vollsperrung Lange Straße")
    assert peers.telegram.sent[1].reply_to == peers.telegram.sent[0].message_id
    relates = peers.matrix.events[1].content["m.relates_to"]
    assert relates == {"m.in_reply_to": {"event_id": peers.matrix.events[0].event_id}}


def test_a_withdrawal_also_reaches_apprise_targets_that_have_no_thread(
    api, tenant, staff_token, peers: Peers
) -> None:
    add_account(tenant, peers, "apprise")
    message_id = publish(api, staff_token)
    drain()

    withdraw(api, staff_token, message_id)
    drain()

    assert [h.title for h in peers.hook.hooked] == [
        "Warnung: Vollsperrung Lange Straße",
        "Zurückgezogen: Vollsperrung Lange Straße",
    ]
    assert peers.hook.hooked[1].type == "info"


def test_an_update_replies_to_the_post_of_the_message_it_replaces(
    api, tenant, staff_token, peers: Peers
) -> None:
    add_account(tenant, peers, "mastodon")
    first = publish(api, staff_token)
    drain()

    second = publish(
        api,
        staff_token,
        replaces=first,
        title={"de": "Sperrung bis Montag verlängert", "en": "Closed until Monday"},
    )
    drain()

    original, update = peers.mastodon.statuses
    assert update.in_reply_to_id == original.id
    assert update.text.startswith("Warnung: Aktualisierung: Sperrung bis Montag verlängert")
    assert BroadcastPost.objects.get(message_id=second).kind == "update"


def test_an_account_carries_only_its_topics_and_severities_but_always_severe_warnings(
    api, tenant, staff_token, peers: Peers
) -> None:
    culture = Topic.objects.get(tenant=tenant, slug="kultur")
    add_account(tenant, peers, "mastodon", topics=[culture])
    add_account(tenant, peers, "telegram", min_severity=3)

    publish(api, staff_token)  # moderate, road closures
    drain()
    assert peers.mastodon.statuses == []
    assert peers.telegram.sent == []

    tenant.approval_from = ""
    tenant.save()
    publish(api, staff_token, severity="severe", title={"de": "Hochwasser", "en": "Flood"})
    drain()
    assert len(peers.mastodon.statuses) == 1
    assert len(peers.telegram.sent) == 1


def test_a_scheduled_message_is_posted_when_it_is_published_not_before(
    api, tenant, staff_token, peers: Peers
) -> None:
    add_account(tenant, peers, "mastodon")

    message_id = publish(api, staff_token, send_at="2099-01-01T08:00:00+01:00")
    drain()
    assert peers.mastodon.statuses == []

    Message.objects.filter(pk=message_id).update(send_at=timezone.now())
    drain(fast_forward=True)
    assert len(peers.mastodon.statuses) == 1


@pytest.mark.parametrize("status", [MessageStatus.DRAFT, MessageStatus.SCHEDULED])
def test_a_message_the_public_cannot_see_yet_is_never_scheduled(
    api, tenant, staff_token, peers: Peers, status: str
) -> None:
    add_account(tenant, peers, "mastodon")
    message_id = publish(api, staff_token)
    drain()
    BroadcastPost.objects.all().delete()
    Message.objects.filter(pk=message_id).update(status=status)

    assert service.schedule(Message.objects.get(pk=message_id), "message") == []


def test_an_expired_message_is_not_posted(api, tenant, staff_token, peers: Peers) -> None:
    add_account(tenant, peers, "mastodon")
    message_id = publish(api, staff_token)
    Message.objects.filter(pk=message_id).update(expires_at=timezone.now())

    drain()

    assert peers.mastodon.statuses == []
    assert BroadcastPost.objects.get().reason.startswith("the message was withdrawn or expired")


def test_a_town_never_posts_to_another_towns_account(
    api, tenant, staff_token, peers: Peers
) -> None:
    other = Municipality.objects.create(slug="anders", name="Anders", center_lat=50, center_lon=8)
    theirs = add_account(other, peers, "mastodon")

    publish(api, staff_token)
    drain()

    assert peers.mastodon.statuses == []
    assert not BroadcastPost.objects.filter(account=theirs).exists()


def test_a_missing_secret_fails_the_post_naming_the_variable(
    api, tenant, staff_token, peers: Peers
) -> None:
    add_account(tenant, peers, "telegram", secret_env="ANDERSWO_TELEGRAM_TOKEN")

    publish(api, staff_token)
    drain()

    post = BroadcastPost.objects.get()
    assert post.status == PostStatus.FAILED
    assert post.reason == "environment variable ANDERSWO_TELEGRAM_TOKEN is not set"
    assert peers.telegram.requests == []


def test_a_permanent_refusal_fails_at_once(api, tenant, staff_token, peers: Peers) -> None:
    add_account(tenant, peers, "matrix", room="!elsewhere:example.org")

    publish(api, staff_token)
    drain()

    post = BroadcastPost.objects.get()
    assert (post.status, post.attempts) == (PostStatus.FAILED, 1)
    assert "M_FORBIDDEN" in post.reason


def test_a_rate_limited_post_is_retried_after_what_the_network_asked_and_then_sent(
    api, tenant, staff_token, peers: Peers
) -> None:
    from tests.support.telegram_server import ANSWERS

    add_account(tenant, peers, "telegram")
    peers.telegram.fail_next(ANSWERS["flood"])  # retry_after 7

    publish(api, staff_token)
    drain()
    post = BroadcastPost.objects.get()
    assert post.status == PostStatus.RETRY
    assert post.reason.startswith("Telegram 429")
    waited = (post.not_before - post.created_at).total_seconds()
    assert 7 <= waited <= tasks.RETRY.max_delay + 5

    drain(fast_forward=True)
    post.refresh_from_db()
    assert (post.status, post.attempts) == (PostStatus.SENT, 2)
    assert len(peers.telegram.sent) == 1


def test_retries_give_up_after_the_limit(api, tenant, staff_token, peers: Peers) -> None:
    from tests.support.http_peer import Answer

    add_account(tenant, peers, "apprise")
    peers.hook.fail_next(Answer(503, {"error": "down"}), times=10)

    publish(api, staff_token)
    drain(fast_forward=True)

    post = BroadcastPost.objects.get()
    assert post.status == PostStatus.FAILED
    assert post.attempts == tasks.APPRISE_RETRY.max_attempts
    assert post.reason.startswith(f"gave up after {tasks.APPRISE_RETRY.max_attempts} attempts")
    assert len(peers.hook.requests) == tasks.APPRISE_RETRY.max_attempts


def test_a_message_withdrawn_before_its_post_is_not_posted_and_not_withdrawn(
    api, tenant, staff_token, peers: Peers
) -> None:
    add_account(tenant, peers, "mastodon")
    message_id = publish(api, staff_token)

    withdraw(api, staff_token, message_id)  # before any worker ran
    drain(fast_forward=True)

    assert peers.mastodon.statuses == []
    assert set(BroadcastPost.objects.values_list("status", flat=True)) == {PostStatus.FAILED}


def test_a_withdrawal_waits_while_the_original_post_is_being_made_without_using_an_attempt(
    api, tenant, staff_token, peers: Peers
) -> None:
    account = add_account(tenant, peers, "mastodon")
    message_id = publish(api, staff_token)  # its post is queued, not yet made
    in_flight = timezone.now() + timedelta(seconds=60)
    BroadcastPost.objects.update(status=PostStatus.SENDING, lease_until=in_flight)
    Message.objects.filter(pk=message_id).update(status=MessageStatus.CANCELLED)
    withdrawal = BroadcastPost.objects.create(
        account=account, message_id=message_id, kind="withdrawal"
    )

    assert tasks.post_broadcast.call(withdrawal.pk) == "retry"

    withdrawal.refresh_from_db()
    assert (withdrawal.status, withdrawal.attempts) == (PostStatus.RETRY, 0)
    assert withdrawal.reason == "waiting for the original post"
    assert peers.mastodon.requests == []


def test_a_post_whose_worker_died_is_taken_over_once_its_lease_ran_out(
    api, tenant, staff_token, peers: Peers
) -> None:
    add_account(tenant, peers, "mastodon")
    publish(api, staff_token)
    lapsed = timezone.now() - timedelta(seconds=1)
    BroadcastPost.objects.update(status=PostStatus.SENDING, lease_until=lapsed)
    DBTaskResult.objects.all().delete()  # the dead worker's task

    assert tasks.take_over_stale() == 1
    drain()

    assert len(peers.mastodon.statuses) == 1
    assert BroadcastPost.objects.get().status == PostStatus.SENT
    assert tasks.take_over_stale() == 0
