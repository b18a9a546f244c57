"""Which batch goes next: warnings before news, the newest warning first, and no town starving
another (the rules alone, then the queue with a database)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from stadtbote.core.severity import Severity
from stadtbote.delivery import sending
from stadtbote.delivery.models import BatchStatus, DeliveryBatch, DeliveryJob, Kind
from stadtbote.delivery.scheduling import Candidate, batch_priority, order
from stadtbote.messages.models import Message, MessageStatus
from stadtbote.tenants.models import Municipality
from tests.conftest import ALTSTADT, point_place, push_channel
from tests.support.tasks import drain

T0 = datetime(2026, 11, 27, 8, 0)


def candidate(n: int, priority: int, *, tenant: int = 1, minute: int = 0, channel="webpush"):
    return Candidate(n, tenant, channel, priority, T0 + timedelta(minutes=minute))


def test_warnings_go_before_news_and_the_newest_warning_first():
    news = candidate(1, batch_priority(Severity.INFO), minute=9)
    old_extreme = candidate(2, batch_priority(Severity.EXTREME), minute=0)
    severe = candidate(3, batch_priority(Severity.SEVERE), minute=8)
    new_extreme = candidate(4, batch_priority(Severity.EXTREME), minute=5)

    ranked = order([news, old_extreme, severe, new_extreme], running={})

    assert [c.batch_id for c in ranked] == [4, 2, 3, 1]


def test_among_equals_the_town_with_less_in_flight_goes_first():
    city = candidate(1, 0, tenant=1, minute=5)
    village = candidate(2, 0, tenant=2, minute=0)

    ranked = order([city, village], running={(1, "webpush"): 2})

    assert [c.batch_id for c in ranked] == [2, 1]


def test_a_town_at_its_cap_waits_while_others_go_even_with_less_urgent_work():
    city_warning = candidate(1, 40, tenant=1)
    village_news = candidate(2, 0, tenant=2)

    ranked = order([city_warning, village_news], running={(1, "webpush"): 3})

    assert [c.batch_id for c in ranked] == [2]


def test_a_shared_provider_caps_a_channel_across_all_towns():
    mail = candidate(1, 40, tenant=3, channel="email")
    push = candidate(2, 0, tenant=3)

    ranked = order([mail, push], running={(1, "email"): 3, (2, "email"): 3})

    assert [c.batch_id for c in ranked] == [2]


# -- the queue, with a database ----------------------------------------------------------------


def _batch(tenant: Municipality, severity: Severity, created: datetime) -> DeliveryBatch:
    message = Message.objects.create(
        tenant=tenant,
        title={"de": "t"},
        body={"de": "b"},
        severity=int(severity),
        area={},
        channels=["webpush"],
        status=MessageStatus.PUBLISHED,
    )
    job = DeliveryJob.objects.create(message=message, kind=Kind.MESSAGE)
    return DeliveryBatch.objects.create(
        job=job,
        channel_type="webpush",
        tenant=tenant,
        priority=batch_priority(severity),
        created_at=created,
    )


@pytest.mark.django_db
def test_a_task_takes_the_most_urgent_due_batch_not_only_its_own(tenant):
    now = timezone.now()
    news = _batch(tenant, Severity.INFO, now)
    warning = _batch(tenant, Severity.EXTREME, now - timedelta(seconds=5))

    taken = sending._claim(news.pk)

    assert taken.pk == warning.pk
    assert DeliveryBatch.objects.get(pk=news.pk).status == BatchStatus.QUEUED


@pytest.mark.django_db
def test_a_town_at_its_cap_leaves_the_worker_to_the_next_town(tenant):
    village = Municipality.objects.create(slug="dorf", name="Dorf", center_lat=51, center_lon=8)
    now = timezone.now()
    for _ in range(3):
        busy = _batch(tenant, Severity.SEVERE, now)
        DeliveryBatch.objects.filter(pk=busy.pk).update(
            status=BatchStatus.RUNNING, lease_until=now + timedelta(minutes=1)
        )
    city_next = _batch(tenant, Severity.EXTREME, now)
    village_news = _batch(village, Severity.INFO, now - timedelta(minutes=1))

    assert sending._claim(city_next.pk).pk == village_news.pk


def test_a_town_alone_with_work_is_not_held_to_its_cap():
    city = candidate(1, 0, tenant=1)

    assert order([city], running={(1, "webpush"): 3}) == []
    assert order([city], running={(1, "webpush"): 3}, tenant_slots=None) == [city]
    assert order([candidate(2, 0, channel="email")], {(1, "email"): 6}, tenant_slots=None) == []


@pytest.mark.django_db
def test_a_town_alone_with_work_takes_every_free_worker(tenant):
    now = timezone.now()
    for _ in range(3):
        busy = _batch(tenant, Severity.SEVERE, now)
        DeliveryBatch.objects.filter(pk=busy.pk).update(
            status=BatchStatus.RUNNING, lease_until=now + timedelta(minutes=1)
        )
    fourth = _batch(tenant, Severity.SEVERE, now)

    assert sending._claim(fourth.pk).pk == fourth.pk


@pytest.mark.django_db
def test_a_task_whose_batch_must_wait_for_a_slot_comes_back_for_it(
    tenant, django_capture_on_commit_callbacks
):
    now = timezone.now()
    for _ in range(6):
        busy = _batch(tenant, Severity.SEVERE, now)
        DeliveryBatch.objects.filter(pk=busy.pk).update(
            channel_type="email", status=BatchStatus.RUNNING, lease_until=now + timedelta(minutes=1)
        )
    waiting = _batch(tenant, Severity.SEVERE, now)
    DeliveryBatch.objects.filter(pk=waiting.pk).update(channel_type="email")

    with django_capture_on_commit_callbacks(execute=True):
        assert sending._claim(waiting.pk) is None

    [again] = DBTaskResult.objects.filter(task_path__endswith="send_batch")
    assert again.args_kwargs["args"] == [waiting.pk]
    assert again.run_after > now
    assert again.priority == batch_priority(Severity.SEVERE)


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_warnings_reaches_people_most_urgent_and_newest_first(
    api, tenant, staff_token, push_service
):
    body = {
        "places": [point_place(ALTSTADT)],
        "topics": ["strassensperrungen"],
        "channels": [push_channel(push_service, "a")],
    }
    api.post("musterstadt/subscribers", body)
    for n, severity in enumerate(["info", "extreme", "severe", "info", "extreme", "severe"]):
        text = {"de": f"{severity} {n}"}
        message = {
            "title": text,
            "body": text,
            "severity": severity,
            "topics": ["strassensperrungen"],
            "area": None,
        }
        assert api.post("musterstadt/messages", message, token=staff_token).status_code == 201

    drain()

    assert [r.payload["title"] for r in push_service.received_for("a")] == [
        "extreme 4",
        "extreme 1",
        "severe 5",
        "severe 2",
        "info 3",
        "info 0",
    ]


@pytest.mark.django_db
def test_a_task_that_takes_another_batch_leaves_a_task_for_its_own(
    tenant, django_capture_on_commit_callbacks
):
    now = timezone.now()
    for _ in range(6):  # e-mail at its cap across towns
        busy = _batch(tenant, Severity.SEVERE, now)
        DeliveryBatch.objects.filter(pk=busy.pk).update(
            channel_type="email", status=BatchStatus.RUNNING, lease_until=now + timedelta(minutes=1)
        )
    sms = _batch(tenant, Severity.EXTREME, now)
    DeliveryBatch.objects.filter(pk=sms.pk).update(channel_type="email")
    push = _batch(tenant, Severity.INFO, now)

    with django_capture_on_commit_callbacks(execute=True):
        taken = sending._claim(sms.pk)

    assert taken.pk == push.pk
    [again] = DBTaskResult.objects.filter(task_path__endswith="send_batch")
    assert again.args_kwargs["args"] == [sms.pk]


@pytest.mark.django_db
def test_two_towns_with_equal_work_take_turns_and_the_village_is_not_behind_the_citys_backlog(
    tenant,
):
    village = Municipality.objects.create(slug="dorf", name="Dorf", center_lat=51, center_lon=8)
    now = timezone.now()
    early = _batch(village, Severity.INFO, now - timedelta(minutes=5))
    city = [_batch(tenant, Severity.INFO, now - timedelta(seconds=n)) for n in range(8)]
    order_taken = []
    for hint in [b.pk for b in city] + [early.pk]:
        taken = sending._claim(hint)
        if taken is not None:
            order_taken.append(taken.tenant_id)
            DeliveryBatch.objects.filter(pk=taken.pk).update(status=BatchStatus.DONE)

    assert order_taken[:2] == [tenant.pk, village.pk]
    assert order_taken.count(tenant.pk) == 8


@pytest.mark.django_db
def test_in_a_burst_of_a_hundred_warnings_the_newest_extreme_goes_first_and_news_last(tenant):
    now = timezone.now()
    levels = [Severity.INFO, Severity.MINOR, Severity.MODERATE, Severity.SEVERE, Severity.EXTREME]
    burst = [
        _batch(tenant, levels[n % 5], now - timedelta(seconds=60 - n * 0.6)) for n in range(99)
    ]
    newest_extreme = _batch(tenant, Severity.EXTREME, now)
    taken = []
    for hint in [b.pk for b in burst] + [newest_extreme.pk]:
        batch = sending._claim(hint)
        taken.append(batch)
        DeliveryBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.DONE)

    assert taken[0].pk == newest_extreme.pk
    priorities = [b.priority for b in taken]
    assert priorities == sorted(priorities, reverse=True)  # never news before a warning
    extremes = [b.pk for b in taken if b.priority == batch_priority(Severity.EXTREME)]
    assert extremes == sorted(extremes, reverse=True)  # newest first among equals


@pytest.mark.django_db
def test_a_dead_workers_batch_is_taken_over_even_when_its_task_takes_other_work_first(
    tenant, django_capture_on_commit_callbacks
):
    now = timezone.now()
    dead = _batch(tenant, Severity.INFO, now - timedelta(minutes=2))
    DeliveryBatch.objects.filter(pk=dead.pk).update(
        status=BatchStatus.RUNNING, lease_until=now - timedelta(seconds=1)
    )
    warning = _batch(tenant, Severity.EXTREME, now)

    with django_capture_on_commit_callbacks(execute=True):
        first = sending._claim(dead.pk)
    second = sending._claim(warning.pk)

    assert (first.pk, second.pk) == (warning.pk, dead.pk)
    [again] = DBTaskResult.objects.filter(task_path__endswith="send_batch")
    assert again.args_kwargs["args"] == [dead.pk]
