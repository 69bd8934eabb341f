"""The project's Python modules that some files import: what a partial run must index besides them.

A pre-commit run checks only the changed files, but a changed ``orders.py`` calling ``run(sql, id)``
from ``app/db.py`` reads its SQL through that helper (``pyhelpers``), so the full run and the partial
run would disagree unless ``app/db.py`` is indexed too. Scanning every Python file of a large project
would cost a pre-commit hook seconds; following the changed files' own imports (two levels, so a
package ``__init__`` re-exporting a helper is followed to its module) costs a few ``stat`` calls.

``python_context`` is the one answer both a partial ``sqllint check`` and ``sqllint explain path:line``
use, so the two cannot disagree on what a Python file's SQL depends on.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqllint.files import SourceFile

_DEPTH = 2  # the changed file's imports, and theirs (``from app.db import run`` where db/__init__ re-exports)
_SOURCE_ROOTS = ("", "src", "lib", "app")  # where a project's top-level packages usually sit
# What the project must be searched for when Python files are checked: their imported modules, and the
# .sql files of named queries (aiosql, PugSQL; ``build_index`` reads them only if some file loads them).
CONTEXT_LANGUAGES = frozenset({"python", "sql"})


def python_context(checked: Iterable[Path], project: Iterable[SourceFile], root: Path,
                   read: Callable[[Path], bytes | None]) -> list[SourceFile]:
    """Of ``project`` (the project's discovered files, excludes applied), those to index besides the
    Python files ``checked``: the modules they import and every .sql file. ``read`` as for ``imported_files``."""
    checked = list(checked)
    if not checked:
        return []
    imported = set(imported_files(checked, root, read))
    return [f for f in project if f.language == "sql"
            or (f.language == "python" and f.absolute.resolve() in imported)]


def imported_files(files: Iterable[Path], root: Path, read: Callable[[Path], bytes | None]) -> list[Path]:
    """Files under ``root`` that ``files`` import (directly or through one module between), excluding
    ``files`` themselves. ``read(path)`` returns a file's bytes or None (too big, unreadable)."""
    root = root.resolve()
    start = [path.resolve() for path in files]
    seen = set(start)
    found: list[Path] = []
    frontier = start
    for _level in range(_DEPTH):
        following: list[Path] = []
        for path in frontier:
            data = read(path)
            if data is None:
                continue
            try:
                module = ast.parse(data, filename=str(path))
            except (SyntaxError, ValueError):
                continue  # reported when the file itself is checked
            for candidate in _candidates(module, path, root):
                if candidate not in seen and candidate.is_file():
                    seen.add(candidate)
                    found.append(candidate)
                    following.append(candidate)
        frontier = following
    return found


def _candidates(module: ast.Module, path: Path, root: Path) -> Iterator[Path]:
    """Files that may define what ``module`` (at ``path``) imports; missing ones are filtered by the caller."""
    for node in ast.walk(module):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield from _module_files(alias.name.split("."), _bases(path, root, 0))
        elif isinstance(node, ast.ImportFrom):
            parts = node.module.split(".") if node.module else []
            bases = _bases(path, root, node.level)
            yield from _module_files(parts, bases)
            for alias in node.names:  # ``from app import db``: the name may be a module
                if alias.name != "*":
                    yield from _module_files([*parts, alias.name], bases)


def _bases(path: Path, root: Path, level: int) -> list[Path]:
    """Directories an import is resolved from: the package ``level`` dots up for a relative import;
    otherwise the project root, its usual source folders, and the importing file's folders up to it."""
    if level:
        base = path.parent
        for _ in range(level - 1):
            base = base.parent
        return [base] if base == root or root in base.parents else []
    bases = [root / folder if folder else root for folder in _SOURCE_ROOTS]
    folder = path.parent
    while folder != root and root in folder.parents:
        bases.append(folder)
        folder = folder.parent
    return bases


def _module_files(parts: list[str], bases: list[Path]) -> Iterator[Path]:
    for base in bases:
        target = base.joinpath(*parts) if parts else base
        if parts:
            yield target.with_name(target.name + ".py")
        yield target / "__init__.py"
