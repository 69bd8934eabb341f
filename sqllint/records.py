"""The records that flow one way through the pipeline: Query → ParsedQuery → Finding.

They are plain frozen dataclasses so that every stage can be tested on its own and so that results can
be cached, pickled across processes and compared.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # sqlglot is heavy; records must stay importable without it.
    from sqlglot import exp


class Severity(enum.IntEnum):
    """Ordered so that ``severity >= fail_on`` decides the exit code."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (expected error, warning or info)") from None

    def __str__(self) -> str:
        return self.name.lower()


class PlaceholderStyle(str, enum.Enum):
    """How a value slot was written in the source. ``*_HOLE`` styles splice text into the SQL."""

    QMARK = "?"  # JDBC, sqlite, mysql-connector prepared
    FORMAT = "%s"  # pymysql / MySQLdb positional
    PYFORMAT = "%(name)s"  # pymysql / MySQLdb named
    NAMED = ":name"  # SQLAlchemy text(), JPA native queries
    MYBATIS = "#{name}"  # MyBatis bound parameter
    MYBATIS_RAW = "${name}"  # MyBatis text substitution (interpolation)
    FSTRING_HOLE = "{expr}"  # Python f-string / str.format / % interpolation into SQL text
    CONCAT_HOLE = "+ expr +"  # a value concatenated into SQL text (Python, Java, Go)


INTERPOLATING_STYLES = frozenset(
    {PlaceholderStyle.MYBATIS_RAW, PlaceholderStyle.FSTRING_HOLE, PlaceholderStyle.CONCAT_HOLE}
)


@dataclass(frozen=True)
class BoundValue:
    """What the code binds to a value slot, as far as the extractor can see it at the call site
    (``cur.execute("… LIKE %s", (f"%{kw}%",))``)."""

    shown: str  # the value as a reader would write it, unknown parts as ``{expr}``: ``%{kw}%``
    prefix: str = ""  # the literal text the value is known to start with ("" when it starts unknown)
    # False when it cannot change from one iteration of the enclosing loop to the next (it reads no
    # name the loop assigns); True when it may, or when that is not known.
    varies: bool = True

    @property
    def leading_wildcard(self) -> bool:
        """A LIKE pattern that starts with ``%`` or ``_``: no index prefix to seek on."""
        return self.prefix[:1] in ("%", "_")


@dataclass(frozen=True)
class Placeholder:
    """One value slot in a statement, in order of appearance."""

    style: PlaceholderStyle
    name: str | None = None  # parameter name or source expression; None for positional ``?``/``%s``
    # True when the source guarantees a harmless value (``int(x)``, ``{n:d}``): not an injection risk.
    safe: bool = False
    # True when the slot stands for an identifier (a table or column name), not a value.
    identifier: bool = False
    # True when the slot sits where neither a value nor a name can (``FROM t {where_clause}``): a whole
    # clause the extractor cannot see, so the statement cannot be checked statically.
    fragment: bool = False
    # The value bound to this slot (a ``?``/``%s``/``%(name)s`` slot), when the extractor saw it.
    bound: BoundValue | None = None

    @property
    def interpolated(self) -> bool:
        return self.style in INTERPOLATING_STYLES


@dataclass(frozen=True)
class Variant:
    """One expansion of dynamically built SQL: which optional parts are switched on."""

    parts: tuple[str, ...]  # every optional part of the statement, in source order
    on: frozenset[str]
    # Parts that vary per item of a loop (MyBatis ``criterion.noValue`` inside ``<foreach>``): they make
    # variants, but are not the caller's parameters, so labels do not name them.
    hidden: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        """Words for a reviewer, e.g. ``when kw, status are absent``."""
        on = [p for p in self.parts if p in self.on and p not in self.hidden]
        off = [p for p in self.parts if p not in self.on and p not in self.hidden]
        groups = []
        if off:
            groups.append(f"{', '.join(off)} {'is' if len(off) == 1 else 'are'} absent")
        if on:
            groups.append(f"{', '.join(on)} {'is' if len(on) == 1 else 'are'} present")
        return "when " + "; ".join(groups) if groups else "always"


