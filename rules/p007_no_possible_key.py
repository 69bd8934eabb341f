from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sqllint.records import Severity
from sqllint.registry import Option, Violation, rule

if TYPE_CHECKING:
    from sqllint.explain.subject import PlanSubject


@rule(code="P007", name="no-possible-key", severity=Severity.WARNING, target="plan",
      options={"min-rows": Option(1_000, "Report only tables with at least this many rows.", minimum=0)})
def check(subject: PlanSubject, options: dict[str, Any]) -> Iterator[Violation]:
    """A table is filtered by a condition, but no index could serve it (``possible_keys`` is empty).

    ## Why is this bad?
    The optimizer did not even consider an index: none starts with a column the condition compares, or
    the comparison hides the column (a function call, an implicit conversion between types or
    collations). The table is read in full and filtered row by row. The finding suggests the index the
    condition's columns need.

    Option ``min-rows`` (default 1,000) ignores small tables.

    ## Example
    ```sql bad
    SELECT id FROM shipments WHERE carrier = 'dhl'
    ```
    ```sql good
    SELECT id FROM shipments WHERE order_id = 42
    ```
    """
    for row in subject.plan.rows:
        if row.possible_keys or row.access_type not in ("ALL", "index") or not row.has_condition:
            continue
        table_name = subject.table_of(row)
        if table_name is None:
            continue
        rows = subject.table_rows(row)
        if rows < options["min-rows"]:
            continue
        advice = subject.index_advice(row)
        yield Violation(f"`{table_name}` (~{rows:,} rows) is filtered by a condition no index can serve "
                        "(possible_keys is empty)",
                        suggestion=f"add an index: {advice}" if advice else
                        "compare the bare column (no function, same type) so an index can serve it")
