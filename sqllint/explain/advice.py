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

Only AND-ed terms share one index: in ``user_id = ? OR status = ?`` a composite ``(user_id, status)``
serves neither branch. Such a condition gets one index per branch that lacks one, which the server
combines with an index_merge union.
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


def _conjuncts(condition: exp.Expression) -> list[exp.Expression]:
    """The AND-ed terms of ``condition`` (parentheses removed): only these can share one index."""
    while isinstance(condition, exp.Paren):
        condition = condition.this
    if isinstance(condition, exp.And):
        return [*_conjuncts(condition.this), *_conjuncts(condition.expression)]
    return [condition]


def _disjuncts(condition: exp.Expression) -> list[exp.Expression]:
    while isinstance(condition, exp.Paren):
        condition = condition.this
    if isinstance(condition, exp.Or):
        return [*_disjuncts(condition.this), *_disjuncts(condition.expression)]
    return [condition]


def _terms_columns(terms: list[exp.Expression], alias: str, table: Table, aliases: dict[str, str],
                   later: frozenset[str]) -> tuple[list[str], list[str]]:
    """(equality columns, range columns) of ``alias`` among the plain comparisons in ``terms``. An OR or
    NOT term is not a lookup key for a composite index, so it is not looked inside."""
    equality: list[str] = []
    ranges: list[str] = []
    for node in terms:
        if not isinstance(node, (*_EQUALITY, *_RANGE)):
            continue
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


def _conditions(select: exp.Expression) -> list[exp.Expression]:
    """WHERE conditions, then JOIN … ON conditions, found in one walk of the tree."""
    wheres, ons = [], []
    for node in select.find_all(exp.Where, exp.Join):
        if isinstance(node, exp.Where):
            wheres.append(node.this)
        elif node.args.get("on") is not None:
            ons.append(node.args["on"])
    return wheres + ons


def predicate_columns(select: exp.Expression, alias: str, table: Table, aliases: dict[str, str],
                      later: frozenset[str] = frozenset()) -> tuple[list[str], list[str]]:
    """(equality columns, range columns) of ``alias`` in the AND-ed terms of WHERE and JOIN … ON
    conditions, in order, that one index on ``alias`` could use given the tables read ``later`` in the
    nested loop (lower-case aliases)."""
    return _columns_of(_conditions(select), alias, table, aliases, later)


def _columns_of(conditions: list[exp.Expression], alias: str, table: Table, aliases: dict[str, str],
                later: frozenset[str]) -> tuple[list[str], list[str]]:
    terms = [term for condition in conditions for term in _conjuncts(condition)]
    return _terms_columns(terms, alias, table, aliases, later)


def _index_columns(equality: list[str], ranges: list[str]) -> list[str]:
    return (equality + ranges[:1])[:MAX_COLUMNS]


def _create(table: Table, columns: list[str]) -> str | None:
    """The CREATE INDEX for ``columns``, or None when an existing index already starts with them."""
    lowered = [c.lower() for c in columns]
    for existing in table.indexes.values():
        if [c.lower() for c in existing[: len(lowered)]] == lowered:
            return None
    name = f"idx_{table.name}_{'_'.join(lowered)}"[:64]
    return f"CREATE INDEX {name} ON {table.name} ({', '.join(columns)})"


def _union_advice(conditions: list[exp.Expression], alias: str, table: Table, aliases: dict[str, str],
                  later: frozenset[str]) -> list[str]:
    """For ``a = ? OR b = ?`` one composite index is useless; the server can read each branch by its own
    index and merge the rows (index_merge union), so every branch needs an index of its own. Only when
    each branch of an OR term has a usable predicate on this table; one list for the first such term."""
    for condition in conditions:
        for term in _conjuncts(condition):
            branches = _disjuncts(term)
            if len(branches) < 2:
                continue
            columns = [_index_columns(*_terms_columns(_conjuncts(b), alias, table, aliases, later))
                       for b in branches]
            if all(columns):
                statements = [_create(table, c) for c in columns]
                return list(dict.fromkeys(s for s in statements if s))
    return []


def suggest_index(select: exp.Expression, alias: str, table: Table, aliases: dict[str, str],
                  later: frozenset[str] = frozenset()) -> str | None:
    """``CREATE INDEX …`` for ``table`` as read under ``alias`` before the tables ``later`` (lower-case
    aliases), or None when no index would help. An OR of predicates gets one index per branch that lacks
    one (several statements, ``; ``-separated)."""
    conditions = _conditions(select)
    columns = _index_columns(*_columns_of(conditions, alias, table, aliases, later))
    if columns:
        return _create(table, columns)
    return "; ".join(_union_advice(conditions, alias, table, aliases, later)) or None
