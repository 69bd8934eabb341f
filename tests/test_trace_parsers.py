"""General and slow log parsers: the recorded shop logs (MariaDB 10.11), MySQL 5.7/8.0 format samples,
and bad input (truncated, multi-line, unknown format, binary, invalid UTF-8, tab-expanded, gzip)."""

from __future__ import annotations

import gzip
import re
from collections import Counter
from pathlib import Path

import pytest

from sqllint.trace.general import GeneralLogParser, parse_log_time
from sqllint.trace.logfile import LogReader, sniff
from sqllint.trace.model import LogEntry, TraceSourceError
from sqllint.trace.runner import open_log
from sqllint.trace.slow import SlowLogParser

ROOT = Path(__file__).resolve().parent.parent
SHOP_LOGS = ROOT / "fixtures" / "shop" / "logs"
SAMPLES = Path(__file__).resolve().parent / "data" / "logs"


def read(path: Path) -> tuple[str, list[LogEntry], list[str]]:
    source, entries, _reader = open_log(path)
    found = list(entries)
    return source.kind, found, [n.message for n in source.notes]


# --- the recorded MariaDB logs ---------------------------------------------------------------------------

def test_recorded_general_log_has_every_query_with_its_connection() -> None:
    kind, entries, notes = read(SHOP_LOGS / "general.log")
    assert kind == "general" and notes == []
    text = (SHOP_LOGS / "general.log").read_text()
    headers = re.findall(r"^(?:\d{6}\s+\d{1,2}:\d\d:\d\d)?\t+\s*(\d+) Query\t", text, re.MULTILINE)
    assert len(entries) == len(headers)
    assert Counter(e.connection for e in entries) == Counter(int(h) for h in headers)
    find_user = [e for e in entries if "user42@example.com" in e.sql]
    assert find_user and find_user[0].sql == ("SELECT id, email, name, status\n    FROM users\n"
                                              "    WHERE email = 'user42@example.com'")
    app = [e for e in entries if e.user and e.user.startswith("shop@")]
    assert app and all(e.database == "shop" for e in app)
    times = [e.at for e in entries]
    assert None not in times and times == sorted(times)  # MariaDB writes the time when the second changes


def test_recorded_slow_log_has_durations_rows_and_the_same_statements_as_the_general_log() -> None:
    kind, slow, notes = read(SHOP_LOGS / "slow.log")
    assert kind == "slow" and notes == []
    text = (SHOP_LOGS / "slow.log").read_text()
    durations = [float(v) for v in re.findall(r"^# Query_time: (\S+)", text, re.MULTILINE)]
    examined = [int(v) for v in re.findall(r"Rows_examined: (\d+)", text)]
    assert [e.duration for e in slow] == durations
    assert [e.rows_examined for e in slow] == examined
    assert all(e.connection is not None and e.at is not None for e in slow)
    _, general, _ = read(SHOP_LOGS / "general.log")
    # Both logs saw the same run: every statement in the slow log was received in the general log.
    assert Counter(e.sql for e in slow) <= Counter(e.sql for e in general)
    incident = max(slow, key=lambda e: e.duration or 0)
    assert "JOIN (SELECT * FROM order_items) oi" in incident.sql and incident.rows_examined > 100_000


def test_recorded_logs_interleave_connections_and_the_parser_keeps_them_apart() -> None:
    _, entries, _ = read(SHOP_LOGS / "general.log")
    order = [e.connection for e in entries]
    switches = sum(1 for a, b, c in zip(order, order[1:], order[2:]) if a == c != b)
    assert switches > 0  # concurrent clients: A B A patterns exist in the recorded log
    n_plus_one = [e for e in entries if e.sql.startswith("SELECT product_name, quantity, price_cents FROM order_items")]
    assert len({e.connection for e in n_plus_one}) >= 2


# --- MySQL 5.7 / 8.0 formats -----------------------------------------------------------------------------

def test_mysql8_general_log_iso_times_prepared_statements_init_db_and_multiline() -> None:
    kind, entries, notes = read(SAMPLES / "mysql8_general.log")
    assert kind == "general" and notes == []
    sqls = [e.sql for e in entries]
    assert "SELECT id, email FROM users WHERE id = 7" in sqls  # Execute: the values in place
    assert not any("?" in sql for sql in sqls)  # Prepare is not a statement run
    update = next(e for e in entries if e.sql.startswith("UPDATE"))
    assert update.sql == "UPDATE orders\nSET status = 'shipped'\nWHERE id = 101"
    assert update.connection == 42 and update.database == "shop"  # from Init DB
    first = entries[0]
    assert first.connection == 41 and first.database == "shop" and first.user == "app@10.0.0.5"
    assert first.at == pytest.approx(parse_log_time("2024-05-01T10:00:00.100300Z")[0])
    assert entries[1].at - entries[0].at == pytest.approx(0.0002, abs=1e-6)


