"""MySQL's tree-format plans: ``EXPLAIN ANALYZE`` (8.0.18+) and ``EXPLAIN FORMAT=TREE``, as plan rows.

MySQL prints one iterator per line, children indented four spaces under their parent::

    -> Nested loop inner join  (cost=468792.05 rows=582836) (actual time=0.092..288.104 rows=1 loops=1)
        -> Filter: (...)  (cost=60806.85 rows=582836) (actual time=0.053..288.064 rows=1 loops=1)
            -> Table scan on roll  (cost=60806.85 rows=582836) (actual time=0.048..230.675 rows=600367 loops=1)

``parse_tree`` turns the iterators that read a table (``Table scan on``, ``Index lookup on … using``,
``Single-row index lookup``, ``Index range scan``, ``Covering index scan`` …) into ``PlanRow`` records
in the order the traditional format lists them (a hash join's build side first, its probe side
marked ``Using join buffer (hash join)``), with the notes of the iterators above them (``Filter`` →
Using where, ``Sort`` → Using filesort, temporary tables → Using temporary) and, for ANALYZE, the
measured rows per loop. ``Select #N (subquery …; dependent)`` blocks become DEPENDENT SUBQUERY rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqllint.explain.plan import Plan, PlanRow

_NUMBER = r"\d+(?:\.\d+)?(?:e[+-]?\d+)?"
_ACTUAL = re.compile(rf"\s*\((?:actual time=({_NUMBER})\.\.({_NUMBER}) rows=({_NUMBER}) loops=(\d+)|(never executed))\)\s*$")
_ESTIMATE = re.compile(rf"\s*\((?:cost=({_NUMBER})(?:\.\.({_NUMBER}))? )?rows=({_NUMBER})\)\s*$")
_SELECT = re.compile(r"^Select #(\d+) \(([^)]*)\)")
# Iterators that read a table: (pattern, access type). Names are aliases as the statement wrote them.
_ACCESS = [
    (re.compile(r"^Table scan on (\S+)"), "ALL"),
    (re.compile(r"^(?:Covering )?[Ii]ndex range scan on (\S+)(?: using (\S+))?"), "range"),
    (re.compile(r"^(?:Covering )?[Ii]ndex skip scan (?:for \w+ )?on (\S+)(?: using (\S+))?"), "range"),
    (re.compile(r"^Group index skip scan on (\S+)(?: using (\S+))?"), "range"),
    (re.compile(r"^(?:Covering )?[Ii]ndex scan on (\S+) using (\S+)"), "index"),
    (re.compile(r"^Single-row (?:covering )?index lookup on (\S+) using (\S+)"), "eq_ref"),
    (re.compile(r"^(?:Covering )?[Ii]ndex lookup on (\S+) using (\S+)"), "ref"),
    (re.compile(r"^Constant row from (\S+)"), "const"),
    (re.compile(r"^Full-text index search on (\S+) using (\S+)"), "fulltext"),
]
_HASH_JOIN = re.compile(r"^(?:(?:Inner|Left|Right|Outer|Full outer) hash join|Hash (?:semi|anti)join)", re.I)
_TEMPORARY = re.compile(r"^(?:Temporary table|Aggregate using temporary table|Materialize with deduplication)")


@dataclass
class _Node:
    text: str
    rows: float | None = None
    cost: float | None = None
    actual_rows: float | None = None
    children: list[_Node] = field(default_factory=list)


def _number(text: str | None) -> float | None:
    return float(text) if text else None


def _nodes(text: str) -> list[_Node]:
    """The iterator tree: roots in order (a subquery block can follow the main one at the top level)."""
    roots: list[_Node] = []
    stack: list[tuple[int, _Node]] = []
    last: _Node | None = None
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.lstrip().startswith("EXPLAIN:"):
            line = line.replace("EXPLAIN:", "", 1)
        if not line.strip():
            continue
        stripped = line.lstrip()
        if not stripped.startswith("->"):  # the client wrapped a long line: it belongs to the last iterator
            if last is not None:
                last.text += " " + stripped
            continue
        indent = len(line) - len(stripped)
        last = _Node(stripped[2:].strip())
        while stack and stack[-1][0] >= indent:
            stack.pop()
        (stack[-1][1].children if stack else roots).append(last)
        stack.append((indent, last))
    for node in _walk(roots):
        _measure(node)
    return roots


def _walk(nodes: list[_Node]) -> list[_Node]:
    found = []
    for node in nodes:
        found.append(node)
        found.extend(_walk(node.children))
    return found


def _measure(node: _Node) -> None:
    text = node.text
    actual = _ACTUAL.search(text)
    if actual:
        node.actual_rows = 0.0 if actual.group(5) else float(actual.group(3))
        text = text[: actual.start()]
    estimate = _ESTIMATE.search(text)
    if estimate:
        node.cost = _number(estimate.group(2) or estimate.group(1))
        node.rows = float(estimate.group(3))
        text = text[: estimate.start()]
    node.text = text.strip()


@dataclass
class _Block:
    select_id: int
    select_type: str


class _Builder:
    def __init__(self, roots: list[_Node], text: str) -> None:
        self.rows: list[PlanRow] = []
        self.deferred: list[tuple[_Node, _Block]] = []  # subquery blocks: listed after the block using them
        self.next_id = max([int(n) for n in re.findall(r"Select #(\d+)", text)] + [1]) + 1
        self.roots = roots

    def build(self) -> list[PlanRow]:
        top = _Block(1, "SIMPLE")
        for root in self.roots:
            self.visit(root, top)
        while self.deferred:
            node, block = self.deferred.pop(0)
            self.visit(node, block)
        return self.rows

    def visit(self, node: _Node, block: _Block) -> tuple[int, int]:
        """Append the rows under ``node``; returns the range of rows it produced in this block."""
        start = len(self.rows)
        text = node.text
        selected = _SELECT.match(text)
        if selected:
            kind = "DEPENDENT SUBQUERY" if "dependent" in selected.group(2) else "SUBQUERY"
            for child in node.children:
                self.deferred.append((child, _Block(int(selected.group(1)), kind)))
            return start, start
        for pattern, access in _ACCESS:
            match = pattern.match(text)
            if match:
                self._access(node, block, match, access)
                return start, len(self.rows)
        if _HASH_JOIN.match(text) and len(node.children) == 2:
            probe, build = node.children
            inner = build.children if build.text == "Hash" else [build]
            for child in inner:
                self.visit(child, block)
            first_probe = len(self.rows)
            self.visit(probe, block)
            if len(self.rows) > first_probe:
                self._note(first_probe, "Using join buffer (hash join)")
            return start, len(self.rows)
        for child in node.children:
            self.visit(child, block)
        end = len(self.rows)
        if end > start:
            if text.startswith("Filter:"):
                direct = node.children[0] if node.children else None
                target = start if direct is not None and self._is_access(direct) else end - 1
                self._note(target, "Using where")
                access_rows, filter_rows = self.rows[target].rows, node.rows
                if direct is not None and self._is_access(direct) and access_rows and filter_rows is not None:
                    self._replace(target, filtered=round(min(100.0, 100.0 * filter_rows / access_rows), 2))
            elif text.startswith(("Sort:", "Sort row IDs")):
                self._note(start, "Using filesort")
            elif _TEMPORARY.match(text):
                self._note(start, "Using temporary")
        return start, end

    @staticmethod
    def _is_access(node: _Node) -> bool:
        return any(pattern.match(node.text) for pattern, _ in _ACCESS)

    def _access(self, node: _Node, block: _Block, match: re.Match[str], access: str) -> None:
        table = match.group(1)
        key = match.group(2) if match.re.groups >= 2 else None
        text = node.text
        extra: list[str] = []
        if text.lower().startswith(("covering", "single-row covering")) or " covering index" in text.lower():
            extra.append("Using index")
        if "with index condition" in text:
            extra.append("Using index condition")
        if "re-planned for each iteration" in text:
            extra.append("Range checked for each record")
        materialized = next((c for c in node.children if c.text.startswith("Materialize")), None)
        if table == "<temporary>":
            for child in node.children:  # the temporary table's own iterator notes Using temporary
                self.visit(child, block)
            return
        if materialized is not None:  # a derived table or CTE: its block is computed once, before
            derived = _Block(self.next_id, "DERIVED")
            self.next_id += 1
            table = f"<derived{derived.select_id}>"
            for child in materialized.children:
                self.deferred.append((child, derived))
        self.rows.append(PlanRow(
            id=block.select_id, select_type=block.select_type, table=table, access_type=access,
            possible_keys=(key,) if key else (), key=key, rows=int(node.rows) if node.rows is not None else None,
            extra=tuple(extra), cost=node.cost, actual_rows=node.actual_rows))

    def _note(self, index: int, note: str) -> None:
        row = self.rows[index]
        if note not in row.extra:
            extra = (note, *row.extra) if note == "Using where" else (*row.extra, note)
            self._replace(index, extra=extra)

    def _replace(self, index: int, **changes: object) -> None:
        self.rows[index] = PlanRow(**{**vars(self.rows[index]), **changes})


def parse_tree(text: str) -> Plan:
    """A tree-format plan (``EXPLAIN ANALYZE`` or ``FORMAT=TREE`` output, with or without the client's
    ``EXPLAIN:`` label) as a ``Plan``; iterators it does not know are walked through, never rejected."""
    roots = _nodes(text)
    rows = _Builder(roots, text).build()
    if not rows and roots:  # "Rows fetched before execution", "Zero rows (Impossible WHERE)" …
        rows = [PlanRow(id=1, select_type="SIMPLE", table=None, access_type=None, extra=(roots[0].text,))]
    if len({r.id for r in rows}) > 1:
        rows = [PlanRow(**{**vars(r), "select_type": "PRIMARY"}) if r.select_type == "SIMPLE" else r for r in rows]
    total = roots[0].cost if roots else None
    return Plan(tuple(rows), "tree", "mysql", total)
