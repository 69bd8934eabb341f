"""``performance_schema.events_statements_summary_by_digest`` on the staging server, as log entries.

Each digest row becomes one entry standing for ``COUNT_STAR`` statements with their summed time (timer
values are picoseconds). The digest text is the server's own normalisation (``?`` for values, ``(...)``
for value lists, back-quoted names); it is brought back to SQL the project's fingerprint reads the same
way as the code's. A digest keeps no per-connection order: when the ``events_statements_history_long``
consumer is on, its statements (the last ten thousand, by default) give the runtime N+1 and mergeable
rules their per-connection order; otherwise the trace says those checks need a log.

Only fixed statements of this module are sent — ``SHOW VARIABLES``, ``SET SESSION`` and SELECTs on
``performance_schema`` — on a read-only session with a statement time limit; errors are redacted.
"""

from __future__ import annotations

import re
import struct
from typing import Any

from sqllint.explain.dsn import Dsn
from sqllint.explain.settings import ExplainSettings
from sqllint.trace.model import LogEntry, Note, Source, TraceSourceError

PICO = 1e12
DIGEST_SQL = (
    "SELECT DIGEST, DIGEST_TEXT, COUNT_STAR, SUM_TIMER_WAIT, MAX_TIMER_WAIT, SUM_ROWS_EXAMINED, SUM_ROWS_SENT "
    "FROM performance_schema.events_statements_summary_by_digest "
    "WHERE SCHEMA_NAME = %s AND DIGEST_TEXT IS NOT NULL ORDER BY SUM_TIMER_WAIT DESC LIMIT %s")
CONSUMER_SQL = "SELECT NAME, ENABLED FROM performance_schema.setup_consumers WHERE NAME IN " \
    "('statements_digest', 'events_statements_current', 'events_statements_history_long')"
OWN_THREAD_SQL = "SELECT THREAD_ID FROM performance_schema.threads WHERE PROCESSLIST_ID = CONNECTION_ID()"
HISTORY_SQL = (
    "SELECT THREAD_ID, EVENT_ID, TIMER_START, TIMER_WAIT, SQL_TEXT, ROWS_EXAMINED, ROWS_SENT "
    "FROM performance_schema.events_statements_history_long "
    "WHERE CURRENT_SCHEMA = %s AND SQL_TEXT IS NOT NULL AND THREAD_ID <> %s ORDER BY THREAD_ID, EVENT_ID")
DIGEST_ROWS = 5000
_VALUE_LIST = re.compile(r"\(\s*\.\.\.\s*\)")  # IN (...), VALUES (...)
_ROWS_COMMENT = re.compile(r"/\*\s*,\s*\.\.\.\s*\*/")  # VALUES (...) /* , ... */


def digest_sql(text: str) -> tuple[str, bool]:
    """(SQL the fingerprint reads like the code's, whether the server cut the digest text short)."""
    sql = _ROWS_COMMENT.sub(" ", text)
    sql = _VALUE_LIST.sub("(?)", sql).strip()
    truncated = sql.endswith("...")
    if truncated:
        sql = sql[:-3].rstrip()
    return sql, truncated


def _connect(dsn: Dsn, settings: ExplainSettings) -> Any:
    import pymysql  # only this source needs the driver

    tls = dsn.tls
    ssl: dict[str, Any] | None = None
    if tls.enabled:
        ssl = {"check_hostname": tls.verify, **{k: v for k, v in (("ca", tls.ca), ("cert", tls.cert),
                                                                   ("key", tls.key)) if v}}
        if not tls.verify:
            ssl["verify_mode"] = 0
    try:
        return pymysql.connect(host=dsn.host, port=dsn.port, user=dsn.user, password=dsn.password,
                               database=dsn.database, connect_timeout=max(1, int(settings.connect_timeout + 0.999)),
                               read_timeout=int(settings.statement_timeout * 2 + 5), charset="utf8mb4",
                               autocommit=True, ssl=ssl, local_infile=False)
    except pymysql.MySQLError as error:
        message = error.args[1] if len(error.args) >= 2 else str(error)
        raise TraceSourceError(f"cannot read performance_schema: database {dsn.masked()} is unreachable "
                               f"({dsn.redact(str(message))})") from None
    except Exception as error:  # any driver failure (OSError, a struct.error on a cut greeting, …), redacted
        raise TraceSourceError(f"cannot read performance_schema from {dsn.masked()}: "
                               f"{dsn.redact(str(error)) or type(error).__name__}") from None


