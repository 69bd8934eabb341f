from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sqllint.records import Severity
from sqllint.registry import Option, Violation, rule

if TYPE_CHECKING:
    from sqllint.explain.subject import PlanSubject


@rule(code="P001", name="full-table-scan", severity=Severity.WARNING, target="plan",
      options={"min-rows": Option(10_000, "Report only tables with at least this many rows.", minimum=0)})
def check(subject: PlanSubject, options: dict[str, Any]) -> Iterator[Violation]:
    """The plan reads every row of a large table (access type ``ALL``).

    ## Why is this bad?
    A full scan costs time proportional to the table, not to the answer: fine on a 200-row lookup
    table, a timeout on a table that keeps growing. It usually means no index matches the WHERE or JOIN
    columns, or the index cannot be used (a function on the column, a leading ``%`` wildcard, a type
    mismatch). The finding names the table, its row estimate and, when the predicate's columns are not
    indexed, the ``CREATE INDEX`` that would serve it (advice only: sqllint never runs DDL).

    Option ``min-rows`` (default 10,000) sets the size below which scans are not reported.

    ## Example
    ```sql bad
    SELECT id, total_cents FROM orders WHERE status = 'paid'
    ```
    ```sql good
    SELECT id, total_cents FROM orders WHERE user_id = 42
    ```
    """
    for row in subject.plan.rows:
        if not row.full_scan:
            continue
        table_name = subject.table_of(row)
        if table_name is None:
            continue
        rows = subject.table_rows(row)
        if rows < options["min-rows"]:
            continue
        advice = subject.index_advice(row)
        why = ("no index is usable for its condition" if row.has_condition else "the statement has no condition "
               "that an index could serve")
        if row.possible_keys:
            why = f"the optimizer chose not to use {', '.join(row.possible_keys)}"
        yield Violation(f"reads every row of `{table_name}` (~{rows:,} rows, access type ALL): {why}",
                        suggestion=f"add an index: {advice}" if advice else None)
