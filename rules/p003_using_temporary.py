from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sqllint.records import Severity
from sqllint.explain.plan import loop_rows
from sqllint.registry import Option, Violation, rule

if TYPE_CHECKING:
    from sqllint.explain.subject import PlanSubject


@rule(code="P003", name="using-temporary", severity=Severity.INFO, target="plan",
      options={"min-rows": Option(1_000, "Report only when at least this many rows feed the temporary table.",
                                  minimum=0)})
def check(subject: PlanSubject, options: dict[str, Any]) -> Iterator[Violation]:
    """The plan builds a temporary table (``Using temporary``) for GROUP BY, DISTINCT, UNION or a sort.

    ## Why is this bad?
    Every row that reaches the grouping is copied into an internal table — in memory while it is small,
    on disk once it outgrows ``tmp_table_size`` — before anything is returned. An index whose order
    matches the GROUP BY lets the server group while it reads instead.

    Option ``min-rows`` (default 1,000) ignores temporary tables fed by few rows.

    ## Example
    ```sql bad
    SELECT status, COUNT(*) FROM orders GROUP BY status
    ```
    ```sql good
    SELECT user_id, COUNT(*) FROM orders GROUP BY user_id
    ```
    """
    for key, rows in subject.plan.blocks.items():
        temp_row = next((r for r in rows if r.has_extra("Using temporary")), None)
        if temp_row is None:
            continue
        estimate = loop_rows(rows)
        if estimate < options["min-rows"]:
            continue
        yield Violation(f"copies ~{estimate:,} rows into a temporary table (query block {key}, starting at "
                        f"`{temp_row.table}`) to group, de-duplicate or sort them",
                        suggestion="index the GROUP BY columns (after the equality filters) so rows arrive grouped")
