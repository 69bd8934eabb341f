"""``sqllint explain``'s plan rendering: table, tree and summary from real plan shapes.

Plans come from traditional EXPLAIN rows and from EXPLAIN FORMAT=JSON, in MariaDB 10.11's shape
(recorded on the local server over the shop schema) and MySQL 8.0's (columns ``partitions`` and
``filtered``, ``cost_info``, ``ordering_operation``, ``materialized_from_subquery``, derived tables named
by alias in JSON). The same query must give the same tree from either format.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest

from sqllint.explain.plan import parse_traditional
from sqllint.explain.planjson import parse_json
from sqllint.explain.plantree import block_parents, build_tree
from sqllint.explain.render import layout_sql, plan_table, render_tree, summarize

MARIADB = ["id", "select_type", "table", "type", "possible_keys", "key", "key_len", "ref", "rows", "Extra"]
MYSQL8 = ["id", "select_type", "table", "partitions", "type", "possible_keys", "key", "key_len", "ref", "rows",
          "filtered", "Extra"]
SHOP_ALIASES = {"o": "orders", "u": "users", "p": "products", "s": "shipments", "order_items": "order_items"}
MYSQL8_DATA = Path(__file__).parent / "data" / "mysql8"


def tree(plan, parents=None, aliases=None) -> str:
    return "\n".join(render_tree(build_tree(plan, parents, aliases)))


# The incident's no-filter variant on MariaDB 10.11 (derived table merged; users drives the join).
INCIDENT = parse_traditional(MARIADB, [
    (1, "SIMPLE", "u", "ALL", "PRIMARY", None, None, None, 20211, "Using temporary; Using filesort"),
    (1, "SIMPLE", "o", "ref", "PRIMARY,idx_orders_user", "idx_orders_user", "4", "shop.u.id", 1, ""),
    (1, "SIMPLE", "order_items", "ref", "idx_items_order,idx_items_product", "idx_items_order", "4", "shop.o.id", 1, ""),
    (1, "SIMPLE", "p", "eq_ref", "PRIMARY", "PRIMARY", "4", "shop.order_items.product_id", 1, ""),
    (1, "SIMPLE", "s", "ref", "idx_shipments_order", "idx_shipments_order", "4", "shop.o.id", 1, None),
])


def test_mariadb_traditional_join_tree_and_summary() -> None:
    assert tree(INCIDENT, {}, SHOP_ALIASES) == """\
block 1 SIMPLE  [temporary table, filesort]
├─ 1. u (users)      ALL     no key                   ~20,211 rows  FULL SCAN
├─ 2. o (orders)     ref     key idx_orders_user      ~1 row
├─ 3. order_items    ref     key idx_items_order      ~1 row
├─ 4. p (products)   eq_ref  key PRIMARY              ~1 row
└─ 5. s (shipments)  ref     key idx_shipments_order  ~1 row"""
    assert summarize(INCIDENT, SHOP_ALIASES) == [
        "`users` (as `u`) is read in full (~20,211 rows, access type ALL): it drives the join and no condition "
        "restricts it, so every row is read.",
        "Estimated rows examined: ~20,211 (20,211 × 1 × 1 × 1 × 1 along the nested loop).",
        "Block 1 sorts its rows through a temporary table: no index delivers the rows in the order or grouping "
        "asked for.",
        "Most of the time likely goes to `users` (as `u`): ~20,211 rows read by a full scan, then sorting the result.",
    ]


UNION_SQL = ("SELECT u.id, (SELECT COUNT(*) FROM orders o WHERE o.user_id = u.id AND o.status = 'paid') AS paid "
             "FROM users u WHERE u.name LIKE '%x' UNION SELECT d.user_id, d.n FROM (SELECT user_id, COUNT(*) n "
             "FROM orders GROUP BY user_id) d WHERE d.n > 3")
UNION = parse_traditional(MARIADB, [
    (1, "PRIMARY", "u", "ALL", None, None, None, None, 20211, "Using where"),
    (2, "DEPENDENT SUBQUERY", "o", "ref", "idx_orders_user", "idx_orders_user", "4", "shop.u.id", 1, "Using where"),
    (3, "UNION", "<derived4>", "ALL", None, None, None, None, 50184, "Using where"),
    (4, "DERIVED", "orders", "index", None, "idx_orders_user", "4", None, 50184, "Using index"),
    (None, "UNION RESULT", "<union1,3>", "ALL", None, None, None, None, None, ""),
])


def test_mariadb_union_dependent_subquery_and_derived_table_nest_as_in_the_statement() -> None:
    assert block_parents(UNION_SQL) == {2: 1, 4: 3}
    assert tree(UNION, block_parents(UNION_SQL), {"u": "users", "o": "orders"}) == """\
