"""Values the code binds reach the EXPLAIN, live: a LIKE slot bound to "%" + kw + "%" is explained as the
substring search it is, not as the prefix search a placeholder alone would suggest."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

from click.testing import CliRunner

from sqllint.cli import main

SEARCHES = '''
def by_email(cur, kw):
    cur.execute("SELECT id, name FROM users WHERE email LIKE %s", (f"%{kw}%",))


def by_email_prefix(cur, kw):
    cur.execute("SELECT id, name FROM users WHERE email LIKE %s", (kw + "%",))
'''


def explain(tmp_path: Path, target: str, dsn: str, *options: str) -> dict:
    (tmp_path / "search.py").write_text(textwrap.dedent(SEARCHES), encoding="utf-8")
    previous = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner(env={"SQLLINT_DSN": None}).invoke(
            main, ["explain", f"search.py:{target}", "--dsn", dsn, "--format", "json", *options],
            catch_exceptions=False)
    finally:
        os.chdir(previous)
    (query,) = json.loads(result.stdout)["queries"]
    (variant,) = query["variants"]
    return variant


def test_a_bound_leading_wildcard_is_explained_as_a_substring_search(tmp_path: Path, shop_db) -> None:
    search = explain(tmp_path, "by_email", shop_db.dsn, "--no-cache")
    assert "LIKE '%a%'" in search["sent_sql"]
    (row,) = search["plan"]["rows"]
    assert row["access_type"] in ("ALL", "index")  # every row or every index entry: no prefix to seek on
    assert "S005" in {f["rule"] for f in search["findings"]}

    prefix = explain(tmp_path, "by_email_prefix", shop_db.dsn, "--no-cache")
    assert "LIKE 'a%'" in prefix["sent_sql"]
    (row,) = prefix["plan"]["rows"]
    assert row["access_type"] == "range" and row["key"] == "uq_users_email"
    assert "S005" not in {f["rule"] for f in prefix["findings"]}


def test_the_bound_shape_survives_the_result_and_plan_caches(tmp_path: Path, shop_db) -> None:
    cold = explain(tmp_path, "by_email", shop_db.dsn)
    warm = explain(tmp_path, "by_email", shop_db.dsn)  # statements and plans read back from the caches
    assert "LIKE '%a%'" in cold["sent_sql"] and warm["sent_sql"] == cold["sent_sql"]
    prefix = explain(tmp_path, "by_email_prefix", shop_db.dsn)  # same text, other binding: its own plan
    assert "LIKE 'a%'" in prefix["sent_sql"] and prefix["plan"]["rows"][0]["access_type"] == "range"
