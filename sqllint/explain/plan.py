"""The plan model: what the server says it will do, as plain frozen dataclasses.

One model for every source: traditional ``EXPLAIN`` rows (MySQL 5.7/8.0 with ``partitions`` and
``filtered``, MariaDB without them) and ``EXPLAIN FORMAT=JSON`` (MySQL's ``cost_info``/``nested_loop``/
``using_join_buffer`` and MariaDB's ``block-nl-join``/``filesort``/``temporary_table`` nodes). Rules and
reporters read ``Plan.rows`` and ``Plan.summary()``; the baseline (plan regressions) can store
``TableAccess`` records, which are stable across servers and cheap to diff.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

FULL_SCAN_TYPES = frozenset({"ALL"})
INDEX_SCAN_TYPES = frozenset({"index"})


@dataclass(frozen=True)
class PlanRow:
    """One row of a plan: one table (or derived/union result) read in one query block."""

    id: int | None  # select id; rows sharing it form one nested loop, in reading order
    select_type: str  # SIMPLE, PRIMARY, SUBQUERY, DEPENDENT SUBQUERY, DERIVED, UNION, MATERIALIZED …
    table: str | None  # alias as the server prints it (``<derived2>``, ``<subquery3>`` for internal tables)
    access_type: str | None  # ALL, index, range, ref, eq_ref, const, system, index_merge …
    possible_keys: tuple[str, ...] = ()
    key: str | None = None
    key_len: str | None = None
    ref: str | None = None
    rows: int | None = None  # estimated rows examined per scan of this table
    filtered: float | None = None  # percent of ``rows`` left after the table's condition (MySQL, JSON)
    extra: tuple[str, ...] = ()  # the Extra column split on "; ", e.g. ("Using where", "Using filesort")
    partitions: str | None = None
    cost: float | None = None  # MySQL JSON: prefix_cost of this table; None where the server gives none
    actual_rows: float | None = None  # measured rows per scan (MariaDB ANALYZE ``r_rows``), only with --analyze

    @property
    def full_scan(self) -> bool:
        return self.access_type in FULL_SCAN_TYPES

    @property
    def internal(self) -> bool:
        """A temporary result (``<derived2>``, ``<union1,2>``, ``<subquery3>``), not a base table."""
        return bool(self.table) and self.table.startswith("<")  # type: ignore[union-attr]

    def has_extra(self, text: str) -> bool:
        lowered = text.lower()
        return any(lowered in item.lower() for item in self.extra)

    @property
    def join_buffer(self) -> str | None:
        """``Using join buffer (…)`` detail: ``Block Nested Loop``, ``hash join``, ``flat, BNL join`` …"""
        for item in self.extra:
            if item.lower().startswith("using join buffer"):
                return item[item.find("(") + 1 : item.rfind(")")] if "(" in item else "join buffer"
        return None

    @property
    def has_condition(self) -> bool:
        return self.has_extra("Using where") or (self.filtered is not None and self.filtered < 100)


@dataclass(frozen=True)
class TableAccess:
    """Per-table summary of a plan: what a plan-regression baseline compares."""

    table: str
    access_type: str | None
    key: str | None
    rows: int | None
    select_type: str


@dataclass(frozen=True)
class Plan:
    rows: tuple[PlanRow, ...]
    source: str = "traditional"  # or "json"
    flavor: str = "mariadb"  # or "mysql"
    total_cost: float | None = None  # MySQL JSON ``query_cost``; MariaDB 10.x JSON gives none

    def summary(self) -> tuple[TableAccess, ...]:
        return tuple(TableAccess(r.table or "", r.access_type, r.key, r.rows, r.select_type) for r in self.rows)

    def loops(self) -> dict[int | None, Sequence[PlanRow]]:
        """Rows grouped by select id: each group is one nested loop, outermost table first (tuples: every
        plan rule asks, so the groups are built once and shared)."""
        return dict(self._loops)

    @functools.cached_property
    def _loops(self) -> dict[int | None, tuple[PlanRow, ...]]:  # every plan rule asks: group once
        grouped: dict[int | None, list[PlanRow]] = {}
        for row in self.rows:
            grouped.setdefault(row.id, []).append(row)
        return {key: tuple(rows) for key, rows in grouped.items()}

    def rows_examined(self) -> int:
        """Estimated rows examined: the product of ``rows`` along each nested loop, summed over query
        blocks; a dependent subquery's block is multiplied by the rows of the block that runs it."""
        groups = self._loops
        products = {key: loop_rows(rows) for key, rows in groups.items()}
        total = 0
        outer = products.get(min((k for k in groups if k is not None), default=None), 1)
        first = min(groups, key=lambda k: k or 0) if groups else None
        for key, rows in groups.items():
            product = products[key]
            if rows and key != first and "DEPENDENT" in rows[0].select_type.upper():
                product *= outer
            total += product
        return total

    def to_json(self) -> str:
        """Compact JSON (rows as lists in field order): the plan cache's format."""
        return json.dumps([self.source, self.flavor, self.total_cost,
                           [[getattr(r, name) for name in _ROW_FIELDS] for r in self.rows]])

    @staticmethod
    def from_json(text: str) -> Plan:
        """Inverse of ``to_json``; positional, because building rows from dicts dominated warm runs."""
        source, flavor, total_cost, rows = json.loads(text)
        keys, extra = _ROW_FIELDS.index("possible_keys"), _ROW_FIELDS.index("extra")
        built = []
        for values in rows:
            values[keys], values[extra] = tuple(values[keys]), tuple(values[extra])
            built.append(PlanRow(*values))
        return Plan(tuple(built), source, flavor, total_cost)


