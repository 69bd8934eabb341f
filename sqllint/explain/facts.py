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
import dataclasses
import enum
import hashlib
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from sqlglot import exp

from sqllint.explain.safety import explain_kind
from sqllint.records import ParseError, ParsedQuery, Query

MEMO_KEY = "plan_facts"


@dataclass(frozen=True)
class PlanFacts:
    explainable: bool
    rewritten_from: str | None = None  # "update", "delete", "insert": explained as an equivalent SELECT
    as_is: bool = False  # the text may be sent unchanged (not rewritten, no FOR UPDATE / INTO to strip)
    tables: tuple[str, ...] = ()  # base tables it names, sorted
    aliases: dict[str, str] = field(default_factory=dict)  # alias (lower-case) → base table name
    slots: bool = False  # it has placeholder nodes to bind
    # A digest of what decides its EXPLAIN (fingerprint, text, wildcard slots, rewrite): the plan cache
    # key's statement part, computed once with the facts ("" until ``identified``).
    identity: str = ""

    def to_json(self) -> list[Any]:
        return [self.explainable, self.rewritten_from, self.as_is, list(self.tables), self.aliases, self.slots,
                self.identity]

    @staticmethod
    def from_json(data: list[Any]) -> PlanFacts:
        explainable, rewritten_from, as_is, tables, aliases, slots, *identity = data
        return PlanFacts(bool(explainable), rewritten_from, bool(as_is), tuple(tables), dict(aliases), bool(slots),
                         str(identity[0]) if identity else "")


def identified(facts: PlanFacts, item: ParsedQuery, wildcards: tuple[int, tuple[int, ...]] | None) -> PlanFacts:
    """``facts`` with the identity of ``item`` (``wildcards``: ``binding.wildcard_slots`` of its query)."""
    text = f"{item.fingerprint}|{item.query.text}" + (f"|wild{wildcards}" if wildcards else "")
    digest = hashlib.blake2b(f"{text}|{facts.rewritten_from}".encode(), digest_size=12).hexdigest()
    return dataclasses.replace(facts, identity=digest)


def facts_of(item: ParsedQuery) -> PlanFacts:
    """The identified facts of a statement that has its tree."""
    assert item.tree is not None
    from sqllint.explain.binding import wildcard_slots

    wildcards = wildcard_slots(item.query) if item.query.placeholders else None
    return identified(plan_facts(item.tree, item.find), item, wildcards)


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
# Generic over the record dataclasses and enums of ``sqllint.records`` (by name, from that module only:
# nothing else can be instantiated from a cache file), so a field added to Query or Placeholder is kept
# without touching this code.

def _record_types() -> dict[str, type]:
    from sqllint import records

    return {name: value for name, value in vars(records).items() if isinstance(value, type)
            and value.__module__ == records.__name__ and (is_dataclass(value) or issubclass(value, enum.Enum))}


_TYPES = _record_types()


def _encode(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {"@": type(value).__name__, **{f.name: _encode(getattr(value, f.name)) for f in fields(value)}}
    if isinstance(value, enum.Enum):
        return {"@enum": type(value).__name__, "value": value.value}
    if isinstance(value, (set, frozenset)):
        return {"@set": sorted((_encode(v) for v in value), key=repr)}
    if isinstance(value, dict):
        return {"@dict": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} in the result cache")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_decode(v) for v in value)
    if not isinstance(value, dict):
        return value
    if "@" in value:
        kind = _TYPES[value["@"]]
        return kind(**{k: _decode(v) for k, v in value.items() if k != "@"})
    if "@enum" in value:
        return _TYPES[value["@enum"]](value["value"])
    if "@set" in value:
        return frozenset(_decode(v) for v in value["@set"])
    if "@dict" in value:
        return {_decode(k): _decode(v) for k, v in value["@dict"]}
    raise ValueError("not a stored record")


def store(item: ParsedQuery) -> dict[str, Any]:
    """``item`` without its tree, with its plan facts: JSON-safe."""
    facts = item._memo.get(MEMO_KEY)  # noqa: SLF001 - computed in a worker process, which kept the tree
    if item.tree is not None and item.error is None:
        facts = facts_of(item)
    facts = facts.to_json() if facts is not None else None
    error = [item.error.message, item.error.line, item.error.column] if item.error is not None else None
    return {"query": _encode(item.query), "fingerprint": item.fingerprint, "kind": item.kind, "facts": facts,
            "error": error}  # a statement that does not parse is kept (an endpoint's chain runs it)


def restore(data: dict[str, Any]) -> ParsedQuery:
    """Inverse of ``store``: a statement with no tree (``tree`` is None) and its plan facts memoised."""
    query = _decode(data["query"])
    if not isinstance(query, Query):
        raise ValueError("not a stored statement")
    error = data.get("error")
    item = ParsedQuery(query, None, data["fingerprint"], ParseError(*error) if error else None, kind=data["kind"])
    if data.get("facts") is not None:
        item._memo[MEMO_KEY] = PlanFacts.from_json(data["facts"])  # noqa: SLF001 - the memo is for this
    return item
