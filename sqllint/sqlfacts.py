"""Facts about a parsed statement that several rules need, computed once per tree.

Subquery, derived-table, CTE and table counting rest on sqlglot's own scope module.
"""

from __future__ import annotations

import re

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.scope import Scope, ScopeType, traverse_scope

from sqllint.extract.placeholders import show_holes
from sqllint.records import BoundValue, ParsedQuery, Placeholder, PlaceholderStyle, Query

VALUE_NODES = (exp.Literal, exp.Placeholder, exp.Parameter, exp.Null)
COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Like, exp.ILike, exp.In, exp.Between, exp.Is)


def scopes(query: ParsedQuery) -> list[Scope]:
    """Every query block of the statement (root, derived tables, CTEs, subqueries, union branches)."""

    def compute() -> list[Scope]:
        if query.tree is None:
            return []
        try:
            return list(traverse_scope(query.tree))
        except (SqlglotError, RecursionError, KeyError, AttributeError):
            return []  # exotic statements sqlglot cannot scope: rules that need scopes stay silent

    return query.memo("scopes", compute)


def joined_relations(scope: Scope) -> list[tuple[str, exp.Expression | Scope]]:
    """(alias, source) for each relation in this block's FROM/JOIN: tables, derived tables, CTE refs."""
    return [
        (alias, source) for alias, (_node, source) in scope.selected_sources.items()
    ]


def base_tables(scope: Scope) -> list[exp.Table]:
    return [source for _alias, (_node, source) in scope.selected_sources.items() if isinstance(source, exp.Table)]


def scope_kind(scope: Scope) -> str:
    if scope.scope_type == ScopeType.DERIVED_TABLE:
        return "derived table"
    if scope.scope_type == ScopeType.CTE:
        return "CTE"
    if scope.scope_type == ScopeType.SUBQUERY:
        parent = scope.expression.parent
        while isinstance(parent, exp.Subquery):
            parent = parent.parent
        if isinstance(parent, exp.Exists):
            return "EXISTS subquery"
        if isinstance(parent, exp.In):
            return "IN subquery"
        return "subquery"
    return "query"


def selects_star(select: exp.Expression) -> bool:
    """``SELECT *`` or ``SELECT t.*`` (COUNT(*) is not a star select)."""
    for projection in select.expressions if isinstance(select, exp.Select) else []:
        if isinstance(projection, exp.Star):
            return True
        if isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
            return True
    return False


def table_name(table: exp.Table) -> str:
    return ".".join(part for part in (table.db, table.name) if part)


def conjuncts(condition: exp.Expression | None) -> list[exp.Expression]:
    if condition is None:
        return []
    if isinstance(condition, exp.Paren):
        return conjuncts(condition.this)
    if isinstance(condition, exp.And):
        return conjuncts(condition.this) + conjuncts(condition.expression)
    return [condition]


def always_true(condition: exp.Expression) -> bool:
    """``WHERE 1=1`` / ``WHERE TRUE``: the dynamic-SQL idiom that lets every optional filter start with
    AND restricts nothing when no filter is appended."""
    if isinstance(condition, exp.Paren):
        return always_true(condition.this)
    if isinstance(condition, exp.And):
        return always_true(condition.left) and always_true(condition.right)
    if isinstance(condition, exp.Boolean):
        return bool(condition.this)
    if isinstance(condition, exp.Literal):
        return not condition.is_string and condition.this not in ("0", "0.0")
    if isinstance(condition, exp.EQ):
        left, right = condition.left, condition.right
        return isinstance(left, exp.Literal) and isinstance(right, exp.Literal) and left == right
    return False


def is_value(node: exp.Expression | None) -> bool:
    if isinstance(node, exp.Neg):
        node = node.this
    return isinstance(node, VALUE_NODES)