_ROW_FIELDS = tuple(f.name for f in dataclasses.fields(PlanRow))


# --- traditional EXPLAIN ------------------------------------------------------------------------------

def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value)
    return text if text and text.upper() != "NULL" else None


def _first(value: Any, separator: str = "|") -> str | None:
    text = _text(value)
    return text.split(separator, 1)[0].strip() if text else None


def _keys(value: Any) -> tuple[str, ...]:
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    text = _text(value)
    return tuple(k.strip() for k in text.split(",") if k.strip()) if text else ()


def parse_traditional(columns: Sequence[str], records: Sequence[Sequence[Any]], flavor: str = "mariadb") -> Plan:
    """Rows of a tabular ``EXPLAIN`` (any server; columns are matched by name, case-insensitively)."""
    rows = []
    for record in records:
        item = {name.lower(): value for name, value in zip(columns, record)}
        extra = _text(item.get("extra")) or ""
        # MariaDB's rowid filter prints ``ref|filter``, ``key|filter_key`` and rows as ``1 (3%)``: the
        # access itself is the part before the bar, the estimate the number before the percentage.
        access, key, key_len = (_first(item.get(name)) for name in ("type", "key", "key_len"))
        rows.append(PlanRow(
            id=_int(item.get("id")), select_type=_text(item.get("select_type")) or "SIMPLE",
            table=_text(item.get("table")), access_type=access,
            possible_keys=_keys(item.get("possible_keys")), key=key,
            key_len=key_len, ref=_text(item.get("ref")), rows=_int(_first(item.get("rows"), " ")),
            filtered=_float(item.get("filtered")), extra=tuple(e.strip() for e in extra.split(";") if e.strip()),
            partitions=_text(item.get("partitions")), actual_rows=_float(item.get("r_rows"))))
    return Plan(tuple(rows), "traditional", flavor)


# --- EXPLAIN FORMAT=JSON --------------------------------------------------------------------------------

@dataclass
class _Context:
    select_id: int | None = None
    select_type: str = "SIMPLE"
    extra: list[str] = field(default_factory=list)  # notes every table below this node inherits


def parse_json(document: str | Mapping[str, Any], flavor: str | None = None) -> Plan:
    """``EXPLAIN FORMAT=JSON`` from MySQL 5.7/8.0 or MariaDB; unknown nodes are walked, not rejected."""
    data = _load(document) if isinstance(document, str) else document
    block = data.get("query_block", data)
    if flavor is None:
        flavor = _detect_flavor(data)
    rows: list[PlanRow] = []
    _walk_block(block, _Context(select_type="SIMPLE"), rows, top=True)
    cost = _float(block.get("cost_info", {}).get("query_cost")) if isinstance(block.get("cost_info"), dict) \
        else _float(block.get("cost"))
    if any(r.id is not None and r.id != rows[0].id for r in rows) and rows:
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
    return PlanRow(**{**vars(row), **changes})


_SUBQUERY_KEYS = {
    "subqueries": "SUBQUERY", "attached_subqueries": "SUBQUERY", "optimized_away_subqueries": "SUBQUERY",
    "select_list_subqueries": "SUBQUERY", "having_subqueries": "SUBQUERY", "order_by_subqueries": "SUBQUERY",
    "group_by_subqueries": "SUBQUERY", "materialized_from_subquery": "DERIVED",
    "materialization": "MATERIALIZED", "query_specifications": "UNION", "union_result": "UNION RESULT",
    "materialized": "DERIVED",  # MariaDB: a derived table's (or, under <subqueryN>, a semi-join's) block
}

_NESTED = frozenset(_SUBQUERY_KEYS) | {"query_block"}  # keys of a table node that hold another block


def loop_rows(rows: Sequence[PlanRow]) -> int:
    """Rows one nested loop produces by estimate: the product of its tables' ``rows`` (unknown counts as 1)."""
    return math.prod(max(1, r.rows or 1) for r in rows)


