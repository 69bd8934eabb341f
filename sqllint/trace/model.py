"""The records of a runtime trace: logged statements, per-connection windows, per-fingerprint groups."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqllint.records import ParsedQuery
from sqllint.registry import Violation


class TraceSourceError(ValueError):
    """A log or server that cannot be read as a trace; the message names what was expected."""


@dataclass(frozen=True)
class LogEntry:
    """One statement as a server logged it."""

    sql: str
    line: int  # 1-based line of the entry in the log (its header line)
    connection: int | None = None  # the server's thread / connection id
    at: float | None = None  # seconds since the epoch (log times without a zone are read as UTC)
    database: str | None = None
    user: str | None = None
    duration: float | None = None  # seconds (slow log Query_time); None in the general log
    lock_time: float | None = None
    rows_sent: int | None = None
    rows_examined: int | None = None
    truncated: bool = False  # the log ended (or the statement was cut) before the statement did
    count: int = 1  # statements this entry stands for (a performance_schema digest row: COUNT_STAR)
    max_duration: float | None = None  # performance_schema: MAX_TIMER_WAIT


@dataclass(frozen=True)
class Note:
    """Something about the input the user should know (bad lines, truncation, missing durations)."""

    message: str
    line: int | None = None


@dataclass(frozen=True, slots=True)
class TracedStatement:
    """One logged statement with its fingerprint.

    ``parsed`` is the *first* statement seen with this fingerprint, parsed once and shared by every later
    one: read structure (tables, key shape) from it, and values from ``sql``, the text as logged."""

    sql: str
    line: int  # the entry's line in the log
    parsed: ParsedQuery
    connection: int | None = None
    at: float | None = None
    duration: float | None = None
    rows_examined: int | None = None

    @property
    def fingerprint(self) -> str:
        return self.parsed.fingerprint

    @property
    def kind(self) -> str:
        return self.parsed.kind


@dataclass(frozen=True)
class ConnectionWindow:
    """Consecutive statements of one connection with no pause longer than the window between them:
    what the runtime rules (target ``trace``) read. ``resolution`` is the log's clock tick in seconds
    (1.0 when it records whole seconds), which the rules add to every time comparison."""

    connection: int | None
    statements: tuple[TracedStatement, ...]
    resolution: float = 1e-6


@dataclass(frozen=True)
class RuntimeViolation(Violation):
    """A trace rule's report: the statements that make it up, and the other fingerprint it pairs with.

    ``suggest`` computes the suggestion on demand: a busy log repeats one finding thousands of times and
    only the one reported needs its rewrite (which parses the logged statements again)."""

    statements: tuple[TracedStatement, ...] = ()
    related: str | None = None
    suggest: Callable[[], str | None] | None = field(default=None, compare=False, repr=False)
    subject: int = 0  # which of ``statements`` the finding points at (its line, its SQL)

    @property
    def statement(self) -> TracedStatement:
        return self.statements[self.subject]

    def resolved_suggestion(self) -> str | None:
        return self.suggestion if self.suggest is None else self.suggest()


@dataclass
class Source:
    """Where statements come from and how much it can tell (durations, order, connections)."""

    kind: str  # "general", "slow" or "performance_schema"
    name: str  # the path, or the masked DSN
    flavor: str | None = None  # "MySQL" / "MariaDB" when the log says so
    has_durations: bool = False
    has_order: bool = True  # per-connection order (logs); performance_schema aggregates it away
    resolution: float = 1e-6
    notes: list[Note] = field(default_factory=list)
    lines: int = 0
