from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlglot import exp
from sqlglot.optimizer.scope import ScopeType

from sqllint.records import ParsedQuery, Severity
from sqllint.registry import Violation, rule
from sqllint.sqlfacts import scopes, selects_star


@rule(code="S011", name="select-star", severity=Severity.INFO)
def check(query: ParsedQuery, options: dict[str, Any]) -> Iterator[Violation]:
    """The statement's result is ``SELECT *``: every column, whether the caller uses it or not.

    ## Why is this bad?
    It ships columns nobody reads (large TEXT/BLOBs included), rules out covering indexes ("Using index"),
    and silently changes shape when a column is added — breaking code that unpacks rows by position.
    Name the columns. ``EXISTS (SELECT * …)`` and ``COUNT(*)`` are fine and not reported; subqueries are
    the business of ``unconditional-select-star-subquery``.

    ## Example
    ```sql bad
    SELECT * FROM users WHERE id = 7
    ```

    Use instead:
    ```sql good
    SELECT id, name, email FROM users WHERE id = 7
    ```
    """
    if not query.find(exp.Star):
        return
    for scope in scopes(query):
        select = scope.expression
        top_level_branch = scope.scope_type == ScopeType.SET_OPERATION and select.parent is query.tree
        if scope.scope_type != ScopeType.ROOT and not top_level_branch:
            continue
        if isinstance(select, exp.Select) and selects_star(select):
            yield Violation(
                "SELECT * returns every column: name the ones the caller uses",
                suggestion="list the columns explicitly (it also allows a covering index)",
            )
            return
