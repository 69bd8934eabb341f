from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from sqlglot import exp
from sqlglot.optimizer.scope import ScopeType

from sqllint.records import ParsedQuery, Severity
from sqllint.registry import Violation, rule
from sqllint.sqlfacts import scopes, selects_star


def _django_raw(call: str | None, language: str) -> bool:
    """``Product.objects.raw(…)``, ``Model._default_manager.using("replica").raw(…)``: a Django manager's raw()."""
    if language != "python" or not call or not call.endswith(".raw"):
        return False
    receiver = call[: -len(".raw")]
    return any(part == "objects" or part.endswith(("manager", "Manager"))
               for part in re.split(r"[.(]", receiver))


def _mybatis_plus(call: str | None, language: str) -> bool:
    """A MyBatis-Plus wrapper call (``userMapper.selectList(wrapper)``; the extractor names it so): without
    ``select()`` MP lists every column of the entity it fills, which is shown as ``*`` when the entity
    class is not in the project."""
    return language == "java" and bool(call) and call.endswith(" (MyBatis-Plus)")  # type: ignore[union-attr]


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

    Django's ``Model.objects.raw()`` is not reported: it maps each row onto a model instance, needs the
    primary key and defers the fields a query leaves out (loading each one with a query of its own when
    it is read), so selecting every column is how it is meant to be called. ``cursor.execute`` still is.

    ```python good
    def products(keyword):
        return Product.objects.raw("SELECT * FROM shop_product WHERE title = %s", [keyword])
    ```
    """
    if not query.find(exp.Star) or _django_raw(query.query.call, query.query.language) \
            or _mybatis_plus(query.query.call, query.query.language):
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
