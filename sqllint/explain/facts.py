"""What the EXPLAIN stage needs to know about a statement before it has to look at its tree again.

``plan_facts`` reads a parsed statement once: whether it can be explained (and as what rewrite), which
tables it reads (the plan cache key hashes their definitions), its aliases, whether it has placeholders
to bind and whether its text may be sent as is. The facts are plain data, so a statement whose static
result came from the result cache (``sqllint.cache``, no tree) can be looked up in the plan cache
without parsing it again; the tree is only rebuilt on a plan-cache miss.

``store``/``restore`` turn a parsed statement into JSON and back (without its tree) for that cache.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from sqlglot import exp

from sqllint.explain.safety import explain_kind
from sqllint.records import ParsedQuery, Placeholder, PlaceholderStyle, Query, Variant

MEMO_KEY = "plan_facts"


@dataclass(frozen=True)
class PlanFacts:
    explainable: bool
    rewritten_from: str | None = None  # "update", "delete", "insert": explained as an equivalent SELECT
    as_is: bool = False  # the text may be sent unchanged (not rewritten, no FOR UPDATE / INTO to strip)
    tables: tuple[str, ...] = ()  # base tables it names, sorted
    aliases: dict[str, str] = field(default_factory=dict)  # alias (lower-case) → base table name
    slots: bool = False  # it has placeholder nodes to bind

    def to_json(self) -> list[Any]:
        return [self.explainable, self.rewritten_from, self.as_is, list(self.tables), self.aliases, self.slots]

    @staticmethod
    def from_json(data: list[Any]) -> PlanFacts:
        explainable, rewritten_from, as_is, tables, aliases, slots = data
        return PlanFacts(bool(explainable), rewritten_from, bool(as_is), tuple(tables), dict(aliases), bool(slots))


def plan_facts(tree: exp.Expression, nodes: Callable[..., list[exp.Expression]] | None = None) -> PlanFacts:
    """The facts of ``tree``; ``nodes`` is the statement's node index (``ParsedQuery.find``) when the
    static rules built one, which answers these without another walk."""
    find = nodes or (lambda *types: list(tree.find_all(*types)))
    explainable, rewritten_from = explain_kind(tree)
    if not explainable:
        return PlanFacts(False, rewritten_from)
    table_nodes = find(exp.Table)
    return PlanFacts(
        True, rewritten_from,
        as_is=rewritten_from is None and not find(exp.Lock) and not find(exp.Into),
        tables=tuple(sorted({t.name for t in table_nodes if t.name})),
        aliases={(t.alias or t.name).lower(): t.name for t in reversed(table_nodes) if t.name},
        # Decided on the tree, not only on what the extractor declared: an undeclared `?` is never sent raw.
        slots=bool(find(exp.Placeholder)))


# --- a parsed statement as JSON (the result cache's record for the EXPLAIN stage) ----------------------

def _query_json(query: Query) -> dict[str, Any]:
    data: dict[str, Any] = {f.name: getattr(query, f.name) for f in fields(Query)}
    data["placeholders"] = [[p.style.value, p.name, p.safe, p.identifier, p.fragment] for p in query.placeholders]
    variant = query.variant
    data["variant"] = [list(variant.parts), sorted(variant.on), sorted(variant.hidden)] if variant else None
    data["suppressed"] = sorted(query.suppressed)
    data["branch"] = [list(b) for b in query.branch]
    return data


def _tuples(value: Any) -> Any:
    """JSON arrays back to the tuples the frozen records hold (other fields: ``line_map`` and the like)."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _query_from_json(data: dict[str, Any]) -> Query:
    names = {f.name for f in fields(Query)}
    if not names >= set(data):  # written by another sqllint: the result cache's code digest prevents it
        raise ValueError(f"unknown Query fields {sorted(set(data) - names)}")
    values = {name: _tuples(value) for name, value in data.items()}
    values["placeholders"] = tuple(Placeholder(PlaceholderStyle(style), name, safe, identifier, fragment)
                                   for style, name, safe, identifier, fragment in data["placeholders"])
    if data["variant"] is not None:
        parts, on, hidden = data["variant"]
        values["variant"] = Variant(tuple(parts), frozenset(on), frozenset(hidden))
    values["suppressed"] = frozenset(data["suppressed"])
    values["branch"] = tuple(tuple(b) for b in data["branch"])
    return Query(**values)


def store(item: ParsedQuery) -> dict[str, Any]:
    """``item`` without its tree, with its plan facts: JSON-safe."""
    facts = item._memo.get(MEMO_KEY)  # noqa: SLF001 - computed in a worker process, which kept the tree
    if item.tree is not None and item.error is None:
        facts = plan_facts(item.tree, item.find)
    facts = facts.to_json() if facts is not None else None
    return {"query": _query_json(item.query), "fingerprint": item.fingerprint, "kind": item.kind, "facts": facts}


def restore(data: dict[str, Any]) -> ParsedQuery:
    """Inverse of ``store``: a statement with no tree (``tree`` is None) and its plan facts memoised."""
    item = ParsedQuery(_query_from_json(data["query"]), None, data["fingerprint"], kind=data["kind"])
    if data.get("facts") is not None:
        item._memo[MEMO_KEY] = PlanFacts.from_json(data["facts"])  # noqa: SLF001 - the memo is for this
    return item
