"""One guarded connection to the staging server (``pool.Pool`` holds several, for ``--db-jobs N``).

Every statement goes through ``safety.guard`` before it is sent. The session is made read-only
(``SET SESSION TRANSACTION READ ONLY``) and given a per-statement time limit (``max_statement_time`` on
MariaDB, ``max_execution_time`` on MySQL); the client's read timeout is a backstop for statements the
server limit does not cover. A lost connection is reopened and the statement retried once. Every error
message passes through ``Dsn.redact`` so the password cannot leak through a driver or server message.

``query_many`` sends up to ``settings.batch`` EXPLAINs in one round trip (a multi-statement packet, each
statement guarded on its own): the driver's and the kernel's cost per round trip, most of a local
EXPLAIN's client time and all of a remote one's latency, is then shared. Only ``safety.batchable`` texts
go in a packet, so the server splits it exactly where sqllint did; any text with a semicolon is sent on
a second connection that takes one statement per packet.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pymysql
from pymysql.constants import CLIENT

from sqllint.explain.dsn import Dsn
from sqllint.explain.safety import UnsafeStatement, batchable, guard, statement_kind
from sqllint.explain.settings import ExplainSettings

LOST_CONNECTION = frozenset({2006, 2013, 2055})  # server gone away, lost during query, lost (SSL)
TIME_LIMIT = frozenset({1969, 3024, 1317})  # MariaDB max_statement_time, MySQL max_execution_time, killed
UNKNOWN_VARIABLE = 1193
PARSE_ERROR = 1064
Rows = tuple[list[str], list[tuple[Any, ...]]]  # column names, rows
_PACKED = frozenset({"explain", "session", "information_schema"})  # what may share a packet: nothing that runs


class DatabaseUnavailable(RuntimeError):
    """The server could not be reached or refused the login; the message is already redacted."""


class ExplainError(RuntimeError):
    """A statement failed on the server (schema drift, syntax); carries the server's code and message."""

    def __init__(self, code: int | None, message: str, time_limit: bool = False, refused: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.time_limit = time_limit
        self.refused = refused  # never sent: sqllint's own guard refused it


@dataclass(frozen=True)
class Server:
    flavor: str  # "mariadb" or "mysql"
    version: str

    @property
    def major_minor(self) -> tuple[int, int]:
        parts = [int(p) for p in self.version.split("-")[0].split(".")[:2] if p.isdigit()]
        return (parts + [0, 0])[0], (parts + [0, 0])[1]


class _Connection(pymysql.connections.Connection):
    """pymysql's connection, sharing one TLS context for its default "preferred" mode (encrypt if the
    server offers it, verify nothing)."""

    def _create_ssl_ctx(self, sslp: Any) -> Any:
        if sslp == {}:
            return _preferred_context()
        return super()._create_ssl_ctx(sslp)


@functools.lru_cache(maxsize=1)
def _preferred_context() -> Any:
    """What pymysql builds for ``ssl={}`` (no CA: CERT_NONE, no hostname check), without loading the
    system CA bundle it would never consult: that load was ~20 ms of every run's first connection."""
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class Session:
    """A connection that only sends allowed statements. Not shared between threads."""

    def __init__(self, dsn: Dsn, settings: ExplainSettings, analyze: bool = False) -> None:
        self.dsn = dsn
        self.settings = settings
        self.analyze = analyze
        self.server: Server | None = None
        self.reconnects = 0
        self._conn: pymysql.connections.Connection | None = None
        self._cursor: pymysql.cursors.Cursor | None = None  # one per connection, reused by every query
        # Multi-statement packets for query_many; a text with a semicolon then goes to ``_single``.
        self.multi = settings.batch > 1
        self.packets_refused = False  # a packet failed where its statements alone did not: sent singly since
        self._single: Session | None = None

    # --- connecting ---------------------------------------------------------------------------------
    def open(self) -> Session:
        try:
            self._conn = _Connection(
                host=self.dsn.host, port=self.dsn.port, user=self.dsn.user, password=self.dsn.password,
                database=self.dsn.database, connect_timeout=max(1, int(self.settings.connect_timeout + 0.999)),
                # The handshake is bounded by the connect timeout too (a host that accepts the TCP
                # connection but never greets must not hang the run); statements get their own below.
                read_timeout=max(1, int(self.settings.connect_timeout + 0.999)), write_timeout=30,
                charset="utf8mb4", autocommit=True, ssl=self._ssl(), local_infile=False,
                # pymysql adds no MULTI_STATEMENTS: without it, one statement per call.
                client_flag=CLIENT.MULTI_STATEMENTS if self.multi else 0,
            )
        except pymysql.MySQLError as error:
            raise DatabaseUnavailable(self._message(error)) from None
        except Exception as error:  # noqa: BLE001 - OSError, ssl errors, a malformed greeting …: all redacted
            raise DatabaseUnavailable(self.dsn.redact(f"{type(error).__name__}: {error}")) from None
        # pymysql applies _read_timeout before each read: the backstop for statements the server's own
        # time limit does not stop.
        self._conn._read_timeout = int(self.settings.statement_timeout * 2 + 5)  # noqa: SLF001
        try:
            self._prepare()
        except ExplainError as error:
            self.close()
            raise DatabaseUnavailable(f"session setup failed: {error.message}") from None
        return self

    def _ssl(self) -> dict[str, Any] | None:
        tls = self.dsn.tls
        if not tls.enabled:
            return None
        options: dict[str, Any] = {"check_hostname": tls.verify}
        if tls.ca:
            options["ca"] = tls.ca
        if tls.cert:
            options["cert"] = tls.cert
        if tls.key:
            options["key"] = tls.key
        if not tls.verify:
            options["verify_mode"] = 0  # ssl.CERT_NONE: encrypted but unauthenticated, as asked
        return options

    def _prepare(self) -> None:
        assert self._conn is not None
        # A greeting naming MariaDB settles it (MariaDB's old-client prefix "5.5.5-" aside): the read-only
        # and time-limit SETs go in one packet. Any other greeting may be a proxy's own (ProxySQL answers
        # with its configured version): the server is asked, in the packet that makes the session read-only.
        greeting = str(self._conn.server_version or "")
        greeting = greeting[len("5.5.5-"):] if greeting.startswith("5.5.5-") else greeting
        if "mariadb" in greeting.lower():
            self.server = Server("mariadb", greeting)
            self._settle(self.query_many(["SET SESSION TRANSACTION READ ONLY", self._time_limit()]))
            return
        answers = self.query_many(["SHOW VARIABLES WHERE Variable_name IN ('version', 'version_comment')",
                                   "SET SESSION TRANSACTION READ ONLY"])
        self._settle(answers)
        values = {str(name): str(value) for name, value in answers[0][1]}  # type: ignore[index]
        version = values.get("version", greeting)
        mariadb = "mariadb" in (version + values.get("version_comment", "")).lower()
        self.server = Server("mariadb" if mariadb else "mysql", version)
        self._settle(self.query_many([self._time_limit()]))

    def _time_limit(self) -> str:
        assert self.server is not None
        if self.server.flavor == "mariadb":
            return f"SET SESSION max_statement_time = {self.settings.statement_timeout:.3f}"
        return f"SET SESSION max_execution_time = {max(1, int(self.settings.statement_timeout * 1000))}"

    @staticmethod
    def _settle(answers: Sequence[Rows | ExplainError | UnsafeStatement]) -> None:
        """Raise the first failure of the session's set-up, but an unknown time-limit variable: servers
        before MySQL 5.7.8 / MariaDB 10.1 have none, and the client's read timeout (set when connecting)
        still ends a statement that runs too long."""
        for answer in answers:
            if isinstance(answer, ExplainError) and answer.code == UNKNOWN_VARIABLE:
                continue
            if isinstance(answer, Exception):
                raise answer

    def close(self) -> None:
        if self._single is not None:
            self._single.close()
            self._single = None
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001 - closing a broken connection must not mask the real error
                pass
            self._conn = None
            self._cursor = None

    def __enter__(self) -> Session:
        return self.open() if self._conn is None else self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- sending ------------------------------------------------------------------------------------
    def query(self, sql: str, args: Sequence[Any] | None = None) -> Rows:
        """(column names, rows) of one allowed statement; reconnects and retries once if the link drops."""
        guard(sql, self.analyze)
        if self.multi and (";" in sql or args is not None):
            return self._one_per_packet().query(sql, args)
        answers: list[Rows | ExplainError | UnsafeStatement | None] = [None]
        self._send_packet([sql], [0], answers, args)
        answer = answers[0]
        if isinstance(answer, Exception):
            raise answer
        assert answer is not None
        return answer

    def _one_per_packet(self) -> Session:
        """A second connection without multi-statement packets, opened when first needed: a semicolon
        inside a literal is harmless there, whatever the server's lexer makes of the text."""
        if self._single is None:
            self._single = Session(self.dsn, dataclasses.replace(self.settings, batch=1), self.analyze)
        return self._single

    def query_many(self, statements: Sequence[str]) -> list[Rows | ExplainError | UnsafeStatement]:
        """Each statement's (column names, rows), or the error it ended with, in order. Every statement is
        guarded on its own; ``safety.batchable`` ones are sent ``settings.batch`` to a round trip (all but
        ``--analyze``'s, which run the statement), the rest one by one. A statement the server fails
        (schema drift, time limit) fails alone: the server stops at it, and the ones after it are sent
        again."""
        answers: list[Rows | ExplainError | UnsafeStatement | None] = [None] * len(statements)
        packet: list[int] = []
        for index, sql in enumerate(statements):
            kind = statement_kind(sql, self.analyze)
            if kind in _PACKED and self.multi and batchable(sql):
                packet.append(index)
                if len(packet) == self.settings.batch:
                    self._send_packet(statements, packet, answers)
                    packet = []
                continue
            try:
                answers[index] = self.query(sql)
            except (ExplainError, UnsafeStatement) as error:
                answers[index] = error
        if packet:
            self._send_packet(statements, packet, answers)
        return answers  # type: ignore[return-value]  # every slot is filled

    def _send_packet(self, statements: Sequence[str], indexes: list[int],
                     answers: list[Rows | ExplainError | UnsafeStatement | None],
                     args: Sequence[Any] | None = None) -> None:
        """Send ``statements[i]`` for ``i`` in ``indexes`` (guarded by the caller) in one packet, and put each
        one's rows or error in ``answers[i]``. A lost link is reopened and what was not answered sent
        again, once; a driver failure outside its own errors leaves the link in an unknown state, so it
        is closed (and its message redacted too). ``args``: pymysql's parameters, for one statement."""
        pending, retried = indexes, False
        while pending:
            if self._conn is None:
                try:
                    self.open()
                except DatabaseUnavailable as error:
                    for index in pending:
                        answers[index] = ExplainError(None, f"lost the connection and could not reconnect: {error}")
                    return
            assert self._conn is not None
            done = 0
            try:
                cursor = self._cursor
                if cursor is None or cursor.connection is not self._conn:
                    cursor = self._cursor = self._conn.cursor()
                if len(pending) > 1:
                    cursor.execute(";".join(statements[i] for i in pending))
                else:
                    cursor.execute(statements[pending[0]], args)
                while True:
                    answers[pending[done]] = ([d[0] for d in cursor.description or ()], list(cursor.fetchall()))
                    done += 1
                    if not cursor.nextset():
                        break
                    if done == len(pending):  # more results than statements: impossible for batchable texts;
                        self.close()  # the link's state is unknown
                        break
            except Exception as error:  # noqa: BLE001 - every failure is some statement's answer
                if done == len(pending):  # after the last answer (reading the packet's end): nothing lost
                    self.close()
                    return
                after = self._failed(error, statements, pending, done, answers, retried)
                if after == "resend":
                    retried, pending = True, pending[done:]
                    continue
                if after == "all answered":
                    return
                done += 1
            pending = pending[done:]

    def _failed(self, error: Exception, statements: Sequence[str], pending: list[int], done: int,
                answers: list[Rows | ExplainError | UnsafeStatement | None], retried: bool) -> str:
        """Record what ``error`` means for ``statements[pending[done]]``. Returns what is left: "resend"
        (the link dropped: the unanswered statements go again), "all answered" (the packet's statements
        were answered one by one), or "next" (this one failed; the ones after it are still to send)."""
        if isinstance(error, pymysql.err.OperationalError):
            code = error.args[0] if error.args else None
            timed_out = "timed out" in str(error)
            if code in LOST_CONNECTION:
                self.close()
                if not timed_out and not retried:
                    self.reconnects += 1
                    return "resend"
            answers[pending[done]] = ExplainError(code, self._message(error), code in TIME_LIMIT or timed_out)
        elif isinstance(error, pymysql.MySQLError):
            code = error.args[0] if error.args and isinstance(error.args[0], int) else None
            if code == PARSE_ERROR and done == 0 and len(pending) > 1:
                # The first statement does not parse here, or something between sqllint and the server
                # (a proxy) does not split packets: the statement on its own tells which.
                try:
                    answers[pending[0]] = self.query(statements[pending[0]])
                except ExplainError as alone:
                    answers[pending[0]] = alone
                else:
                    self.multi, self.packets_refused = False, True
                    for index in pending[1:]:
                        try:
                            answers[index] = self.query(statements[index])
                        except (ExplainError, UnsafeStatement) as failed:
                            answers[index] = failed
                    return "all answered"
            else:
                answers[pending[done]] = ExplainError(code, self._message(error), code in TIME_LIMIT)
        else:  # a broken packet, a decode error: the link is in an unknown state
            self.close()
            answers[pending[done]] = ExplainError(None, self.dsn.redact(f"{type(error).__name__}: {error}"))
        return "next"

    def _message(self, error: BaseException) -> str:
        args = getattr(error, "args", ())
        text = args[1] if len(args) >= 2 else str(error)
        return self.dsn.redact(str(text))
