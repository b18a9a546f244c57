from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from stadtbote.assistant import evaluate, service
from stadtbote.tenants.models import Municipality

DEV_SET = Path(evaluate.__file__).resolve().parent / "demo_kb" / "dev_questions.jsonl"


class Command(BaseCommand):
    help = "The assistant: evaluate it on a question set, ask it a question."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ev = sub.add_parser("eval", help="top-1/top-3 source accuracy, hand-offs, wrong answers")
        ev.add_argument("file", nargs="?", type=Path, default=DEV_SET)
        ev.add_argument("--tenant", default="musterstadt")
        ev.add_argument("--verbose", action="store_true", help="list wrong answers and misses")
        ask = sub.add_parser("ask", help="ask one question, as the API would")
        ask.add_argument("question")
        ask.add_argument("--tenant", default="musterstadt")
        ask.add_argument("--language", default="de")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        tenant = Municipality.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"no municipality {options['tenant']!r}")
        if action == "ask":
            answer = service.ask(tenant, options["question"], options["language"])
            self.stdout.write(answer.answer)
            for source in answer.sources:
                self.stdout.write(f"  source: {source['title']} <{source['url']}>")
            self.stdout.write(f"  answered={answer.answered} confidence={answer.confidence}")
            return
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        report = evaluate.run(tenant, path)
        for line in report.lines():
            self.stdout.write(line)
        if options["verbose"]:
            for line in report.confident_wrong:
                self.stdout.write(f"  wrong: {line}")
            for line in report.misses:
                self.stdout.write(f"  handed off: {line}")
