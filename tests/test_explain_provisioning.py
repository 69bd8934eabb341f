"""The provisioned test databases are real: sizes, statistics and plans are what the plan tests rely on."""

from __future__ import annotations

import pymysql
import pytest


def test_shop_database_has_realistic_sizes_and_statistics(shop_db) -> None:
    counts = dict(shop_db.query("SELECT 'users', COUNT(*) FROM users UNION ALL SELECT 'orders', COUNT(*) FROM orders "
                                "UNION ALL SELECT 'order_items', COUNT(*) FROM order_items"))
    assert counts == {"users": 20000, "orders": 50000, "order_items": 120000}
    estimates = dict(shop_db.query("SELECT TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES "
                                   "WHERE TABLE_SCHEMA = DATABASE()"))
    assert 25_000 < estimates["orders"] < 100_000  # ANALYZE TABLE ran: the estimate is near the truth
    # Skewed, not uniform: the heaviest buyer has far more orders than the average (2.5).
    heaviest = shop_db.query("SELECT COUNT(*) FROM orders GROUP BY user_id ORDER BY COUNT(*) DESC LIMIT 1")[0][0]
    assert heaviest > 50


def test_plans_on_the_shop_database_are_real(shop_db) -> None:
    with shop_db.connect() as conn, conn.cursor(pymysql.cursors.DictCursor) as cursor:
        cursor.execute("EXPLAIN SELECT id FROM orders WHERE status = 'paid'")
        (scan,) = cursor.fetchall()
        cursor.execute("EXPLAIN SELECT id FROM orders WHERE user_id = 42")
        (lookup,) = cursor.fetchall()
        cursor.execute("EXPLAIN SELECT id, email FROM users WHERE status = 'active' ORDER BY name LIMIT 20")
        (sort,) = cursor.fetchall()
    assert scan["type"] == "ALL" and int(scan["rows"]) > 10_000
    assert lookup["type"] == "ref" and lookup["key"] == "idx_orders_user"
    assert "Using filesort" in sort["Extra"]


def test_mall_database_is_loaded(mall_db) -> None:
    assert mall_db.query("SELECT COUNT(*) FROM orders")[0][0] == 50000
    assert mall_db.query("SELECT COUNT(*) FROM order_items")[0][0] == 120000


def test_readonly_account_reads_but_cannot_write(shop_db) -> None:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(shop_db.readonly_dsn)
    conn = pymysql.connect(host=parts.hostname, port=parts.port, user=unquote(parts.username),
                           password=unquote(parts.password), database=shop_db.name)
    with conn, conn.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM products")
        assert cursor.fetchone()[0] == 2000
        with pytest.raises(pymysql.err.OperationalError) as denied:
            cursor.execute("UPDATE products SET title = 'x' WHERE id = 1")
        assert denied.value.args[0] == 1142


def test_scratch_database_is_private_and_dropped(scratch_db, db_server) -> None:
    db = scratch_db("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10));")
    assert db.query("SHOW TABLES") == [("t",)]
    assert db.name != scratch_db().name
