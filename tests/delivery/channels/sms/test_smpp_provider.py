"""The SMPP provider against a real local SMSC (tests/support/smpp_server.py)."""

from __future__ import annotations

import socket
import time

import pytest

from stadtbote.delivery.channels.sms.providers.base import SmsOut
from tests.support.smpp_server import SmppServer

from .conftest import MakeSmpp, number, out


def test_a_message_is_submitted_over_a_transceiver_bind_with_a_receipt_requested(
    smsc: SmppServer, make_smpp: MakeSmpp
) -> None:
    provider = make_smpp(system_type="VMA", source="Musterstadt")

    [result] = provider.submit([out(1, "Straße gesperrt: Überflutung €5")])

    assert result.accepted
    assert result.message_ids == ("m000001",)
    [bind] = smsc.binds
    assert (bind.system_id, bind.password, bind.system_type) == ("stadtbote", "secret", "VMA")
    assert bind.interface_version == 0x34
    [sub] = smsc.submitted
    assert (sub.destination, sub.source, sub.source_ton) == ("4915100000001", "Musterstadt", 5)
    assert (sub.data_coding, sub.esm_class, sub.registered_delivery) == (0, 0, 1)
    assert sub.text == "Straße gesperrt: Überflutung €5"


def test_a_numeric_sender_is_sent_as_an_international_number(
    smsc: SmppServer, make_smpp: MakeSmpp
) -> None:
    make_smpp(source="+4922112345").submit([out(1)])
    assert (smsc.submitted[0].source, smsc.submitted[0].source_ton) == ("4922112345", 1)


def test_an_invalid_destination_is_a_permanent_failure_of_that_message_only(
    smsc: SmppServer, make_smpp: MakeSmpp
) -> None:
    smsc.answer(number(2), 0x0B)

    results = make_smpp().submit([out(1), out(2), out(3)])

    assert [r.accepted for r in results] == [True, False, True]
    assert results[1].permanent
    assert not results[1].provider_failure
    assert results[1].error == "submit_sm_resp: ESME_RINVDSTADR"


@pytest.mark.parametrize("status", [0x08, 0x14])
def test_a_system_error_or_full_queue_is_retryable_and_blames_the_provider(
    smsc: SmppServer, make_smpp: MakeSmpp, status: int
) -> None:
    smsc.answer(number(1), status)

    [result] = make_smpp().submit([out(1)])

    assert not result.accepted
    assert not result.permanent
    assert result.provider_failure


def test_a_vendor_specific_error_is_retried_without_blaming_the_provider(
    smsc: SmppServer, make_smpp: MakeSmpp
) -> None:
    smsc.answer(number(1), 0x401)
    [result] = make_smpp().submit([out(1)])
    assert (result.permanent, result.provider_failure) == (False, False)
    assert result.error == "submit_sm_resp: 0x00000401"


def test_throttling_is_retried_later_and_holds_back_the_next_submit(
    smsc: SmppServer, make_smpp: MakeSmpp
) -> None:
    smsc.throttle(1)
    provider = make_smpp(throttle_pause=0.2)

    started = time.monotonic()
    first, second = provider.submit([out(1), out(2)])

    assert first.error == "submit_sm_resp: ESME_RTHROTTLED"
    assert first.retry_after == 0.2
    assert second.accepted
    assert time.monotonic() - started >= 0.2


def test_a_dropped_connection_retries_what_was_unanswered_and_reconnects_for_the_rest(
    smsc: SmppServer, make_smpp: MakeSmpp
) -> None:
    smsc.drop_on_submit(2)

    results = make_smpp(window=1).submit([out(1), out(2), out(3)])

    assert [r.accepted for r in results] == [True, False, True]
    assert results[1].error.startswith("connection lost")
    assert not results[1].permanent
    assert [(s.session, s.destination) for s in smsc.submitted] == [
        (1, "4915100000001"),
        (2, "4915100000003"),
    ]
    assert len(smsc.binds) == 2


