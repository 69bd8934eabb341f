"""How ``sqllint explain`` shows a plan: the server's table, an indented tree, and a summary in words.

Everything here reads a ``Plan`` (traditional or FORMAT=JSON, MySQL or MariaDB) and never talks to a
server. The tree's shape comes from ``plantree``; this module draws it. The summary says which table is
read in full and why, the estimated rows examined as the nested-loop product, and where the time most
likely goes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqllint.explain.plan import Plan, PlanRow
from sqllint.explain.plantree import BLOCK_NOTES, REFERENCE, BlockNode, TableNode, union_result

PLAN_HEADERS = ("id", "select_type", "table", "type", "possible_keys", "key", "key_len", "ref", "rows",
                "filtered", "Extra")
Style = Callable[..., str]
CHEAP_ROWS = 1000  # below this many rows examined, "where the time goes" is not worth a sentence


def _plain(text: str, **_: Any) -> str:
    return text


# --- the table ----------------------------------------------------------------------------------------

def plan_table(plan: Plan, database: str | None = None) -> str:
    """The plan as the server's tabular EXPLAIN, whatever format it came in. ``ref`` columns lose the
    ``database.`` prefix the server puts on every column it names (it only widens the table)."""
    from tabulate import tabulate

    def cell(value: Any) -> Any:
        return "NULL" if value is None or value == "" else value

    def ref(value: str | None) -> str | None:
        if not value or not database:
            return value
        prefix = f"{database}.".lower()
        return ",".join(part[len(prefix):] if part.lower().startswith(prefix) else part for part in value.split(","))

    measured = any(r.actual_rows is not None for r in plan.rows)  # ANALYZE: the server's r_rows
    rows = [(cell(r.id), r.select_type, cell(r.table), cell(r.access_type), cell(",".join(r.possible_keys)),
             cell(r.key), cell(r.key_len), cell(ref(r.ref)), cell(r.rows))
            + ((cell(None if r.actual_rows is None else f"{r.actual_rows:g}"),) if measured else ())
            + (cell(None if r.filtered is None else f"{r.filtered:.2f}"), "; ".join(r.extra)) for r in plan.rows]
    headers = PLAN_HEADERS[:9] + (("r_rows",) if measured else ()) + PLAN_HEADERS[9:]
    return tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True)


# --- the SQL ------------------------------------------------------------------------------------------

INLINE_SUBQUERY = 60  # a subquery shorter than this stays on its line


def layout_sql(sql: str) -> str:
    """One clause per line (FROM, each JOIN, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT, UNION), long
    subqueries indented on their own lines; the statement's text is otherwise left as it is."""
    from sqlglot.dialects.mysql import MySQL
    from sqlglot.tokens import TokenType as T

    try:
        tokens = MySQL().tokenize(sql)
    except Exception:  # noqa: BLE001 - unprintable SQL is shown as it is
        return sql
    clause = {T.FROM, T.WHERE, T.GROUP_BY, T.HAVING, T.ORDER_BY, T.LIMIT, T.UNION, T.EXCEPT, T.INTERSECT,
              T.STRAIGHT_JOIN}
    sides = {T.LEFT, T.RIGHT, T.INNER, T.CROSS, T.NATURAL, T.FULL, T.OUTER}
    # Subquery parentheses: where each opens and closes, and whether it is long enough to break.
    closing: dict[int, int] = {}
    stack: list[int] = []
    for index, token in enumerate(tokens):
        if token.token_type == T.L_PAREN:
            stack.append(index)
        elif token.token_type == T.R_PAREN and stack:
            closing[stack.pop()] = index
    breaks: dict[int, int] = {}  # token index → indent depth of the new line before it
    depth = 0
    inline_until = -1  # inside a short subquery (or any non-subquery parentheses): no breaks
    opened: list[tuple[int, bool]] = []  # (index of "(", broke?)
    for index, token in enumerate(tokens):
        kind = token.token_type
        following = tokens[index + 1].token_type if index + 1 < len(tokens) else None
        if kind == T.L_PAREN:
            end = closing.get(index)
            subquery = following in (T.SELECT, T.WITH)
            long = end is not None and tokens[end].end - token.start > INLINE_SUBQUERY
            broke = subquery and long and index > inline_until
            if broke:
                depth += 1
                breaks[index + 1] = depth
            elif end is not None and index > inline_until:
                inline_until = end
            opened.append((index, broke))
            continue
        if kind == T.R_PAREN:
            if opened:
                _, broke = opened.pop()
                if broke:
                    depth -= 1
                    breaks[index] = depth
            continue
        if index <= inline_until or index == 0:
            continue
        previous = tokens[index - 1].token_type
        after_union = kind == T.SELECT and (previous in (T.UNION, T.R_PAREN) or (  # R_PAREN: after a CTE
            previous in (T.ALL, T.DISTINCT) and index > 1 and tokens[index - 2].token_type == T.UNION))
        if kind in clause or after_union or (kind == T.JOIN and previous not in sides) or (
                kind in sides and following in (T.JOIN, T.OUTER, *sides) and previous not in sides):
            if kind == T.LIMIT or previous != T.L_PAREN:
                breaks.setdefault(index, depth)
    pieces = []
    cursor = 0
    for index in sorted(breaks):
        start = tokens[index].start
        pieces.append(sql[cursor:start].rstrip())
        pieces.append("\n" + "  " * breaks[index])
        cursor = start
    pieces.append(sql[cursor:])
    return "".join(pieces).lstrip("\n")


