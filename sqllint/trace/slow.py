"""The slow query log (MySQL 5.7/8.0, MariaDB 10.x, Percona), read with a line-oriented state machine.

An entry is a block of ``# Key: value`` header lines followed by its body: optional ``use db;`` and
``SET timestamp=N;`` lines, then the statement, which may span lines and ends with ``;``. States:

- HEADER: ``#`` lines (MariaDB's ``log_slow_verbosity=explain`` frames its ``# explain:`` rows with bare
  ``#`` lines). ``# Time:`` (written by MariaDB and MySQL 5.x only when the second changes,
  by MySQL 8 on every entry, ISO with microseconds), ``# User@Host: u[u] @ host [ip]  Id: N`` (MySQL's
  connection id), ``# Thread_id: N  Schema: db`` (MariaDB, Percona), ``# Query_time: … Lock_time: …
  Rows_sent: … Rows_examined: …`` (MySQL 8's ``log_slow_extra`` adds ``Thread_id``, ``Start``, ``End``),
  and any other ``# Key: value`` detail line (MariaDB's ``log_slow_verbosity``), which is skipped.
- BODY: statement lines. A header line that starts an entry (``# Time:``, ``# User@Host:``,
  ``# Thread_id:``, ``# Query_time:``) or the server's banner ends the statement; any other line — even
  one starting with ``#`` — belongs to it.

At the end of the log, a statement without its closing ``;`` was cut short: it is kept, marked truncated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sqllint.trace.general import parse_log_time
from sqllint.trace.logfile import MAX_STATEMENT_CHARS, SLOW_HEADER, flavor_of, is_banner
from sqllint.trace.model import LogEntry, Note

_TIME = re.compile(r"^# Time:\s+(?P<time>.+?)\s*$")
_USER_HOST = re.compile(r"^# User@Host:\s+(?P<user>[^\[\s]*)\[[^\]]*\]\s+@\s+(?P<host>\S*)\s*(?:\[(?P<ip>[^\]]*)\])?"
                        r"(?:\s+Id:\s+(?P<id>\d+))?")
_USE = re.compile(r"^use\s+`?(?P<db>[^`;]+)`?;\s*$", re.IGNORECASE)
_SET_TIMESTAMP = re.compile(r"^SET\s+timestamp\s*=\s*(?P<ts>\d+(?:\.\d+)?);\s*$", re.IGNORECASE)
_ADMIN = re.compile(r"^# administrator command: ")
# ``Key: value`` pairs of a header line; a key directly followed by another key (MariaDB's empty
# ``Schema:``) has no value.
_FIELD = re.compile(r"(\w+):[ \t]*(?:(?!\w+:)(\S+))?")


@dataclass
class _Entry:
    line: int
    fields: dict[str, str] = field(default_factory=dict)
    user: str | None = None
    time: float | None = None  # from this entry's own ``# Time:``
    timestamp: float | None = None  # from ``SET timestamp=``
    parts: list[str] = field(default_factory=list)
    size: int = 0
    cut: bool = False
    admin: bool = False

    def add(self, text: str) -> None:
        if self.size + len(text) > MAX_STATEMENT_CHARS:
            self.cut = True
            return
        self.parts.append(text)
        self.size += len(text) + 1


def _number(value: str | None, kind: type) -> float | int | None:
    if value is None:
        return None
    try:
        return kind(value) if value else None
    except ValueError:
        return None


class SlowLogParser:
    """Feed it numbered lines; it yields one ``LogEntry`` per logged statement, in log order."""

    def __init__(self) -> None:
        self.notes: list[Note] = []
        self.flavor: str | None = None
        self.resolution = 1e-6
        self._database: str | None = None  # ``use db;`` carries over to later entries
        self._last_time: float | None = None
        self._stray = 0

    def parse(self, lines: Iterable[tuple[int, str]]) -> Iterator[LogEntry]:
        entry: _Entry | None = None
        in_body = False
        for number, line in lines:
            if is_banner(line):
                self.flavor = self.flavor or flavor_of(line)
                if entry is not None:
                    yield from self._finish(entry)
                entry, in_body = None, False
                continue
            if line.startswith("#") and (not in_body or SLOW_HEADER.match(line)):  # MariaDB writes bare "#"
                if in_body or entry is None:  # a new entry begins
                    if entry is not None:
                        yield from self._finish(entry)
                    entry, in_body = _Entry(number), False
                self._header(entry, line)
                continue
            if entry is None:
                if line.strip():
                    self._stray += 1
                    if self._stray == 1:
                        self.notes.append(Note("line is not part of a slow-log entry: skipped", number))
                continue
            if not in_body and not line.strip():
                continue
            in_body = True
            if _ADMIN.match(line) and not entry.parts:
                entry.admin = True
                continue
            if not entry.parts:
                use = _USE.match(line)
                if use:
                    self._database = use.group("db")
                    continue
                stamp = _SET_TIMESTAMP.match(line)
                if stamp:
                    entry.timestamp = float(stamp.group("ts"))
                    continue
            entry.add(line)
        if entry is not None:
            yield from self._finish(entry, last=True)
        if self._stray > 1:
            self.notes.append(Note(f"{self._stray} lines outside any slow-log entry were skipped"))

    def _header(self, entry: _Entry, line: str) -> None:
        time = _TIME.match(line)
        if time:
            try:
                entry.time, resolution = parse_log_time(time.group("time"))
                self._last_time = entry.time
                self.resolution = max(self.resolution, resolution)
            except ValueError:
                self.notes.append(Note(f"unreadable time {time.group('time')!r}", entry.line))
            return
        user = _USER_HOST.match(line)
        if user:
            entry.user = user.group("user") or None
            if user.group("id"):
                entry.fields["Id"] = user.group("id")
            return
        for key, value in _FIELD.findall(line):
            entry.fields.setdefault(key, value)

    def _finish(self, entry: _Entry, last: bool = False) -> Iterator[LogEntry]:
        text = "\n".join(entry.parts).strip()
        if entry.admin:
            return
        if not text:
            if last:
                self.notes.append(Note("the log ends inside an entry's header: that entry has no statement",
                                       entry.line))
            return
        truncated = entry.cut
        if text.endswith(";"):
            text = text[:-1].rstrip()
        elif last:
            truncated = True
        if truncated:
            self.notes.append(Note("statement cut short (the log ends mid-statement or it is longer than the "
                                   "statement limit): grouped by what was logged", entry.line))
        fields = entry.fields
        connection = _number(fields.get("Thread_id") or fields.get("Id"), int)
        if "Schema" in fields:
            self._database = fields["Schema"] or None
        at = self._moment(entry, fields)
        yield LogEntry(
            sql=text, line=entry.line, connection=connection,  # type: ignore[arg-type]
            at=at, database=self._database, user=entry.user,
            duration=_number(fields.get("Query_time"), float),  # type: ignore[arg-type]
            lock_time=_number(fields.get("Lock_time"), float),  # type: ignore[arg-type]
            rows_sent=_number(fields.get("Rows_sent"), int),  # type: ignore[arg-type]
            rows_examined=_number(fields.get("Rows_examined"), int),  # type: ignore[arg-type]
            truncated=truncated)

    def _moment(self, entry: _Entry, fields: dict[str, str]) -> float | None:
        """The statement's start: MySQL 8's ``Start:`` (microseconds) when logged, else this entry's own
        ``# Time:`` when it has fractions, else ``SET timestamp`` (whole seconds), else the last time seen."""
        start = fields.get("Start")
        if start:
            try:
                return parse_log_time(start)[0]
            except ValueError:
                pass
        if entry.time is not None and entry.time % 1:
            return entry.time
        if entry.timestamp is not None:
            self.resolution = max(self.resolution, 1.0 if entry.timestamp % 1 == 0 else 1e-6)
            return entry.timestamp
        return entry.time if entry.time is not None else self._last_time
