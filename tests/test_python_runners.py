"""A call of another module's function that runs SQL carries that SQL to the call (``pyrunners``): the
caller's N+1 and mergeable reads are `check` findings, in a full run, a partial run and a cached one."""

from __future__ import annotations

import textwrap
from pathlib import Path

from sqllint.config import Config
from sqllint.engine import run
from sqllint.extract.pyrunners import imported_modules

DAO = """\
    def get_user(cur, uid):
        cur.execute("SELECT * FROM users WHERE id = %s", (uid,))
        return cur.fetchone()


    def by_table(cur, table, uid):
        cur.execute(f"SELECT id FROM {table} WHERE id = %s", (uid,))
        return cur.fetchone()


    def orders_with_items(cur, uid):
        cur.execute("SELECT id FROM orders WHERE user_id = %s", (uid,))
        found = cur.fetchall()
        for order in found:
            cur.execute("SELECT sku FROM order_items WHERE order_id = %s", (order["id"],))
        return found


    class UserRepo:
        @staticmethod
        def orders_of(cur, uid):
            cur.execute("SELECT id, total FROM orders WHERE user_id = %s", (uid,))
            return cur.fetchall()
    """

VIEWS = """\
    from app.dao import get_user, UserRepo, by_table
    from app import dao
    import app.dao as d


    def owners(cur, orders):
        return [get_user(cur, o["user_id"]) for o in orders]


    def orders(cur, users):
        for u in users:
            UserRepo.orders_of(cur, u)


    def pair(cur, a, b):
        return dao.get_user(cur, a), d.get_user(cur, b)


    def shaped(cur, ids):
        for i in ids:
            by_table(cur, "users", i)


    def one_page(cur, uid):
        return dao.orders_with_items(cur, uid)
    """


def project(root: Path, dao: str = DAO) -> Path:
    (root / "app").mkdir(parents=True, exist_ok=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "dao.py").write_text(textwrap.dedent(dao))
    (root / "app" / "views.py").write_text(textwrap.dedent(VIEWS))
    return root


def findings(root: Path, paths: list[str], cache: Path | None = None) -> list[tuple[str, str, int, str]]:
    result = run(paths, Config(root=root), root, jobs=1, cache_dir=cache)
    return sorted((f.rule, f.path, f.line, f.message) for f in result.findings if f.rule in ("M001", "M002", "S011"))


def test_calls_of_an_imported_modules_functions_carry_their_sql(tmp_path: Path) -> None:
    found = findings(project(tmp_path), ["."])
    assert found == [
        ("M001", "app/views.py", 16, "`dao.get_user` reads users by the same key (id) as `d.get_user` on line 16: "
                                     "merge them into one query"),
        ("M002", "app/dao.py", 15, "SELECT runs once per iteration of the loop on line 14 (N+1 queries)"),
        ("M002", "app/views.py", 7, "`get_user` (a SELECT at app/dao.py:2) runs once per iteration of the loop on "
                                    "line 7 (N+1 queries)"),
        ("M002", "app/views.py", 12, "`UserRepo.orders_of` (a SELECT at app/dao.py:22) runs once per iteration of "
                                     "the loop on line 11 (N+1 queries)"),
        # the statement rules judge the function's SQL once, where it is written
        ("S011", "app/dao.py", 2, "SELECT * returns every column: name the ones the caller uses"),
    ]
    # Not carried: SQL a parameter shapes (each caller's differs), and the callee's own loop at a call
    # outside the caller's loops (its N+1 is reported in the callee, line 15).


def test_a_partial_run_of_the_caller_finds_the_same(tmp_path: Path) -> None:
    root = project(tmp_path)
    full = [f for f in findings(root, ["."]) if f[1] == "app/views.py"]
    assert findings(root, ["app/views.py"]) == full


def test_a_cached_caller_is_checked_again_when_the_callee_changes(tmp_path: Path) -> None:
    root = project(tmp_path)
    cache = tmp_path / ".cache"
    before = findings(root, ["."], cache)
    assert findings(root, ["."], cache) == before
    # get_user stops running SQL: the callers' findings about it go, though views.py did not change
    (root / "app" / "dao.py").write_text(textwrap.dedent(DAO).replace(
        'cur.execute("SELECT * FROM users WHERE id = %s", (uid,))\n    return cur.fetchone()',
        "return CACHE[uid]"))
    after = findings(root, ["."], cache)
    assert [f for f in after if "get_user" in f[3]] == []
    assert any("UserRepo.orders_of" in f[3] for f in after)


