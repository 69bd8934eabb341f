"""Functions of other project modules whose SQL is the same from every call, for the modules importing them.

    from app.dao import get_user                 # app/dao.py: def get_user(cur, uid): cur.execute("SELECT …")
    for order in orders:
        owner = get_user(cur, order.user_id)     # N+1

A call of a function of the same module carries its statements to the call (``pyspecial``); this does
the same across modules. The project pre-pass finds the modules other modules import (``imported_modules``
reads import lines as bytes, without parsing) that run SQL, extracts them as a check would, and keeps per
function what it runs (``CarriedRun``: the texts with their variants, the loops around them inside the
function, where they are written). At a call the caller's imports resolve (``ProjectRunners.for_module``),
the extractor puts those statements, marked ``resolved_from``: statement rules judge them where they are
written; the caller's scope rules (N+1, mergeable reads) see them at the call. One hop across modules.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqllint.extract.pyhelperindex import absolute_module, module_name
from sqllint.extract.pyvalues import Alt, Value
from sqllint.records import Query

# A module whose functions may run SQL: a def, and a call named like a DB call, or one of the project's own
# helpers called with a SQL literal (``return run("SELECT …", (uid,))``; SQL words alone are in docstrings,
# and a SQL library's own functions taking ``sql`` pass for helpers).
_DB_CALL = re.compile(rb"\.(?:execute|executemany|exec_driver_sql|read_sql\w*|fetch\w*|query|raw|mogrify)\s*\(")
# Found from the literal backwards: a scan for quotes is fast, one for every word followed by "(" was not.
_SQL_LITERAL = re.compile(rb"(?:'|\")+\s*(?i:select|insert|update|delete|replace|with)\b")
_CALLED_BEFORE = re.compile(rb"(\w+)\s*\(\s*[rRbBuUfF]{0,2}$")
_FROM_IMPORT = re.compile(rb"[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^#\n;]*)")
_IMPORT = re.compile(rb"[ \t]*import[ \t]+([^#\n;]+)")
_NAME = re.compile(rb"[\w.]+")


def sql_callees(data: bytes) -> frozenset[bytes] | None:
    """What may make a module's functions run SQL: None when nothing can; else the names of the functions
    it hands a SQL literal to (``run("SELECT …")``), with ``b"."`` standing for a call named like a DB call
    (``cur.execute(…)``). ``runs_sql`` decides once the project's helpers are known."""
    if b"def " not in data:
        return None
    if _DB_CALL.search(data) is not None:
        return _DB_CALLS  # runs SQL whatever the helpers: no need to look at its literals
    found: set[bytes] = set()
    for literal in _SQL_LITERAL.finditer(data):
        call = _CALLED_BEFORE.search(data, max(0, literal.start() - 120), literal.start())
        if call is not None:
            found.add(call.group(1))
    return frozenset(found) if found else None


_DB_CALLS = frozenset({b"."})


def runs_sql(callees: frozenset[bytes], helpers: frozenset[bytes]) -> bool:
    """``sql_callees`` of a module, given the bare names of the project's executor helpers."""
    return b"." in callees or not callees.isdisjoint(helpers)


def imported_modules(data: bytes, path: str) -> set[str]:
    """Dotted names a module's import lines may refer to (``from app import dao`` gives ``app`` and
    ``app.dao``; relative imports resolved against ``path``): a superset, matched by suffix later."""
    own: str | None = None  # the module's own dotted name: only relative imports need it
    package = path.endswith("__init__.py")
    found: set[str] = set()
    # Only the lines holding the word: a scan of the whole text at every line start cost ~0.1 ms a file.
    start = 0
    while (at := data.find(b"import", start)) != -1:
        line = data.rfind(b"\n", 0, at) + 1
        end = data.find(b"\n", at)
        start = len(data) if end == -1 else end + 1
        if (match := _FROM_IMPORT.match(data, line)) is not None:
            dots, module, names = match.groups()
            if dots and own is None:
                own = module_name(path)
            target = absolute_module(ast.ImportFrom(module=module.decode() or None, names=[], level=len(dots)),
                                     own, package) if dots else module.decode() or None
            if target is None:
                continue
            if target:
                found.add(target)
            for name in _NAME.findall(names.replace(b" as ", b" ")):
                found.add(f"{target}.{name.decode()}" if target else name.decode())
        elif (match := _IMPORT.match(data, line)) is not None:
            for item in match.group(1).split(b","):
                words = item.split()
                if words:
                    found.add(words[0].decode())
    return found


@dataclass(frozen=True)
class CarriedRun:
    """One statement a function runs, as its callers in other modules get it."""

    written: tuple[tuple[str, int, int], ...]  # where it is written: the function's line, then any inner call's
    loop_depth: int  # loops around it inside the function
    parts: tuple[str, ...]  # the optional parts its variants switch
    alternatives: tuple[tuple[str, tuple[str, ...]], ...]  # (text as written, parts switched on) per variant
    resolved_from: str | None = None  # what it was already carried from inside its module (a named query …)

    def value(self) -> Value:
        return Value(tuple(Alt((text,), frozenset(on)) for text, on in self.alternatives), parts=self.parts,
                     line=self.written[0][1])

    def to_json(self) -> list[Any]:
        return [[list(w) for w in self.written], self.loop_depth, list(self.parts),
                [[text, list(on)] for text, on in self.alternatives], self.resolved_from]

    @staticmethod
    def from_json(data: list[Any]) -> CarriedRun:
        written, loop_depth, parts, alternatives, resolved_from = data
        return CarriedRun(tuple((str(p), int(l), int(c)) for p, l, c in written), int(loop_depth), tuple(parts),
                          tuple((str(text), tuple(on)) for text, on in alternatives), resolved_from)


