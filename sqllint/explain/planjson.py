"""``EXPLAIN FORMAT=JSON`` from MySQL 5.7/8.0 and MariaDB, read into the plan model (``plan``)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from sqllint.explain.plan import _ROW_FIELDS, Plan, PlanRow, _float, _int, _keys, _row, _text

# --- EXPLAIN FORMAT=JSON --------------------------------------------------------------------------------

class _Context(NamedTuple):  # a tuple: one is built per block and per nested table
    select_id: int | None = None
    select_type: str = "SIMPLE"
    extra: tuple[str, ...] = ()  # notes every table below this node inherits


_TOP = _Context(select_type="SIMPLE")


def parse_json(document: str | Mapping[str, Any], flavor: str | None = None) -> Plan:
    """``EXPLAIN FORMAT=JSON`` from MySQL 5.7/8.0 or MariaDB; unknown nodes are walked, not rejected."""
    data = _load(document) if isinstance(document, str) else document
    block = data.get("query_block", data)
    if flavor is None:
        flavor = _detect_flavor(data)
    rows: list[PlanRow] = []
    _walk_block(block, _TOP, rows, top=True)
    cost = _float(block.get("cost_info", {}).get("query_cost")) if isinstance(block.get("cost_info"), dict) \
        else _float(block.get("cost"))
    if len(rows) > 1 and any(r.id is not None and r.id != rows[0].id for r in rows):
        rows = [r if r.select_type != "SIMPLE" else _replace(r, select_type="PRIMARY") for r in rows]
    return Plan(tuple(rows), "json", flavor, cost)


# ``end_markers_in_json=ON`` makes MySQL print ``} /* table */`` after closing brackets: not JSON.
_END_MARKER = re.compile(r"(?<=[}\]])[ \t]*/\*[^*]*\*/")


def _load(document: str) -> Any:
    try:
        return json.loads(document)
    except json.JSONDecodeError:
        return json.loads(_END_MARKER.sub("", document))


_MYSQL_KEYS = frozenset({"cost_info", "ordering_operation", "grouping_operation", "duplicates_removal",
                         "attached_subqueries", "materialized_from_subquery", "rows_examined_per_scan",
                         "cacheable", "using_join_buffer", "used_columns"})
_MARIADB_KEYS = frozenset({"block-nl-join", "bka-join", "filesort", "temporary_table", "expression_cache",
                           "query_optimization", "r_rows", "materialized", "read_sorted_file"})


def _detect_flavor(node: Any) -> str:
    """Which server wrote a JSON plan, from keys only one of them uses (MySQL 5.6+ vs MariaDB 10.x)."""
    stack, seen = [node], set()
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            seen.update(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    if seen & _MYSQL_KEYS:
        return "mysql"
    return "mariadb"


def _replace(row: PlanRow, **changes: Any) -> PlanRow:
    return _row([changes[name] if name in changes else getattr(row, name) for name in _ROW_FIELDS])


_SUBQUERY_KEYS = {
    "subqueries": "SUBQUERY", "attached_subqueries": "SUBQUERY", "optimized_away_subqueries": "SUBQUERY",
    "select_list_subqueries": "SUBQUERY", "having_subqueries": "SUBQUERY", "order_by_subqueries": "SUBQUERY",
    "group_by_subqueries": "SUBQUERY", "materialized_from_subquery": "DERIVED",
    "materialization": "MATERIALIZED", "query_specifications": "UNION", "union_result": "UNION RESULT",
    "materialized": "DERIVED",  # MariaDB: a derived table's (or, under <subqueryN>, a semi-join's) block
}

_NESTED = frozenset(_SUBQUERY_KEYS) | {"query_block"}  # keys of a table node that hold another block
_FLAGS = frozenset({"dependent", "using_temporary_table", "using_filesort"})  # flags of a block node
# Keys ``_walk_block`` treats specially; any other is a leaf or walked through as it is.
_SPECIAL = _NESTED | {"table", "filesort", "temporary_table", "range-checked-for-each-record", "block-nl-join",
                      "bka-join", "expression_cache"}


def _walk_block(node: Any, ctx: _Context, rows: list[PlanRow], top: bool = False) -> None:
    """Depth-first over a JSON plan; tables are appended in the order the server reads them."""
    if isinstance(node, list):
        for item in node:
            _walk_block(item, ctx, rows)
        return
    if not isinstance(node, dict):
        return
    if "select_id" in node:
        ctx = _Context(_int(node["select_id"]), ctx.select_type, ())
    first = len(rows)
    # Sorting and temporary tables apply to the whole join but EXPLAIN prints them on its first table:
    # note them on the first row this node produces, as the traditional format does.
    notes = []
    if not _FLAGS.isdisjoint(node):  # most nodes carry none of these: one set test instead of three lookups
        if node.get("dependent") is True:
            ctx = _Context(ctx.select_id, "DEPENDENT " + ctx.select_type.replace("DEPENDENT ", ""), ctx.extra)
        if node.get("using_temporary_table") is True:  # MySQL grouping/ordering/duplicates_removal
            notes.append("Using temporary")
        if node.get("using_filesort") is True:
            notes.append("Using filesort")
    for key, value in node.items():
        if key not in _SPECIAL:  # most keys: a leaf, or a node to walk through (nested_loop …)
            if key not in _LEAVES and isinstance(value, (dict, list)):
                _walk_block(value, ctx, rows)
            continue
        if key == "table" and isinstance(value, dict):
            rows.append(_json_table(value, ctx))
            if _NESTED.isdisjoint(value):  # most tables hold no subquery: skip building an empty walk
                continue
            nested = {k: v for k, v in value.items() if k in _NESTED}
            if str(value.get("table_name", "")).startswith("<subquery") and "materialized" in nested:
                nested["materialization"] = nested.pop("materialized")
            _walk_block(nested, _Context(ctx.select_id, ctx.select_type, ()), rows)
        elif key in ("filesort", "temporary_table"):  # MariaDB
            notes.append("Using filesort" if key == "filesort" else "Using temporary")
            _walk_block(value, ctx, rows)
        elif key == "range-checked-for-each-record" and isinstance(value, dict):  # MariaDB: table inside
            keys = value.get("keys")
            note = "Range checked for each record" + (f" (keys: {', '.join(map(str, keys))})"
                                                     if isinstance(keys, list) else "")
            _walk_block(value, _Context(ctx.select_id, ctx.select_type, ctx.extra + (note,)), rows)
        elif key in ("block-nl-join", "bka-join"):  # MariaDB: the joined table sits inside
            join_type = value.get("join_type", "BNL") if isinstance(value, dict) else "BNL"
            buffer = value.get("buffer_type", "flat") if isinstance(value, dict) else "flat"
            note = f"Using join buffer ({buffer}, {join_type} join)"
            _walk_block(value, _Context(ctx.select_id, ctx.select_type, ctx.extra + (note,)), rows)
        elif key == "expression_cache":  # MariaDB caches only correlated subqueries: it is dependent
            kind = "DEPENDENT " + ctx.select_type.replace("DEPENDENT ", "")
            _walk_block(value, _Context(ctx.select_id, kind, ()), rows)
        elif key in _SUBQUERY_KEYS or key == "query_block":
            kind = _SUBQUERY_KEYS.get(key, ctx.select_type)
            if kind == "DERIVED" and isinstance(value, dict) and value.get("lateral"):  # MariaDB 10.3+
                kind = "LATERAL DERIVED"
            inner = value.get("query_block", value) if isinstance(value, dict) else {}
            if isinstance(value, dict) and (value.get("dependent") is True or inner.get("dependent") is True):
                kind = "DEPENDENT " + kind
            _walk_block(value, _Context(ctx.select_id, kind, ()), rows)
        elif isinstance(value, (dict, list)) and key not in _LEAVES:
            _walk_block(value, ctx, rows)
    if notes and len(rows) > first:
        row = rows[first]
        rows[first] = _replace(row, extra=tuple(dict.fromkeys(row.extra + tuple(notes))))


_LEAVES = frozenset({"cost_info", "used_columns", "used_key_parts", "possible_keys", "ref", "message",
                     "sort_key", "key_length", "attached_condition", "index_condition"})
# Table-level keys that the traditional format prints in Extra (MySQL's and MariaDB's spellings).
_JSON_NOTES = (("using_index_for_group_by", "Using index for group-by"),
               ("rowid_filter", "Using rowid filter"), ("distinct", "Distinct"))


# Keys of a table node that most plans lack: one set test skips their lookups (most tables are plain reads).
_RARE_TABLE_KEYS = frozenset({key for key, _ in _JSON_NOTES} | {
    "first_match", "range_checked_for_each_record", "using_join_buffer", "message", "cost_info",
    "rows_examined_per_scan", "partitions", "r_rows"})


def _json_table(table: Mapping[str, Any], ctx: _Context) -> PlanRow:
    get = table.get
    extra = list(ctx.extra)
    if get("attached_condition"):
        extra.insert(0, "Using where")
    if get("index_condition"):  # printed before "Using where", as the tabular format does
        extra.insert(0, "Using index condition")
    if get("using_index") is True:
        extra.append("Using index")
    rows, partitions, cost, actual_rows = get("rows"), None, None, None
    if not _RARE_TABLE_KEYS.isdisjoint(table):
        extra += [note for key, note in _JSON_NOTES if get(key)]
        if get("first_match"):
            extra.append(f"FirstMatch({table['first_match']})")
        if get("range_checked_for_each_record"):  # MySQL: "index map: 0x1"
            extra.append(f"Range checked for each record ({table['range_checked_for_each_record']})")
        buffer = get("using_join_buffer")  # MySQL: "Block Nested Loop" / "hash join"
        if buffer:
            extra.append(f"Using join buffer ({buffer})")
        if get("message"):
            extra.append(str(table["message"]))
        cost_info = get("cost_info")
        cost = _float(cost_info.get("prefix_cost")) if isinstance(cost_info, dict) else None
        rows = get("rows_examined_per_scan", rows)
        partitions = get("partitions")
        partitions = ",".join(partitions) if isinstance(partitions, list) else _text(partitions)
        actual_rows = _float(get("r_rows"))
    ref = get("ref")
    return _row((ctx.select_id, ctx.select_type, _text(get("table_name")), _text(get("access_type")),
                 _keys(get("possible_keys")), _text(get("key")), _text(get("key_length")),
                 ",".join(ref) if isinstance(ref, list) else _text(ref), _int(rows), _float(get("filtered")),
                 tuple(extra) if len(extra) < 2 else tuple(dict.fromkeys(extra)), partitions, cost, actual_rows))