def test_mysql8_slow_log_with_log_slow_extra() -> None:
    kind, entries, notes = read(SAMPLES / "mysql8_slow.log")
    assert kind == "slow" and notes == []
    assert len(entries) == 3  # the trailing "# administrator command: Quit" is not a statement
    first = entries[0]
    assert first.sql.startswith("SELECT o.id, o.created_at, u.name\nFROM orders o") and first.sql.endswith("LIMIT 20")
    assert (first.connection, first.database, first.user) == (41, "shop", "app")
    assert first.duration == pytest.approx(1.150087) and first.rows_examined == 412345 and first.rows_sent == 20
    assert first.at == pytest.approx(parse_log_time("2024-05-01T10:00:00.100124Z")[0])  # Start:, not SET timestamp
    assert entries[2].at - entries[1].at == pytest.approx(0.000542, abs=1e-6)


def test_mysql57_slow_log_connection_id_from_user_host() -> None:
    kind, entries, _ = read(SAMPLES / "mysql57_slow.log")
    assert kind == "slow" and [e.connection for e in entries] == [9, 9]
    assert entries[0].sql == entries[1].sql and entries[0].sql.count("\n") == 2
    assert entries[0].at == pytest.approx(parse_log_time("2024-05-01T10:00:00.512000Z")[0])
    assert [e.database for e in entries] == ["shop", "shop"]


def test_log_times() -> None:
    assert parse_log_time("240501 10:00:00") == (parse_log_time("2024-05-01T10:00:00Z")[0], 1.0)
    assert parse_log_time("240501  9:00:00")[0] == parse_log_time("2024-05-01T09:00:00Z")[0]
    assert parse_log_time("2024-05-01T10:00:00.5+02:00")[0] == parse_log_time("2024-05-01T08:00:00.500000Z")[0]
    assert parse_log_time("2024-05-01T10:00:00.123Z")[1] == 1e-6


# --- bad input -------------------------------------------------------------------------------------------

def test_truncated_slow_log_keeps_the_cut_statement_and_says_so() -> None:
    _, entries, notes = read(SAMPLES / "truncated_slow.log")
    assert [e.truncated for e in entries] == [False, True]
    assert entries[1].sql.endswith("ORDER BY o.crea")
    assert any("cut short" in n for n in notes)


def test_truncated_general_log_marks_the_last_statement() -> None:
    _, entries, notes = read(SAMPLES / "truncated_general.log")
    assert [e.truncated for e in entries] == [False, True]
    assert any("cut short" in n for n in notes)


def test_multiline_general_log_statements_keep_comment_and_blank_lines() -> None:
    _, entries, notes = read(SAMPLES / "multiline_general.log")
    assert notes == []
    assert [e.connection for e in entries] == [12, 12, 13]
    assert entries[0].sql == "SELECT o.id,\n       o.status\n# the customer's open orders\n\nFROM orders o\nWHERE o.user_id = 7"
    assert entries[1].sql == "/* app:orders */ UPDATE orders\n   SET status = 'cancelled'\n WHERE id = 9"
    assert entries[0].at == entries[1].at and entries[2].at == entries[0].at + 1


@pytest.mark.parametrize("name", ["error_log.log"])
def test_unknown_format_is_a_clear_error(name: str) -> None:
    with pytest.raises(TraceSourceError) as caught:
        open_log(SAMPLES / name)
    message = str(caught.value)
    assert "not a MySQL/MariaDB general or slow query log" in message
    assert "# Query_time:" in message and "Query" in message and "[System]" in message


def test_binary_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "mysql-bin.000001"
    path.write_bytes(b"\xfebin\x00\x00\x01" + bytes(range(256)) * 4)
    with pytest.raises(TraceSourceError, match="binary file"):
        open_log(path)


def test_missing_and_directory_sources_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(TraceSourceError, match="does not exist"):
        open_log(tmp_path / "nope.log")
    with pytest.raises(TraceSourceError, match="is a directory"):
        open_log(tmp_path)


def test_invalid_utf8_is_replaced_and_noted() -> None:
    _, entries, notes = read(SAMPLES / "invalid_utf8_general.log")
    assert [e.sql for e in entries] == ["SELECT id FROM users WHERE name = 'Jos\ufffd'",
                                        "SELECT id FROM users WHERE name = 'Ann'"]
    assert any("invalid UTF-8" in n for n in notes)


