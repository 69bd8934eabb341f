"""The demo app reproduces the incident and its lessons; its clean counterparts stay silent."""

from __future__ import annotations

from pathlib import Path

from sqllint.config import Config
from sqllint.engine import run

SHOP = Path(__file__).resolve().parent.parent / "fixtures" / "shop"


def shop_findings():  # type: ignore[no-untyped-def]
    return run(["."], Config(root=SHOP), SHOP, jobs=1).findings


def test_exact_findings_of_the_demo_app() -> None:
    found = {(f.path, f.rule, f.scope, f.variant) for f in shop_findings()}
    assert found == {
        ("shop/orders.py", "S001", "list_orders", "when keyword, status are absent (+1 more variant)"),
        ("shop/orders.py", "S002", "list_orders", None),
        ("shop/orders.py", "M001", "order_summary", None),
        ("shop/orders.py", "M002", "orders_with_items", None),
        # The service's calls of DAO functions carry what those run: two reads of one order, and an N+1
        # through a helper of the service module.
        ("shop/services.py", "M001", "OrderService.order_page", None),
        ("shop/services.py", "M002", "OrderService.order_details", None),
        ("reports.sql", "S007", None, None),
        ("reports.sql", "S009", None, None),
    }


def test_incident_is_reported_only_for_the_no_filter_variants() -> None:
    [incident] = [f for f in shop_findings() if f.rule == "S001"]
    assert "SELECT * FROM order_items" in incident.message
    assert "SELECT * FROM order_items)" in incident.sql  # the variant's own SQL, without the filter
    assert incident.line == 38  # the cur.execute call site


def test_clean_counterparts_are_silent() -> None:
    noisy_scopes = {f.scope for f in shop_findings()}
    for clean in ("search_orders", "order_summary_merged", "orders_with_items_batched", "mark_shipped",
                  "find_user", "recent_users"):
        assert clean not in noisy_scopes


def test_suggestions_are_concrete() -> None:
    by_rule = {f.rule: f for f in shop_findings() if f.path == "shop/orders.py"}
    assert by_rule["M001"].suggestion == "SELECT status, created_at, total_cents, currency FROM orders WHERE id = %s"
    assert "order_id IN (%s, %s, …)" in (by_rule["M002"].suggestion or "")
