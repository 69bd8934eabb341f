from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sqllint.records import Severity
from sqllint.registry import Violation, rule

if TYPE_CHECKING:
    from sqllint.explain.subject import PlanSubject


@rule(code="P004", name="join-without-index", severity=Severity.WARNING, target="plan")
def check(subject: PlanSubject, options: dict[str, Any]) -> Iterator[Violation]:
    """A joined table is read without an index on the join condition (join buffer: BNL or hash join).

    ## Why is this bad?
    When no index serves the join columns, the server buffers rows of the outer tables and scans the
    inner table once per buffer (MariaDB's and MySQL 5.7's Block Nested Loop, MySQL 8's hash join): the
    cost grows with the product of the two tables. An index on the inner table's join column turns it
    into one lookup per outer row. ``Range checked for each record`` is the same problem.

    ## Example
    ```sql bad
    SELECT o.id, u.email FROM orders o JOIN users u ON u.name = o.status WHERE o.user_id = 7
    ```
    ```sql good
    SELECT o.id, u.email FROM orders o JOIN users u ON u.id = o.user_id WHERE o.user_id = 7
    ```
    """
    for key, rows in subject.plan.blocks.items():
        for row in rows[1:]:  # the first table of a loop joins nothing
            buffer = row.join_buffer
            if not (buffer or row.has_extra("Range checked for each record")) or row.internal:
                continue
            table_name = subject.table_of(row) or row.table
            how = f"join buffer ({buffer})" if buffer else "range checked for each record"
            advice = subject.index_advice(row)
            yield Violation(f"joins `{table_name}` (~{row.rows or 0:,} rows) without a usable index: {how}, so it "
                            f"is scanned for every batch of rows from the tables before it (query block {key})",
                            suggestion=f"add an index on the join column: {advice}" if advice else
                            "index the join column of this table, with the same type and collation on both sides")
