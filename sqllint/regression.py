"""Plan summaries and what counts as a plan regression between two of them.

The EXPLAIN stage turns each plan into a ``PlanSummary``: one ``TablePlan`` per row of the plan (per
table access), in plan order. The baseline stores summaries, and ``compare_plans`` says, table by
table, what got worse and what got better. Nothing here talks to a database or reads files.

What the EXPLAIN stage fills in, per plan row:

- ``table``: the table or alias EXPLAIN names (``<derivedN>``/``<subqueryN>`` rows may be kept too);
- ``access``: EXPLAIN's ``type`` column (``system`` … ``ALL``), or None when the row has none;
- ``key``: the index used, or None;
- ``rows``: the row estimate (``rows`` column); the baseline keeps it rounded *up* to a power of two
  (``rows_bucket``) so that small statistics drift does not churn the file;
- ``filesort`` / ``temporary``: ``Using filesort`` / ``Using temporary`` in Extra;
- ``dependent``: the row's select_type is ``DEPENDENT SUBQUERY``/``DEPENDENT UNION`` (re-run per outer row).

The number of tables joined is the number of rows (``PlanSummary.joins``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# MySQL's documented order, best first (EXPLAIN Output Format, "EXPLAIN Join Types").
ACCESS_ORDER = ("system", "const", "eq_ref", "ref", "fulltext", "ref_or_null", "index_merge",
                "unique_subquery", "index_subquery", "range", "index", "ALL")
_ACCESS_RANK = {name.lower(): rank for rank, name in enumerate(ACCESS_ORDER)}
DEFAULT_ROWS_FACTOR = 10.0


class PlanFormatError(ValueError):
    """A plan summary (usually from a hand-edited baseline) that does not have the documented shape."""


def access_rank(access: str | None) -> int | None:
    """Position in ``ACCESS_ORDER`` (higher is worse), or None for an unknown or missing type."""
    return None if access is None else _ACCESS_RANK.get(access.lower())


def rows_bucket(rows: int | None) -> int | None:
    """``rows`` rounded up to a power of two: stable under small drift, never under-estimating."""
    if rows is None:
        return None
    if rows <= 1:
        return max(rows, 0)
    return 1 << (rows - 1).bit_length()


@dataclass(frozen=True)
class TablePlan:
    """One row of a plan, reduced to what the regression gate compares."""

    table: str
    access: str | None = None
    key: str | None = None
    rows: int | None = None
    filesort: bool = False
    temporary: bool = False
    dependent: bool = False

    def to_json(self) -> dict[str, Any]:
        """The baseline's form: rows become ``rows_bucket``; keys always present, in a fixed order."""
        return {"access": self.access, "dependent": self.dependent, "filesort": self.filesort, "key": self.key,
                "rows_bucket": rows_bucket(self.rows), "table": self.table, "temporary": self.temporary}

    @staticmethod
    def from_json(data: Any, where: str) -> TablePlan:
        if not isinstance(data, dict):
            raise PlanFormatError(f"{where}: a table plan must be an object")
        expected = {"access", "dependent", "filesort", "key", "rows_bucket", "table", "temporary"}
        unknown = set(data) - expected
        if unknown:
            raise PlanFormatError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        if not isinstance(data.get("table"), str) or not data["table"]:
            raise PlanFormatError(f"{where}.table must be a non-empty string")
        for name in ("access", "key"):
            if data.get(name) is not None and not isinstance(data[name], str):
                raise PlanFormatError(f"{where}.{name} must be a string or null")
        if data.get("access") is not None and access_rank(data["access"]) is None:
            raise PlanFormatError(f"{where}.access: unknown access type {data['access']!r}")
        rows = data.get("rows_bucket")
        if rows is not None and (isinstance(rows, bool) or not isinstance(rows, int) or rows < 0):
            raise PlanFormatError(f"{where}.rows_bucket must be a non-negative integer or null")
        for name in ("filesort", "temporary", "dependent"):
            if not isinstance(data.get(name, False), bool):
                raise PlanFormatError(f"{where}.{name} must be true or false")
        return TablePlan(data["table"], data.get("access"), data.get("key"), rows, data.get("filesort", False),
                         data.get("temporary", False), data.get("dependent", False))


@dataclass(frozen=True)
class PlanSummary:
    """A whole plan: its table rows in plan order."""

    tables: tuple[TablePlan, ...] = ()

    @property
    def joins(self) -> int:
        return len(self.tables)

    def by_table(self) -> dict[str, TablePlan]:
        """Rows keyed by table; a table met again (self-join) becomes ``name#2``, ``name#3``…"""
        keyed: dict[str, TablePlan] = {}
        for table in self.tables:
            key, n = table.table, 1
            while key in keyed:
                n += 1
                key = f"{table.table}#{n}"
            keyed[key] = table
        return keyed

    def to_json(self) -> dict[str, Any]:
        return {"joins": self.joins, "tables": [t.to_json() for t in self.tables]}

    @staticmethod
    def from_json(data: Any, where: str) -> PlanSummary:
        if not isinstance(data, dict) or not isinstance(data.get("tables"), list):
            raise PlanFormatError(f"{where}: a plan must be an object with a \"tables\" list")
        unknown = set(data) - {"joins", "tables"}
        if unknown:
            raise PlanFormatError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        tables = tuple(TablePlan.from_json(t, f"{where}.tables[{i}]") for i, t in enumerate(data["tables"]))
        if "joins" in data and data["joins"] != len(tables):
            raise PlanFormatError(f"{where}.joins is {data['joins']!r} but {len(tables)} table(s) are listed")
        return PlanSummary(tables)


