"""The plan model: recorded real MySQL outputs (tests/data/mysql8/) and live MariaDB, in both formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sqllint.explain.dsn import parse_dsn
from sqllint.explain.plan import Plan, parse_traditional
from sqllint.explain.planjson import parse_json
from sqllint.explain.session import Session
from sqllint.explain.settings import ExplainSettings

MYSQL8 = Path(__file__).resolve().parent / "data" / "mysql8"


def _value(text: str) -> str | None:
    text = text.strip()
    return None if text == "NULL" else text


def recorded(name: str) -> list[str]:
    """A recorded output without its source comments."""
    return [line for line in (MYSQL8 / name).read_text(encoding="utf-8").splitlines() if not line.startswith("# ")]


def mysql_table(lines: list[str]) -> tuple[list[str], list[list[str | None]]]:
    """The mysql client's boxed table (``+---+`` borders, ``|`` separated cells)."""
    cells = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines if line.startswith("|")]
    return cells[0], [[_value(c) for c in row] for row in cells[1:]]


def mysql_vertical(lines: list[str]) -> tuple[list[str], list[list[str | None]]]:
    """The mysql client's ``\\G`` output (``*** 1. row ***`` then ``name: value`` lines)."""
    records: list[dict[str, str | None]] = []
    for line in lines:
        if line.startswith("*****"):
            records.append({})
        elif records and ":" in line:
            name, _, value = line.partition(":")
            records[-1][name.strip()] = _value(value)
    names = list(records[0])
    return names, [[record[n] for n in names] for record in records]


def mysqltest_sections(name: str) -> list[list[str]]:
    """Sections of a mysqltest ``.result`` excerpt, split on ``## `` lines."""
    sections: list[list[str]] = []
    for line in recorded(name):
        if line.startswith("## "):
            sections.append([])
        elif sections:
            sections[-1].append(line)
    return sections


def tab_rows(lines: list[str]) -> tuple[list[str], list[list[str | None]]]:
    header, *rows = [line.split("\t") for line in lines if line.strip()]
    return header, [[_value(c) for c in row] for row in rows]


def base_tables(plan: Plan) -> list[tuple]:
    return [(r.table, r.access_type, r.key, r.rows) for r in plan.rows if r.table and not r.internal]


def test_mysql8_tabular_output_with_partitions_and_filtered() -> None:
    names, rows = mysql_table(recorded("country_range_tabular.txt"))
    assert "partitions" in names and "filtered" in names
    plan = parse_traditional(names, rows, "mysql")
    (row,) = plan.rows
    assert (row.id, row.select_type, row.table, row.access_type) == (1, "SIMPLE", "country", "range")
    assert row.possible_keys == ("PRIMARY",) and row.key == "PRIMARY" and row.key_len == "12"
    assert row.rows == 17 and row.filtered == 100.0 and row.partitions is None and row.ref is None
    assert row.extra == ("Using where",) and not row.full_scan and row.has_condition


def test_mysql8_json_output_has_costs_and_matches_the_tabular_plan() -> None:
    text = "\n".join(line for line in recorded("country_range.json.txt") if not line.startswith("#"))
    plan = parse_json(text)
    assert plan.flavor == "mysql" and plan.source == "json" and plan.total_cost == pytest.approx(3.67)
    (row,) = plan.rows
    assert (row.table, row.access_type, row.key, row.key_len, row.rows) == ("country", "range", "PRIMARY", "12", 17)
    assert row.filtered == 100.0 and row.cost == pytest.approx(3.67) and row.has_extra("Using where")
    names, rows = mysql_table(recorded("country_range_tabular.txt"))
    assert base_tables(plan) == base_tables(parse_traditional(names, rows, "mysql"))


