"""The project's executor helpers across its modules: which files may define one (a byte-level
pre-filter), what the pre-pass keeps of them, and the helpers by module and by name for each caller
(``ProjectHelpers.for_module``). ``pyhelpers`` reads one module's functions.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqllint.extract.pyhelpers import HelperFinder, HelperSink, imported_names

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


def may_define_helper(text: bytes) -> bool:
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
            elif isinstance(node, ast.ImportFrom) and (target := absolute_module(node, own, package)) is not None:
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


def absolute_module(node: ast.ImportFrom, own: str | None, package: bool) -> str | None:
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
    candidates = {q: f for q, f in functions.items() if may_define_helper(texts[q])}
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
