"""`sqllint explain --endpoint`: every query of an endpoint in call order, with plans, findings, the
findings across the call chain and the total of estimated rows."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sqllint.cli import main

SHOP = Path(__file__).resolve().parent.parent / "fixtures" / "shop"


@pytest.fixture(autouse=True)
def in_shop():  # type: ignore[no-untyped-def]
    before = Path.cwd()
    os.chdir(SHOP)
    try:
        yield
    finally:
        os.chdir(before)


def explain(*args: str) -> Result:
    return CliRunner().invoke(main, ["explain", "--no-cache", *args], catch_exceptions=False)


def test_incident_endpoint_without_a_database() -> None:
    result = explain("--endpoint", "GET /orders")
    assert result.exit_code == 1, result.output  # S001 is an error
    out = result.stdout
    assert out.startswith("endpoint: GET /orders  handler list_orders (shop/app.py:14), 1 query in call order:")
    assert "1. shop/orders.py:38  via list_orders → OrderService.search → list_orders" in out
    assert "━━ query 1 of 1: shop/orders.py:38 in list_orders (4 variants)" in out
    assert "S001 error" in out and "no plans:" in out
    assert "across the call chain: no mergeable queries or N+1" in out


def test_n_plus_one_endpoint_with_plans_in_json(shop_db) -> None:  # type: ignore[no-untyped-def]
    result = explain("--endpoint", "GET /users/7/order-details", "--format", "json", "--dsn", shop_db.readonly_dsn)
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert [(q["path"], q["line"]) for q in document["queries"]] == [("shop/orders.py", 150), ("shop/orders.py", 160)]
    assert document["database"]["connected"] is True
    assert all(v["plan"] for q in document["queries"] for v in q["variants"])
    assert document["total_rows_examined"] > 0
    endpoint = document["endpoint"]
    assert endpoint["route"] == "/users/<int:user_id>/order-details"
    assert [(f["rule"], f["path"], f["line"]) for f in endpoint["findings"]] == [("M002", "shop/services.py", 28)]
    assert [q["loop_depth"] for q in endpoint["queries"]] == [0, 1]


def test_mergeable_across_functions_in_text(shop_db) -> None:  # type: ignore[no-untyped-def]
    result = explain("--endpoint", "order_page", "--dsn", shop_db.readonly_dsn)
    out = result.stdout
    assert result.exit_code == 1, result.output
    assert "━━ query 2 of 2: shop/orders.py:144 in order_totals" in out
    assert "total: ~" in out and "rows examined (estimated) across 2 queries" in out
    # Reported where the two DAO reads are made, in the service (check carries them to its calls).
    assert ("M001 warning  shop/services.py:21  `orders.order_totals` reads orders by the same key (id) as "
            "`orders.order_status` on line 20") in out
    assert "fix: SELECT status, created_at, total_cents, currency FROM orders WHERE id = %s" in out


def test_bad_endpoint_selectors_are_usage_errors() -> None:
    unknown = explain("--endpoint", "GET /nowhere")
    assert unknown.exit_code == 2
    assert "no endpoint matches 'GET /nowhere'; the endpoints are, closest first:" in unknown.stderr
    assert "GET /orders/search  (shop/app.py:21)" in unknown.stderr
    both = explain("shop/orders.py:38", "--endpoint", "GET /orders")
    assert both.exit_code == 2 and "not both" in both.stderr
    neither = explain()
    assert neither.exit_code == 2 and "missing TARGET" in neither.stderr
    concrete = explain("--endpoint", "/orders/3")  # a concrete URL, any method: matches one template
    assert concrete.stdout.startswith("endpoint: GET /orders/<int:order_id>  handler order_page")


def test_endpoint_without_sql_says_where_its_chain_stops(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "import requests\nfrom flask import Flask\napp = Flask(__name__)\n\n"
        "@app.get('/proxy')\ndef proxy():\n    return requests.get('http://upstream.invalid').text\n", encoding="utf-8")
    os.chdir(tmp_path)
    result = explain("--endpoint", "GET /proxy")
    assert result.exit_code == 2
    assert "GET /proxy: its call chain reaches no SQL; it stops here:" in result.stderr
    assert "stops at requests.get: outside the repository (app.py:7)" in result.stderr