def test_empty_and_banner_only_logs_have_no_statements(tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_text("")
    banner = tmp_path / "banner.log"
    banner.write_text("/usr/sbin/mariadbd, Version: 10.11.6-MariaDB-log (Debian 12). started with:\n"
                      "Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock\nTime\t\t    Id Command\tArgument\n")
    assert read(empty)[1] == [] and read(banner)[1] == []


def test_gzip_and_tab_expanded_copies_parse_like_the_original(tmp_path: Path) -> None:
    original = (SHOP_LOGS / "general.log").read_bytes()
    packed = tmp_path / "general.log.1.gz"
    packed.write_bytes(gzip.compress(original))
    expanded = tmp_path / "pasted.log"  # copied out of a terminal: tabs became spaces
    expanded.write_text("\n".join(line.expandtabs() for line in original.decode().splitlines()) + "\n")
    _, plain, _ = read(SHOP_LOGS / "general.log")
    _, unpacked, _ = read(packed)
    _, pasted, _ = read(expanded)
    assert unpacked == plain
    assert [(e.connection, " ".join(e.sql.split())) for e in pasted] == \
        [(e.connection, " ".join(e.sql.split())) for e in plain]


def test_a_server_restart_banner_mid_log_ends_the_statement_before_it() -> None:
    lines = ["# Time: 2024-05-01T10:00:00.100000Z", "# User@Host: a[a] @ h []  Id: 5",
             "# Query_time: 0.1  Lock_time: 0.0 Rows_sent: 0  Rows_examined: 0", "SET timestamp=1714557600;",
             "SELECT 1",  # no ";": the server died while writing it
             "/usr/sbin/mysqld, Version: 8.0.36 (MySQL Community Server - GPL). started with:",
             "Tcp port: 3306  Unix socket: /tmp/mysql.sock", "Time                 Id Command    Argument",
             "# Time: 2024-05-01T10:05:00.000000Z", "# User@Host: a[a] @ h []  Id: 8",
             "# Query_time: 0.2  Lock_time: 0.0 Rows_sent: 1  Rows_examined: 1", "SET timestamp=1714557900;",
             "SELECT 2;"]
    entries = list(SlowLogParser().parse(enumerate(lines, start=1)))
    assert [(e.sql, e.connection) for e in entries] == [("SELECT 1", 5), ("SELECT 2", 8)]


def test_parsers_stream_entries_before_the_input_ends() -> None:
    """Entries come out while lines are still being read: a huge log is never held in memory."""

    def endless():
        number = 0
        while True:
            number += 1
            yield number, f"2024-05-01T10:00:00.000001Z\t  {number % 7} Query\tSELECT {number}"

    parser = GeneralLogParser()
    stream = parser.parse(endless())
    first = [next(stream) for _ in range(1000)]
    assert [e.sql for e in first[:2]] == ["SELECT 1", "SELECT 2"]


def test_reader_counts_lines_and_sniffs_without_losing_them() -> None:
    reader = LogReader(SHOP_LOGS / "slow.log")
    kind, lines, flavor = sniff(reader)
    assert (kind, flavor) == ("slow", "MariaDB")
    assert sum(1 for _ in lines) == len((SHOP_LOGS / "slow.log").read_text().splitlines())


def test_multi_statement_queries_are_split_and_semicolons_in_strings_kept() -> None:
    lines = ["2024-05-01T10:00:00.000100Z\t    3 Query\tSELECT 1; UPDATE t SET note = 'a;b' WHERE id = 2;",
             "2024-05-01T10:00:00.000200Z\t    3 Query\tSELECT 'x;y'"]
    entries = list(GeneralLogParser().parse(enumerate(lines, start=1)))
    assert [(e.sql, e.line) for e in entries] == [("SELECT 1", 1), ("UPDATE t SET note = 'a;b' WHERE id = 2", 1),
                                                 ("SELECT 'x;y'", 2)]


def test_slow_log_without_connection_ids_is_read_and_the_trace_says_what_it_cannot_do(tmp_path: Path) -> None:
    from sqllint.registry import builtin_registry
    from sqllint.trace.runner import RuleSetup, trace

    path = tmp_path / "old-slow.log"  # MySQL 5.1 style: no Id on the User@Host line, no Thread_id
    path.write_text("".join(f"# Time: 100501 10:00:0{n}\n# User@Host: app[app] @ localhost []\n"
                            f"# Query_time: 0.5  Lock_time: 0  Rows_sent: 1  Rows_examined: 9\n"
                            f"SELECT sku FROM order_items WHERE order_id = {n};\n" for n in range(6)))
    registry = builtin_registry()
    setup = RuleSetup.build(registry, frozenset({"T001"}), {}, {"T001": registry["T001"].severity}, {})
    source, entries, _ = open_log(path)
    result = trace(source, entries, setup, 1000)
    assert result.statements == 6 and result.findings == []
    assert any("names no connection" in n.message for n in result.source.notes)


def test_mariadb_slow_log_with_explain_verbosity_keeps_plans_out_of_the_sql() -> None:
    _, entries, notes = read(SAMPLES / "mariadb_slow_explain.log")
    assert notes == []
    statements = [e.sql for e in entries if not e.sql.startswith("SET ")]
    assert statements[:2] == ["SELECT id, status FROM orders WHERE user_id = 7 ORDER BY id",
                              "SELECT status, COUNT(*) FROM orders\nGROUP BY status"]
    assert statements[2:] == [f"SELECT status FROM orders WHERE id = {n}" for n in range(1, 7)]
    assert all(e.database == "shop" for e in entries if e.sql in statements)
    assert [e.rows_examined for e in entries if e.sql == statements[1]] == [2006]


def test_connect_without_a_database_leaves_it_unset() -> None:
    lines = ["2024-05-01T10:00:00.000100Z\t    4 Connect\troot@localhost on  using Socket",
             "2024-05-01T10:00:00.000200Z\t    4 Query\tSELECT 1",
             "2024-05-01T10:00:00.000300Z\t    5 Connect\tapp@10.0.0.5 on shop using TCP/IP",
             "2024-05-01T10:00:00.000400Z\t    5 Query\tSELECT 2"]
    entries = list(GeneralLogParser().parse(enumerate(lines, start=1)))
    assert [(e.user, e.database) for e in entries] == [("root@localhost", None), ("app@10.0.0.5", "shop")]


def test_digest_text_reads_like_the_codes_statement() -> None:
    from sqllint.parse import fingerprint_sql
    from sqllint.trace.perfschema import _ours, digest_sql

    sql, cut = digest_sql("SELECT `a` , `b` FROM `t` WHERE ID IN (...) AND `b` LIKE ? LIMIT ? ")
    assert not cut and fingerprint_sql(sql) == fingerprint_sql("SELECT a, b FROM t WHERE id IN (?, ?) AND b LIKE ? LIMIT ?")
    sql, cut = digest_sql("INSERT INTO `t` ( `a` , `b` ) VALUES (...) /* , ... */ ")
    assert not cut and fingerprint_sql(sql) == fingerprint_sql("INSERT INTO t (a, b) VALUES (?, ?), (?, ?)")
    sql, cut = digest_sql("SELECT `a` FROM `t` WHERE `b` = ? AND `c` = ...")
    assert cut and sql == "SELECT `a` FROM `t` WHERE `b` = ? AND `c` ="
    assert _ours("SELECT NAME , `ENABLED` FROM `performance_schema` . `setup_consumers`")
    assert _ours("EXPLAIN SELECT `a` FROM `t`") and _ours("SELECT TABLE_NAME FROM information_schema . TABLES")
    assert not _ours("SELECT `status` FROM `orders` WHERE ID = ?")


def test_raw_bytes_inside_a_statement_do_not_make_the_log_binary(tmp_path: Path) -> None:
    path = tmp_path / "general.log"
    path.write_bytes(b"240501 10:00:00\t    12 Execute\tINSERT INTO files (id, body) VALUES (1, '\x00\x01\xff')\n"
                     b"\t\t    12 Query\tSELECT id FROM files WHERE id = 1\n")
    _, entries, _ = read(path)
    assert [e.sql.split()[0] for e in entries] == ["INSERT", "SELECT"]


def test_an_overlong_line_is_cut_without_reading_it_into_memory(tmp_path: Path) -> None:
    from sqllint.trace.logfile import MAX_LINE_BYTES

    values = ", ".join(f"({n}, 'x')" for n in range(400_000))  # a bulk INSERT of ~5 MB on one line
    path = tmp_path / "general.log"
    path.write_text(f"240501 10:00:00\t    12 Query\tINSERT INTO t (id, v) VALUES {values}\n"
                    "\t\t    12 Query\tSELECT 1\n")
    _, entries, notes = read(path)
    assert [e.sql[:27] for e in entries] == ["INSERT INTO t (id, v) VALUE", "SELECT 1"]
    assert len(entries[0].sql) < MAX_LINE_BYTES and any("longer than 1 MiB was cut" in n for n in notes)
