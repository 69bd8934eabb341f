"""The shape of a plan: query blocks nested the way the statement nests them.

The server prints a flat list of rows; this module turns it into a tree. A derived table's block hangs
under the row that reads it (``<derived2>``, or in MySQL's JSON the alias whose
``materialized_from_subquery`` holds it), a union's blocks sit beside each other with the union result
after them, and subqueries hang under the block they appear in. The server numbers SELECTs in the order
they appear in the text, so ``block_parents`` reads that nesting from the SQL that was explained; without
it, a subquery goes under the closest block numbered before it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqllint.explain.plan import Plan, PlanRow

REFERENCE = re.compile(r"^<(derived|subquery|union)([\d,]+)>$", re.IGNORECASE)
BLOCK_NOTES = ("Using temporary", "Using filesort")


@dataclass
class TableNode:
    order: int  # position in its block's nested loop, 1 = outermost
    row: PlanRow
    base_table: str | None  # the table behind the alias, when known
    children: list[BlockNode] = field(default_factory=list)  # derived / materialised blocks it reads

    @property
    def full_scan(self) -> bool:
        return self.row.full_scan and not union_result(self.row)

    @property
    def index_scan(self) -> bool:
        return self.row.access_type == "index"


@dataclass
class BlockNode:
    id: int | None
    select_type: str
    tables: list[TableNode] = field(default_factory=list)
    children: list[BlockNode] = field(default_factory=list)  # subqueries and unions inside this block

    @property
    def rows(self) -> list[PlanRow]:
        return [t.row for t in self.tables]

    @property
    def notes(self) -> list[str]:
        """Whole-block work the server prints on the block's first row: temporary table, filesort."""
        found = [note for note in BLOCK_NOTES if any(r.has_extra(note) for r in self.rows)]
        return ["temporary table" if n == "Using temporary" else "filesort" for n in found]

    def as_dict(self) -> dict[str, Any]:
        return {"block": self.id, "select_type": self.select_type, "notes": self.notes,
                "tables": [{"order": t.order, "table": t.row.table, "base_table": t.base_table,
                            "access_type": t.row.access_type, "key": t.row.key, "rows": t.row.rows,
                            "actual_rows": t.row.actual_rows,
                            "full_scan": t.full_scan, "extra": [e for e in t.row.extra if e not in BLOCK_NOTES],
                            "reads": [c.as_dict() for c in t.children]} for t in self.tables],
                "subqueries": [c.as_dict() for c in self.children]}


def block_parents(sql: str) -> dict[int, int]:
    """Select number → the number of the SELECT it is nested in, from the statement's text.

    MySQL and MariaDB number SELECTs in the order the parser meets them, so the n-th ``SELECT`` keyword
    is block n; its parent is the closest SELECT whose parentheses enclose it (union members share
    their first member's parent)."""
    from sqlglot.dialects.mysql import MySQL
    from sqlglot.tokens import TokenType

    try:
        tokens = MySQL().tokenize(sql)
    except Exception:  # noqa: BLE001 - a tree without subquery nesting is still a useful tree
        return {}
    parents: dict[int, int] = {}
    stack: list[tuple[int, int]] = []  # (paren depth, select number)
    depth = number = 0
    for token in tokens:
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
        elif token.token_type == TokenType.SELECT:
            number += 1
            while stack and stack[-1][0] >= depth:
                stack.pop()
            if stack:
                parents[number] = stack[-1][1]
            stack.append((depth, number))
    return parents


