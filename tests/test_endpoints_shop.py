"""`sqllint endpoints` on the demo shop: its endpoints, their call chains through services.py and the DAO,
the endpoint-level findings, and (against the provisioned database) estimated rows."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from sqllint.cli import main

SHOP = Path(__file__).resolve().parent.parent / "fixtures" / "shop"


@pytest.fixture
def in_shop():  # type: ignore[no-untyped-def]
    before = Path.cwd()
    os.chdir(SHOP)
    try:
        yield SHOP
    finally:
        os.chdir(before)


def endpoints_json(*args: str) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(main, ["endpoints", "--format", "json", "--no-cache", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_exact_endpoint_map_of_the_demo_app(in_shop: Path) -> None:
    document = endpoints_json()
    found = {(",".join(e["methods"]), e["route"], e["handler"]["function"], e["query_count"],
              e["worst"] and e["worst"]["rule"], tuple(f["rule"] for f in e["findings"]))
             for e in document["endpoints"]}
    assert found == {
        ("GET", "/admin/users/recent", "users_recent", 1, None, ()),
        ("GET", "/orders", "list_orders", 1, "S001", ()),
        # The service's reads through the DAO are the static run's findings now (check carries a called
        # function's SQL to its calls, one module deep); the loop over a service method that reads through the
        # DAO, two modules away, is the chain's own.
        ("GET", "/orders/<int:order_id>", "order_page", 2, "M001", ()),
        ("POST", "/orders/<int:order_id>/ship", "ship_order", 2, None, ()),
        ("GET", "/orders/<int:order_id>/summary", "order_summary", 2, "M001", ()),
        ("GET", "/orders/search", "search_orders", 1, None, ()),
        ("GET", "/users/<int:user_id>/order-details", "user_order_details", 2, "M002", ()),
        ("GET", "/users/<int:user_id>/order-pages", "user_order_pages", 3, "M001", ("M002", "M002")),
        ("GET", "/users/<int:user_id>/orders", "user_orders", 2, "M002", ()),
        ("GET", "/users/by-email", "user_by_email", 1, None, ()),
    }
    assert document["notes"] == [] and document["database"] is None


def test_incident_endpoint_reaches_the_dao_through_the_service(in_shop: Path) -> None:
    [incident] = [e for e in endpoints_json()["endpoints"] if e["route"] == "/orders"]
    [query] = incident["queries"]
    assert (query["path"], query["line"], query["function"]) == ("shop/orders.py", 38, "list_orders")
    assert query["via"] == ["list_orders", "OrderService.search", "list_orders"]
    assert query["variants"] == 4
    assert {f["rule"] for f in incident["query_findings"]} == {"S001", "S002"}
    assert {"callee": "pymysql.connect", "reason": "outside the repository", "path": "shop/db.py", "line": 9,
            "function": "get_connection"} in incident["stops"]


def test_n_plus_one_through_a_helper_is_reported_at_the_loop(in_shop: Path) -> None:
    [details] = [e for e in endpoints_json()["endpoints"] if e["route"] == "/users/<int:user_id>/order-details"]
    # The static run reports it at the loop (the service's helper carries the DAO's SELECT): it is one of the
    # chain's query findings, not said again as an endpoint-level one.
    assert details["findings"] == []
    [loop_query] = [q for q in details["queries"] if q["function"] == "items_for_order"]
    assert loop_query["loop_depth"] == 1
    [finding] = [f for f in details["query_findings"] if f["rule"] == "M002"]
    assert (finding["path"], finding["line"]) == ("shop/services.py", 28)
    assert finding["message"] == ("`attach_items` (a SELECT at shop/orders.py:160) runs once per iteration of the "
                                  "loop on line 27 (N+1 queries)")
    assert finding["suggestion"] == ("fetch everything before the loop with one query: SELECT product_name, quantity, "
                                     "price_cents FROM order_items WHERE order_id IN (%s, %s, …)")


def test_n_plus_one_two_modules_away_is_the_chains_own(in_shop: Path) -> None:
    [pages] = [e for e in endpoints_json()["endpoints"] if e["route"] == "/users/<int:user_id>/order-pages"]
    found = sorted((f["rule"], f["path"], f["line"], f["scope"]) for f in pages["findings"])
    assert found == [("M002", "shop/app.py", 57, "GET /users/<int:user_id>/order-pages")] * 2
    messages = sorted(f["message"] for f in pages["findings"])
    assert "reached via user_order_pages → OrderService.order_page → order_status" in messages[0]
    assert "reached via user_order_pages → OrderService.order_page → order_totals" in messages[1]


def test_text_table(in_shop: Path) -> None:
    result = CliRunner().invoke(main, ["endpoints"], catch_exceptions=False)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["method", "path", "handler", "declared", "at", "queries", "worst", "est.", "rows"]
    row = next(line for line in lines if " /orders " in line)
    assert row.split() == ["GET", "/orders", "list_orders", "shop/app.py:14", "1", "error", "S001", "-"]
    assert "10 endpoints, 17 queries" in result.stdout
    assert "estimated rows need a database" in result.stdout
    assert "Across call chains" in result.stdout


def test_usage_errors_exit_2(in_shop: Path) -> None:
    missing = CliRunner().invoke(main, ["endpoints", "no/such/dir"])
    assert missing.exit_code == 2 and "path does not exist: no/such/dir" in missing.stderr
    bad_dsn = CliRunner().invoke(main, ["endpoints", "--dsn", "postgres://u:secret@h/db"])
    assert bad_dsn.exit_code == 2 and "secret" not in bad_dsn.output + bad_dsn.stderr


def test_estimated_rows_with_a_database(in_shop: Path, shop_db) -> None:  # type: ignore[no-untyped-def]
    document = endpoints_json("--dsn", shop_db.readonly_dsn)
    assert document["database"].startswith("plans from ")
    assert "R0:p@ss" not in json.dumps(document)
    by_route = {e["route"]: e for e in document["endpoints"]}
    for endpoint in document["endpoints"]:
        assert endpoint["estimated_rows"] is not None, endpoint["route"]
        assert endpoint["estimated_rows"] == sum(q["estimated_rows"] or 0 for q in endpoint["queries"])
    # an INSERT … VALUES reads no table: the only statement without a plan
    unplanned = [q["sql"] for e in document["endpoints"] for q in e["queries"] if q["estimated_rows"] is None]
    assert unplanned == ["INSERT INTO shipments (order_id, carrier, tracking_no, shipped_at) VALUES (%s, %s, %s, NOW())"]
    # the incident endpoint reads whole tables; a lookup by primary key reads a row or two
    assert by_route["/orders"]["estimated_rows"] > 1000
    assert by_route["/users/by-email"]["estimated_rows"] <= 2
    # plan findings join the queries' findings
    assert any(f["rule"].startswith("P") for f in by_route["/orders"]["query_findings"])


def test_unreachable_database_keeps_the_map_and_says_why(in_shop: Path) -> None:
    result = CliRunner().invoke(main, ["endpoints", "--dsn", "mysql://app:s3cret@127.0.0.1:1/shop"],
                                catch_exceptions=False)
    assert result.exit_code == 0
    assert "s3cret" not in result.output + result.stderr
    assert "could not be used" in result.stderr
    assert "10 endpoints, 17 queries reached through their call chains; no plans: database mysql://app:***@" \
        in result.stdout
