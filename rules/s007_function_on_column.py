from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from sqllint.records import ParsedQuery, Severity
from sqllint.registry import Violation, rule
from sqllint.sqlfacts import excerpt

_SARGABLE_OPS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.In, exp.Between, exp.Like)
_WRAPPERS = (exp.Func, exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Cast)


def _wrapped_columns(side: exp.Expression | None) -> list[exp.Column]:
    """The columns inside a function/arithmetic expression, if the side is one (not a bare column).

    Several columns count as much as one: ``CONCAT(first, last) = ?`` can use no index on either."""
    while isinstance(side, exp.Paren):  # sqlglot reads TO_DAYS(c) as (DATEDIFF(c, '0000-01-01') + 1)
        side = side.this
    if not isinstance(side, _WRAPPERS) or isinstance(side, exp.AggFunc):
        return []
    return list(side.find_all(exp.Column))


# The server's own dictionaries: no index a query could use, whatever it wraps.
_SYSTEM_SCHEMAS = frozenset({"information_schema", "performance_schema", "mysql", "sys"})


def _reads_system_tables(node: exp.Expression) -> bool:
    select = node.find_ancestor(exp.Select)
    if select is None:
        return False
    from_ = select.args.get("from_") or select.args.get("from")  # "from" in older sqlglot
    tables = [t for source in [from_, *(select.args.get("joins") or [])] if source is not None
              for t in [source.this] if isinstance(t, exp.Table)]
    return bool(tables) and all(t.db.lower() in _SYSTEM_SCHEMAS for t in tables)


@rule(code="S007", name="function-on-column", severity=Severity.WARNING)
def check(query: ParsedQuery, options: dict[str, Any]) -> Iterator[Violation]:
    """A function or arithmetic wraps a column in ``WHERE`` / ``ON``: the index on it cannot be used.

    ## Why is this bad?
    An index stores the column's values, not ``DATE(created_at)`` or ``LOWER(email)`` or ``price * 1.2``.
    Wrapping the column makes the predicate non-sargable: MySQL evaluates it row by row after a full
    (index) scan. Rewrite it as a range or comparison on the bare column, store the normalised value,
    or (MySQL 8.0.13+) add a functional index on exactly that expression. An expression over several
    columns (``CONCAT(first_name, ' ', last_name) = ?``) can use an index on none of them.

    ## Example
    ```sql bad
    SELECT id FROM orders WHERE DATE(created_at) = '2024-05-01'
    ```

    Use instead:
    ```sql good
    SELECT id FROM orders WHERE created_at >= '2024-05-01' AND created_at < '2024-05-02'
    ```

    Tables of ``information_schema``, ``performance_schema``, ``mysql`` and ``sys`` have no indexes a
    query could use, so wrapping their columns costs nothing and is not reported.
    """
    seen: set[str] = set()
    for clause in query.find(exp.Where, exp.Join):
        condition = clause.this if isinstance(clause, exp.Where) else clause.args.get("on")
        if condition is None:
            continue
        for predicate in condition.find_all(*_SARGABLE_OPS):
            if predicate.find_ancestor(exp.Subquery) is not condition.find_ancestor(exp.Subquery):
                continue  # belongs to a nested block; that block's own clause reports it
            left, right = predicate.this, predicate.args.get("expression")
            columns = _wrapped_columns(left)
            if not columns or (right is not None and list(right.find_all(exp.Column))
                                  and isinstance(clause, exp.Where)):
                continue
            text = excerpt(left)
            if text in seen or _reads_system_tables(predicate):
                continue
            seen.add(text)
            names = list(dict.fromkeys(c.sql(dialect="mysql") for c in columns))
            wrapped = f"column {names[0]}: an index on it" if len(names) == 1 \
                else f"columns {', '.join(names)}: an index on them"
            yield Violation(
                f"`{text}` wraps {wrapped} cannot be used here",
                suggestion="compare the bare column (a range such as col >= ? AND col < ?), store the "
                "normalised value, or index the expression (MySQL 8.0.13+ functional index)",
            )
