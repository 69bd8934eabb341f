from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sqllint.records import Severity
from sqllint.explain.plan import loop_rows
from sqllint.registry import Option, Violation, rule

if TYPE_CHECKING:
    from sqllint.explain.subject import PlanSubject


@rule(code="P005", name="dependent-subquery", severity=Severity.WARNING, target="plan",
      options={"min-rows": Option(1_000, "Report only when outer rows × subquery rows reach this.", minimum=0)})
def check(subject: PlanSubject, options: dict[str, Any]) -> Iterator[Violation]:
    """The plan runs a subquery once per outer row (``DEPENDENT SUBQUERY`` / ``DEPENDENT UNION``).

    ## Why is this bad?
    A correlated subquery the optimizer could not turn into a join or semi-join is re-executed for every
    row of the outer query: its cost is multiplied by the outer row count. Rewriting it as a JOIN with
    GROUP BY (or a derived table computed once) usually removes the multiplication.

    Option ``min-rows`` (default 1,000) ignores cheap cases: outer rows × rows per execution.

    ## Example
    ```sql bad
    SELECT u.id, (SELECT COUNT(*) FROM orders o WHERE o.status = u.status) AS n FROM users u WHERE u.id < 10
    ```
    ```sql good
    SELECT u.id, COUNT(o.id) AS n FROM users u LEFT JOIN orders o ON o.user_id = u.id WHERE u.id < 10 GROUP BY u.id
    ```
    """
    loops = subject.plan.blocks
    outer_rows = loop_rows(next(iter(loops.values()), ()))
    for key, rows in loops.items():
        if not rows or "DEPENDENT" not in rows[0].select_type.upper():
            continue
        inner = loop_rows(rows)
        if outer_rows * inner < options["min-rows"]:
            continue
        tables = ", ".join(f"`{subject.table_of(r) or r.table}`" for r in rows if r.table)
        yield Violation(f"{rows[0].select_type.lower()} {key} (on {tables}) runs once per outer row: ~{outer_rows:,} "
                        f"executions × ~{inner:,} rows each",
                        suggestion="rewrite the correlated subquery as a JOIN (with GROUP BY) or a derived table")
