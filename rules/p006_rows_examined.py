from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sqllint.records import Severity
from sqllint.registry import Option, Violation, rule

if TYPE_CHECKING:
    from sqllint.explain.subject import PlanSubject


@rule(code="P006", name="too-many-rows-examined", severity=Severity.WARNING, target="plan",
      options={"max-rows": Option(1_000_000, "Report plans estimated to examine at least this many rows.",
                                  minimum=1)})
def check(subject: PlanSubject, options: dict[str, Any]) -> Iterator[Violation]:
    """The plan's estimated rows examined — the product of row estimates along the nested loop — is huge.

    ## Why is this bad?
    MySQL and MariaDB join by nested loops: each row of the first table is looked up in the second, and
    so on, so the work is the *product* of the per-table estimates, not their sum. Two modest tables
    joined on an unindexed column can mean a billion row reads. This rule looks at the whole statement
    (dependent subqueries multiplied by their outer rows), which catches plans where no single table
    looks alarming.

    Option ``max-rows`` (default 1,000,000) is the threshold.

    ## Example
    ```sql bad
    SELECT o.id, u.email FROM orders o JOIN users u ON u.name = o.status
    ```
    ```sql good
    SELECT o.id, u.email FROM orders o JOIN users u ON u.id = o.user_id WHERE o.user_id = 7
    ```
    """
    total = subject.plan.rows_examined()
    if total < options["max-rows"]:
        return
    factors = " × ".join(f"{r.rows or 1:,} ({subject.table_of(r) or r.table})" for r in subject.plan.rows if r.table)
    yield Violation(f"examines an estimated {total:,} rows (nested loop: {factors})",
                    suggestion="add indexes on the join and filter columns so each step reads few rows")
