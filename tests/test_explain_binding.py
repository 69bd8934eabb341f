"""Typed binding, live: the literal a placeholder gets decides the plan, so it follows the column's type."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from sqllint.cli import main
from sqllint.explain.binding import bind
from sqllint.explain.dsn import parse_dsn
from sqllint.explain.plan import parse_traditional
from sqllint.explain.session import Session
from sqllint.explain.settings import ExplainSettings
from sqllint.explain.stage import read_catalog
from sqllint.extract.placeholders import normalise
from sqllint.parse import SqlParser

PARSER = SqlParser()


@pytest.fixture(scope="module")
def session(shop_db):
    with Session(parse_dsn(shop_db.dsn), ExplainSettings()) as opened:
        yield opened


@pytest.fixture(scope="module")
def catalog(session):
    return read_catalog(session)


def explain(session, sql: str):
    names, rows = session.query(f"EXPLAIN {sql}")
    return parse_traditional(names, rows)


def bound(text: str, catalog):
    tree = PARSER.parse_text(normalise(text)[0])[0]
    assert tree is not None, text
    return bind(tree, catalog)


def test_integer_key_gets_a_number_not_a_string(session, catalog) -> None:
    binding = bound("SELECT id, total_cents FROM orders WHERE id = ?", catalog)
    assert binding.sql.endswith("WHERE id = 1") and not binding.guessed
    (row,) = explain(session, binding.sql).rows
    assert row.access_type == "const" and row.key == "PRIMARY"
    # The mistake typed binding avoids: a string on an INT key is "Impossible WHERE", no plan at all.
    (naive,) = explain(session, "SELECT id, total_cents FROM orders WHERE id = 'abc'").rows
    assert naive.access_type is None and naive.has_extra("Impossible WHERE")


def test_string_column_gets_a_string_so_its_index_is_usable(session, catalog) -> None:
    binding = bound("SELECT id, title FROM products WHERE category = :category", catalog)
    assert "category = 'a'" in binding.sql and not binding.guessed
    (row,) = explain(session, binding.sql).rows
    assert row.access_type == "ref" and row.key == "idx_products_category"
    # A number against a VARCHAR index converts every row: the index is not used.
    (naive,) = explain(session, "SELECT id, title FROM products WHERE category = 1").rows
    assert naive.access_type == "ALL"


def test_in_list_gets_several_values(session, catalog) -> None:
    one_slot = bound("SELECT id FROM orders WHERE user_id IN (?)", catalog)
    assert "user_id IN (1, 2, 3)" in one_slot.sql
    (row,) = explain(session, one_slot.sql).rows
    assert row.access_type == "range" and row.key == "idx_orders_user"
    several = bound("SELECT id FROM users WHERE email IN (%s, %s, %s)", catalog)
    assert "email IN ('a', 'b', 'c')" in several.sql


def test_dates_ranges_limits_and_enums(session, catalog, scratch_db) -> None:
    binding = bound("SELECT id FROM orders WHERE created_at >= %(since)s AND created_at < %(until)s "
                    "ORDER BY created_at LIMIT %s OFFSET %s", catalog)
    assert "created_at >= '2024-01-01 00:00:00' AND created_at < '2024-01-02 00:00:00'" in binding.sql and "LIMIT 10 OFFSET 0" in binding.sql
    (row,) = explain(session, binding.sql).rows
    assert row.key == "idx_orders_created"
    between = bound("SELECT id FROM orders WHERE total_cents BETWEEN ? AND ?", catalog)
    assert "BETWEEN 1 AND 2" in between.sql
    db = scratch_db("CREATE TABLE tickets (id INT PRIMARY KEY, state ENUM('open','closed') NOT NULL, "
                    "due DATE, score DECIMAL(5,2), KEY (state));")
    with Session(parse_dsn(db.dsn), ExplainSettings()) as other:
        tickets = read_catalog(other)
        typed = bound("SELECT id FROM tickets t WHERE t.state = ? AND due < ? AND score > ?", tickets)
        assert "t.state = 'open'" in typed.sql and "due < '2024-01-02'" in typed.sql and "score > 1.5" in typed.sql
        assert not typed.guessed


def test_unknown_type_is_a_neutral_literal_and_reported_as_a_guess(session, catalog) -> None:
    binding = bound("SELECT id FROM orders WHERE total_cents * ? > 100 AND status = ?", catalog)
    assert "total_cents * '1'" in binding.sql and "status = 'a'" in binding.sql
    assert binding.guessed and len(binding.guesses) == 1 and "parameter 1" in binding.guesses[0]
    explain(session, binding.sql)  # the neutral literal is valid SQL for the server


def test_distinct_bindings_and_literals_are_explained_apart(catalog) -> None:
    paid = bound("SELECT id FROM orders WHERE status = 'paid'", catalog)
    new = bound("SELECT id FROM orders WHERE status = 'new'", catalog)
    assert paid.key != new.key  # same fingerprint, different literal: may be a different plan


def test_finding_says_the_binding_was_a_guess(tmp_path: Path, shop_db) -> None:
    (tmp_path / "dao.py").write_text(
        "def heavy(cur, factor):\n"
        "    cur.execute('SELECT id FROM orders WHERE total_cents * %s > 100', (factor,))\n", encoding="utf-8")
    previous = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner(env={"SQLLINT_DSN": None}).invoke(
            main, ["check", ".", "--no-baseline", "--format", "json", "--dsn", shop_db.dsn], catch_exceptions=False)
    finally:
        os.chdir(previous)
    scans = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "P001"]
    assert scans and "binding was a guess" in scans[0]["message"] and "total_cents" in scans[0]["message"]


def test_like_concat_pattern_piece_is_typed_from_the_column(session, catalog) -> None:
    binding = bound("SELECT id FROM users WHERE name LIKE CONCAT(#{keyword}, '%') AND id > #{minId}", catalog)
    assert "LIKE CONCAT('a', '%')" in binding.sql and "id > 1" in binding.sql and not binding.guessed
    explain(session, binding.sql)


def test_an_undeclared_question_mark_is_still_bound(catalog) -> None:
    from sqllint.explain.binding import bind as bind_tree

    tree = PARSER.parse_text("SELECT id FROM orders WHERE user_id = ?")[0]
    # The text fast path only applies when the tree has no placeholder at all.
    assert bind_tree(tree, catalog, "SELECT id FROM orders WHERE user_id = ?", slots=True).sql.endswith("user_id = 1")
