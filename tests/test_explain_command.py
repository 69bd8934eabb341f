"""`sqllint explain TARGET` end to end against the provisioned test database (shop and mall fixtures).

Covers every TARGET form (function, path:line, raw SQL, stdin, file, MyBatis statement id and suffix),
ambiguous and unknown targets (exit 2 with candidates), --variant, JSON output, the unreachable
database (SQL and static findings still shown, DSN masked, --require-db → 2) and that no password
ever reaches the output.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from sqllint.cli import main

REPO = Path(__file__).resolve().parent.parent
NO_FILTER = "when keyword, status are absent"


def invoke(args: list[str], cwd: Path, stdin: str | None = None, env: dict[str, str] | None = None
           ) -> tuple[int, str, str]:
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner(env={"SQLLINT_DSN": None, **(env or {})}).invoke(
            main, ["explain", *args], input=stdin, catch_exceptions=False)
    finally:
        os.chdir(previous)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture()
def shop(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "fixtures/shop", tmp_path / "shop")
    return tmp_path / "shop"


@pytest.fixture()
def mall(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "fixtures/mall", tmp_path / "mall", ignore=shutil.ignore_patterns(".sqllint_cache"))
    return tmp_path / "mall"


def line_of(path: Path, needle: str, after: str | None = None) -> int:
    """1-based line of the first ``needle`` (after the first ``after``): tests survive fixture edits."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i, line in enumerate(lines) if i >= start and needle in line) + 1


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sections(text: str) -> dict[str, str]:
    """Variant label → its part of the text output."""
    parts = text.split("── variant ")
    return {part.split("\n", 1)[0]: part for part in parts[1:]}


# --- the incident ---------------------------------------------------------------------------------------

def test_function_target_shows_every_variant_with_plan_tree_findings_and_summary(shop: Path, shop_db) -> None:
    code, out, err = invoke(["shop/orders.py:list_orders", "--dsn", shop_db.dsn, "--no-cache", "--no-color"], shop)
    assert code == 1, err  # the incident has error findings
    assert out.startswith(f"database: mysql://root@{shop_db.server.host}:{shop_db.server.port}/{shop_db.name} (mariadb")
    call = line_of(shop / "shop/orders.py", "cur.execute(sql, args)", "def list_orders")
    assert f"query 1 of 1: shop/orders.py:{call} in list_orders (4 variants)" in out
    by_variant = sections(out)
    assert list(by_variant) == [f"1 of 4: {NO_FILTER}", "2 of 4: when keyword is absent; status is present",
                                "3 of 4: when status is absent; keyword is present",
                                "4 of 4: when keyword, status are present"]
    no_filter = by_variant[f"1 of 4: {NO_FILTER}"]
    # The SQL as sent: the derived table without its WHERE, placeholders bound (LIMIT/OFFSET as numbers).
    sent = no_filter.split("SQL sent to EXPLAIN:\n", 1)[1].split("plan:\n", 1)[0]
    assert "    JOIN (SELECT * FROM order_items) AS oi ON oi.order_id = o.id\n" in sent
    assert "LIKE" not in sent and "    LIMIT 10 OFFSET 0\n" in sent and "%s" not in sent
    # The plan table names all five tables; the tree marks the full scan and the block's sort.
    table = no_filter.split("plan:\n", 1)[1].split("plan tree:\n", 1)[0]
    assert shop_db.name not in table and " o.id " in table  # ref without the database prefix
    assert table.splitlines()[0].split() == ["id", "select_type", "table", "type", "possible_keys", "key", "key_len",
                                             "ref", "rows", "filtered", "Extra"]
    tree = no_filter.split("plan tree:\n", 1)[1].split("findings:", 1)[0]
    nodes = [line for line in tree.splitlines() if "─ " in line and ". " in line]
    assert len(nodes) == 5
    assert {"(users)", "(orders)", "(products)", "(shipments)", "order_items"} <= {
        token for line in nodes for token in line.split()}
    assert "FULL SCAN" in tree and "filesort" in tree.splitlines()[0]
    # Static findings of this variant: the unconditional derived table and the 5-relation join.
    findings = no_filter.split("findings:", 1)[1].split("summary:", 1)[0]
    assert "S001 error" in findings and "`SELECT * FROM order_items` with no condition" in findings
    assert "S002 warning query block joins 5 relations" in findings
    assert "P001 warning reads every row of" in findings
    summary = no_filter.split("summary:\n", 1)[1]
    # The unconditional derived table: merged into the join by the optimizer, or materialised in full.
    assert "The derived table `oi` is merged into the outer query" in summary or "<derived" in tree
    assert "is read in full" in summary and "Estimated rows examined: ~" in summary
    assert "Most of the time likely goes to" in summary
    # With a keyword the derived table has its condition: no S001 there.
    assert "S001" not in by_variant["3 of 4: when status is absent; keyword is present"]
    assert "S001" not in by_variant["4 of 4: when keyword, status are present"]
    compared = out.split("variants compared (estimated rows examined):\n", 1)[1].split("\n\n", 1)[0].splitlines()
    parsed = [re.match(r"^ +~([\d,]+)  (\d): (when [^(]+?)(?:  \((.*)\))?(?:  ← costliest)?$", line) for line in compared]
    assert all(parsed) and [m.group(2) for m in parsed] == ["1", "2", "3", "4"]  # type: ignore[union-attr]
    assert parsed[0].group(3) == NO_FILTER and "full scan of" in (parsed[0].group(4) or "")  # type: ignore[union-attr]
    assert out.rstrip().splitlines()[-2].startswith("total: ~")
    assert "taking each query's costliest variant" in out