def test_mysql8_hash_join_is_a_join_buffer() -> None:
    names, rows = mysql_vertical(recorded("hash_join_vertical.txt"))
    plan = parse_traditional(names, rows, "mysql")
    first, second = plan.rows
    assert first.full_scan and first.join_buffer is None and first.extra == ()
    assert second.join_buffer == "hash join" and second.has_extra("Using where")
    assert plan.rows_examined() == 1


def test_mysql_json_with_end_markers_dependent_and_materialized_subqueries() -> None:
    tabular, as_json, union_tabular, union_json = mysqltest_sections("mysql_test_subqueries_union.result.txt")
    plan = parse_traditional(*tab_rows(tabular), "mysql")
    assert [(r.id, r.select_type, r.table) for r in plan.rows] == [
        (1, "PRIMARY", "t1"), (3, "UNCACHEABLE SUBQUERY", "t4"), (2, "DEPENDENT SUBQUERY", "t2")]
    # mysqltest recorded it with end_markers_in_json=on: /* table */ comments, as a server can print them.
    from_json = parse_json("\n".join(as_json))
    assert from_json.flavor == "mysql"  # no cost_info in this older format, but MySQL's shape
    by_table = {r.table: r for r in from_json.rows}
    assert {"t1", "t2", "t4"} <= set(by_table)
    assert "DEPENDENT" in by_table["t2"].select_type and by_table["t2"].id == 2
    assert by_table["t4"].id == 3 and by_table["t1"].id == 1
    assert sorted(base_tables(from_json)) == sorted(base_tables(plan))
    union = parse_traditional(*tab_rows(union_tabular), "mysql")
    assert union.rows[-1].table == "<union1,2,3>" and union.rows[-1].id is None and union.rows[-1].internal
    assert union.rows[-1].has_extra("Using temporary")
    union_from_json = parse_json("\n".join(union_json))
    assert sorted(base_tables(union_from_json)) == sorted(base_tables(union))


def test_plan_round_trips_through_the_cache_format() -> None:
    names, rows = mysql_vertical(recorded("hash_join_vertical.txt"))
    plan = parse_traditional(names, rows, "mysql")
    assert Plan.from_json(plan.to_json()) == plan



def test_rows_built_fast_and_extras_read_without_case_behave_as_the_dataclass() -> None:
    """``_row`` (the parsers' constructor) gives what ``PlanRow(...)`` gives; ``has_extra``/``join_buffer``
    read a cached lower-cased copy of Extra, and ``vars(row)`` stays the row's fields (reporters dump it)."""
    from types import MappingProxyType

    from sqllint.explain.plan import PlanRow, _row

    values = (2, "DEPENDENT SUBQUERY", "o", "ALL", ("k",), None, None, None, 50, 10.0,
              ("Using where", "Using join buffer (flat, BNL join)", "Σ FirstMatch(u)"), None, 1.5, None)
    row, built = PlanRow(*values), _row(values)
    assert built == row and hash(built) == hash(row) and repr(built) == repr(row) and vars(built) == vars(row)
    with pytest.raises(AttributeError):
        built.rows = 1  # type: ignore[misc]
    for text in ("using WHERE", "join buffer (flat", "firstmatch(U)", "σ", "", "where\nusing"):
        assert built.has_extra(text) == any(text.lower() in item.lower() for item in values[10]), text
    assert not built.has_extra("where; using")  # never across two items
    assert built.join_buffer == "flat, BNL join" and list(vars(built)) == [*vars(row)]
    bare = PlanRow(1, "SIMPLE", "t", "ref")
    assert not bare.has_extra("") and bare.join_buffer is None
    plan = Plan((row, bare))
    assert isinstance(plan.blocks, MappingProxyType) and dict(plan.blocks) == plan.loops()
    assert plan.rows_examined() == 50 + 1 and Plan((bare,)).rows_examined() == 1

# --- MariaDB, live -----------------------------------------------------------------------------------

