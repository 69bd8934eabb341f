"""`sqllint report --html`: the page is self-contained and, rendered by a real browser (headless
Chromium, provisioned here when missing), draws the plan tree of every explained query."""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from sqllint.cli import main
from tests.helpers import apt_install

SHOP = Path(__file__).resolve().parent.parent / "fixtures" / "shop"


def chromium() -> str:
    """Debian's chromium, installed with apt-get when missing (the suite provisions what it needs)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    try:
        apt_install("chromium", why="the HTML report test renders the page in Debian's chromium")
    except RuntimeError as error:
        pytest.fail(str(error))
    found = shutil.which("chromium")
    assert found, "apt-get install chromium did not provide a chromium binary"
    return found


def rendered_dom(page: Path) -> str:
    """The DOM after the page's scripts ran, as the browser serialises it."""
    done = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=True)
    assert "<html" in done.stdout, done.stderr[-2000:]
    return done.stdout


class _Tree(HTMLParser):
    """Element tree of a DOM dump: (tag, attributes, children)."""

    VOID = frozenset({"meta", "br", "link", "img", "input", "hr"})

    def __init__(self) -> None:
        super().__init__()
        self.root: dict = {"tag": "#root", "attrs": {}, "children": []}
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list) -> None:  # type: ignore[type-arg]
        node = {"tag": tag, "attrs": dict(attrs), "children": []}
        self.stack[-1]["children"].append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list) -> None:  # type: ignore[type-arg]
        self.stack[-1]["children"].append({"tag": tag, "attrs": dict(attrs), "children": []})

    def handle_data(self, data: str) -> None:
        self.stack[-1]["children"].append({"tag": "#text", "attrs": {}, "children": [], "text": data})

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index]["tag"] == tag:
                del self.stack[index:]
                return


def parse(dom: str) -> dict:  # type: ignore[type-arg]
    tree = _Tree()
    tree.feed(dom)
    return tree.root


def find_all(node: dict, predicate) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    found = [node] if predicate(node) else []
    for child in node["children"]:
        found += find_all(child, predicate)
    return found


def has_class(name: str):  # type: ignore[no-untyped-def]
    return lambda n: name in n["attrs"].get("class", "").split()


def write_report(tmp_path: Path, *args: str) -> Path:
    out = tmp_path / "report.html"
    before = Path.cwd()
    os.chdir(SHOP)
    try:
        result = CliRunner().invoke(main, ["report", "--html", str(out), "--no-cache", *args], catch_exceptions=False)
    finally:
        os.chdir(before)
    assert result.exit_code == 0, result.output
    return out


def test_plan_tree_of_the_incident_query_is_drawn(tmp_path: Path, shop_db) -> None:  # type: ignore[no-untyped-def]
    page = write_report(tmp_path, "--dsn", shop_db.readonly_dsn)
    document = parse(rendered_dom(page))
    [incident] = find_all(document, lambda n: n["attrs"].get("data-endpoint") == "GET /orders")
    [query] = find_all(incident, lambda n: n["attrs"].get("data-query") == "shop/orders.py:38")
    trees = find_all(query, has_class("plan-tree"))
    assert len(trees) == 4  # one per variant of the dynamic SQL
    for tree in trees:
        assert tree["attrs"].get("data-drawn") == "true"
        [svg] = find_all(tree, lambda n: n["tag"] == "svg")
        tables = find_all(svg, has_class("plan-table"))
        assert {t["attrs"]["data-table"] for t in tables} >= {"users", "orders", "products", "shipments"}
        scans = [t for t in tables if t["attrs"]["data-full-scan"] == "true"]
        assert scans and all(has_class("full-scan")(t) for t in scans)
        assert all(int(t["attrs"]["data-rows"]) >= 0 for t in tables)
        assert find_all(svg, lambda n: n["tag"] == "rect") and find_all(svg, has_class("plan-edge"))
    # every plan container in the page was drawn by the inline script
    [body] = find_all(document, lambda n: n["tag"] == "body")
    containers = find_all(document, has_class("plan-tree"))
    assert int(body["attrs"]["data-trees-drawn"]) == len(containers) > 10
    # the N+1 through the service's helper is on the page, in its endpoint's section
    [details] = find_all(document, lambda n: n["attrs"].get("data-endpoint") == "GET /users/<int:user_id>/order-details")
    assert "M002" in [li["attrs"]["data-rule"] for li in find_all(details, lambda n: n["tag"] == "li"
                                                                  and "data-rule" in n["attrs"])]
    assert "R0:p@ss" not in page.read_text(encoding="utf-8")


