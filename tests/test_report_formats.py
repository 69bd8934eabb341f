"""The CI output formats: SARIF (validated against the official 2.1.0 schema), GitHub workflow
commands, JUnit XML and the Markdown PR comment."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest

from sqllint.engine import RunResult, Stats
from sqllint.records import Finding, Severity
from sqllint.report import REPORTERS, OutputFormat, render
from sqllint.report.github import escape_data
from sqllint.report.sarif import render_sarif
from tests.test_cli import invoke

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))

FINDINGS = [
    Finding("S001", "unconditional-select-star-subquery", Severity.ERROR, "app/dao.py", 12, 5,
            "derived table `x` is `SELECT * FROM t`: 100% of rows, a, b", sql="SELECT a FROM (SELECT * FROM t) x",
            fingerprint="0123456789abcdef", variant="when kw is absent", suggestion="join t directly",
            end_line=14),
    Finding("S011", "select-star", Severity.INFO, "db/q.sql", 3, 1, "SELECT * returns every column",
            sql="SELECT * FROM users", fingerprint="fedcba9876543210"),
    Finding("E003", "unreadable-file", Severity.INFO, "blob.sql", 1, 1, "skipped: binary file"),
    Finding("R001", "plan-regression", Severity.ERROR, "app/dao.py", 30, 9,
            "plan got worse: orders: access ref → ALL, key idx_user → none, rows 16 → 480000",
            sql="SELECT id FROM orders WHERE user_id = %s", fingerprint="00000000000000aa"),
    Finding("R002", "plan-improvement", Severity.INFO, "app/dao.py", 40, 9, "plan got better: users: access ALL → ref",
            sql="SELECT id FROM users WHERE email = %s", fingerprint="00000000000000bb"),
]
RESULT = RunResult(FINDINGS, Stats(files=3, queries=5, statements=4))


def test_every_format_is_in_the_enum_and_the_registry_and_the_cli() -> None:
    assert {f.value for f in OutputFormat} >= {"text", "json", "sarif", "github", "junit", "markdown"}
    assert set(REPORTERS) == set(OutputFormat)
    for output_format in OutputFormat:
        assert render(RESULT, output_format)
        clean = render(RunResult([], Stats()), output_format)
        assert clean if output_format is not OutputFormat.GITHUB else clean == ""


def test_sarif_is_valid_against_the_official_schema_with_rules_and_fingerprints(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    work = tmp_path / "service"
    work.mkdir()
    document = json.loads(render_sarif(RESULT, cwd=work))
    jsonschema.Draft4Validator(SCHEMA).validate(document)
    run = document["runs"][0]
    assert document["version"] == "2.1.0"
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert set(rules) == {"S001", "S011", "E003", "R001", "R002"}
    s001 = rules["S001"]
    assert s001["shortDescription"]["text"] and s001["fullDescription"]["text"].startswith(s001["shortDescription"]["text"])
    assert "## Why is this bad?" in s001["help"]["text"]
    assert s001["helpUri"].endswith("docs/rules.md#s001-unconditional-select-star-subquery")
    first = run["results"][0]
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "service/app/dao.py"  # relative to the repository root
    assert location["region"]["startLine"] == 12 and location["region"]["startColumn"] == 5
    assert first["level"] == "error" and first["partialFingerprints"] == {"sqllintQuery/v1": "S001:0123456789abcdef"}
    assert run["results"][0]["ruleIndex"] == list(rules).index("S001")
    assert "partialFingerprints" not in run["results"][2]  # E003 has no query
    assert [r["level"] for r in run["results"]] == ["error", "note", "note", "error", "note"]
    empty = json.loads(render_sarif(RunResult([], Stats()), cwd=work))
    jsonschema.Draft4Validator(SCHEMA).validate(empty)


def test_sarif_from_the_cli_validates(tmp_path: Path) -> None:
    (tmp_path / "q.sql").write_text("SELECT * FROM users;\nSELECT id FROM t WHERE DATE(c) = '2024-01-01';\n")
    code, out, _ = invoke(["check", "--format", "sarif"], tmp_path)
    document = json.loads(out)
    jsonschema.Draft4Validator(SCHEMA).validate(document)
    assert code == 1 and {r["ruleId"] for r in document["runs"][0]["results"]} == {"S011", "S007"}


def test_github_workflow_commands_are_escaped_and_one_per_finding() -> None:
    lines = render(RESULT, OutputFormat.GITHUB).splitlines()
    assert len(lines) == len(FINDINGS)
    assert lines[0] == ("::error file=app/dao.py,line=12,col=5,endLine=14,"
                        "title=S001 unconditional-select-star-subquery::derived table `x` is `SELECT * FROM t`: "
                        "100%25 of rows, a, b (when kw is absent)%0AFix: join t directly")
    assert lines[1].startswith("::notice file=db/q.sql,line=3,col=1,title=S011 select-star::")
    assert escape_data("a\r\nb%") == "a%0D%0Ab%25"


def test_junit_is_well_formed_with_one_failing_case_per_finding() -> None:
    root = ET.fromstring(render(RESULT, OutputFormat.JUNIT))
    assert root.tag == "testsuites" and root.get("failures") == str(len(FINDINGS))
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"app/dao.py", "db/q.sql", "blob.sql"}
    case = suites["app/dao.py"].find("testcase")
    assert case is not None and case.get("name") == "S001 unconditional-select-star-subquery at line 12"
    failure = case.find("failure")
    assert failure is not None and "SELECT a FROM (SELECT * FROM t) x" in (failure.text or "")
    clean = ET.fromstring(render(RunResult([], Stats(files=1, statements=2)), OutputFormat.JUNIT))
    assert clean.get("failures") == "0" and len(list(clean.iter("testcase"))) == 1


def test_markdown_summary_counts_and_before_after_table() -> None:
    text = render(RESULT, OutputFormat.MARKDOWN)
    assert "**5 new findings**" in text and "1 plan regression," in text
    assert "### Plan regressions" in text
    assert ("| `app/dao.py:30` `SELECT id FROM orders WHERE user_id = %s` | orders | "
            "access ref → ALL, key idx_user → none, rows 16 → 480000 |") in text
    assert "Plan improvements" in text and "access ALL → ref" in text
    assert "| S001 unconditional-select-star-subquery | error | 1 |" in text
    assert "100% of rows" in text
    assert "No new findings" in render(RunResult([], Stats()), OutputFormat.MARKDOWN)


@pytest.mark.parametrize("output_format", ["github", "junit", "markdown"])
def test_formats_from_the_cli(tmp_path: Path, output_format: str) -> None:
    (tmp_path / "q.sql").write_text("SELECT * FROM users | x;\nSELECT id FROM t WHERE DATE(c) = '2024-01-01';\n")
    code, out, _ = invoke(["check", "--format", output_format], tmp_path)
    assert code == 1 and "S007" in out