def test_json_output_is_a_stable_structure(shop: Path, shop_db) -> None:
    code, out, _ = invoke(["shop/orders.py:list_orders", "--dsn", shop_db.dsn, "--format", "json", "--no-cache"], shop)
    assert code == 1
    document = json.loads(out)
    assert document["version"] == 1 and document["target"] == "shop/orders.py:list_orders"
    assert document["database"]["connected"] is True and document["database"]["reason"] is None
    (query,) = document["queries"]
    call = line_of(shop / "shop/orders.py", "cur.execute(sql, args)", "def list_orders")
    assert (query["path"], query["line"], query["scope"]) == ("shop/orders.py", call, "list_orders")
    labels = [v["label"] for v in query["variants"]]
    assert labels[0] == NO_FILTER and len(labels) == 4
    first = query["variants"][0]
    assert query["variant_count"] == 4 and [v["number"] for v in query["variants"]] == [1, 2, 3, 4]
    assert set(first) == {"number", "label", "sql", "sent_sql", "rewritten_from", "binding_guesses", "plan", "tree",
                          "rows_examined", "summary", "findings", "advice", "no_plan"}
    assert "%s" in first["sql"] and "%s" not in first["sent_sql"]
    assert len(first["plan"]["rows"]) == 5 and first["plan"]["flavor"] == "mariadb"
    assert {"id", "select_type", "table", "access_type", "possible_keys", "key", "rows", "extra"} <= set(
        first["plan"]["rows"][0])
    (block,) = first["tree"]
    assert block["block"] == 1 and len(block["tables"]) == 5 and "filesort" in block["notes"]
    assert any(t["full_scan"] for t in block["tables"])
    assert {"S001", "S002", "P001"} <= {f["rule"] for f in first["findings"]}
    assert all(f["variant"] == NO_FILTER for f in first["findings"])
    assert first["summary"] and first["rows_examined"] >= 1
    worst = max(v["rows_examined"] for v in query["variants"])
    assert document["total_rows_examined"] == worst
    assert document["worst_variants"][0]["rows_examined"] == worst


def test_output_file(shop: Path) -> None:
    code, out, _ = invoke(["shop/orders.py:list_orders", "--format", "json", "-o", "report.json"], shop)
    assert code == 1 and out == ""
    assert json.loads((shop / "report.json").read_text(encoding="utf-8"))["queries"][0]["scope"] == "list_orders"


def test_variant_option_by_number_and_label(shop: Path, shop_db) -> None:
    code, out, _ = invoke(["shop/orders.py:list_orders", "--dsn", shop_db.dsn, "--variant", "4", "--format", "json"],
                          shop)
    (query,) = json.loads(out)["queries"]
    assert [(v["number"], v["label"]) for v in query["variants"]] == [(4, "when keyword, status are present")]
    assert query["variant_count"] == 4
    code, out, _ = invoke(["shop/orders.py:list_orders", "--dsn", shop_db.dsn, "--variant", "Keyword, status are absent",
                           "--format", "json"], shop)
    assert [v["label"] for v in json.loads(out)["queries"][0]["variants"]] == [NO_FILTER]
    code, out, err = invoke(["shop/orders.py:list_orders", "--variant", "status only"], shop)
    assert code == 2 and "matches no variant" in err and f"1: {NO_FILTER}" in err


