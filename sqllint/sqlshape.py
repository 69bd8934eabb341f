"""The "shape" of a simple single-table SELECT, for deciding whether two queries could be one."""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from sqllint.records import ParsedQuery
from sqllint.sqlfacts import conjuncts, is_value, table_name

_SIMPLE_OPS = (exp.EQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.In, exp.Is, exp.Like)


@dataclass(frozen=True)
class SelectShape:
    table: str
    predicates: frozenset[tuple[str, str]]  # (column, operator)
    values: tuple[tuple[str, str], ...]  # (column, value sql) for equality predicates, in order
    projections: tuple[str, ...]
    aggregate: bool
    tail: str  # GROUP BY / ORDER BY / LIMIT / DISTINCT, which must match for a merge


def select_shape(query: ParsedQuery) -> SelectShape | None:
    """Shape of ``SELECT cols FROM one_table [WHERE col op value AND …] …``; None for anything else."""
    tree = query.tree
    if not isinstance(tree, exp.Select) or tree.args.get("joins") or tree.args.get("with_"):
        return None
    source = (tree.args.get("from_") or tree.args.get("from"))
    if source is None or not isinstance(source.this, exp.Table):
        return None
    predicates: set[tuple[str, str]] = set()
    values: list[tuple[str, str]] = []
    where = tree.args.get("where")
    for predicate in conjuncts(where.this if where else None):
        if not isinstance(predicate, _SIMPLE_OPS) or not isinstance(predicate.this, exp.Column):
            return None
        if isinstance(predicate, exp.In):
            items = predicate.expressions
            if predicate.args.get("query") or not items or not all(is_value(v) for v in items):
                return None
            value = ", ".join(v.sql(dialect="mysql") for v in items)
            op = "="  # IN (…) and = serve the same key lookup
        else:
            if not is_value(predicate.expression):
                return None
            value = predicate.expression.sql(dialect="mysql")
            op = predicate.key
        column = predicate.this.name.lower()
        predicates.add((column, "eq" if op in ("=", "eq") else op))
        if op in ("=", "eq"):
            values.append((column, value))
    tail = " ".join(
        tree.args[k].sql(dialect="mysql") for k in ("group", "order", "limit", "offset", "distinct")
        if tree.args.get(k)
    )
    projections = tuple(p.sql(dialect="mysql") for p in tree.expressions)
    aggregate = any(p.find(exp.AggFunc) for p in tree.expressions)
    return SelectShape(table_name(source.this), frozenset(predicates), tuple(values), projections, aggregate, tail)
