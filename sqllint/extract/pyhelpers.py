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
from dataclasses import dataclass, field
from typing import Any
from pathlib import Path

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


# --- across the project's modules ------------------------------------------------------------------
# A file can define a helper only if a def's parameter is passed, bare, into a call named like a DB call
# or a wrapper of one; files without such a call are not parsed by the pre-pass.
_DEF_PARAMETERS = re.compile(rb"def\s+\w+\s*\(([^)]*)\)")
_PARAMETER_NAME = re.compile(rb"(?:^|,)\s*\**(\w+)")
_NOT_SQL = frozenset({b"self", b"cls", b"cur", b"cursor", b"conn", b"connection", b"db", b"session"})
# A parameter passed on, bare, into a call named like a DB call or a wrapper (cur.execute(text(sql), …)):
# the call, an optional wrapper call, an optional argument before it, then the parameter. One forward
# search per file with the file's parameter names (a look-behind scan at every use of a name was ~1.5 ms
# a file: a warm cached run of 800 files spent 1.3 s here; now ~0.15 ms).
_CALL_THEN_NAME = (rb"(?:exec|run|query|fetch|sql|raw|select|mogrify)\w*\s*\(\s*(?:[\w.]+\(\s*)?(?:[\w.]+\s*,\s*)?"
                   rb"(?:%s)\s*[,)]")


def may_define_helper(data: bytes) -> bool:
    return _passes_a_parameter(data)


def _passes_a_parameter(text: bytes) -> bool:
    """Whether some ``def``'s parameter in ``text`` (a file, or one function) is passed, bare, into a call
    named like a DB call or a wrapper of one."""
    names = {n for group in _DEF_PARAMETERS.findall(text) for n in _PARAMETER_NAME.findall(group)} - _NOT_SQL
    if not names:
        return False
    alternatives = b"|".join(re.escape(n.lower()) for n in sorted(names)[:300])
    # Lower-cased text and a case-sensitive pattern: re's IGNORECASE is ~5x slower on this alternation.
    return re.search(_CALL_THEN_NAME % alternatives, text.lower()) is not None


@dataclass(frozen=True)
class ProjectHelpers:
    """Other modules' helpers, for one module's calls (``for_module``): by bare name where the project's
    helpers of that name share one signature, and per module, so a caller importing from ``app.db`` gets
    ``app.db``'s ``run`` even when ``app.reports`` has a ``run(conn, sql)`` of its own."""

    by_name: Mapping[str, HelperSink] = field(default_factory=dict)
    by_module: Mapping[str, Mapping[str, HelperSink]] = field(default_factory=dict)  # dotted name → helpers

    def __bool__(self) -> bool:
        return bool(self.by_module)

    def to_json(self) -> dict[str, Any]:
        return {"by_name": {n: _sink_json(h) for n, h in self.by_name.items()},
                "by_module": {m: {n: _sink_json(h) for n, h in hs.items()} for m, hs in self.by_module.items()}}

    @staticmethod
    def from_json(data: dict[str, Any]) -> ProjectHelpers:
        return ProjectHelpers({n: HelperSink(*h) for n, h in data["by_name"].items()},
                              {m: {n: HelperSink(*h) for n, h in hs.items()} for m, hs in data["by_module"].items()})

    def digest_text(self) -> str:
        """Stable text of every helper: part of the result cache's key for Python files."""
        return repr(sorted((module, sorted(helpers.items())) for module, helpers in self.by_module.items()))

    def for_module(self, module: ast.Module, path: str | None = None) -> dict[str, HelperSink]:
        """The helpers a module's calls may reach by name: the project-wide ones, overridden by those of the
        modules it imports from (``from app.db import run``, ``from app.db import Database``, ``from app
        import db``, ``import app.db as db``); a name two imported modules define differently is dropped."""
        known = dict(self.by_name)
        own = module_name(path) if path else None
        package = bool(path) and Path(path).name == "__init__.py"  # type: ignore[arg-type]
        chosen: dict[str, set[HelperSink]] = {}
        for node in ast.walk(module):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    for name, sink in (self._module(alias.name) or {}).items():
                        chosen.setdefault(name, set()).add(sink)
            elif isinstance(node, ast.ImportFrom) and (target := _absolute(node, own, package)) is not None:
                helpers = self._module(target) if target else None
                for alias in node.names:
                    submodule = self._module(f"{target}.{alias.name}" if target else alias.name)
                    if submodule is not None:  # from app import db: db.run(…)
                        for name, sink in submodule.items():
                            chosen.setdefault(name, set()).add(sink)
                    elif helpers is not None and alias.name in helpers:  # from app.db import run [as r]
                        chosen.setdefault(alias.asname or alias.name, set()).add(helpers[alias.name])
                    elif helpers is not None:  # a class or an instance: its methods are called by name
                        for name, sink in helpers.items():
                            chosen.setdefault(name, set()).add(sink)
        for name, sinks in chosen.items():
            if len(sinks) == 1:
                known[name] = next(iter(sinks))
            else:
                known.pop(name, None)
        return known

    def _module(self, dotted: str) -> Mapping[str, HelperSink] | None:
        """The helpers of the one project module the import names (``app.db`` also matches ``src.app.db``)."""
        if dotted in self.by_module:
            return self.by_module[dotted]
        matches = [helpers for name, helpers in self.by_module.items() if name.endswith("." + dotted)]
        return matches[0] if len(matches) == 1 else None


def _sink_json(sink: HelperSink) -> list[Any]:
    return [sink.sql, sink.sql_name, sink.params, sink.params_name, sink.varargs, sink.kwargs]


