"""`.sql` scripts: statement splitting and the named-query files of aiosql, yesql, sqlc, PugSQL, HugSQL."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

from sqllint.cli import main
from sqllint.extract.sqlfile import extract_sql

AIOSQL = """\
-- A query file of aiosql
SELECT 1;

-- name: get-all-greetings
-- Get all the greetings in the database
SELECT greeting_id, greeting FROM greetings

-- name: get-user-by-username^
SELECT user_id, username, name
  FROM users
 WHERE username = :username;

-- name: ListAuthors :many
SELECT * FROM authors ORDER BY name;
-- :name search_users :many
-- sqllint: ignore[S011]
SELECT * FROM users WHERE name LIKE '%x'
"""


def test_name_comments_name_and_separate_statements_even_without_semicolons() -> None:
    queries = extract_sql(AIOSQL, "queries.sql")
    assert [(q.line, q.end_line, q.scope) for q in queries] == [
        (2, 2, None), (6, 6, "get_all_greetings"), (9, 11, "get_user_by_username"), (14, 14, "ListAuthors"),
        (17, 17, "search_users")]
    assert queries[1].raw == "SELECT greeting_id, greeting FROM greetings"
    assert [p.name for p in queries[2].placeholders] == ["username"]
    assert queries[4].suppressed == frozenset({"S011"})  # the block's comments still hold suppressions


def test_a_script_without_names_is_split_as_before() -> None:
    script = "SELECT 1;\n\nDELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 2; END//\nDELIMITER ;\nSELECT 'name: x'\n\n\n"
    queries = extract_sql(script, "s.sql")
    assert [(q.line, q.end_line, q.scope) for q in queries] == [(1, 1, None), (4, 4, None), (6, 6, None)]
    assert queries[1].raw == "CREATE PROCEDURE p() BEGIN SELECT 2; END"


def test_findings_and_explain_know_the_query_by_its_name(tmp_path: Path) -> None:
    (tmp_path / "queries.sql").write_text(AIOSQL, encoding="utf-8")
    previous = os.getcwd()
    os.chdir(tmp_path)
    try:
        runner = CliRunner(env={"SQLLINT_DSN": None})
        checked = runner.invoke(main, ["check", "--isolated", "--format", "json", "."], catch_exceptions=False)
        found = {(f["rule"], f["line"]) for f in json.loads(checked.stdout)["findings"]}
        assert ("S005", 17) in found and ("S011", 17) not in found and ("S011", 14) in found
        shown = runner.invoke(main, ["explain", "get_user_by_username", "--format", "json"], catch_exceptions=False)
    finally:
        os.chdir(previous)
    [query] = json.loads(shown.stdout)["queries"]
    assert (query["line"], query["scope"]) == (9, "get_user_by_username")


NAMED = """\
-- name: get-user
SELECT id, name FROM users WHERE id = :user_id;

-- name: orders-of-user
SELECT id, total FROM orders WHERE user_id = :user_id;

-- name: user-email
SELECT email FROM users WHERE id = :user_id;
"""


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def scope_findings(root: Path, paths: list[str]) -> list[tuple[str, str, int, str]]:
    from sqllint.config import Config
    from sqllint.engine import run

    result = run(paths, Config(root=root), root, jobs=1)
    return sorted((f.rule, f.path, f.line, f.sql) for f in result.findings if f.rule in ("M001", "M002"))


def test_aiosql_calls_run_the_named_statements_n_plus_1_and_merges_included(tmp_path: Path) -> None:
    write(tmp_path, {"sql/users.sql": NAMED, "app/__init__.py": "", "app/db.py": (
        "import aiosql\n\nqueries = aiosql.from_path('sql', 'pymysql')\n"), "app/views.py": """\
from app.db import queries


def profile(conn, user_id):
    user = queries.get_user(conn, user_id=user_id)
    email = queries.user_email_cursor(conn, user_id=user_id)
    return user, email


def report(conn, users):
    return [queries.orders_of_user(conn, user_id=u["id"]) for u in users]


def unrelated(repo, users):
    for u in users:
        repo.orders_of_user(u)  # not a name bound to a query loader: not the named query