block 1 PRIMARY
├─ 1. u (users)  ALL  no key  ~20,211 rows  (Using where)  FULL SCAN
└─ block 2 DEPENDENT SUBQUERY
   └─ 1. o (orders)  ref  key idx_orders_user  ~1 row  (Using where)
block 3 UNION
└─ 1. <derived4>  ALL  no key  ~50,184 rows  (Using where)  FULL SCAN
   └─ block 4 DERIVED
      └─ 1. orders  index  key idx_orders_user  ~50,184 rows  (Using index)  FULL INDEX SCAN
union result
└─ 1. <union1,3>  ALL  no key  rows unknown"""
    lines = summarize(UNION, {"u": "users", "o": "orders"})
    assert lines == [
        "`users` (as `u`) is read in full (~20,211 rows, access type ALL): no index covers its condition.",
        "The derived table <derived4> is read in full (~50,184 rows): it is materialised first, then scanned.",
        "`orders` is read through the whole index `idx_orders_user` (~50,184 rows, access type index): no "
        "condition narrows the index range.",
        "Estimated rows examined: ~140,791 (block 1: 20,211; block 2: 1 × 20,211 runs = 20,211; block 3: 50,184; "
        "block 4: 50,184; union result: 1).",
        "Most of the time likely goes to `orders`: ~50,184 rows read by a full index scan in block 4.",
    ]
    assert UNION.rows_examined() == 140_791  # the summary's total is the plan model's


# EXPLAIN FORMAT=JSON from MariaDB 10.11 for a join on an unindexed column, and the same query's rows.
BNL_JSON = """{
  "query_block": {
    "select_id": 1,
    "filesort": {
      "sort_key": "o.total_cents desc",
      "temporary_table": {
        "nested_loop": [
          {"table": {"table_name": "u", "access_type": "ALL", "rows": 20211, "filtered": 100}},
          {"block-nl-join": {
              "table": {"table_name": "o", "access_type": "ALL", "rows": 50184, "filtered": 100,
                        "attached_condition": "o.total_cents > 100"},
              "buffer_type": "flat", "buffer_size": "256KiB", "join_type": "BNL",
              "attached_condition": "u.`name` = o.`status`"}}
        ]
      }
    }
  }
}"""
BNL_ROWS = [
    (1, "SIMPLE", "u", "ALL", None, None, None, None, 20211, "Using temporary; Using filesort"),
    (1, "SIMPLE", "o", "ALL", None, None, None, None, 50184, "Using where; Using join buffer (flat, BNL join)"),
]


def test_mariadb_json_and_traditional_give_the_same_tree_and_summary() -> None:
    aliases = {"o": "orders", "u": "users"}
    from_json, from_rows = parse_json(BNL_JSON), parse_traditional(MARIADB, BNL_ROWS)
    expected = """\