# --- the tree -----------------------------------------------------------------------------------------

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
        extra = [e for e in item.row.extra if e not in BLOCK_NOTES]
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


def summarize(plan: Plan, aliases: Mapping[str, str] | None = None,
              blockers: Mapping[str, list[str]] | None = None, merged: Sequence[str] = ()) -> list[str]:
    """Plain-language sentences: full reads and why, rows examined, sorting, where the time goes.

    ``blockers`` (table alias, lower-case, or "" for unqualified columns → predicates no index can
    serve, from ``index_blockers``) turn "no index covers its condition" into the actual reason;
    ``merged`` names the statement's derived tables that the plan shows merged into the outer query."""
    aliases = {k.lower(): v for k, v in (aliases or {}).items()}
    blockers = blockers or {}
    lines: list[str] = [f"The derived table `{alias}` is merged into the outer query by the optimizer: it is not "
                        "materialised, its rows are read as part of the join." for alias in merged]
    for key, rows in plan.loops().items():
        for position, row in enumerate(rows):
            if (row.full_scan or row.access_type == "index") and not union_result(row):
                reasons = blockers.get((row.table or "").lower()) or (
                    blockers.get("", []) if len([r for r in plan.rows if r.table and not r.internal]) == 1 else [])
                lines.append(_full_read(row, position, aliases, reasons))
    if not any((r.full_scan or r.access_type == "index") and not union_result(r) for r in plan.rows):
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
    for key, rows in plan.loops().items():  # only with --analyze: what the nested loop really read
        measured = [r.actual_rows for r in rows]
        if rows and all(m is not None for m in measured) and len(rows) > 1:
            product = math.prod(max(m, 0.0) for m in measured if m is not None)
            label = f" in block {key}" if len(plan.loops()) > 1 and key is not None else ""
            lines.append(f"Measured{label} (ANALYZE): {' × '.join(_measured(m) for m in measured if m is not None)} "
                         f"≈ {product:,.0f} rows reach the last table of the join, against "
                         f"{math.prod(max(1, r.rows or 1) for r in rows):,} estimated.")
    for row in plan.rows:  # only with --analyze: where the optimizer's estimate is far from the truth
        if row.actual_rows is not None and row.rows and not row.internal:
            ratio = max(row.actual_rows, 1) / max(row.rows, 1)
            if ratio >= 10 or ratio <= 0.1:
                lines.append(f"The estimate for {_name(row, aliases)} is off: {_rows(row.rows)} expected, "
                             f"{_measured(row.actual_rows)} measured; ANALYZE TABLE may give the optimizer better "
                             "statistics.")
    if total < CHEAP_ROWS and not any(r.has_extra("Using filesort") or r.has_extra("Using temporary")
                                      for r in plan.rows):
        lines.append(f"Nothing here is expensive: {_rows(total)} examined in all.")
        return lines
    hot = _hottest(plan, aliases)
    if hot:
        lines.append(hot)
    return lines


def _name(row: PlanRow, aliases: Mapping[str, str]) -> str:
    """```users` (as `u`)`` when the plan prints an alias, else ```users```."""
    table = row.table or "?"
    base = aliases.get(table.lower())
    return f"`{base}` (as `{table}`)" if base and base.lower() != table.lower() else f"`{table}`"


def _full_read(row: PlanRow, position: int, aliases: Mapping[str, str], reasons: list[str] | None = None) -> str:
    name = _name(row, aliases)
    rows = _rows(row.rows) if row.rows is not None else "all its rows"
    if row.internal:
        kind = REFERENCE.match(row.table or "")
        what = "derived table" if kind and kind.group(1).lower() == "derived" else "temporary result"
        return f"The {what} {row.table} is read in full ({rows}): it is materialised first, then scanned."
    if row.access_type == "index":
        why = (f"its condition cannot narrow the index range: {'; '.join(reasons)}" if reasons and row.has_condition
               else "no condition narrows the index range")
        return f"{name} is read through the whole index `{row.key}` ({rows}, access type index): {why}."
    keys = ", ".join(row.possible_keys)
    if reasons and row.has_condition:
        why = f"its condition cannot use an index: {'; '.join(reasons)}"
    elif position == 0 and not row.has_condition:
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
            if better and not union_result(row):
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
