"""sqllint trace on the mall's recorded run (Spring + MyBatis, fixtures/mall/logs/): every statement the
app sent is linked back to its mapper statement and Java call site (also combinations of <if>s that the
static extraction did not enumerate, and names spliced into ORDER BY), and the endpoints' N+1 loops and
mergeable reads are found at the code that runs them. Counts come from the log files themselves."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from sqllint.cli import main
from sqllint.config import Config
from sqllint.parse import fingerprint_sql
from sqllint.records import ParsedQuery, Query, Variant
from sqllint.registry import builtin_registry
from sqllint.trace.link import code_sites, index_sites
from sqllint.trace.runner import RuleSetup, best_sites, link, open_log, trace
from tests.helpers import apt_install

REPO = Path(__file__).resolve().parent.parent
MALL = REPO / "fixtures" / "mall"
LOGS = MALL / "logs"
SERVICE = "fixtures/mall/src/main/java/com/example/mall/service/OrderService.java"
MAPPER = "com.example.mall.mapper."
REGISTRY = builtin_registry()


@pytest.fixture(scope="module")
def sites():
    return code_sites([str(MALL)], Config(root=REPO), REPO, REGISTRY, jobs=1)


def traced(log: str, sites):
    codes = ("T001", "T002")
    setup = RuleSetup.build(REGISTRY, frozenset(codes), {}, {c: REGISTRY[c].severity for c in codes}, {})
    source, entries, _ = open_log(LOGS / log)
    result = trace(source, entries, setup, max(int(o.get("window-ms", 1000)) for o in setup.options.values()))
    link(result, sites, setup)
    return result


def line_of(text: str, path: str = SERVICE) -> int:
    lines = (REPO / path).read_text().splitlines()
    return next(i for i, line in enumerate(lines) if text in line) + 1


def application(result) -> list:
    """The app's statements: not the driver's session set-up (SELECT @@…, set autocommit) nor COMMIT."""
    return [g for g in result.groups if g.kind in ("select", "insert", "update", "delete") and "@@" not in g.example]


@pytest.mark.parametrize("log", ["general.log", "slow.log"])
def test_every_statement_the_mall_sent_is_linked_to_its_mapper_statement_or_dao(log: str, sites) -> None:
    result = traced(log, sites)
    app = application(result)
    assert len(app) >= 12
    assert [g.example for g in app if not result.sites.get(g.fingerprint)] == []
    for group in app:
        found = result.sites[group.fingerprint]
        mapper = [s for s in found if s.path.endswith(".xml")]
        dao = [s for s in found if s.path.endswith("ReportDao.java")]
        assert mapper or dao, group.example
        assert all(s.scope.startswith(MAPPER) for s in mapper)
        if mapper:  # and the Java code that calls the mapper method
            assert any(s.path == SERVICE for s in found), group.example


def test_the_incident_tops_the_slow_log_and_links_to_the_search_without_filters(sites) -> None:
    result = traced("slow.log", sites)
    top = result.groups[0]
    assert re.search(r"JOIN \(\s*SELECT \* FROM order_items\s*\) oi", top.example)
    assert top.rows_examined > 100_000
    found = {s.path.rsplit("/", 1)[1]: s for s in result.sites[top.fingerprint]}
    assert found["OrderMapper.xml"].scope == MAPPER + "OrderMapper.searchOrders"
    assert found["OrderMapper.xml"].variant == "when keyword, status, userId are absent"
    assert found["OrderService.java"].scope == "OrderService.listOrders"


def test_combinations_of_ifs_not_enumerated_statically_still_link_to_their_statement(sites) -> None:
    result = traced("general.log", sites)
    searches = [g for g in application(result) if "u.nickname, p.title" in g.example]
    # the run sent keyword+status and status+userId: neither is one of the variants extraction checks
    combined = [g for g in searches if "product_name LIKE" in g.example and "o.status =" in g.example]
    assert combined
    enumerated = {p.fingerprint for p in (s.parsed for f in sites.values() for s in f) if p is not None}
    for group in combined:
        assert group.fingerprint not in enumerated
        xml = next(s for s in result.sites[group.fingerprint] if s.path.endswith(".xml"))
        assert xml.scope == MAPPER + "OrderMapper.searchOrders"
        assert xml.variant.startswith("a combination not checked statically, between [")


def test_a_name_spliced_into_order_by_matches_the_name_that_was_logged(sites) -> None:
    result = traced("general.log", sites)
    group = next(g for g in application(result) if "ORDER BY spent DESC" in g.example)
    found = best_sites(result.sites[group.fingerprint])
    assert found[0].scope == "ReportDao.topCustomers"
    assert {s.scope for s in found[1:]} <= {"ReportController.topCustomers"}  # the DAO's caller, credited with it


def test_the_n_plus_one_endpoints_are_found_at_their_loops(sites) -> None:
    for log in ("general.log", "slow.log"):
        result = traced(log, sites)
        t001 = {f.scope: f for f in result.findings if f.rule == "T001"}
        # GET /orders/users/{userId}/items: one selectItemsByOrderId per order of the user
        items = t001["OrderService.ordersWithItems"]
        assert items.path == SERVICE and items.line == line_of("orderMapper.selectItemsByOrderId(order.getId())")
        assert "OrderItemMapper.xml" in items.message
        assert int(re.search(r"ran (\d+) times in a row", items.message).group(1)) >= 20  # LIMIT 20 orders
        # GET /orders/{id}/lines: one ProductMapper.selectById per item, through the helper toLine
        lines = t001["OrderService.orderLines"]
        assert lines.line == line_of("map(item -> toLine(item))")
        assert "ProductMapper.xml" in lines.message and f"{SERVICE}:{line_of('productMapper.selectById')}" in lines.message
        assert int(re.search(r"ran (\d+) times in a row", lines.message).group(1)) >= 12  # the 12-item order
        assert set(t001) == {"OrderService.ordersWithItems", "OrderService.orderLines"}


def test_the_two_reads_by_one_key_are_mergeable_but_the_reads_around_a_write_are_not(sites) -> None:
    result = traced("slow.log", sites)
    [t002] = [f for f in result.findings if f.rule == "T002"]
    assert t002.scope == "OrderService.userOrders" and t002.line == line_of("orderMapper.selectStatusByUserId(userId)")
    # pay(): selectById, UPDATE, selectById in one transaction: the second read must see the write
    text = (LOGS / "general.log").read_text()
    assert re.search(r"Query\tset autocommit=0\n(.*\n)*.*Query\tUPDATE orders\n(.*\n)*.*Query\tCOMMIT\n", text)
    reads = [g for g in application(result) if any(s.scope == "OrderService.pay" for s in result.sites[g.fingerprint])]
    assert len(reads) == 2  # selectById and updateStatus
    assert all(f.fingerprint not in {g.fingerprint for g in reads} for f in result.findings)


# --- the bracketing itself, on crafted variants ----------------------------------------------------------

def _parsed(text: str, on: tuple[str, ...] | None) -> ParsedQuery:
    """A call site's variant over the optional parts ``a`` and ``b`` (``on``: the ones switched on)."""
    query = Query(path="Mapper.xml", line=3, column=5, language="mybatis", raw=text, text=text, scope="M.find",
                  variant=Variant(("a", "b"), frozenset(on)) if on is not None else None)
    return ParsedQuery(query, None, fingerprint_sql(text), None, "select")


