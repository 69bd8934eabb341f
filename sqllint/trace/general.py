"""The general query log, read with a line-oriented state machine.

An entry starts with a header line — ``[time] TAB id SPACE Command TAB argument`` — and every following
line that is not a header (nor the server's banner) continues its argument: that is how a multi-line
statement appears. The time is written on every line by MySQL 8 (ISO 8601, microseconds) but only when
the second changes by MariaDB and MySQL 5.x (``YYMMDD HH:MM:SS``, whole seconds), so the last time seen
carries over. ``Query`` and ``Execute`` entries are statements (``Prepare`` is not: its ``Execute``
follows with the values in place); ``Connect`` and ``Init DB`` set a connection's database.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqllint.extract.splitter import split_statements
from sqllint.trace.logfile import MAX_STATEMENT_CHARS, flavor_of, general_header, is_banner
from sqllint.trace.model import LogEntry, Note

STATEMENT_COMMANDS = frozenset({"Query", "Execute"})
_CONNECT_DB = re.compile(r"^(?P<user>\S*) on (?P<db>\S*)")  # "user@host on db using TCP/IP"; db may be empty


def parse_log_time(text: str) -> tuple[float, float]:
    """(seconds since the epoch, resolution) of a general/slow log time; zone-less times are read as UTC."""
    text = text.strip()
    if "-" in text[:5]:  # ISO 8601: 2024-05-01T10:00:00.123456Z (MySQL 5.7+), or with an offset
        iso = text.replace(" ", "T", 1)
        if iso.endswith("Z"):
            iso = iso[:-1] + "+00:00"
        moment = datetime.fromisoformat(_pad_fraction(iso))
        seconds = moment.timestamp() if moment.tzinfo else float(calendar.timegm(moment.timetuple())) \
            + moment.microsecond / 1e6
        return seconds, (1e-6 if "." in text else 1.0)
    date, clock = text.split()
    moment = datetime.strptime(f"{date} {clock}", "%y%m%d %H:%M:%S")
    return float(calendar.timegm(moment.timetuple())), 1.0


def _pad_fraction(iso: str) -> str:
    """Python < 3.11 accepts only 3 or 6 fraction digits."""
    match = re.search(r"\.(\d+)", iso)
    if not match or len(match.group(1)) in (3, 6):
        return iso
    digits = (match.group(1) + "000000")[:6]
    return iso[: match.start(1)] + digits + iso[match.end(1):]


@dataclass
class _Pending:
    line: int
    connection: int
    command: str
    at: float | None
    parts: list[str] = field(default_factory=list)
    size: int = 0
    cut: bool = False

    def add(self, text: str) -> None:
        if self.size + len(text) > MAX_STATEMENT_CHARS:
            self.cut = True
            return
        self.parts.append(text)
        self.size += len(text) + 1


class GeneralLogParser:
    """Feed it numbered lines; it yields one ``LogEntry`` per statement, in log order."""

    def __init__(self) -> None:
        self.notes: list[Note] = []
        self.flavor: str | None = None
        self.resolution = 1e-6
        self._databases: dict[int, str] = {}
        self._users: dict[int, str] = {}
        self._last_time: float | None = None
        self._stray = 0

    def parse(self, lines: Iterable[tuple[int, str]],
              ended_with_newline: Callable[[], bool] = lambda: True) -> Iterator[LogEntry]:
        """``ended_with_newline`` is asked after the last line: a log cut mid-line cut its last statement."""
        pending: _Pending | None = None
        for number, line in lines:
            if is_banner(line):  # the server (re)opened the log: whatever came before is complete
                self.flavor = self.flavor or flavor_of(line)
                if pending is not None:
                    yield from self._finish(pending)
                    pending = None
                continue
            header = general_header(line)
            if header is None:
                if pending is not None:
                    pending.add(line)  # a continuation line of a multi-line statement
                elif line.strip():
                    self._stray_line(number)
                continue
            if pending is not None:
                yield from self._finish(pending)
            if header.time:
                self._last_time, resolution = parse_log_time(header.time)
                self.resolution = max(self.resolution, resolution)
            pending = _Pending(number, header.connection, header.command, self._last_time)
            pending.add(header.argument)
        if pending is not None:
            if not ended_with_newline():
                pending.cut = True
            yield from self._finish(pending, last=True)
        if self._stray:
            self.notes.append(Note(f"{self._stray} line(s) outside any entry were skipped"))

    def _stray_line(self, number: int) -> None:
        self._stray += 1
        if self._stray == 1:
            self.notes.append(Note("line is not a general-log entry and follows none: skipped", number))

    def _finish(self, pending: _Pending, last: bool = False) -> Iterator[LogEntry]:
        text = "\n".join(pending.parts).strip()
        command = pending.command
        if command == "Connect":
            match = _CONNECT_DB.match(text)
            if match:
                self._users[pending.connection] = match.group("user")
                if match.group("db"):
                    self._databases[pending.connection] = match.group("db")
            return
        if command == "Init DB":
            self._databases[pending.connection] = text
            return
        if command == "Quit":
            self._databases.pop(pending.connection, None)
            self._users.pop(pending.connection, None)
            return
        if command not in STATEMENT_COMMANDS or not text:
            return
        if pending.cut:
            where = "the log ends" if last else "it is longer than the statement limit"
            self.notes.append(Note(f"statement cut short ({where}): grouped by what was logged", pending.line))
        # A client with multi-statements on sends "a; b" as one Query: one entry per statement.
        texts = [st.text for st in split_statements(text)] if ";" in text else [text]
        for index, sql in enumerate(texts):
            yield LogEntry(sql=sql, line=pending.line, connection=pending.connection, at=pending.at,
                           database=self._databases.get(pending.connection),
                           user=self._users.get(pending.connection),
                           truncated=pending.cut and index == len(texts) - 1)
