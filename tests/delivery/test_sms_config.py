"""Which SMS providers a town sends with, read from the environment (no database)."""

from __future__ import annotations

import pytest

from stadtbote.delivery.sms_config import SmsConfigError, providers_for, variable_for

SHARED = {
    "STADTBOTE_SMS_PROVIDERS": (
        "smpp://stadtbote:s%40cret@smsc.example.net:2775?source=Kreis&weight=70&name=smsc,"
        "kannel+https://kreis:pw@gw.example.net/cgi-bin/sendsms?from=Kreis&weight=30&name=gw"
    )
}


def test_a_town_uses_the_shared_providers_with_their_weights():
    smsc, gateway = providers_for(SHARED, "musterstadt")

    assert (smsc.kind, smsc.name, smsc.weight, smsc.port) == ("smpp", "smsc", 70.0, 2775)
    assert (smsc.user, smsc.password, smsc.sender) == ("stadtbote", "s@cret", "Kreis")
    assert (gateway.kind, gateway.weight) == ("http", 30.0)
    assert gateway.url == "https://gw.example.net/cgi-bin/sendsms"


def test_a_town_with_its_own_variable_uses_only_its_own_providers():
    env = {**SHARED, "STADTBOTE_SMS_BAD_WALDHAUSEN_PROVIDERS": "smpps://bw:pw@smsc.bw.de?source=BW"}

    [own] = providers_for(env, "bad-waldhausen")

    assert own.tls is True
    assert variable_for(env, "bad-waldhausen") == "STADTBOTE_SMS_BAD_WALDHAUSEN_PROVIDERS"
    assert providers_for({}, "bad-waldhausen") is None


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://u:p@host?source=X", "scheme"),
        ("smpp://u:p@host?source=X&weight=0", "weight"),
        ("smpp://:p@host?source=X", "user"),
        ("smpp://u:p@host", "sender"),
        ("smpp://u:p@host?source=X&colour=red", "unknown option"),
        ("kannel+http://u:p@gw.example.net/cgi-bin/sendsms?from=X", "loopback"),
    ],
)
def test_a_malformed_provider_is_named_without_its_password(url, problem):
    with pytest.raises(SmsConfigError, match=problem) as caught:
        providers_for({"STADTBOTE_SMS_PROVIDERS": url}, "musterstadt")

    assert "STADTBOTE_SMS_PROVIDERS, provider 1" in str(caught.value)
    assert ":p@" not in str(caught.value)


def test_plain_http_is_allowed_to_a_gateway_on_the_same_machine():
    env = {"STADTBOTE_SMS_PROVIDERS": "kannel+http://u:p@127.0.0.1:13013/cgi-bin/sendsms?from=X"}

    [gateway] = providers_for(env, "musterstadt")

    assert gateway.url == "http://127.0.0.1:13013/cgi-bin/sendsms"


def test_two_providers_need_two_names():
    env = {"STADTBOTE_SMS_PROVIDERS": "smpp://u:p@a?source=X&name=a,smpp://u:p@b?source=X&name=a"}

    with pytest.raises(SmsConfigError, match="own name"):
        providers_for(env, "musterstadt")


def test_a_provider_may_state_the_rate_its_contract_allows():
    env = {
        "STADTBOTE_SMS_PROVIDERS": "smpp://u:p@smsc?source=X&rate=50,smpp://u:p@b?source=X&name=b"
    }

    limited, free = providers_for(env, "musterstadt")

    assert limited.rate == 50.0
    assert free.rate is None
    with pytest.raises(SmsConfigError, match="rate"):
        providers_for({"STADTBOTE_SMS_PROVIDERS": "smpp://u:p@a?source=X&rate=fast"}, "m")


def test_an_smpp_connection_keeps_the_sold_rate_and_is_not_slowed_without_one():
    from stadtbote.delivery.registry import UNMETERED_SMPP_RATE, smpp_provider

    [rated] = providers_for({"STADTBOTE_SMS_PROVIDERS": "smpp://u:p@h?source=X&rate=25"}, "m")
    [unmetered] = providers_for({"STADTBOTE_SMS_PROVIDERS": "smpp://u:p@h?source=X"}, "m")

    assert smpp_provider(rated)._interval == pytest.approx(1 / 25)
    assert smpp_provider(unmetered)._interval == pytest.approx(1 / UNMETERED_SMPP_RATE)