QUERIES = {
    "scan": "SELECT id FROM orders WHERE status = 'paid'",
    "join": "SELECT o.id, u.email FROM orders o JOIN users u ON u.id = o.user_id WHERE o.created_at >= '2024-06-01'",
    "bnl": "SELECT o.id, u.email FROM orders o JOIN users u ON u.name = o.status WHERE o.user_id = 7",
    "group": "SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY COUNT(*) DESC",
    "dependent": "SELECT u.id, (SELECT COUNT(*) FROM orders o WHERE o.status = u.status) AS n FROM users u "
                 "WHERE u.id < 10",
    "derived": "SELECT t.user_id, t.n FROM (SELECT user_id, COUNT(*) AS n FROM orders GROUP BY user_id) t "
               "WHERE t.n > 5",
    "union": "SELECT id FROM users WHERE id < 5 UNION SELECT user_id FROM orders WHERE id < 5",
    "range_checked": "SELECT u.id, o.id FROM users u JOIN orders o ON o.id > u.id + 100000 WHERE u.id < 3",
    "semi_join": "SELECT u.id FROM users u WHERE EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id AND "
                 "o.total_cents > 5) AND u.id < 100",
    "index_condition": "SELECT id FROM orders WHERE user_id > 5 AND total_cents % 2 = 1 AND user_id < 9",
}


@pytest.fixture(scope="module")
def mariadb(shop_db):
    with Session(parse_dsn(shop_db.dsn), ExplainSettings()) as session:
        yield session


def both(session: Session, sql: str) -> tuple[Plan, Plan]:
    names, rows = session.query(f"EXPLAIN {sql}")
    traditional = parse_traditional(names, rows, "mariadb")
    document = session.query(f"EXPLAIN FORMAT=JSON {sql}")[1][0][0]
    json.loads(document)
    return traditional, parse_json(document)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_mariadb_json_and_tabular_agree_on_every_base_table(mariadb, name: str) -> None:
    traditional, from_json = both(mariadb, QUERIES[name])
    assert from_json.flavor == "mariadb" and traditional.flavor == "mariadb"
    assert sorted(base_tables(from_json)) == sorted(base_tables(traditional))
    for row in traditional.rows:  # MariaDB's tabular EXPLAIN has no partitions/filtered columns
        assert row.partitions is None and row.filtered is None


def test_mariadb_plans_carry_what_the_rules_read(mariadb) -> None:
    scan, scan_json = both(mariadb, QUERIES["scan"])
    assert scan.rows[0].full_scan and scan.rows[0].rows > 10_000 and scan.rows[0].has_extra("Using where")
    bnl, bnl_json = both(mariadb, QUERIES["bnl"])
    assert any(r.join_buffer for r in bnl.rows) and any(r.join_buffer for r in bnl_json.rows)
    group, group_json = both(mariadb, QUERIES["group"])
    for plan in (group, group_json):
        assert any(r.has_extra("Using temporary") for r in plan.rows)
        assert any(r.has_extra("Using filesort") for r in plan.rows)
    dependent, dependent_json = both(mariadb, QUERIES["dependent"])
    for plan in (dependent, dependent_json):
        inner = [r for r in plan.rows if r.table == "o"]
        assert inner and "DEPENDENT" in inner[0].select_type
        # rows examined multiplies the dependent subquery by the outer rows
        outer = next(r for r in plan.rows if r.table == "u")
        assert plan.rows_examined() >= (outer.rows or 1) * (inner[0].rows or 1)


def test_mariadb_json_carries_the_extras_of_the_tabular_format(mariadb) -> None:
    """The stage sends FORMAT=JSON: the notes the tabular Extra column prints must survive, including the
    table MariaDB nests inside ``range-checked-for-each-record`` (P004 reads it)."""
    for name in ("range_checked", "semi_join", "index_condition"):
        traditional, from_json = both(mariadb, QUERIES[name])
        for row, json_row in zip(traditional.rows, from_json.rows):
            assert (json_row.table, json_row.access_type, json_row.key) == (row.table, row.access_type, row.key)
            notes = [e.split(" (")[0] for e in row.extra]
            assert notes == [e.split(" (")[0] for e in json_row.extra], (name, row.extra, json_row.extra)