# --- other targets --------------------------------------------------------------------------------------

def test_path_line_inside_the_sql_building_or_the_call(shop: Path, shop_db) -> None:
    source = shop / "shop/orders.py"
    call = line_of(source, "cur.execute(sql, args)", "def list_orders")
    inside_sql = line_of(source, "SELECT o.id, o.created_at", "def list_orders")
    code, out, _ = invoke([f"shop/orders.py:{inside_sql}", "--dsn", shop_db.dsn, "--format", "json"], shop)
    assert [q["line"] for q in json.loads(out)["queries"]] == [call]  # the line is in list_orders' SQL text
    loop_call = line_of(source, "cur.execute(", "for order in orders:")
    code, out, _ = invoke([f"shop/orders.py:{loop_call + 2}", "--dsn", shop_db.dsn, "--format", "json"], shop)
    (query,) = json.loads(out)["queries"]
    assert query["line"] == loop_call and "M002" in {f["rule"] for f in query["variants"][0]["findings"]}  # N+1
    batched = line_of(source, "def orders_with_items_batched")
    first, second = (line_of(source, "cur.execute(", "def orders_with_items_batched"),
                     line_of(source, "cur.execute(", "if not orders:"))
    code, out, err = invoke([f"shop/orders.py:{batched}"], shop)
    assert code == 2 and "runs 2 queries" in err
    assert f"shop/orders.py:{first} in orders_with_items_batched" in err and f"shop/orders.py:{second}" in err
    code, out, err = invoke(["shop/orders.py:5"], shop)
    assert code == 2 and "no query at or spanning this line" in err
    assert f"shop/orders.py:{call} in list_orders" in err


def test_raw_sql_and_stdin_get_a_typed_binding_and_index_advice(shop: Path, shop_db) -> None:
    sql = "SELECT id, total_cents FROM orders WHERE status = %s AND currency = %s ORDER BY created_at"
    code, out, _ = invoke([sql, "--dsn", shop_db.dsn, "--no-cache", "--no-color"], shop)
    assert code == 1
    assert "query 1 of 1: <sql>:1" in out
    assert "status = 'a'" in out  # VARCHAR column: a string literal, not a number
    assert "1. orders  ALL" in out and "FULL SCAN" in out
    assert "index advice (not executed" in out
    assert "CREATE INDEX idx_orders_status_currency ON orders (status, currency);" in out
    code, stdin_out, _ = invoke(["-", "--dsn", shop_db.dsn, "--no-cache", "--no-color"], shop, stdin=sql + ";\n")
    assert code == 1 and "<stdin>:1" in stdin_out and "CREATE INDEX idx_orders_status_currency" in stdin_out


def test_binding_guesses_are_marked(shop: Path, shop_db) -> None:
    code, out, _ = invoke(["SELECT id FROM users WHERE LOWER(email) = ?", "--dsn", shop_db.dsn, "--no-color"], shop)
    assert "binding guesses (the column type was not known" in out
    assert "    ? parameter 1" in out


def test_update_is_explained_as_the_equivalent_select(shop: Path, shop_db) -> None:
    code, out, _ = invoke(["shop/orders.py:mark_shipped", "--dsn", shop_db.dsn, "--no-color"], shop)
    assert code == 0
    update = line_of(shop / "shop/orders.py", "UPDATE orders SET status")
    assert f"query 1 of 2: shop/orders.py:{update} in mark_shipped" in out
    assert "the equivalent SELECT: UPDATE is never sent" in out
    assert "no plan: INSERT … VALUES reads no table" in out


def test_file_target_lists_every_query_in_source_order(shop: Path) -> None:
    code, out, _ = invoke(["reports.sql", "--format", "json"], shop)
    lines = [q["line"] for q in json.loads(out)["queries"]]
    assert lines == sorted(lines) and len(lines) >= 2


