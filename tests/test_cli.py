"""The command line's contract: exit codes, the JSON schema, rule docs, selection flags."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sqllint import __version__
from sqllint.cli import main

REPO = Path(__file__).resolve().parent.parent


def invoke(args: list[str], cwd: Path) -> tuple[int, str, str]:
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, args, catch_exceptions=False)
    finally:
        os.chdir(previous)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "dao.py").write_text(
        'def f(cur, kw):\n'
        '    cur.execute("SELECT id FROM users WHERE name LIKE \'%son\'")\n'
        '    cur.execute("SELECT * FROM users WHERE id = %s", (1,))\n', encoding="utf-8")
    (tmp_path / "clean.sql").write_text("SELECT id FROM users WHERE id = 1;\n", encoding="utf-8")
    return tmp_path


def test_findings_exit_1_and_clean_exit_0(project: Path) -> None:
    assert invoke(["check"], project)[0] == 1
    assert invoke(["check", "clean.sql"], project)[0] == 0
    assert invoke(["check", "--exit-zero"], project)[0] == 0
    # S005 is a warning and S011 info: failing only on errors makes the run pass.
    assert invoke(["check", "--fail-on", "error"], project)[0] == 0


def test_json_contract(project: Path) -> None:
    code, out, _ = invoke(["check", "--format", "json"], project)
    document = json.loads(out)
    assert code == 1 and document["version"] == 1
    assert set(document["stats"]) >= {"files", "queries", "parse_errors"}
    assert document["stats"]["files"] == 2
    required = {"rule", "name", "severity", "path", "line", "column", "message", "sql", "fingerprint", "variant"}
    for finding in document["findings"]:
        assert required <= set(finding)
        assert finding["path"] == "app/dao.py"  # relative to the working directory
    assert [(f["rule"], f["line"]) for f in document["findings"]] == [("S005", 2), ("S011", 3)]
    assert document["findings"][0]["severity"] == "warning"
    assert len(document["findings"][0]["fingerprint"]) == 16


def test_select_and_ignore(project: Path) -> None:
    _, out, _ = invoke(["check", "--format", "json", "--select", "S011"], project)
    assert [f["rule"] for f in json.loads(out)["findings"]] == ["S011"]
    _, out, _ = invoke(["check", "--format", "json", "--ignore", "leading-wildcard-like,S011"], project)
    assert json.loads(out)["findings"] == []
    code, _, err = invoke(["check", "--select", "S999"], project)
    assert code == 2 and "S999" in err


def test_missing_path_is_a_usage_error_naming_it(project: Path) -> None:
    code, _, err = invoke(["check", "nope/nothing.py"], project)
    assert code == 2 and "nope/nothing.py" in err


def test_output_file_and_text_summary(project: Path) -> None:
    code, out, _ = invoke(["check", "-o", "report.txt"], project)
    text = (project / "report.txt").read_text(encoding="utf-8")
    assert code == 1 and out == ""
    assert "app/dao.py" in text and "S005" in text and "leading-wildcard-like" in text
    assert "Found 2 findings" in text


def test_rules_table_and_rule_docs() -> None:
    code, out, _ = invoke(["rules"], REPO)
    assert code == 0 and "S001" in out and "unconditional-select-star-subquery" in out
    code, out, _ = invoke(["rule", "wide-join"], REPO)
    assert code == 0 and "S002" in out and "## Why is this bad?" in out and "threshold" in out
    assert invoke(["rule", "Z123"], REPO)[0] == 2


def test_version_and_help_run_as_a_real_command() -> None:
    done = subprocess.run([sys.executable, "-m", "sqllint", "--version"], capture_output=True, text=True, check=True)
    assert __version__ in done.stdout
    helped = subprocess.run([sys.executable, "-m", "sqllint", "check", "--help"], capture_output=True, text=True, check=True)
    assert "--format" in helped.stdout and "--select" in helped.stdout
