"""Open a query log, read it as numbered text lines and tell which kind of log it is.

Lines are decoded one at a time (invalid UTF-8 is replaced and noted, never fatal) so a log of any size
is streamed. ``.gz`` logs (rotated by logrotate) are read through gzip. The kind is decided from the
first lines that are not the server's start-up banner: the slow log's ``# Time:`` / ``# User@Host:`` /
``# Query_time:`` headers, or the general log's ``<time> <tab> <id> <Command> <tab> <argument>``.
"""

from __future__ import annotations

import gzip
import io
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqllint.trace.model import Note, Source, TraceSourceError

SNIFF_LINES = 200
MAX_STATEMENT_CHARS = 1 << 20  # longer statements (bulk inserts) are cut and marked truncated
MAX_LINE_BYTES = 1 << 20

# The banner a server writes when it opens a log file (start-up, FLUSH LOGS, re-enabling the log).
BANNER_VERSION = re.compile(r"^\S.*, Version: (?P<version>\S+).*\bstarted with:\s*$")
BANNER_PORT = re.compile(r"^Tcp port: \d+\s+Unix socket: ")
BANNER_COLUMNS = re.compile(r"^Time\s+Id\s+Command\s+Argument\s*$")

SLOW_HEADER = re.compile(r"^# (?:Time|User@Host|Query_time|Thread_id): ")
# Commands the general log names (server_command names of MySQL 5.7/8.0 and MariaDB 10.x).
GENERAL_COMMANDS = frozenset({
    "Sleep", "Quit", "Init DB", "Query", "Field List", "Create DB", "Drop DB", "Refresh", "Shutdown",
    "Statistics", "Processlist", "Connect", "Kill", "Debug", "Ping", "Time", "Delayed insert", "Change user",
    "Binlog Dump", "Table Dump", "Connect Out", "Register Slave", "Prepare", "Execute", "Long Data",
    "Close stmt", "Reset stmt", "Set option", "Fetch", "Daemon", "Binlog Dump GTID", "Reset Connection",
    "Error", "Clone", "Group Replication Data Stream", "Bulk_execute", "Slave_worker", "Slave_IO",
    "Slave_SQL", "Com_multi", "Unknown",
})
# ``[time] TAB [spaces] id SPACE Command TAB argument``. MySQL 8 writes an ISO time on every line,
# MySQL 5.6 and MariaDB a ``YYMMDD HH:MM:SS`` time only when the second changes (else two tabs). Logs
# pasted through a terminal or a web page have their tabs expanded to spaces: that is accepted too.
_GENERAL_PREFIX = re.compile(
    r"^(?P<time>\d{6}\s+\d{1,2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"\s+(?P<id>\d+)\s(?P<rest>.*)$")
_COMMANDS_LONGEST_FIRST = sorted(GENERAL_COMMANDS, key=len, reverse=True)


@dataclass(frozen=True)
class GeneralHeader:
    time: str | None
    connection: int
    command: str
    argument: str


def general_header(line: str) -> GeneralHeader | None:
    """The header of a general-log entry, or None for any other line (a statement's continuation)."""
    match = _GENERAL_PREFIX.match(line)
    if match is None or (match.group("time") is None and not line[:1].isspace()):
        return None
    rest = match.group("rest")
    command, tab, argument = rest.partition("\t")
    if tab and command in GENERAL_COMMANDS:  # the usual layout: one lookup
        return GeneralHeader(match.group("time"), int(match.group("id")), command, argument)
    for command in _COMMANDS_LONGEST_FIRST:  # tabs expanded to spaces: the longest command that fits
        if rest.startswith(command) and (len(rest) == len(command) or rest[len(command)] in " \t"):
            return GeneralHeader(match.group("time"), int(match.group("id")), command,
                                 rest[len(command):].lstrip(" \t"))
    return None


def is_banner(line: str) -> bool:
    if ", Version: " in line:
        return bool(BANNER_VERSION.match(line))
    return line.startswith(("Tcp port: ", "Time")) and bool(BANNER_PORT.match(line) or BANNER_COLUMNS.match(line))


def flavor_of(banner_line: str) -> str | None:
    match = BANNER_VERSION.match(banner_line)
    if not match:
        return None
    return "MariaDB" if "mariadb" in banner_line.lower() else "MySQL"


class _Prefixed(io.RawIOBase):
    """A stream read from the start again: the bytes already looked at, then the rest (standard input)."""

    def __init__(self, prefix: bytes, rest: BinaryIO) -> None:
        self.prefix, self.rest = prefix, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.prefix:
            size = min(len(buffer), len(self.prefix))
            buffer[:size], self.prefix = self.prefix[:size], self.prefix[size:]
            return size
        data = self.rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class LogReader:
    """Numbered, decoded lines of a log file (or of a stream, e.g. standard input), with notes about what
    could not be decoded."""

    def __init__(self, path: Path, stream: BinaryIO | None = None) -> None:
        self.path = path
        self.stream = stream
        self._head: bytes | None = None
        self.notes: list[Note] = []
        self.bad_lines = 0
        self.long_lines = 0
        self.lines = 0
        self.ended_with_newline = True

    def _open(self) -> BinaryIO:
        if self.stream is not None:  # read once: the head that was looked at is replayed first
            return io.BufferedReader(_Prefixed(self.head(), self.stream))  # type: ignore[return-value]
        handle = open(self.path, "rb")  # noqa: SIM115 - closed by the iterator below
        magic = handle.read(2)
        handle.seek(0)
        if magic == b"\x1f\x8b":
            handle.close()
            return gzip.open(self.path, "rb")  # type: ignore[return-value]
        return handle

    def head(self) -> bytes:
        if self.stream is not None:
            if self._head is None:
                self._head = self.stream.read(8192)
                if self._head[:2] == b"\x1f\x8b":
                    raise TraceSourceError("standard input is gzip-compressed: pipe it through zcat (or give the "
                                           ".gz file's path)")
            return self._head
        with self._open() as handle:
            try:
                return handle.read(8192)
            except (OSError, EOFError) as error:
                raise TraceSourceError(f"{self.path}: cannot read it ({error})") from None

    def _lines(self, handle: BinaryIO) -> Iterator[bytes]:
        """Raw lines, none longer than ``MAX_LINE_BYTES``: the rest of an overlong line (a bulk INSERT
        of megabytes) is skipped, so memory stays bounded whatever the file holds."""
        while True:
            raw = handle.readline(MAX_LINE_BYTES)
            if not raw:
                return
            if len(raw) == MAX_LINE_BYTES and not raw.endswith(b"\n"):
                rest = raw
                while rest and not rest.endswith(b"\n"):
                    rest = handle.readline(MAX_LINE_BYTES)
                self.long_lines += 1
                if self.long_lines == 1:
                    self.notes.append(Note(f"a line longer than {MAX_LINE_BYTES >> 20} MiB was cut (its statement "
                                           "is grouped by its beginning)", self.lines + 1))
                raw = raw + (b"\n" if rest else b"")
            yield raw

    def __iter__(self) -> Iterator[tuple[int, str]]:
        with self._open() as handle:
            number = 0
            try:
                for raw in self._lines(handle):
                    number += 1
                    self.ended_with_newline = raw.endswith(b"\n")
                    try:
                        text = raw.decode("utf-8")
                    except UnicodeDecodeError:
                        text = raw.decode("utf-8", errors="replace")
                        self.bad_lines += 1
                        if self.bad_lines == 1:
                            self.notes.append(Note("invalid UTF-8 (decoded with replacement characters)", number))
                    self.lines = number
                    yield number, text.rstrip("\r\n")
            except (OSError, EOFError) as error:  # a truncated .gz, a read error mid-file
                self.notes.append(Note(f"reading stopped early: {error}", number + 1))
        if self.bad_lines > 1:
            self.notes.append(Note(f"{self.bad_lines} lines had invalid UTF-8"))


def sniff(reader: LogReader) -> tuple[str, Iterator[tuple[int, str]], str | None]:
    """(kind, every line including the ones looked at, flavor) — ``general`` or ``slow``.

    Raises ``TraceSourceError`` naming the expected formats when the file is neither."""
    head = reader.head()
    if b"\x00" in head and not _has_log_lines(head):  # a statement may carry raw bytes; a log still has headers
        raise TraceSourceError(f"{reader.path} is a binary file, not a MySQL/MariaDB query log "
                               "(a binary log? read it with mysqlbinlog first; expected a general or slow log)")
    lines = iter(reader)
    seen: list[tuple[int, str]] = []
    kind: str | None = None
    flavor: str | None = None
    first_other: str | None = None
    for number, line in lines:
        seen.append((number, line))
        if is_banner(line):
            flavor = flavor or flavor_of(line)
            continue
        if not line.strip():
            continue
        if SLOW_HEADER.match(line):
            kind = "slow"
            break
        if general_header(line):
            kind = "general"
            break
        first_other = first_other or line
        if len(seen) >= SNIFF_LINES:
            break
    if kind is None and first_other is None:
        kind = "general"  # only a banner (or nothing): a log with no statements yet
    if kind is None:
        shown = first_other if len(first_other or "") <= 80 else (first_other or "")[:77] + "..."
        raise TraceSourceError(
            f"{reader.path} is not a MySQL/MariaDB general or slow query log: expected general-log lines like "
            "'2024-05-01T10:00:00.123456Z\\t   8 Query\\tSELECT ...' (MySQL 8) or "
            "'240501 10:00:00\\t   8 Query\\tSELECT ...' (MariaDB, MySQL 5.x), or slow-log entries starting "
            f"with '# Time:', '# User@Host:' or '# Query_time:'; the first line that is neither is {shown!r}")
    return kind, itertools.chain(seen, lines), flavor


def _has_log_lines(head: bytes) -> bool:
    lines = head.decode("utf-8", errors="replace").splitlines()
    return any(SLOW_HEADER.match(line) or general_header(line) for line in lines)


def new_source(kind: str, path: Path, flavor: str | None) -> Source:
    return Source(kind=kind, name=str(path), flavor=flavor, has_durations=(kind == "slow"))
