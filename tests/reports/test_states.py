"""The case state machine: what may follow what, and what never may."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stadtbote.reports.states import (
    ALLOWED,
    CaseStatus,
    TransitionRefused,
    answers_the_reporter,
    can,
    open311_status,
    transition,
)

S = CaseStatus


def test_every_status_has_its_rules():
    assert set(ALLOWED) == set(CaseStatus)


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        (S.RECEIVED, S.CLOSED),  # closing unseen reports would hide them from the numbers
        (S.RESOLVED, S.RECEIVED),
        (S.CLOSED, S.RESOLVED),
        (S.DUPLICATE, S.IN_PROGRESS),
        (S.SCHEDULED, S.DUPLICATE),
        (S.IN_PROGRESS, S.IN_PROGRESS),
    ],
)
def test_forbidden_transitions_are_refused_with_both_states_named(current, wanted):
    with pytest.raises(TransitionRefused, match=f"{current}.*{wanted}"):
        transition(current, wanted)


def test_a_typical_life_is_allowed():
    path = [S.RECEIVED, S.IN_PROGRESS, S.SCHEDULED, S.RESOLVED, S.CLOSED, S.IN_PROGRESS]
    for a, b in itertools.pairwise(path):
        assert transition(a, b) is b


@settings(derandomize=True, database=None)
@given(st.lists(st.sampled_from(list(CaseStatus)), min_size=1, max_size=30))
def test_no_sequence_of_transitions_ever_leaves_the_duplicate_state(moves):
    state = S.DUPLICATE
    for wanted in moves:
        assert not can(state, wanted)


@settings(derandomize=True, database=None)
@given(st.sampled_from(list(CaseStatus)))
def test_nothing_returns_to_received_and_no_state_follows_itself(status):
    assert not can(status, S.RECEIVED)
    assert not can(status, status)


def test_open311_knows_open_and_closed_only():
    assert [open311_status(s) for s in (S.RECEIVED, S.IN_PROGRESS, S.SCHEDULED)] == ["open"] * 3
    assert {
        open311_status(s) for s in set(CaseStatus) - {S.RECEIVED, S.IN_PROGRESS, S.SCHEDULED}
    } == {"closed"}


def test_taking_a_case_up_is_its_first_answer():
    assert answers_the_reporter(S.RECEIVED, S.IN_PROGRESS)
    assert not answers_the_reporter(S.IN_PROGRESS, S.SCHEDULED)
