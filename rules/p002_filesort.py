from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sqllint.records import Severity
from sqllint.explain.plan import loop_rows
from sqllint.registry import Option, Violation, rule

if TYPE_CHECKING:
    from sqllint.explain.subject import PlanSubject


@rule(code="P002", name="using-filesort", severity=Severity.INFO, target="plan",
      options={"min-rows": Option(1_000, "Report only sorts of at least this many estimated rows.", minimum=0)})
def check(subject: PlanSubject, options: dict[str, Any]) -> Iterator[Violation]:
    """The plan sorts rows after reading them (``Using filesort``) instead of reading them in order.

    ## Why is this bad?
    With ``ORDER BY … LIMIT n`` an index in the ORDER BY's order lets the server stop after n rows; a
    filesort must read and sort every matching row first, in memory or on disk, before the first row
    is returned. Cheap for a few hundred rows, slow and memory-hungry for many.

    Option ``min-rows`` (default 1,000) ignores sorts of few rows.

    ## Example
    ```sql bad
    SELECT id, email FROM users WHERE status = 'active' ORDER BY name LIMIT 20
    ```
    ```sql good
    SELECT id, email FROM users ORDER BY id LIMIT 20
    ```
    """
    for key, rows in subject.plan.blocks.items():
        sorted_row = next((r for r in rows if r.has_extra("Using filesort")), None)
        if sorted_row is None:
            continue
        estimate = loop_rows(rows)
        if estimate < options["min-rows"]:
            continue
        where = f"`{sorted_row.table}`" if sorted_row.table else "the result"
        yield Violation(f"sorts ~{estimate:,} rows of {where} with a filesort (query block {key}): no index "
                        "provides the ORDER BY/GROUP BY order",
                        suggestion="index the filter columns followed by the ORDER BY columns, or sort fewer rows")
