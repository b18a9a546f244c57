"""Versions of one warning arriving in any order: an update of a warning citizens have goes out
at once and replaces it, a cancel withdraws every version, and older news never undoes newer."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from stadtbote.cap import reader
from stadtbote.cap.alert import Area, CapError, Reference
from stadtbote.cap.chain import MAX_KEY, alert_key
from stadtbote.cap.models import Outcome
from stadtbote.cap.relay import relay as dwd_relay
from stadtbote.delivery import dispatch
from stadtbote.delivery.models import DeliveryJob, Kind
from stadtbote.messages.models import Message, MessageStatus
from tests.cap.test_relay import ELSEWHERE, OVER_TOWN, alert, info, update_of
from tests.cap.test_relay import dwd as dwd

MOWAS = Path(__file__).resolve().parent / "data" / "mowas"
CANCELLED = MessageStatus.CANCELLED
PUBLISHED = MessageStatus.PUBLISHED


def cancel_of(*earlier, identifier: str = "c", sender: str = "opendata@dwd.de"):
    refs = [Reference(e.sender, e.identifier, e.sent_text) for e in earlier]
    return alert(identifier, msg_type="Cancel", references=refs, sender=sender)


def status(handled) -> str:
    return Message.objects.get(pk=handled.message_id).status


def test_a_lower_update_of_a_sent_warning_goes_out_at_once_and_a_cancel_withdraws_both(tenant, dwd):
    a = alert("a")
    first = dwd_relay(tenant, dwd, a)
    u = update_of(a, "u", infos=[info("Minor", headline="Entwarnung: nur noch Böen")])
    second = dwd_relay(tenant, dwd, u)
    assert second.outcome == Outcome.RELAYED  # not held, although minor is below the rule
    assert Message.objects.get(pk=second.message_id).replaces_id is not None
    done = dwd_relay(tenant, dwd, cancel_of(a, u))
    assert (done.outcome, done.message_id) == (Outcome.CANCELLED, second.message_id)
    assert status(first) == status(second) == CANCELLED
    # One all-clear: the latest version's, which reaches everyone who got the first.
    withdrawals = DeliveryJob.objects.filter(kind=Kind.WITHDRAWAL).values_list(
        "message_id", flat=True
    )
    assert [str(m) for m in withdrawals] in ([], [second.message_id])


def test_a_cancel_that_names_only_the_first_of_a_held_chain_withdraws_what_was_sent(tenant, dwd):
    a = alert("a", infos=[info("Minor")])
    held = dwd_relay(tenant, dwd, a)
    assert held.outcome == Outcome.HELD
    u = update_of(a, "u")  # raised to severe: out at once, in place of the draft
    sent = dwd_relay(tenant, dwd, u)
    assert sent.outcome == Outcome.RELAYED
    assert status(held) == CANCELLED
    done = dwd_relay(tenant, dwd, cancel_of(a))
    assert (done.outcome, done.message_id) == (Outcome.CANCELLED, sent.message_id)
    assert status(sent) == CANCELLED


def test_an_update_after_the_cancel_that_named_it_is_not_a_new_alarm(tenant, dwd):
    a = alert("a")
    dwd_relay(tenant, dwd, a)
    u = update_of(a, "u")
    dwd_relay(tenant, dwd, cancel_of(a, u))  # the cancel came first through a faster source
    late = dwd_relay(tenant, dwd, u)
    assert late.outcome == Outcome.IGNORED
    assert "later version" in late.reason
    assert not Message.objects.filter(status=PUBLISHED).exists()


def test_an_original_arriving_after_its_update_is_not_sent_again(tenant, dwd):
    a = alert("a")
    dwd_relay(tenant, dwd, update_of(a, "u"))
    assert dwd_relay(tenant, dwd, a).outcome == Outcome.IGNORED
    assert Message.objects.count() == 1


def test_an_update_after_the_all_clear_is_ignored(tenant, dwd):
    a = alert("a")
    dwd_relay(tenant, dwd, a)
    dwd_relay(tenant, dwd, cancel_of(a))
    later = dwd_relay(tenant, dwd, update_of(a, "u"))  # refers only to the original
    assert (later.outcome, later.reason) == (Outcome.IGNORED, "the warning was already withdrawn")


def test_an_update_that_moves_away_from_the_town_sends_the_all_clear_here(tenant, dwd):
    a = alert("a")
    first = dwd_relay(tenant, dwd, a)
    away = update_of(a, "u", infos=[info(areas=[Area("Hannover", [ELSEWHERE])])])
    handled = dwd_relay(tenant, dwd, away)
    assert (handled.outcome, handled.message_id) == (Outcome.CANCELLED, first.message_id)
    assert status(first) == CANCELLED


def test_an_expired_update_of_a_sent_warning_ends_it(tenant, dwd):
    a = alert("a")
    first = dwd_relay(tenant, dwd, a)
    over = update_of(a, "u", infos=[info(expires=timezone.now() - timedelta(minutes=5))])
    assert dwd_relay(tenant, dwd, over).outcome == Outcome.CANCELLED
    assert status(first) == CANCELLED


def test_a_cancel_from_another_sender_cannot_withdraw_a_dwd_warning(tenant, dwd):
    a = alert("a")
    first = dwd_relay(tenant, dwd, a)
    forged = dwd_relay(tenant, dwd, cancel_of(a, sender="someone@elsewhere.example"))
    assert forged.outcome == Outcome.IGNORED
    assert status(first) == PUBLISHED


def test_a_draft_approved_meanwhile_is_updated_instead_of_withdrawn(tenant, dwd):
    a = alert("a", infos=[info("Minor")])
    held = dwd_relay(tenant, dwd, a)
    dispatch.approve(Message.objects.get(pk=held.message_id))
    handled = dwd_relay(tenant, dwd, update_of(a, "u", infos=[info("Minor")]))
    assert handled.outcome == Outcome.RELAYED
    assert str(Message.objects.get(pk=handled.message_id).replaces_id) == held.message_id


def test_every_info_counts_for_the_area(tenant, dwd):
    far = info(areas=[Area("Hannover", [ELSEWHERE])])
    near = info(areas=[Area("Lippstadt", [OVER_TOWN])], headline="Zweiter Teil")
    assert dwd_relay(tenant, dwd, alert("a", infos=[far, near])).outcome == Outcome.RELAYED


def test_the_town_page_shows_a_warning_by_its_newest_version_only(client, tenant, dwd):
    a = alert("a", infos=[info(headline="Sturmböen")])
    dwd_relay(tenant, dwd, a)
    dwd_relay(tenant, dwd, update_of(a, "u", infos=[info(headline="Orkanböen")]))
    page = client.get("/musterstadt/").content.decode()
    assert "Orkanböen" in page
    assert "Sturmböen" not in page


def test_withdrawing_an_update_in_the_console_withdraws_the_version_it_replaced(tenant, dwd):
    a = alert("a")
    first = dwd_relay(tenant, dwd, a)
    second = dwd_relay(tenant, dwd, update_of(a, "u"))
    dispatch.cancel(Message.objects.get(pk=second.message_id))
    assert status(first) == CANCELLED


def test_an_overlong_identifier_still_has_a_key_that_fits():
    key = alert_key("x" * 5000)
    assert len(key) == MAX_KEY
    assert alert_key("x" * 5000) == key != alert_key("x" * 4999)


def test_a_date_no_warning_can_have_is_refused():
    with pytest.raises(CapError, match="out of range"):
        reader.read(
            (MOWAS / "fire_alert.xml").read_bytes().replace(b"2026-11-27T09", b"0001-01-01T00", 1)
        )