block 1 SIMPLE  [temporary table, filesort]
├─ 1. u (users)   ALL  no key  ~20,211 rows  FULL SCAN
└─ 2. o (orders)  ALL  no key  ~50,184 rows  (Using where; Using join buffer (flat, BNL join))  FULL SCAN"""
    assert tree(from_json, {}, aliases) == expected
    assert tree(from_rows, {}, aliases) == expected
    assert summarize(from_json, aliases) == summarize(from_rows, aliases) == [
        "`users` (as `u`) is read in full (~20,211 rows, access type ALL): it drives the join and no condition "
        "restricts it, so every row is read.",
        "`orders` (as `o`) is read in full (~50,184 rows, access type ALL): no index covers its condition.",
        "Estimated rows examined: ~1,014,268,824 (20,211 × 50,184 along the nested loop).",
        "Block 1 sorts its rows through a temporary table: no index delivers the rows in the order or grouping "
        "asked for.",
        "`orders` (as `o`) is joined without an index on the join columns (join buffer: flat, BNL join): each batch "
        "of outer rows scans it again.",
        "Most of the time likely goes to `orders` (as `o`): ~1,014,268,824 rows read by a full scan, then sorting "
        "the result.",
    ]


# MySQL 8.0: a derived table that cannot be merged (GROUP BY), traditional and JSON.
DERIVED_SQL = ("SELECT o.id, t.n FROM orders AS o JOIN (SELECT order_id, COUNT(*) AS n FROM order_items GROUP BY "
               "order_id) AS t ON t.order_id = o.id WHERE o.status = 'paid' ORDER BY o.created_at DESC LIMIT 20")
MYSQL8_ROWS = [
    (1, "PRIMARY", "o", None, "ALL", "PRIMARY", None, None, None, 49821, 25.0, "Using where; Using filesort"),
    (1, "PRIMARY", "<derived2>", None, "ref", "<auto_key0>", "<auto_key0>", "4", "shop.o.id", 10, 100.0, None),
    (2, "DERIVED", "order_items", None, "index", "idx_items_order", "idx_items_order", "4", None, 119520, 100.0,
     "Using index"),
]
MYSQL8_JSON = {"query_block": {
    "select_id": 1, "cost_info": {"query_cost": "49201.09"},
    "ordering_operation": {"using_filesort": True, "nested_loop": [
        {"table": {"table_name": "o", "access_type": "ALL", "possible_keys": ["PRIMARY"],
                   "rows_examined_per_scan": 49821, "rows_produced_per_join": 12455, "filtered": "25.00",
                   "cost_info": {"read_cost": "4361.94", "eval_cost": "1245.53", "prefix_cost": "5607.47",
                                 "data_read_per_join": "2M"},
                   "used_columns": ["id", "status", "created_at"],
                   "attached_condition": "(`shop`.`o`.`status` = 'paid')"}},
        {"table": {"table_name": "t", "access_type": "ref", "possible_keys": ["<auto_key0>"], "key": "<auto_key0>",
                   "used_key_parts": ["order_id"], "key_length": "4", "ref": ["shop.o.id"],
                   "rows_examined_per_scan": 10, "rows_produced_per_join": 124553, "filtered": "100.00",
                   "cost_info": {"read_cost": "31138.31", "eval_cost": "12455.31", "prefix_cost": "49201.09",
                                 "data_read_per_join": "2M"},
                   "used_columns": ["order_id", "n"],
                   "materialized_from_subquery": {
                       "using_temporary_table": True, "dependent": False, "cacheable": True,
                       "query_block": {"select_id": 2, "cost_info": {"query_cost": "12116.25"},
                                       "grouping_operation": {"using_filesort": False, "table": {
                                           "table_name": "order_items", "access_type": "index",
                                           "possible_keys": ["idx_items_order"], "key": "idx_items_order",
                                           "used_key_parts": ["order_id"], "key_length": "4",
                                           "rows_examined_per_scan": 119520, "rows_produced_per_join": 119520,
                                           "filtered": "100.00", "using_index": True,
                                           "cost_info": {"read_cost": "164.25", "eval_cost": "11952.00",
                                                         "prefix_cost": "12116.25", "data_read_per_join": "14M"},
                                           "used_columns": ["id", "order_id"]}}}}}}]}}}
MYSQL8_SUMMARY_HEAD = [
    "`orders` (as `o`) is read in full (~49,821 rows, access type ALL): the optimizer chose not to use PRIMARY: it "
    "expects the condition to match too many rows for an index to pay off.",
    "`order_items` is read through the whole index `idx_items_order` (~119,520 rows, access type index): no "
    "condition narrows the index range.",
    "Estimated rows examined: ~617,730 (block 1: 49,821 × 10 = 498,210; block 2: 119,520).",
    "Block 1 sorts its rows: no index delivers the rows in the order or grouping asked for.",
]


def test_mysql8_traditional_derived_table() -> None:
    plan = parse_traditional(MYSQL8, MYSQL8_ROWS, flavor="mysql")
    assert tree(plan, block_parents(DERIVED_SQL), {"o": "orders", "order_items": "order_items"}) == """\
