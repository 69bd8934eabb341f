"""What the staging database holds, read once per run from ``information_schema``.

Binding needs each column's type, index advice needs each table's indexes, and the plan cache needs a
hash of each table's definition plus its row-estimate bucket. Three reads per run (TABLES, COLUMNS,
STATISTICS for the DSN's database) answer all of it; nothing reads the application's tables.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

TABLES_SQL = ("SELECT TABLE_NAME, TABLE_ROWS, ENGINE, TABLE_TYPE FROM information_schema.TABLES "
              "WHERE TABLE_SCHEMA = DATABASE()")
COLUMNS_SQL = ("SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, ORDINAL_POSITION "
               "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
               "ORDER BY TABLE_NAME, ORDINAL_POSITION")
STATISTICS_SQL = ("SELECT TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE "
                  "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() "
                  "ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX")


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str  # lower-case: int, varchar, enum, datetime …
    column_type: str  # full: int(11) unsigned, enum('a','b') …
    nullable: bool = True


@dataclass(frozen=True)
class Table:
    name: str
    rows: int  # the engine's estimate (information_schema.TABLES.TABLE_ROWS)
    columns: dict[str, Column] = field(default_factory=dict)  # lower-case name → column
    indexes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # index name → its columns in order
    view: bool = False

    def definition_hash(self) -> str:
        """Changes when a column, its type or an index changes; not when data changes."""
        return self._definition_hash

    @functools.cached_property
    def _definition_hash(self) -> str:  # asked once per statement that reads the table: compute once
        parts = [f"{c.name}:{c.column_type}:{c.nullable}" for c in self.columns.values()]
        parts += [f"{name}({','.join(cols)})" for name, cols in sorted(self.indexes.items())]
        return hashlib.blake2b("|".join(parts).encode(), digest_size=8).hexdigest()

    def rows_bucket(self) -> int:
        """Half-decades of the row estimate: a plan is re-explained when the table grows ~3×."""
        return int(math.log10(self.rows + 1) * 2)

    def leading_columns(self) -> set[str]:
        """Columns that are the first column of some index (lower-case)."""
        return {cols[0].lower() for cols in self.indexes.values() if cols}


@dataclass(frozen=True)
class Catalog:
    database: str
    tables: dict[str, Table]  # lower-case name → table

    def table(self, name: str | None) -> Table | None:
        return self.tables.get(name.lower()) if name else None

    def column(self, table: str | None, column: str) -> Column | None:
        found = self.table(table)
        return found.columns.get(column.lower()) if found else None

    def tables_with_column(self, column: str, among: Iterable[str]) -> list[Table]:
        return [t for name in among if (t := self.table(name)) is not None and column.lower() in t.columns]

    def fingerprint(self, names: Iterable[str]) -> str:
        """Definition hashes and row buckets of the named tables (unknown names count as missing)."""
        parts = []
        for name in sorted({n.lower() for n in names}):
            table = self.tables.get(name)
            parts.append(f"{name}={table.definition_hash()}/{table.rows_bucket()}" if table else f"{name}=?")
        return hashlib.blake2b(";".join(parts).encode(), digest_size=8).hexdigest()


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def build_catalog(database: str, tables: Sequence[Sequence[Any]], columns: Sequence[Sequence[Any]],
                  statistics: Sequence[Sequence[Any]]) -> Catalog:
    """Assemble the catalog from the rows of TABLES_SQL, COLUMNS_SQL and STATISTICS_SQL."""
    cols: dict[str, dict[str, Column]] = {}
    for table, name, data_type, column_type, nullable, _pos in columns:
        cols.setdefault(_s(table).lower(), {})[_s(name).lower()] = Column(
            _s(name), _s(data_type).lower(), _s(column_type).lower(), _s(nullable).upper() == "YES")
    idx: dict[str, dict[str, list[str]]] = {}
    for table, index, _seq, column, _non_unique in statistics:
        if column is not None:
            idx.setdefault(_s(table).lower(), {}).setdefault(_s(index), []).append(_s(column))
    result = {}
    for name, rows, _engine, table_type in tables:
        key = _s(name).lower()
        result[key] = Table(_s(name), int(rows or 0), cols.get(key, {}),
                            {k: tuple(v) for k, v in idx.get(key, {}).items()}, "VIEW" in _s(table_type).upper())
    return Catalog(database, result)
