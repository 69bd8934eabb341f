"""Control flow in the records the scope rules read: which if/switch arm a query sits on (Query.branch)
and the transaction boundaries before it (Query.transaction), for every host-language extractor.
Rule-level behaviour (M001) is in tests/cases/static_rules.toml; these pin the records themselves."""

from __future__ import annotations

import textwrap
from pathlib import Path

from sqllint.extract import ExtractOptions
from sqllint.extract.golang import extract_go
from sqllint.extract.java import extract_java
from sqllint.extract.python import extract_python
from sqllint.records import Query
from tests.test_endpoints import DB, one, project


def by_text(queries: list[Query]) -> dict[str, Query]:
    return {q.text: q for q in queries}


def python_queries(code: str) -> dict[str, Query]:
    return by_text(extract_python(textwrap.dedent(code).encode(), "x.py").queries)


def test_python_arms_nested_if_and_early_return() -> None:
    q = python_queries('''
        def f(cur, a, b):
            cur.execute("SELECT 1 FROM t WHERE x = 0")
            if a:
                cur.execute("SELECT 1 FROM t WHERE x = 1")
                if b:
                    return cur.execute("SELECT 1 FROM t WHERE x = 2")
                cur.execute("SELECT 1 FROM t WHERE x = 3")
            else:
                cur.execute("SELECT 1 FROM t WHERE x = 4")
            cur.execute("SELECT 1 FROM t WHERE x = 5")
    ''')
    before, first, early, after_early, other, after = (q[f"SELECT 1 FROM t WHERE x = {n}"] for n in range(6))
    assert before.branch == () and after.branch == ()
    assert first.branch == ((4, 5, 0),)
    assert early.branch == ((4, 5, 0), (6, 9, 0))
    assert after_early.branch == ((4, 5, 0), (6, 9, 1))  # runs only when `if b:` did not return
    assert other.branch == ((4, 5, 1),)
    assert early.exclusive_with(after_early) and first.exclusive_with(other) and early.exclusive_with(other)
    assert not first.exclusive_with(early) and not before.exclusive_with(other) and not after.exclusive_with(first)


def test_python_try_handlers_exclude_each_other_not_the_body() -> None:
    q = python_queries('''
        def f(cur):
            try:
                cur.execute("SELECT 1 FROM t WHERE x = 0")
            except KeyError:
                cur.execute("SELECT 1 FROM t WHERE x = 1")
            except ValueError:
                cur.execute("SELECT 1 FROM t WHERE x = 2")
            else:
                cur.execute("SELECT 1 FROM t WHERE x = 3")
    ''')
    body, key_error, value_error, no_error = (q[f"SELECT 1 FROM t WHERE x = {n}"] for n in range(4))
    assert not body.exclusive_with(key_error) and not body.exclusive_with(no_error)
    assert key_error.exclusive_with(value_error) and value_error.exclusive_with(no_error)


def test_python_transaction_boundaries_are_counted_per_function() -> None:
    q = python_queries('''
        def f(conn, cur):
            cur.execute("SELECT 1 FROM t WHERE x = 0")
            conn.commit()
            cur.execute("SELECT 1 FROM t WHERE x = 1")
            cur.execute("ROLLBACK")
            cur.execute("SELECT 1 FROM t WHERE x = 2")

        def g(cur):
            cur.execute("SELECT 1 FROM t WHERE x = 3")
    ''')
    assert [q[f"SELECT 1 FROM t WHERE x = {n}"].transaction for n in range(4)] == [0, 1, 2, 0]
    assert "ROLLBACK" not in q  # a boundary, not a statement to check


def test_java_if_switch_catch_and_ternary_arms() -> None:
    source = textwrap.dedent('''
        class Dao {
            void f(JdbcTemplate jdbc, int mode, boolean flag) {
                if (flag) {
                    jdbc.queryForList("SELECT 1 FROM t WHERE x = 0");
                } else if (mode > 1) {
                    jdbc.queryForList("SELECT 1 FROM t WHERE x = 1");
                }
                switch (mode) {
                    case 1: jdbc.update("UPDATE t SET y = 1 WHERE x = 2");
                    case 2: jdbc.update("UPDATE t SET y = 1 WHERE x = 3"); break;
                    default: jdbc.update("UPDATE t SET y = 1 WHERE x = 4");
                }
                try {
                    jdbc.update("UPDATE t SET y = 1 WHERE x = 5");
                } catch (DataAccessException e) {
                    jdbc.update("UPDATE t SET y = 1 WHERE x = 6");
                }
                Object o = flag ? jdbc.queryForList("SELECT 1 FROM t WHERE x = 7")
                                : jdbc.queryForList("SELECT 1 FROM t WHERE x = 8");
            }
        }
    ''').encode()
    q = by_text(extract_java(source, "Dao.java", ExtractOptions()).queries)
    assert q["SELECT 1 FROM t WHERE x = 0"].exclusive_with(q["SELECT 1 FROM t WHERE x = 1"])
    case1, case2, default = (q[f"UPDATE t SET y = 1 WHERE x = {n}"] for n in (2, 3, 4))
    assert not case1.exclusive_with(case2)  # case 1 falls through into case 2
    assert case2.exclusive_with(default) and case1.exclusive_with(default)
    assert not q["UPDATE t SET y = 1 WHERE x = 5"].exclusive_with(q["UPDATE t SET y = 1 WHERE x = 6"])
    assert q["SELECT 1 FROM t WHERE x = 7"].exclusive_with(q["SELECT 1 FROM t WHERE x = 8"])


