"""The mall fixture's MyBatis mappers reproduce the incident; their clean look-alikes stay silent."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from sqllint.cli import main
from sqllint.config import Config
from sqllint.engine import run
from sqllint.records import Finding

MALL = Path(__file__).resolve().parent.parent / "fixtures" / "mall"
MAPPERS = "src/main/resources/mapper"


def mapper_findings() -> list[Finding]:
    # Java under src/main/java (call-site findings) is asserted by the Java tests.
    return [f for f in run(["."], Config(root=MALL), MALL, jobs=1).findings if f.path.endswith(".xml")]


def test_exact_findings_of_the_mappers() -> None:
    found = {(f.path.removeprefix(MAPPERS + "/"), f.rule, f.line, f.scope, f.variant) for f in mapper_findings()}
    orders = "com.example.mall.mapper.OrderMapper"
    assert found == {
        ("OrderMapper.xml", "S001", 52, f"{orders}.searchOrders",
         "when keyword, status, userId are absent (+2 more variants)"),
        ("OrderMapper.xml", "S002", 52, f"{orders}.searchOrders", None),
        ("OrderMapper.xml", "S003", 120, f"{orders}.listOrdersSorted", None),
    }


def test_the_incident_is_reported_on_the_variants_without_the_keyword() -> None:
    [incident] = [f for f in mapper_findings() if f.rule == "S001"]
    assert "`SELECT * FROM order_items` with no condition" in incident.message
    assert "JOIN ( SELECT * FROM order_items ) oi" in incident.sql  # the no-filter variant's own SQL


def test_every_variant_of_every_statement_parses() -> None:
    result = run(["."], Config(root=MALL), MALL, jobs=1, keep_parsed=True)
    assert result.stats.parse_errors == 0
    xml = [p for p in result.parsed if p.query.language == "xml"]
    statements = {p.query.scope for p in xml}
    assert len(statements) == 29 and len(xml) == 65
    # The look-alike's derived table is filtered in every variant: <choose> falls back to a date window.
    recent = [p.query.text for p in xml if p.query.scope.endswith(".searchRecentOrders")]
    assert len(recent) == 5 and all("FROM order_items\nWHERE" in text for text in recent)


def test_clean_look_alikes_and_suppressed_statements_are_silent() -> None:
    noisy = {f.scope for f in mapper_findings()}
    for clean in ("OrderMapper.searchRecentOrders", "OrderMapper.selectByIds", "OrderMapper.countOrders",
                  "OrderMapper.updateStatus", "OrderMapper.selectWithItems", "ProductMapper.searchProducts",
                  "ProductMapper.selectBestSellers", "ProductMapper.updateProduct", "UserMapper.listActiveUsers",
                  "UserMapper.lockAllUsers", "UserMapper.searchUsers"):
        assert f"com.example.mall.mapper.{clean}" not in noisy


def test_cli_json_on_the_fixture() -> None:
    result = CliRunner().invoke(main, ["check", str(MALL / MAPPERS), "--format", "json", "--no-cache"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    rows = [(Path(f["path"]).name, f["rule"], f["line"], f["variant"]) for f in report["findings"]]
    assert rows == [
        ("OrderMapper.xml", "S001", 52, "when keyword, status, userId are absent (+2 more variants)"),
        ("OrderMapper.xml", "S002", 52, None),
        ("OrderMapper.xml", "S003", 120, None),
    ]
    assert report["stats"]["files"] == 5 and report["stats"]["parse_errors"] == 0
