"""Which FCM and APNs credentials a town sends with, read from the environment (no database)."""

from __future__ import annotations

import json

import pytest

from stadtbote.delivery.checks import credential_problems
from stadtbote.delivery.push_credentials import (
    APNS_ENDPOINTS,
    CredentialsError,
    apns_for,
    configured_towns,
    fcm_for,
)
from tests.delivery.channels.apns.conftest import p8_pem
from tests.support.fcm_keys import service_account

ACCOUNT = json.dumps(service_account(7, "county-app"))
SHARED_FCM = {
    "STADTBOTE_FCM_PROJECT_ID": "county-app",
    "STADTBOTE_FCM_CREDENTIALS": ACCOUNT,
}
APNS = {
    "STADTBOTE_APNS_BAD_WALDHAUSEN_TEAM_ID": "TEAM123456",
    "STADTBOTE_APNS_BAD_WALDHAUSEN_KEY_ID": "KEY9876543",
    "STADTBOTE_APNS_BAD_WALDHAUSEN_KEY": p8_pem(),
    "STADTBOTE_APNS_BAD_WALDHAUSEN_TOPIC": "de.bad-waldhausen.app",
}


def test_a_town_without_variables_of_its_own_uses_the_shared_app():
    creds = fcm_for(SHARED_FCM, "musterstadt")

    assert creds is not None
    assert creds.project_id == "county-app"
    assert creds.endpoint == "https://fcm.googleapis.com"


def test_a_town_with_its_own_variables_uses_only_its_own_set():
    env = {**SHARED_FCM, "STADTBOTE_FCM_MUSTERSTADT_PROJECT_ID": "musterstadt-app"}

    with pytest.raises(CredentialsError, match="STADTBOTE_FCM_MUSTERSTADT_CREDENTIALS"):
        fcm_for(env, "musterstadt")
    assert fcm_for(env, "other-town").project_id == "county-app"


def test_a_slug_with_hyphens_is_written_with_underscores():
    creds = apns_for(APNS, "bad-waldhausen")

    assert creds is not None
    assert creds.topic == "de.bad-waldhausen.app"
    assert creds.endpoint == APNS_ENDPOINTS["production"]
    assert apns_for(APNS, "musterstadt") is None


def test_no_variables_means_no_app_push_of_that_kind():
    assert fcm_for({}, "musterstadt") is None
    assert apns_for({"STADTBOTE_FCM_PROJECT_ID": "x"}, "musterstadt") is None


def test_the_sandbox_is_chosen_by_name_and_critical_alerts_by_flag():
    env = {
        **APNS,
        "STADTBOTE_APNS_BAD_WALDHAUSEN_ENDPOINT": "sandbox",
        "STADTBOTE_APNS_BAD_WALDHAUSEN_CRITICAL_ALERTS": "1",
    }

    creds = apns_for(env, "bad-waldhausen")

    assert creds.endpoint == "https://api.sandbox.push.apple.com"
    assert creds.critical_alerts is True


def test_a_key_comes_from_a_file_when_the_variable_ends_in_file(tmp_path):
    key = tmp_path / "AuthKey.p8"
    key.write_text(p8_pem())
    env = {k: v for k, v in APNS.items() if not k.endswith("_KEY")}
    env["STADTBOTE_APNS_BAD_WALDHAUSEN_KEY_FILE"] = str(key)

    assert apns_for(env, "bad-waldhausen").private_key_pem == p8_pem()


def test_a_missing_key_file_is_named_without_showing_any_key():
    env = {**SHARED_FCM, "STADTBOTE_FCM_CREDENTIALS_FILE": "/nonexistent/key.json"}
    del env["STADTBOTE_FCM_CREDENTIALS"]

    with pytest.raises(CredentialsError, match="STADTBOTE_FCM_CREDENTIALS_FILE: cannot read"):
        fcm_for(env, "musterstadt")


def test_both_inline_and_file_are_refused():
    env = {**SHARED_FCM, "STADTBOTE_FCM_CREDENTIALS_FILE": "/run/secrets/fcm.json"}

    with pytest.raises(CredentialsError, match="not both"):
        fcm_for(env, "musterstadt")


def test_credentials_never_appear_in_their_repr():
    assert "PRIVATE KEY" not in repr(apns_for(APNS, "bad-waldhausen"))
    assert "private_key" not in repr(fcm_for(SHARED_FCM, "musterstadt"))


def test_configured_towns_lists_the_shared_set_and_each_town():
    env = {**SHARED_FCM, **APNS, "STADTBOTE_FCM_MUSTERSTADT_PROJECT_ID": "m-app"}

    assert configured_towns(env) == {"fcm": {"", "MUSTERSTADT"}, "apns": {"BAD_WALDHAUSEN"}}


def test_the_start_up_check_accepts_good_credentials_and_names_bad_ones():
    assert credential_problems({**SHARED_FCM, **APNS}) == []

    broken = {
        **SHARED_FCM,
        "STADTBOTE_FCM_CREDENTIALS": "{}",
        **APNS,
        "STADTBOTE_APNS_BAD_WALDHAUSEN_KEY": "not a key",
    }
    problems = credential_problems(broken)

    assert len(problems) == 2
    assert problems[0].startswith("FCM credentials for (shared):")
    assert problems[1].startswith("APNs credentials for bad_waldhausen:")


def test_the_start_up_check_names_sms_providers_smpp_would_refuse():
    from stadtbote.delivery.checks import sms_problems

    good = {"STADTBOTE_SMS_PROVIDERS": "smpp://kreis:pw@smsc.example.net?source=Kreis"}
    long_password = {"STADTBOTE_SMS_MUSTERSTADT_PROVIDERS": "smpp://m:longer-than-8@s?source=M"}
    bad_url = {"STADTBOTE_SMS_PROVIDERS": "smtp://x@y"}

    assert sms_problems(good) == []
    [problem] = sms_problems(long_password)
    assert problem.startswith("SMS providers for musterstadt:")
    assert "longer-than-8" not in problem
    assert sms_problems(bad_url)[0].startswith("SMS providers for (shared):")