def test_sql_file_line_inside_a_multi_line_statement(shop: Path, shop_db) -> None:
    source = shop / "reports.sql"
    first = line_of(source, "SELECT p.category")
    inside = line_of(source, "GROUP BY p.category")
    code, out, _ = invoke([f"reports.sql:{inside}", "--dsn", shop_db.dsn, "--format", "json"], shop)
    (query,) = json.loads(out)["queries"]
    assert query["line"] == first and query["end_line"] >= inside
    (variant,) = query["variants"]
    assert variant["label"] is None and variant["plan"] is not None
    assert len(variant["plan"]["rows"]) == 3 and "S007" not in {f["rule"] for f in variant["findings"]}
    code, out, _ = invoke([f"reports.sql:{line_of(source, 'DATE(created_at)')}", "--dsn", shop_db.dsn, "--format",
                           "json", "--no-cache"], shop)
    (query,) = json.loads(out)["queries"]
    rules = {f["rule"] for f in query["variants"][0]["findings"]}
    assert "S007" in rules and "P001" in rules  # a function on the indexed column: static and plan agree
    assert ("`orders` is read in full (~" in query["variants"][0]["summary"][0] and
            query["variants"][0]["summary"][0].endswith("its condition cannot use an index: `DATE(created_at)` wraps "
                                                         "the column in a function."))


def test_mybatis_statement_id_full_and_suffix(mall: Path, mall_db) -> None:
    full = "com.example.mall.mapper.OrderMapper.searchOrders"
    code, out, err = invoke([full, "--dsn", mall_db.dsn, "--format", "json", "--no-cache"], mall)
    assert code == 1, err
    (query,) = json.loads(out)["queries"]
    assert query["scope"] == full and query["path"].endswith("OrderMapper.xml")
    variants = query["variants"]
    assert len(variants) > 1 and variants[0]["label"].startswith("when keyword")
    assert "S001" in {f["rule"] for f in variants[0]["findings"]} and variants[0]["plan"] is not None
    assert "#{" in variants[0]["sql"] and "#{" not in variants[0]["sent_sql"]
    code, suffix_out, _ = invoke(["OrderMapper.searchOrders", "--dsn", mall_db.dsn, "--format", "json"], mall)
    assert [q["scope"] for q in json.loads(suffix_out)["queries"]] == [full]
    # The Java service method that calls it: the mapper's SQL, explained at the call site.
    code, service_out, _ = invoke(["OrderService.listOrders", "--dsn", mall_db.dsn, "--format", "json"], mall)
    (call,) = json.loads(service_out)["queries"]
    assert call["path"].endswith("OrderService.java") and call["runs"] == full
    assert [v["sent_sql"] for v in call["variants"]] == [v["sent_sql"] for v in variants]


def test_ambiguous_and_unknown_targets_exit_2_with_candidates(shop: Path, mall: Path) -> None:
    code, _, err = invoke(["selectById"], mall)
    assert code == 2 and "ambiguous" in err
    assert "com.example.mall.mapper.OrderMapper.selectById" in err and "com.example.mall.mapper.UserMapper.selectById" in err
    code, _, err = invoke(["OrderMapper.noSuchStatement"], mall)
    assert code == 2 and "is not raw SQL, an existing path, a MyBatis statement id" in err
    code, _, err = invoke(["shop/orders.py:nope"], shop)
    assert code == 2 and "no function 'nope' with SQL" in err and "  list_orders" in err
    code, _, err = invoke(["shop/missing.py:12"], shop)
    assert code == 2 and "no such file: shop/missing.py" in err
    code, _, err = invoke(["shop/orders.py:0"], shop)
    assert code == 2 and "line numbers start at 1" in err
    code, _, err = invoke(["what is this?"], shop)
    assert code == 2 and "is not SQL" in err
    code, _, err = invoke(["list_orders"], shop)  # a bare function name found by searching
    assert code == 1


# --- without a database ---------------------------------------------------------------------------------

def test_unreachable_database_still_shows_sql_variants_and_static_findings(shop: Path) -> None:
    dsn = f"mysql://app:Sup3rSecret@127.0.0.1:{closed_port()}/shop"
    code, out, err = invoke(["shop/orders.py:list_orders", "--dsn", dsn, "--connect-timeout", "2", "--no-color"], shop)
    assert code == 1  # the static findings decide
    assert "Sup3rSecret" not in out + err
    assert out.startswith("no plans: database mysql://app:***@127.0.0.1:") and "Can't connect to MySQL server" in out
    assert "showing the SQL, its variants and the static findings only" in out
    by_variant = sections(out)
    assert len(by_variant) == 4
    no_filter = by_variant[f"1 of 4: {NO_FILTER}"]
    assert "SQL:\n    SELECT o.id, o.created_at" in no_filter  # as written, re-flowed one clause per line
    assert "\n    JOIN (SELECT * FROM order_items) oi ON oi.order_id = o.id\n" in no_filter
    assert "\n    LIMIT %s OFFSET %s\n" in no_filter
    assert "no plan: no database connection (see above)" in no_filter and "S001 error" in no_filter
    assert "plan tree:" not in out and "total: no estimate (no plan was obtained)" in out
    code, _, err = invoke(["shop/orders.py:list_orders", "--dsn", dsn, "--require-db"], shop)
    assert code == 2 and "--require-db" in err and "Sup3rSecret" not in err


