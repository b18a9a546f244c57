"""The Kannel-style HTTP provider against a local gateway (tests/support/sms_gateway.py)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from stadtbote.delivery.channels.sms.providers.base import SmsOut
from stadtbote.delivery.channels.sms.providers.http_gateway import (
    HttpGatewayProvider,
    check_gateway_url,
    parse_dlr,
)
from tests.support.sms_gateway import SmsGateway

from .conftest import number, out

DLR = "https://stadtbote.example/sms/dlr?id={id}&type=%d&at=%T"


@pytest.fixture
def gateway() -> Iterator[SmsGateway]:
    with SmsGateway() as server:
        yield server


def provider(gateway: SmsGateway, **options: Any) -> HttpGatewayProvider:
    ids = count(1)
    options.setdefault("username", "stadtbote")
    options.setdefault("password", "secret")
    options.setdefault("sender", "Musterstadt")
    options.setdefault("dlr_url", DLR)
    options.setdefault("allowed_http_hosts", [f"127.0.0.1:{gateway.port}"])
    options.setdefault("id_factory", lambda: f"sb{next(ids):04d}")
    options.setdefault("timeout", 2.0)
    return HttpGatewayProvider(options.pop("url", gateway.url), **options)


def test_a_message_is_accepted_with_our_id_in_the_dlr_url(gateway: SmsGateway) -> None:
    [result] = provider(gateway).submit([out(1, "Straße gesperrt €")])

    assert result.accepted
    assert result.message_ids == ("sb0001",)
    [request] = gateway.received
    assert request["to"] == number(1)
    assert request["from"] == "Musterstadt"
    assert request["text"] == "Straße gesperrt €"
    assert (request["charset"], request["coding"], request["dlr-mask"]) == ("UTF-8", "0", "31")
    assert request["dlr-url"] == "https://stadtbote.example/sms/dlr?id=sb0001&type=%d&at=%T"


def test_a_text_outside_gsm_is_sent_with_ucs2_coding(gateway: SmsGateway) -> None:
    provider(gateway).submit([out(1, "Zażółć 🚧")])
    assert gateway.received[0]["coding"] == "2"


def test_a_rejected_number_is_a_permanent_failure(gateway: SmsGateway) -> None:
    gateway.answer(number(2), 400, "Invalid receiver number")

    results = provider(gateway).submit([out(1), out(2)])

    assert [r.accepted for r in results] == [True, False]
    assert results[1].permanent
    assert results[1].error == "HTTP 400: Invalid receiver number"


def test_an_unavailable_gateway_is_retryable_with_its_retry_after(gateway: SmsGateway) -> None:
    gateway.answer(number(1), 503, "Sending failed", retry_after="120")

    [result] = provider(gateway).submit([out(1)])

    assert not result.permanent
    assert result.provider_failure
    assert result.retry_after == 120.0


def test_refused_credentials_blame_the_provider_not_the_message(gateway: SmsGateway) -> None:
    [result] = provider(gateway, password="wrong").submit([out(1)])
    assert result.provider_failure
    assert not result.permanent
    assert result.error == "HTTP 403: Authorization failed for sendsms"


def test_a_gateway_that_does_not_answer_in_time_is_retryable(gateway: SmsGateway) -> None:
    gateway.delay = 1.0
    [result] = provider(gateway, timeout=0.2).submit([out(1)])
    assert result.provider_failure
    assert result.error == "timeout after 0.2s"


def test_plain_http_is_refused_unless_the_host_is_listed() -> None:
    assert check_gateway_url("https://sms.example/cgi-bin/sendsms") == (
        "https://sms.example/cgi-bin/sendsms"
    )
    check_gateway_url("http://10.0.0.5:13013/cgi-bin/sendsms", ["10.0.0.5:13013"])
    with pytest.raises(ValueError, match="must be https"):
        check_gateway_url("http://10.0.0.5:13013/cgi-bin/sendsms")
    with pytest.raises(ValueError, match="user information"):
        check_gateway_url("https://user:pw@sms.example/cgi-bin/sendsms")
    with pytest.raises(ValueError, match="must be https"):
        check_gateway_url("ftp://sms.example/")


def test_a_dlr_callback_reads_as_a_receipt() -> None:
    url = DLR.replace("{id}", "sb0001").replace("%d", "1").replace("%T", "1795770060")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}

    receipt = parse_dlr(query)

    assert (receipt.message_id, receipt.status, receipt.at) == ("sb0001", "delivered", 1795770060.0)
    assert parse_dlr({"id": "x", "type": "16"}).status == "rejected"
    assert parse_dlr({"id": "x", "type": "4"}).final is False
    with pytest.raises(ValueError, match="unknown Kannel dlr type"):
        parse_dlr({"id": "x", "type": "3"})
    with pytest.raises(ValueError, match="message id"):
        parse_dlr({"type": "1"})


def test_a_garbled_answer_is_reported_without_the_password_number_or_text() -> None:
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def garble() -> None:
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.sendall(b"FOO\r\n\r\n")
        conn.close()

    threading.Thread(target=garble, daemon=True).start()
    provider = HttpGatewayProvider(
        f"http://127.0.0.1:{port}/cgi-bin/sendsms",
        username="stadtbote",
        password="S3CRET-PASS",
        sender="Musterstadt",
        allowed_http_hosts=[f"127.0.0.1:{port}"],
        timeout=2.0,
    )
    try:
        [result] = provider.submit([SmsOut("r1", "+4915112345678", "Hochwasser am Rhein")])
    finally:
        provider.close()
        listener.close()

    assert result.provider_failure
    assert "S3CRET" not in result.error
    assert "4915112345678" not in result.error
    assert "Hochwasser" not in result.error
