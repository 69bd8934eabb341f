"""The parameters a Python DB call passes (``cur.execute(sql, (f"%{kw}%",))``); ``bound`` matches them
with the statement's slots.

At the call the walker evaluates the parameters argument like any other expression: a tuple or list
(literal, or tracked as it is built with ``params.append`` beside ``sql += " AND name LIKE %s"``) binds
``%s``/``?`` slots in order; a dict (literal, ``dict(kw=…)`` or tracked by constant keys) binds
``%(name)s``/``:name`` slots. A value varies between iterations of the enclosing loop when it reads a
name the loop assigns or mutates.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from sqllint.extract.bound import CallArguments
from sqllint.extract.placeholders import Hole
from sqllint.extract.pyvalues import Value

# Keyword arguments that carry a statement's parameters (DB-API, SQLAlchemy, pandas, Django raw()).
PARAMS_KEYWORDS = frozenset({"params", "args", "parameters", "vars", "param", "values"})
# Calls whose second positional argument is not the parameters: pandas' (sql, con, params=…), and
# executemany's sequence of rows (each row binds the slots, not the sequence).
_NOT_PARAMS_SECOND = frozenset({"read_sql", "read_sql_query", "executemany"})
# Methods that change the object they are called on: a name mutated in a loop varies per iteration.
_MUTATORS = frozenset({"append", "extend", "insert", "update", "pop", "add", "setdefault", "clear", "remove",
                       "discard", "popitem", "sort", "reverse"})


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

    ``tracked(name)`` gives the entries of a dict tracked by constant key (``params["kw"] = …``);
    ``loop_names`` what the innermost enclosing loop assigns or mutates (None: no loop, or unknown)."""
    reads = None if loop_names is None else lambda source: _reads(source, loop_names)
    if isinstance(node, ast.Dict):
        named = {k.value: v for k, item in zip(node.keys, node.values)
                 if isinstance(k, ast.Constant) and isinstance(k.value, str)
                 for v in [evaluate(item) or _unknown(item)] if not v.is_list}
        return CallArguments(named=named, loop_reads=reads)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict" and not node.args:
        named = {k.arg: v for k in node.keywords if k.arg
                 for v in [evaluate(k.value) or _unknown(k.value)] if not v.is_list}
        return CallArguments(named=named, loop_reads=reads)
    value = evaluate(node)
    if value is not None and value.is_list:
        return CallArguments(positional=value, loop_reads=reads)
    if isinstance(node, ast.Name) and (entries := tracked(node.id)):
        return CallArguments(named=entries, loop_reads=reads)
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


def _reads(source: str, names: frozenset[str]) -> bool:
    """Whether the expression ``source`` reads one of ``names`` (True when it cannot be read)."""
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        return True
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(tree))
