"""`sqllint check` with a staging database: plan findings, enrichment, DSN sources, faults, exit codes."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from sqllint.cli import main

REPO = Path(__file__).resolve().parent.parent


def invoke(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner(env={"SQLLINT_DSN": None, **(env or {})}).invoke(main, args, catch_exceptions=False)
    finally:
        os.chdir(previous)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture()
def shop(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "fixtures/shop", tmp_path / "shop")
    return tmp_path


def findings(stdout: str) -> list[dict]:
    return json.loads(stdout)["findings"]


def test_check_with_dsn_adds_plan_findings_and_enriches_static_ones(shop: Path, shop_db) -> None:
    code, out, err = invoke(["check", "shop", "--no-baseline", "--format", "json", "--dsn", shop_db.dsn], shop)
    assert code == 1 and "warning" not in err
    found = findings(out)
    plan_codes = {f["rule"] for f in found if f["rule"].startswith("P")}
    assert {"P001", "P002"} <= plan_codes
    scans = [f for f in found if f["rule"] == "P001"]
    assert any("`users`" in f["message"] and "rows" in f["message"] for f in scans)
    # The unconditional derived table (S001) is told how many rows the server expects it to read.
    (s001,) = [f for f in found if f["rule"] == "S001"]
    assert "plan:" in s001["message"] and "order_items" in s001["message"]
    # Without a DSN: the same static findings, no plan findings, no plan text.
    code, static_out, _ = invoke(["check", "shop", "--no-baseline", "--format", "json"], shop)
    static = findings(static_out)
    assert not any(f["rule"].startswith("P") for f in static)
    assert {(f["rule"], f["path"], f["line"]) for f in static} <= {(f["rule"], f["path"], f["line"]) for f in found}


def test_static_results_stay_cached_with_a_dsn(shop: Path, shop_db) -> None:
    """With --dsn the result cache still answers for unchanged files (their statements are stored with the
    findings, without trees); only the plan stage runs, through its plan cache."""
    args = ["check", "shop", "--no-baseline", "--format", "json", "--dsn", shop_db.dsn]
    code, cold, err = invoke(args, shop)
    assert code == 1 and "warning" not in err
    (results,) = (shop / ".sqllint_cache").glob("results-*.json")
    document = json.loads(results.read_text(encoding="utf-8"))
    entries = list(document["files"].values())
    assert entries and all("parsed" in entry for entry in entries)
    assert any(record["facts"] and record["facts"][3] for entry in entries for record in entry["parsed"])
    # Mark one static finding in the cache: a warm run that shows the mark read its static findings from
    # the cache instead of checking the file again.
    marked = next(f for entry in entries for f in entry["findings"] if f["rule"] == "S001")
    marked["message"] += " [from the result cache]"
    results.write_text(json.dumps(document), encoding="utf-8")
    code, warm, err = invoke(args, shop)
    assert code == 1 and "warning" not in err
    warm_found, cold_found = findings(warm), findings(cold)
    (s001,) = [f for f in warm_found if f["rule"] == "S001"]
    assert "[from the result cache]" in s001["message"]
    assert "plan:" in s001["message"]  # still enriched by the live plan
    # The plan findings are all there, the same as in the cold run.
    plan = sorted((f["rule"], f["path"], f["line"], f["message"]) for f in warm_found if f["rule"][0] in "PE")
    assert plan and plan == sorted((f["rule"], f["path"], f["line"], f["message"]) for f in cold_found
                                   if f["rule"][0] in "PE")
    # Editing a file checks it again (its statements come back from the parser, not the cache).
    orders = shop / "shop" / "shop" / "orders.py"
    orders.write_text(orders.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    code, edited, _ = invoke(args, shop)
    (s001,) = [f for f in findings(edited) if f["rule"] == "S001"]
    assert "[from the result cache]" not in s001["message"] and "plan:" in s001["message"]


def test_dsn_from_environment_and_from_the_variable_dsn_env_names(shop: Path, shop_db) -> None:
    code, out, _ = invoke(["check", "shop", "--no-baseline", "--format", "json"], shop, {"SQLLINT_DSN": shop_db.dsn})
    assert any(f["rule"].startswith("P") for f in findings(out))
    (shop / "sqllint.toml").write_text('dsn-env = "STAGING_DB_URL"\n', encoding="utf-8")
    code, out, _ = invoke(["check", "shop", "--no-baseline", "--format", "json"], shop,
                          {"STAGING_DB_URL": shop_db.dsn})
    assert any(f["rule"].startswith("P") for f in findings(out))
    # dsn-env replaces SQLLINT_DSN: setting only the default variable no longer connects.
    code, out, _ = invoke(["check", "shop", "--no-baseline", "--format", "json"], shop, {"SQLLINT_DSN": shop_db.dsn})
    assert not any(f["rule"].startswith("P") for f in findings(out))


def test_unreachable_database_warns_once_with_the_password_masked_and_keeps_static_findings(shop: Path) -> None:
    dsn = "mysql://app:Sup3r%24ecret@127.0.0.1:1/shop"
    code, out, err = invoke(["check", "shop", "--no-baseline", "--format", "json", "--dsn", dsn,
                             "--connect-timeout", "2"], shop)
    assert code == 1  # from the static findings
    assert findings(out) and not any(f["rule"].startswith("P") for f in findings(out))
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "mysql://app:***@127.0.0.1:1/shop" in warnings[0]
    assert "Sup3r" not in out + err and "ecret" not in out + err
    code, out, err = invoke(["check", "shop", "--no-baseline", "--dsn", dsn, "--require-db"], shop)
    assert code == 2 and "--require-db" in err and "Sup3r" not in out + err


def test_unresolvable_host_and_wrong_password_never_show_the_password(shop: Path, shop_db) -> None:
    for dsn in ("mysql://app:pw-LEAK-9@no-such-host.invalid:3306/shop",
                shop_db.readonly_dsn.replace("R0%3Ap%40ss", "Wr0ng%3Ap%40ss")):
        code, out, err = invoke(["check", "shop", "--no-baseline", "--format", "sarif", "--dsn", dsn,
                                 "--connect-timeout", "2"], shop)
        assert "could not be used" in err
        for secret in ("pw-LEAK-9", "Wr0ng", "Wr0ng%3Ap%40ss", "Wr0ng:p@ss"):
            assert secret not in out + err


def test_bad_dsn_is_a_usage_error_naming_the_problem(shop: Path) -> None:
    code, _, err = invoke(["check", "shop", "--dsn", "postgres://u:topsecret@h/db"], shop)
    assert code == 2 and "mysql://" in err and "topsecret" not in err
    code, _, err = invoke(["check", "shop", "--dsn", "mysql://u:topsecret@h/db?sslmode=on"], shop)
    assert code == 2 and "sslmode" in err and "topsecret" not in err
    code, _, err = invoke(["check", "shop", "--require-db"], shop)
    assert code == 2 and "SQLLINT_DSN" in err


def test_plan_regression_against_the_baseline(shop: Path, scratch_db) -> None:
    db = scratch_db((REPO / "fixtures/shop/schema.sql").read_text())
    db.script((REPO / "tests/data/shop_data.sql").read_text().split("-- user_id:")[0])  # users and products
    with db.connect() as conn, conn.cursor() as cursor:
        cursor.execute("INSERT INTO orders (id, user_id, status, total_cents, created_at) SELECT seq, 1 + seq % 5000, "
                       "'paid', seq, '2024-01-01' FROM seq_1_to_30000")
        cursor.execute("ANALYZE TABLE orders")
    app = shop / "app.sql"
    app.write_text("SELECT id, total_cents FROM orders WHERE user_id = 17;\n", encoding="utf-8")
    code, _, err = invoke(["check", "app.sql", "--update-baseline", "--dsn", db.dsn], shop)
    assert code == 0, err
    stored = json.loads((shop / "sqllint.baseline.json").read_text())
    assert "idx_orders_user" in json.dumps(stored)
    db.query("ALTER TABLE orders DROP INDEX idx_orders_user")
    code, out, err = invoke(["check", "app.sql", "--format", "json", "--dsn", db.dsn], shop)
    regressions = [f for f in findings(out) if f["rule"] == "R001"]
    assert code == 1 and regressions and "ALL" in regressions[0]["message"]


def test_connect_timeout_bounds_an_unanswering_host(shop: Path) -> None:
    import time

    start = time.monotonic()
    code, out, err = invoke(["check", "shop", "--no-baseline", "--format", "json", "--connect-timeout", "1",
                             "--dsn", "mysql://app:hidden-pw@10.255.255.1:3306/shop"], shop)
    assert time.monotonic() - start < 6 and code == 1 and "could not be used" in err and "hidden-pw" not in err


def test_the_search_submitted_empty_is_told_how_many_rows_it_reads(tmp_path: Path, shop_db) -> None:
    (tmp_path / "search.py").write_text('''\
def search_orders(cur, status=None, user_id=None):
    sql = "SELECT id, status, total_cents FROM orders WHERE 1=1"
    args = []
    if status:
        sql += " AND status = %s"
        args.append(status)
    if user_id:
        sql += " AND user_id = %s"
        args.append(user_id)
    cur.execute(sql, args)
    return cur.fetchall()
''', encoding="utf-8")
    code, out, _ = invoke(["check", ".", "--isolated", "--format", "json", "--dsn", shop_db.dsn], tmp_path)
    (s016,) = [f for f in findings(out) if f["rule"] == "S016"]
    assert s016["variant"] == "when status, user_id are absent"
    assert "plan:" in s016["message"] and "`orders`" in s016["message"] and "read in full" in s016["message"]
