"""sqllint trace: grouping by the project's fingerprint, runtime N+1 / mergeable detection on the recorded
shop run and on crafted windows, linking to the code, and the command line's contract."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from sqllint.cli import main
from sqllint.config import Config
from sqllint.parse import fingerprint_sql
from sqllint.registry import builtin_registry
from sqllint.trace.link import code_sites
from sqllint.trace.runner import RuleSetup, link, open_log, trace

REPO = Path(__file__).resolve().parent.parent
SHOP = REPO / "fixtures" / "shop"
ORDERS = SHOP / "shop" / "orders.py"
REGISTRY = builtin_registry()


def invoke(args: list[str], cwd: Path = REPO) -> tuple[int, str, str]:
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, args, catch_exceptions=False)
    finally:
        os.chdir(previous)
    return result.exit_code, result.stdout, result.stderr


def setup_for(codes: tuple[str, ...] = ("T001", "T002"), **overrides: int) -> RuleSetup:
    return RuleSetup.build(REGISTRY, frozenset(codes), {}, {c: REGISTRY[c].severity for c in codes}, overrides)


def traced(path: Path, link_paths: list[Path] | None = None, **overrides: int):
    setup = setup_for(**overrides)
    source, entries, _ = open_log(path)
    result = trace(source, entries, setup, max(int(o.get("window-ms", 1000)) for o in setup.options.values()))
    if link_paths is not None:
        link(result, code_sites([str(p) for p in link_paths], Config(root=REPO), REPO, REGISTRY, jobs=1), setup)
    return result


def call_line(text_in_call: str, path: Path = ORDERS) -> int:
    """The line of the ``cur.execute(`` call whose SQL literal contains ``text_in_call``."""
    lines = path.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if text_in_call in line)
    while "execute(" not in lines[index]:
        index -= 1
    return index + 1


def general_log(tmp_path: Path, rows: list[tuple[str, int, str]]) -> Path:
    """A MySQL 8 general log from (ISO time, connection, statement) rows."""
    path = tmp_path / "general.log"
    path.write_text("".join(f"2024-05-01T{time}Z\t{conn:>5} Query\t{sql}\n" for time, conn, sql in rows))
    return path


def items_query(order_id: int) -> str:
    return f"SELECT sku, qty FROM order_items WHERE order_id = {order_id}"


# --- grouping -----------------------------------------------------------------------------------------

def test_groups_use_the_projects_fingerprint_so_logged_values_meet_code_placeholders() -> None:
    result = traced(SHOP / "logs" / "slow.log")
    by_fingerprint = {g.fingerprint: g for g in result.groups}
    summary = fingerprint_sql("SELECT status, created_at FROM orders WHERE id = %s".replace("%s", "?"))
    assert summary in by_fingerprint
    assert by_fingerprint[summary].example.startswith("SELECT status, created_at FROM orders WHERE id = ")
    batched = [g for g in result.groups if g.example.startswith("SELECT order_id, product_name")]
    assert len(batched) == 1  # IN lists of any length are one fingerprint


def test_slow_log_groups_rank_by_total_time_with_counts_and_rows() -> None:
    result = traced(SHOP / "logs" / "slow.log")
    assert result.source.has_durations
    totals = [g.total_time for g in result.groups]
    assert totals == sorted(totals, reverse=True)
    text = (SHOP / "logs" / "slow.log").read_text()
    assert result.statements == len(re.findall(r"^# Query_time:", text, re.MULTILINE))
    assert sum(g.total_time for g in result.groups) == pytest.approx(
        sum(float(v) for v in re.findall(r"^# Query_time: (\S+)", text, re.MULTILINE)))
    top = result.groups[0]
    assert "JOIN (SELECT * FROM order_items" in top.example and top.rows_examined > 100_000
    assert top.max_time >= top.avg_time > 0 and top.count >= 1
    n_plus_one = next(g for g in result.groups if g.example.startswith("SELECT product_name, quantity"))
    assert n_plus_one.count > 40 and len(n_plus_one.connections) >= 2


def test_general_log_has_no_durations_and_ranks_by_count() -> None:
    result = traced(SHOP / "logs" / "general.log")
    assert not result.source.has_durations
    counts = [g.count for g in result.groups]
    assert counts == sorted(counts, reverse=True)
    assert all(g.total_time == 0 and g.avg_time is None for g in result.groups)


# --- runtime N+1 and mergeable on the recorded shop run -------------------------------------------------

def test_recorded_run_n_plus_one_is_found_and_linked_to_the_loop() -> None:
    for log in ("general.log", "slow.log"):
        result = traced(SHOP / "logs" / log, [SHOP])
        t001 = [f for f in result.findings if f.rule == "T001"]
        assert len(t001) == 1, [f.message for f in t001]
        finding = t001[0]
        assert finding.path.endswith("shop/orders.py") and finding.scope.endswith("orders_with_items")
        assert finding.line == call_line('"SELECT product_name, quantity, price_cents FROM order_items WHERE order_id = %s"')
        assert re.search(r"SELECT ran \d+ times in a row on connection \d+", finding.message)
        assert "different values" in finding.message and f"{log} line " in finding.message
        assert finding.suggestion.startswith("fetch all of them with one query: SELECT order_id, product_name, "
                                             "quantity, price_cents FROM order_items WHERE order_id IN (")


def test_recorded_run_mergeable_reads_are_found_and_the_merged_version_is_not() -> None:
    result = traced(SHOP / "logs" / "slow.log", [SHOP])
    t002 = [f for f in result.findings if f.rule == "T002"]
    assert len(t002) == 1
    finding = t002[0]
    assert finding.line == call_line('"SELECT total_cents, currency FROM orders WHERE id = %s"')
    assert finding.message.startswith("reads orders by the same key (id) as the SELECT")
    assert re.fullmatch(r"SELECT status, created_at, total_cents, currency FROM orders WHERE id = \d+",
                        finding.suggestion)
    merged = fingerprint_sql("SELECT status, created_at, total_cents, currency FROM orders WHERE id = ?")
    assert all(f.fingerprint != merged for f in result.findings)


def test_every_application_statement_of_the_recorded_run_is_found_in_the_code() -> None:
    result = traced(SHOP / "logs" / "general.log", [SHOP])
    app = [g for g in result.groups if g.kind in ("select", "insert", "update", "delete")
           and "@@" not in g.example and "GLOBAL" not in g.example]
    missing = [g.example for g in app if not result.sites.get(g.fingerprint)]
    assert app and missing == []
    incident = next(g for g in app if "JOIN (SELECT * FROM order_items) oi" in g.example
                    and "o.status =" not in g.example)
    site = result.sites[incident.fingerprint][0]
    assert site.scope.endswith("list_orders") and site.variant == "when keyword, status are absent"


def test_statements_not_in_the_code_say_so(tmp_path: Path) -> None:
    log = general_log(tmp_path, [("10:00:00.000100", 5, "SELECT title FROM products WHERE sku = 'X-1'")])
    code, out, _ = invoke(["trace", str(log), str(SHOP), "--isolated"])
    assert code == 0 and "not found in code" in out
    code, out, _ = invoke(["trace", str(log), str(SHOP), "--isolated", "--format", "json"])
    group = json.loads(out)["groups"][0]
    assert group["linked"] is True and group["sites"] == []


def test_a_suppression_at_the_code_site_silences_the_runtime_finding(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text("def items(cur, ids):\n    for i in ids:\n"
                   "        cur.execute('SELECT sku, qty FROM order_items WHERE order_id = %s', (i,))"
                   "  # sqllint: ignore[T001]\n")
    log = general_log(tmp_path, [(f"10:00:00.{n:06d}", 7, items_query(n)) for n in range(1, 8)])
    assert [f.rule for f in traced(log).findings] == ["T001"]
    assert traced(log, [app]).findings == []


# --- the rules on crafted windows ------------------------------------------------------------------------

def test_n_plus_one_needs_k_repeats_within_the_window(tmp_path: Path) -> None:
    fast = general_log(tmp_path, [(f"10:00:00.{n:06d}", 7, items_query(n)) for n in range(1, 6)])
    assert [f.rule for f in traced(fast).findings] == ["T001"]
    assert traced(fast, **{"min-repeats": 6}).findings == []
    slow = general_log(tmp_path, [(f"10:00:{2 * n:02d}.000000", 7, items_query(n)) for n in range(1, 8)])
    assert traced(slow).findings == []  # two seconds apart: separate requests, not a loop
    assert [f.rule for f in traced(slow, **{"window-ms": 2500}).findings] == ["T001"]


def test_n_plus_one_is_per_connection(tmp_path: Path) -> None:
    rows = [(f"10:00:00.{n:06d}", 100 + n, items_query(n)) for n in range(1, 9)]
    assert traced(general_log(tmp_path, rows)).findings == []


def test_n_plus_one_allows_a_loop_body_of_a_few_queries_but_not_unrelated_traffic(tmp_path: Path) -> None:
    body = []
    for n in range(1, 7):  # each iteration: the items, then the shipment
        body += [(f"10:00:00.{2 * n:06d}", 7, items_query(n)),
                 (f"10:00:00.{2 * n + 1:06d}", 7, f"SELECT carrier FROM shipments WHERE order_id = {n}")]
    found = traced(general_log(tmp_path, body)).findings
    assert sorted(f.sql.split(" FROM ")[1].split()[0] for f in found) == ["order_items", "shipments"]
    spaced = []
    for n in range(1, 7):  # five other statements between two repeats: not one loop
        spaced.append((f"10:00:00.{10 * n:06d}", 7, items_query(n)))
        spaced += [(f"10:00:00.{10 * n + k:06d}", 7, f"SELECT name FROM users WHERE id = {k}") for k in range(1, 6)]
    assert [f for f in traced(general_log(tmp_path, spaced)).findings
            if "order_items" in f.sql and f.rule == "T001"] == []


def test_identical_repeats_and_inserts_get_their_own_advice(tmp_path: Path) -> None:
    same = general_log(tmp_path, [(f"10:00:00.{n:06d}", 7, "SELECT value FROM settings WHERE name = 'tax'")
                                  for n in range(1, 7)])
    finding = traced(same).findings[0]
    assert "the same statement each time" in finding.message
    inserts = general_log(tmp_path, [(f"10:00:00.{n:06d}", 7, f"INSERT INTO audit (order_id) VALUES ({n})")
                                     for n in range(1, 7)])
    assert "executemany()" in traced(inserts).findings[0].suggestion


def test_mergeable_reads_are_kept_apart_by_a_write_or_a_pause(tmp_path: Path) -> None:
    first, second = "SELECT status FROM orders WHERE id = 7", "SELECT total_cents FROM orders WHERE id = 7"
    together = general_log(tmp_path, [("10:00:00.000100", 3, first), ("10:00:00.000200", 3, second)])
    assert [f.rule for f in traced(together).findings] == ["T002"]
    written = general_log(tmp_path, [("10:00:00.000100", 3, first),
                                     ("10:00:00.000150", 3, "UPDATE orders SET total_cents = 5 WHERE id = 7"),
                                     ("10:00:00.000200", 3, second)])
    assert traced(written).findings == []
    apart = general_log(tmp_path, [("10:00:00.000100", 3, first), ("10:00:05.000200", 3, second)])
    assert traced(apart).findings == []
    other_connection = general_log(tmp_path, [("10:00:00.000100", 3, first), ("10:00:00.000200", 4, second)])
    assert traced(other_connection).findings == []
    different_values = general_log(tmp_path, [("10:00:00.000100", 3, first),
                                              ("10:00:00.000200", 3, "SELECT total_cents FROM orders WHERE id = 8")])
    assert traced(different_values).findings[0].suggestion == \
        "SELECT status, total_cents FROM orders WHERE id IN (7, 8)"


def test_repeated_findings_fold_into_one_with_the_count(tmp_path: Path) -> None:
    rows = []
    for request, conn in enumerate((11, 12, 13)):
        rows += [(f"10:00:0{request * 2}.{n:06d}", conn, items_query(n)) for n in range(1, 6 + request)]
    finding, = traced(general_log(tmp_path, rows)).findings
    assert "ran 7 times in a row on connection 13" in finding.message  # the largest burst speaks
    assert "seen 3 times in the log (connections 11, 12, 13)" in finding.message


# --- the command line ----------------------------------------------------------------------------------

def test_cli_text_report_on_the_recorded_slow_log() -> None:
    code, out, err = invoke(["trace", "fixtures/shop/logs/slow.log", "fixtures/shop", "--isolated", "--top", "3"])
    assert code == 1, err
    assert out.startswith("slow log fixtures/shop/logs/slow.log (MariaDB): ")
    assert "ranked by total time" in out and "Where they come from" in out
    assert "fixtures/shop/shop/orders.py:" in out and "T001 warning" in out and "T002 warning" in out
    assert "(--top N shows more, --format json all)" in out


def test_cli_general_log_says_it_has_no_durations() -> None:
    code, out, _ = invoke(["trace", "fixtures/shop/logs/general.log", "--no-link", "--isolated", "--exit-zero"])
    assert code == 0
    assert "the general log records no durations: ranked by count" in out
    assert "(not linked: --no-link)" in out


def test_cli_json_report() -> None:
    code, out, _ = invoke(["trace", "fixtures/shop/logs/slow.log", "fixtures/shop", "--isolated", "--format", "json"])
    assert code == 1
    document = json.loads(out)
    assert document["version"] == 1 and document["source"]["kind"] == "slow"
    assert document["source"]["ranked_by"] == "total_time" and document["source"]["flavor"] == "MariaDB"
    assert {f["rule"] for f in document["findings"]} == {"T001", "T002"}
    top = document["groups"][0]
    assert top["rank"] == 1 and top["total_time_ms"] > 0 and top["sites"][0]["path"].endswith("orders.py")
    assert len(document["groups"]) == document["source"]["fingerprints"]


def test_cli_exit_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SQLLINT_DSN", raising=False)
    clean = general_log(tmp_path, [("10:00:00.000100", 5, "SELECT 1")])
    assert invoke(["trace", str(clean), "--no-link", "--isolated"])[0] == 0
    (tmp_path / "loop").mkdir()
    log = general_log(tmp_path / "loop", [(f"10:00:00.{n:06d}", 7, items_query(n)) for n in range(1, 7)])
    assert invoke(["trace", str(log), "--no-link", "--isolated"])[0] == 1
    assert invoke(["trace", str(log), "--no-link", "--isolated", "--fail-on", "error"])[0] == 0
    assert invoke(["trace", str(log), "--no-link", "--isolated", "--select", "T002"])[0] == 2  # unknown option
    code, _, err = invoke(["trace", str(REPO / "tests/data/logs/error_log.log"), "--no-link", "--isolated"])
    assert code == 2 and "not a MySQL/MariaDB general or slow query log" in err
    code, _, err = invoke(["trace", str(tmp_path / "missing.log"), "--isolated"])
    assert code == 2 and "log file does not exist" in err
    code, _, err = invoke(["trace", "performance_schema", "--isolated"], cwd=tmp_path)
    assert code == 2 and "give --dsn" in err
    code, _, err = invoke(["trace", str(log), str(tmp_path / "no-such-dir"), "--isolated"])
    assert code == 2 and "path does not exist" in err
    code, _, err = invoke(["trace", str(log), "--isolated", "--dsn", "postgres://u:secret@h/db"])
    assert code == 2 and "secret" not in err


def test_a_loop_running_across_a_full_window_is_still_one_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqllint.trace import group

    monkeypatch.setattr(group, "WINDOW_LIMIT", 200)
    filler = [f"SELECT c{n % 20} FROM t{n % 20} WHERE id = {n}" for n in range(190)]  # no fingerprint repeats soon
    loop = [items_query(n) for n in range(30)]  # starts 10 statements before the window is full
    rows = [(f"10:00:00.{n:06d}", 9, sql) for n, sql in enumerate(filler + loop)]
    finding, = traced(general_log(tmp_path, rows)).findings
    assert "ran 30 times in a row" in finding.message and "seen" not in finding.message


def test_cli_reads_a_log_from_standard_input() -> None:
    log = (SHOP / "logs" / "slow.log").read_bytes()
    previous = os.getcwd()
    os.chdir(REPO)
    try:
        result = CliRunner().invoke(main, ["trace", "-", "--no-link", "--isolated", "--format", "json"], input=log)
        packed = CliRunner().invoke(main, ["trace", "-", "--no-link", "--isolated"], input=b"\x1f\x8b\x08rest")
    finally:
        os.chdir(previous)
    document = json.loads(result.stdout)
    assert result.exit_code == 1 and document["source"]["name"] == "<stdin>" and document["source"]["kind"] == "slow"
    assert document["source"]["statements"] == traced(SHOP / "logs" / "slow.log").statements
    assert packed.exit_code == 2 and "zcat" in packed.stderr


def test_a_slow_log_without_quick_statements_says_n_plus_one_cannot_show() -> None:
    result = traced(REPO / "tests" / "data" / "logs" / "mysql57_slow.log")
    assert any("long_query_time = 0" in n.message for n in result.source.notes)
    assert not any("long_query_time" in n.message for n in traced(SHOP / "logs" / "slow.log").source.notes)


def test_digest_placeholders_are_declared_for_the_explain_stage() -> None:
    from sqllint.trace.group import Fingerprinter

    parsed = Fingerprinter("performance_schema").parse("SELECT `a` FROM `t` WHERE ? = ? AND `b` IN (?) LIMIT ?", 1)
    assert len(parsed.query.placeholders) == 4
    assert Fingerprinter("x.log").parse("SELECT a FROM t WHERE q = 'why?'", 1).query.placeholders == ()


def test_windows_cut_while_reading_know_the_logs_clock_resolution(tmp_path: Path) -> None:
    path = tmp_path / "general.log"  # MariaDB: whole seconds; a pause of 5 s cuts the first window early
    rows = [f"240501 10:00:00\t    7 Query\t{items_query(n)}" for n in range(6)]
    rows += ["240501 10:00:05\t    7 Query\tSELECT 1"]
    path.write_text("\n".join(rows) + "\n")
    finding, = traced(path).findings
    assert "within the same second" in finding.message


def test_orm_style_aliased_queries_get_valid_rewrites(tmp_path: Path) -> None:
    items = ("select items0_.order_id as order_id3_1_0_, items0_.sku as sku2_1_1_ from order_items items0_ "
             "where items0_.order_id={}")
    rows = [(f"10:00:00.{n:06d}", 9, items.format(100 + n)) for n in range(1, 7)]
    rows += [("10:00:01.000000", 9, "select order0_.status as status2_0_ from orders order0_ where order0_.id=7"),
             ("10:00:01.000100", 9, "select order0_.total as total3_0_ from orders order0_ where order0_.id=7")]
    found = {f.rule: f.suggestion for f in traced(general_log(tmp_path, rows)).findings}
    assert found["T001"] == ("fetch all of them with one query: SELECT items0_.order_id AS order_id3_1_0_, "
                             "items0_.sku AS sku2_1_1_ FROM order_items items0_ WHERE order_id IN (101, 102, 103, …)")
    assert found["T002"] == ("SELECT order0_.status AS status2_0_, order0_.total AS total3_0_ FROM orders order0_ "
                             "WHERE id = 7")
    from sqllint.parse import SqlParser

    assert all(SqlParser().parse_text(s.split(": ", 1)[-1].replace("…", "104"))[1] is None for s in found.values())


def test_performance_schema_source_on_a_server_answering_garbage_is_a_clear_error(tmp_path: Path) -> None:
    """Something that is not a database on the port: an error packet echoing the password, then a cut
    greeting (pymysql raises struct.error, not one of its own errors). Both are a TraceSourceError with the
    password masked, never a traceback."""
    import socket
    import struct
    import threading
    from urllib.parse import quote

    from sqllint.explain.dsn import parse_dsn
    from sqllint.explain.settings import ExplainSettings
    from sqllint.trace.model import Source, TraceSourceError
    from sqllint.trace.perfschema import read_performance_schema

    password = "S3cret:pw@"
    error_packet = b"\xff" + struct.pack("<H", 1045) + b"#28000" + f"denied, you sent {password}".encode()
    answers = [struct.pack("<I", len(error_packet))[:3] + b"\x00" + error_packet, b"\x01\x00\x00\x00\x0a"]
    for answer in answers:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)

        def serve(listener: socket.socket = listener, answer: bytes = answer) -> None:
            conn, _ = listener.accept()
            conn.sendall(answer)
            conn.close()

        threading.Thread(target=serve, daemon=True).start()
        try:
            dsn = parse_dsn(f"mysql://app:{quote(password, safe='')}@127.0.0.1:{listener.getsockname()[1]}/db")
            with pytest.raises(TraceSourceError) as error:
                read_performance_schema(dsn, ExplainSettings(connect_timeout=2),
                                        Source(kind="performance_schema", name=dsn.masked()))
        finally:
            listener.close()
        assert password not in str(error.value) and quote(password, safe="") not in str(error.value)
        assert "cannot read performance_schema" in str(error.value)