block 1 PRIMARY  [filesort]
├─ 1. o (orders)  ALL  no key           ~49,821 rows  (Using where)  FULL SCAN
└─ 2. <derived2>  ref  key <auto_key0>  ~10 rows
   └─ block 2 DERIVED
      └─ 1. order_items  index  key idx_items_order  ~119,520 rows  (Using index)  FULL INDEX SCAN"""
    assert summarize(plan, {"o": "orders"}) == MYSQL8_SUMMARY_HEAD + [
        "Most of the time likely goes to `<derived2>`: ~498,210 rows read by ref access on <auto_key0> in block 1, "
        "then sorting the result."]
    assert "shop.o.id" in plan_table(plan) and " o.id " in plan_table(plan, database="shop")
    table = plan_table(plan).splitlines()
    assert table[0].split() == ["id", "select_type", "table", "type", "possible_keys", "key", "key_len", "ref",
                                "rows", "filtered", "Extra"]
    assert table[2].split() == ["1", "PRIMARY", "o", "ALL", "PRIMARY", "NULL", "NULL", "NULL", "49821", "25.00",
                                "Using", "where;", "Using", "filesort"]


def test_mysql8_json_names_the_derived_table_by_alias_and_nests_it_under_that_row() -> None:
    plan = parse_json(json.dumps(MYSQL8_JSON))
    assert plan.flavor == "mysql" and plan.total_cost == pytest.approx(49201.09)
    # The JSON has no SQL-derived help here: nesting comes from the document's order.
    assert tree(plan, {}, {"o": "orders"}) == """\
block 1 PRIMARY  [filesort]
├─ 1. o (orders)         ALL  no key           ~49,821 rows  (Using where)  FULL SCAN
└─ 2. t (derived table)  ref  key <auto_key0>  ~10 rows
   └─ block 2 DERIVED  [temporary table]
      └─ 1. order_items  index  key idx_items_order  ~119,520 rows  (Using index)  FULL INDEX SCAN"""
    # A derived table's temporary table is its materialisation, not a grouping step worth a sentence.
    assert summarize(plan, {"o": "orders"}) == MYSQL8_SUMMARY_HEAD + [
        "Most of the time likely goes to `t`: ~498,210 rows read by ref access on <auto_key0> in block 1, then "
        "sorting the result."]


def _recording(name: str) -> str:
    """A recorded output without its provenance comments (lines starting with one '#')."""
    text = (MYSQL8_DATA / name).read_text(encoding="utf-8")
    return "\n".join(line for line in text.splitlines() if not line.startswith("#") or line.startswith("## "))


def _json_document(text: str) -> dict:
    text = re.sub(r"/\*.*?\*/", "", text)  # mysqltest prints /* table */ after closing braces
    return json.loads(text[text.index("{"): text.rindex("}") + 1])


def _null(cells: list[str]) -> list[str | None]:
    return [None if cell == "NULL" else cell for cell in cells]


def _box_table(text: str) -> tuple[list[str], list[list[str | None]]]:
    """The mysql client's +----+ table."""
    cells = [[c.strip() for c in line.strip().strip("|").split("|")] for line in text.splitlines()
             if line.startswith("|")]
    return cells[0], [_null(row) for row in cells[1:]]


def _vertical(text: str) -> tuple[list[str], list[list[str | None]]]:
    """The mysql client's \\G output: one `name: value` line per column, rows separated by ***."""
    rows: list[dict[str, str]] = []
    for line in text.splitlines():
        if line.startswith("***"):
            rows.append({})
        elif rows and ":" in line:
            name, value = line.split(":", 1)
            rows[-1][name.strip()] = value.strip()
    columns = list(rows[0])
    return columns, [_null([row[c] for c in columns]) for row in rows]


def _mysqltest_sections(text: str) -> list[tuple[str, str]]:
    """mysqltest .result: '## <statement>' then tab-separated rows or a JSON document."""
    return [tuple(chunk.split("\n", 1)) for chunk in ("\n" + text).split("\n## ")[1:]]  # type: ignore[misc]


def test_recorded_mysql8_range_scan_tabular_and_json_agree() -> None:
    """MySQL 8.0 manual, EXPLAIN Statement: the same query as a client table and as FORMAT=JSON."""
    from_table = parse_traditional(*_box_table(_recording("country_range_tabular.txt")), flavor="mysql")
    from_json = parse_json(_json_document(_recording("country_range.json.txt")))
    expected = """\
block 1 SIMPLE
└─ 1. country  range  key PRIMARY  ~17 rows  (Using where)"""
    assert tree(from_table) == tree(from_json) == expected
    assert summarize(from_table) == summarize(from_json) == [
        "No table is read in full: every table is reached through an index or a constant lookup.",
        "Estimated rows examined: ~17.",
        "Nothing here is expensive: ~17 rows examined in all.",
    ]
    assert from_json.total_cost == pytest.approx(3.67)


