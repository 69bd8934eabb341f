"""Extract SQL from Python source with ``ast`` (see ``pywalk`` for how values are followed)."""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from sqllint.extract.emit import Site, queries_from_value
from sqllint.extract.pyhelperindex import ProjectHelpers
from sqllint.extract.pyhelpers import HelperSink
from sqllint.extract.pynamed import NamedQuery
from sqllint.extract.pyrunners import ProjectRunners
from sqllint.extract.pywalk import Emitted, PythonExtractor
from sqllint.records import Query
from sqllint.suppress import parse_suppressions



@dataclass(frozen=True)
class PythonExtraction:
    queries: list[Query]
    syntax_error: tuple[str, int, int] | None = None  # (message, line, column)
    # Call sites whose SQL had more variants than max-variants: (line, column, scope, variants kept)
    capped: tuple[tuple[int, int, str, int], ...] = ()


def extract_python(source: bytes, path: str, max_variants: int = 32,
                   known_helpers: Mapping[str, HelperSink] | ProjectHelpers | None = None,
                   named_sql: Mapping[str, tuple[NamedQuery, ...]] | None = None,
                   runners: ProjectRunners | None = None) -> PythonExtraction:
    """The SQL a module runs; ``known_helpers``: other modules' ``run(sql, params)`` helpers (by name, or
    the project's, resolved through this module's imports); ``runners``: what the project's functions
    run, for calls of those this module imports (``pyrunners``)."""
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError) as error:  # ValueError: source contains NUL bytes
        line = getattr(error, "lineno", None) or 1
        column = getattr(error, "offset", None) or 1
        message = getattr(error, "msg", None) or str(error)
        return PythonExtraction([], (message, line, column))
    declarations = None
    calls = None
    if known_helpers or named_sql or runners:
        # One walk for what resolving other modules' helpers and named-query loaders reads (several times):
        # the module's imports, and its assignments of a call (queries = aiosql.from_path(…)).
        wanted: tuple[type, ...] = (ast.Import, ast.ImportFrom) + ((ast.Assign, ast.AnnAssign) if named_sql else ())
        declarations = ast.Module(body=[n for n in ast.walk(tree) if isinstance(n, wanted)], type_ignores=[])
        if isinstance(known_helpers, ProjectHelpers):
            known_helpers = known_helpers.for_module(declarations, path) if known_helpers else None
        calls = runners.for_module(declarations, path) if runners else None
    emitted = PythonExtractor(tree, path, max_variants, known_helpers, named_sql, declarations, calls).run()
    suppressions = _comment_suppressions(source) if b"sqllint:" in source else {}
    queries: list[Query] = []
    capped = []
    for item in emitted:
        found = list(_queries_for(item, path, suppressions))
        queries.extend(found)
        if item.value.capped and found:
            capped.append((found[0].line, found[0].column, item.scope, len({q.variant for q in found})))
    return PythonExtraction(queries, capped=tuple(capped))


def _queries_for(item: Emitted, path: str, suppressions: dict[int, frozenset[str]]) -> Iterator[Query]:
    node = item.node
    line, column = getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1
    end_line = getattr(node, "end_lineno", line) or line
    suppressed = frozenset().union(*(suppressions.get(n, frozenset()) for n in range(line, end_line + 1)))
    suppressed |= suppressions.get(0, frozenset())  # whole-file
    site = Site(path=path, line=line, column=column, end_line=end_line, language="python", scope=item.scope,
                loop_depth=item.loop_depth, loop_line=item.loop_line, call=item.call, sequence=item.sequence,
                suppressed=suppressed, branch=item.branch, arguments=item.arguments,
                transaction=item.transaction, origin=item.origin, resolved_from=item.resolved_from)
    return queries_from_value(item.value, site)


def _comment_suppressions(source: bytes) -> dict[int, frozenset[str]]:
    """``# sqllint: ignore[S001]`` by line; line 0 holds whole-file ``ignore-file`` codes."""
    found: dict[int, frozenset[str]] = {}
    try:
        for token in tokenize.tokenize(io.BytesIO(source).readline):
            if token.type == tokenize.COMMENT and "sqllint:" in token.string:
                codes, whole_file = parse_suppressions(token.string)
                key = 0 if whole_file else token.start[0]
                found[key] = found.get(key, frozenset()) | codes
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError):
        pass
    return found
