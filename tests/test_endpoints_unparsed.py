"""An endpoint whose queries sqlglot cannot parse still runs them: they stay in its chain, count as
its queries and carry their E001 (they had dropped out, and the endpoint showed 0 queries)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from click.testing import CliRunner

from sqllint.cli import main
from sqllint.config import Config
from sqllint.endpoints.build import build_map

APP = '''
from flask import Flask
import pymysql

app = Flask(__name__)

def db():
    return pymysql.connect(host="db").cursor()

@app.route("/reports/<int:year>")
def report(year):
    cur = db()
    cur.execute("SELECT id FROM reports WHERE year = %s", (year,))
    ids = cur.fetchall()
    cur.execute("SELECT region, SUM(total) FROM sales WHERE year = %s AND GROUP BY region", (year,))
    return {"ids": ids, "totals": cur.fetchall()}
'''


def write(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(APP), encoding="utf-8")


def test_an_unparseable_query_stays_in_the_chain_with_its_e001(tmp_path: Path) -> None:
    write(tmp_path)
    emap = build_map(["."], Config(root=tmp_path), tmp_path, jobs=1)
    [chain] = emap.select("GET /reports/<int:year>")
    assert [q.query.query.line for q in chain.queries] == [13, 15]  # in call order, the broken one included
    broken = chain.queries[1]
    assert broken.query.error is not None and broken.query.tree is None
    assert [f.rule for f in emap.query_findings(broken)] == ["E001"]
    assert "E001" in {f.rule for f in chain.query_findings}


def test_the_listing_counts_it_whether_checked_in_workers_or_read_back_from_the_cache(tmp_path: Path,
                                                                                      monkeypatch) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path)
    monkeypatch.chdir(tmp_path)
    for args in (["--no-cache"], [], []):  # the second run fills the cache, the third reads it back
        result = CliRunner().invoke(main, ["endpoints", "--format", "json", "-j", "2", *args],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        [endpoint] = json.loads(result.output)["endpoints"]
        assert endpoint["query_count"] == 2, endpoint
        assert endpoint["worst"]["rule"] == "E001", endpoint


def test_the_cache_keeps_why_a_statement_has_no_tree(tmp_path: Path) -> None:
    from sqllint.explain.facts import restore, store

    write(tmp_path)
    emap = build_map(["."], Config(root=tmp_path), tmp_path, jobs=1)
    broken = emap.select("GET /reports/<int:year>")[0].queries[1].query
    again = restore(json.loads(json.dumps(store(broken))))
    assert again.error == broken.error and again.tree is None  # not taken for a statement to parse and explain


def test_the_report_says_why_it_has_no_plan(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import os

    write(tmp_path)
    monkeypatch.chdir(tmp_path)
    dsn = os.environ.get("SQLLINT_TEST_DSN", "mysql://root@127.0.0.1:3306/").rstrip("/") + "/mysql"
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", "--html", str(out), "--no-cache", "--dsn", dsn],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "no plan: the statement does not parse" in page  # not "was not explained"
