"""Fingerprint logged statements, group them, and cut each connection's stream into windows.

The fingerprint is the project's own (``sqllint.parse.token_fingerprint``): literal values, placeholders
and IN-list lengths are erased from the token stream, so ``WHERE id = 42`` in a log has the fingerprint
of ``WHERE id = %s`` in the code. Each statement is only tokenized; one statement per fingerprint is
parsed (its tree serves every other statement of the group).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.errors import SqlglotError, TokenError

from sqllint.parse import SqlParser, statement_kind, text_fingerprint, token_fingerprint
from sqllint.records import ParsedQuery, Placeholder, PlaceholderStyle, Query
from sqllint.trace.model import ConnectionWindow, LogEntry, TracedStatement

TEXT_CACHE_LIMIT = 20_000  # distinct texts remembered; identical statements are tokenized once
WINDOW_LIMIT = 2_000  # a connection that never pauses is examined in chunks of about this many statements
LOOP_BODY = 8  # statements of one loop iteration kept together when a chunk is cut
STATEMENT_KINDS = ("select", "insert", "update", "delete", "replace")


@dataclass
class Group:
    """Every logged statement with one fingerprint."""

    fingerprint: str
    parsed: ParsedQuery  # the first one, parsed
    count: int = 0
    timed: int = 0  # statements with a duration
    total_time: float = 0.0
    max_time: float = 0.0
    rows_examined: int = 0
    rows_sent: int = 0
    truncated: int = 0
    first_line: int = 0
    example: str = ""  # the slowest statement's text (the first one when there are no durations)
    example_line: int = 0
    example_time: float | None = None
    connections: set[int] = field(default_factory=set)
    databases: set[str] = field(default_factory=set)

    @property
    def kind(self) -> str:
        return self.parsed.kind

    @property
    def avg_time(self) -> float | None:
        return self.total_time / self.timed if self.timed else None

    def add(self, entry: LogEntry) -> None:
        if not self.count:
            self.first_line, self.example, self.example_line = entry.line, entry.sql, entry.line
        self.count += entry.count
        if entry.duration is not None:
            self.timed += entry.count
            self.total_time += entry.duration
            slowest = entry.max_duration if entry.max_duration is not None else entry.duration / max(1, entry.count)
            if self.example_time is None or slowest > self.example_time:
                self.example, self.example_line, self.example_time = entry.sql, entry.line, slowest
            self.max_time = max(self.max_time, slowest)
        self.rows_examined += entry.rows_examined or 0
        self.rows_sent += entry.rows_sent or 0
        self.truncated += int(entry.truncated)
        if entry.connection is not None and len(self.connections) < 10_000:
            self.connections.add(entry.connection)
        if entry.database and len(self.databases) < 100:
            self.databases.add(entry.database)


class Fingerprinter:
    """Turns log entries into traced statements and keeps the per-fingerprint groups."""

    def __init__(self, source_path: str) -> None:
        self.source_path = source_path
        self.parser = SqlParser()
        self.tokenizer = self.parser.dialect.tokenizer()  # one tokenizer for every statement of the log
        self.groups: dict[str, Group] = {}
        self._parsed: dict[str, ParsedQuery] = {}  # one parsed statement per fingerprint
        self._by_text: dict[str, str] = {}

    def fingerprint(self, sql: str) -> str:
        known = self._by_text.get(sql)
        if known is not None:
            return known
        try:
            digest = token_fingerprint(self.tokenizer.tokenize(sql))
        except (TokenError, SqlglotError, ValueError):
            digest = text_fingerprint(sql)
        if len(self._by_text) >= TEXT_CACHE_LIMIT:
            self._by_text.clear()
        self._by_text[sql] = digest
        return digest

    def trace(self, entry: LogEntry, count: bool = True) -> TracedStatement:
        """The entry as a traced statement; ``count=False`` leaves the groups' statistics alone (a
        statement history read for its order when the statistics come from elsewhere)."""
        digest = self.fingerprint(entry.sql)
        parsed = self._parsed.get(digest)
        if parsed is None:
            parsed = self._parsed[digest] = self.parse(entry.sql, entry.line)
        if count:
            group = self.groups.get(digest)
            if group is None:
                group = self.groups[digest] = Group(digest, parsed)
            group.add(entry)
        return TracedStatement(entry.sql, entry.line, parsed, entry.connection, entry.at, entry.duration,
                               entry.rows_examined)

    def parse(self, sql: str, line: int) -> ParsedQuery:
        """One logged statement as a ParsedQuery located in the log (what the EXPLAIN stage reads)."""
        tree, error, digest = self.parser.parse_text(sql)
        kind = statement_kind(tree) if tree is not None else ("unknown" if error else "empty")
        # A digest's ``?`` are the server's placeholders: declared, so that the EXPLAIN stage binds them.
        slots = sum(1 for _ in tree.find_all(exp.Placeholder)) if tree is not None and "?" in sql else 0
        query = Query(path=self.source_path, line=line, column=1, language="log", raw=sql, text=sql,
                      placeholders=tuple(Placeholder(PlaceholderStyle.QMARK) for _ in range(slots)))
        return ParsedQuery(query, tree, self.fingerprint(sql), error, kind)


class Windows:
    """Per-connection windows: a connection's statements are collected until it pauses for longer than
    ``window`` seconds (plus the log's clock resolution), or ``WINDOW_LIMIT`` statements pile up on a
    connection that never pauses; then the window is handed to ``emit``."""

    def __init__(self, window: float, resolution: Callable[[], float], emit: Callable[[ConnectionWindow], None]) -> None:
        self.window = window
        self.resolution = resolution
        self.emit = emit
        self._open: dict[int, list[TracedStatement]] = {}
        self._seen = 0

    def add(self, statement: TracedStatement) -> None:
        if statement.connection is None:
            return
        current = self._open.get(statement.connection)
        if current and self._paused(current[-1], statement):
            self._flush(statement.connection)
            current = None
        if current is None:
            current = self._open[statement.connection] = []
        current.append(statement)
        if len(current) >= WINDOW_LIMIT:
            self._cut(statement.connection, current)
        self._seen += 1
        if self._seen % 1000 == 0 and statement.at is not None:
            self._sweep(statement.at)

    def _paused(self, last: TracedStatement, statement: TracedStatement) -> bool:
        if last.at is None or statement.at is None:
            return False
        return statement.at - last.at > self.window + self.resolution()

    def _sweep(self, now: float) -> None:
        """Hand on windows of connections idle for long (the slow log is written in order of completion,
        so a generous margin keeps a long statement's connection open)."""
        margin = max(60.0, self.window * 10) + self.resolution()
        for connection in [c for c, items in self._open.items() if items[-1].at is not None
                           and now - items[-1].at > margin]:  # type: ignore[operator]
            self._flush(connection)

    def _cut(self, connection: int, items: list[TracedStatement]) -> None:
        """Hand on a full window but keep its trailing loop (statements whose fingerprints repeat among
        the last few) open, so that a loop running across the cut is still seen as one run."""
        recent = {item.fingerprint for item in items[-LOOP_BODY:]}
        start = len(items)
        while start > 0 and items[start - 1].fingerprint in recent:
            start -= 1
        if start == 0 or len(items) - start > WINDOW_LIMIT // 2:
            self._flush(connection)
            return
        self.emit(ConnectionWindow(connection, tuple(items[:start]), self.resolution()))
        del items[:start]

    def _flush(self, connection: int) -> None:
        items = self._open.pop(connection, None)
        if items:
            self.emit(ConnectionWindow(connection, tuple(items), self.resolution()))

    def close(self) -> None:
        for connection in list(self._open):
            self._flush(connection)


def iter_statements(entries: Iterator[LogEntry], fingerprinter: Fingerprinter, windows: Windows | None,
                    count: bool = True) -> Iterator[TracedStatement]:
    for entry in entries:
        statement = fingerprinter.trace(entry, count)
        if windows is not None:
            windows.add(statement)
        yield statement
    if windows is not None:
        windows.close()
