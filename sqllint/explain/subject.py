"""What a plan rule reads: one explained statement with its plan, binding and the catalog."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqllint.explain.advice import suggest_index
from sqllint.explain.binding import Binding
from sqllint.explain.catalog import Catalog
from sqllint.explain.plan import Plan, PlanRow

if TYPE_CHECKING:
    from sqlglot import exp

    from sqllint.records import ParsedQuery


@dataclass(frozen=True)
class PlanSubject:
    query: ParsedQuery
    plan: Plan
    catalog: Catalog
    binding: Binding
    # The SELECT that was explained (a rewrite for DML), or a function building it: most plans need no
    # tree (only index advice reads it), and building a write's SELECT copies part of its tree.
    select_source: exp.Expression | Callable[[], exp.Expression] = field(repr=False)
    rewritten_from: str | None = None  # "update"/"delete"/"insert" when ``select`` stands for it
    aliases: dict[str, str] = field(default_factory=dict)  # plan alias (lower-case) → base table name
    # Index advice per plan row: P001 and P007 often ask about the same full scan.
    _advice: dict[int, str | None] = field(default_factory=dict, compare=False, repr=False)

    @property
    def select(self) -> exp.Expression:
        source = self.select_source
        return source() if callable(source) else source

    def table_of(self, row: PlanRow) -> str | None:
        """The base table a plan row reads (the server prints aliases)."""
        if not row.table or row.internal:
            return None
        return self.aliases.get(row.table.lower(), row.table)

    def table_rows(self, row: PlanRow) -> int:
        """Best row count for the table: the catalog's estimate, else the plan's."""
        table = self.catalog.table(self.table_of(row))
        return max(table.rows if table else 0, row.rows or 0)

    def later_tables(self, row: PlanRow) -> frozenset[str]:
        """Aliases (lower-case) the nested loop of ``row`` reads after it: their columns are not known yet
        when ``row``'s table is read, so a join condition to them cannot be a lookup key for it."""
        loop = self.plan.blocks.get(row.id, ())
        position = next((i for i, r in enumerate(loop) if r is row), len(loop))
        return frozenset(r.table.lower() for r in loop[position + 1:] if r.table)

    def index_advice(self, row: PlanRow) -> str | None:
        """``CREATE INDEX`` for the table ``row`` reads, from the predicates usable at its place in the
        loop; None when the table is unknown or no index would help."""
        if id(row) in self._advice:
            return self._advice[id(row)]
        table = self.catalog.table(self.table_of(row))
        advice = None if table is None else suggest_index(self.select, row.table or table.name, table, self.aliases,
                                                          self.later_tables(row))
        self._advice[id(row)] = advice
        return advice
