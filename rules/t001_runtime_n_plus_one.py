from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqllint.records import Severity
from sqllint.registry import Option, rule
from sqllint.trace.model import ConnectionWindow, RuntimeViolation, TracedStatement
from sqllint.trace.suggest import in_list_query

REPEATED_KINDS = frozenset({"select", "insert", "update", "delete", "replace"})


def _span(run: list[TracedStatement], resolution: float) -> str:
    first, last = run[0].at, run[-1].at
    if first is None or last is None:
        return ""
    seconds = last - first
    if resolution >= 1:  # the log records whole seconds
        return " within the same second" if seconds < 1 else f" within {seconds + 1:.0f} s"
    if seconds < 0.001:
        return " within less than 1 ms"
    if seconds < 0.01:
        return f" within {seconds * 1000:.1f} ms"
    return f" within {seconds * 1000:.0f} ms" if seconds < 10 else f" within {seconds:.1f} s"


def _report(run: list[TracedStatement], window: ConnectionWindow, least: int) -> Iterator[RuntimeViolation]:
    if len(run) < least:
        return
    kind = run[0].kind
    distinct = len({s.sql for s in run})
    where = f"on connection {window.connection}" if window.connection is not None else "on one connection"
    head = f"{kind.upper()} ran {len(run)} times in a row {where}{_span(run, window.resolution)}"
    if distinct == 1:
        yield RuntimeViolation(f"{head}, the same statement each time: run it once and reuse the result",
                               suggestion="fetch it once per request (or cache it) instead of once per item",
                               query=run[0].parsed, statements=tuple(run))
        return
    statements = tuple(run)

    def suggest() -> str:
        if kind in ("insert", "replace"):
            return "collect the rows and write them with executemany() or one multi-row INSERT"
        rewrite = in_list_query(statements) if kind == "select" else None
        return (f"fetch all of them with one query: {rewrite}" if rewrite
                else "one statement for all items (an IN list or a join) instead of one per item")

    yield RuntimeViolation(f"{head}, with {distinct} different values: one query per item (N+1 queries)",
                           query=run[0].parsed, statements=statements, suggest=suggest)


@rule(code="T001", name="runtime-n-plus-one", severity=Severity.WARNING, target="trace", options={
    "min-repeats": Option(5, "how many executions in a row make an N+1", minimum=2),
    "window-ms": Option(1000, "longest pause between two of them, in milliseconds", minimum=0),
    "max-between": Option(3, "other statements allowed between two of them (a loop body's other queries)",
                          minimum=0),
})
def check(window: ConnectionWindow, options: dict[str, Any]) -> Iterator[RuntimeViolation]:
    """The same statement ran many times in a row on one connection: an N+1 loop, seen in the log.

    ## Why is this bad?
    The application fetched a list and then ran one more query per item. Each execution is a round trip,
    a parse and an index descent; with the ten rows of a development database nobody notices, with a
    customer who has thousands of orders the endpoint takes seconds. In the log it shows as one
    fingerprint repeated back to back on one connection (``max-between`` other statements may sit between
    two repeats, for loops that run a few queries per item) with pauses no longer than ``window-ms``.
    Fetch all the rows at once with an ``IN`` list (or a join) and group them in memory. The static rule
    M002 finds loops in the code; this one finds them in what the application really sent, including
    loops through helpers, ORMs' lazy loading and code sqllint cannot read.

    ## Example
    ```log bad
    2024-05-01T10:00:00.100000Z	   41 Query	SELECT id, status FROM orders WHERE user_id = 7
    2024-05-01T10:00:00.101000Z	   41 Query	SELECT sku, qty FROM order_items WHERE order_id = 101
    2024-05-01T10:00:00.102000Z	   41 Query	SELECT sku, qty FROM order_items WHERE order_id = 102
    2024-05-01T10:00:00.103000Z	   41 Query	SELECT sku, qty FROM order_items WHERE order_id = 103
    2024-05-01T10:00:00.104000Z	   41 Query	SELECT sku, qty FROM order_items WHERE order_id = 104
    2024-05-01T10:00:00.105000Z	   41 Query	SELECT sku, qty FROM order_items WHERE order_id = 105
    2024-05-01T10:00:00.106000Z	   41 Query	SELECT sku, qty FROM order_items WHERE order_id = 106
    ```

    Use instead:
    ```log good
    2024-05-01T10:00:00.100000Z	   41 Query	SELECT id, status FROM orders WHERE user_id = 7
    2024-05-01T10:00:00.101000Z	   41 Query	SELECT order_id, sku, qty FROM order_items WHERE order_id IN (101, 102, 103, 104, 105, 106)
    ```
    """
    least, limit = int(options["min-repeats"]), int(options["max-between"])
    pause = int(options["window-ms"]) / 1000 + window.resolution
    runs: dict[str, list[TracedStatement]] = {}
    last_index: dict[str, int] = {}
    for index, statement in enumerate(window.statements):
        if statement.kind not in REPEATED_KINDS:
            continue
        key = statement.fingerprint
        run = runs.get(key)
        if run is not None:
            last = run[-1]
            apart = (statement.at - last.at) if statement.at is not None and last.at is not None else 0.0
            if index - last_index[key] - 1 > limit or apart > pause:
                yield from _report(run, window, least)
                run = None
        if run is None:
            run = runs[key] = []
        run.append(statement)
        last_index[key] = index
    for run in runs.values():
        yield from _report(run, window, least)
