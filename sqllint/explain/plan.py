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
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

# EXPLAIN FORMAT=JSON is read by ``planjson``; traditional tabular EXPLAIN here.
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


def loop_rows(rows: Sequence[PlanRow]) -> int:
    """Rows one nested loop produces by estimate: the product of its tables' ``rows`` (unknown counts as 1)."""
    product = 1
    for row in rows:  # max(1, rows or 1) of each, multiplied
        if row.rows is not None and row.rows > 1:
            product *= row.rows
    return product


def iter_tables(plan: Plan) -> Iterator[PlanRow]:
    """Rows that read a base table (not a derived or union result)."""
    return (row for row in plan.rows if row.table and not row.internal)