def module_name(path: str) -> str:
    """``app/db.py`` → ``app.db``; ``app/__init__.py`` → ``app`` (only its tail is matched against imports)."""
    parts = list(Path(path).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(p for p in parts if p not in ("", ".", "..", "/"))


def _absolute(node: ast.ImportFrom, own: str | None, package: bool) -> str | None:
    """The module a ``from … import`` reads from ("" for ``from . import x`` at the top package)."""
    if not node.level:
        return node.module or None
    if own is None:
        return None
    parts = own.split(".") if own else []
    keep = len(parts) - node.level + (1 if package else 0)
    if keep < 0:
        return None
    base = parts[:keep]
    return ".".join([*base, *([node.module] if node.module else [])])


@dataclass(frozen=True)
class HelperModule:
    """What the project pre-pass keeps of a module that may define a helper: the functions whose text
    passes a parameter, bare, into a call named like a DB call or a wrapper (``candidates``), the names
    of the others, its classes and its imports; not the module's tree (a large project's pre-pass held
    every such tree: over a GB for CPython's library)."""

    path: str
    candidates: Mapping[str, ast.FunctionDef | ast.AsyncFunctionDef]
    others: tuple[str, ...]
    classes: frozenset[str]
    imports: ast.Module  # only the module's import statements, for ``ProjectHelpers.for_module``


def helper_module(data: bytes, path: str) -> HelperModule | None:
    """The pre-pass's reading of one module (None when it does not parse or defines no candidate)."""
    try:
        module = ast.parse(data)
    except (SyntaxError, ValueError):  # reported when the file itself is checked
        return None
    lines = data.splitlines()
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    classes: set[str] = set()
    for node in module.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions[node.name] = node
        elif isinstance(node, ast.ClassDef):
            classes.add(node.name)
            functions.update({f"{node.name}.{item.name}": item for item in node.body
                              if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))})
    texts = {q: b"\n".join(lines[f.lineno - 1 : f.end_lineno or f.lineno]) for q, f in functions.items()}
    candidates = {q: f for q, f in functions.items() if _passes_a_parameter(texts[q])}
    if not candidates:
        return None
    # A wrapper of one of them, whatever its names (def users(sql): return _run(sql)), is one too.
    while True:
        called = re.compile(rb"\b(?:%s)\s*\(" % b"|".join(re.escape(q.rsplit(".", 1)[-1].encode()) for q in candidates))
        wrappers = {q: f for q, f in functions.items() if q not in candidates and called.search(texts[q])}
        if not wrappers:
            break
        candidates.update(wrappers)
    imports = ast.Module(body=[n for n in ast.walk(module) if isinstance(n, (ast.Import, ast.ImportFrom))],
                         type_ignores=[])
    return HelperModule(path, candidates, tuple(q for q in functions if q not in candidates), frozenset(classes),
                        imports)


def project_helpers(modules: list[HelperModule]) -> ProjectHelpers:
    """The helpers of the project's modules, by module and by bare name (``run``, ``Database.run`` as
    ``run``); a bare name two helpers share with different signatures is only known through imports. A
    wrapper in one module of a helper in another is found on the second round."""
    helpers = ProjectHelpers()
    for _round in range(2):
        signatures: dict[str, set[HelperSink]] = {}
        by_module: dict[str, dict[str, HelperSink]] = {}
        for module in modules:
            finder = HelperFinder(module.candidates, module.classes, helpers.for_module(module.imports, module.path),
                                  imported_names(module.imports), module.others)
            own: dict[str, set[HelperSink]] = {}
            for qualname in module.candidates:
                if (found := finder.signature(qualname)) is not None:
                    signatures.setdefault(qualname.rsplit(".", 1)[-1], set()).add(found)
                    own.setdefault(qualname.rsplit(".", 1)[-1], set()).add(found)
            mine = {name: sinks.pop() for name, sinks in own.items() if len(sinks) == 1}
            if mine:
                by_module[module_name(module.path)] = mine
        helpers = ProjectHelpers({name: found.pop() for name, found in signatures.items() if len(found) == 1},
                                 by_module)
    return helpers


def imported_names(module: ast.Module) -> frozenset[str]:
    """Names a module imports with ``from … import name`` (a call ``run(…)`` of another module's helper)."""
    return frozenset(alias.asname or alias.name for node in ast.walk(module) if isinstance(node, ast.ImportFrom)
                     for alias in node.names)


@dataclass(frozen=True)
class HelperSource:
    path: str
    absolute: Path
    digest: bytes  # of its content when the pre-pass read it


def helpers_of(sources: list[HelperSource], max_file_size: int, memo: Any = None) -> ProjectHelpers:
    """``project_helpers`` of the modules that may define a helper, read again here (holding every such
    file's text through the pre-pass cost a large project hundreds of MB). With ``memo`` (a
    ``cache.ContentMemo``) the answer for the same paths and contents is remembered: a warm run of a
    large project parsed every such module again (CPython's library: ~20 s) to find the same helpers."""
    from sqllint.files import read_source

    def compute(_key: bytes) -> dict[str, Any]:
        modules = []
        for source in sources:
            data = read_source(source.absolute, max_file_size).data
            if data is not None and (module := helper_module(data, source.path)) is not None:
                modules.append(module)
        return project_helpers(modules).to_json()

    if memo is None:
        return ProjectHelpers.from_json(compute(b""))
    key = b"".join(s.path.encode() + b"|" + s.digest + b"\n" for s in sorted(sources, key=lambda s: s.path))
    return ProjectHelpers.from_json(memo.get(b"project-helpers\n" + key, compute))
