"""sqllint trace against real servers: performance_schema digests of the shop app's own traffic, the
disabled-performance_schema message, and EXPLAIN of the top logged statements on the shop database."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest
from click.testing import CliRunner

from sqllint.cli import main
from tests.conftest import DATA, DbServer, _start_throwaway, provision
from tests.conftest import TestDatabase as Database  # renamed: pytest would collect a Test* class

REPO = Path(__file__).resolve().parent.parent
SHOP = REPO / "fixtures" / "shop"


def invoke(args: list[str]) -> tuple[int, str, str]:
    previous = os.getcwd()
    os.chdir(REPO)
    try:
        result = CliRunner().invoke(main, args, catch_exceptions=False)
    finally:
        os.chdir(previous)
    return result.exit_code, result.stdout, result.stderr


def _performance_schema_on(server: DbServer) -> bool:
    with server.connect() as conn, conn.cursor() as cursor:
        cursor.execute("SHOW VARIABLES LIKE 'performance_schema'")
        row = cursor.fetchone()
    return bool(row) and str(row[1]).upper() == "ON"


@pytest.fixture(scope="module")
def perfschema_shop() -> Iterator[Database]:
    """A private server started with performance_schema=ON, holding the shop database."""
    throwaway = _start_throwaway(performance_schema=True)
    try:
        yield provision(throwaway.server, "shop", SHOP / "schema.sql", DATA / "shop_data.sql")
    finally:
        throwaway.stop()


@pytest.fixture(scope="module")
def server_without_performance_schema(db_server: DbServer) -> Iterator[DbServer]:
    """The test server when its performance_schema is off (the default), else a throwaway with it off."""
    if not _performance_schema_on(db_server):
        yield db_server
        return
    throwaway = _start_throwaway(performance_schema=False)
    try:
        yield throwaway.server
    finally:
        throwaway.stop()


def run_shop_traffic(database: Database, monkeypatch: pytest.MonkeyPatch) -> int:
    """Call the shop's own functions against ``database``; returns how many orders the N+1 loop read."""
    server = database.server
    monkeypatch.setenv("SHOP_DB_HOST", server.host)
    monkeypatch.setenv("SHOP_DB_PORT", str(server.port))
    monkeypatch.setenv("SHOP_DB_USER", server.user)
    monkeypatch.setenv("SHOP_DB_PASSWORD", server.password)
    monkeypatch.setenv("SHOP_DB_NAME", database.name)
    monkeypatch.syspath_prepend(str(SHOP))
    from shop import orders, users  # the fixture app's code

    with database.connect() as conn, conn.cursor() as cursor:
        cursor.execute("TRUNCATE performance_schema.events_statements_summary_by_digest")
        cursor.execute("SELECT user_id FROM orders GROUP BY user_id HAVING COUNT(*) BETWEEN 20 AND 200 "
                       "ORDER BY COUNT(*) DESC LIMIT 1")  # a long loop that the statement history holds whole
        (busiest,) = cursor.fetchone()
    loaded = orders.orders_with_items(busiest)
    orders.order_summary(7)
    orders.list_orders()
    users.find_user("user42@example.com")
    return len(loaded)


