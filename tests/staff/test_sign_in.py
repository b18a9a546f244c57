"""Signing in to one town's console: Argon2 hashes, one answer for every failure, a limit on
guessing, and no way out to another site."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from stadtbote.staff.access import SESSION_SECONDS
from stadtbote.staff.views.auth import TRIES_PER_ACCOUNT, TRIES_PER_ADDRESS
from stadtbote.tenants import guard
from stadtbote.tenants.models import SignInGuard
from tests.support.tasks import drain

PASSWORD = "Fahrradweg-Ampel-2026"
WORKER = "sachbearbeitung@musterstadt.example"


@pytest.fixture
def with_password(tenant):
    user = get_user_model().objects.get(username=WORKER)
    user.set_password(PASSWORD)
    user.save()
    return user


def sign_in(client: Client, username: str = WORKER, password: str = PASSWORD, **extra):
    """Post the sign-in form; upper-case keywords (REMOTE_ADDR, HTTP_…) go to the request."""
    meta = {k: v for k, v in extra.items() if k.isupper()}
    form = {k: v for k, v in extra.items() if not k.isupper()}
    return client.post(
        "/musterstadt/staff/login", {"username": username, "password": password, **form}, **meta
    )


def test_passwords_are_stored_as_argon2id_hashes(with_password):
    assert with_password.password.startswith("argon2$argon2id$")


def test_a_case_worker_signs_in_and_lands_on_the_reports(client, with_password):
    response = sign_in(client)
    assert (response.status_code, response["Location"]) == (302, "/musterstadt/staff/")
    assert client.get("/musterstadt/staff/")["Location"] == "/musterstadt/staff/cases/"
    assert client.session.get_expiry_age() == SESSION_SECONDS


def test_a_wrong_password_and_another_towns_account_get_the_same_answer(
    client, with_password, other_town_worker
):
    wrong = sign_in(client, password="falsch")
    user = get_user_model().objects.get(username="bauhof@nachbarort.example")
    user.set_password(PASSWORD)
    user.save()
    foreign = sign_in(client, username=user.username)
    assert wrong.status_code == foreign.status_code == 400
    assert "E-Mail-Adresse oder Passwort falsch." in wrong.content.decode()
    assert "E-Mail-Adresse oder Passwort falsch." in foreign.content.decode()
    assert "_auth_user_id" not in client.session


def test_guessing_locks_the_account_even_for_the_right_password_and_other_addresses(
    client, with_password
):
    for _ in range(guard.LOCK_AFTER):
        assert sign_in(client, password="falsch").status_code == 400
    assert guard.is_locked(with_password, timezone.now())
    assert sign_in(client).status_code == 400
    assert sign_in(client, REMOTE_ADDR="10.9.8.7").status_code == 400
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db(transaction=True)
def test_a_locked_account_answers_like_an_unknown_one_and_its_owner_gets_a_mail(
    client, with_password, smtp
):
    for _ in range(guard.LOCK_AFTER):
        sign_in(client, password="falsch", REMOTE_ADDR="10.0.0.1")
    locked = sign_in(client, REMOTE_ADDR="10.0.0.2")
    unknown = sign_in(client, username="niemand@musterstadt.example", REMOTE_ADDR="10.0.0.3")
    assert locked.status_code == unknown.status_code == 400
    for page in (locked.content.decode(), unknown.content.decode()):
        assert "E-Mail-Adresse oder Passwort falsch." in page
        assert "Viertelstunde" not in page
    drain()
    [mail] = smtp.received
    assert mail.rcpt_tos == [WORKER]
    assert "15" in mail.message["Subject"]


def test_a_failure_after_a_lock_ran_out_counts_from_one_again(with_password):
    start = timezone.now()
    for _ in range(guard.LOCK_AFTER):
        guard.failed(with_password, start)
    later = start + guard.LOCK_FOR + timedelta(seconds=1)
    assert guard.failed(with_password, later) is False
    assert SignInGuard.objects.get(user=with_password).failures == 1


def test_the_address_may_be_typed_in_any_case(client, with_password):
    response = sign_in(client, username=WORKER.upper())
    assert (response.status_code, response["Location"]) == (302, "/musterstadt/staff/")


def test_refused_tries_are_logged(client, with_password, caplog):
    for i in range(TRIES_PER_ADDRESS):
        client.post("/musterstadt/staff/login", {"username": f"x{i}@example.org", "password": "x"})
    with caplog.at_level("WARNING", logger="stadtbote.staff.views.auth"):
        assert sign_in(client).status_code == 429
    assert "rate limit" in caplog.text


def test_the_lock_runs_out(client, with_password):
    later = timezone.now() + guard.LOCK_FOR + timedelta(seconds=1)
    for _ in range(guard.LOCK_AFTER):
        guard.failed(with_password, timezone.now())
    assert guard.is_locked(with_password, timezone.now())
    assert not guard.is_locked(with_password, later)


def test_many_guesses_from_one_address_at_many_accounts_are_stopped(client, with_password):
    for i in range(TRIES_PER_ADDRESS):
        client.post("/musterstadt/staff/login", {"username": f"x{i}@example.org", "password": "x"})
    assert sign_in(client).status_code == 429


def test_the_page_to_return_to_must_be_inside_this_towns_console(client, with_password):
    response = sign_in(client, next="https://evil.example/musterstadt/staff/")
    assert response["Location"] == "/musterstadt/staff/"
    client.logout()
    response = sign_in(client, next="/musterstadt/staff/cases/?state=all")
    assert response["Location"] == "/musterstadt/staff/cases/?state=all"


def test_signing_out_needs_a_post_and_ends_the_session(caseworker):
    assert caseworker.get("/musterstadt/staff/logout").status_code == 405
    assert caseworker.post("/musterstadt/staff/logout").status_code == 302
    assert caseworker.get("/musterstadt/staff/cases/").status_code == 302


def test_the_sign_in_page_speaks_german_and_english(client, tenant):
    assert (
        "Anmelden"
        in client.get("/musterstadt/staff/login", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    )
    assert (
        "Sign in"
        in client.get("/musterstadt/staff/login", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )


def test_an_unknown_town_has_no_sign_in_page(client, db):
    assert client.get("/nirgendwo/staff/login").status_code == 404


def test_signing_in_often_with_the_right_password_is_never_blocked(client, with_password):
    for _ in range(TRIES_PER_ACCOUNT + 2):
        assert sign_in(client).status_code == 302
        client.logout()