def read_performance_schema(dsn: Dsn, settings: ExplainSettings,
                            source: Source) -> tuple[list[LogEntry], list[LogEntry] | None]:
    """(digest rows of the DSN's schema, most total time first; the statement history in per-connection
    order when the ``events_statements_history_long`` consumer is on, else None). ``TraceSourceError``
    when the server cannot give them (unreachable, performance_schema disabled, digests not collected)."""
    import pymysql

    conn = _connect(dsn, settings)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SHOW VARIABLES WHERE Variable_name IN ('performance_schema', 'version', "
                           "'version_comment')")
            values = {str(name): str(value) for name, value in cursor.fetchall()}
            source.flavor = "MariaDB" if "mariadb" in " ".join(values.values()).lower() else "MySQL"
            if values.get("performance_schema", "OFF").upper() not in ("ON", "1"):
                raise TraceSourceError(
                    f"performance_schema is disabled on {dsn.masked()} ({source.flavor} "
                    f"{values.get('version', '')}): start the server with performance_schema=ON (it cannot be "
                    "switched on while the server runs), or trace a general or slow query log file instead")
            cursor.execute("SET SESSION TRANSACTION READ ONLY")
            if source.flavor == "MariaDB":
                cursor.execute(f"SET SESSION max_statement_time = {settings.statement_timeout:.3f}")
            else:
                cursor.execute(f"SET SESSION max_execution_time = {int(settings.statement_timeout * 1000)}")
            cursor.execute(CONSUMER_SQL)
            consumers = {str(name): str(on).upper() == "YES" for name, on in cursor.fetchall()}
            if not consumers.get("statements_digest", True):
                raise TraceSourceError(
                    f"performance_schema on {dsn.masked()} does not collect statement digests: enable the "
                    "statements_digest consumer (UPDATE performance_schema.setup_consumers SET ENABLED = 'YES' "
                    "WHERE NAME = 'statements_digest'), or trace a log file instead")
            cursor.execute(DIGEST_SQL, (dsn.database, DIGEST_ROWS))
            rows = list(cursor.fetchall())
            history_rows = None
            # history_long only fills while events_statements_current is on too (the consumer hierarchy)
            if consumers.get("events_statements_history_long") and consumers.get("events_statements_current"):
                cursor.execute(OWN_THREAD_SQL)
                own = cursor.fetchone()
                cursor.execute(HISTORY_SQL, (dsn.database, int(own[0]) if own else -1))
                history_rows = list(cursor.fetchall())
                cursor.execute("SHOW VARIABLES LIKE 'performance_schema_events_statements_history_long_size'")
                size = cursor.fetchone()
                if size and history_rows and int(size[1]) > 0 and len(history_rows) >= int(size[1]) * 0.9:
                    source.notes.append(Note(f"the statement history holds only the server's last {size[1]} "
                                             "statements: earlier loops are not seen (raise "
                                             "performance_schema_events_statements_history_long_size)"))
    except pymysql.MySQLError as error:
        message = error.args[1] if len(error.args) >= 2 else str(error)
        raise TraceSourceError(f"cannot read performance_schema on {dsn.masked()}: "
                               f"{dsn.redact(str(message))}") from None
    except (OSError, ValueError, struct.error) as error:  # a connection cut mid-read; never a traceback
        raise TraceSourceError(f"cannot read performance_schema on {dsn.masked()}: "
                               f"{dsn.redact(str(error)) or type(error).__name__}") from None
    finally:
        conn.close()
    if history_rows is None:
        source.notes.append(Note("performance_schema keeps no per-connection order of statements here: for the "
                                 "runtime N+1 (T001) and mergeable (T002) checks, enable the "
                                 "events_statements_current and events_statements_history_long consumers, or "
                                 "trace a general or slow log"))
    if not rows:
        source.notes.append(Note(f"performance_schema has no statements for schema {dsn.database!r} (digests are "
                                 "reset on restart and by TRUNCATE of the summary table)"))
    if len(rows) == DIGEST_ROWS:
        source.notes.append(Note(f"only the {DIGEST_ROWS} digests with the most total time were read"))
    digests = []
    for number, (_digest, text, count, total, worst, examined, sent) in enumerate(rows, start=1):
        sql, truncated = digest_sql(str(text))
        if _ours(sql):
            continue
        digests.append(LogEntry(sql=sql, line=number, duration=int(total or 0) / PICO,
                                rows_examined=int(examined or 0), rows_sent=int(sent or 0), truncated=truncated,
                                count=int(count or 0), max_duration=int(worst or 0) / PICO, database=dsn.database))
    if history_rows is None:
        return digests, None
    history = [LogEntry(sql=str(text), line=int(event), connection=int(thread), at=int(start or 0) / PICO,
                        duration=int(wait or 0) / PICO, rows_examined=int(examined or 0), rows_sent=int(sent or 0),
                        database=dsn.database)
               for thread, event, start, wait, text, examined, sent in history_rows if not _ours(str(text))]
    return digests, history


def _ours(sql: str) -> bool:
    """sqllint's own statements run in this schema too: session set-up, EXPLAINs, and its reads of
    performance_schema and information_schema (which an application's requests do not make)."""
    lowered = sql.lower()
    return lowered.lstrip().startswith(("explain ", "show ", "set ", "analyze ")) or \
        "performance_schema" in lowered or "information_schema" in lowered
