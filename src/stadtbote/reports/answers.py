"""Answers to a category's extra questions, checked by Open311 attribute datatype (pure)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from stadtbote.core.errors import InvalidInput

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
MAX_TEXT = 2000


def check(questions: list[dict[str, Any]], given: dict[str, Any]) -> dict[str, Any]:
    """Clean answers for the questions asked; unknown codes are refused, required ones needed."""
    by_code = {q["code"]: q for q in questions if q.get("variable", True)}
    unknown = sorted(set(given) - set(by_code))
    if unknown:
        raise InvalidInput(f"no such question {unknown[0]!r}", field=f"attribute[{unknown[0]}]")
    clean: dict[str, Any] = {}
    for code, q in by_code.items():
        field = f"attribute[{code}]"
        value = given.get(code)
        if value in (None, "", []):
            if q.get("required"):
                raise InvalidInput("is required", field=field)
            continue
        clean[code] = _one(q, value, field)
    return clean


def _one(q: dict[str, Any], value: Any, field: str) -> Any:
    kind = q.get("datatype", "string")
    if kind in ("string", "text"):
        text = str(value).strip()
        if len(text) > (MAX_TEXT if kind == "text" else 200):
            raise InvalidInput("is too long", field=field)
        return text
    if kind == "number":
        try:
            number = float(str(value).replace(",", "."))
        except ValueError:
            raise InvalidInput("must be a number", field=field) from None
        if number != number or number in (float("inf"), float("-inf")):
            raise InvalidInput("must be a number", field=field)
        return number
    if kind == "datetime":
        try:
            when = datetime.fromisoformat(str(value))
        except ValueError:
            raise InvalidInput("must be an ISO 8601 date and time", field=field) from None
        return when.isoformat()
    keys = {str(v["key"]) for v in q.get("values", [])}
    values = value if isinstance(value, list) else [value]
    chosen = [str(v) for v in values]
    if kind == "singlevaluelist" and len(chosen) != 1:
        raise InvalidInput("choose one value", field=field)
    bad = [v for v in chosen if v not in keys]
    if bad:
        raise InvalidInput(f"{bad[0]!r} is not one of the choices", field=field)
    return chosen[0] if kind == "singlevaluelist" else sorted(set(chosen))