"""})
    expected = [("M001", "app/views.py", 6, "SELECT email FROM users WHERE id = :user_id"),
                ("M002", "app/views.py", 11, "SELECT id, total FROM orders WHERE user_id = :user_id")]
    assert scope_findings(tmp_path, ["."]) == expected
    assert scope_findings(tmp_path, ["app/views.py"]) == expected  # pre-commit: the .sql file is read anyway


def test_pugsql_and_a_loader_held_on_an_object(tmp_path: Path) -> None:
    write(tmp_path, {"queries/users.sql": "-- :name orders_of_user :many\nSELECT id FROM orders WHERE user_id = :uid\n",
                     "service.py": """\
import pugsql


class Service:
    def __init__(self):
        self.queries = pugsql.module("queries/")

    def totals(self, users):
        for u in users:
            self.queries.orders_of_user(uid=u.id)
"""})
    assert [f[:3] for f in scope_findings(tmp_path, ["."])] == [("M002", "service.py", 10)]


def test_an_edited_named_query_is_read_again_by_a_cached_caller(tmp_path: Path) -> None:
    from sqllint.config import Config
    from sqllint.engine import run

    write(tmp_path, {"q.sql": "-- name: one\nSELECT id FROM t WHERE id = :id;\n", "app.py": """\
import aiosql
queries = aiosql.from_path("q.sql", "pymysql")


def f(conn, ids):
    for i in ids:
        queries.one(conn, id=i)
"""})
    cache = tmp_path / ".sqllint_cache"
    first = run(["."], Config(root=tmp_path), tmp_path, jobs=1, cache_dir=cache)
    assert [f.sql for f in first.findings if f.rule == "M002"] == ["SELECT id FROM t WHERE id = :id"]
    (tmp_path / "q.sql").write_text("-- name: one\nSELECT name FROM t WHERE id = :id;\n", encoding="utf-8")
    second = run(["."], Config(root=tmp_path), tmp_path, jobs=1, cache_dir=cache)
    assert [f.sql for f in second.findings if f.rule == "M002"] == ["SELECT name FROM t WHERE id = :id"]


def test_unused_suppressions_are_reported_used_ones_are_not(tmp_path: Path) -> None:
    from sqllint.config import Config
    from sqllint.engine import run

    write(tmp_path, {"app.py": """\
def f(cur, kw):
    cur.execute("SELECT id FROM t WHERE name LIKE '%x'")  # sqllint: ignore[S005]
    cur.execute("SELECT id FROM t WHERE id = %s", (kw,))  # sqllint: ignore[leading-wildcard-like]
    cur.execute("SELECT id FROM t WHERE id = %s", (kw,))  # sqllint: ignore[P001, S999]
    cur.execute("SELECT id FROM t")  # sqllint: ignore
""", "q.sql": """\
-- sqllint: ignore[S011]
SELECT * FROM t;
-- sqllint: ignore[S004]
SELECT id FROM t WHERE id = 1;
""", "wide.sql": "-- sqllint: ignore-file[S004]\nSELECT id FROM t WHERE id = 1;\n"})
    found = run(["."], Config(root=tmp_path), tmp_path, jobs=1).findings
    stale = sorted((f.path, f.line, f.message) for f in found if f.rule == "N001")
    assert stale == [
        ("app.py", 3, "`sqllint: ignore[leading-wildcard-like]` suppresses nothing on this statement"),
        ("app.py", 4, "`sqllint: ignore[S999]` suppresses nothing on this statement (S999: no such rule)"),
        ("q.sql", 4, "`sqllint: ignore[S004]` suppresses nothing on this statement"),
    ]  # line 2 silences an S005, P001 needs a database, a blanket ignore and ignore-file are not judged
    narrowed = run(["."], Config(root=tmp_path, select=("N001", "S011")), tmp_path, jobs=1).findings
    assert ("app.py", 2) in {(f.path, f.line) for f in narrowed if f.rule == "N001"}  # S005 is not enabled
    assert "S005: not enabled in this run" in next(f.message for f in narrowed if (f.path, f.line) == ("app.py", 2))
