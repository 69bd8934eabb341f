"""Which queries ``sqllint explain TARGET`` is about.

A *selector* is any function ``(Workspace) -> list[QuerySite]`` returning the query sites to explain, in
the order they run (source order within a file). ``parse_target`` turns the command-line TARGET into
one: raw SQL (or ``-`` for stdin), ``path``, ``path:line``, ``path:function`` or a MyBatis statement id
(``com.example.mapper.OrderMapper.listOrders``, or any unambiguous dotted suffix of it); ``path:line:column``
as reports print locations works too. Other ways of
choosing queries (an HTTP endpoint, say) only need to provide another selector.

A target that matches nothing or several things raises ``TargetError`` with the candidates, so the
command can say exactly what it found instead of guessing.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqllint.config import Config
from sqllint.extract import SUFFIXES, ExtractOptions, Problem, extract_source
from sqllint.explain.scopes import matching_scopes, python_scope_at
from sqllint.extract.sqlfile import extract_sql
from sqllint.files import SourceFile, discover, display_path, read_source
from sqllint.parse import SqlParser
from sqllint.records import ParsedQuery, Query

if TYPE_CHECKING:
    from sqllint.extract.project import ProjectIndex

# The first word of a statement someone would paste to be explained.
_SQL_START = re.compile(r"^(?:\s+|/\*.*?\*/|(?:--\s|#)[^\n]*(?:\n|$))*(?:\(\s*)*"
                        r"(?:SELECT|WITH|UPDATE|DELETE|INSERT|REPLACE|TABLE|VALUES)\b", re.IGNORECASE | re.DOTALL)
_DOTTED_NAME = re.compile(r"^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$<>]*)*$")
_LINE_COLUMN = re.compile(r"^(.+):(\d+):(\d+)$")
MAX_CANDIDATES = 20


class TargetError(Exception):
    """TARGET matches no query or several: the message says which, with the candidates."""

    def __init__(self, message: str, candidates: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.candidates = tuple(candidates)

    def __str__(self) -> str:
        if not self.candidates:
            return self.message
        shown = list(self.candidates[:MAX_CANDIDATES])
        more = len(self.candidates) - len(shown)
        lines = [self.message] + [f"  {c}" for c in shown] + ([f"  … and {more} more"] if more > 0 else [])
        return "\n".join(lines)


@dataclass(frozen=True)
class QuerySite:
    """One statement in the application: every variant of it, in expansion order."""

    path: str
    line: int
    column: int
    end_line: int | None
    scope: str | None
    variants: tuple[ParsedQuery, ...]
    all_variants: tuple[ParsedQuery, ...] = ()  # every variant, when ``--variant`` kept only some

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"

    def number_of(self, variant: ParsedQuery) -> tuple[int, int]:
        """(1-based number among all the statement's variants, how many there are)."""
        every = self.all_variants or self.variants
        return next((i for i, v in enumerate(every, start=1) if v is variant), 0), len(every)

    def describe(self) -> str:
        where = f" in {self.scope}" if self.scope and self.scope != "<module>" else ""
        count = len(self.all_variants or self.variants)
        query = self.variants[0].query if self.variants else None
        runs = query.resolved_from if query else None  # a mapper call in Java
        written = ""
        if query is not None and query.origin and not runs:  # a statement of the function called here
            path, line, _column = query.origin[-1]
            written = f" (written at {'' if path == self.path else path + ':'}line {line})"
        return (f"{self.location}{where}" + (f" runs {runs}" if runs else "") + written
                + (f" ({count} variants)" if count > 1 else ""))


Selector = Callable[["Workspace"], list[QuerySite]]


_PROJECT_LANGUAGES = ("xml", "java", "go")


@dataclass
class Workspace:
    """Extraction on demand: the files a target names, and the project when a target must be searched."""

    config: Config
    cwd: Path
    search_paths: tuple[str, ...] = (".",)
    problems: list[tuple[str, Problem]] = field(default_factory=list)  # could-not-analyse notes, per path
    _parser: SqlParser = field(default_factory=SqlParser)
    _files: list[SourceFile] | None = None
    _project: ProjectIndex | None = None
    _project_built: bool = False
    _under_root: list[SourceFile] | None = None
    _sites: dict[str, list[QuerySite]] = field(default_factory=dict)

    # --- files ------------------------------------------------------------------------------------
    def files(self) -> list[SourceFile]:
        """Every checkable file under the search paths (config excludes and .gitignore respected)."""
        if self._files is None:
            exclude = tuple(self.config.exclude) + tuple(self.config.extend_exclude)
            self._files = discover(list(self.search_paths), self.cwd, self.config.root, exclude, SUFFIXES,
                                   self.config.respect_gitignore).files
        return self._files

    def source(self, path: str) -> SourceFile:
        absolute = (self.cwd / path) if not Path(path).is_absolute() else Path(path)
        if not absolute.is_file():
            raise TargetError(f"no such file: {path}")
        language = SUFFIXES.get(absolute.suffix.lower())
        if language is None:
            raise TargetError(f"{path}: sqllint reads {', '.join(sorted(SUFFIXES))} files, not {absolute.suffix or 'this'}")
        return SourceFile(display_path(absolute.absolute(), self.cwd), absolute.absolute(), language)

    def project(self) -> ProjectIndex | None:
        """The project index (includes across mappers, mapper statements, Java mapper calls, Go package
        constants) over the search paths and the rest of the project root, as ``sqllint check`` builds it;
        None without mapper XML, Java or Go."""
        if not self._project_built:
            self._project_built = True
            files = list({f.absolute: f for f in [*self._root_files(_PROJECT_LANGUAGES), *(
                f for f in self.files() if f.language in _PROJECT_LANGUAGES)]}.values())
            if files:
                from sqllint.extract.project import build_index  # only MyBatis/Java projects pay for it

                self._project = build_index(files, self.config.max_file_size)
        return self._project

    def _root_files(self, languages: Collection[str]) -> list[SourceFile]:
        """The files of ``languages`` under the project root (excludes and .gitignore respected): the root
        is walked once however many targets need it."""
        if self._under_root is None:
            exclude = tuple(self.config.exclude) + tuple(self.config.extend_exclude)
            self._under_root = discover([str(self.config.root)], self.cwd, self.config.root, exclude, SUFFIXES,
                                        self.config.respect_gitignore).files if self.config.root.is_dir() else []
        return [f for f in self._under_root if f.language in languages]

    # --- sites --------------------------------------------------------------------------------------
    def sites(self, source: SourceFile) -> list[QuerySite]:
        """The statements of one file, in source order."""
        if source.path not in self._sites:
            read = read_source(source.absolute, self.config.max_file_size)
            if read.data is None:
                raise TargetError(f"{source.path}: {read.note or 'cannot be read'}")
            project = self.project() if source.language in _PROJECT_LANGUAGES else \
                self._python_project(source) if source.language == "python" else None
            extraction = extract_source(read.data, source.path, source.language,
                                        ExtractOptions(self.config.max_variants, project))
            self.problems.extend((source.path, p) for p in extraction.problems)
            self._sites[source.path] = self.group(extraction.queries)
        return self._sites[source.path]

    def _python_project(self, source: SourceFile) -> ProjectIndex | None:
        """What a partial ``sqllint check`` of ``source`` indexes besides it (``pyimports.python_context``):
        the run(sql, params) helpers of the modules it imports and the named queries of .sql files
        (``queries.get_user(conn)``, aiosql), so SQL run through either is explained too."""
        from sqllint.extract.project import build_index
        from sqllint.extract.pyimports import CONTEXT_LANGUAGES, python_context

        context = python_context([source.absolute], self._root_files(CONTEXT_LANGUAGES), self.config.root.resolve(),
                                 lambda path: read_source(path, self.config.max_file_size).data)
        index = build_index([source, *context], self.config.max_file_size, callees=False)
        return index if index.python_helpers or index.named_sql or index.python_runners else None

    def no_sql(self, path: str) -> str:
        """Why a file has no statements to explain: its could-not-analyse problems, if any."""
        problems = [p.message for where, p in self.problems if where == path]
        return f"{path}: sqllint found no SQL in this file" + (f" ({'; '.join(problems)})" if problems else "")

    def cached_sites(self, path: str) -> list[QuerySite]:
        """The sites of a file already read (for scope rules, which read the whole function)."""
        return self._sites.get(path, [])

    def group(self, queries: Iterable[Query]) -> list[QuerySite]:
        # By statement: a call of a function that runs two statements is two sites at one place, each
        # with its variants (Query.origin tells them apart).
        grouped: dict[tuple, list[ParsedQuery]] = {}
        for parsed in self._parser.parse_queries(queries):
            grouped.setdefault(parsed.query.statement, []).append(parsed)
        sites = [QuerySite(q[0].query.path, q[0].query.line, q[0].query.column, q[0].query.end_line,
                           q[0].query.scope, tuple(q)) for q in grouped.values()]
        return sorted(sites, key=lambda s: (s.line, s.column))


# --- selectors ----------------------------------------------------------------------------------------

def sql_text(text: str, name: str = "<sql>") -> Selector:
    """The statements of a SQL text given on the command line (or stdin), each its own site."""

    def select(workspace: Workspace) -> list[QuerySite]:
        sites = workspace.group(extract_sql(text, name))
        if not sites:
            raise TargetError(f"{name}: no SQL statement found")
        return sites

    return select


def whole_file(path: str) -> Selector:
    def select(workspace: Workspace) -> list[QuerySite]:
        source = workspace.source(path)
        sites = workspace.sites(source)
        if not sites:
            raise TargetError(workspace.no_sql(source.path))
        return sites

    return select


def at_line(path: str, line: int, column: int | None = None) -> Selector:
    """The statement at or spanning ``line`` (``column`` picks among statements starting on that line, as
    in ``path:line:column`` from a report); in Python, else the one statement of the function there."""

    def select(workspace: Workspace) -> list[QuerySite]:
        source = workspace.source(path)
        sites = workspace.sites(source)
        spanning = [s for s in sites if s.line <= line <= (s.end_line or s.line)]
        if column is not None and any(s.line == line and s.column == column for s in spanning):
            return [s for s in spanning if s.line == line and s.column == column][:1]
        if spanning:
            innermost = min(spanning, key=lambda s: ((s.end_line or s.line) - s.line, -s.line, -s.column))
            return [innermost]
        if source.language == "python":
            scope = python_scope_at(source, line)
            inside = [s for s in sites if scope is not None and s.scope == scope]
            if len(inside) == 1:
                return inside
            if inside:
                raise TargetError(f"{source.path}:{line} is in {scope}, which runs {len(inside)} queries; "
                                  f"name one by its line or explain them all with {source.path}:{scope.rsplit('.', 1)[-1]}",
                                  [s.describe() for s in inside])
        if not sites:
            raise TargetError(workspace.no_sql(source.path))
        raise TargetError(f"{source.path}:{line}: no query at or spanning this line; queries in this file:",
                          [s.describe() for s in sites])

    return select


def in_function(path: str, name: str) -> Selector:
    """Every statement of a function or method (``list_orders``, ``OrderService.listOrders``), in order."""

    def select(workspace: Workspace) -> list[QuerySite]:
        source = workspace.source(path)
        sites = workspace.sites(source)
        scopes = matching_scopes(name, [s.scope for s in sites if s.scope])
        if not sites:
            raise TargetError(workspace.no_sql(source.path))
        if not scopes:
            known = sorted({s.scope for s in sites if s.scope and s.scope != "<module>"})
            raise TargetError(f"{source.path}: no function {name!r} with SQL"
                              + ("; functions with SQL in this file:" if known else ""), known)
        if len(scopes) > 1:
            raise TargetError(f"{source.path}: {name!r} is ambiguous; qualify it:", scopes)
        return [s for s in sites if s.scope == scopes[0]]

    return select


def by_name(name: str) -> Selector:
    """A MyBatis statement id (or a dotted suffix of it), else a function with SQL anywhere under the
    search paths (``OrderService.listOrders``)."""

    def select(workspace: Workspace) -> list[QuerySite]:
        index = workspace.project()
        statements = index.statements if index is not None else {}
        ids = matching_scopes(name, list(statements))
        if len(ids) > 1:
            raise TargetError(f"statement id {name!r} is ambiguous; give more of it:", ids)
        if ids:
            statement = statements[ids[0]]
            sites = [s for s in workspace.sites(workspace.source(statement.path)) if s.scope == ids[0]]
            if not sites:
                raise TargetError(f"{statement.path}:{statement.line}: statement {ids[0]} yields no SQL "
                                  "(see `sqllint check` for why)")
            return sites
        found: dict[tuple[str, str], list[QuerySite]] = {}
        for source in workspace.files():
            try:
                sites = workspace.sites(source)
            except TargetError:
                continue  # unreadable files are reported by `sqllint check`, not here
            for scope in matching_scopes(name, [s.scope for s in sites if s.scope]):
                found[(source.path, scope)] = [s for s in sites if s.scope == scope]
        if not found:
            where = ", ".join(workspace.search_paths)
            raise TargetError(f"{name!r} is not raw SQL, an existing path, a MyBatis statement id or a function "
                              f"with SQL under {where}")
        if len(found) > 1:
            raise TargetError(f"{name!r} is ambiguous; use path:function or a longer name:",
                              [f"{path}:{scope}" for path, scope in found])
        return next(iter(found.values()))

    return select


def parse_target(target: str, cwd: Path, stdin: Callable[[], str]) -> Selector:
    """The selector for a command-line TARGET (see the module docstring for the forms)."""
    if target == "-":
        return sql_text(stdin(), "<stdin>")
    if not target.strip():
        raise TargetError("empty TARGET: give SQL, path:line, path:function or a MyBatis statement id")
    located = _LINE_COLUMN.match(target)
    if located and not _SQL_START.match(target) and (cwd / located.group(1)).is_file():  # path:line:column
        line, column = int(located.group(2)), int(located.group(3))
        if line < 1 or column < 1:
            raise TargetError(f"{target}: lines and columns start at 1")
        return at_line(located.group(1), line, column)
    head, sep, tail = target.rpartition(":")
    if sep and head and tail and not _SQL_START.match(target) and (cwd / head).is_file():
        if tail.isdigit():
            if int(tail) < 1:
                raise TargetError(f"{target}: line numbers start at 1")
            return at_line(head, int(tail))
        if _DOTTED_NAME.match(tail):
            return in_function(head, tail)
        raise TargetError(f"{target}: after the path give a line number or a function name, not {tail!r}")
    if _SQL_START.match(target):
        return sql_text(target)
    if (cwd / target).is_file():
        return whole_file(target)
    if sep and (cwd / head).suffix and not (cwd / head).exists():
        raise TargetError(f"no such file: {head}")
    if _DOTTED_NAME.match(target):
        return by_name(target)
    raise TargetError(f"{target!r} is not SQL (SELECT/WITH/UPDATE/DELETE/INSERT …), path:line, path:function or a "
                      "MyBatis statement id")


def choose_variants(sites: Sequence[QuerySite], wanted: str) -> list[QuerySite]:
    """Keep the variants ``--variant`` names: ``all``, a 1-based number, or a label as printed (the
    leading "when" optional, case-insensitive). Static statements are always kept."""
    if wanted.strip().lower() in ("all", ""):
        return list(sites)
    key = wanted.strip().lower().removeprefix("when ").strip()
    chosen: list[QuerySite] = []
    labels: list[str] = []
    matched = False
    for site in sites:
        if len(site.variants) == 1 and site.variants[0].query.variant is None:
            chosen.append(site)
            continue
        keep = []
        for number, variant in enumerate(site.variants, start=1):
            label = variant.query.variant.label if variant.query.variant else "always"
            labels.append(f"{number}: {label}")
            if key == str(number) or key == label.lower().removeprefix("when ").strip():
                keep.append(variant)
        if keep:
            matched = True
            chosen.append(dataclasses.replace(site, variants=tuple(keep), all_variants=site.variants))
    if not matched:
        raise TargetError(f"--variant {wanted!r} matches no variant; the variants are:" if labels else
                          f"--variant {wanted!r}: the selected queries have no variants (their SQL is static)",
                          list(dict.fromkeys(labels)))
    return chosen