def _walk_block(node: Any, ctx: _Context, rows: list[PlanRow], top: bool = False) -> None:
    """Depth-first over a JSON plan; tables are appended in the order the server reads them."""
    if isinstance(node, list):
        for item in node:
            _walk_block(item, ctx, rows)
        return
    if not isinstance(node, dict):
        return
    if "select_id" in node:
        ctx = _Context(_int(node["select_id"]), ctx.select_type, [])
    if node.get("dependent") is True:
        ctx = _Context(ctx.select_id, "DEPENDENT " + ctx.select_type.replace("DEPENDENT ", ""), list(ctx.extra))
    first = len(rows)
    # Sorting and temporary tables apply to the whole join but EXPLAIN prints them on its first table:
    # note them on the first row this node produces, as the traditional format does.
    notes = []
    if node.get("using_temporary_table") is True:  # MySQL grouping/ordering/duplicates_removal
        notes.append("Using temporary")
    if node.get("using_filesort") is True:
        notes.append("Using filesort")
    for key, value in node.items():
        if key == "table" and isinstance(value, dict):
            rows.append(_json_table(value, ctx))
            if _NESTED.isdisjoint(value):  # most tables hold no subquery: skip building an empty walk
                continue
            nested = {k: v for k, v in value.items() if k in _NESTED}
            if str(value.get("table_name", "")).startswith("<subquery") and "materialized" in nested:
                nested["materialization"] = nested.pop("materialized")
            _walk_block(nested, _Context(ctx.select_id, ctx.select_type, []), rows)
        elif key in ("filesort", "temporary_table"):  # MariaDB
            notes.append("Using filesort" if key == "filesort" else "Using temporary")
            _walk_block(value, ctx, rows)
        elif key == "range-checked-for-each-record" and isinstance(value, dict):  # MariaDB: table inside
            keys = value.get("keys")
            note = "Range checked for each record" + (f" (keys: {', '.join(map(str, keys))})"
                                                     if isinstance(keys, list) else "")
            _walk_block(value, _Context(ctx.select_id, ctx.select_type, ctx.extra + [note]), rows)
        elif key in ("block-nl-join", "bka-join"):  # MariaDB: the joined table sits inside
            join_type = value.get("join_type", "BNL") if isinstance(value, dict) else "BNL"
            buffer = value.get("buffer_type", "flat") if isinstance(value, dict) else "flat"
            note = f"Using join buffer ({buffer}, {join_type} join)"
            _walk_block(value, _Context(ctx.select_id, ctx.select_type, ctx.extra + [note]), rows)
        elif key == "expression_cache":  # MariaDB caches only correlated subqueries: it is dependent
            kind = "DEPENDENT " + ctx.select_type.replace("DEPENDENT ", "")
            _walk_block(value, _Context(ctx.select_id, kind, []), rows)
        elif key in _SUBQUERY_KEYS or key == "query_block":
            kind = _SUBQUERY_KEYS.get(key, ctx.select_type)
            if kind == "DERIVED" and isinstance(value, dict) and value.get("lateral"):  # MariaDB 10.3+
                kind = "LATERAL DERIVED"
            inner = value.get("query_block", value) if isinstance(value, dict) else {}
            if isinstance(value, dict) and (value.get("dependent") is True or inner.get("dependent") is True):
                kind = "DEPENDENT " + kind
            _walk_block(value, _Context(ctx.select_id, kind, []), rows)
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


def _json_table(table: Mapping[str, Any], ctx: _Context) -> PlanRow:
    extra = list(ctx.extra)
    if table.get("attached_condition"):
        extra.insert(0, "Using where")
    if table.get("index_condition"):  # printed before "Using where", as the tabular format does
        extra.insert(0, "Using index condition")
    if table.get("using_index") is True:
        extra.append("Using index")
    extra += [note for key, note in _JSON_NOTES if table.get(key)]
    if table.get("first_match"):
        extra.append(f"FirstMatch({table['first_match']})")
    if table.get("range_checked_for_each_record"):  # MySQL: "index map: 0x1"
        extra.append(f"Range checked for each record ({table['range_checked_for_each_record']})")
    buffer = table.get("using_join_buffer")  # MySQL: "Block Nested Loop" / "hash join"
    if buffer:
        extra.append(f"Using join buffer ({buffer})")
    if table.get("message"):
        extra.append(str(table["message"]))
    cost_info = table.get("cost_info") if isinstance(table.get("cost_info"), dict) else {}
    rows = table.get("rows_examined_per_scan", table.get("rows"))
    partitions = table.get("partitions")
    return PlanRow(
        id=ctx.select_id, select_type=ctx.select_type, table=_text(table.get("table_name")),
        access_type=_text(table.get("access_type")), possible_keys=_keys(table.get("possible_keys")),
        key=_text(table.get("key")), key_len=_text(table.get("key_length")),
        ref=",".join(table["ref"]) if isinstance(table.get("ref"), list) else _text(table.get("ref")),
        rows=_int(rows), filtered=_float(table.get("filtered")), extra=tuple(dict.fromkeys(extra)),
        partitions=",".join(partitions) if isinstance(partitions, list) else _text(partitions),
        cost=_float(cost_info.get("prefix_cost")), actual_rows=_float(table.get("r_rows")))


def iter_tables(plan: Plan) -> Iterator[PlanRow]:
    """Rows that read a base table (not a derived or union result)."""
    return (row for row in plan.rows if row.table and not row.internal)
