"""A report's public page: status and answers for everyone, what the citizen wrote only after
moderation, never notes or the reporter; following by app or by confirmed e-mail."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from stadtbote.reports import following, media, service
from stadtbote.reports.models import Case, Follower
from stadtbote.tenants.models import Municipality
from tests.support import cases
from tests.support.tasks import drain
from tests.web.support import sign_up, text


def report(tenant) -> Case:
    return cases.report(
        tenant,
        address="Lange Straße 12",
        description="Loch vor dem Haus von Familie Schmidt, Tel. 0151 000",
        name="Ada Muster",
        email="ada@example.org",
    )


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 10)).save(out, "JPEG")
    return out.getvalue()


def page_of(client, case: Case, query: str = "") -> str:
    return text(
        client.get(f"/musterstadt/reports/{case.public_id}{query}", HTTP_ACCEPT_LANGUAGE="en")
    )


def test_before_moderation_only_number_status_and_public_answers_are_shown(client, tenant):
    case = report(tenant)
    service.add_note(case, "Nachbar beschwert sich oft", None)
    service.reply(case, "Wir sehen es uns an.", None)
    page = page_of(client, case)
    assert "Report 1: Pothole or road damage" in page
    assert "Wir sehen es uns an." in page
    for secret in ("Schmidt", "Lange Straße 12", "Ada Muster", "ada@example.org", "Nachbar"):
        assert secret not in page


def test_after_moderation_the_edited_text_the_place_and_visible_photos_are_shown(client, tenant):
    case = report(tenant)
    shown, hidden = media.add_photo(case, photo()), media.add_photo(case, photo())
    media.set_photo_hidden(hidden, True, None)
    service.moderate(case, "Loch vor Hausnummer 12", True, None)
    page = page_of(client, case)
    assert "Loch vor Hausnummer 12" in page
    assert "Lange Straße 12" in page
    assert "Schmidt" not in page
    assert page.count(f"/reports/{case.public_id}/photos/") == 2  # one photo: link + image
    assert shown.pk != hidden.pk


def test_a_report_of_another_town_or_a_made_up_id_is_not_found(client, tenant):
    other = Municipality.objects.create(slug="anders", name="Anders", center_lat=50, center_lon=8)
    case = report(tenant)
    assert client.get(f"/anders/reports/{case.public_id}").status_code == 404
    assert (
        client.get("/musterstadt/reports/00000000-0000-4000-8000-000000000000").status_code == 404
    )
    assert other.slug == "anders"


def test_a_merged_report_points_to_the_one_that_is_handled(client, tenant):
    first, second = report(tenant), report(tenant)
    service.merge(second, first, None)
    page = page_of(client, second)
    assert "This problem had already been reported." in page
    assert f"/musterstadt/reports/{first.public_id}" in page


def test_a_subscriber_follows_with_one_press_and_sees_it_under_my_reports(client, tenant):
    case = report(tenant)
    sub = sign_up(client)
    response = client.post(f"/musterstadt/reports/{case.public_id}/follow")
    assert response["Location"].endswith("?followed=app#follow")
    assert Follower.objects.filter(case=case, subscriber=sub).exists()
    client.post(f"/musterstadt/reports/{case.public_id}/follow")  # twice is still once
    assert Follower.objects.filter(case=case, subscriber=sub).count() == 1
    assert "You follow this report in this app." in page_of(client, case)
    mine = text(client.get("/musterstadt/reports/mine", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Report 1: Pothole or road damage" in mine
    assert "followed" in mine
    stopped = client.post(f"/musterstadt/reports/{case.public_id}/follow", {"stop": "1"})
    assert stopped["Location"].endswith("?followed=stopped#follow")
    assert not Follower.objects.filter(case=case, subscriber=sub).exists()


@pytest.mark.django_db(transaction=True)
def test_following_by_e_mail_needs_the_link_from_the_mail(client, tenant, smtp, settings):
    case = report(tenant)
    response = client.post(
        f"/musterstadt/reports/{case.public_id}/follow", {"email": "bo@example.org"}
    )
    assert response["Location"].endswith("?followed=mail#follow")
    assert not Follower.objects.filter(email="bo@example.org").exists()
    drain()
    [mail] = smtp.received
    assert mail.rcpt_tos == ["bo@example.org"]
    link = next(w for w in mail.message.get_content().split() if "/reports/follow/" in w)
    path = link.removeprefix(settings.PUBLIC_URL)
    assert client.get(path).status_code == 200  # a page with a button: scanners confirm nothing
    assert not Follower.objects.filter(email="bo@example.org").exists()
    client.post(path)
    client.post(path)
    assert Follower.objects.filter(case=case, email="bo@example.org").count() == 1


def test_a_tampered_or_expired_follow_link_is_refused(client, tenant, monkeypatch):
    case = report(tenant)
    token = following.email_token(case, "bo@example.org")
    assert following.read_email_token(token) == (str(case.public_id), "bo@example.org")
    assert client.get(f"/musterstadt/reports/follow/{token}x").status_code == 404
    assert client.post(f"/musterstadt/reports/follow/{token[:-2]}").status_code == 404
    assert following.read_email_token("not-a-token") is None
    monkeypatch.setattr(following, "LINK_VALID_S", -1)  # every link is older than that
    assert client.post(f"/musterstadt/reports/follow/{token}").status_code == 404
    assert not Follower.objects.filter(email="bo@example.org").exists()


def test_a_wrong_address_is_shown_next_to_the_field(client, tenant):
    case = report(tenant)
    response = client.post(
        f"/musterstadt/reports/{case.public_id}/follow",
        {"email": "nope"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    assert "This is not a valid e-mail address." in text(response)


def test_my_reports_without_a_subscription_explains_how(client, tenant):
    page = text(client.get("/musterstadt/reports/mine", HTTP_ACCEPT_LANGUAGE="en"))
    assert "once you have subscribed on this device" in page


@pytest.mark.django_db(transaction=True)
def test_every_notice_mail_carries_a_one_click_link_to_stop_them(tenant, smtp, settings):
    from django.test import Client

    case = report(tenant)
    service.reply(case, "Wir kümmern uns.", None)
    drain()
    [mail] = smtp.received
    header = "".join(str(mail.message["List-Unsubscribe"]).split()).strip("<>")
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert header in mail.message.get_content()
    path = header.removeprefix(settings.PUBLIC_URL)
    strict = Client(enforce_csrf_checks=True)  # as a mail client posts: no CSRF token
    assert "No more mails" in text(strict.get(path, HTTP_ACCEPT_LANGUAGE="en"))
    assert Follower.objects.filter(case=case, email="ada@example.org").exists()
    assert strict.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert not Follower.objects.filter(case=case, email="ada@example.org").exists()
    assert strict.get(path[:-3]).status_code == 404
