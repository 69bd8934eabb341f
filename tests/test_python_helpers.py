"""Python: SQL handed to the project's own executor helper (run(sql, params), query(sql, *args), a
Database.run method) is found at the caller, where it is written, with the values the caller binds."""

from __future__ import annotations

import textwrap
from pathlib import Path

from sqllint.extract.python import extract_python
from sqllint.records import Query
from tests.helpers import check_snippet


def extract(code: str) -> list[Query]:
    result = extract_python(textwrap.dedent(code).encode(), "app.py")
    assert result.syntax_error is None
    return result.queries


def bound(query: Query) -> list[str | None]:
    return [p.bound.shown if p.bound else None for p in query.placeholders]


def test_module_helper_is_a_sink_at_the_caller_with_its_bound_values() -> None:
    [plain, filtered] = extract("""
        from contextlib import closing

        def run(sql, params=()):
            with get_db() as conn:
                return conn.execute(sql, params)

        def orders(user_id, kw=None):
            sql = "SELECT id FROM orders WHERE user_id = %s"
            params = [user_id]
            if kw:
                sql += " AND note LIKE %s"
                params.append(f"%{kw}%")
            return run(sql, params).fetchall()
    """)
    assert plain.text == "SELECT id FROM orders WHERE user_id = ?"
    assert filtered.text == "SELECT id FROM orders WHERE user_id = ? AND note LIKE ?"
    for query in (plain, filtered):  # reported where the SQL is written, not inside run()
        assert (query.line, query.scope, query.call) == (14, "orders", "run")
    assert bound(filtered) == ["{user_id}", "%{kw}%"]


def test_varargs_helper_and_a_wrapper_of_it_bind_the_spread_values() -> None:
    queries = extract("""
        def query(sql, *args):
            cur = db.cursor()
            cur.execute(sql, args)
            return cur.fetchall()

        def first(sql, *args):
            rows = query(sql, *args)
            return rows[0] if rows else None

        def by_name(name, city):
            return query("SELECT id FROM users WHERE name = %s AND city = %s", name, f"%{city}")

        def one_user(user_id):
            return first("SELECT id, email FROM users WHERE id = %s", user_id)
    """)
    by_scope = {q.scope: q for q in queries}
    assert set(by_scope) == {"by_name", "one_user"}  # nothing reported inside query() or first()
    assert bound(by_scope["by_name"]) == ["{name}", "%{city}"]  # not the first value for every slot
    assert by_scope["one_user"].text == "SELECT id, email FROM users WHERE id = ?"
    assert (by_scope["one_user"].line, by_scope["one_user"].call) == (15, "first")
    assert bound(by_scope["one_user"]) == ["{user_id}"]


def test_method_helper_called_on_self_or_on_a_held_instance() -> None:
    queries = extract("""
        class Database:
            def __init__(self, conn):
                self.conn = conn

            def run(self, sql, params=None):
                cur = self.conn.cursor()
                cur.execute(sql, params or ())
                return cur

            def count_users(self):
                return self.run("SELECT COUNT(*) FROM users").fetchone()

        class OrderService:
            def __init__(self, db):
                self.db = db

            def recent(self, user_id):
                return self.db.run("SELECT id FROM orders WHERE user_id = %s ORDER BY id DESC LIMIT 5", (user_id,))
    """)
    assert sorted((q.scope, q.line) for q in queries) == [("Database.count_users", 12), ("OrderService.recent", 19)]
    [recent] = [q for q in queries if q.scope == "OrderService.recent"]
    assert bound(recent) == ["{user_id}"]


def test_the_sql_parameter_need_not_come_first() -> None:
    [query] = extract("""
        class Engine:
            def query(self, db_name, sql, limit_num=0):
                conn = self.get_connection(db_name)
                cursor = conn.cursor()
                cursor.execute(sql)
                return cursor.fetchall()

            def tables(self, db_name):
                return self.query(db_name, "SELECT table_name FROM information_schema.tables")
    """)
    assert (query.scope, query.text) == ("Engine.tables", "SELECT table_name FROM information_schema.tables")


def test_functions_that_do_not_run_their_parameter_are_not_sinks() -> None:
    queries = extract("""
        def log(sql):
            print(sql)

        def replaced(sql):
            sql = "SELECT 1"
            cur.execute(sql)

        def caller():
            log("SELECT id FROM users WHERE id = 1")
            replaced("SELECT id FROM orders")
    """)
    # log() prints; replaced() runs its own constant: neither call runs the caller's text
    assert [(q.scope, q.text) for q in queries] == [("replaced", "SELECT 1")]


def test_a_leading_wildcard_bound_through_a_helper_is_reported(tmp_path: Path) -> None:
    result = check_snippet(tmp_path, """
        def run(sql, params=()):
            with get_db() as conn:
                return conn.execute(sql, params)

        def search(kw):
            return run("SELECT id FROM users WHERE email LIKE %s", (f"%{kw}%",))
    """, language="python")
    [finding] = [f for f in result.findings if f.rule == "S005"]
    assert finding.line == 7
