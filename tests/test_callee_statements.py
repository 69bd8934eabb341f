"""A call of a function that runs several statements puts them all at the call site (a Python function
walked with the caller's arguments, a Java DAO method, a same-class helper called in a loop). They are
statements that all run, not variants of one: mergeable queries (M001) and N+1 (M002) read them so,
while the variants of one dynamic statement stay alternatives."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from click.testing import CliRunner

from sqllint.cli import main
from sqllint.config import Config
from sqllint.engine import run
from sqllint.records import Finding


def check(root: Path, files: dict[str, str]) -> list[Finding]:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    found = run(["."], Config(root=root), root, jobs=1).findings
    return [f for f in found if f.rule in ("M001", "M002")]


def located(found: list[Finding]) -> list[tuple[str, str, int]]:
    return sorted((f.rule, f.path, f.line) for f in found)


# The table is the caller's: the function is read again at each call, and its own reading (with a
# `{table}` hole) is dropped since every use of it is such a call.
PROFILE = """\
    def _profile(cur, table, uid):
        cur.execute(f"SELECT name FROM {table} WHERE id = %s", (uid,))
        name = cur.fetchone()
        cur.execute(f"SELECT email FROM {table} WHERE id = %s", (uid,))
        return name, cur.fetchone()


    def show(cur, uid):
        return _profile(cur, "users", uid)
    """


def test_two_reads_of_a_python_function_called_once_are_mergeable_at_the_call(tmp_path: Path) -> None:
    found = check(tmp_path, {"app.py": PROFILE})
    assert located(found) == [("M001", "app.py", 9)]
    assert found[0].message == ("`_profile` reads users by the same key (id) as its query on line 2: "
                                "merge them into one query")
    assert found[0].sql == "SELECT email FROM users WHERE id = %s"


def test_a_read_of_the_caller_and_the_second_statement_of_a_function_are_mergeable(tmp_path: Path) -> None:
    # The function's first statement reads another table: the call is no longer "one read by one key".
    found = check(tmp_path, {"app.py": """\
        def _load(cur, table, orders, uid):
            cur.execute(f"SELECT id FROM {orders} WHERE user_id = %s", (uid,))
            cur.execute(f"SELECT email FROM {table} WHERE id = %s", (uid,))
            return cur.fetchone()


        def show(cur, uid):
            _load(cur, "users", "orders", uid)
            cur.execute("SELECT name FROM users WHERE id = %s", (uid,))
            return cur.fetchone()
        """})
    assert located(found) == [("M001", "app.py", 9)]
    assert "as the query on line 8" in found[0].message


def test_the_variants_of_one_dynamic_statement_stay_alternatives(tmp_path: Path) -> None:
    found = check(tmp_path, {"app.py": """\
        def _orders(cur, table, uid, status):
            sql = f"SELECT id, total FROM {table} WHERE user_id = %s"
            args = [uid]
            if status:
                sql += " AND status = %s"
                args.append(status)
            cur.execute(sql, args)
            return cur.fetchall()


        def page(cur, uid, status):
            return _orders(cur, "orders", uid, status)
        """})
    assert found == []


def test_a_statement_whose_key_depends_on_optional_filters_is_no_read_by_one_key(tmp_path: Path) -> None:
    found = check(tmp_path, {"app.py": """\
        def _find(cur, table, uid, email):
            sql = f"SELECT id, name FROM {table} WHERE 1 = 1"
            args = []
            if uid:
                sql += " AND id = %s"
                args.append(uid)
            if email:
                sql += " AND email = %s"
                args.append(email)
            cur.execute(sql, args)
            return cur.fetchall()


        def show(cur, uid, email):
            return _find(cur, "users", uid, None), _find(cur, "users", None, email)
        """})
    assert found == []


def test_a_function_running_two_statements_in_a_loop_is_one_n_plus_one_per_statement(tmp_path: Path) -> None:
    # One finding per statement: each has its own SQL and IN-list rewrite, and says where it is written.
    found = check(tmp_path, {"app.py": PROFILE + """\


    def everyone(cur, ids):
        for uid in ids:
            _profile(cur, "users", uid)
    """})
    loops = sorted((f.message, f.suggestion) for f in found if f.rule == "M002")
    assert loops == [
        ("`_profile` (a SELECT on line 2) runs once per iteration of the loop on line 13 (N+1 queries)",
         "fetch everything before the loop with one query: SELECT name FROM users WHERE id IN (%s, %s, …)"),
        ("`_profile` (a SELECT on line 4) runs once per iteration of the loop on line 13 (N+1 queries)",
         "fetch everything before the loop with one query: SELECT email FROM users WHERE id IN (%s, %s, …)"),
    ]
    assert {f.line for f in found} == {9, 14}


def test_exclusive_arms_inside_the_function_are_kept_at_the_call(tmp_path: Path) -> None:
    found = check(tmp_path, {"app.py": """\
        def _contact(cur, table, uid, by_mail):
            if by_mail:
                cur.execute(f"SELECT email FROM {table} WHERE id = %s", (uid,))
            else:
                cur.execute(f"SELECT phone FROM {table} WHERE id = %s", (uid,))
            return cur.fetchone()


        def show(cur, uid, by_mail):
            return _contact(cur, "users", uid, by_mail)
        """})
    assert found == []


def test_a_commit_inside_the_function_separates_its_reads(tmp_path: Path) -> None:
    found = check(tmp_path, {"app.py": """\
        def _touch(conn, cur, table, uid):
            cur.execute(f"SELECT version FROM {table} WHERE id = %s", (uid,))
            conn.commit()
            cur.execute(f"SELECT name FROM {table} WHERE id = %s", (uid,))
            return cur.fetchone()


        def show(conn, cur, uid):
            return _touch(conn, cur, "users", uid)
        """})
    assert found == []


# --- Java: a service calling a DAO method that runs two statements ----------------------------------------

USER_DAO = """\
    package app.dao;

    @Repository
    public class UserDao {
        private final JdbcTemplate jdbc;

        public Profile load(long id) {
            List<Long> orders = jdbc.queryForList("SELECT id FROM orders WHERE user_id = ?", Long.class, id);
            String email = jdbc.queryForObject("SELECT email FROM users WHERE id = ?", String.class, id);
            return new Profile(orders, email);
        }

        public String contact(long id) {
            String mail = jdbc.queryForObject("SELECT email FROM users WHERE id = ?", String.class, id);
            String phone = jdbc.queryForObject("SELECT phone FROM users WHERE id = ?", String.class, id);
            return mail + phone;
        }
    }
    """

USER_SERVICE = """\
    package app.service;

    import app.dao.UserDao;

    @Service
    public class UserService {
        private final UserDao userDao;
        private final JdbcTemplate jdbc;

        public String show(long id) {
            Profile profile = userDao.load(id);
            String name = jdbc.queryForObject("SELECT name FROM users WHERE id = ?", String.class, id);
            return name + profile;
        }

        public String reach(long id) {
            return userDao.contact(id);
        }

        public void all(List<Long> ids) {
            for (Long id : ids) {
                userDao.load(id);
            }
        }
    }
    """


def test_a_service_read_and_a_dao_methods_second_statement_are_mergeable(tmp_path: Path) -> None:
    found = check(tmp_path, {"dao/UserDao.java": USER_DAO, "service/UserService.java": USER_SERVICE})
    service = [f for f in found if f.path == "service/UserService.java" and f.rule == "M001"]
    assert [f.message for f in service] == [
        "`jdbc.queryForObject` reads users by the same key (id) as `userDao.load → jdbc.queryForObject` on "
        "line 11: merge them into one query"]
    assert service[0].line == 12


def test_a_pair_inside_one_dao_method_is_reported_in_the_dao_only(tmp_path: Path) -> None:
    # The DAO's own check judges contact()'s two reads (with its arms); every call of it would repeat that.
    found = check(tmp_path, {"dao/UserDao.java": USER_DAO, "service/UserService.java": USER_SERVICE})
    assert ("M001", "dao/UserDao.java", 15) in located(found)
    assert [f for f in found if f.rule == "M001" and f.path == "service/UserService.java"
            and f.line == 17] == []


def test_a_dao_method_running_two_statements_in_a_service_loop_is_n_plus_one_per_statement(
        tmp_path: Path) -> None:
    found = check(tmp_path, {"dao/UserDao.java": USER_DAO, "service/UserService.java": USER_SERVICE})
    loops = sorted(f.message for f in found if f.rule == "M002")
    assert loops == [
        "`userDao.load → jdbc.queryForList` (UserDao.load, a SELECT at dao/UserDao.java:8) runs once per "
        "iteration of the loop on line 21 (N+1 queries)",
        "`userDao.load → jdbc.queryForObject` (UserDao.load, a SELECT at dao/UserDao.java:9) runs once per "
        "iteration of the loop on line 21 (N+1 queries)",
    ]
    assert {(f.path, f.line) for f in found if f.rule == "M002"} == {("service/UserService.java", 22)}


def test_a_same_class_helper_running_two_statements_in_a_loop(tmp_path: Path) -> None:
    found = check(tmp_path, {"Stock.java": """\
        public class Stock {
            private final JdbcTemplate jdbc;

            private void move(long id) {
                jdbc.update("UPDATE stock SET qty = qty - 1 WHERE id = ?", id);
                jdbc.update("INSERT INTO stock_log (stock_id) VALUES (?)", id);
            }

            public void moveAll(List<Long> ids) {
                for (Long id : ids) {
                    move(id);
                }
            }
        }
        """})
    assert sorted(f.sql for f in found if (f.rule, f.line) == ("M002", 11)) == [
        "INSERT INTO stock_log (stock_id) VALUES (?)", "UPDATE stock SET qty = qty - 1 WHERE id = ?"]


def test_a_go_function_running_two_statements_in_a_loop(tmp_path: Path) -> None:
    found = check(tmp_path, {"main.go": """\
        package main

        import "database/sql"

        func touch(db *sql.DB, id int64) {
        \tdb.Exec("UPDATE stock SET qty = qty - 1 WHERE id = ?", id)
        \tdb.Exec("INSERT INTO stock_log (stock_id) VALUES (?)", id)
        }

        func all(db *sql.DB, ids []int64) {
        \tfor _, id := range ids {
        \t\ttouch(db, id)
        \t}
        }
        """})
    assert sorted(f.message for f in found if (f.rule, f.line) == ("M002", 12)) == [
        "`touch → db.Exec` (an INSERT on line 7) runs once per iteration of the loop on line 11",
        "`touch → db.Exec` (an UPDATE on line 6) runs once per iteration of the loop on line 11"]


# --- check --endpoints: the chain reads the statements one by one too --------------------------------------

FLASK_APP = """\
    from flask import Flask

    app = Flask(__name__)


    def _profile(cur, table, uid):
        cur.execute(f"SELECT name FROM {table} WHERE id = %s", (uid,))
        name = cur.fetchone()
        cur.execute(f"SELECT email FROM {table} WHERE id = %s", (uid,))
        return name, cur.fetchone()


    def load(cur, uid):
        return _profile(cur, "users", uid)


    @app.route("/users")
    def index():
        cur = get_cursor()
        for uid in range(10):
            load(cur, uid)
        return "ok"
    """


def test_an_endpoint_loop_over_a_function_running_two_statements(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(FLASK_APP))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "--no-cache", "--endpoints", "--format", "json"],
                                catch_exceptions=False)
    found = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "M002"]
    assert sorted(f["sql"] for f in found) == ["SELECT email FROM users WHERE id = %s",
                                               "SELECT name FROM users WHERE id = %s"]
    assert {(f["path"], f["line"]) for f in found} == {("app.py", 21)}
    # The static run reads load's statements at its call (check carries a function's SQL to its calls):
    # the chain does not say them again.
    assert sorted(f["message"] for f in found) == [
        "`load` (a SELECT on line 7) runs once per iteration of the loop on line 20 (N+1 queries)",
        "`load` (a SELECT on line 9) runs once per iteration of the loop on line 20 (N+1 queries)"]


def test_explain_at_the_call_shows_each_statement_of_the_function_with_where_it_is_written(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(PROFILE))
    previous = Path.cwd()
    import os

    os.chdir(tmp_path)
    try:
        runner = CliRunner(env={"SQLLINT_DSN": None})
        text = runner.invoke(main, ["explain", "app.py:show"], catch_exceptions=False).stdout
        shown = runner.invoke(main, ["explain", "app.py:show", "--format", "json"], catch_exceptions=False).stdout
    finally:
        os.chdir(previous)
    assert "query 1 of 2: app.py:9 in show (written at line 2)" in text
    assert "query 2 of 2: app.py:9 in show (written at line 4)" in text
    queries = json.loads(shown)["queries"]
    assert [(q["line"], q["written_at"][-1][:2], q["variant_count"]) for q in queries] == [
        (9, ["app.py", 2], 1), (9, ["app.py", 4], 1)]


def test_each_statement_of_an_endpoint_chain_carries_only_its_own_findings(tmp_path: Path) -> None:
    from sqllint.endpoints.build import build_map

    (tmp_path / "app.py").write_text(textwrap.dedent(FLASK_APP))
    endpoint_map = build_map(["."], Config(root=tmp_path), tmp_path)
    (chain,) = endpoint_map.chains
    endpoint_map.attach(endpoint_map.result.findings)
    seen = []
    for item in chain.queries:
        own = {variant.fingerprint for variant in item.variants}
        found = endpoint_map.query_findings(item)
        assert all(f.fingerprint in own for f in found), (item.query.query.raw, found)
        seen += found
    # The M001 at load's call of _profile sits on the second statement only (before: on both), and each
    # statement gets the N+1 the static run reports for it at the loop's call of load.
    assert sorted((f.rule, f.sql) for f in seen) == [("M001", "SELECT email FROM users WHERE id = %s"),
                                                     ("M002", "SELECT email FROM users WHERE id = %s"),
                                                     ("M002", "SELECT name FROM users WHERE id = %s")]


def test_one_statement_called_twice_is_merged_into_an_in_list(tmp_path: Path, monkeypatch) -> None:
    """Two calls of one mapper method (or function) hand it a value each: the merged read takes both in
    an IN list, not the statement as it was (which would read only one of them)."""
    found = check(tmp_path, {
        "UserController.java": """\
            package com.x;
            @RestController
            public class UserController {
                private final UserMapper userMapper;
                @GetMapping("/pair")
                public List<User> pair() {
                    User a = userMapper.selectById(1L);
                    User b = userMapper.selectById(2L);
                    return List.of(a, b);
                }
            }
            """,
        "UserMapper.java": """\
            package com.x;
            @Mapper
            public interface UserMapper {
                @Select("SELECT id, name FROM users WHERE id = #{id}")
                User selectById(Long id);
            }
            """})
    merged = [f for f in found if f.rule == "M001"]
    assert [(f.path, f.line) for f in merged] == [("UserController.java", 8)]
    assert merged[0].suggestion == "SELECT id, name FROM users WHERE id IN (?, ?)"
    # Two different statements handed one argument still merge on it (the rule's own example).
    two = check(tmp_path / "py", {"app.py": """\
        def summary(cur, order_id):
            cur.execute("SELECT status FROM orders WHERE id = %s", (order_id,))
            cur.execute("SELECT total FROM orders WHERE id = %s", (order_id,))
        """})
    assert [f.suggestion for f in two] == ["SELECT status, total FROM orders WHERE id = %s"]
    # An endpoint calling a function twice: reported at the calls, once (the chain, which sees the one
    # statement run twice from inside the function, does not say it again).
    (tmp_path / "flask").mkdir()
    (tmp_path / "flask" / "app.py").write_text(textwrap.dedent("""\
        from flask import Flask
        app = Flask(__name__)


        def get_user(cur, uid):
            cur.execute("SELECT id, name FROM users WHERE id = %s", (uid,))
            return cur.fetchone()


        @app.route("/pair")
        def pair():
            cur = get_cursor()
            return [get_user(cur, 1), get_user(cur, 2)]
        """))
    monkeypatch.chdir(tmp_path / "flask")
    result = CliRunner().invoke(main, ["check", "--no-cache", "--endpoints", "--format", "json"],
                                catch_exceptions=False)
    merged = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "M001"]
    assert [f["suggestion"] for f in merged] == ["SELECT id, name FROM users WHERE id IN (%s, %s)"]


def test_a_functions_fixed_sql_is_judged_once_where_written_and_carried_to_its_calls(tmp_path: Path) -> None:
    """Statement rules (here SELECT *) judge the function's SQL where it is written, once; at each call
    it is only read by the scope rules (N+1 in the caller's loop)."""
    (tmp_path / "app.py").write_text(textwrap.dedent("""\
        def get_user(cur, uid):
            cur.execute("SELECT * FROM users WHERE id = %s", (uid,))
            return cur.fetchone()


        def owners(cur, orders):
            found = []
            for order in orders:
                found.append(get_user(cur, order["user_id"]))
            return found


        def one(cur, uid):
            return get_user(cur, uid)
        """))
    found = run(["."], Config(root=tmp_path), tmp_path, jobs=1).findings
    assert sorted((f.rule, f.line) for f in found) == [("M002", 9), ("S011", 2)]
    [loop] = [f for f in found if f.rule == "M002"]
    assert loop.message == "`get_user` (a SELECT on line 2) runs once per iteration of the loop on line 8 (N+1 queries)"
