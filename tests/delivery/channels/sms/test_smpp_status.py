"""SMPP command_status meanings and delivery receipt texts (pure)."""

from __future__ import annotations

import pytest

from stadtbote.delivery.channels.sms.providers.smpp_status import classify_status, parse_receipt


@pytest.mark.parametrize(
    ("status", "permanent", "provider_failure"),
    [
        (0x0B, True, False),  # ESME_RINVDSTADR
        (0x0A, True, False),  # ESME_RINVSRCADR
        (0x58, False, True),  # ESME_RTHROTTLED
        (0x14, False, True),  # ESME_RMSGQFUL
        (0x08, False, True),  # ESME_RSYSERR
        (0x45, False, False),  # ESME_RSUBMITFAIL
        (0x400, False, False),  # vendor specific
    ],
)
def test_a_command_status_is_permanent_provider_wide_or_just_retryable(
    status: int, permanent: bool, provider_failure: bool
) -> None:
    meaning = classify_status(status)
    assert (meaning.permanent, meaning.provider_failure) == (permanent, provider_failure)


def test_an_appendix_b_receipt_text_is_read() -> None:
    receipt = parse_receipt(
        "id:7f3a sub:001 dlvrd:000 submit date:2611270900 done date:2611271015 "
        "stat:UNDELIV err:0b1 text:Musterstadt - WARN"
    )
    assert receipt is not None
    assert (receipt.message_id, receipt.status, receipt.error) == ("7f3a", "failed", "0b1")
    assert receipt.at == 1795774500.0  # 2026-11-27 10:15 UTC
    assert receipt.final


def test_the_tlvs_win_over_the_text() -> None:
    receipt = parse_receipt("id:old stat:DELIVRD", receipted_message_id="new", message_state=3)
    assert receipt is not None
    assert (receipt.message_id, receipt.status) == ("new", "expired")


def test_an_enroute_receipt_is_not_final() -> None:
    receipt = parse_receipt("id:1 stat:ENROUTE err:000")
    assert receipt is not None
    assert (receipt.status, receipt.final, receipt.error) == ("accepted", False, "")


def test_a_message_that_is_no_receipt_gives_none() -> None:
    assert parse_receipt("Ja, bitte weiter informieren") is None
