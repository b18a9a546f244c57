from __future__ import annotations

import pytest

from stadtbote.delivery.channels.webpush.allowlist import EndpointNotAllowed, check_endpoint

EXTRA = ["127.0.0.1:8765", "push.musterstadt.example", "selfhosted.example:8443", "[::1]:9000"]


@pytest.mark.parametrize(
    "url",
    [
        "https://fcm.googleapis.com/fcm/send/dKx3:APA91b",
        "https://fcm.googleapis.com/wp/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAAA",
        "https://push.services.mozilla.com/wpush/v1/x",
        "https://web.push.apple.com/QGx1",
        "https://api.push.apple.com/3/device/x",
        "https://wns2-db5p.notify.windows.com/w/?token=BQYAAA",
        "https://fcm.googleapis.com:443/fcm/send/x",
        "HTTPS://FCM.GOOGLEAPIS.COM/fcm/send/x",
        "https://push.musterstadt.example/up/abc",
        "https://selfhosted.example:8443/up/abc",
        "http://127.0.0.1:8765/17",
        "https://127.0.0.1:8765/17",
        "http://[::1]:9000/x",
    ],
)
def test_known_push_services_and_listed_hosts_are_allowed(url: str) -> None:
    check_endpoint(url, EXTRA)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://fcm.googleapis.com/fcm/send/x", "https"),
        ("https://fcm.googleapis.com:8443/x", "port"),
        ("https://fcm.googleapis.com@evil.example/", "user information"),
        ("https://user:pw@fcm.googleapis.com/x", "user information"),
        ("https://evil.example#fcm.googleapis.com", "fragment"),
        ("https://evil.example/#", "fragment"),
        ("https://evil.example/fcm.googleapis.com", "not an allowed"),
        ("https://fcm.googleapis.com.evil.example/x", "not an allowed"),
        ("https://evilfcm.googleapis.com.example/x", "not an allowed"),
        ("https://fcm.googleapis.com./x", "dot"),
        ("https://xpush.apple.com/x", "not an allowed"),
        ("https://notify.windows.com.evil.example/x", "not an allowed"),
        ("https://evil.example\\@fcm.googleapis.com/x", "whitespace, control or non-ASCII"),
        ("https://fcm.googleapis.com\t.evil.example/x", "whitespace, control or non-ASCII"),
        ("https://\uff46cm.googleapis.com/x", "non-ASCII"),  # fullwidth f
        ("https://fcm%2egoogleapis.com/x", "not a valid hostname"),
        ("https://10.0.0.1/x", "IP address"),
        ("https://[fd00::1]/x", "IP address"),
        ("https://2130706433/x", "IP address"),
        ("https://127.1/x", "IP address"),
        ("https://0x7f.0.0.1/x", "IP address"),
        ("http://127.0.0.1:8766/x", "IP address"),  # listed host, other port
        ("http://127.0.0.1/x", "IP address"),
        ("http://push.musterstadt.example/x", "not an allowed"),  # plain http only for loopback
        ("http://selfhosted.example:8443/x", "not an allowed"),
        ("https://push.musterstadt.example:444/x", "not an allowed"),
        ("ftp://fcm.googleapis.com/x", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ("fcm.googleapis.com/x", "scheme"),
        ("https:///x", "no host"),
        ("https://fcm.googleapis.com:99999/x", "invalid port"),
        ("https://fcm.googleapis.com/" + "a" * 2030, "longer than 2048"),
    ],
)
def test_tricky_or_internal_endpoints_are_rejected(url: str, why: str) -> None:
    with pytest.raises(EndpointNotAllowed, match=why):
        check_endpoint(url, EXTRA)


def test_an_endpoint_of_exactly_2048_characters_is_still_allowed() -> None:
    url = "https://fcm.googleapis.com/"
    check_endpoint(url + "a" * (2048 - len(url)))


def test_a_loopback_host_without_a_port_does_not_open_plain_http() -> None:
    check_endpoint("https://127.0.0.1/x", ["127.0.0.1"])
    with pytest.raises(EndpointNotAllowed):
        check_endpoint("http://127.0.0.1/x", ["127.0.0.1"])


def test_rejections_are_value_errors_with_a_reason() -> None:
    with pytest.raises(ValueError, match="not an allowed push service") as info:
        check_endpoint("https://evil.example/x")
    assert isinstance(info.value, EndpointNotAllowed)
    assert "evil.example" in info.value.reason


@pytest.mark.parametrize(
    "entry",
    ["https://push.example", "push.example/path", "user@push.example", "", "push.example:http"],
)
def test_malformed_extra_host_entries_are_a_configuration_error(entry: str) -> None:
    with pytest.raises(ValueError, match="push host entry"):
        check_endpoint("https://fcm.googleapis.com/x", [entry])


def test_a_bare_string_of_extra_hosts_is_refused_instead_of_split_into_characters() -> None:
    with pytest.raises(TypeError):
        check_endpoint("https://fcm.googleapis.com/x", "127.0.0.1:8765")
