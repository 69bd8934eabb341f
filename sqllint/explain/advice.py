"""Index advice: for a table read without an index, the ``CREATE INDEX`` that would let it use one.

Advice only — sqllint never sends DDL (``safety.guard`` would refuse it anyway). The columns come from
the explained statement's own predicates on that table: equality columns first (they can all be used),
then one range column, which is how a B-tree index serves a conjunction. No advice when an existing
index already starts with those columns (then the problem is elsewhere: a function on the column, a
type mismatch, or low selectivity).

A predicate only helps an index on this table when its other side is known by the time the table is
read: a constant, a parameter, or a column of a table read *before* it in the nested loop. A join
condition to a table read later (``o.user_id = u.id`` while ``o`` drives the loop) cannot serve as a
lookup key for ``o``, so the columns of such predicates are left out of the advice.
"""

from __future__ import annotations

from sqlglot import exp

from sqllint.explain.catalog import Table

MAX_COLUMNS = 3
_EQUALITY = (exp.EQ, exp.NullSafeEQ, exp.In, exp.Is)
_RANGE = (exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Between, exp.Like)


def _owner(column: exp.Column, alias: str, table: Table, aliases: dict[str, str]) -> bool:
    if column.table:
        return column.table.lower() == alias.lower()
    owners = [name for name in set(aliases.values()) if name.lower() == table.name.lower()]
    return bool(owners) and column.name.lower() in table.columns


def _other_sides(node: exp.Expression, side: exp.Expression) -> list[exp.Expression]:
    """What ``side`` is compared with in ``node`` (the IN-list or subquery, BETWEEN's bounds)."""
    if isinstance(node, exp.In):
        return [*node.expressions, *([node.args["query"]] if node.args.get("query") is not None else [])]
    if isinstance(node, exp.Between):
        return [v for v in (node.args.get("low"), node.args.get("high")) if v is not None]
    other = node.args.get("expression") if side is node.this else node.this
    return [other] if other is not None else []


def _known_before(values: list[exp.Expression], alias: str, table: Table, later: frozenset[str]) -> bool:
    """Whether every column in ``values`` is known when ``alias`` is read: none of ``alias`` itself and
    none of a table read after it (columns of other blocks are outer references: fixed per execution)."""
    for value in values:
        for column in value.find_all(exp.Column):
            qualifier = column.table.lower()
            if qualifier:
                if qualifier == alias.lower() or qualifier in later:
                    return False
            elif column.name.lower() in table.columns:  # unqualified: this table's own column
                return False
    return True


def predicate_columns(select: exp.Expression, alias: str, table: Table, aliases: dict[str, str],
                      later: frozenset[str] = frozenset()) -> tuple[list[str], list[str]]:
    """(equality columns, range columns) of ``alias`` in WHERE and JOIN … ON conditions, in order, that an
    index on ``alias`` could use given the tables read ``later`` in the nested loop (lower-case aliases)."""
    equality: list[str] = []
    ranges: list[str] = []
    conditions = [node.this for node in select.find_all(exp.Where)]
    conditions += [join.args["on"] for join in select.find_all(exp.Join) if join.args.get("on") is not None]
    for condition in conditions:
        for node in condition.find_all(*_EQUALITY, *_RANGE):
            for side in (node.this, node.args.get("expression")):
                if isinstance(side, exp.Column) and _owner(side, alias, table, aliases):
                    name = table.columns.get(side.name.lower())
                    if name is None or not _known_before(_other_sides(node, side), alias, table, later):
                        continue
                    if isinstance(node, exp.Like) and isinstance(node.expression, exp.Literal) \
                            and node.expression.this.startswith("%"):
                        continue  # a leading wildcard cannot use any index
                    target = equality if isinstance(node, _EQUALITY) else ranges
                    if name.name not in target:
                        target.append(name.name)
    return equality, [c for c in ranges if c not in equality]


def suggest_index(select: exp.Expression, alias: str, table: Table, aliases: dict[str, str],
                  later: frozenset[str] = frozenset()) -> str | None:
    """``CREATE INDEX …`` for ``table`` as read under ``alias`` before the tables ``later`` (lower-case
    aliases), or None when no index would help."""
    equality, ranges = predicate_columns(select, alias, table, aliases, later)
    columns = (equality + ranges[:1])[:MAX_COLUMNS]
    if not columns:
        return None
    lowered = [c.lower() for c in columns]
    for existing in table.indexes.values():
        if [c.lower() for c in existing[: len(lowered)]] == lowered:
            return None
    name = f"idx_{table.name}_{'_'.join(lowered)}"[:64]
    return f"CREATE INDEX {name} ON {table.name} ({', '.join(columns)})"
