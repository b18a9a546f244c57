"""E-mail double opt-in: one confirmation mail, a single-use expiring link, nothing else before."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from stadtbote.subscribers import doi
from stadtbote.subscribers.models import Channel
from tests.conftest import ALTSTADT, point_place
from tests.support.tasks import drain

pytestmark = pytest.mark.django_db(transaction=True)

SEVERE = {"title": {"de": "Sturmwarnung"}, "body": {"de": "Orkanböen"}, "severity": "severe"}


def sign_up_by_email(api, address="buerger@example.org"):
    response = api.post(
        "musterstadt/subscribers",
        {"places": [point_place(ALTSTADT)], "channels": [{"type": "email", "address": address}]},
    )
    assert response.status_code == 201
    assert response.json()["channels"] == [{"type": "email", "status": "pending"}]
    return response.json()


def confirmation_link(mail):
    text = mail.get_body(("plain",)).get_content()
    return re.search(r"http://\S+/musterstadt/confirm/(\S+)", text).group(0)


def test_a_new_address_gets_one_confirmation_mail_and_nothing_else(api, tenant, staff_token, smtp):
    sign_up_by_email(api)
    drain()
    [mail] = smtp.to("buerger@example.org")
    assert "confirm" in mail["Subject"].lower() or "bestätig" in mail["Subject"].lower()
    assert "List-Unsubscribe" not in mail

    api.post("musterstadt/messages", SEVERE, token=staff_token)
    drain()
    assert len(smtp.to("buerger@example.org")) == 1


def test_the_link_confirms_once_and_then_messages_arrive(api, client, tenant, staff_token, smtp):
    sign_up_by_email(api)
    drain()
    link = confirmation_link(smtp.to("buerger@example.org")[0])
    path = link.split("127.0.0.1:8000", 1)[1]

    page = client.get(path)
    assert page.status_code == 200
    assert (
        Channel.objects.get().status == "pending"
    )  # a mail scanner opening the link confirms nothing
    assert client.post(path).status_code == 200
    assert Channel.objects.get().status == "confirmed"
    assert client.post(path).status_code == 404  # single use

    api.post("musterstadt/messages", SEVERE, token=staff_token)
    drain()
    mails = smtp.to("buerger@example.org")
    assert len(mails) == 2
    warning = mails[1]
    assert warning["Subject"] == "Sturmwarnung"
    assert warning.get_body(("plain",)) is not None
    assert warning.get_body(("html",)) is not None
    assert warning["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_an_expired_link_no_longer_confirms(api, client, tenant, smtp):
    sign_up_by_email(api)
    drain()
    path = confirmation_link(smtp.to("buerger@example.org")[0]).split("127.0.0.1:8000", 1)[1]
    Channel.objects.update(confirm_expires_at=timezone.now() - timedelta(seconds=1))
    assert client.post(path).status_code == 404
    assert Channel.objects.get().status == "pending"


def test_unconfirmed_addresses_are_deleted_after_seven_days(api, tenant, smtp):
    sign_up_by_email(api, "old@example.org")
    sign_up_by_email(api, "new@example.org")
    Channel.objects.filter(address="old@example.org").update(
        created_at=timezone.now() - timedelta(days=7, minutes=1)
    )
    assert doi.purge_unconfirmed() == 1
    assert list(Channel.objects.values_list("address", flat=True)) == ["new@example.org"]


def test_one_click_unsubscribe_removes_the_address(api, client, tenant, staff_token, smtp):
    sign_up_by_email(api)
    drain()
    client.post(confirmation_link(smtp.to("buerger@example.org")[0]).split("127.0.0.1:8000", 1)[1])
    api.post("musterstadt/messages", SEVERE, token=staff_token)
    drain()
    header = smtp.to("buerger@example.org")[-1]["List-Unsubscribe"]
    url = header.strip("<>").split("127.0.0.1:8000", 1)[1]
    # RFC 8058: the mail client POSTs this body, without cookies or CSRF token.
    response = client.post(
        url, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert not Channel.objects.exists()


def test_asking_again_within_ten_minutes_sends_no_second_mail(api, tenant, smtp):
    created = sign_up_by_email(api)
    path = f"musterstadt/subscribers/{created['id']}"
    api.patch(
        path,
        {"channels": [{"type": "email", "address": "buerger@example.org"}]},
        token=created["token"],
    )
    drain()
    assert len(smtp.to("buerger@example.org")) == 1


def test_the_confirmation_mail_speaks_the_subscribers_language(api, tenant, smtp):
    api.post(
        "musterstadt/subscribers",
        {"language": "de", "channels": [{"type": "email", "address": "de@example.org"}]},
    )
    api.post(
        "musterstadt/subscribers",
        {"language": "en", "channels": [{"type": "email", "address": "en@example.org"}]},
    )
    drain()
    assert "bestätigen" in smtp.to("de@example.org")[0]["Subject"]
    assert "please confirm" in smtp.to("en@example.org")[0]["Subject"]


def test_a_confirmation_mail_is_retried_later_when_the_smtp_server_is_down(api, tenant, settings):
    from django_tasks_db.models import DBTaskResult

    from tests.support.smtp import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    sign_up_by_email(api)
    drain()
    [retry] = DBTaskResult.objects.filter(task_path__endswith="send_confirmation", status="READY")
    assert retry.args_kwargs["args"][1] == 2  # the second attempt
    assert retry.run_after > timezone.now()
