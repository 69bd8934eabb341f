from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from sqllint.records import ParsedQuery, Severity
from sqllint.registry import Violation, rule


@rule(code="S006", name="order-by-rand", severity=Severity.WARNING)
def check(query: ParsedQuery, options: dict[str, Any]) -> Iterator[Violation]:
    """``ORDER BY RAND()`` sorts the whole result by a random key to pick a few rows.

    ## Why is this bad?
    MySQL must read every qualifying row, compute ``RAND()`` for each, and filesort them all (usually in
    a temporary table) only to keep ``LIMIT n``. The cost grows with the table, not with ``n``. Pick
    random keys in the application (``WHERE id IN (…)``), or seek from a random id
    (``WHERE id >= ? ORDER BY id LIMIT n``).

    ## Example
    ```sql bad
    SELECT id, title FROM products ORDER BY RAND() LIMIT 5
    ```

    Use instead:
    ```sql good
    SELECT id, title FROM products WHERE id >= 1234 ORDER BY id LIMIT 5
    ```
    """
    for node in query.find(exp.Rand):
        if node.find_ancestor(exp.Order):
            yield Violation(
                "ORDER BY RAND() reads and sorts every qualifying row to return a few",
                suggestion="choose random ids in the application, or seek: WHERE id >= ? ORDER BY id LIMIT n",
            )
            return
