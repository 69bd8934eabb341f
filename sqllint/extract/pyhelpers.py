"""A project's own executor helpers: functions that run the SQL they are given.

Real applications wrap the driver (``def run(sql, params=()): with get_db() as conn: return
conn.execute(sql, params)``, ``def query(sql, *args): cur.execute(sql, args)``, a ``Database.run``
method) and write their SQL at the helper's callers. A function whose parameter reaches the SQL
argument of a DB call (or of another such helper: a wrapper of a wrapper) is a sink for that parameter
position; the parameter reaching the call's bound values is recorded too, so a caller's
``run("… WHERE id = %s", (id,))`` is checked with what it binds. The SQL is reported at the caller,
where it is written.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from sqllint.extract.pybound import params_node
from sqllint.extract.pyeval import TRANSPARENT_CALLS, call_name

_SINK_NAMES = frozenset(
    "execute executemany executescript exec_driver_sql mogrify read_sql read_sql_query raw query "
    "fetch fetchrow fetchval fetch_all fetch_one fetch_val fetch_many select".split()
)
_SINK_PATTERN = re.compile(r"sql|query|^exec|^fetch|^select|^run_", re.IGNORECASE)
SQL_KEYWORD_ARGS = ("sql", "query", "statement", "stmt", "operation", "sql_query")
# Wrappers of a parameter that still hand the same SQL or values on: text(sql), sql.strip(), tuple(args).
_COPIES = frozenset({"tuple", "list"})


def named_like_sink(name: str) -> bool:
    """A call named like a DB call (``execute``, ``read_sql``, a project's ``run_query``)."""
    return bool(name) and name not in TRANSPARENT_CALLS and (name in _SINK_NAMES or bool(_SINK_PATTERN.search(name)))


@dataclass(frozen=True)
class HelperSink:
    """Where a helper's callers pass the SQL and its bound values (positions among the call's
    positional arguments, ``self`` not counted; names for keyword calls)."""

    sql: int
    sql_name: str
    params: int | None = None
    params_name: str | None = None
    varargs: bool = False  # def query(sql, *args): the positional arguments after the SQL are the values
    kwargs: bool = False  # def query(sql, **params): the keyword arguments are the named values

    def sql_node(self, call: ast.Call) -> ast.expr | None:
        if len(call.args) > self.sql and not any(isinstance(a, ast.Starred) for a in call.args[:self.sql + 1]):
            return call.args[self.sql]
        return next((k.value for k in call.keywords if k.arg == self.sql_name), None)

    def params_node(self, call: ast.Call) -> ast.expr | None:
        """The caller's bound values as one expression (a tuple of the spread arguments for ``*args``)."""
        if self.varargs:
            rest = call.args[self.sql + 1:]
            if any(isinstance(a, ast.Starred) for a in rest):
                return None
            return ast.Tuple(elts=list(rest), ctx=ast.Load(), lineno=call.lineno, col_offset=call.col_offset)
        if self.kwargs:
            keywords = [k for k in call.keywords if k.arg and k.arg != self.sql_name]
            return ast.Call(func=ast.Name("dict", ast.Load()), args=[], keywords=keywords) if keywords else None
        if self.params is None:
            return None
        if len(call.args) > self.params and not any(isinstance(a, ast.Starred) for a in call.args[:self.params + 1]):
            return call.args[self.params]
        return next((k.value for k in call.keywords if k.arg == self.params_name), None)


Resolver = Callable[[ast.Call, str | None], HelperSink | None]


class HelperFinder:
    """Which of a module's functions (by qualname) run a parameter as SQL, read on first need: a module
    that calls none of its own functions pays nothing. A wrapper of a wrapper is one (its call of the
    inner helper is resolved in turn; a cycle reads as no helper). ``known``: other modules' by name."""

    def __init__(self, functions: Mapping[str, ast.FunctionDef | ast.AsyncFunctionDef], class_names: frozenset[str],
                 known: Mapping[str, HelperSink] | None = None, imported: frozenset[str] = frozenset(),
                 others: Iterable[str] = ()) -> None:
        self.functions, self.class_names, self.known = functions, class_names, known or {}
        self.imported = imported  # `from app.db import run`: a bare run(…) is the project's helper
        # ``others``: the module's functions already known to be no helper (the pre-pass keeps no tree of them)
        self._found: dict[str, HelperSink | None] = dict.fromkeys(others)
        self._methods: dict[str, list[str]] = {}  # method name → qualnames of the module's class methods
        for qualname in [*functions, *self._found]:
            parts = qualname.split(".")
            if len(parts) == 2 and parts[0] in class_names:
                self._methods.setdefault(parts[1], []).append(qualname)

    def signature(self, qualname: str) -> HelperSink | None:
        if qualname not in self._found:
            self._found[qualname] = None  # while it is read: a call back into it is no helper
            node = self.functions[qualname]
            parts = qualname.split(".")
            class_name = parts[-2] if len(parts) >= 2 and parts[-2] in self.class_names else None
            names = {a.arg for a in [*node.args.posonlyargs, *node.args.args]}
            calls = [c for c in own_calls(node)
                     if any(_parameter(a) in names for a in [*c.args, *(k.value for k in c.keywords)])]
            if calls:
                bound_method = class_name is not None and not _is_static(node)
                self._found[qualname] = _helper_of(node, bound_method, class_name, calls, reassigned_names(node),
                                                   self.resolve)
        return self._found[qualname]

    def resolve(self, call: ast.Call, class_name: str | None) -> HelperSink | None:
        """The helper a call runs its SQL through, if it is one."""
        func = call.func
        if isinstance(func, ast.Name):
            if func.id in self.functions or func.id in self._found:
                return self.signature(func.id)
            return self.known.get(func.id) if func.id in self.imported else None
        if not isinstance(func, ast.Attribute):
            return None
        if isinstance(func.value, ast.Name) and func.value.id in ("self", "cls") and class_name is not None:
            own = f"{class_name}.{func.attr}"
            if (own in self.functions or own in self._found) and (helper := self.signature(own)) is not None:
                return helper
        # self.db.run(sql): the receiver's class is unknown; the one signature the module's methods of
        # that name share, if they do
        methods = self._methods.get(func.attr)
        if methods:
            signatures = {self.signature(q) for q in methods}
            if len(signatures) == 1 and None not in signatures:
                return signatures.pop()
        return self.known.get(func.attr)


def _helper_of(node: ast.FunctionDef | ast.AsyncFunctionDef, bound_method: bool, class_name: str | None,
               calls: list[ast.Call], reassigned: set[str], resolve: Resolver) -> HelperSink | None:
    arguments = node.args
    positional = [a.arg for a in [*arguments.posonlyargs, *arguments.args]][1 if bound_method else 0:]
    if not positional:
        return None
    for call in calls:
        helper = resolve(call, class_name)
        if helper is not None:
            sql, params = helper.sql_node(call), helper.params_node(call)
            rest = call.args[helper.sql + 1:]
            if helper.varargs and len(rest) == 1 and isinstance(rest[0], ast.Starred):
                params = rest[0].value  # def one(sql, *args): return query(sql, *args)
        elif named_like_sink(call_name(call.func)):
            sql = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg in SQL_KEYWORD_ARGS), None)
            params = params_node(call, call_name(call.func))
        else:
            continue
        name = _parameter(sql)
        if name is None or name not in positional or name in reassigned:
            continue
        position = positional.index(name)
        values = _parameter(params)
        if values is not None and values == (arguments.vararg.arg if arguments.vararg else None):
            return HelperSink(position, name, varargs=True) if position == len(positional) - 1 else None
        if values is not None and values == (arguments.kwarg.arg if arguments.kwarg else None):
            return HelperSink(position, name, kwargs=True)
        if values is not None and values in positional and values not in reassigned:
            return HelperSink(position, name, positional.index(values), values)
        keyword_only = values is not None and values in {a.arg for a in arguments.kwonlyargs} and values not in reassigned
        return HelperSink(position, name, None, values if keyword_only else None)
    return None


