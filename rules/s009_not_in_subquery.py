from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from sqllint.records import ParsedQuery, Severity
from sqllint.registry import Violation, rule


@rule(code="S009", name="not-in-subquery", severity=Severity.WARNING)
def check(query: ParsedQuery, options: dict[str, Any]) -> Iterator[Violation]:
    """``NOT IN (SELECT …)``: wrong when the subquery yields a NULL, and often slow.

    ## Why is this bad?
    If the subquery returns a single NULL, ``x NOT IN (…)`` is never true and the query silently returns
    nothing. Older MySQL versions also run it as a dependent subquery per outer row. ``NOT EXISTS`` (or
    ``LEFT JOIN … WHERE b.id IS NULL``) has the intended meaning and becomes an anti-join.

    ## Example
    ```sql bad
    SELECT id FROM users WHERE id NOT IN (SELECT user_id FROM orders)
    ```

    Use instead:
    ```sql good
    SELECT u.id FROM users u WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id)
    ```
    """
    for node in query.find(exp.Not):
        inner = node.this
        while isinstance(inner, exp.Paren):
            inner = inner.this
        if isinstance(inner, exp.In) and inner.args.get("query") is not None:
            yield Violation(
                f"`{inner.this.sql(dialect='mysql')} NOT IN (SELECT …)` is never true if the subquery "
                "returns a NULL, and may run once per outer row",
                suggestion="use NOT EXISTS (SELECT 1 … WHERE inner.key = outer.key) or LEFT JOIN … IS NULL",
            )
