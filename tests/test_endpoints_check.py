"""`check --endpoints`: mergeable queries and N+1 across an endpoint's call chain become findings of
`check`, so they reach SARIF, --fail-on, per-file-ignores and the baseline."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sqllint.cli import main
from sqllint.endpoints.check import chain_findings
from sqllint.endpoints.model import Endpoint, EndpointChain
from sqllint.records import Finding, Severity

SHOP = Path(__file__).resolve().parent.parent / "fixtures" / "shop"
# What only the endpoints' chains show: the handler's loop over a service method, an N+1 for each of the
# two DAO reads it makes two modules away (tests/test_endpoints_shop.py covers how they are found). The
# service's own calls of DAO functions are the static run's findings.
CHAIN_ONLY = {("M002", "shop/app.py", 57)}


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    copy = tmp_path / "shop"
    shutil.copytree(SHOP, copy, ignore=shutil.ignore_patterns("logs", "__pycache__"))
    return copy


def check(cwd: Path, *args: str) -> Result:
    before = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, ["check", "--no-cache", *args], catch_exceptions=False)
    finally:
        os.chdir(before)


def located(result: Result) -> set[tuple[str, str, int]]:
    return {(f["rule"], f["path"], f["line"]) for f in json.loads(result.stdout)["findings"]}


def test_chain_findings_are_added_only_when_asked(shop: Path) -> None:
    plain = located(check(shop, "--format", "json"))
    assert not CHAIN_ONLY & plain
    with_chains = check(shop, "--format", "json", "--endpoints")
    assert with_chains.exit_code == 1
    assert located(with_chains) == plain | CHAIN_ONLY
    found = [f for f in json.loads(with_chains.stdout)["findings"] if f["path"] == "shop/app.py"]
    assert len(found) == 2 and {f["scope"] for f in found} == {"GET /users/<int:user_id>/order-pages"}
    assert any("reached via user_order_pages → OrderService.order_page → order_status" in f["message"] for f in found)
    # the static run's findings about the service are not said again from the chains
    assert len([f for f in json.loads(with_chains.stdout)["findings"] if f["path"] == "shop/services.py"]) == 2


def test_the_config_key_turns_it_on_and_the_flag_off(shop: Path) -> None:
    (shop / "sqllint.toml").write_text("endpoints = true\n")
    assert CHAIN_ONLY <= located(check(shop, "--format", "json"))
    assert not CHAIN_ONLY & located(check(shop, "--format", "json", "--no-endpoints"))


def test_chain_findings_reach_sarif(shop: Path) -> None:
    sarif = json.loads(check(shop, "--format", "sarif", "--endpoints").stdout)
    results = sarif["runs"][0]["results"]
    places = {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
               r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results}
    assert {(code, path, line) for code, path, line in CHAIN_ONLY} <= places


def test_chain_findings_go_into_the_baseline_and_stay_quiet_after(shop: Path) -> None:
    accepted = check(shop, "--endpoints", "--update-baseline")
    assert accepted.exit_code == 0, accepted.output
    again = check(shop, "--endpoints", "--format", "json")
    assert again.exit_code == 0 and json.loads(again.stdout)["findings"] == []
    # a baseline written without them does not hide them (the baseline counts findings per statement)
    check(shop, "--update-baseline")
    new = check(shop, "--endpoints", "--format", "json")
    assert new.exit_code == 1
    assert located(new) == CHAIN_ONLY


def test_per_file_ignores_apply_to_chain_findings(shop: Path) -> None:
    (shop / "sqllint.toml").write_text('endpoints = true\n[per-file-ignores]\n"shop/app.py" = ["M002"]\n')
    found = located(check(shop, "--format", "json"))
    assert ("M002", "shop/services.py", 28) in found and not CHAIN_ONLY & found


def test_a_helper_shared_by_two_endpoints_is_one_finding_naming_both() -> None:
    def chain(route: str) -> EndpointChain:
        endpoint = Endpoint(("GET",), route, None, "app.py", 1, "flask")
        found = Finding("M002", "query-in-loop", Severity.WARNING, "svc.py", 9, 5, "SELECT runs once per iteration",
                        scope=f"GET {route}")
        return EndpointChain(endpoint, findings=[found])

    [finding] = chain_findings([chain("/a"), chain("/b"), chain("/c")])
    assert finding.message == "SELECT runs once per iteration; also in GET /b, GET /c"
