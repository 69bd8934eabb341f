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
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

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
        """Whether an Extra item contains ``text``, ignoring case (rules ask ~5 times per row)."""
        if not self.extra:
            return False
        lowered = text.lower()
        if "\n" in lowered:  # the joined form below separates items by newlines: look item by item
            return any(lowered in item.lower() for item in self.extra)
        return lowered in _lowered(self.extra)

    @property
    def join_buffer(self) -> str | None:
        """``Using join buffer (…)`` detail: ``Block Nested Loop``, ``hash join``, ``flat, BNL join`` …"""
        if not self.extra or "using join buffer" not in _lowered(self.extra):
            return None
        for item in self.extra:
            if item.lower().startswith("using join buffer"):
                return item[item.find("(") + 1 : item.rfind(")")] if "(" in item else "join buffer"
        return None

    @property
    def has_condition(self) -> bool:
        return self.has_extra("Using where") or (self.filtered is not None and self.filtered < 100)


@functools.lru_cache(maxsize=512)
def _lowered(extra: tuple[str, ...]) -> str:
    """A row's Extra items lower-cased and joined by newlines: plans repeat a few dozen distinct tuples,
    so each is lowered once, not on every ``has_extra`` (a cache, not a field: ``vars(row)`` stays the
    row's fields)."""
    return "\n".join(extra).lower()


def _row(values: Sequence[Any]) -> PlanRow:
    """``PlanRow(*values)`` without the frozen dataclass's fourteen ``object.__setattr__`` calls (half the
    cost of a row; equal, hashable and immutable all the same)."""
    row = object.__new__(PlanRow)
    row.__dict__.update(zip(_ROW_FIELDS, values))
    return row


if TYPE_CHECKING:  # typed as what it stands in for
    from functools import cached_property as _memo
else:
    class _memo:  # noqa: N801 - used as a decorator, like the one it replaces
        """``functools.cached_property`` without its lock (Python 3.11 takes one lock shared by every instance,
        which the pool's worker threads contended for): computed on first use and stored in the instance's
        ``__dict__``, which later reads find first. Two threads racing on one instance compute equal values."""

        def __init__(self, function: Any) -> None:
            self.function, self.name, self.__doc__ = function, function.__name__, function.__doc__

        def __get__(self, instance: Any, owner: type | None = None) -> Any:
            if instance is None:
                return self
            value = instance.__dict__[self.name] = self.function(instance)
            return value


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
        return dict(self.blocks)

    @_memo
    def blocks(self) -> Mapping[int | None, tuple[PlanRow, ...]]:
        """``loops()`` as one shared read-only mapping: what plan rules read (no copy per rule)."""
        grouped: dict[int | None, list[PlanRow]] = {}
        for row in self.rows:
            grouped.setdefault(row.id, []).append(row)
        return MappingProxyType({key: tuple(rows) for key, rows in grouped.items()})

    def rows_examined(self) -> int:
        """Estimated rows examined: the product of ``rows`` along each nested loop, summed over query
        blocks; a dependent subquery's block is multiplied by the rows of the block that runs it."""
        groups = self.blocks
        if len(groups) == 1:  # one query block (most plans): nothing runs per outer row
            return loop_rows(self.rows)
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
            built.append(_row(values))
        return Plan(tuple(built), source, flavor, total_cost)


_ROW_FIELDS = tuple(f.name for f in dataclasses.fields(PlanRow))


# --- traditional EXPLAIN ------------------------------------------------------------------------------

_EXACT = 2 ** 53  # ints below this survive int(float(value)) unchanged


def _int(value: Any) -> int | None:
    if type(value) is int and -_EXACT < value < _EXACT:  # JSON plans: already an int
        return value
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
    if type(value) is str:  # JSON plans: already text
        return value if value and value.upper() != "NULL" else None
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
        return tuple(map(str, value))
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


def loop_rows(rows: Sequence[PlanRow]) -> int:
    """Rows one nested loop produces by estimate: the product of its tables' ``rows`` (unknown counts as 1)."""
    product = 1
    for row in rows:  # max(1, rows or 1) of each, multiplied
        if row.rows is not None and row.rows > 1:
            product *= row.rows
    return product


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


def iter_tables(plan: Plan) -> Iterator[PlanRow]:
    """Rows that read a base table (not a derived or union result)."""
    return (row for row in plan.rows if row.table and not row.internal)
