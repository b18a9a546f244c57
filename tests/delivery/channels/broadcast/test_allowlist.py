"""SSRF defence: a broadcast channel only ever calls hosts the operator listed."""

from __future__ import annotations

import pytest

from stadtbote.delivery.channels.broadcast import HostNotAllowed, check_host

ALLOWED = ("api.telegram.org", "social.musterstadt.de", "127.0.0.1:8448")


@pytest.mark.parametrize(
    "url",
    [
        "https://api.telegram.org/bot1:x/sendMessage",
        "https://social.musterstadt.de/api/v1/statuses",
        "https://social.musterstadt.de:443/api/v1/statuses",
        "http://127.0.0.1:8448/_matrix/client/v3",
    ],
)
def test_listed_hosts_are_allowed(url: str) -> None:
    check_host(url, ALLOWED)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://social.musterstadt.de/api", "not on the broadcast allow-list"),
        ("https://intranet.rathaus.local/api", "not on the broadcast allow-list"),
        ("https://social.musterstadt.de:8443/api", "not on the broadcast allow-list"),
        ("https://evil.example@social.musterstadt.de/", "user information"),
        ("ftp://social.musterstadt.de/", "only https"),
        ("https://social.musterstadt.de./api", "no valid host"),
        ("https://social.musterstadt.de/ api", "unusual characters"),
        ("http://127.0.0.1:9999/", "not on the broadcast allow-list"),
    ],
)
def test_anything_else_is_refused_with_a_reason(url: str, reason: str) -> None:
    with pytest.raises(HostNotAllowed, match=reason):
        check_host(url, ALLOWED)


def test_a_listed_host_other_than_loopback_needs_https_even_with_a_port() -> None:
    with pytest.raises(HostNotAllowed, match="must be reached over https"):
        check_host("http://matrix.musterstadt.de:8448/", ("matrix.musterstadt.de:8448",))