def test_go_switch_select_and_early_return() -> None:
    source = textwrap.dedent('''
        package store

        func F(db *sql.DB, mode int, ch chan int) error {
            switch mode {
            case 1:
                db.Exec("UPDATE t SET y = 1 WHERE x = 1")
            case 2:
                db.Exec("UPDATE t SET y = 1 WHERE x = 2")
            }
            select {
            case <-ch:
                db.Exec("UPDATE t SET y = 1 WHERE x = 3")
            default:
                db.Exec("UPDATE t SET y = 1 WHERE x = 4")
            }
            if mode == 0 {
                _, err := db.Exec("UPDATE t SET y = 1 WHERE x = 5")
                return err
            }
            _, err := db.Exec("UPDATE t SET y = 1 WHERE x = 6")
            return err
        }
    ''').encode()
    q = by_text(extract_go(source, "store.go", ExtractOptions()).queries)
    u = [q[f"UPDATE t SET y = 1 WHERE x = {n}"] for n in range(1, 7)]
    assert u[0].exclusive_with(u[1]) and u[2].exclusive_with(u[3]) and u[4].exclusive_with(u[5])
    assert not u[0].exclusive_with(u[2]) and not u[1].exclusive_with(u[5])


def test_endpoint_chain_keeps_a_helpers_arms_exclusive(tmp_path: Path) -> None:
    emap = project(tmp_path, {
        "app/__init__.py": "",
        "app/db.py": DB,
        "app/users.py": '''
            from app.db import connect

            def load_user(user_id, detailed):
                with connect() as cur:
                    if detailed:
                        cur.execute("SELECT id, name, email, phone FROM users WHERE id = %s", (user_id,))
                    else:
                        cur.execute("SELECT id, name FROM users WHERE id = %s", (user_id,))
                    return cur.fetchone()
        ''',
        "app/web.py": '''
            from flask import Flask
            from app.users import load_user

            app = Flask(__name__)

            @app.get("/u/<int:user_id>")
            def user(user_id):
                return load_user(user_id, detailed=True)
        ''',
    })
    chain = one(emap, "GET /u/1")
    assert len(chain.queries) == 2
    assert [f.rule for f in chain.findings if f.rule == "M001"] == []


def test_else_if_chains_of_early_returns() -> None:
    q = python_queries('''
        def get_user(cur, uid, email):
            if uid:
                cur.execute("SELECT 1 FROM t WHERE x = 1")
                return cur.fetchone()
            elif email:
                cur.execute("SELECT 1 FROM t WHERE x = 2")
                return cur.fetchone()
            cur.execute("SELECT 1 FROM t WHERE x = 3")
    ''')
    by_id, by_email, fallback = (q[f"SELECT 1 FROM t WHERE x = {n}"] for n in (1, 2, 3))
    assert fallback.exclusive_with(by_id) and fallback.exclusive_with(by_email)
    java = by_text(extract_java(textwrap.dedent('''
        class Dao {
            Object f(JdbcTemplate jdbc, Long id, String email) {
                if (id != null) {
                    return jdbc.queryForList("SELECT 1 FROM t WHERE x = 1");
                } else if (email != null) {
                    return jdbc.queryForList("SELECT 1 FROM t WHERE x = 2");
                }
                return jdbc.queryForList("SELECT 1 FROM t WHERE x = 3");
            }
        }
    ''').encode(), "Dao.java", ExtractOptions()).queries)
    assert java["SELECT 1 FROM t WHERE x = 3"].exclusive_with(java["SELECT 1 FROM t WHERE x = 2"])
    go = by_text(extract_go(textwrap.dedent('''
        package store

        func F(db *sql.DB, id int64, email string) (*sql.Rows, error) {
            if id != 0 {
                return db.Query("SELECT 1 FROM t WHERE x = 1")
            } else if email != "" {
                return db.Query("SELECT 1 FROM t WHERE x = 2")
            }
            return db.Query("SELECT 1 FROM t WHERE x = 3")
        }
    ''').encode(), "store.go", ExtractOptions()).queries)
    assert go["SELECT 1 FROM t WHERE x = 3"].exclusive_with(go["SELECT 1 FROM t WHERE x = 2"])
    assert not go["SELECT 1 FROM t WHERE x = 3"].exclusive_with(go["SELECT 1 FROM t WHERE x = 3"])