def test_no_dsn_exit_code_follows_the_findings(shop: Path) -> None:
    code, out, _ = invoke(["shop/orders.py:order_summary_merged"], shop)
    assert code == 0 and "no plans: no database given (--dsn, or the SQLLINT_DSN environment variable)" in out
    code, _, err = invoke(["shop/orders.py:order_summary_merged", "--require-db"], shop)
    assert code == 2 and "--require-db needs a database" in err
    code, out, _ = invoke(["shop/orders.py:list_orders", "--format", "json"], shop)
    document = json.loads(out)
    assert code == 1 and document["database"] == {"dsn": None, "name": None, "connected": False, "server": None,
                                                  "reason": "no database given (--dsn, or the SQLLINT_DSN "
                                                            "environment variable)"}
    assert document["total_rows_examined"] is None
    assert all(v["plan"] is None and v["tree"] == [] for v in document["queries"][0]["variants"])


def test_password_never_printed(shop: Path, shop_db) -> None:
    from tests.conftest import READONLY_PASSWORD

    for output_format in ("text", "json"):
        code, out, err = invoke(["shop/orders.py:list_orders", "--dsn", shop_db.readonly_dsn, "--format",
                                 output_format, "--no-cache"], shop)
        assert code == 1 and "sqllint_ro:***@" in out
        assert READONLY_PASSWORD not in out + err and quote(READONLY_PASSWORD, safe="") not in out + err
    wrong = shop_db.readonly_dsn.replace(quote(READONLY_PASSWORD, safe=""), quote("Wr0ng:pa55@word", safe=""))
    code, out, err = invoke(["shop/orders.py:list_orders", "--dsn", wrong, "--require-db"], shop)
    assert code == 2 and "Wr0ng" not in out + err and "pa55" not in out + err
    # From the environment variable too.
    code, out, err = invoke(["shop/orders.py:list_orders"], shop, env={"SQLLINT_DSN": shop_db.readonly_dsn})
    assert "sqllint_ro:***@" in out and READONLY_PASSWORD not in out + err


def test_analyze_shows_measured_rows_for_a_select(shop: Path, shop_db) -> None:
    sql = "SELECT o.id FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.status = 'paid'"
    code, out, _ = invoke([sql, "--dsn", shop_db.dsn, "--analyze", "--no-cache", "--no-color"], shop)
    table = out.split("plan:\n", 1)[1].split("plan tree:", 1)[0]
    assert "r_rows" in table.splitlines()[0]
    assert "(measured " in out.split("plan tree:", 1)[1]
    assert "- Measured (ANALYZE): " in out and "rows reach the last table of the join" in " ".join(out.split())
    code, _, err = invoke([sql, "--analyze"], shop)
    assert code == 2 and "--analyze needs a database" in err


SERVICE = '''\
class OrderService:
    def list_orders(self, cur, status):
        cur.execute("SELECT id FROM orders WHERE status = %s", (status,))
        rows = cur.fetchall()
        cur.execute("SELECT COUNT(*) FROM orders WHERE status = %s", (status,))
        return rows


class ArchiveService:
    def list_orders(self, cur):
        cur.execute("SELECT id FROM archived_orders")
        return cur.fetchall()
'''


