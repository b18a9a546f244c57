"""`stadtbote assistant eval` runs the demo's development set and reports the figures the
issue sets goals for; `assistant ask` answers one question as the API would."""

from __future__ import annotations

import re
from pathlib import Path

from stadtbote.assistant import evaluate
from tests.ops.conftest import run

HOLDOUT = Path(evaluate.__file__).parent / "demo_kb" / "holdout_questions.jsonl"


def figure(name: str, out: str) -> float:
    return float(re.search(rf"{name}: \d+/\d+ = ([\d.]+)%", out).group(1))


def test_the_development_set_is_evaluated_with_every_figure(tenant):
    out = run("assistant", "eval")
    for name in ("top-1 source accuracy", "top-3 source accuracy", "hand-off precision",
                 "emergencies caught: 6/6", "confident wrong answers"):  # fmt: skip
        assert name in out
    assert figure("top-3 source accuracy", out) >= 85.0


def test_one_question_is_answered_with_its_source(tenant):
    out = run("assistant", "ask", "Wie viel Hundesteuer zahle ich für einen Hund?")
    assert "source: Hundesteuer" in out
    assert "answered=True" in out


def test_the_development_set_meets_the_accuracy_goals(tenant):
    out = run("assistant", "eval")
    assert figure("top-1 source accuracy", out) >= 90.0
    assert figure("top-3 source accuracy", out) >= 95.0
    assert figure("hand-off recall", out) == 100.0
    assert "confident wrong answers: 0" in out


def test_questions_held_out_from_tuning_are_answered_as_well(tenant):
    out = run("assistant", "eval", str(HOLDOUT))
    assert figure("top-1 source accuracy", out) >= 90.0
    assert figure("hand-off recall", out) == 100.0
    assert "confident wrong answers: 0" in out


def test_asking_the_time_is_handed_off(tenant):
    assert "answered=False" in run("assistant", "ask", "Wie spät ist es?")
    assert "answered=False" in run("assistant", "ask", "What time is it?", "--language", "en")


def test_a_question_two_pages_answer_equally_well_counts_either(tenant, tmp_path):
    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        '{"question": "Bürgerbüro Öffnungszeiten", "language": "de", "expected": '
        '["https://www.musterstadt.example/buergerservice/oeffnungszeiten", '
        '"/musterstadt/contacts#office-buergerbuero"]}\n',
        encoding="utf-8",
    )
    out = run("assistant", "eval", str(questions))
    assert "top-1 source accuracy: 1/1" in out
