from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqllint.records import Severity
from sqllint.registry import Option, rule
from sqllint.rules.m001_mergeable_queries import _merged_sql, _written_tables
from sqllint.sqlshape import SelectKey, select_key
from sqllint.trace.model import ConnectionWindow, RuntimeViolation, TracedStatement
from sqllint.trace.suggest import shape_of, table_alias


def _key(statement: TracedStatement) -> SelectKey | None:
    parsed = statement.parsed  # shared by the fingerprint's statements: the key is computed once
    return parsed.memo("select_key", lambda: select_key(parsed))  # type: ignore[no-any-return]


def _merged(first: TracedStatement, second: TracedStatement) -> str | None:
    """The merged SELECT, with the values both statements were logged with."""
    first_shape, shape = shape_of(first), shape_of(second)
    if not first_shape or not shape:
        return None
    merged = _merged_sql(first_shape, shape)
    alias = table_alias(first.parsed)
    return merged.replace(f" FROM {shape.table}", f" FROM {shape.table} {alias}", 1) if alias else merged


@rule(code="T002", name="runtime-mergeable-queries", severity=Severity.WARNING, target="trace", options={
    "window-ms": Option(1000, "longest time between the two reads, in milliseconds", minimum=0),
})
def check(window: ConnectionWindow, options: dict[str, Any]) -> Iterator[RuntimeViolation]:
    """Two different SELECTs read the same table by the same key, one right after the other, on one connection.

    ## Why is this bad?
    The log shows what the code review missed: a request that reads the same rows twice, once for a few
    columns and once for a few others (often from two helpers that each "just need one thing"). Each read
    is a round trip, a parse and an index descent. Reads on the same table with the same predicate shape
    can be one query that selects all the needed columns, and reads by different values of the same key
    can be one ``IN`` list. A write to the table between the two reads (which the second read must see)
    keeps them apart. This is rule M001 applied to what the application really sent.

    ## Example
    ```log bad
    2024-05-01T10:00:00.100000Z	   52 Query	SELECT status, created_at FROM orders WHERE id = 7
    2024-05-01T10:00:00.101000Z	   52 Query	SELECT total_cents, currency FROM orders WHERE id = 7
    ```

    Use instead:
    ```log good
    2024-05-01T10:00:00.100000Z	   52 Query	SELECT status, created_at, total_cents, currency FROM orders WHERE id = 7
    2024-05-01T10:00:00.101000Z	   52 Query	UPDATE orders SET status = 'paid' WHERE id = 7
    2024-05-01T10:00:00.102000Z	   52 Query	SELECT status, updated_at FROM orders WHERE id = 7
    ```
    """
    pause = int(options["window-ms"]) / 1000 + window.resolution
    seen: dict[SelectKey, TracedStatement] = {}
    reported: set[tuple[str, str]] = set()
    for statement in window.statements:
        written = _written_tables([statement.parsed]) if statement.kind != "select" else set()
        if written:  # the next read must see the write: earlier reads of that table cannot merge with it
            seen = {} if "*" in written else {k: s for k, s in seen.items() if k[0] not in written}
            continue
        key = _key(statement)
        if key is None:
            continue
        first = seen.get(key)
        apart = (statement.at - first.at) if first and first.at is not None and statement.at is not None else 0.0
        if first is None or first.fingerprint == statement.fingerprint or apart > pause:
            seen[key] = statement
            continue
        pair = (first.fingerprint, statement.fingerprint)
        if pair in reported:
            continue
        reported.add(pair)
        columns = ", ".join(sorted(c for c, _ in key[1])) or "no condition"
        if first.at is None or statement.at is None:
            when = "before it"
        elif window.resolution >= 1:  # the log records whole seconds
            when = "in the same second" if apart < 1 else f"{apart:.0f} s before it"
        else:
            when = ("less than 1 ms before it" if apart < 0.001 else f"{apart * 1000:.1f} ms before it"
                    if apart < 0.01 else f"{apart * 1000:.0f} ms before it")
        yield RuntimeViolation(
            f"reads {key[0]} by the same key ({columns}) as the SELECT {when} on the same connection "
            f"(log line {first.line}): merge them into one query",
            query=statement.parsed, statements=(first, statement), related=first.fingerprint, subject=1,
            suggest=lambda first=first, second=statement: _merged(first, second))
