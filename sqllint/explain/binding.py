"""Typed binding: give every placeholder a literal of the type of the column it is compared with.

A mistyped literal changes the plan (``id = 'abc'`` on an INT key is "Impossible WHERE"; a number
compared with a VARCHAR column cannot use its index), so the literal is chosen from the compared
column's type in ``information_schema.COLUMNS``. IN-lists get several values so the optimizer sees a
range, not a single lookup. When the column cannot be found (an expression, a function argument, an
unknown table), a neutral literal ``'1'`` is used — it converts to a number and is a valid string — and
the binding is reported as a guess.
"""

from __future__ import annotations

import hashlib
import re
from typing import NamedTuple

from sqlglot import exp

from sqllint.explain.catalog import Catalog, Column
from sqllint.records import Query
from sqllint.sqlfacts import placeholders_in_text_order, value_slots

IN_LIST_SIZE = 3
_INTS = {"tinyint", "smallint", "mediumint", "int", "integer", "bigint", "year"}
_DECIMALS = {"decimal", "numeric", "float", "double", "real"}
_ENUM_VALUES = re.compile(r"'((?:[^']|'')*)'")
_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ, exp.Like, exp.ILike)


class Binding(NamedTuple):  # a NamedTuple, not a frozen dataclass: a warm run builds thousands from the cache
    sql: str  # the statement with literals in place of placeholders
    key: str  # hash of the literals chosen: part of the "one EXPLAIN per binding" key
    guesses: tuple[str, ...] = ()  # one note per placeholder whose type was not known

    @property
    def guessed(self) -> bool:
        return bool(self.guesses)


def literals_for(column: Column | None, count: int = 1, pattern: bool = False,
                 leading_wildcard: bool = False) -> list[exp.Expression]:
    """``count`` distinct literals of ``column``'s type (neutral strings when it is unknown); a LIKE
    pattern is a prefix search, or a substring search when the code binds one (``f"%{kw}%"``)."""
    if pattern:
        return [exp.Literal.string("%a%" if leading_wildcard else "a%")]
    kind = column.data_type if column else ""
    if kind in _INTS or kind == "bit":
        return [exp.Literal.number(i + 1) for i in range(count)]
    if kind in _DECIMALS:
        return [exp.Literal.number(f"{i + 1}.5") for i in range(count)]
    if kind in ("enum", "set"):
        values = [v.replace("''", "'") for v in _ENUM_VALUES.findall(column.column_type)] or ["a"]  # type: ignore[union-attr]
        return [exp.Literal.string(values[i % len(values)]) for i in range(count)]
    if kind == "date":
        return [exp.Literal.string(f"2024-01-{i + 1:02d}") for i in range(count)]
    if kind in ("datetime", "timestamp"):
        return [exp.Literal.string(f"2024-01-{i + 1:02d} 00:00:00") for i in range(count)]
    if kind == "time":
        return [exp.Literal.string(f"{i:02d}:00:00") for i in range(count)]
    if kind == "json":
        return [exp.Literal.string("{}") for _ in range(count)]
    if column is not None:  # char, varchar, text, binary, blob …: a short string is valid for all
        return [exp.Literal.string(chr(ord("a") + i % 26)) for i in range(count)]
    return [exp.Literal.string(str(i + 1)) for i in range(count)]


def _aliases(tree: exp.Expression) -> dict[str, str]:
    found: dict[str, str] = {}
    for table in tree.find_all(exp.Table):
        if table.name:
            found.setdefault((table.alias or table.name).lower(), table.name)
            found.setdefault(table.name.lower(), table.name)
    return found


def _column_of(node: exp.Expression | None, aliases: dict[str, str], catalog: Catalog) -> Column | None:
    while isinstance(node, (exp.Paren, exp.Cast)):
        node = node.this
    if not isinstance(node, exp.Column) or not node.name:
        return None
    if node.table:
        return catalog.column(aliases.get(node.table.lower(), node.table), node.name)
    owners = catalog.tables_with_column(node.name, dict.fromkeys(aliases.values()))
    return owners[0].columns[node.name.lower()] if owners else None


def _upper_bound(parent: exp.Expression | None, node: exp.Expression) -> bool:
    """Whether the slot bounds its column from above (``col < ?``, ``? > col``, BETWEEN's high end): it
    then gets the larger literal, so ``col >= ? AND col < ?`` is a real range, not an empty one."""
    if isinstance(parent, exp.Between):
        return parent.args.get("high") is node
    if isinstance(parent, (exp.LT, exp.LTE)):
        return parent.this is not node
    if isinstance(parent, (exp.GT, exp.GTE)):
        return parent.this is node
    return False


def as_is(text: str | None) -> Binding | None:
    """The binding of a statement sent as written (no placeholders, nothing to strip), or None when its
    text holds a comment: a comment could hide text from the guard, so such SQL is generated instead."""
    if text is None or "--" in text or "/*" in text or "#" in text:
        return None
    sql = text.strip().rstrip(";").strip()
    return Binding(sql, hashlib.blake2b(sql.encode(), digest_size=8).hexdigest())


def wildcard_slots(query: Query) -> tuple[int, tuple[int, ...]] | None:
    """Which ``?`` of the statement the code binds a value starting with a wildcard (``"%" + kw + "%"``):
    (number of ``?``, their positions in the text); None when there is none."""
    if not query.placeholders:  # most statements: nothing to look at
        return None
    slots = value_slots(query)
    wild = tuple(i for i, slot in enumerate(slots) if slot.bound is not None and slot.bound.leading_wildcard)
    return (len(slots), wild) if wild else None


