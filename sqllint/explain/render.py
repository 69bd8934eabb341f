"""How ``sqllint explain`` shows a plan: the server's table, an indented tree, and a summary in words.

Everything here reads a ``Plan`` (traditional or FORMAT=JSON, MySQL or MariaDB) and never talks to a
server. The tree nests query blocks the way the statement does: a derived table's block under the row
that reads it (``<derived2>``), a union's blocks beside each other, and subqueries under the block they
appear in (the server numbers SELECTs in the order they appear in the text, so ``block_parents`` reads
that nesting from the SQL that was explained). The summary says which table is read in full and why,
the estimated rows examined as the nested-loop product, and where the time most likely goes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqllint.explain.plan import Plan, PlanRow

PLAN_HEADERS = ("id", "select_type", "table", "type", "possible_keys", "key", "key_len", "ref", "rows",
                "filtered", "Extra")
_REFERENCE = re.compile(r"^<(derived|subquery|union)([\d,]+)>$", re.IGNORECASE)
_BLOCK_NOTES = ("Using temporary", "Using filesort")
Style = Callable[..., str]


def _plain(text: str, **_: Any) -> str:
    return text


# --- the table ----------------------------------------------------------------------------------------

def plan_table(plan: Plan) -> str:
    """The plan as the server's tabular EXPLAIN, whatever format it came in."""
    from tabulate import tabulate

    def cell(value: Any) -> Any:
        return "NULL" if value is None or value == "" else value

    measured = any(r.actual_rows is not None for r in plan.rows)  # ANALYZE: the server's r_rows
    rows = [(cell(r.id), r.select_type, cell(r.table), cell(r.access_type), cell(",".join(r.possible_keys)),
             cell(r.key), cell(r.key_len), cell(r.ref), cell(r.rows))
            + ((cell(None if r.actual_rows is None else f"{r.actual_rows:g}"),) if measured else ())
            + (cell(None if r.filtered is None else f"{r.filtered:.2f}"), "; ".join(r.extra)) for r in plan.rows]
    headers = PLAN_HEADERS[:9] + (("r_rows",) if measured else ()) + PLAN_HEADERS[9:]
    return tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True)


# --- the tree -----------------------------------------------------------------------------------------

