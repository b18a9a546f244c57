"""An update's job counts both the people in its own area and those the replaced message reached
outside it: reaching the latter again adds to the count instead of overwriting it."""

from __future__ import annotations

import pytest

from stadtbote.delivery import fanout
from stadtbote.delivery.models import Delivery, DeliveryJob
from tests.conftest import ALTSTADT, CAPPEL, LIPPERODE, point_place, push_channel
from tests.support.tasks import drain

pytestmark = pytest.mark.django_db(transaction=True)


def subscribe(api, push_service, name, where):
    body = {
        "places": [point_place(where)],
        "topics": ["strassensperrungen"],
        "channels": [push_channel(push_service, name)],
    }
    assert api.post("musterstadt/subscribers", body).status_code == 201


def publish(api, staff_token, areas, **extra):
    body = {
        "title": {"de": "Sperrung Lange Straße"},
        "severity": "moderate",
        "topics": ["strassensperrungen"],
        "area": {"areas": areas},
        **extra,
    }
    response = api.post("musterstadt/messages", body, token=staff_token)
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def test_an_update_resolved_in_one_run_counts_its_area_and_the_people_reached_before(
    api, tenant, staff_token, push_service
):
    subscribe(api, push_service, "anna", ALTSTADT)
    subscribe(api, push_service, "bert", CAPPEL)
    subscribe(api, push_service, "carla", LIPPERODE)
    first = publish(api, staff_token, ["altstadt"])
    drain()
    update = publish(api, staff_token, ["cappel", "lipperode"], replaces=first)
    job = DeliveryJob.objects.get(message_id=update, kind="message")

    # Without slices the whole fan-out runs in this one call: the blocks (bert, carla) raise the
    # count after the job was claimed, and then anna is reached again as the first message's
    # recipient.
    fanout.fanout.call(job.pk)

    job.refresh_from_db()
    assert Delivery.objects.filter(message_id=update).count() == 3
    assert job.targeted == 3


def test_reaching_again_adds_to_a_count_raised_after_the_job_was_read(
    api, tenant, staff_token, push_service
):
    subscribe(api, push_service, "dora", ALTSTADT)
    first = publish(api, staff_token, ["altstadt"])
    drain()
    update = publish(api, staff_token, ["cappel"], replaces=first)
    job = DeliveryJob.objects.get(message_id=update, kind="message")
    DeliveryJob.objects.filter(pk=job.pk).update(targeted=5)  # another slice, meanwhile

    assert fanout._resolve_update_recipients(job, job.message) == 6
    assert DeliveryJob.objects.get(pk=job.pk).targeted == 6
