"""Operator tests: a signed-in operator with a verified second factor, as /admin/ demands."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def operator_client(db: None) -> Client:
    run("operator", "add", "betrieb@kommunal-it.example")
    user = get_user_model().objects.get(username="betrieb@kommunal-it.example")
    device = TOTPDevice.objects.create(user=user, name="Handy", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id  # what django_otp.login() stores
    session.save()
    return client
