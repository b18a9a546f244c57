"""The Apprise channel against a real local webhook (Apprise's json:// and form:// schemes)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stadtbote.delivery.channels.apprise import AppriseChannel, check_urls
from stadtbote.delivery.channels.base import TransportError
from stadtbote.delivery.channels.broadcast import BroadcastChannel, BroadcastItem, HostNotAllowed
from tests.delivery.channels.native_push import make_notice
from tests.support.apprise_server import AppriseHook
from tests.support.http_peer import Answer

ITEM = BroadcastItem(notice=make_notice(), key="msg-0042:message:1")


@pytest.fixture
def hook() -> Iterator[AppriseHook]:
    with AppriseHook() as server:
        yield server


def channel_for(urls: str, hook: AppriseHook) -> AppriseChannel:
    return AppriseChannel(urls, allowed_hosts=["api.telegram.org", hook.host_port])


def test_the_channel_implements_the_broadcast_protocol(hook: AppriseHook) -> None:
    implementation: BroadcastChannel = channel_for(f"json://{hook.host_port}/", hook)
    assert implementation.kind == "apprise"


def test_a_message_reaches_a_json_webhook_with_title_and_body(hook: AppriseHook) -> None:
    posted = channel_for(f"json://{hook.host_port}/hooks/stadtbote", hook).post(ITEM)

    [got] = hook.hooked
    assert posted.remote_id == ""
    assert got.path == "/hooks/stadtbote"
    assert got.content_type.startswith("application/json")
    assert got.title == "Unwetterwarnung: Hochwasserwarnung Rheinufer"
    assert got.message.endswith("https://musterstadt.example/m/msg-0042")
    assert got.type == "failure"  # Apprise's most urgent type, for a severe warning


def test_a_form_webhook_gets_the_same_as_a_form(hook: AppriseHook) -> None:
    channel_for(f"form://{hook.host_port}/form", hook).post(ITEM)

    [got] = hook.hooked
    assert got.content_type.startswith("application/x-www-form-urlencoded")
    assert got.title == "Unwetterwarnung: Hochwasserwarnung Rheinufer"


def test_several_urls_are_all_notified(hook: AppriseHook) -> None:
    urls = f"json://{hook.host_port}/one, form://{hook.host_port}/two"

    channel_for(urls, hook).post(ITEM)

    assert sorted(h.path for h in hook.hooked) == ["/one", "/two"]


def test_a_failing_service_is_a_retryable_error(hook: AppriseHook) -> None:
    hook.fail_next(Answer(500, {"error": "down"}))

    with pytest.raises(TransportError, match="Apprise could not notify") as caught:
        channel_for(f"json://{hook.host_port}/", hook).post(ITEM)

    assert not caught.value.permanent


def test_a_redirect_is_not_followed(hook: AppriseHook) -> None:
    hook.fail_next(Answer(302, b"", {"Location": "http://10.0.0.1/internal"}))

    with pytest.raises(TransportError):
        channel_for(f"json://{hook.host_port}/", hook).post(ITEM)

    assert len(hook.requests) == 1


def test_a_host_off_the_allow_list_is_refused_permanently_before_any_request(
    hook: AppriseHook,
) -> None:
    channel = AppriseChannel(f"json://{hook.host_port}/", allowed_hosts=["hooks.example.org"])

    with pytest.raises(TransportError, match="not on the broadcast allow-list") as caught:
        channel.post(ITEM)

    assert caught.value.permanent
    assert hook.requests == []


@pytest.mark.parametrize(
    ("urls", "reason"),
    [
        ("jsons://intranet.rathaus.local/x", "intranet.rathaus.local is not on"),
        ("json://hooks.example.org/x", "must be reached over https"),
        ("mailto://user:pw@mail.example.org", "scheme 'mailto' is not supported"),
        ("windows://", "scheme 'windows' is not supported"),
        ("", "no Apprise URL"),
        ("jsons://hooks.example.org/ok, xmls://10.0.0.1/evil", "10.0.0.1 is not on"),
    ],
)
def test_urls_are_checked_scheme_by_scheme_and_host_by_host(urls: str, reason: str) -> None:
    with pytest.raises(HostNotAllowed, match=reason):
        check_urls(urls, ["hooks.example.org", "hooks.example.org:80"])


def test_a_fixed_host_service_is_checked_against_its_api_host() -> None:
    [service] = check_urls("tgram://123456789:AAH-token/@musterstadt", ["api.telegram.org"])
    assert service.redirects is False

    with pytest.raises(HostNotAllowed, match=r"api\.telegram\.org is not on"):
        check_urls("tgram://123456789:AAH-token/@musterstadt", ["hooks.example.org"])


def test_a_refusal_never_repeats_the_url_with_its_credentials() -> None:
    with pytest.raises(HostNotAllowed) as caught:
        check_urls("jsons://user:geheim@intranet.local/x", [])

    assert "geheim" not in str(caught.value)
