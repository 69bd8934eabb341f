from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlglot import exp
from sqlglot.optimizer.scope import ScopeType

from sqllint.records import ParsedQuery, Severity
from sqllint.registry import Violation, rule
from sqllint.sqlfacts import always_true, base_tables, scope_kind, scopes, selects_star, table_name

_RESTRICTING = ("where", "limit", "having", "group", "joins", "qualify")


def _restricted(select: exp.Select) -> bool:
    where = select.args.get("where")
    return where is not None and not always_true(where.this)


@rule(code="S001", name="unconditional-select-star-subquery", severity=Severity.ERROR)
def check(query: ParsedQuery, options: dict[str, Any]) -> Iterator[Violation]:
    """A derived table, CTE or IN/EXISTS subquery that is ``SELECT * FROM t`` with nothing restricting it.

    ## Why is this bad?
    This is the shape of the incident sqllint was built for: an endpoint joining 4–5 tables timed out
    (10 s+) only when the user searched with *no* filter. Its derived table was
    ``SELECT * FROM order_items WHERE <filter>`` — harmless while the filter was there; when the optional
    condition was absent the subquery became ``SELECT * FROM order_items``, a full copy of the table.
    MySQL materialises such a derived table (always before 5.7; since 5.7 and in MariaDB whenever the
    outer query cannot be merged: aggregation, DISTINCT, LIMIT, UNION …) into an unindexed temporary
    table, reading every row and every column, and the outer join then scans it. An ``IN (SELECT * …)``
    or uncorrelated ``EXISTS (SELECT * …)`` is either meaningless or a full scan per outer row.

    Dynamic SQL is checked per variant, so a subquery that is only restricted when a filter is present
    is reported with the variant that leaves it bare (``when kw, status are absent``).

    ## Example
    ```sql bad
    SELECT o.id, oi.sku
    FROM orders o
    JOIN (SELECT * FROM order_items) oi ON oi.order_id = o.id
    WHERE o.user_id = 42
    ```

    Use instead (join the table directly, or restrict the subquery and select only what is needed):
    ```sql good
    SELECT o.id, oi.sku
    FROM orders o
    JOIN order_items oi ON oi.order_id = o.id
    WHERE o.user_id = 42
    ```

    A filter that is only applied when the user gives one leaves the subquery bare in the other case:
    ```python bad
    def list_orders(cur, kw=None):
        sub = "SELECT * FROM order_items"
        if kw:
            sub += " WHERE sku LIKE %s"
        cur.execute(f"SELECT o.id FROM orders o JOIN ({sub}) oi ON oi.order_id = o.id")
    ```
    ```sql good
    SELECT o.id FROM orders o
    WHERE o.id IN (SELECT order_id FROM order_items WHERE sku = 'A-1')
    ```
    """
    if not query.find(exp.Star) or not query.find(exp.Subquery, exp.CTE, exp.Exists):
        return  # no nested block with a star: skip building scopes
    for scope in scopes(query):
        if scope.scope_type not in (ScopeType.DERIVED_TABLE, ScopeType.CTE, ScopeType.SUBQUERY):
            continue
        select = scope.expression
        if not isinstance(select, exp.Select) or not selects_star(select):
            continue
        if any(select.args.get(arg) for arg in _RESTRICTING if arg != "where") or _restricted(select):
            continue
        tables = base_tables(scope)
        if len(scope.selected_sources) != 1 or len(tables) != 1:
            continue
        name = table_name(tables[0])
        kind = scope_kind(scope)
        alias = select.parent.alias if isinstance(select.parent, (exp.Subquery, exp.CTE)) else ""
        label = f"{kind} `{alias}`" if alias else kind
        yield Violation(
            f"{label} is `SELECT * FROM {name}` with no condition: it reads every row and column of "
            f"{name} (and a derived table is materialised) however selective the outer query is",
            suggestion=f"join {name} directly, or give the subquery its WHERE in every variant and "
            "select only the columns the outer query uses",
        )