def test_mariadb_rowid_filter_in_tabular_rows() -> None:
    """MariaDB 10.4+ prints a rowid filter into the tabular columns (recorded from MariaDB 10.11): the
    access is the part before the bar and the estimate the number before the percentage."""
    names = ["id", "select_type", "table", "type", "possible_keys", "key", "key_len", "ref", "rows", "Extra"]
    rows = [(1, "SIMPLE", "p", "ref|filter", "idx_products_category_status,idx_products_title",
             "idx_products_category_status|idx_products_title", "5|802", "const,const", "1 (0%)",
             "Using where; Using rowid filter")]
    (row,) = parse_traditional(names, rows, "mariadb").rows
    assert (row.access_type, row.key, row.key_len, row.rows) == ("ref", "idx_products_category_status", "5", 1)
    assert row.extra == ("Using where", "Using rowid filter")


# --- MySQL 8.0 tree format (EXPLAIN ANALYZE, FORMAT=TREE), recorded --------------------------------------

def tree_sections() -> dict[str, str]:
    """tests/data/mysql8/explain_analyze_tree.txt by section name (its header names each source)."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in (MYSQL8 / "explain_analyze_tree.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            current = sections.setdefault(line[3:].strip(), [])
        elif current is not None and not line.startswith("#"):
            current.append(line)
    return {name: "\n".join(lines) for name, lines in sections.items()}


def test_mysql8_explain_analyze_tree_gives_rows_with_estimates_and_measurements() -> None:
    from sqllint.explain.mysqltree import parse_tree

    plan = parse_tree(tree_sections()["blog_binary_cast"])
    assert (plan.source, plan.flavor, plan.total_cost) == ("tree", "mysql", 468792.05)
    assert [(r.table, r.access_type, r.key) for r in plan.rows] == [
        ("roll", "ALL", None), ("oc", "eq_ref", "PRIMARY"), ("item", "eq_ref", "PRIMARY")]
    scan = plan.rows[0]
    assert scan.full_scan and scan.rows == 582836 and scan.actual_rows == 600367.0
    assert scan.has_condition and scan.has_extra("Using where")  # the Filter over the scan
    assert plan.rows_examined() == 582836
    assert [r.actual_rows for r in plan.rows[1:]] == [1.0, 1.0]
    (fetched,) = parse_tree(tree_sections()["blog_without_cast"]).rows
    assert fetched.table is None and fetched.extra == ("Rows fetched before execution",)


def test_mysql8_tree_hash_join_lists_the_build_side_first_and_marks_the_join_buffer() -> None:
    from sqllint.explain.mysqltree import parse_tree

    plan = parse_tree(tree_sections()["manual_hash_join"])  # the client's "EXPLAIN: " label included
    assert [r.table for r in plan.rows] == ["t1", "t2", "t3"]
    assert plan.rows[0].join_buffer is None
    assert plan.rows[1].join_buffer == "hash join" and plan.rows[2].join_buffer == "hash join"
    assert plan.rows[1].has_extra("Using where")  # the non-equi condition t1.c2 < t2.c2, applied after the join


def test_mysql8_tree_subqueries_sorts_and_temporary_tables() -> None:
    from sqllint.explain.mysqltree import parse_tree

    sections = tree_sections()
    dependent = parse_tree(sections["test_suite_dependent_subquery"])
    assert [(r.id, r.select_type, r.table, r.access_type) for r in dependent.rows] == [
        (1, "PRIMARY", "t1", "index"), (2, "DEPENDENT SUBQUERY", "i", "range")]
    assert dependent.rows[0].has_extra("Using index")
    assert dependent.rows[1].has_extra("Range checked for each record")  # "re-planned for each iteration"
    assert dependent.rows_examined() == 3 + 3 * 3
    distinct = parse_tree(sections["test_suite_distinct_temporary"])
    assert [(r.table, r.access_type, r.key) for r in distinct.rows] == [("t1", "ALL", None), ("t2", "ref", "a")]
    assert distinct.rows[0].has_extra("Using temporary") and not any(r.table == "<temporary>" for r in distinct.rows)
    (sort,) = parse_tree(sections["test_suite_sort"]).rows
    assert sort.full_scan and sort.has_extra("Using filesort")


def test_mysql8_tree_wrapped_lines_and_never_executed() -> None:
    """The manual's EXPLAIN ANALYZE example wraps each measurement onto its own line, and a branch that
    never ran says ``(never executed)``: both shapes, written here (not recorded) after that example."""
    from sqllint.explain.mysqltree import parse_tree

    plan = parse_tree("-> Inner hash join (t2.c2 = t1.c1)  (cost=4.70 rows=6)\n"
                      "(actual time=0.032..0.035 rows=6 loops=1)\n"
                      "    -> Table scan on t2  (cost=0.06 rows=6)\n"
                      "(actual time=0.003..0.005 rows=6 loops=1)\n"
                      "    -> Hash\n"
                      "        -> Table scan on t1  (cost=0.85 rows=6) (never executed)\n")
    assert [(r.table, r.rows, r.actual_rows) for r in plan.rows] == [("t1", 6, 0.0), ("t2", 6, 6.0)]


def test_mariadb_analyze_format_json_carries_measured_rows(shop_db) -> None:
    """What --analyze sends to MariaDB (ANALYZE FORMAT=JSON runs the SELECT): every table gets its measured
    rows per loop (r_rows) beside the estimate."""
    ((total,),) = shop_db.query("SELECT COUNT(*) FROM shipments")
    with Session(parse_dsn(shop_db.dsn), ExplainSettings(), analyze=True) as session:
        document = session.query("ANALYZE FORMAT=JSON SELECT o.id, s.carrier FROM orders o "
                                 "JOIN shipments s ON s.order_id = o.id WHERE o.status = 'paid'")[1][0][0]
    plan = parse_json(document)
    assert plan.flavor == "mariadb" and [r.table for r in plan.rows] == ["s", "o"]
    shipments, orders = plan.rows
    assert shipments.full_scan and shipments.actual_rows == total  # a full scan reads every row
    assert orders.access_type == "eq_ref" and orders.actual_rows == 1  # one row per primary-key lookup


def test_mysql8_tree_skip_scans_and_zero_rows() -> None:
    """Iterator names as MySQL's explain_access_path.cc prints them ("Index skip scan for grouping on",
    "Covering index skip scan for deduplication on", "Zero rows (…)"), numbers in its 100e-6 notation;
    written here, not recorded."""
    from sqllint.explain.mysqltree import parse_tree

    (skip,) = parse_tree("EXPLAIN: -> Covering index skip scan for deduplication on film_category using PRIMARY  "
                         "(cost=0.65 rows=2) (actual time=0.0365..4.95 rows=1000 loops=1)").rows
    assert (skip.table, skip.access_type, skip.key, skip.rows, skip.actual_rows) == (
        "film_category", "range", "PRIMARY", 2, 1000.0) and skip.has_extra("Using index")
    (grouping,) = parse_tree("-> Index skip scan for grouping on t using i  (cost=1.1 rows=4)").rows
    assert (grouping.table, grouping.access_type, grouping.key) == ("t", "range", "i")
    (zero,) = parse_tree("-> Zero rows (no matching row in const table)  (cost=0..0 rows=0) "
                         "(actual time=100e-6..100e-6 rows=0 loops=1)").rows
    assert zero.table is None and zero.extra == ("Zero rows (no matching row in const table)",)
