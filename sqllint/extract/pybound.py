"""The values a Python DB call binds to its statement's slots (``cur.execute(sql, (f"%{kw}%",))``).

At the call the walker evaluates the parameters argument like any other expression: a tuple or list
(literal, or tracked as it is built with ``params.append`` beside ``sql += " AND name LIKE %s"``) binds
``%s``/``?`` slots in order; a dict (literal, ``dict(kw=…)`` or tracked by constant keys) binds
``%(name)s``/``:name`` slots. Each variant of the statement takes the alternative of the parameters
built under the same optional parts, so a filter's slot gets the value appended with it.

What a rule learns is a ``BoundValue``: the value as written, the literal text it starts with (``%`` for
a substring search) and whether it may change from one iteration of the enclosing loop to the next.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from sqllint.extract.placeholders import Hole
from sqllint.extract.pyvalues import Alt, Segment, Value
from sqllint.records import BoundValue, Placeholder, PlaceholderStyle

# Keyword arguments that carry a statement's parameters (DB-API, SQLAlchemy, pandas, Django raw()).
PARAMS_KEYWORDS = frozenset({"params", "args", "parameters", "vars", "param", "values"})
# Calls whose second positional argument is not the parameters: pandas' (sql, con, params=…), and
# executemany's sequence of rows (each row binds the slots, not the sequence).
_NOT_PARAMS_SECOND = frozenset({"read_sql", "read_sql_query", "executemany"})
# Methods that change the object they are called on: a name mutated in a loop varies per iteration.
_MUTATORS = frozenset({"append", "extend", "insert", "update", "pop", "add", "setdefault", "clear", "remove",
                       "discard", "popitem", "sort", "reverse"})
_POSITIONAL_STYLES = frozenset({PlaceholderStyle.FORMAT, PlaceholderStyle.QMARK})
_NAMED_STYLES = frozenset({PlaceholderStyle.PYFORMAT, PlaceholderStyle.NAMED})


@dataclass(frozen=True)
class CallArguments:
    """The parameters a DB call passes, evaluated at the call."""

    positional: Value | None = None  # a list value: one item per ``%s``/``?`` slot
    named: dict[str, Value] = field(default_factory=dict)
    # Names the innermost enclosing loop assigns or mutates (None: not in a loop, or not known).
    loop_names: frozenset[str] | None = None


def params_node(call: ast.Call, name: str) -> ast.expr | None:
    """The argument holding the statement's parameters, if the call passes one."""
    keyword = next((k.value for k in call.keywords if k.arg in PARAMS_KEYWORDS), None)
    if keyword is not None:
        return keyword
    if len(call.args) > 1 and name not in _NOT_PARAMS_SECOND and not isinstance(call.args[1], ast.Starred):
        return call.args[1]
    return None


def evaluate_arguments(node: ast.expr, evaluate: Callable[[ast.expr], Value | None],
                       tracked: Callable[[str], dict[str, Value]],
                       loop_names: frozenset[str] | None) -> CallArguments | None:
    """``node`` (a parameters argument) as positional or named values; None when neither is known.

    ``tracked(name)`` gives the entries of a dict tracked by constant key (``params["kw"] = …``)."""
    if isinstance(node, ast.Dict):
        named = {k.value: v for k, item in zip(node.keys, node.values)
                 if isinstance(k, ast.Constant) and isinstance(k.value, str)
                 for v in [evaluate(item) or _unknown(item)] if not v.is_list}
        return CallArguments(named=named, loop_names=loop_names)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict" and not node.args:
        named = {k.arg: v for k in node.keywords if k.arg
                 for v in [evaluate(k.value) or _unknown(k.value)] if not v.is_list}
        return CallArguments(named=named, loop_names=loop_names)
    value = evaluate(node)
    if value is not None and value.is_list:
        return CallArguments(positional=value, loop_names=loop_names)
    if isinstance(node, ast.Name) and (entries := tracked(node.id)):
        return CallArguments(named=entries, loop_names=loop_names)
    return None


def _unknown(node: ast.expr) -> Value:
    return Value.hole(Hole(ast.unparse(node)))


def assigned_in(loop: ast.For | ast.AsyncFor | ast.While) -> frozenset[str]:
    """Names a loop assigns (its target included) or mutates (``row.x = …``, ``ids.append(…)``)."""
    names: set[str] = set()
    roots: list[ast.AST] = [*loop.body, *(loop.orelse or [])]
    if not isinstance(loop, ast.While):
        roots.append(loop.target)
    for root in roots:
        for node in ast.walk(root):
            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                names.add(node.id)
            elif isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, (ast.Store, ast.Del)):
                base = node.value
                while isinstance(base, (ast.Attribute, ast.Subscript)):
                    base = base.value
                if isinstance(base, ast.Name):
                    names.add(base.id)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in _MUTATORS and isinstance(node.func.value, ast.Name):
                names.add(node.func.value.id)
    return frozenset(names)


def bind_slots(placeholders: tuple[Placeholder, ...], arguments: CallArguments | None, alt: Alt,
               parts: Sequence[str]) -> tuple[Placeholder, ...]:
    """``placeholders`` of the statement text ``alt`` with what the call binds to each, where known.

    Positional values are matched only when there are exactly as many as ``%s``/``?`` slots: a list of
    unknown length (``ids`` spread into an IN-list) would shift every slot after it."""
    if arguments is None or not placeholders:
        return placeholders
    result = list(placeholders)
    positional = [i for i, p in enumerate(placeholders) if p.style in _POSITIONAL_STYLES]
    if positional and arguments.positional is not None:
        items = _consistent(arguments.positional, alt, parts, lambda a: a.items)
        if items is not None and len(items) == len(positional):
            for index, segments in zip(positional, items):
                result[index] = replace(result[index], bound=_bound(segments, arguments.loop_names))
    for index, slot in enumerate(placeholders):
        if slot.style in _NAMED_STYLES and slot.name in arguments.named:
            segments = _consistent(arguments.named[slot.name], alt, parts, lambda a: a.segments)
            if segments is not None:
                result[index] = replace(slot, bound=_bound(segments, arguments.loop_names))
    return tuple(result)


def _consistent(value: Value, alt: Alt, parts: Sequence[str], pick: Callable[[Alt], object]):  # type: ignore[no-untyped-def]
    """What ``value`` holds under the optional parts ``alt`` of the statement has on; None if that is
    not one thing (the value depends on parts the statement does not)."""
    shared = set(value.parts) & set(parts)
    found = {pick(a) for a in value.alts if (a.on & shared) == (alt.on & shared)}
    return found.pop() if len(found) == 1 else None


def _bound(segments: tuple[Segment, ...], loop_names: frozenset[str] | None) -> BoundValue:
    shown = "".join(s if isinstance(s, str) else "{" + s.source + "}" for s in segments)
    prefix = segments[0] if segments and isinstance(segments[0], str) else ""
    varies = loop_names is None or any(_reads(s.source, loop_names) for s in segments if isinstance(s, Hole))
    return BoundValue(shown, prefix, varies)


def _reads(source: str, names: frozenset[str]) -> bool:
    """Whether the expression ``source`` reads one of ``names`` (True when it cannot be read)."""
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        return True
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(tree))