def test_methods_by_qualified_name_and_ambiguous_bare_name(tmp_path: Path) -> None:
    (tmp_path / "services.py").write_text(SERVICE, encoding="utf-8")
    code, out, _ = invoke(["services.py:OrderService.list_orders", "--format", "json"], tmp_path)
    queries = json.loads(out)["queries"]
    assert [(q["line"], q["scope"]) for q in queries] == [(3, "OrderService.list_orders"),
                                                          (5, "OrderService.list_orders")]  # in source order
    code, _, err = invoke(["services.py:list_orders"], tmp_path)
    assert code == 2 and "'list_orders' is ambiguous" in err
    assert "  ArchiveService.list_orders" in err and "  OrderService.list_orders" in err
    code, out, _ = invoke(["ArchiveService.list_orders", "--format", "json"], tmp_path)  # searched by name
    assert [q["scope"] for q in json.loads(out)["queries"]] == ["ArchiveService.list_orders"]
    code, _, err = invoke(["list_orders"], tmp_path)
    assert code == 2 and "ambiguous" in err and "services.py:OrderService.list_orders" in err
    code, out, _ = invoke(["services.py:4", "--format", "json"], tmp_path)  # between two queries of a method
    assert code == 2


def test_suppressions_and_config_apply_as_in_check(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "def settings(cur):\n"
        "    cur.execute('SELECT * FROM settings')  # sqllint: ignore[select-star]\n"
        "    cur.execute('SELECT * FROM flags ORDER BY RAND()')\n", encoding="utf-8")
    code, out, _ = invoke(["app.py:settings", "--format", "json"], tmp_path)
    first, second = json.loads(out)["queries"]
    assert first["variants"][0]["findings"] == []
    assert {f["rule"] for f in second["variants"][0]["findings"]} == {"S006", "S011"}
    (tmp_path / "sqllint.toml").write_text('ignore = ["S006"]\n', encoding="utf-8")
    code, out, _ = invoke(["app.py:settings", "--format", "json", "--fail-on", "warning"], tmp_path)
    assert code == 0  # S011 is info, S006 is ignored by the config
    assert {f["rule"] for f in json.loads(out)["queries"][1]["variants"][0]["findings"]} == {"S011"}


def test_color_only_when_asked_or_a_terminal(shop: Path, shop_db) -> None:
    code, plain, _ = invoke(["shop/orders.py:list_orders", "--dsn", shop_db.dsn], shop)
    assert "\x1b[" not in plain  # CliRunner's output is not a terminal
    code, colored, _ = invoke(["shop/orders.py:list_orders", "--dsn", shop_db.dsn, "--color"], shop)
    assert "\x1b[31m\x1b[1mFULL SCAN" in colored and "\x1b[1mS001" in colored


def test_total_names_queries_that_run_in_a_loop(shop: Path, shop_db) -> None:
    source = shop / "shop/orders.py"
    loop = line_of(source, "for order in orders:", "def orders_with_items")
    code, out, _ = invoke(["shop/orders.py:orders_with_items", "--dsn", shop_db.dsn, "--no-color"], shop)
    total = out.split("\ntotal: ", 1)[1].splitlines()
    assert total[0].endswith("across 2 queries")
    assert total[2].endswith(f"× once per iteration of the loop on line {loop}") and not total[1].endswith(str(loop))
    code, out, _ = invoke(["shop/orders.py:orders_with_items", "--dsn", shop_db.dsn, "--format", "json"], shop)
    document = json.loads(out)
    assert [w["loop_line"] for w in document["worst_variants"]] == [None, loop]
    assert document["total_rows_examined"] == sum(w["rows_examined"] for w in document["worst_variants"])


def test_bad_dsn_is_a_usage_error_without_the_password(shop: Path) -> None:
    for dsn in ("mysql://app:S3cretPw@db:notaport/shop", "postgres://app:S3cretPw@db/shop", "mysql://app:S3cretPw@db/"):
        code, out, err = invoke(["SELECT 1", "--dsn", dsn], shop)
        assert code == 2 and "DSN" in err and "S3cretPw" not in out + err and "app:***@" in err


def test_go_methods_by_receiver_type_and_method(tmp_path: Path) -> None:
    shutil.copytree(REPO / "fixtures/goapp", tmp_path / "goapp")
    code, out, _ = invoke(["goapp/store/store.go:Store.OrdersWithItems", "--format", "json"], tmp_path)
    queries = json.loads(out)["queries"]
    assert [q["scope"] for q in queries] == ["(*Store).OrdersWithItems"] * 2
    assert "M002" in {f["rule"] for f in queries[1]["variants"][0]["findings"]}
    code, out, _ = invoke(["Store.SearchOrders", "--format", "json"], tmp_path)
    assert [q["scope"] for q in json.loads(out)["queries"]] == ["(*Store).SearchOrders"]


