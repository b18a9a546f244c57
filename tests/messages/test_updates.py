"""A message can update ("replace") an earlier one of the same town that citizens could see."""

from __future__ import annotations

import pytest

from stadtbote.core.errors import InvalidInput
from stadtbote.delivery import dispatch
from stadtbote.messages import service
from stadtbote.messages.models import MessageStatus
from stadtbote.tenants.models import Municipality

pytestmark = pytest.mark.django_db


def create(tenant, **extra):
    return service.create(tenant, {"title": {"de": "Meldung"}, **extra}, key=None)


def refused(tenant, replaces) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        create(tenant, replaces=replaces)
    return info.value


def test_an_update_points_to_the_message_it_replaces(tenant):
    old = create(tenant)
    new = create(tenant, replaces=str(old.id))
    assert new.replaces == old
    assert list(old.updates.all()) == [new]


def test_a_withdrawn_message_can_be_updated(tenant):
    old = create(tenant)
    dispatch.cancel(old)
    assert create(tenant, replaces=old.id).replaces_id == old.id


@pytest.mark.parametrize("empty", [None, ""])
def test_no_replaces_means_a_new_message(tenant, empty):
    assert create(tenant, replaces=empty).replaces is None


def test_a_message_of_another_town_cannot_be_replaced(tenant):
    other = Municipality.objects.create(
        slug="nachbarort", name="N", center_lat=51.7, center_lon=8.5
    )
    foreign = create(other)
    assert refused(tenant, str(foreign.id)).field == "replaces"


@pytest.mark.parametrize("kind", ["held", "scheduled"])
def test_a_message_citizens_have_not_seen_cannot_be_replaced(tenant, kind):
    unseen = (
        create(tenant, hold=True)
        if kind == "held"
        else create(tenant, send_at="2099-01-01T08:00:00+01:00")
    )
    assert unseen.status in (MessageStatus.DRAFT, MessageStatus.SCHEDULED)
    assert refused(tenant, str(unseen.id)).field == "replaces"


@pytest.mark.parametrize("value", ["5b0f3a52-7c1e-4d7a-9a43-2f1e0c6b8d11", "not-a-uuid", "123"])
def test_an_unknown_or_malformed_id_is_refused(tenant, value):
    error = refused(tenant, value)
    assert error.field == "replaces"
    assert error.detail == "replaces: no published message with this id"


def test_a_refused_update_stores_nothing(tenant):
    create(tenant)
    refused(tenant, "not-a-uuid")
    assert tenant.messages.count() == 1