def build_tree(plan: Plan, parents: Mapping[int, int] | None = None,
               aliases: Mapping[str, str] | None = None) -> list[BlockNode]:
    """The plan's query blocks nested as in the statement; top-level blocks in plan order."""
    parents = parents or {}
    aliases = {k.lower(): v for k, v in (aliases or {}).items()}
    blocks: list[BlockNode] = []  # in plan order; union results (id NULL) are their own blocks
    by_id: dict[int, BlockNode] = {}
    for row in plan.rows:
        block = by_id.get(row.id) if row.id is not None else None
        if block is None:
            block = BlockNode(row.id, row.select_type)
            blocks.append(block)
            if row.id is not None:
                by_id[row.id] = block
        base = None if not row.table or row.internal else aliases.get(row.table.lower(), row.table)
        block.tables.append(TableNode(len(block.tables) + 1, row, base))
    placed: dict[int, BlockNode | TableNode] = {}  # id(block) → where it hangs
    # 1. Derived and materialised blocks hang under the row that reads them; union results own their members.
    for block in blocks:
        for table in block.tables:
            match = REFERENCE.match(table.row.table or "")
            if not match:
                continue
            kind, numbers = match.group(1).lower(), [int(n) for n in match.group(2).split(",") if n]
            targets = [by_id[n] for n in numbers if n in by_id and by_id[n] is not block]
            if kind == "union":
                continue  # members are placed beside their first member below
            for target in targets:
                placed.setdefault(id(target), table)
    # 2. JSON plans name a derived table by its alias: its block follows the row that reads it.
    previous: dict[int, PlanRow] = {}
    for before, row in zip(plan.rows, plan.rows[1:]):
        if row.id is not None and row.id != before.id and row.id not in previous:
            previous[row.id] = before
    for block in blocks:
        if id(block) in placed or block.id is None:
            continue
        kind = block.select_type.upper()
        before = previous.get(block.id)
        if plan.source == "json" and before is not None and ("DERIVED" in kind or "MATERIALIZED" in kind):
            holder = next((t for b in blocks for t in b.tables if t.row is before), None)
            if holder is not None:
                placed[id(block)] = holder
    # 3. Unions: members and the union result sit where the union's first member sits.
    for block in blocks:
        for table in block.tables:
            match = REFERENCE.match(table.row.table or "")
            if not match or match.group(1).lower() != "union" or block.id is not None:
                continue
            members = [by_id[int(n)] for n in match.group(2).split(",") if n and int(n) in by_id]
            if not members:
                continue
            first = members[0]
            for member in members[1:] + [block]:
                if id(member) not in placed:
                    placed[id(member)] = placed.get(id(first)) or _parent_block(first, parents, by_id) or first
                    if placed[id(member)] is first:
                        del placed[id(member)]  # the first member is top-level: its siblings are too
    # 4. Subqueries hang under the block they appear in.
    for block in blocks:
        if id(block) in placed or block.id is None:
            continue
        if "UNION" in block.select_type.upper() and "RESULT" not in block.select_type.upper():
            continue  # a union member without a union result row: leave it beside the others
        parent = _parent_block(block, parents, by_id)
        if parent is not None:
            placed[id(block)] = parent
    roots = []
    for block in blocks:
        holder = placed.get(id(block))
        if holder is None or _inside(holder, block, placed):
            roots.append(block)
        else:
            holder.children.append(block)
    return roots


def _parent_block(block: BlockNode, parents: Mapping[int, int], by_id: Mapping[int, BlockNode]) -> BlockNode | None:
    if block.id is None or block.id == min(by_id, default=block.id):
        return None
    parent = parents.get(block.id)
    if parent is None:  # no SQL to read it from: the closest block numbered before it
        parent = max((n for n in by_id if n < block.id), default=None)
    while parent is not None and parent not in by_id:  # merged away by the optimizer
        parent = parents.get(parent)
    return by_id.get(parent) if parent is not None and parent != block.id else None


def _inside(holder: BlockNode | TableNode, block: BlockNode, placed: Mapping[int, BlockNode | TableNode]) -> bool:
    """True when hanging ``block`` under ``holder`` would make a cycle (a malformed plan)."""
    seen = 0
    stack: list[BlockNode] = [block]
    while stack and seen < 1000:
        seen += 1
        current = stack.pop()
        if holder is current or (isinstance(holder, TableNode) and holder in current.tables):
            return True
        stack.extend(current.children)
        stack.extend(c for t in current.tables for c in t.children)
    return False


def union_result(row: PlanRow) -> bool:
    """The row that reads a union's collected result: its 'full scan' is the union's output, not a table."""
    return "UNION RESULT" in row.select_type.upper()