def test_a_logged_statement_outside_every_variants_range_stays_unlinked() -> None:
    index = index_sites([
        _parsed("SELECT id FROM t", ()),
        _parsed("SELECT id FROM t WHERE a = ? AND b = ?", ("a", "b")),
        _parsed("SELECT id FROM t WHERE a = ?", ("a",)),
    ])
    inside = "SELECT id FROM t WHERE b = 7"  # b alone: not enumerated, but between all-off and all-on
    outside = "SELECT id FROM t WHERE c = 7"  # a condition the statement never has
    other = "SELECT id FROM u WHERE b = 7"
    index.resolve([(fingerprint_sql(s), s) for s in (inside, outside, other)])
    [site] = index[fingerprint_sql(inside)]
    assert site.variant == ("a combination not checked statically, between [when a, b are absent] "
                            "and [when a, b are present]")
    assert fingerprint_sql(outside) not in index and fingerprint_sql(other) not in index


def test_a_spliced_name_stands_for_one_name_qualified_or_not() -> None:
    index = index_sites([_parsed("SELECT id FROM t ORDER BY sqllint_hole_1 DESC", None)])
    for logged in ("SELECT id FROM t ORDER BY created_at DESC", "SELECT id FROM t ORDER BY t.created_at DESC"):
        index.resolve([(fingerprint_sql(logged), logged)])
        assert [s.scope for s in index[fingerprint_sql(logged)]] == ["M.find"]
    longer = "SELECT id FROM t ORDER BY a, b DESC"
    index.resolve([(fingerprint_sql(longer), longer)])
    assert fingerprint_sql(longer) not in index