def bind(tree: exp.Expression, catalog: Catalog, text: str | None = None, slots: bool = True,
         wildcards: tuple[int, tuple[int, ...]] | None = None) -> Binding:
    """The SQL to explain for ``tree`` with every placeholder replaced by a typed literal.

    ``text`` is the statement's own text when it may be sent as is (not rewritten, nothing stripped):
    without placeholders and comments it is used directly, saving a round of SQL generation. Otherwise
    the literals are put into ``tree`` in place, the SQL generated, and the placeholders put back (no
    copy of the tree: copying dominated the cost of binding). ``wildcards`` (``wildcard_slots``) marks the
    LIKE slots the code binds a leading wildcard to: they get ``'%a%'``, so the plan is the search's."""
    # ``slots=False``: the extractor found no placeholder in the text, so the tree walk can be skipped.
    placeholders = list(tree.find_all(exp.Placeholder, bfs=False)) if slots or text is None else []
    if not placeholders and (fast := as_is(text)) is not None:
        return fast
    aliases = _aliases(tree)
    wild: set[int] = set()
    if wildcards is not None:
        ordered = placeholders_in_text_order(tree)
        if ordered is not None and len(ordered) == wildcards[0]:
            wild = {id(ordered[i]) for i in wildcards[1]}
    guesses: list[str] = []
    undo: list[tuple[exp.Expression, exp.Expression | list[exp.Expression]]] = []
    try:
        for index, node in enumerate(placeholders, start=1):
            _bind_one(node, index, aliases, catalog, guesses, undo, id(node) in wild)
        sql = tree.sql(dialect="mysql", comments=False)  # a comment can hide nothing from the guard
    finally:
        for target, original in reversed(undo):
            if isinstance(original, list):  # a one-slot IN-list that was widened
                target.set("expressions", original)
            else:
                target.replace(original)
    # The bound text, not only the chosen literals: a query's fingerprint ignores its own literals
    # (status = 'paid' vs 'new'), which can change the plan on skewed data.
    return Binding(sql, hashlib.blake2b(sql.encode(), digest_size=8).hexdigest(), tuple(guesses))


def _bind_one(node: exp.Expression, index: int, aliases: dict[str, str], catalog: Catalog, guesses: list[str],
              undo: list[tuple[exp.Expression, exp.Expression | list[exp.Expression]]], wild: bool = False) -> None:
    parent = node.parent
    while isinstance(parent, exp.Paren):
        parent = parent.parent
    column: Column | None = None
    subject = ""
    if isinstance(parent, (exp.Limit, exp.Offset, exp.Fetch)):
        literal = exp.Literal.number(10 if isinstance(parent, exp.Limit) else 0)
        node.replace(literal)
        undo.append((literal, node))
        return
    position = next((i for i, e in enumerate(parent.expressions) if e is node), None) \
        if isinstance(parent, exp.In) else None
    if isinstance(parent, exp.In) and position is not None:
        column = _column_of(parent.this, aliases, catalog)
        subject = parent.this.sql(dialect="mysql")
        # One slot (a driver expanding a list, MyBatis <foreach>) stands for several values, so the
        # optimizer sees a range of lookups; several slots each get a distinct value.
        single = len(parent.expressions) == 1
        values = literals_for(column, IN_LIST_SIZE if single else position + 1)
        if single:
            original = list(parent.expressions)
            parent.set("expressions", values)
            undo.append((parent, original))
        else:
            values = values[position:]
            node.replace(values[0])
            undo.append((values[0], node))
        if column is None and (single or position == 0):
            guesses.append(f"parameter {index} (IN-list of `{subject}`): column type unknown, bound as "
                           f"{', '.join(v.sql(dialect='mysql') for v in values)}")
        return
    if isinstance(parent, exp.Concat) and isinstance(parent.parent, (exp.Like, exp.ILike)):
        # `col LIKE CONCAT(?, '%')` (MyBatis, JPA): the slot is a piece of a pattern for that column.
        like = parent.parent
        column = _column_of(like.this, aliases, catalog)
        literal = exp.Literal.string("a") if column is not None else exp.Literal.string("1")
        node.replace(literal)
        undo.append((literal, node))
        if column is None:
            guesses.append(f"parameter {index} (in `{parent.sql(dialect='mysql')}`): column type unknown, bound "
                           "as '1'")
        return
    if isinstance(parent, exp.Between):
        column = _column_of(parent.this, aliases, catalog)
        subject = parent.this.sql(dialect="mysql")
    elif isinstance(parent, _COMPARISONS):
        other = parent.expression if parent.this is node else parent.this
        column = _column_of(other, aliases, catalog)
        subject = other.sql(dialect="mysql")
    elif parent is not None:  # an operand of arithmetic or a function: name the expression
        subject = parent.sql(dialect="mysql")
    pattern = isinstance(parent, (exp.Like, exp.ILike))
    literals = literals_for(column, 2, pattern, leading_wildcard=wild)
    literal = literals[1] if _upper_bound(parent, node) else literals[0]
    node.replace(literal)
    undo.append((literal, node))
    if column is None and not pattern:
        if isinstance(parent, (_COMPARISONS, exp.Between)):
            where = f"compared with `{subject}`"
        else:
            where = f"in `{subject}`" if subject else "not compared with a column"
        guesses.append(f"parameter {index} ({where}): column type unknown, bound as {literal.sql(dialect='mysql')}")