def test_performance_schema_digests_are_grouped_linked_and_explained(perfschema_shop: Database,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    loops = run_shop_traffic(perfschema_shop, monkeypatch)
    assert loops > 1
    code, out, err = invoke(["trace", "performance_schema", "fixtures/shop", "--dsn", perfschema_shop.dsn,
                             "--isolated", "--format", "json", "--top", "3"])
    assert code in (0, 1), err
    document = json.loads(out)
    assert document["source"]["kind"] == "performance_schema" and document["source"]["flavor"] == "MariaDB"
    assert any("no per-connection order" in n["message"] for n in document["source"]["notes"])
    groups = {g["example"]: g for g in document["groups"]}
    items = next(g for text, g in groups.items() if text.startswith("SELECT `product_name`"))
    assert items["count"] == loops and items["total_time_ms"] > 0 and items["max_time_ms"] > 0
    # The server's digest text has the fingerprint of the code's statement: linked to the loop.
    assert any(site["path"].endswith("orders.py") and site["scope"].endswith("orders_with_items")
               for site in items["sites"])
    incident = document["groups"][0]
    assert "order_items" in incident["example"] and incident["sites"][0]["scope"].endswith("list_orders")
    assert incident["plan"] is not None and incident["plan"]["rows"]
    assert not [f for f in document["findings"] if f["rule"].startswith("T")]  # no order: no runtime rules


def test_statement_history_gives_performance_schema_the_runtime_checks(perfschema_shop: Database,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    consumer = ("UPDATE performance_schema.setup_consumers SET ENABLED = %s "
                "WHERE NAME IN ('events_statements_current', 'events_statements_history_long')")
    with perfschema_shop.connect() as conn, conn.cursor() as cursor:
        cursor.execute("TRUNCATE performance_schema.events_statements_history_long")
        cursor.execute(consumer, ("YES",))
    try:
        loops = run_shop_traffic(perfschema_shop, monkeypatch)
        code, out, err = invoke(["trace", "performance_schema", "fixtures/shop", "--dsn", perfschema_shop.dsn,
                                 "--isolated", "--format", "json", "--top", "0"])
    finally:
        with perfschema_shop.connect() as conn, conn.cursor() as cursor:
            cursor.execute(consumer, ("NO",))
    assert code == 1, err
    document = json.loads(out)
    assert not any("per-connection order" in n["message"] for n in document["source"]["notes"])
    t001 = [f for f in document["findings"] if f["rule"] == "T001"]
    assert len(t001) == 1 and t001[0]["scope"].endswith("orders_with_items")
    assert f"ran {loops} times in a row" in t001[0]["message"]
    t002 = [f for f in document["findings"] if f["rule"] == "T002"]
    assert len(t002) == 1 and t002[0]["scope"].endswith("order_summary")
    assert t002[0]["suggestion"] == "SELECT status, created_at, total_cents, currency FROM orders WHERE id = 7"


def test_disabled_performance_schema_is_a_clear_message(server_without_performance_schema: DbServer) -> None:
    dsn = server_without_performance_schema.dsn("mysql")
    code, out, err = invoke(["trace", "performance_schema", "--dsn", dsn, "--isolated", "--no-link"])
    assert code == 2 and out == ""
    assert "performance_schema is disabled" in err and "performance_schema=ON" in err
    assert "general or slow query log" in err


def test_unreachable_server_for_performance_schema_is_a_usage_error_without_the_password() -> None:
    code, _, err = invoke(["trace", "performance_schema", "--dsn", "mysql://app:s3cr%40t@127.0.0.1:1/shop",
                           "--isolated", "--no-link"])
    assert code == 2 and "unreachable" in err
    assert "s3cr" not in err and "***" in err


def test_top_logged_statements_are_explained_with_their_logged_values(shop_db: Database) -> None:
    code, out, err = invoke(["trace", "fixtures/shop/logs/slow.log", "fixtures/shop", "--dsn", shop_db.readonly_dsn,
                             "--isolated", "--format", "json", "--top", "2"])
    assert code == 1, err
    document = json.loads(out)
    explained = [g for g in document["groups"] if g["plan"] is not None]
    assert len(explained) == 2 and [g["rank"] for g in explained] == [1, 2]
    assert any(row["access_type"] == "ALL" for row in explained[0]["plan"]["rows"])
    plan_findings = [f for f in document["findings"] if f["rule"].startswith("P")]
    assert plan_findings and all(f["path"].endswith("orders.py") for f in plan_findings)
    assert all("explained with the values logged at slow.log line" in f["message"] for f in plan_findings)
    password = shop_db.readonly_dsn.split(":")[2].split("@")[0]
    assert password not in out and password not in err


def test_text_report_shows_the_plans(shop_db: Database) -> None:
    code, out, _ = invoke(["trace", "fixtures/shop/logs/slow.log", "fixtures/shop", "--dsn", shop_db.dsn,
                           "--isolated", "--top", "1"])
    assert code == 1
    plans = out.split("\nPlans (", 1)[1]
    assert "select_type" in plans and "Estimated rows examined" in plans


def test_unreachable_server_for_explain_leaves_the_trace_and_warns() -> None:
    code, out, err = invoke(["trace", "fixtures/shop/logs/general.log", "fixtures/shop", "--isolated",
                             "--dsn", "mysql://app:hunter2@127.0.0.1:1/shop"])
    assert code == 1  # the runtime findings stand
    notes = out.split("\nNotes\n", 1)[1]
    assert "mysql://app:***@127.0.0.1:1/shop" in notes and "hunter2" not in out + err and "T001" in out


def test_sqllint_sends_nothing_but_reads_to_the_performance_schema_server(perfschema_shop: Database) -> None:
    """What the digest source sent shows up in performance_schema itself: SHOW, SET and SELECTs only."""
    with perfschema_shop.connect() as conn, conn.cursor() as cursor:
        cursor.execute("TRUNCATE performance_schema.events_statements_summary_by_digest")
    assert invoke(["trace", "performance_schema", "--dsn", perfschema_shop.dsn, "--isolated", "--no-link"])[0] in (0, 1)
    with pymysql.connect(host=perfschema_shop.server.host, port=perfschema_shop.server.port,
                         user=perfschema_shop.server.user, password=perfschema_shop.server.password) as conn:
        with conn.cursor() as cursor:
            cursor.execute("SELECT DIGEST_TEXT FROM performance_schema.events_statements_summary_by_digest "
                           "WHERE DIGEST_TEXT IS NOT NULL")
            sent = [str(row[0]) for row in cursor.fetchall()]
    others = [text for text in sent if text.split()[0].upper() not in ("SHOW", "SET", "SELECT", "TRUNCATE")]
    assert sent and not others, others