def test_imported_modules_reads_import_lines_without_parsing() -> None:
    text = textwrap.dedent("""\
        import os, app.db as db
        from app.dao import get_user as g, UserRepo
        from . import helpers
        from ..core.models import (
            Order,  # a comment
            Item,
        )
        """).encode()
    found = imported_modules(text, "pkg/sub/views.py")
    assert {"os", "app.db", "app.dao", "app.dao.get_user", "app.dao.UserRepo", "pkg.sub", "pkg.sub.helpers",
            "pkg.core.models", "pkg.core.models.Order", "pkg.core.models.Item"} <= found


def test_methods_called_on_receivers_whose_class_the_code_names(tmp_path: Path) -> None:
    """``self.repo`` set from an annotated parameter or a constructor, an annotated parameter
    (``Optional`` too), a constructed local, a module-level instance: the method's SQL reaches the call."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "repo.py").write_text(textwrap.dedent("""\
        class UserRepo:
            def __init__(self, conn):
                self.conn = conn

            def get(self, uid):
                cur = self.conn.cursor()
                cur.execute("SELECT id, name FROM users WHERE id = %s", (uid,))
                return cur.fetchone()
        """))
    (tmp_path / "app" / "service.py").write_text(textwrap.dedent("""\
        from typing import Optional

        from app.repo import UserRepo


        class LocalRepo:
            def find(self, oid):
                cur = get_cursor()
                cur.execute("SELECT id FROM orders WHERE id = %s", (oid,))
                return cur.fetchone()


        class OrderService:
            def __init__(self, repo: UserRepo):
                self.repo = repo
                self.orders = LocalRepo()

            def owners(self, orders):
                return [self.repo.get(o["user_id"]) for o in orders]

            def lookup(self, ids):
                for i in ids:
                    self.orders.find(i)


        def by_param(repo: Optional[UserRepo], ids):
            for i in ids:
                repo.get(i)


        def by_local(conn, ids):
            repo = UserRepo(conn)
            return [repo.get(i) for i in ids]


        service = OrderService(None)


        def by_module_instance(orders):
            for o in orders:
                service.owners([o])


        def annotated(repo: "Annotated[UserRepo, Depends(get_repo)]", ids):
            for i in ids:
                repo.get(i)


        def untyped(repo, ids):
            for i in ids:
                repo.get(i)  # nothing says what repo is: not followed
        """))
    found = [(line, message.split(" runs ")[0]) for rule, path, line, message in findings(tmp_path, ["."])
             if rule == "M002"]
    assert found == [(19, "`self.repo.get` (a SELECT at app/repo.py:7)"),
                     (23, "`self.orders.find` (a SELECT on line 9)"),
                     (28, "`repo.get` (a SELECT at app/repo.py:7)"),
                     (33, "`repo.get` (a SELECT at app/repo.py:7)"),
                     (41, "`service.owners` (a SELECT at app/repo.py:7)"),
                     (46, "`repo.get` (a SELECT at app/repo.py:7)")]


def test_a_module_running_sql_through_the_projects_helper_is_carried_too(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    for name, text in {
        "__init__.py": "",
        "db.py": """\
            import sqlite3


            def run(sql, params=()):
                with sqlite3.connect("x.db") as conn:
                    return conn.execute(sql, params).fetchall()
            """,
        "users.py": """\
            from app.db import run


            def get_user(uid):
                return run("SELECT id, name FROM users WHERE id = ?", (uid,))
            """,
        "views.py": """\
            from app.users import get_user


            def owners(orders):
                return [get_user(o["user_id"]) for o in orders]
            """,
    }.items():
        (tmp_path / "app" / name).write_text(textwrap.dedent(text))
    assert findings(tmp_path, ["."]) == [
        ("M002", "app/views.py", 5, "`get_user` (a SELECT at app/users.py:5) runs once per iteration of the loop on "
                                    "line 5 (N+1 queries)")]


def test_editing_a_module_checks_again_only_the_modules_importing_it(tmp_path: Path, monkeypatch) -> None:
    from sqllint.checker import FileChecker

    root = project(tmp_path)
    (root / "app" / "other.py").write_text(textwrap.dedent("""\
        def count(cur):
            cur.execute("SELECT COUNT(*) FROM users")
            return cur.fetchone()
        """))
    (root / "app" / "report.py").write_text("from app.other import count\n\n\ndef total(cur):\n    return count(cur)\n")
    cache = tmp_path / ".cache"
    findings(root, ["."], cache)
    checked: list[str] = []
    original = FileChecker.check

    def recording(self, source):  # type: ignore[no-untyped-def]
        checked.append(source.path)
        return original(self, source)

    monkeypatch.setattr(FileChecker, "check", recording)
    # app/dao.py changes what get_user runs: it and views.py (which imports it) are checked again,
    # report.py (which imports only app.other) comes from the cache
    (root / "app" / "dao.py").write_text(textwrap.dedent(DAO).replace("SELECT * FROM users", "SELECT id FROM users"))
    findings(root, ["."], cache)
    assert sorted(checked) == ["app/dao.py", "app/views.py"]