@dataclass(frozen=True)
class Change:
    """One difference on one table: ``what`` went from ``before`` to ``after``."""

    table: str  # "" for whole-plan changes (number of tables joined)
    what: str  # "access", "key", "rows", "filesort", "temporary", "dependent", "joins"
    before: str
    after: str

    def describe(self) -> str:
        return f"{self.what} {self.before} → {self.after}"


@dataclass(frozen=True)
class PlanDiff:
    regressions: tuple[Change, ...] = ()
    improvements: tuple[Change, ...] = ()

    def tables(self, regressed: bool = True) -> dict[str, list[Change]]:
        """Changes grouped by table, in order of first appearance ("" = the whole plan)."""
        grouped: dict[str, list[Change]] = {}
        for change in self.regressions if regressed else self.improvements:
            grouped.setdefault(change.table, []).append(change)
        return grouped


def _show(value: object) -> str:
    return "none" if value is None else str(value)


def _flag_changes(table: str, before: TablePlan, after: TablePlan, worse: list[Change], better: list[Change]) -> None:
    for flag in ("filesort", "temporary", "dependent"):
        was, now = getattr(before, flag), getattr(after, flag)
        if now and not was:
            worse.append(Change(table, flag, "no", "yes"))
        elif was and not now:
            better.append(Change(table, flag, "yes", "no"))


def compare_plans(before: PlanSummary, after: PlanSummary, rows_factor: float = DEFAULT_ROWS_FACTOR) -> PlanDiff:
    """What got worse and what got better from ``before`` (the baseline) to ``after`` (now).

    Per table present in both: access type moved down ``ACCESS_ORDER``; a key was lost (a key that
    changed to another key is an improvement-neutral change and not reported); the row estimate grew
    past ``rows_factor`` × before (shrank past it: improvement); filesort, temporary or a dependent
    subquery appeared (went away: improvement). Per plan: more tables joined (fewer: improvement).
    """
    if rows_factor <= 1:
        raise ValueError(f"rows factor must be greater than 1, got {rows_factor}")
    worse: list[Change] = []
    better: list[Change] = []
    old_tables, new_tables = before.by_table(), after.by_table()
    for name, now in new_tables.items():
        was = old_tables.get(name)
        if was is None:
            continue  # a new table shows up as more tables joined
        old_rank, new_rank = access_rank(was.access), access_rank(now.access)
        if old_rank is not None and new_rank is not None and new_rank != old_rank:
            (worse if new_rank > old_rank else better).append(Change(name, "access", _show(was.access), _show(now.access)))
        if was.key is not None and now.key is None:
            worse.append(Change(name, "key", was.key, "none"))
        elif was.key is None and now.key is not None:
            better.append(Change(name, "key", "none", now.key))
        if was.rows is not None and now.rows is not None:
            if now.rows > rows_factor * max(was.rows, 1):
                worse.append(Change(name, "rows", str(was.rows), str(now.rows)))
            elif was.rows > rows_factor * max(now.rows, 1):
                better.append(Change(name, "rows", str(was.rows), str(now.rows)))
        _flag_changes(name, was, now, worse, better)
    if after.joins > before.joins:
        worse.append(Change("", "joins", str(before.joins), str(after.joins)))
    elif after.joins < before.joins:
        better.append(Change("", "joins", str(before.joins), str(after.joins)))
    return PlanDiff(tuple(worse), tuple(better))


def describe_table(table: str, changes: Iterable[Change]) -> str:
    """``orders: access ref → ALL, key idx_user → none`` (or ``plan: joins 2 → 3``)."""
    return f"{table or 'plan'}: " + ", ".join(c.describe() for c in changes)



def normal_access(access: str | None) -> str | None:
    """EXPLAIN's type as ``ACCESS_ORDER`` spells it; MariaDB's hash joins (``hash_ALL``) read as their
    base type; anything else unknown becomes None (not compared)."""
    if access is None:
        return None
    name = access[5:] if access.lower().startswith("hash_") else access
    rank = access_rank(name)
    return None if rank is None else ACCESS_ORDER[rank]


def summary_from_plan(plan: Any) -> PlanSummary:
    """A ``PlanSummary`` from the EXPLAIN stage's ``Plan`` (``sqllint.explain.plan``): read by attribute
    (``rows`` of ``PlanRow`` with ``table``, ``access_type``, ``key``, ``rows``, ``extra``,
    ``select_type``) so that this module does not depend on the database layer."""
    tables = []
    for index, row in enumerate(plan.rows, 1):
        extra = " ".join(row.extra).lower()
        tables.append(TablePlan(
            table=row.table or f"<row{index}>",
            access=normal_access(row.access_type),
            key=row.key,
            rows=row.rows,
            filesort="using filesort" in extra,
            temporary="using temporary" in extra,
            dependent="dependent" in (row.select_type or "").lower(),
        ))
    return PlanSummary(tuple(tables))