def excerpt(node: exp.Expression, limit: int = 120) -> str:
    text = node.sql(dialect="mysql")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def enclosing_clause(node: exp.Expression) -> str | None:
    """``where``, ``on``, ``having``, ``order`` … : the clause a node sits in, innermost first."""
    current: exp.Expression | None = node
    while current is not None and current.parent is not None:
        if isinstance(current.parent, (exp.Select, exp.Join, exp.Update, exp.Delete)):
            return current.arg_key
        if isinstance(current, (exp.Where, exp.Having, exp.Order)):
            return current.key
        current = current.parent
    return None


_POSITIONAL = {PlaceholderStyle.FORMAT: "%s", PlaceholderStyle.QMARK: "?"}
_NAMED = {PlaceholderStyle.NAMED: ":{}", PlaceholderStyle.PYFORMAT: "%({})s", PlaceholderStyle.MYBATIS: "#{{{}}}"}


def in_query_style(sql: str, query: ParsedQuery) -> str:
    """Show ``?`` placeholders of a suggested statement the way the query's own code writes them (and
    spliced names as the code splices them, ``{table}``, not as the parser's stand-ins)."""
    sql = show_holes(sql, query.query.placeholders)
    slots = [p for p in query.query.placeholders if not p.interpolated]
    styles = {p.style for p in slots}
    if len(styles) == 1:
        style = next(iter(styles))
        token = _POSITIONAL.get(style)
        if token and token != "?":
            return sql.replace("?", token)
        named = _NAMED.get(style)
        # Named slots (:user_id, #{id}, %(id)s) by name when the suggestion keeps them one for one, in order
        # (a merged read by the same key); an IN-list rewrite has more slots than the query: left as ?.
        if named and all(p.name for p in slots) and sql.count("?") == len(slots):
            pieces = sql.split("?")
            return pieces[0] + "".join(named.format(p.name) + piece for p, piece in zip(slots, pieces[1:]))
    return sql


def bound_value(query: ParsedQuery, node: exp.Expression) -> BoundValue | None:
    """What the code binds to the ``?`` ``node`` of the tree, when the extractor saw it."""
    if not isinstance(node, exp.Placeholder):
        return None
    return query.memo("bound", lambda: _bound_by_node(query)).get(id(node))


def _bound_by_node(query: ParsedQuery) -> dict[int, BoundValue]:
    """The tree's ``?`` nodes matched with the extractor's value slots (``value_slots``), in text order.
    When the counts differ (a hole inside a quoted literal is a slot without a ``?``) nothing is matched."""
    slots = value_slots(query.query)
    if query.tree is None or not any(p.bound for p in slots):
        return {}
    nodes = placeholders_in_text_order(query.tree)
    if nodes is None or len(nodes) != len(slots):
        return {}
    return {id(node): slot.bound for node, slot in zip(nodes, slots) if slot.bound is not None}


def value_slots(query: Query) -> list[Placeholder]:
    """The extractor's slots that stand as a ``?`` in the text (not spliced names or clauses)."""
    return [p for p in query.placeholders if not p.identifier and not p.fragment]


def placeholders_in_text_order(tree: exp.Expression) -> list[exp.Placeholder] | None:
    """The tree's ``?`` nodes in the order of the statement's text.

    The tree's own order is not the text's (sqlglot keeps LIMIT before WHERE in a SELECT's arguments),
    so the nodes are numbered in a copy and read back from the SQL it generates, which follows MySQL's
    fixed clause order. Only ``LIMIT o, c`` comes back the other way round (``LIMIT c OFFSET o``), which
    swaps those two with each other and no other."""
    nodes = list(tree.find_all(exp.Placeholder, bfs=False))
    copy = tree.copy()
    for index, twin in enumerate(copy.find_all(exp.Placeholder, bfs=False)):
        twin.set("this", f"sqllint_slot_{index}")
    order = [int(n) for n in _SLOT_NAME.findall(copy.sql(dialect="mysql"))]
    if sorted(order) != list(range(len(nodes))):
        return None
    return [nodes[index] for index in order]


_SLOT_NAME = re.compile(r"\bsqllint_slot_(\d+)\b")
