"""`stadtbote assistant eval FILE`: how well the assistant finds the right page, and whether it
hands off what it should not answer. Each line of FILE: {"question", "language", "expected"}
with expected a page url, a list of urls (pages that answer it equally well: the town's page
on opening hours and an office's own contacts entry), "handoff" or "emergency"."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.utils import translation

from stadtbote.assistant import safety, service
from stadtbote.assistant.index import confidence
from stadtbote.tenants.models import Municipality

NOT_ANSWERED = ("handoff", "emergency")


@dataclass
class Report:
    questions: int = 0
    page_questions: int = 0
    top1: int = 0
    top3: int = 0
    handed_off: int = 0
    handed_off_rightly: int = 0
    should_hand_off: int = 0
    answered_instead: int = 0  # of those that should have been handed off
    emergencies: int = 0
    emergencies_caught: int = 0
    confident_wrong: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        def share(part: int, whole: int) -> str:
            return f"{part}/{whole} = {part / whole:.1%}" if whole else "–"

        return [
            f"questions: {self.questions} ({self.page_questions} with an expected page)",
            f"top-1 source accuracy: {share(self.top1, self.page_questions)}",
            f"top-3 source accuracy: {share(self.top3, self.page_questions)}",
            f"hand-off precision: {share(self.handed_off_rightly, self.handed_off)}",
            f"hand-off recall: "
            f"{share(self.should_hand_off - self.answered_instead, self.should_hand_off)}",
            f"emergencies caught: {share(self.emergencies_caught, self.emergencies)}",
            f"confident wrong answers: {len(self.confident_wrong)}",
        ]


def run(tenant: Municipality, path: Path) -> Report:
    report = Report()
    index, synonyms = service.knowledge(tenant)
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        question, language, expected = item["question"], item["language"], item["expected"]
        right = set(expected) if isinstance(expected, list) else {expected}
        report.questions += 1
        kind = safety.refusal(question)
        with translation.override(language):
            hits = [] if kind else index.search(question, language, synonyms, k=10)
        answered = kind is None and confidence(hits) >= service.THRESHOLD
        pages = list(dict.fromkeys(h.passage.url for h in hits))
        if isinstance(expected, list):
            expected = " or ".join(expected)
        if expected == "emergency":
            report.emergencies += 1
            caught = kind in (safety.Refusal.EMERGENCY, safety.Refusal.CRISIS)
            report.emergencies_caught += caught
        if expected in NOT_ANSWERED:
            report.should_hand_off += 1
        if not answered:
            report.handed_off += 1
            report.handed_off_rightly += expected in NOT_ANSWERED
        if expected in NOT_ANSWERED:
            if answered:
                report.answered_instead += 1
                report.confident_wrong.append(f"[should hand off] {question} -> {pages[0]}")
            continue
        report.page_questions += 1
        report.top1 += bool(pages) and pages[0] in right
        report.top3 += bool(right & set(pages[:3]))
        if answered and pages[0] not in right:
            report.confident_wrong.append(f"{question} -> {pages[0]} (expected {expected})")
        elif not answered:
            report.misses.append(f"{question} (expected {expected})")
    return report
