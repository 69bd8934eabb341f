from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from sqllint.records import ParsedQuery, Severity
from sqllint.registry import Violation, rule
from sqllint.sqlfacts import table_name


@rule(code="S012", name="insert-without-columns", severity=Severity.WARNING)
def check(query: ParsedQuery, options: dict[str, Any]) -> Iterator[Violation]:
    """``INSERT INTO t VALUES (…)`` without a column list depends on the table's column order.

    ## Why is this bad?
    The values are matched to columns by position. Adding, dropping or reordering a column — a routine
    migration — makes the statement fail, or worse, store values in the wrong columns silently.

    ## Example
    ```sql bad
    INSERT INTO users VALUES (1, 'ann', 'ann@example.com')
    ```

    Use instead:
    ```sql good
    INSERT INTO users (id, name, email) VALUES (1, 'ann', 'ann@example.com')
    ```
    """
    tree = query.tree
    if isinstance(tree, exp.Insert) and isinstance(tree.this, exp.Table):
        if isinstance(tree.expression, (exp.Values, exp.Select, exp.Union)):
            yield Violation(
                f"INSERT into {table_name(tree.this)} has no column list: values go to columns by position",
                suggestion="name the columns: INSERT INTO t (a, b, c) VALUES (…)",
            )