@dataclass(frozen=True)
class Query:
    """One SQL statement as it appears in the application (one variant of it, for dynamic SQL)."""

    path: str  # as given on the command line / found by the walk
    line: int  # 1-based line of the statement (the DB call site for host languages)
    column: int  # 1-based
    language: str  # "sql", "python", ...
    raw: str  # SQL text with placeholders as written in the source
    text: str  # normalised text that sqlglot's MySQL dialect parses
    placeholders: tuple[Placeholder, ...] = ()
    end_line: int | None = None
    scope: str | None = None  # qualified enclosing function/method, or a mapper's namespace.id
    loop_depth: int = 0
    loop_line: int | None = None  # line of the innermost enclosing loop
    variant: Variant | None = None
    call: str | None = None  # the DB call that runs it, e.g. "cursor.execute"
    sequence: int = 0  # order of the call site within its scope
    # Codes suppressed by host-language comments at the call site ("*" = all).
    suppressed: frozenset[str] = frozenset()
    # Line offset from ``line`` to the first line of ``raw`` inside the file, when the SQL text itself
    # sits in the file verbatim (.sql files); lets parse errors point at the exact line.
    text_line_offset: int | None = None
    # For SQL assembled from pieces of the file (MyBatis XML): per line of ``text``, the file line it was
    # written on and the column of its first character (0: the line joins several pieces, or its column
    # is unknown; line 0: unknown). Lets a parse error point inside the statement.
    line_map: tuple[tuple[int, int], ...] = ()
    # Set on a call site that runs a statement defined elsewhere (a Java call of a MyBatis mapper
    # method: its "namespace.id"). Statement rules already ran where it is defined; only scope rules
    # (mergeable, N+1) read it here.
    resolved_from: str | None = None
    # The arms it sits on, outermost first: (line, column) of an if/switch/match/ternary/except that
    # picks one arm, and the arm's index. Queries on different arms of one construct never both run in
    # one call (one iteration, inside a loop). Code after ``if c: …; return`` is the construct's other arm.
    branch: tuple[tuple[int, int, int], ...] = ()
    # Transaction boundaries (commit/rollback calls) passed in its scope before it: reads on either side
    # of one see different snapshots.
    transaction: int = 0
    # A MyBatis statement in a project with a pagination plugin (PageHelper, MyBatis-Plus's interceptor):
    # the plugin may add the LIMIT at run time, so a statement without one is not known to be unbounded.
    paged_at_run_time: bool = False
    # Where the statement is written when this call site runs it from a function it calls (a helper
    # walked with the caller's arguments, a DAO method, a same-class helper inside a loop): (path, line,
    # column) of each call on the way down and, last, of the statement's own DB call. A callee running
    # two statements puts both at one call site; this tells them apart (its variants share it).
    origin: tuple[tuple[str, int, int], ...] = ()

    @property
    def site(self) -> tuple[str, int, int]:
        """The call site: where findings about the statement are reported."""
        return (self.path, self.line, self.column)

    @property
    def statement(self) -> tuple[str, int, int, tuple[tuple[str, int, int], ...]]:
        """The call site and the statement run there: shared by the variants of one statement only."""
        return (self.path, self.line, self.column, self.origin)

    def exclusive_with(self, other: Query) -> bool:
        """True when the two sit on different arms of one branch construct: at most one of them runs."""
        if self.path != other.path or not self.branch or not other.branch:
            return False
        arms = {(line, column): arm for line, column, arm in self.branch}
        return any(arms.get((line, column), arm) != arm for line, column, arm in other.branch)


@dataclass(frozen=True)
class ParseError:
    message: str
    line: int  # 1-based within the statement text
    column: int


@dataclass(frozen=True)
class ParsedQuery:
    """A Query plus its sqlglot tree (or why it has none) and its structural fingerprint."""

    query: Query
    tree: exp.Expression | None = field(compare=False, repr=False)
    fingerprint: str
    error: ParseError | None = None
    kind: str = "unknown"  # "select", "insert", "update", "delete", "replace", "other"
    # Every node of ``tree`` by type: built on first use, so a dozen rules share one walk.
    _nodes: dict[type, list[exp.Expression]] = field(default_factory=dict, compare=False, repr=False)

    def find(self, *types: type) -> list[exp.Expression]:
        """Nodes of the given types (subclasses not included), in pre-order per type."""
        if not self._nodes and self.tree is not None:
            index = self._nodes
            get = index.get
            for node in self.tree.walk(bfs=False):
                kind = type(node)
                bucket = get(kind)
                if bucket is None:
                    index[kind] = [node]
                else:
                    bucket.append(node)
        if len(types) == 1:
            return self._nodes.get(types[0], [])
        return [node for t in types for node in self._nodes.get(t, [])]

    _memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """Derived facts shared by several rules (e.g. sqlglot scopes), computed once per tree."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]


@dataclass(frozen=True)
class Finding:
    rule: str  # code, e.g. "S001"
    name: str  # kebab-case rule name
    severity: Severity
    path: str
    line: int
    column: int
    message: str
    sql: str = ""
    fingerprint: str = ""
    variant: str | None = None
    suggestion: str | None = None
    scope: str | None = None
    end_line: int | None = None

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.column, self.rule, self.message)


@dataclass(frozen=True)
class Scope:
    """The queries one function/method issues, in call-site order; what cross-query rules read."""

    path: str
    name: str
    queries: tuple[ParsedQuery, ...]

    def sites(self) -> list[list[ParsedQuery]]:
        """Queries grouped by statement run at a call site (its variants together), in source order: a call
        of a function running two statements is two groups, both of which run."""
        grouped: dict[tuple[Any, ...], list[ParsedQuery]] = {}
        for pq in self.queries:
            grouped.setdefault(pq.query.statement, []).append(pq)
        return list(grouped.values())
