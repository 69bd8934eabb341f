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
    # log() prints; replaced() runs its own constant: neither call runs the caller's text (the call of
    # replaced() carries its own statement, for the caller's scope rules only)
    assert [(q.scope, q.text, q.resolved_from) for q in queries] == [
        ("replaced", "SELECT 1", None), ("caller", "SELECT 1", "replaced")]


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


SERVANTS = """
    def _servant_query(cursor, where='', orderby='name', start=0, limit=0):
        query = "SELECT id, name FROM servant_list"
        if where != '': query += " WHERE %s" % where
        if orderby != '': query += " ORDER BY %s" % orderby
        if start > 0 and limit > 0: query += " LIMIT %s, %s" % (start, limit)
        if start > 0 and limit < 1: query += " LIMIT 0, %s" % (limit)
        if start < 1 and limit > 0: query += " LIMIT %s" % (limit)
        cursor.execute(query)
        return cursor.fetchall()

    def all_servants(cursor):
        return _servant_query(cursor=cursor)

    def first_page(cursor):
        return _servant_query(cursor, orderby='', limit=10)

    def by_deity(cursor, deity_id):
        return _servant_query(where="deity = %d" % deity_id, cursor=cursor)
"""


def test_sql_built_from_parameters_is_read_at_each_call_with_its_arguments() -> None:
    queries = extract(SERVANTS)
    by_scope: dict[str, set[str]] = {}
    for query in queries:
        by_scope.setdefault(query.scope or "", set()).add(query.text)
    # the tests on parameters bound to constants take one arm at each call: no LIMIT … LIMIT combinations
    assert by_scope["all_servants"] == {"SELECT id, name FROM servant_list ORDER BY name"}
    assert by_scope["first_page"] == {"SELECT id, name FROM servant_list LIMIT ?"}
    # where is text that is never empty at this call: `where != ''` holds, no reading without the WHERE
    assert by_scope["by_deity"] == {"SELECT id, name FROM servant_list WHERE deity = ? ORDER BY name"}
    assert [(q.line, q.call) for q in queries if q.scope == "first_page"] == [(16, "_servant_query")]
    # every use of the private function is one of those calls: its own reading (holes) is gone
    assert "_servant_query" not in by_scope


def test_the_private_builder_no_longer_reports_its_parameters(tmp_path: Path) -> None:
    result = check_snippet(tmp_path, SERVANTS, language="python")
    assert not [f for f in result.findings if f.rule in ("E004", "S003", "S014")], result.findings


def test_a_public_builder_keeps_its_own_reading_and_gains_its_callers() -> None:
    queries = extract("""
        def count(cur, table, where="1=1"):
            cur.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}")
            return cur.fetchone()[0]

        def active_users(cur):
            return count(cur, "users", "active = 1")

        def orders_of(cur, request):
            return count(cur, request.args["table"])
    """)
    at = {(q.scope, q.text) for q in queries}
    assert ("active_users", "SELECT COUNT(*) FROM users WHERE active = 1") in at
    # another module may call it: its own reading stays; a caller passing an unknown changes nothing (the
    # call carries the function's own reading, for the caller's scope rules only)
    assert {q.scope for q in queries if q.resolved_from is None} == {"count", "active_users"}
    assert [(q.scope, q.resolved_from) for q in queries if q.resolved_from] == [("orders_of", "count")]


def test_a_function_running_fixed_sql_is_carried_to_its_callers_for_scope_rules_only() -> None:
    queries = extract("""
        def get_order(cur, order_id):
            cur.execute("SELECT id, status FROM orders WHERE id = %s", (order_id,))
            return cur.fetchone()

        def show(cur, order_id):
            return get_order(cur, order_id)
    """)
    # Statement rules judge it where it is written; at the call it is a statement defined elsewhere
    # (``resolved_from``), which N+1 and mergeable reads in the caller see.
    assert [(q.scope, q.line, q.resolved_from, q.origin) for q in queries] == [
        ("get_order", 3, None, ()), ("show", 7, "get_order", (("app.py", 3, 5),))]


def test_a_private_builder_passed_on_as_a_callback_keeps_its_reading() -> None:
    queries = extract("""
        def _by(cur, column):
            cur.execute(f"SELECT id FROM users WHERE {column} = 1")

        def admins(cur):
            return _by(cur, "is_admin")

        HANDLERS = {"by": _by}
    """)
    # HANDLERS may call it with anything: its reading with the hole for `column` stays beside the call's
    assert [(q.scope, q.text) for q in queries] == [("_by", "SELECT id FROM users WHERE sqllint_hole_1 = 1"),
                                                    ("admins", "SELECT id FROM users WHERE is_admin = 1")]


def test_a_builder_called_in_a_loop_is_an_n_plus_1_at_the_call(tmp_path: Path) -> None:
    result = check_snippet(tmp_path, """
        def items_for(cur, order_id, extra=""):
            cur.execute(f"SELECT sku, qty FROM order_items WHERE order_id = %s {extra}", (order_id,))
            return cur.fetchall()

        def report(cur, orders):
            rows = []
            for order in orders:
                rows += items_for(cur, order.id, "AND qty > 0")
            return rows
    """, language="python")
    [finding] = [f for f in result.findings if f.rule == "M002"]
    assert (finding.line, finding.scope) == (9, "report")


def write_project(tmp_path: Path, files: dict[str, str]) -> None:
    for name, code in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(code), encoding="utf-8")


DB_MODULE = """
    from contextlib import closing

    def run(sql, params=()):
        with closing(get_connection().cursor()) as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    class Database:
        def query(self, sql, *args):
            cur = self.conn.cursor()
            cur.execute(sql, args)
            return cur.fetchall()
"""