def test_sql_that_does_not_parse_is_shown_with_the_parser_message(tmp_path: Path) -> None:
    code, out, _ = invoke(["SELECT * FROM WHERE id = 1", "--format", "json"], tmp_path)
    (variant,) = json.loads(out)["queries"][0]["variants"]
    assert [f["rule"] for f in variant["findings"]] == ["E001"] and variant["no_plan"] == "the statement does not parse"
    assert variant["findings"][0]["message"].startswith("SQL does not parse: ")


def test_path_line_column_as_reports_print_it(tmp_path: Path) -> None:
    (tmp_path / "q.sql").write_text("SELECT 1; SELECT id FROM orders WHERE id = 1;\n", encoding="utf-8")
    code, out, _ = invoke(["q.sql:1:11", "--format", "json"], tmp_path)
    assert [(q["line"], q["column"]) for q in json.loads(out)["queries"]] == [(1, 11)]
    code, out, _ = invoke(["q.sql:1:1", "--format", "json"], tmp_path)
    assert [(q["line"], q["column"]) for q in json.loads(out)["queries"]] == [(1, 1)]
    code, _, err = invoke(["q.sql:1:0"], tmp_path)
    assert code == 2 and "start at 1" in err


def test_per_file_ignores_apply_to_static_and_plan_findings(shop: Path, shop_db) -> None:
    (shop / "sqllint.toml").write_text('[per-file-ignores]\n"shop/orders.py" = ["S001", "full-table-scan"]\n',
                                       encoding="utf-8")
    code, out, _ = invoke(["shop/orders.py:list_orders", "--dsn", shop_db.dsn, "--format", "json", "--no-cache"], shop)
    rules = {f["rule"] for v in json.loads(out)["queries"][0]["variants"] for f in v["findings"]}
    assert "S002" in rules and "P002" in rules  # the rest are still reported
    assert not rules & {"S001", "P001"}, rules


def test_sql_handed_to_an_imported_helper_is_found_at_the_caller(tmp_path: Path) -> None:
    """As check does: `run` from app/db.py executes its first argument, so views.search has SQL."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "db.py").write_text(
        "def run(sql, args=()):\n    with CONN.cursor() as cur:\n        cur.execute(sql, args)\n"
        "        return cur.fetchall()\n", encoding="utf-8")
    (tmp_path / "app" / "views.py").write_text(
        "from app.db import run\n\n\ndef search(kw):\n"
        "    return run(\"SELECT id FROM users WHERE email LIKE %s\", (f\"%{kw}%\",))\n", encoding="utf-8")
    code, out, _ = invoke(["app/views.py:search", "--format", "json"], tmp_path)
    [query] = json.loads(out)["queries"]
    assert query["line"] == 5 and "FROM users" in query["variants"][0]["sql"]
    assert "S005" in {f["rule"] for f in query["variants"][0]["findings"]}  # the bound %…% is seen too


def test_a_call_of_an_aiosql_named_query_explains_the_statement_of_the_sql_file(tmp_path: Path) -> None:
    """As a partial check does (``pyimports.python_context``): the .sql files are indexed beside the
    imported module that loads them, so views.profile's call runs ``-- name: get-user``."""
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "users.sql").write_text(
        "-- name: get-user\nSELECT id, name FROM users WHERE id = :user_id;\n\n"
        "-- name: user-email\nSELECT email FROM users WHERE id = :user_id;\n", encoding="utf-8")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "app" / "db.py").write_text("import aiosql\n\nqueries = aiosql.from_path('sql', 'pymysql')\n",
                                            encoding="utf-8")
    (tmp_path / "app" / "views.py").write_text(
        "from app.db import queries\n\n\ndef profile(conn, user_id):\n"
        "    return queries.get_user(conn, user_id=user_id)\n", encoding="utf-8")
    code, out, _ = invoke(["app/views.py:5", "--format", "json"], tmp_path)
    [query] = json.loads(out)["queries"]
    assert (query["line"], query["runs"]) == (5, "sql/users.sql:get_user")
    assert [v["sql"] for v in query["variants"]] == ["SELECT id, name FROM users WHERE id = :user_id"]
    (tmp_path / "sqllint.toml").write_text('extend-exclude = ["sql/"]\n', encoding="utf-8")
    code, _, err = invoke(["app/views.py:5"], tmp_path)  # excluded from check, so not indexed here either
    assert code == 2 and "no SQL" in err
