"""A held message withdrawn while someone approves it stays withdrawn: nothing is sent, and the
approver is told it no longer waits for approval."""

from __future__ import annotations

import pytest

from stadtbote.api import messages as api_messages
from stadtbote.delivery import dispatch
from stadtbote.delivery.models import Delivery, DeliveryJob
from stadtbote.messages import service
from stadtbote.messages.models import Message, MessageStatus
from stadtbote.tenants import keys
from tests.conftest import ALTSTADT, point_place, push_channel
from tests.support.tasks import drain

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def listener(api, tenant, push_service):
    body = {"places": [point_place(ALTSTADT)], "channels": [push_channel(push_service, "anna")]}
    assert api.post("musterstadt/subscribers", body).status_code == 201


def held_warning(tenant) -> Message:
    message = service.create(
        tenant,
        {"title": {"de": "Unwetter"}, "severity": "severe", "hold": True},
        key=None,
    )
    assert message.status == MessageStatus.DRAFT
    return message


def assert_nothing_sent(message: Message, push_service) -> None:
    drain()
    message.refresh_from_db()
    assert message.status == MessageStatus.CANCELLED
    assert message.published_at is None
    assert not DeliveryJob.objects.filter(message=message, kind="message").exists()
    assert not Delivery.objects.filter(message=message).exists()
    assert push_service.received == []


def test_approving_a_message_withdrawn_meanwhile_sends_nothing(tenant, listener, push_service):
    message = held_warning(tenant)
    seen_by_approver = Message.objects.get(pk=message.pk)
    dispatch.cancel(message)

    assert dispatch.approve(seen_by_approver) is False
    assert seen_by_approver.status == MessageStatus.CANCELLED
    assert_nothing_sent(message, push_service)


def test_approving_a_held_message_publishes_it(tenant, listener, push_service):
    message = held_warning(tenant)
    assert dispatch.approve(message) is True
    assert message.status == MessageStatus.PUBLISHED
    drain()
    assert push_service.wait_for(1)
    assert Message.objects.get(pk=message.pk).status == MessageStatus.PUBLISHED


def test_the_api_answers_409_when_the_message_was_withdrawn_after_it_was_looked_up(
    api, tenant, listener, push_service, monkeypatch
):
    message = held_warning(tenant)
    _, admin = keys.issue(tenant, "admin", "admin")
    look_up = api_messages._message

    def looked_up_then_withdrawn(tenant_id, message_id):
        found = look_up(tenant_id, message_id)
        dispatch.cancel(Message.objects.get(pk=found.pk))  # by someone else, meanwhile
        return found

    monkeypatch.setattr(api_messages, "_message", looked_up_then_withdrawn)
    response = api.post(f"musterstadt/messages/{message.pk}/approve", token=admin)

    assert response.status_code == 409
    assert response.json()["code"] == "not_held"
    assert "cancelled" in response.json()["detail"]
    assert_nothing_sent(message, push_service)