def test_recorded_mysql8_hash_join() -> None:
    """MySQL 8.0.20+ manual, Hash Join Optimization: `Using join buffer (hash join)` (vertical output)."""
    plan = parse_traditional(*_vertical(_recording("hash_join_vertical.txt")), flavor="mysql")
    assert tree(plan) == """\
block 1 SIMPLE
├─ 1. t1  ALL  no key  ~1 row  FULL SCAN
└─ 2. t2  ALL  no key  ~1 row  (Using where; Using join buffer (hash join))  FULL SCAN"""
    assert "`t2` is joined without an index on the join columns (join buffer: hash join): each batch of outer rows " \
           "scans it again." in summarize(plan)


def test_recorded_mysql_subqueries_and_union_nest_in_both_formats() -> None:
    """MySQL's own test suite (explain_json_all.result): dependent/uncacheable subqueries and a union."""
    sections = _mysqltest_sections(_recording("mysql_test_subqueries_union.result.txt"))
    (subq_sql, subq_rows), (_, subq_json), (union_sql, union_rows), (_, union_json) = sections

    def tabular(body: str):
        lines = [line.split("\t") for line in body.strip().splitlines()]
        return parse_traditional(lines[0], [_null(row) for row in lines[1:]], flavor="mysql")

    parents = block_parents(subq_sql.removeprefix("EXPLAIN ").rstrip(";"))
    assert parents == {2: 1, 3: 1}
    assert tree(tabular(subq_rows), parents) == """\
block 1 PRIMARY
├─ 1. t1  ALL  no key  ~7 rows  (Using where)  FULL SCAN
├─ block 3 UNCACHEABLE SUBQUERY
│  └─ 1. t4  system  no key  ~0 rows  (const row not found)
└─ block 2 DEPENDENT SUBQUERY
   └─ 1. t2  ALL  no key  ~2 rows  (Using where)  FULL SCAN"""
    assert "Estimated rows examined: ~22 (block 1: 7; block 3: 1; block 2: 2 × 7 runs = 14)." in summarize(
        tabular(subq_rows))
    # JSON: the materialised subquery's block hangs under the row that reads it, the dependent one under block 1.
    json_tree = build_tree(parse_json(_json_document(subq_json)), parents)
    (root,) = json_tree
    assert root.id == 1 and [b.id for b in root.children] == [2]
    holder = next(t for t in root.tables if t.children)
    assert [b.id for b in holder.children] == [3]
    assert tree(tabular(union_rows), block_parents(union_sql.removeprefix("EXPLAIN ").rstrip(";"))) == """\
block 1 PRIMARY
└─ 1. t1  ALL  no key  ~7 rows  FULL SCAN
block 2 UNION
└─ 1. t2  ALL  no key  ~2 rows  FULL SCAN
block 3 UNION
└─ 1. t3  system  no key  ~0 rows  (const row not found)
union result  [temporary table]
└─ 1. <union1,2,3>  ALL  no key  rows unknown"""
    union_plan = parse_json(_json_document(union_json))
    assert [b.id for b in build_tree(union_plan)] == [1, 2, 3]  # union members side by side


@pytest.mark.parametrize(("sql", "parents"), [
    ("SELECT 1", {}),
    ("SELECT a, (SELECT 1) FROM t WHERE x IN (SELECT y FROM u) AND z IN (SELECT w FROM v)", {2: 1, 3: 1, 4: 1}),
    ("SELECT * FROM (SELECT * FROM (SELECT * FROM t) a) b WHERE c IN (SELECT 1)", {2: 1, 3: 2, 4: 1}),
    ("(SELECT a FROM t) UNION (SELECT b FROM u)", {}),
    ("SELECT * FROM t WHERE a IN (SELECT b FROM u UNION SELECT c FROM v)", {2: 1, 3: 1}),
    ("SELECT ')(SELECT' FROM t WHERE a = '(' AND b IN (SELECT 1)", {2: 1}),
])
def test_block_parents_follows_parentheses_not_strings(sql: str, parents: dict[int, int]) -> None:
    assert block_parents(sql) == parents


