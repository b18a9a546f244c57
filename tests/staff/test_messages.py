"""Composing in the staff console: target, count, send or hold for a second person, follow,
withdraw; each step checked for role and town, and recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from stadtbote.audit.models import AuditEntry
from stadtbote.delivery.progress import seconds_to
from stadtbote.messages.models import Message
from stadtbote.subscribers import service as subscribers
from stadtbote.subscribers.models import Channel
from stadtbote.tenants.models import StaffMembership
from tests.conftest import ALTSTADT, point_place
from tests.staff.conftest import second_factor, signed_in


def form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title_de": "Vollsperrung Lange Straße",
        "body_de": "Bis Freitag gesperrt.",
        "title_en": "",
        "body_en": "",
        "severity": "info",
        "topic": ["strassensperrungen"],
        "target": "districts",
        "district": ["altstadt"],
        "channel": ["webpush", "email"],
        "when": "now",
        "send_at": "",
        "expires_at": "",
    }
    data.update(changes)
    return data


@pytest.fixture
def second_publisher(tenant) -> Client:
    user = get_user_model().objects.create_user("pressestelle2@musterstadt.example")
    StaffMembership.objects.create(user=user, tenant=tenant, role="publisher")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    second_factor(client, tenant, user)
    return client


def test_a_publisher_sends_a_message_to_a_district(publisher, tenant):
    response = publisher.post("/musterstadt/staff/messages/new", form())
    message = Message.objects.get()
    assert response["Location"] == f"/musterstadt/staff/messages/{message.pk}"
    assert (message.status, message.area) == (
        "published",
        {"kind": "districts", "slugs": ["altstadt"]},
    )
    assert message.author.username == "presse@musterstadt.example"
    entry = AuditEntry.objects.get(action="message.create")
    assert entry.after["status"] == "published"
    page = publisher.get(response["Location"]).content.decode()
    assert "Sent on its way." in page
    assert "Vollsperrung Lange Straße" in page


def test_a_severe_message_waits_for_a_second_person(publisher, second_publisher, tenant):
    publisher.post("/musterstadt/staff/messages/new", form(severity="severe"))
    message = Message.objects.get()
    assert message.status == "draft"
    own = publisher.post(f"/musterstadt/staff/messages/{message.pk}/approve")
    assert "a second person must approve it" in publisher.get(own["Location"]).content.decode()
    message.refresh_from_db()
    assert message.status == "draft"
    second_publisher.post(f"/musterstadt/staff/messages/{message.pk}/approve")
    message.refresh_from_db()
    assert message.status == "published"
    assert message.approved_by.username == "pressestelle2@musterstadt.example"
    assert AuditEntry.objects.filter(action="message.approve").count() == 1


def test_a_town_can_switch_the_four_eyes_rule_off(publisher, tenant):
    tenant.approval_from = ""
    tenant.save()
    publisher.post("/musterstadt/staff/messages/new", form(severity="extreme"))
    assert Message.objects.get().status == "published"


def test_the_count_before_sending_reaches_the_right_people(publisher, tenant):
    sub, _ = subscribers.create(
        tenant, {"places": [point_place(ALTSTADT)], "topics": ["strassensperrungen"]}
    )
    Channel.objects.create(
        tenant=tenant, subscriber=sub, type="email", status="confirmed",
        address="a@example.org", address_key="a",
    )  # fmt: skip
    partial = publisher.post("/musterstadt/staff/messages/reach", form()).content.decode()
    assert "Reaches 1 person" in partial
    assert "E-mail: 1" in partial
    elsewhere = publisher.post("/musterstadt/staff/messages/reach", form(district=["cappel"]))
    assert "Reaches 0 people" in elsewhere.content.decode()


@pytest.mark.parametrize(
    ("changes", "anchor"),
    [
        ({"title_de": ""}, "texts"),
        ({"channel": []}, "channels"),
        ({"district": []}, "target"),
        ({"target": "drawn", "drawn": "not json"}, "target"),
        ({"when": "later", "send_at": ""}, "when"),
    ],
)
def test_mistakes_are_named_and_nothing_is_sent(publisher, tenant, changes, anchor):
    response = publisher.post("/musterstadt/staff/messages/new", form(**changes))
    assert response.status_code == 422
    assert f'href="#{anchor}"' in response.content.decode()
    assert not Message.objects.exists()


def test_a_drawn_circle_and_a_later_time_in_the_towns_clock(publisher, tenant):
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT09:30")
    drawn = '{"circle": {"lat": 51.673, "lon": 8.345, "radius_m": 300}}'
    publisher.post(
        "/musterstadt/staff/messages/new",
        form(target="drawn", drawn=drawn, when="later", send_at=tomorrow),
    )
    message = Message.objects.get()
    assert message.status == "scheduled"
    assert message.area["kind"] == "circle"
    assert message.send_at.astimezone(ZoneInfo(tenant.timezone)).strftime("%Y-%m-%dT%H:%M") == (
        tomorrow
    )


def test_withdrawing_sends_the_all_clear_and_is_recorded(publisher, tenant):
    publisher.post("/musterstadt/staff/messages/new", form())
    message = Message.objects.get()
    publisher.post(f"/musterstadt/staff/messages/{message.pk}/cancel")
    message.refresh_from_db()
    assert message.status == "cancelled"
    assert AuditEntry.objects.get(action="message.cancel").after["status"] == "cancelled"


def test_the_sending_is_followed_without_reloading(publisher, tenant):
    publisher.post("/musterstadt/staff/messages/new", form())
    message = Message.objects.get()
    partial = publisher.get(
        f"/musterstadt/staff/messages/{message.pk}", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="follow"
    ).content.decode()
    assert partial.startswith('<div id="follow"')
    assert 'hx-trigger="every 3s"' in partial


@pytest.mark.parametrize("role", ["caseworker", "viewer"])
def test_case_workers_and_viewers_cannot_compose(role, tenant):
    client = signed_in(tenant, role)
    assert client.get("/musterstadt/staff/messages/new").status_code == 403
    assert client.post("/musterstadt/staff/messages/new", form()).status_code == 403
    assert not Message.objects.exists()


def test_staff_of_another_town_find_no_messages_here(publisher, other_town_worker, tenant):
    publisher.post("/musterstadt/staff/messages/new", form())
    message = Message.objects.get()
    for path in ("messages/", "messages/new", f"messages/{message.pk}"):
        assert other_town_worker.get(f"/musterstadt/staff/{path}").status_code == 404
    assert (
        other_town_worker.post(f"/musterstadt/staff/messages/{message.pk}/cancel").status_code
        == 404
    )


def test_milestones_are_the_time_until_that_share_was_sent():
    start = datetime(2026, 11, 26, 12, tzinfo=UTC)
    sent = [start + timedelta(seconds=s) for s in (1, 2, 3, 4, 9)]
    assert seconds_to(50, sent, 5, start) == 3.0
    assert seconds_to(90, sent, 5, start) == 9.0
    assert seconds_to(100, sent, 6, start) is None  # one is still pending
    assert seconds_to(50, [], 0, start) is None


def test_an_update_starts_from_the_message_and_points_to_it(publisher, tenant):
    publisher.post("/musterstadt/staff/messages/new", form(topic=["strassensperrungen"]))
    first = Message.objects.get()
    page = publisher.get(f"/musterstadt/staff/messages/new?replaces={first.pk}").content.decode()
    assert f'name="replaces" value="{first.pk}"' in page
    assert 'value="Vollsperrung Lange Straße"' in page
    assert 'id="district-altstadt" checked' in page
    assert 'id="topic-strassensperrungen" checked' in page
    publisher.post(
        "/musterstadt/staff/messages/new",
        form(replaces=str(first.pk), title_de="Sperrung verlängert"),
    )
    update = Message.objects.exclude(pk=first.pk).get()
    assert update.replaces_id == first.pk
    detail = publisher.get(f"/musterstadt/staff/messages/{first.pk}").content.decode()
    assert "Send an update" in detail


def test_a_form_sent_back_keeps_every_choice(publisher, tenant):
    response = publisher.post(
        "/musterstadt/staff/messages/new", form(title_de="", topic=["kita"], channel=["email"])
    )
    page = response.content.decode()
    assert 'id="topic-kita" checked' in page
    assert 'id="topic-strassensperrungen" checked' not in page
    assert 'id="channel-email" checked' in page
    assert 'id="channel-webpush" checked' not in page


def test_a_template_fills_the_form_and_its_placeholders_must_be_filled_in(publisher, tenant):
    page = publisher.get("/musterstadt/staff/messages/new?template=vollsperrung").content.decode()
    assert 'value="Vollsperrung [Straße]"' in page
    assert 'id="topic-strassensperrungen" checked' in page
    refused = publisher.post(
        "/musterstadt/staff/messages/new",
        form(title_de="Vollsperrung [Straße]", body_de="Von [Beginn] bis [Ende]"),
    )
    assert refused.status_code == 422
    assert "Fill in or delete: [Straße], [Beginn], [Ende]" in refused.content.decode()
    assert not Message.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_other_publishers_and_admins_are_asked_by_mail_to_approve(tenant, smtp):
    from tests.support.tasks import drain

    for username in ("presse@musterstadt.example", "admin@musterstadt.example"):
        user = get_user_model().objects.get(username=username)
        user.email = username
        user.save()
    author = signed_in(tenant, "publisher")
    author.post("/musterstadt/staff/messages/new", form(severity="extreme"))
    drain()
    [mail] = smtp.received
    assert mail.rcpt_tos == ["admin@musterstadt.example"]  # not the author
    assert "Vollsperrung Lange Straße" in mail.message["Subject"]
    assert f"/musterstadt/staff/messages/{Message.objects.get().pk}" in mail.message.get_content()