def test_a_helper_of_another_module_is_a_sink_where_it_is_imported_and_called(tmp_path: Path) -> None:
    from sqllint.config import Config
    from sqllint.engine import run as check

    write_project(tmp_path, {"app/db.py": DB_MODULE, "app/views.py": """
        from app.db import run

        def search(db, kw):
            users = run("SELECT id FROM users WHERE email LIKE %s", (f"%{kw}%",))
            orders = db.query("SELECT id FROM orders WHERE note LIKE %s", f"%{kw}%")
            return users, orders
    """, "app/other.py": """
        def run(task):  # not the helper: this module does not import it
            return task.start("SELECT id FROM users")
    """})
    result = check(["."], Config(root=tmp_path), tmp_path, jobs=1)
    leading = sorted((f.path, f.line) for f in result.findings if f.rule == "S005")
    assert leading == [("app/views.py", 5), ("app/views.py", 6)]
    assert not [f for f in result.findings if f.path == "app/other.py"]


def test_a_partial_run_of_the_caller_alone_reads_the_imported_helper(tmp_path: Path) -> None:
    """Pre-commit passes only the changed file: the helper module it imports is indexed anyway (also
    through a package __init__ re-exporting it, and a relative import), unrelated modules are not."""
    from sqllint.config import Config
    from sqllint.engine import run as check

    write_project(tmp_path, {"app/db.py": DB_MODULE, "app/__init__.py": "from .db import run, Database\n",
                             "app/views.py": """
        from app import run
        from .db import Database

        def search(db: Database, kw):
            users = run("SELECT id FROM users WHERE email LIKE %s", (f"%{kw}%",))
            orders = db.query("SELECT id FROM orders WHERE note LIKE %s", f"%{kw}%")
            return users, orders
    """, "app/reports.py": """
        def export(cur, table):  # a module views.py does not import
            cur.execute(f"SELECT * FROM {table}")
    """})
    full = check(["."], Config(root=tmp_path), tmp_path, jobs=1)
    partial = check(["app/views.py"], Config(root=tmp_path), tmp_path, jobs=1)
    expected = [("app/views.py", 6), ("app/views.py", 7)]
    assert sorted((f.path, f.line) for f in partial.findings if f.rule == "S005") == expected
    assert [f for f in full.findings if f.path == "app/views.py"] == partial.findings


def test_two_modules_defining_helpers_of_one_name_each_serve_the_modules_importing_them(tmp_path: Path) -> None:
    """app.db's run(sql, params) and legacy.db's run(conn, sql): each caller reads the SQL argument of the
    helper it imports (a module import, an alias and a class import too); a partial run agrees."""
    from sqllint.config import Config
    from sqllint.engine import run as check

    write_project(tmp_path, {"app/__init__.py": "", "app/db.py": DB_MODULE, "legacy/__init__.py": "",
                             "legacy/db.py": """
        def run(conn, sql):
            return conn.cursor().execute(sql)

        class Database:
            def query(self, conn, sql):
                return conn.cursor().execute(sql)
    """, "app/views.py": """
        from app.db import run as fetch, Database

        def search(db: Database, kw):
            users = fetch("SELECT id FROM users WHERE email LIKE %s", (f"%{kw}%",))
            orders = db.query("SELECT id FROM orders WHERE note LIKE %s", f"%{kw}%")
            return users, orders
    """, "legacy/views.py": """
        import legacy.db as db
        from legacy import db as same

        def search(conn, kw):
            db.run(conn, f"SELECT id FROM users WHERE email LIKE '%{kw}'")
            return same.run(conn, "SELECT id FROM orders WHERE note LIKE '%x'")
    """})
    full = check(["."], Config(root=tmp_path), tmp_path, jobs=1)
    leading = sorted((f.path, f.line) for f in full.findings if f.rule == "S005")
    assert leading == [("app/views.py", 5), ("app/views.py", 6), ("legacy/views.py", 6), ("legacy/views.py", 7)]
    for path in ("app/views.py", "legacy/views.py"):
        partial = check([path], Config(root=tmp_path), tmp_path, jobs=1)
        assert partial.findings == [f for f in full.findings if f.path == path]


def test_a_changed_helper_module_is_read_again_by_a_cached_caller(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from sqllint.cli import main

    monkeypatch.chdir(tmp_path)
    write_project(tmp_path, {"db.py": "def run(sql):\n    return 1\n", "views.py": """
        from db import run

        def page():
            return run("SELECT id FROM users WHERE email LIKE '%a'")
    """})
    before = CliRunner().invoke(main, ["check", "--format", "json", "--isolated", "."], catch_exceptions=False)
    assert '"S005"' not in before.output  # run() does not execute anything yet
    write_project(tmp_path, {"db.py": "def run(sql):\n    return CONN.execute(sql)\n"})
    after = CliRunner().invoke(main, ["check", "--format", "json", "--isolated", "."], catch_exceptions=False)
    assert '"S005"' in after.output  # views.py is unchanged, but its cached result is not reused


def test_a_driver_call_sharing_a_helper_method_name_still_runs_its_first_argument() -> None:
    queries = extract("""
        class Engine:
            def query(self, db_name, sql):
                return self.connect(db_name).cursor().execute(sql)

        def report(conn):
            return conn.query("SELECT id FROM orders")  # the driver's query(sql), not Engine.query
    """)
    assert [(q.scope, q.text) for q in queries] == [("report", "SELECT id FROM orders")]
