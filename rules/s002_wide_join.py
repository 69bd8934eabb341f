from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from sqllint.records import ParsedQuery, Severity
from sqllint.registry import Option, Violation, rule
from sqllint.sqlfacts import joined_relations, scopes, table_name


# Catalog queries (tooling, migrations) join system views; their cost does not grow with user data.
SYSTEM_SCHEMAS = frozenset({"information_schema", "performance_schema", "mysql", "sys"})


def _is_system(source: exp.Expression) -> bool:
    return isinstance(source, exp.Table) and source.db.lower() in SYSTEM_SCHEMAS


@rule(
    code="S002",
    name="wide-join",
    severity=Severity.WARNING,
    options={"threshold": Option(4, "report a query block that joins at least this many relations", minimum=2)},
)
def check(query: ParsedQuery, options: dict[str, Any]) -> Iterator[Violation]:
    """One query block joins four or more tables (derived tables and CTE references count).

    ## Why is this bad?
    The optimizer's join-order search grows factorially with the number of relations and its row
    estimates compound along the chain, so a 4–5 table join is where plans go wrong: one bad estimate
    and a full scan lands in the inner loop. Such queries are also where an optional filter
    disappearing hurts most. Often several single-table queries by primary key, stitched together in
    memory, are faster and far more predictable — and they cache.

    The threshold is ``[tool.sqllint.rules.wide-join] threshold`` (default 4). Joins made only of
    system catalog views (``information_schema``, ``performance_schema``, ``mysql``, ``sys``) are not
    reported.

    ## Example
    ```sql bad
    SELECT o.id, u.name, p.title, s.status
    FROM orders o
    JOIN users u ON u.id = o.user_id
    JOIN order_items oi ON oi.order_id = o.id
    JOIN products p ON p.id = oi.product_id
    JOIN shipments s ON s.order_id = o.id
    ```

    Use instead (fetch the page of orders, then the related rows by key):
    ```sql good
    SELECT o.id, o.user_id FROM orders o WHERE o.created_at >= '2024-01-01' ORDER BY o.id LIMIT 50
    ```
    """
    threshold = options["threshold"]
    if len(query.find(exp.Table)) + len(query.find(exp.Subquery)) < threshold:
        return  # too few relations anywhere in the statement for one block to reach the threshold
    tree = query.tree
    if isinstance(tree, (exp.Update, exp.Delete)):
        tables = [t for t in tree.find_all(exp.Table) if not t.find_ancestor(exp.Subquery)]
        if len(tables) >= threshold:
            names = ", ".join(table_name(t) for t in tables)
            yield Violation(f"{query.kind.upper()} joins {len(tables)} tables ({names}); threshold is {threshold}")
        return
    for scope in scopes(query):
        relations = joined_relations(scope)
        if len(relations) < threshold or all(_is_system(source) for _, source in relations):
            continue
        names = ", ".join(
            table_name(source) if isinstance(source, exp.Table) else f"({alias})" for alias, source in relations
        )
        yield Violation(
            f"query block joins {len(relations)} relations ({names}); threshold is {threshold}",
            suggestion="split it into single-table queries by key and stitch the rows in memory, "
            "or make sure EXPLAIN shows an index on every join",
        )
