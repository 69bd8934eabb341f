"""Plan rules live: every plan rule's docstring examples against the provisioned shop database, thresholds
from config, index advice checked against the live catalog, and the stage's faults (schema drift, a
killed connection, the time limit)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pymysql
import pytest

from sqllint.config import Config, load_config
from sqllint.engine import run
from sqllint.explain.dsn import parse_dsn
from sqllint.explain.runner import build_stage, explain_static
from sqllint.explain.pool import Pool
from sqllint.explain.settings import ExplainSettings
from sqllint.registry import builtin_registry
from tests.helpers import SUFFIX

REGISTRY = builtin_registry()
PLAN_RULES = [r for r in REGISTRY.rules if r.target == "plan"]
CASES = [
    pytest.param(rule, example, id=f"{rule.code}-{'bad' if example.bad else 'good'}-{index}")
    for rule in PLAN_RULES
    for index, example in enumerate(rule.examples())
]


def explain_snippet(tmp_path: Path, code: str, dsn: str, config: Config | None = None, language: str = "sql",
                    settings: ExplainSettings | None = None):
    path = tmp_path / f"snippet{SUFFIX[language]}"
    path.write_text(textwrap.dedent(code), encoding="utf-8")
    config = config or Config(root=tmp_path)
    result = run([str(path)], config, tmp_path, jobs=1, registry=REGISTRY, keep_parsed=True)
    stage = build_stage(config, REGISTRY, parse_dsn(dsn), settings=settings, use_cache=False)
    return explain_static(result, stage)


def test_every_plan_rule_has_live_examples() -> None:
    assert {r.code for r in PLAN_RULES} >= {f"P00{i}" for i in range(1, 8)}
    for rule in PLAN_RULES:
        assert any(e.bad for e in rule.examples()) and any(not e.bad for e in rule.examples()), rule.code


@pytest.mark.parametrize(("rule", "example"), CASES)
def test_docstring_example_live(tmp_path: Path, shop_db, rule, example) -> None:
    explained = explain_snippet(tmp_path, example.code, shop_db.dsn, Config(root=tmp_path, select=(rule.code,)),
                                example.language)
    assert explained.connected and not explained.outcome.warnings
    assert all(item.error is None for item in explained.outcome.explained), \
        [item.error.message for item in explained.outcome.explained if item.error]
    fired = [f for f in explained.result.findings if f.rule == rule.code]
    if example.bad:
        assert fired, f"{rule.code} did not fire on its bad example:\n{example.code}"
    else:
        assert not fired, f"{rule.code} fired on its good example: {[f.message for f in fired]}"


def test_thresholds_come_from_config(tmp_path: Path, shop_db) -> None:
    sql = "SELECT id, total_cents FROM orders WHERE status = 'paid';\n"
    assert [f.rule for f in explain_snippet(tmp_path, sql, shop_db.dsn, Config(root=tmp_path, select=("P001",)))
            .result.findings] == ["P001"]
    (tmp_path / "sqllint.toml").write_text(
        '[rules.full-table-scan]\nmin-rows = 200000\n[rules.too-many-rows-examined]\nmax-rows = 10000\n',
        encoding="utf-8")
    config = load_config(REGISTRY, tmp_path, None, False)
    assert config.options_for("P001", REGISTRY)["min-rows"] == 200000
    found = {f.rule for f in explain_snippet(tmp_path, sql, shop_db.dsn, config).result.findings}
    assert "P001" not in found and "P006" in found  # 50k rows: under P001's raised bar, over P006's lowered one


def test_index_advice_is_real_for_the_live_catalog(tmp_path: Path, shop_db, scratch_db) -> None:
    db = scratch_db(f"CREATE TABLE orders LIKE `{shop_db.name}`.orders; "
                    f"INSERT INTO orders SELECT * FROM `{shop_db.name}`.orders; ANALYZE TABLE orders;")
    sql = "SELECT id, total_cents FROM orders WHERE status = 'paid' AND created_at >= '2024-03-01';\n"
    (finding,) = [f for f in explain_snippet(tmp_path, sql, db.dsn).result.findings if f.rule == "P001"]
    assert finding.suggestion == "add an index: CREATE INDEX idx_orders_status ON orders (status)" or \
        "CREATE INDEX idx_orders_status_created_at ON orders (status, created_at)" in finding.suggestion
    statement = finding.suggestion.split("add an index: ", 1)[1]
    db.query(statement)  # the advice is valid DDL for this server (the test runs it; sqllint never does)
    db.query("ANALYZE TABLE orders")
    with db.connect() as conn, conn.cursor(pymysql.cursors.DictCursor) as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        (row,) = cursor.fetchall()
    assert row["type"] != "ALL" and row["key"] and row["key"].startswith("idx_orders_status")
    # Once the index exists the advice is gone (the scan, if any, has another cause).
    again = [f for f in explain_snippet(tmp_path, sql, db.dsn).result.findings if f.rule in ("P001", "P007")]
    assert not any("CREATE INDEX" in (f.suggestion or "") for f in again)


def test_advice_for_the_driving_table_leaves_out_its_join_columns(tmp_path: Path, shop_db, scratch_db) -> None:
    """``shipments`` (no index on order_id here) drives the loop and ``orders`` is looked up by primary key:
    ``s.order_id = o.id`` cannot be a lookup key for ``s`` (``o`` is read after it), so the advice is the
    index on the filtered column alone, and the server then uses it."""
    db = scratch_db(f"CREATE TABLE shipments LIKE `{shop_db.name}`.shipments; "
                    "ALTER TABLE shipments DROP INDEX idx_shipments_order; "
                    f"INSERT INTO shipments SELECT * FROM `{shop_db.name}`.shipments; "
                    f"CREATE TABLE orders LIKE `{shop_db.name}`.orders; "
                    f"INSERT INTO orders SELECT * FROM `{shop_db.name}`.orders; ANALYZE TABLE shipments, orders;")
    sql = ("SELECT s.tracking_no, o.status FROM shipments s JOIN orders o ON o.id = s.order_id "
           "WHERE s.shipped_at >= '2024-01-25';\n")
    explained = explain_snippet(tmp_path, sql, db.dsn, Config(root=tmp_path, select=("P001",)))
    (item,) = explained.outcome.explained
    assert [(r.table, r.access_type) for r in item.plan.rows] == [("s", "ALL"), ("o", "eq_ref")]
    (finding,) = explained.result.findings
    assert finding.suggestion == ("add an index: CREATE INDEX idx_shipments_shipped_at ON shipments (shipped_at)"), \
        finding.suggestion  # not (order_id, shipped_at): an index led by the join column serves only the inner side
    db.query(finding.suggestion.split("add an index: ", 1)[1])
    db.query("ANALYZE TABLE shipments")
    again = explain_snippet(tmp_path, sql, db.dsn, Config(root=tmp_path, select=("P001",)))
    assert again.outcome.explained[0].plan.rows[0].access_type == "range" and not again.result.findings


def test_advice_for_an_inner_table_keeps_its_join_column(tmp_path: Path, shop_db) -> None:
    """The table read second joins on ``s.carrier = o.status``: ``o`` is known by then, so the join column
    is what an index on ``shipments`` needs."""
    sql = "SELECT o.id, s.tracking_no FROM orders o JOIN shipments s ON s.carrier = o.status WHERE o.id < 50;\n"
    explained = explain_snippet(tmp_path, sql, shop_db.dsn, Config(root=tmp_path, select=("P004",)))
    (item,) = explained.outcome.explained
    assert [r.table for r in item.plan.rows] == ["o", "s"]
    (finding,) = explained.result.findings
    assert finding.suggestion and "CREATE INDEX idx_shipments_carrier ON shipments (carrier)" in finding.suggestion


def test_no_advice_when_the_column_is_hidden_by_a_function(tmp_path: Path, shop_db) -> None:
    sql = "SELECT id, total_cents FROM orders WHERE DATE(created_at) = '2024-05-01';\n"
    scans = [f for f in explain_snippet(tmp_path, sql, shop_db.dsn).result.findings if f.rule == "P001"]
    assert scans and not any("CREATE INDEX" in (f.suggestion or "") for f in scans)


def test_schema_drift_is_a_finding_with_the_servers_message(tmp_path: Path, shop_db) -> None:
    explained = explain_snippet(tmp_path, """\
        SELECT id, nickname FROM users WHERE id = 1;
        SELECT id FROM coupons WHERE code = 'X';
        SELECT id, total_cents FROM orders WHERE status = 'paid';
        """, shop_db.dsn)
    drift = {f.line: f for f in explained.result.findings if f.rule == "E010"}
    assert "Unknown column 'nickname'" in drift[1].message and "1054" in drift[1].message
    assert "coupons" in drift[2].message and "doesn't exist" in drift[2].message
    assert any(f.rule == "P001" and f.line == 3 for f in explained.result.findings)  # the run went on


def test_killed_connection_is_reopened_and_the_statement_retried(shop_db, db_server) -> None:
    dsn = parse_dsn(shop_db.dsn)
    pool = Pool(dsn, ExplainSettings(), 2).open()
    pool.grow(2)
    try:
        assert len(pool.sessions) == 2
        with db_server.connect() as admin, admin.cursor() as cursor:
            for session in pool.sessions:
                cursor.execute(f"KILL {session._conn.thread_id()}")
        for session in pool.sessions:  # each notices its link is gone, reconnects, and answers
            assert session.query("EXPLAIN SELECT id FROM orders WHERE id = 1")[1]
        assert [s.reconnects for s in pool.sessions] == [1, 1]
        # A link that drops before a multi-statement packet: reopened once, and every statement answered.
        with db_server.connect() as admin, admin.cursor() as cursor:
            for session in pool.sessions:
                cursor.execute(f"KILL {session._conn.thread_id()}")
        statements = [f"EXPLAIN SELECT id FROM orders WHERE id = {i}" for i in range(1, 41)]
        for session in pool.sessions:
            answers = session.query_many(statements)
            assert all(isinstance(answer, tuple) and answer[1] for answer in answers), answers
        assert [s.reconnects for s in pool.sessions] == [2, 2]
        # The pool hands every statement to some session, once.
        answered: list[tuple[str, object]] = []
        pool.map_chunks(lambda session, chunk: answered.extend(zip(chunk, session.query_many(chunk))),
                        statements, 16)
        assert sorted(statements) == sorted(sql for sql, _ in answered)
        assert all(isinstance(answer, tuple) and answer[1] for _, answer in answered), answered
        # The reopened session is guarded like the first: read-only, time-limited.
        variables = dict(pool.sessions[0].query("SHOW VARIABLES LIKE 'max_statement_time'")[1])
        assert float(variables["max_statement_time"]) == ExplainSettings().statement_timeout
    finally:
        pool.close()


def _optimizer_heavy_join(tables: int) -> str:
    """A many-table join whose plan search alone takes seconds (measured: 14 tables ~1.4 s here)."""
    joins = " ".join(f"JOIN order_items t{i} ON t{i}.price_cents > t{i - 1}.id" for i in range(2, tables + 1))
    return f"SELECT 1 FROM orders t1 {joins}"


def test_time_limit_is_a_finding_and_the_run_continues(tmp_path: Path, shop_db) -> None:
    sql = f"{_optimizer_heavy_join(15)};\nSELECT id, total_cents FROM orders WHERE status = 'paid';\n"
    explained = explain_snippet(tmp_path, sql, shop_db.dsn, settings=ExplainSettings(statement_timeout=0.3))
    (limit,) = [f for f in explained.result.findings if f.rule == "E011"]
    assert limit.line == 1 and "0.3s time limit" in limit.message
    assert any(f.rule == "P001" and f.line == 2 for f in explained.result.findings)


def test_advice_for_an_or_is_one_index_per_branch(tmp_path: Path, shop_db, scratch_db) -> None:
    """``user_id = ? OR status = ?``: a composite (user_id, status) serves neither branch. user_id has
    its index, so the advice is the missing one on status, and with it the server merges both indexes."""
    db = scratch_db(f"CREATE TABLE orders LIKE `{shop_db.name}`.orders; "
                    f"INSERT INTO orders SELECT * FROM `{shop_db.name}`.orders; ANALYZE TABLE orders;")
    sql = "SELECT id, total_cents FROM orders WHERE user_id = 7 OR status = 'cancelled';\n"
    (finding,) = [f for f in explain_snippet(tmp_path, sql, db.dsn).result.findings if f.rule == "P001"]
    assert finding.suggestion == "add an index: CREATE INDEX idx_orders_status ON orders (status)", \
        finding.suggestion
    db.query(finding.suggestion.split("add an index: ", 1)[1])
    db.query("ANALYZE TABLE orders")
    with db.connect() as conn, conn.cursor(pymysql.cursors.DictCursor) as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        (row,) = cursor.fetchall()
    assert row["type"] == "index_merge" and "idx_orders_status" in row["key"], row


def test_advice_for_an_or_without_any_index_names_both(tmp_path: Path, shop_db, scratch_db) -> None:
    db = scratch_db(f"CREATE TABLE orders LIKE `{shop_db.name}`.orders; "
                    f"INSERT INTO orders SELECT * FROM `{shop_db.name}`.orders; ANALYZE TABLE orders;")
    sql = "SELECT id FROM orders WHERE (status = 'new' AND currency = 'EUR') OR total_cents > 990000;\n"
    (finding,) = [f for f in explain_snippet(tmp_path, sql, db.dsn).result.findings if f.rule == "P001"]
    assert finding.suggestion == ("add an index: CREATE INDEX idx_orders_status_currency ON orders (status, currency); "
                                  "CREATE INDEX idx_orders_total_cents ON orders (total_cents)"), finding.suggestion
    # An OR inside an AND leaves the AND-ed column as the whole advice; NOT IN is no lookup key at all.
    sql = "SELECT id FROM orders WHERE status = 'new' AND (currency = 'EUR' OR total_cents > 100);\n"
    (finding,) = [f for f in explain_snippet(tmp_path, sql, db.dsn).result.findings if f.rule == "P001"]
    assert finding.suggestion == "add an index: CREATE INDEX idx_orders_status ON orders (status)"
    sql = "SELECT id FROM orders WHERE status NOT IN ('paid', 'new');\n"
    scans = [f for f in explain_snippet(tmp_path, sql, db.dsn).result.findings if f.rule == "P001"]
    assert scans and not any("CREATE INDEX" in (f.suggestion or "") for f in scans)