# --- the recorder ------------------------------------------------------------------------------------------

JARS = Path("/usr/share/java")


def _ensure_recorder_toolchain() -> None:
    """javac and the Debian jars scripts/record_logs.py names, installed when missing (never skipped)."""
    spec = importlib.util.spec_from_file_location("record_logs", REPO / "scripts" / "record_logs.py")
    assert spec and spec.loader
    recorder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recorder)
    if shutil.which("javac") and all((JARS / jar).exists() for jar in recorder.MALL_JARS):
        return
    apt_install("default-jdk-headless", *recorder.MALL_DEBIAN_PACKAGES,
                why="re-recording the mall needs javac and its jars")


def test_re_recording_the_mall_sends_the_same_statements(tmp_path: Path) -> None:
    """The committed logs are what the recorder produces: same fingerprints, same counts."""
    _ensure_recorder_toolchain()
    run = subprocess.run([sys.executable, str(REPO / "scripts" / "record_logs.py"), "--app", "mall", "--out",
                          str(tmp_path)], capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    def counts(path: Path) -> Counter[str]:
        setup = RuleSetup.build(REGISTRY, frozenset(), {}, {}, {})
        source, entries, _ = open_log(path)
        result = trace(source, entries, setup, 1000)
        return Counter({g.fingerprint: g.count for g in application(result)})

    assert counts(tmp_path / "general.log") == counts(LOGS / "general.log"), run.stdout


# --- EXPLAIN of the top statements on the mall database ----------------------------------------------------

def test_the_incident_is_explained_with_its_logged_values_at_the_service_that_runs_it(mall_db) -> None:  # type: ignore[no-untyped-def]
    previous = os.getcwd()
    os.chdir(REPO)
    try:
        result = CliRunner().invoke(main, ["trace", "fixtures/mall/logs/slow.log", "fixtures/mall", "--isolated",
                                           "--format", "json", "--top", "1", "--dsn", mall_db.readonly_dsn],
                                    catch_exceptions=False)
    finally:
        os.chdir(previous)
    assert result.exit_code == 1, result.stderr
    document = json.loads(result.stdout)
    [explained] = [g for g in document["groups"] if g["plan"] is not None]
    assert explained["rank"] == 1 and "SELECT * FROM order_items" in explained["example"]
    plan_findings = [f for f in document["findings"] if f["rule"].startswith("P")]
    assert plan_findings
    assert {(f["path"], f["line"]) for f in plan_findings} == {(SERVICE, line_of("orderMapper.searchOrders(query)"))}
    assert all("explained with the values logged at slow.log line" in f["message"] for f in plan_findings)