def test_subquery_without_sql_hangs_under_the_closest_earlier_block() -> None:
    plan = parse_traditional(MARIADB, [
        (1, "PRIMARY", "o", "ALL", None, None, None, None, 500, "Using where"),
        (2, "DEPENDENT SUBQUERY", "i", "ref", "idx", "idx", "4", "o.id", 3, ""),
    ])
    assert tree(plan) == """\
block 1 PRIMARY
├─ 1. o  ALL  no key  ~500 rows  (Using where)  FULL SCAN
└─ block 2 DEPENDENT SUBQUERY
   └─ 1. i  ref  key idx  ~3 rows"""
    assert summarize(plan) == [
        "`o` is read in full (~500 rows, access type ALL): no index covers its condition.",
        "Estimated rows examined: ~2,000 (block 1: 500; block 2: 3 × 500 runs = 1,500).",
        "Most of the time likely goes to `i`: ~1,500 rows read by ref access on idx in block 2.",
    ]


def test_indexed_plan_says_no_table_is_read_in_full() -> None:
    plan = parse_traditional(MARIADB, [(1, "SIMPLE", "orders", "const", "PRIMARY", "PRIMARY", "4", "const", 1, "")])
    assert summarize(plan) == [
        "No table is read in full: every table is reached through an index or a constant lookup.",
        "Estimated rows examined: ~1.",
        "Nothing here is expensive: ~1 row examined in all.",
    ]


def test_colour_marks_full_scans_and_block_work() -> None:
    def style(text: str, **kwargs: object) -> str:
        return click.style(text, **kwargs)  # type: ignore[arg-type]

    lines = render_tree(build_tree(INCIDENT, {}, SHOP_ALIASES), style)
    assert click.style("FULL SCAN", fg="red", bold=True) in lines[1]
    assert click.style("[temporary table, filesort]", fg="yellow") in lines[0]
    assert "\x1b[" not in "\n".join(render_tree(build_tree(INCIDENT, {}, SHOP_ALIASES))[2:])


def test_analyze_rows_are_shown_beside_the_estimates() -> None:
    """MariaDB ``ANALYZE`` (``--analyze``) adds r_rows and r_filtered: measured rows per scan."""
    columns = ["id", "select_type", "table", "type", "possible_keys", "key", "key_len", "ref", "rows", "r_rows",
               "filtered", "r_filtered", "Extra"]
    plan = parse_traditional(columns, [
        (1, "SIMPLE", "o", "ALL", "PRIMARY,idx_orders_user", None, None, None, 50184, 50000.0, 50.0, 25.0,
         "Using where"),
        (1, "SIMPLE", "i", "ref", "idx_items_order", "idx_items_order", "4", "shop.o.id", 1, 24.4, 100.0, 100.0,
         "Using index"),
    ])
    assert [row.actual_rows for row in plan.rows] == [50000.0, 24.4]
    assert plan_table(plan).splitlines()[0].split()[8:11] == ["rows", "r_rows", "filtered"]
    assert plan_table(plan).splitlines()[3].split()[8:10] == ["1", "24.4"]
    assert tree(plan, {}, {"o": "orders", "i": "order_items"}) == """\
block 1 SIMPLE
├─ 1. o (orders)       ALL  no key               ~50,184 rows (measured 50,000)  (Using where)  FULL SCAN
└─ 2. i (order_items)  ref  key idx_items_order  ~1 row (measured 24)  (Using index)"""
    assert ("The estimate for `order_items` (as `i`) is off: ~1 row expected, 24 measured; ANALYZE TABLE may "
            "give the optimizer better statistics.") in summarize(plan, {"o": "orders", "i": "order_items"})
    assert ("Measured (ANALYZE): 50,000 × 24 ≈ 1,220,000 rows reach the last table of the join, against 50,184 "
            "estimated.") in summarize(plan)