@dataclass
class TableNode:
    order: int  # position in its block's nested loop, 1 = outermost
    row: PlanRow
    base_table: str | None  # the table behind the alias, when known
    children: list[BlockNode] = field(default_factory=list)  # derived / materialised blocks it reads

    @property
    def full_scan(self) -> bool:
        return self.row.full_scan and not _union_result(self.row)

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
        found = [note for note in _BLOCK_NOTES if any(r.has_extra(note) for r in self.rows)]
        return ["temporary table" if n == "Using temporary" else "filesort" for n in found]

    def as_dict(self) -> dict[str, Any]:
        return {"block": self.id, "select_type": self.select_type, "notes": self.notes,
                "tables": [{"order": t.order, "table": t.row.table, "base_table": t.base_table,
                            "access_type": t.row.access_type, "key": t.row.key, "rows": t.row.rows,
                            "full_scan": t.full_scan, "extra": [e for e in t.row.extra if e not in _BLOCK_NOTES],
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
            match = _REFERENCE.match(table.row.table or "")
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
            match = _REFERENCE.match(table.row.table or "")
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


def render_tree(roots: list[BlockNode], style: Style = _plain) -> list[str]:
    lines: list[str] = []
    for index, block in enumerate(roots):
        _render_block(block, "", "", lines, style)
    return lines


def _block_title(block: BlockNode, style: Style) -> str:
    if block.id is None:
        title = f"{block.select_type.lower()}"
    else:
        title = f"block {block.id} {block.select_type}"
    notes = block.notes
    if notes:
        title += "  " + style(f"[{', '.join(notes)}]", fg="yellow")
    return title


def _render_block(block: BlockNode, first: str, rest: str, lines: list[str], style: Style) -> None:
    lines.append(first + _block_title(block, style))
    labels = [_table_label(t) for t in block.tables]
    width = max((len(label) for label in labels), default=0)
    access = [f"{t.row.access_type or '-'}" for t in block.tables]
    access_width = max((len(a) for a in access), default=0)
    keys = [f"key {t.row.key}" if t.row.key else "no key" for t in block.tables]
    key_width = max((len(k) for k in keys), default=0)
    items: list[TableNode | BlockNode] = [*block.tables, *block.children]
    for index, item in enumerate(items):
        last = index == len(items) - 1
        branch, inner = ("└─ ", "   ") if last else ("├─ ", "│  ")
        if isinstance(item, BlockNode):
            _render_block(item, rest + branch, rest + inner, lines, style)
            continue
        position = block.tables.index(item)
        text = (f"{labels[position]:<{width}}  {access[position]:<{access_width}}  {keys[position]:<{key_width}}  "
                f"{_rows(item.row.rows)}")
        if item.row.actual_rows is not None:
            text += f" (measured {_measured(item.row.actual_rows)})"
        extra = [e for e in item.row.extra if e not in _BLOCK_NOTES]
        if extra:
            text += f"  ({'; '.join(extra)})"
        if item.full_scan:
            text += "  " + style("FULL SCAN", fg="red", bold=True)
        elif item.index_scan:
            text += "  " + style("FULL INDEX SCAN", fg="yellow")
        lines.append((rest + branch + text).rstrip())
        for child_index, child in enumerate(item.children):
            child_last = child_index == len(item.children) - 1
            _render_block(child, rest + inner + ("└─ " if child_last else "├─ "),
                          rest + inner + ("   " if child_last else "│  "), lines, style)


def _table_label(table: TableNode) -> str:
    name = table.row.table or "?"
    if table.base_table and table.base_table.lower() != name.lower():
        name = f"{name} ({table.base_table})"
    elif not table.row.internal and any("DERIVED" in c.select_type.upper() for c in table.children):
        name = f"{name} (derived table)"  # JSON plans name a derived table by its alias
    return f"{table.order}. {name}"


def _measured(rows: float) -> str:
    return f"{rows:.1f}" if rows < 10 and rows != int(rows) else f"{rows:,.0f}"


def _rows(rows: int | None) -> str:
    if rows is None:
        return "rows unknown"
    return f"~{rows:,} row{'' if rows == 1 else 's'}"


# --- the summary --------------------------------------------------------------------------------------

def block_products(plan: Plan) -> list[tuple[int | None, list[int], int]]:
    """(block id, rows per table in join order, rows examined) per block; dependent subqueries are
    multiplied by the rows of the outermost block, as in ``Plan.rows_examined``."""
    groups = plan.loops()
    ids = [k for k in groups if k is not None]
    outer_id = min(ids, default=None)
    first_key = min(groups, key=lambda k: k or 0) if groups else None
    outer = math.prod(max(1, r.rows or 1) for r in groups.get(outer_id, [])) if outer_id is not None else 1
    result = []
    for key, rows in groups.items():
        factors = [max(1, r.rows or 1) for r in rows]
        product = math.prod(factors)
        if rows and "DEPENDENT" in rows[0].select_type.upper() and key != first_key:
            product *= outer
        result.append((key, factors, product))
    return result


def summarize(plan: Plan, aliases: Mapping[str, str] | None = None) -> list[str]:
    """Plain-language sentences: full reads and why, rows examined, sorting, where the time goes."""
    aliases = {k.lower(): v for k, v in (aliases or {}).items()}
    lines: list[str] = []
    for key, rows in plan.loops().items():
        for position, row in enumerate(rows):
            if (row.full_scan or row.access_type == "index") and not _union_result(row):
                lines.append(_full_read(row, position, aliases))
    if not any(r.full_scan and not _union_result(r) for r in plan.rows):
        lines.append("No table is read in full: every table is reached through an index or a constant lookup.")
    products = block_products(plan)
    total = plan.rows_examined()
    if len(products) == 1:
        _, factors, _ = products[0]
        lines.append(f"Estimated rows examined: ~{total:,}" + (f" ({' × '.join(f'{f:,}' for f in factors)} along "
                                                               "the nested loop)" if len(factors) > 1 else "") + ".")
    else:
        parts = []
        for key, factors, product in products:
            label = f"block {key}" if key is not None else "union result"
            runs = product // max(1, math.prod(factors))
            steps = [f"{f:,}" for f in factors] + ([f"{runs:,} runs"] if runs > 1 else [])
            parts.append(f"{label}: {' × '.join(steps)}" + (f" = {product:,}" if len(steps) > 1 else ""))
        lines.append(f"Estimated rows examined: ~{total:,} ({'; '.join(parts)}).")
    for key, rows in plan.loops().items():
        sort = any(r.has_extra("Using filesort") for r in rows)
        temporary = any(r.has_extra("Using temporary") for r in rows)
        materialising = bool(rows) and any(k in rows[0].select_type.upper() for k in ("DERIVED", "MATERIALIZED"))
        if sort or (temporary and not materialising):  # a derived table's temporary table is its materialisation
            work = ("sorts" if sort else "groups or de-duplicates") + " its rows" + (
                " through a temporary table" if temporary else "")
            label = f"block {key}" if key is not None else "the union"
            lines.append(f"{label.capitalize()} {work}: no index delivers the rows in the order or grouping "
                         "asked for.")
        for row in rows:
            if row.join_buffer:
                lines.append(f"{_name(row, aliases)} is joined without an index on the join columns "
                             f"(join buffer: {row.join_buffer}): each batch of outer rows scans it again.")
    for row in plan.rows:  # only with --analyze: where the optimizer's estimate is far from the truth
        if row.actual_rows is not None and row.rows and not row.internal:
            ratio = max(row.actual_rows, 1) / max(row.rows, 1)
            if ratio >= 10 or ratio <= 0.1:
                lines.append(f"The estimate for {_name(row, aliases)} is off: {_rows(row.rows)} expected, "
                             f"{_measured(row.actual_rows)} measured; ANALYZE TABLE may give the optimizer better statistics.")
    hot = _hottest(plan, aliases)
    if hot:
        lines.append(hot)
    return lines


def _union_result(row: PlanRow) -> bool:
    """The row that reads a union's collected result: its 'full scan' is the union's output, not a table."""
    return "UNION RESULT" in row.select_type.upper()


def _name(row: PlanRow, aliases: Mapping[str, str]) -> str:
    """```users` (as `u`)`` when the plan prints an alias, else ```users```."""
    table = row.table or "?"
    base = aliases.get(table.lower())
    return f"`{base}` (as `{table}`)" if base and base.lower() != table.lower() else f"`{table}`"


def _full_read(row: PlanRow, position: int, aliases: Mapping[str, str]) -> str:
    name = _name(row, aliases)
    rows = f"~{row.rows:,} rows" if row.rows is not None else "all its rows"
    if row.internal:
        kind = _REFERENCE.match(row.table or "")
        what = "derived table" if kind and kind.group(1).lower() == "derived" else "temporary result"
        return f"The {what} {row.table} is read in full ({rows}): it is materialised first, then scanned."
    if row.access_type == "index":
        return (f"{name} is read through the whole index `{row.key}` ({rows}, access type index): "
                "no condition narrows the index range.")
    keys = ", ".join(row.possible_keys)
    if position == 0 and not row.has_condition:
        why = "it drives the join and no condition restricts it, so every row is read"
    elif row.has_condition and keys:
        why = f"the optimizer chose not to use {keys}: it expects the condition to match too many rows for an index to pay off"
    elif row.has_condition:
        why = "no index covers its condition"
    elif keys:
        why = f"the optimizer chose not to use {keys} for the join"
    else:
        why = "no index matches the columns it is joined on"
    return f"{name} is read in full ({rows}, access type ALL): {why}."


def _hottest(plan: Plan, aliases: Mapping[str, str]) -> str | None:
    """The step that reads the most rows: the prefix product of its nested loop."""
    best: tuple[int, PlanRow, int | None] | None = None
    products = {key: product for key, _, product in block_products(plan)}
    for key, rows in plan.loops().items():
        factors = [max(1, r.rows or 1) for r in rows]
        runs = products.get(key, 1) // max(1, math.prod(factors))
        prefix = runs
        for row, factor in zip(rows, factors):
            prefix *= factor
            better = best is None or prefix > best[0] or (prefix == best[0] and best[1].internal and not row.internal)
            if better and not _union_result(row):
                best = (prefix, row, key)
    if best is None:
        return None
    read, row, key = best
    name = _name(row, aliases)
    how = "a full scan" if row.full_scan else ("a full index scan" if row.access_type == "index"
                                               else f"{row.access_type or 'an'} access" + (f" on {row.key}" if row.key else ""))
    text = f"Most of the time likely goes to {name}: {_rows(read)} read by {how}"
    text += f" in block {key}" if key is not None and len(plan.loops()) > 1 else ""
    block_rows = plan.loops().get(key, [])
    if any(r.has_extra("Using filesort") for r in block_rows):
        text += ", then sorting the result"
    return text + "."