def is_read(text: str) -> bool:
    """A SELECT (or a WITH … SELECT): the statement's first word."""
    words = text.lstrip("( \t\r\n").split(None, 1)
    return bool(words) and words[0].upper() in ("SELECT", "WITH")


def reads(value: Value) -> bool:
    """Every text of ``value`` is a read (``is_read``)."""
    return all(is_read(text) for text in value.texts())


def carried_loops(caller_depth: int, caller_line: int | None, inner: int, value: Value) -> tuple[int, int | None] | None:
    """The loops of a statement a call carries (loop depth, innermost loop line), or None to leave it out.
    A loop inside the function is the function's own N+1, reported there: at a call outside the caller's
    loops its reads are left out (neither N+1 here nor one read to merge with another) and its writes
    stay, unlooped (a later read of their table sees them); at a call inside a loop everything the
    function runs runs per iteration (as for a Java DAO method: ``java._callee_queries``)."""
    if not caller_depth:
        return None if inner and reads(value) else (0, None)
    return caller_depth + inner, caller_line


def module_runs(queries: Iterable[Query]) -> dict[str, tuple[CarriedRun, ...]]:
    """What each function of one module runs (its own statements and those it carries from functions
    of its module), from the module's extraction; statements whose text a parameter shapes are left out
    (each caller's text differs: ``pyspecial`` reads them at calls in the same module)."""
    grouped: dict[tuple[Any, ...], list[Query]] = {}
    for query in queries:
        if query.scope == "<module>" or any(p.interpolated or p.identifier or p.fragment for p in query.placeholders):
            continue
        grouped.setdefault((query.scope, query.statement), []).append(query)
    runs: dict[str, list[CarriedRun]] = {}
    for (scope, _statement), variants in grouped.items():
        first = variants[0]
        seen: dict[str, tuple[str, ...]] = {}
        for variant in variants:
            seen.setdefault(variant.raw, tuple(sorted(variant.variant.on)) if variant.variant else ())
        runs.setdefault(scope, []).append(CarriedRun(
            ((first.path, first.line, first.column), *first.origin), first.loop_depth,
            first.variant.parts if first.variant else (), tuple(seen.items()), first.resolved_from))
    return {scope: tuple(found) for scope, found in runs.items()}


@dataclass(frozen=True)
class ProjectRunners:
    """Per module (dotted name), per function (``get_user``, ``UserRepo.get``): what it runs."""

    by_module: Mapping[str, Mapping[str, tuple[CarriedRun, ...]]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.by_module)

    def to_json(self) -> dict[str, Any]:
        return {module: {name: [run.to_json() for run in runs] for name, runs in functions.items()}
                for module, functions in self.by_module.items()}

    @staticmethod
    def from_json(data: dict[str, Any]) -> ProjectRunners:
        return ProjectRunners({module: {name: tuple(CarriedRun.from_json(r) for r in runs)
                                        for name, runs in functions.items()} for module, functions in data.items()})

    def digest_text(self, imported: set[str] | None = None) -> str:
        """Stable text of the runs of the modules ``imported`` names (by any suffix of their dotted name;
        None: every module): part of the result cache's key for a Python file, which depends on what the
        functions it imports run, not on the rest of the project."""
        modules = [module for module in self.by_module if imported is None
                   or any(".".join(module.split(".")[i:]) in imported for i in range(module.count(".") + 1))]
        return repr(sorted((module, sorted((name, [r.to_json() for r in runs])
                                           for name, runs in self.by_module[module].items())) for module in modules))

    def for_module(self, imports: ast.Module, path: str | None = None) -> dict[str, tuple[str, tuple[CarriedRun, ...]]]:
        """The calls a module can make of other modules' functions, by the text of the call's callee
        (``get_user``, ``dao.get_user``, ``app.dao.get_user``, ``UserRepo.get``) → (the function's dotted
        name, what it runs)."""
        own = module_name(path) if path else None
        package = bool(path) and Path(path).name == "__init__.py"  # type: ignore[arg-type]
        calls: dict[str, tuple[str, tuple[CarriedRun, ...]]] = {}

        def add(prefix: str, module: str, functions: Mapping[str, tuple[CarriedRun, ...]], name: str = "") -> None:
            for qualname, runs in functions.items():
                if not name or qualname == name or qualname.startswith(name + "."):
                    local = qualname[len(name):] if name else f".{qualname}"
                    calls[f"{prefix}{local}"] = (f"{module}.{qualname}", runs)

        for node in ast.walk(imports):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if (found := self._module(alias.name)) is not None and found[0] != own:
                        add(alias.asname or alias.name, *found)
            elif isinstance(node, ast.ImportFrom) and (target := absolute_module(node, own, package)) is not None:
                for alias in node.names:
                    local = alias.asname or alias.name
                    if (found := self._module(f"{target}.{alias.name}" if target else alias.name)) is not None:
                        if found[0] != own:  # from app import dao: dao.get_user(…)
                            add(local, *found)
                    elif target and (found := self._module(target)) is not None and found[0] != own:
                        add(local, found[0], found[1], alias.name)  # from app.dao import get_user [as g]
        return calls

    def _module(self, dotted: str) -> tuple[str, Mapping[str, tuple[CarriedRun, ...]]] | None:
        """The one project module an import names (``app.dao`` also matches ``src.app.dao``)."""
        if dotted in self.by_module:
            return dotted, self.by_module[dotted]
        matches = [(name, functions) for name, functions in self.by_module.items() if name.endswith("." + dotted)]
        return matches[0] if len(matches) == 1 else None
