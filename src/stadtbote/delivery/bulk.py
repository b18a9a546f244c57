"""Plain-row inserts for the hot paths of delivery (a delivery row per recipient, an attempt row
per send).

``QuerySet.bulk_create`` builds a model instance per row and prepares every value field by field;
for tens of thousands of deliveries that costs several times the database work itself. Here rows
are tuples of plain values (int, str, None; not enum members), and only the columns whose
database form differs by backend (datetimes, UUIDs, also behind a foreign key) are prepared by
their field. PostgreSQL gets one ``INSERT … SELECT FROM UNNEST(<one array per column>)`` (what
Django's bulk_create sends there), SQLite one prepared INSERT stepped per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.db import connection, models


def insert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
) -> None:
    """INSERT ``rows`` (values in the order of ``fields``) into ``model``'s table.

    With ``ignore_conflicts`` rows violating a unique constraint are skipped (``ON CONFLICT DO
    NOTHING``), which is what makes re-running a fan-out safe. Columns left out get NULL, so
    every non-null field must be listed.
    """
    if not rows:
        return
    opts = model._meta
    columns = [cast("models.Field[Any, Any]", opts.get_field(name)) for name in fields]
    special = [
        (i, f)
        for i, f in enumerate(columns)
        if isinstance(getattr(f, "target_field", f), (models.DateTimeField, models.UUIDField))
    ]
    if special:
        # Such values repeat (the message id, one "now" per chunk): prepare each one once.
        done: dict[tuple[int, Any], Any] = {}
        prepared: list[Sequence[Any]] = []
        for row in rows:
            values = list(row)
            for i, f in special:
                value = values[i]
                if value is not None:
                    if (i, value) not in done:
                        done[i, value] = f.get_db_prep_save(value, connection)
                    values[i] = done[i, value]
            prepared.append(values)
        rows = prepared
    qn = connection.ops.quote_name
    into = f"INSERT INTO {qn(opts.db_table)} ({', '.join(qn(f.column) for f in columns)})"
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement with one array per column (as Django's bulk_create does): a single
            # short query for the server to plan, instead of one execution per row.
            types = [f.db_type(connection) or "" for f in columns]
            arrays = ", ".join(f"(%s)::{t.split('(')[0]}[]" for t in types)
            sql = f"{into} SELECT * FROM UNNEST({arrays}){tail}"  # noqa: S608 - from _meta
            cursor.execute(sql, [list(column) for column in zip(*rows, strict=True)])
        else:
            # SQLite steps one prepared statement per row: its fastest way.
            one = "(" + ", ".join(["%s"] * len(columns)) + ")"
            cursor.executemany(f"{into} VALUES {one}{tail}", rows)