def test_layout_puts_each_clause_on_its_line_and_breaks_only_long_subqueries() -> None:
    incident = ("SELECT o.id, u.name AS customer, p.title FROM orders AS o JOIN users AS u ON u.id = o.user_id "
                "JOIN (SELECT * FROM order_items) AS oi ON oi.order_id = o.id LEFT JOIN products AS p ON "
                "p.id = oi.product_id WHERE 1 = 1 AND o.status = 'a' ORDER BY o.created_at DESC LIMIT 10 OFFSET 0")
    assert layout_sql(incident) == """\
SELECT o.id, u.name AS customer, p.title
FROM orders AS o
JOIN users AS u ON u.id = o.user_id
JOIN (SELECT * FROM order_items) AS oi ON oi.order_id = o.id
LEFT JOIN products AS p ON p.id = oi.product_id
WHERE 1 = 1 AND o.status = 'a'
ORDER BY o.created_at DESC
LIMIT 10 OFFSET 0"""
    nested = ("SELECT u.id, (SELECT COUNT(*) FROM orders AS o WHERE o.user_id = u.id AND o.status = 'paid') AS paid "
              "FROM users AS u WHERE LEFT(u.name, 1) = 'FROM (SELECT' UNION ALL SELECT d.user_id, d.n FROM "
              "(SELECT user_id, COUNT(*) AS n FROM orders GROUP BY user_id HAVING COUNT(*) > 1) AS d")
    assert layout_sql(nested) == """\
SELECT u.id, (
  SELECT COUNT(*)
  FROM orders AS o
  WHERE o.user_id = u.id AND o.status = 'paid'
) AS paid
FROM users AS u
WHERE LEFT(u.name, 1) = 'FROM (SELECT'
UNION ALL
SELECT d.user_id, d.n
FROM (
  SELECT user_id, COUNT(*) AS n
  FROM orders
  GROUP BY user_id
  HAVING COUNT(*) > 1
) AS d"""
    assert layout_sql("WITH r AS (SELECT user_id FROM orders) SELECT * FROM r") == """\
WITH r AS (SELECT user_id FROM orders)
SELECT *
FROM r"""
    assert layout_sql("SELEC 'unterminated") == "SELEC 'unterminated"


def test_summary_names_the_predicate_that_keeps_an_index_out() -> None:
    from sqlglot import parse_one

    from sqllint.explain.walkthrough import index_blockers

    sql = ("SELECT o.id FROM orders o JOIN users u ON u.id = o.user_id WHERE DATE(o.created_at) = ? "
           "AND u.email LIKE CONCAT('%', ?) AND o.total_cents * 2 > 100 AND u.name LIKE 'ab%' AND o.id + 1 = u.id")
    assert index_blockers(parse_one(sql, read="mysql")) == {
        "o": ["`DATE(o.created_at)` wraps the column in a function",
              "`o.total_cents * 2` wraps the column in an expression"],
        "u": ["`u.email LIKE CONCAT('%', ?)` starts with a wildcard"],
    }
    assert index_blockers(parse_one("SELECT id FROM orders WHERE YEAR(created_at) = 2024", read="mysql")) == {
        "": ["`YEAR(created_at)` wraps the column in a function"]}
    plan = parse_traditional(MARIADB, [
        (1, "SIMPLE", "orders", "ALL", None, None, None, None, 48941, "Using where")])
    assert summarize(plan, {}, {"": ["`DATE(created_at)` wraps the column in a function"]})[0] == (
        "`orders` is read in full (~48,941 rows, access type ALL): its condition cannot use an index: "
        "`DATE(created_at)` wraps the column in a function.")
    index_scan = parse_traditional(MARIADB, [
        (1, "SIMPLE", "u", "index", None, "uq_users_email", "762", None, 19530, "Using where; Using index")])
    assert summarize(index_scan, {"u": "users"}, {"u": ["`u.email LIKE '%x'` starts with a wildcard"]})[0] == (
        "`users` (as `u`) is read through the whole index `uq_users_email` (~19,530 rows, access type index): its "
        "condition cannot narrow the index range: `u.email LIKE '%x'` starts with a wildcard.")


def test_merged_derived_tables_are_named_only_when_the_plan_is_certain() -> None:
    from sqlglot import parse_one

    from sqllint.explain.walkthrough import merged_derived_tables

    incident = parse_one("SELECT o.id FROM orders o JOIN users u ON u.id = o.user_id JOIN (SELECT * FROM "
                         "order_items) oi ON oi.order_id = o.id", read="mysql")
    assert merged_derived_tables(incident, INCIDENT) == ["oi"]
    assert summarize(INCIDENT, SHOP_ALIASES, merged=["oi"])[0] == (
        "The derived table `oi` is merged into the outer query by the optimizer: it is not materialised, its rows "
        "are read as part of the join.")
    derived = parse_one(DERIVED_SQL, read="mysql")
    assert merged_derived_tables(derived, parse_traditional(MYSQL8, MYSQL8_ROWS, flavor="mysql")) == []
    assert merged_derived_tables(derived, parse_json(json.dumps(MYSQL8_JSON))) == []
    assert merged_derived_tables(parse_one(UNION_SQL, read="mysql"), UNION) == []  # a DERIVED block exists