def _parameter(node: ast.expr | None) -> str | None:
    """The name ``node`` passes on unchanged: ``sql``, ``text(sql)``, ``sql.strip()``, ``tuple(args)``,
    ``args or ()``."""
    while node is not None:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords and isinstance(node.func, ast.Name) \
                and node.func.id in (TRANSPARENT_CALLS | _COPIES):
            node = node.args[0]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in TRANSPARENT_CALLS:
            node = node.func.value
        elif isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or) and len(node.values) == 2 \
                and isinstance(node.values[1], (ast.Tuple, ast.List, ast.Dict, ast.Constant)):
            node = node.values[0]
        else:
            return None
    return None


def reassigned_names(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Names the function assigns to other than as a copy of themselves (``sql = sql.strip()`` is a copy)."""
    names: set[str] = set()
    for child in _own_nodes(node):
        if isinstance(child, ast.Assign):
            copied = _parameter(child.value)
            for target in child.targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name) and leaf.id != copied:
                        names.add(leaf.id)
        elif isinstance(child, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor, ast.withitem, ast.NamedExpr)):
            target = child.optional_vars if isinstance(child, ast.withitem) else child.target
            names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name)) if target is not None else None
    return names


def _own_nodes(node: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.AST]:
    """The nodes of a function's body, not those of functions, lambdas or classes defined inside it."""
    stack: list[ast.AST] = list(node.body)
    while stack:
        current = stack.pop()
        if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        yield current
        stack.extend(ast.iter_child_nodes(current))


def own_calls(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.Call]:
    calls = [n for n in _own_nodes(node) if isinstance(n, ast.Call)]
    return sorted(calls, key=lambda c: (c.lineno, c.col_offset))


def _is_static(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list)


def imported_names(module: ast.Module) -> frozenset[str]:
    """Names a module imports with ``from … import name`` (a call ``run(…)`` of another module's helper)."""
    return frozenset(alias.asname or alias.name for node in ast.walk(module) if isinstance(node, ast.ImportFrom)
                     for alias in node.names)
