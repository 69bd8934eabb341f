"""How deep the endpoint commands follow a handler: --max-depth on `endpoints`, `report` and
`explain --endpoint`, and the config's endpoint-max-depth (the flag wins over the file)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sqllint.cli import main

REPO = Path(__file__).resolve().parent.parent
MALL = REPO / "fixtures" / "mall"
LINES = "/orders/{id}/lines"  # OrderController.lines → OrderService.orderLines → toLine → ProductMapper


def run(args: list[str], cwd: Path) -> Result:
    before = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, args, catch_exceptions=False)
    finally:
        os.chdir(before)


@pytest.fixture
def mall(tmp_path: Path) -> Path:
    copy = tmp_path / "mall"
    shutil.copytree(MALL, copy, ignore=shutil.ignore_patterns("logs"))
    return copy


def lines_endpoint(result: Result) -> dict:
    assert result.exit_code == 0, result.output
    return next(e for e in json.loads(result.stdout)["endpoints"] if e["route"] == LINES)


def test_max_depth_stops_the_chain_and_says_where(mall: Path) -> None:
    deep = lines_endpoint(run(["endpoints", "--isolated", "--format", "json"], mall))
    assert [q["function"] for q in deep["queries"]] == ["OrderService.orderLines", "OrderService.toLine"]
    assert deep["worst"]["rule"] == "M002"  # the N+1 through the helper
    shallow = lines_endpoint(run(["endpoints", "--isolated", "--format", "json", "--max-depth", "1"], mall))
    assert [q["function"] for q in shallow["queries"]] == ["OrderService.orderLines"]
    assert shallow["worst"] is None
    [stop] = shallow["stops"]
    assert stop["callee"] == "toLine" and stop["reason"] == "call depth limit (1) reached"


def test_the_config_key_sets_the_depth_and_the_flag_overrides_it(mall: Path) -> None:
    (mall / "sqllint.toml").write_text("endpoint-max-depth = 1\n")
    from_config = lines_endpoint(run(["endpoints", "--format", "json"], mall))
    assert len(from_config["queries"]) == 1 and from_config["stops"][0]["reason"] == "call depth limit (1) reached"
    flag = lines_endpoint(run(["endpoints", "--format", "json", "--max-depth", "2"], mall))
    assert len(flag["queries"]) == 2 and all(s["callee"] != "toLine" for s in flag["stops"])
    shown = run(["config", "--format", "json"], mall)
    assert "endpoint-max-depth" in shown.stdout


@pytest.mark.parametrize("value", ["0", "65", "true", '"six"'])
def test_a_bad_depth_in_the_config_is_a_usage_error(mall: Path, value: str) -> None:
    (mall / "sqllint.toml").write_text(f"endpoint-max-depth = {value}\n")
    result = run(["endpoints"], mall)
    assert result.exit_code == 2
    assert "endpoint-max-depth must be an integer from 1 to 64" in result.stderr


def test_explain_endpoint_follows_the_same_depth(mall: Path) -> None:
    deep = run(["explain", "--no-cache", "--endpoint", f"GET {LINES}", "--exit-zero"], mall)
    assert "2 queries in call order" in deep.stdout and "toLine" in deep.stdout
    shallow = run(["explain", "--no-cache", "--endpoint", f"GET {LINES}", "--max-depth", "1", "--exit-zero"], mall)
    assert shallow.exit_code == 0, shallow.output
    assert "1 query in call order" in shallow.stdout
    assert "the chain stops at:\n    toLine: call depth limit (1) reached" in shallow.stdout
    (mall / "sqllint.toml").write_text("endpoint-max-depth = 1\n")
    configured = run(["explain", "--no-cache", "--endpoint", f"GET {LINES}", "--exit-zero"], mall)
    assert "1 query in call order" in configured.stdout


def test_max_depth_without_endpoint_is_a_usage_error(mall: Path) -> None:
    result = run(["explain", "SELECT 1", "--max-depth", "2"], mall)
    assert result.exit_code == 2 and "--max-depth applies to --endpoint only" in result.stderr
