"""In the staff console, approving a message that was withdrawn after the page was opened
sends nothing and says that it no longer waits for approval."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from stadtbote.audit.models import AuditEntry
from stadtbote.delivery import dispatch
from stadtbote.delivery.models import DeliveryJob
from stadtbote.messages import service
from stadtbote.messages.models import Message, MessageStatus
from stadtbote.staff.views import messages as views
from tests.staff.conftest import signed_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_approving_a_message_withdrawn_meanwhile_sends_nothing_and_says_so(tenant, monkeypatch):
    message = service.create(
        tenant, {"title": {"de": "Unwetter"}, "severity": "severe", "hold": True}, key=None
    )
    author = get_user_model().objects.get(username="presse@musterstadt.example")
    Message.objects.filter(pk=message.pk).update(author=author)
    look_up = views._message_or_404

    def looked_up_then_withdrawn(staff, message_id):
        found = look_up(staff, message_id)
        dispatch.cancel(Message.objects.get(pk=found.pk))  # by someone else, meanwhile
        return found

    monkeypatch.setattr(views, "_message_or_404", looked_up_then_withdrawn)
    admin = signed_in(tenant, "admin")
    response = admin.post(f"/musterstadt/staff/messages/{message.pk}/approve")

    assert response.status_code == 302
    assert "not waiting for approval" in admin.get(response["Location"]).content.decode()
    message.refresh_from_db()
    assert (message.status, message.approved_by) == (MessageStatus.CANCELLED, None)
    assert not DeliveryJob.objects.filter(message=message, kind="message").exists()
    assert not AuditEntry.objects.filter(action="message.approve").exists()
