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
