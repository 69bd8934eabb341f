from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from sqllint.records import ParsedQuery, Severity
from sqllint.registry import Violation, rule
from sqllint.sqlfacts import excerpt


@rule(code="S013", name="null-comparison", severity=Severity.ERROR)
def check(query: ParsedQuery, options: dict[str, Any]) -> Iterator[Violation]:
    """``col = NULL`` or ``col <> NULL`` is never true.

    ## Why is this bad?
    Any comparison with NULL yields NULL (unknown), so the row is never selected (or, with ``<>``, the
    filter never excludes anything you expected). It is almost always meant as ``IS NULL`` /
    ``IS NOT NULL``; ``<=>`` is MySQL's NULL-safe equality.

    ## Example
    ```sql bad
    SELECT id FROM users WHERE deleted_at = NULL
    ```

    Use instead:
    ```sql good
    SELECT id FROM users WHERE deleted_at IS NULL
    ```
    ```sql good
    UPDATE users SET phone = NULL WHERE phone = ''
    ```
    """
    for node in query.find(exp.EQ, exp.NEQ):
        if node.arg_key == "expressions" and isinstance(node.parent, (exp.Update, exp.OnConflict, exp.Set)):
            continue  # ``SET email = NULL``, ``ON DUPLICATE KEY UPDATE a = NULL``: an assignment, not a test
        if isinstance(node.expression, exp.Null) or isinstance(node.this, exp.Null):
            better = "IS NULL" if isinstance(node, exp.EQ) else "IS NOT NULL"
            yield Violation(f"`{excerpt(node)}` is never true: comparisons with NULL are unknown",
                            suggestion=f"use {better}")
