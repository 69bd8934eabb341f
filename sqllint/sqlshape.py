"""The "shape" of a simple single-table SELECT, for deciding whether two queries could be one.

Shapes are compared within one function, where most SELECTs are alone: ``select_key`` is cheap (no
SQL rendering) and only sites whose keys collide pay for ``select_shape``'s rendered details.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from sqllint.extract.placeholders import show_holes
from sqllint.records import ParsedQuery
from sqllint.sqlfacts import conjuncts, is_value, table_name

_SIMPLE_OPS = (exp.EQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.In, exp.Is, exp.Like)
_TAIL_ARGS = ("group", "order", "limit", "offset", "distinct")

SelectKey = tuple[str, frozenset[tuple[str, str]], bool, tuple[str, ...]]


@dataclass(frozen=True)
class SelectShape:
    table: str
    predicates: frozenset[tuple[str, str]]  # (column, operator)
    values: tuple[tuple[str, str], ...]  # (column, value sql) for equality predicates, in order
    projections: tuple[str, ...]
    aggregate: bool
    tail: str  # GROUP BY / ORDER BY / LIMIT / DISTINCT, which must match for a merge


def _single_table_select(query: ParsedQuery) -> tuple[exp.Select, exp.Table] | None:
    tree = query.tree
    if not isinstance(tree, exp.Select) or tree.args.get("joins") or tree.args.get("with_"):
        return None
    source = tree.args.get("from_") or tree.args.get("from")
    if source is None or not isinstance(source.this, exp.Table):
        return None
    return tree, source.this


def _predicates(select: exp.Select) -> list[tuple[str, str, exp.Expression]] | None:
    """(column, op, value node) per WHERE conjunct; None when WHERE is not a simple conjunction."""
    found = []
    where = select.args.get("where")
    for predicate in conjuncts(where.this if where else None):
        if not isinstance(predicate, _SIMPLE_OPS) or not isinstance(predicate.this, exp.Column):
            return None
        if isinstance(predicate, exp.In):
            items = predicate.expressions
            if predicate.args.get("query") or not items or not all(is_value(v) for v in items):
                return None
            found.append((predicate.this.name.lower(), "eq", predicate))  # IN (…) serves the same key lookup
        else:
            if not is_value(predicate.expression):
                return None
            found.append((predicate.this.name.lower(), "eq" if predicate.key == "eq" else predicate.key, predicate))
    return found


def select_key(query: ParsedQuery) -> SelectKey | None:
    """What two SELECTs must share to be mergeable; None for anything but a simple one-table SELECT."""
    simple = _single_table_select(query)
    if simple is None:
        return None
    select, table = simple
    predicates = _predicates(select)
    if predicates is None:
        return None
    aggregate = any(p.find(exp.AggFunc) for p in select.expressions)
    tail = tuple(str(select.args[k]) for k in _TAIL_ARGS if select.args.get(k))
    return (shown_table(table, query), frozenset((c, op) for c, op, _ in predicates), aggregate, tail)


def shown_table(table: exp.Table, query: ParsedQuery) -> str:
    """The table's name; a table spliced in by the host is named by what was spliced (``{Staf._meta.db_table}``),
    so two different spliced tables are not taken for one."""
    return show_holes(table_name(table), query.query.placeholders)


def select_shape(query: ParsedQuery) -> SelectShape | None:
    key = select_key(query)
    simple = _single_table_select(query)
    if key is None or simple is None:
        return None
    select, _table = simple
    values = []
    for column, op, predicate in _predicates(select) or []:
        if op != "eq":
            continue
        if isinstance(predicate, exp.In):
            values.append((column, ", ".join(v.sql(dialect="mysql") for v in predicate.expressions)))
        else:
            values.append((column, predicate.expression.sql(dialect="mysql")))
    tail = " ".join(select.args[k].sql(dialect="mysql") for k in _TAIL_ARGS if select.args.get(k))
    projections = tuple(p.sql(dialect="mysql") for p in select.expressions)
    return SelectShape(key[0], key[1], tuple(values), projections, key[2], tail)