def test_an_smsc_that_cannot_be_reached_fails_every_message_over_after_limited_backoff(
    make_smpp: MakeSmpp,
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens here once closed
    sleeps: list[float] = []
    provider = make_smpp(port=port, reconnect_attempts=3, backoff=0.5, sleep=sleeps.append)

    results = provider.submit([out(1), out(2)])

    assert all(r.provider_failure and not r.permanent for r in results)
    assert results[0].error.startswith("cannot bind to 127.0.0.1")
    assert sleeps == [0.5, 1.0, 2.0]


def test_a_refused_bind_is_not_retried_within_the_batch(
    smsc: SmppServer, make_smpp: MakeSmpp
) -> None:
    [result] = make_smpp(password="wrong").submit([out(1)])

    assert result.provider_failure
    assert result.error == "bind_transceiver refused: ESME_RINVPASWD"
    assert len(smsc.binds) == 1


def test_no_more_submits_are_outstanding_than_the_window_allows(
    smsc: SmppServer, make_smpp: MakeSmpp
) -> None:
    smsc.response_delay = 0.03

    results = make_smpp(window=3, max_per_second=1000).submit([out(n) for n in range(10)])

    assert all(r.accepted for r in results)
    assert smsc.max_outstanding == 3


def test_submits_are_spaced_by_the_rate_limit(smsc: SmppServer, make_smpp: MakeSmpp) -> None:
    started = time.monotonic()
    make_smpp(max_per_second=20).submit([out(n) for n in range(5)])
    assert time.monotonic() - started >= 4 / 20


def test_an_smsc_that_stops_answering_leaves_the_messages_to_be_retried(
    smsc: SmppServer, make_smpp: MakeSmpp
) -> None:
    smsc.response_delay = 1.0

    [result] = make_smpp(timeout=0.2).submit([out(1)])

    assert result.error == "no submit_sm_resp in time"
    assert not result.permanent


def test_a_long_gsm_text_goes_as_udh_concatenated_parts_that_join_to_the_text(
    smsc: SmppServer, make_smpp: MakeSmpp
) -> None:
    text = "Bitte meiden Sie das Rheinufer [Pegel 8,20 m] €. " * 8  # 416 septets

    [result] = make_smpp().submit([out(1, text)])

    assert result.accepted
    assert result.segments == 3
    assert len(result.message_ids) == 3
    parts = smsc.submitted
    assert [p.udh[1:] if p.udh else None for p in parts] == [(3, 1), (3, 2), (3, 3)]
    assert len({p.udh[0] if p.udh else None for p in parts}) == 1
    assert all(p.esm_class == 0x40 and p.data_coding == 0 for p in parts)
    assert smsc.texts_for(number(1)) == [text]


def test_a_long_ucs2_text_with_emoji_is_concatenated_without_breaking_a_pair(
    smsc: SmppServer, make_smpp: MakeSmpp
) -> None:
    text = "Zażółć gęślą jaźń 🚧 " * 8

    [result] = make_smpp().submit([out(1, text)])

    assert result.accepted
    assert result.segments == 3
    assert {p.data_coding for p in smsc.submitted} == {8}
    assert smsc.texts_for(number(1)) == [text]


def test_message_payload_mode_sends_a_long_text_in_one_submit_sm(
    smsc: SmppServer, make_smpp: MakeSmpp
) -> None:
    text = "Gefahr " * 60

    [result] = make_smpp(long_messages="payload").submit([out(1, text)])

    assert result.accepted
    assert result.message_ids == ("m000001",)
    [sub] = smsc.submitted
    assert (sub.udh, sub.esm_class, sub.text) == (None, 0, text)


def test_delivery_receipts_are_parsed_and_answered(smsc: SmppServer, make_smpp: MakeSmpp) -> None:
    smsc.receipt_status(number(2), "UNDELIV")
    provider = make_smpp()
    provider.submit([out(1), out(2)])

    receipts = provider.receipts(wait=0.3)

    assert {(r.message_id, r.status) for r in receipts} == {
        ("m000001", "delivered"),
        ("m000002", "failed"),
    }
    assert receipts[0].at == 1795770060.0  # done date 2611270901, UTC
    assert smsc.receipt_acks == 2
    assert provider.receipts() == []


def test_an_idle_session_sends_enquire_link_before_the_next_submit(
    smsc: SmppServer, make_smpp: MakeSmpp
) -> None:
    provider = make_smpp(enquire_link_interval=0.05)
    provider.submit([out(1)])
    time.sleep(0.1)
    provider.submit([out(2)])
    assert smsc.commands[:4] == ["bind_transceiver", "submit_sm", "enquire_link", "submit_sm"]


def test_closing_unbinds(smsc: SmppServer, make_smpp: MakeSmpp) -> None:
    provider = make_smpp()
    provider.submit([out(1)])
    provider.close()
    assert smsc.commands[-1] == "unbind"


def test_a_number_without_plus_is_refused_without_contacting_the_smsc(
    smsc: SmppServer, make_smpp: MakeSmpp
) -> None:
    [result] = make_smpp().submit([SmsOut("r", "015112345678", "x")])
    assert result.permanent
    assert "E.164" in result.error
    assert smsc.submitted == []