def test_without_a_database_the_static_picture_says_plans_need_a_dsn(tmp_path: Path) -> None:
    page = write_report(tmp_path)
    text = page.read_text(encoding="utf-8")
    assert "plans need a database" in text
    document = parse(rendered_dom(page))
    [body] = find_all(document, lambda n: n["tag"] == "body")
    assert body["attrs"]["data-trees-drawn"] == "0"
    [incident] = find_all(document, lambda n: n["attrs"].get("data-endpoint") == "GET /orders")
    rules = {li["attrs"]["data-rule"] for li in find_all(incident, lambda n: "data-rule" in n["attrs"])}
    assert rules == {"S001", "S002"}
    assert find_all(incident, has_class("no-plan"))


def test_page_is_self_contained(tmp_path: Path) -> None:
    text = write_report(tmp_path).read_text(encoding="utf-8")
    lowered = text.lower()
    for forbidden in ("<script src", "<link", "@import", "url(", "src=\"http", "href=\"http"):
        assert forbidden not in lowered, forbidden
    assert lowered.count("<script") == 2  # the plan data and the drawing script, both inline


def test_unwritable_output_is_a_usage_error(tmp_path: Path) -> None:
    before = Path.cwd()
    os.chdir(SHOP)
    try:
        result = CliRunner().invoke(main, ["report", "--html", str(tmp_path / "missing" / "out.html")])
        no_file = CliRunner().invoke(main, ["report"])
    finally:
        os.chdir(before)
    assert result.exit_code == 2 and "cannot write" in result.stderr
    assert no_file.exit_code == 2 and "--html" in no_file.output + no_file.stderr


def test_a_mapper_call_shows_the_findings_of_its_statement(tmp_path: Path) -> None:
    out = tmp_path / "mall.html"
    before = Path.cwd()
    os.chdir(SHOP.parent / "mall")
    try:
        result = CliRunner().invoke(main, ["report", "--html", str(out)], catch_exceptions=False)
    finally:
        os.chdir(before)
    assert result.exit_code == 0, result.output
    document = parse(out.read_text(encoding="utf-8"))
    [incident] = find_all(document, lambda n: n["attrs"].get("data-endpoint") == "GET /orders")
    [query] = find_all(incident, lambda n: n["attrs"].get("data-query") == "src/main/java/com/example/mall/service/"
                                                                           "OrderService.java:36")
    assert "S001" in {li["attrs"]["data-rule"] for li in find_all(query, lambda n: "data-rule" in n["attrs"])}
    # …and the statement's findings are not repeated among those found outside every endpoint
    [outside] = find_all(document, lambda n: n["attrs"].get("id") == "outside")
    texts = lambda node: "".join(n["text"] for n in find_all(node, lambda n: n["tag"] == "#text"))  # noqa: E731
    assert "derived table `oi` is `SELECT * FROM order_items`" not in texts(outside)
    assert texts(document).count("derived table `oi` is `SELECT * FROM order_items`") == 1


def test_a_dsn_that_cannot_be_used_is_named_masked_with_the_reason(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    before = Path.cwd()
    os.chdir(SHOP)
    try:  # nothing listens on port 1: the DSN was given, the database could not be used
        result = CliRunner().invoke(
            main, ["report", "--html", str(out), "--no-cache", "--dsn", "mysql://app:S3cr3t@127.0.0.1:1/shop"])
    finally:
        os.chdir(before)
    assert result.exit_code == 0, result.output
    [summary] = [line for line in result.stderr.splitlines() if line.startswith("wrote ")]
    assert "no plans: database mysql://app:" in summary and "could not be used (" in summary
    assert "no database" not in summary and "S3cr3t" not in result.stderr + out.read_text(encoding="utf-8")
