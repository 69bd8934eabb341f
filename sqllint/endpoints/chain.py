"""Follow an endpoint's calls through the repository to its queries, and judge the chain as one scope.

The walk is language-neutral: a call graph (``PythonCallGraph``, ``JavaCallGraph``) gives each function's
calls in evaluation order; the static run gives each function's query call sites. Both are merged by
source position, so the chain lists queries in the order the code issues them. Calls are followed to a
bounded depth, never into a function already on the call path (recursion), and a call that leaves the
repository ends its branch with a ``Stop`` that says so.

Cross-query rules (``target="scope"``: mergeable queries, N+1) then run on the whole chain as one
``Scope`` — the same rule code that judges one function, so a query in a helper called in a loop of the
handler is N+1 at the handler's call site, and two functions reading the same table by the same key are
mergeable.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqllint.endpoints.model import (
    DEFAULT_MAX_DEPTH,
    CallSite,
    ChainQuery,
    Endpoint,
    EndpointChain,
    Event,
    Frame,
    FunctionKey,
    Stop,
)
from sqllint.checker import collapse
from sqllint.records import Finding, ParsedQuery, Scope, Severity
from sqllint.registry import Rule
from sqllint.suppress import is_suppressed

MAX_STEPS = 5000  # events visited per endpoint: a guard against call graphs that fan out exponentially
LOOP_RULES = frozenset({"M002"})  # findings about a loop sit where the loop is, not where the query is


class CallGraph(Protocol):
    def events(self, key: FunctionKey) -> list[Event]: ...


class QueryIndex:
    """The parsed statements of a run, by the function (path + scope) that issues them."""

    def __init__(self, parsed: Sequence[ParsedQuery]) -> None:
        # By statement, not call site: a call of a function running two statements is two queries of the chain.
        self._sites: dict[FunctionKey, dict[tuple[Any, ...], list[ParsedQuery]]] = {}
        for item in parsed:
            if item.query.scope is None:
                continue
            key = FunctionKey(item.query.path, item.query.scope)
            self._sites.setdefault(key, {}).setdefault(item.query.statement, []).append(item)

    def sites(self, key: FunctionKey) -> list[list[ParsedQuery]]:
        sites = list(self._sites.get(key, {}).values())
        return sorted(sites, key=lambda s: (s[0].query.line, s[0].query.column, s[0].query.sequence))


def _merge(events: list[Event], sites: list[list[ParsedQuery]]) -> list[Event | list[ParsedQuery]]:
    """Calls in evaluation order with each query placed at its own call (or by position)."""
    order: list[tuple[tuple[int, int, int], Event | list[ParsedQuery]]] = []
    positions = {(e.site.line, e.site.column): i for i, e in enumerate(events)}
    for index, event in enumerate(events):
        order.append(((index, 1, 0), event))
    for number, site in enumerate(sites):
        query = site[0].query
        at = positions.get((query.line, query.column))
        if at is not None and events[at].target is not None and (
                " → " in (query.call or "") or (query.resolved_from is not None and query.origin)):
            continue  # a callee's SQL the extractor carried to its call: the chain enters the callee itself
        if at is not None:
            order.append(((at, 2, number), site))
        else:
            after = next((i for i, e in enumerate(events) if (e.site.line, e.site.column) > (query.line, query.column)),
                         len(events))
            order.append(((after, 0, number), site))
    order.sort(key=lambda pair: pair[0])
    return [item for _, item in order]


def walk(endpoint: Endpoint, graph: CallGraph, queries: QueryIndex, max_depth: int = DEFAULT_MAX_DEPTH) -> EndpointChain:
    chain = EndpointChain(endpoint)
    if endpoint.handler is None and not endpoint.hooks:
        return chain
    steps = 0
    stopped: set[tuple[str, int, int, str]] = set()

    def stop(key: FunctionKey, site: CallSite, callee: str, reason: str) -> None:
        mark = (site.path, site.line, site.column, reason)
        if mark not in stopped:
            stopped.add(mark)
            chain.stops.append(Stop(site, callee, reason, key))

    def visit(key: FunctionKey, frames: tuple[Frame, ...], outer_loops: int, outer_anchor: CallSite | None) -> None:
        nonlocal steps
        sites = queries.sites(key)
        at_queries = {(s[0].query.line, s[0].query.column) for s in sites}
        for item in _merge(graph.events(key), sites):
            steps += 1
            if steps > MAX_STEPS:
                site = frames[-1].call or CallSite(key.path, 0, 0)
                stop(key, site, key.qualname, f"more than {MAX_STEPS} calls and queries: the rest is not followed")
                return
            if isinstance(item, list):
                query = item[0].query
                own = query.loop_depth
                anchor = (CallSite(query.path, query.line, query.column, own, query.loop_line) if own
                          else outer_anchor)
                chain.queries.append(ChainQuery(tuple(item), frames, outer_loops + own, anchor))
                continue
            event = item
            if event.target is None:
                if event.stop and (event.site.line, event.site.column) not in at_queries:
                    stop(key, event.site, event.text, event.stop)  # (a call the extractor resolved is no stop)
                continue
            if any(frame.function == event.target for frame in frames):
                stop(key, event.site, event.text,
                     f"recursion: {event.target.qualname} is already on the call path")
                continue
            if len(frames) > max_depth:
                stop(key, event.site, event.text, f"call depth limit ({max_depth}) reached")
                continue
            loops = event.site.loop_depth
            visit(event.target, frames + (Frame(event.target, event.site),), outer_loops + loops,
                  event.site if loops else outer_anchor)

    for hook in endpoint.hooks:  # before-request hooks run first, on every request (a handler from outside too)
        if hook != endpoint.handler:
            visit(hook, (Frame(hook, None),), 0, None)
    if endpoint.handler is not None:
        visit(endpoint.handler, (Frame(endpoint.handler, None),), 0, None)
    return chain


# --- endpoint-level findings ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ChainScope(Scope):
    """A scope whose queries may visit one call site several times (a helper called twice): each visit
    is a site of its own for the cross-query rules."""

    visits: tuple[int, ...] = ()

    def sites(self) -> list[list[ParsedQuery]]:
        grouped: dict[tuple[int, tuple[Any, ...]], list[ParsedQuery]] = {}
        for parsed, visit in zip(self.queries, self.visits):
            grouped.setdefault((visit, parsed.query.statement), []).append(parsed)
        return list(grouped.values())


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]  # enabled rules with target "scope"
    options: dict[str, dict[str, Any]]
    severities: dict[str, Severity]


def chain_scope(chain: EndpointChain) -> tuple[ChainScope, dict[int, ChainQuery]]:
    """The chain as one scope: each query carries the loops around it over the whole chain."""
    queries: list[ParsedQuery] = []
    visits: list[int] = []
    owner: dict[int, ChainQuery] = {}
    seen: set[int] = set()
    for number, item in enumerate(chain.queries):
        loop_line = item.loop_anchor.loop_line if item.loop_anchor else None
        for parsed in item.variants:
            if parsed.tree is None:
                continue
            query = parsed.query
            if id(parsed) in seen or (query.loop_depth, query.loop_line) != (item.loop_depth, loop_line):
                # another visit of the site, or loops around it further up the chain: a copy of its own
                copy = dataclasses.replace(parsed, query=dataclasses.replace(
                    query, loop_depth=item.loop_depth, loop_line=loop_line))
            else:
                copy = parsed
            seen.add(id(parsed))
            queries.append(copy)
            visits.append(number)
            owner[id(copy)] = item
    endpoint = chain.endpoint
    return ChainScope(endpoint.path, endpoint.label, tuple(queries), tuple(visits)), owner


def endpoint_findings(chain: EndpointChain, rules: RuleSet, static: set[tuple[str, str, int, int]]) -> list[Finding]:
    """Cross-query findings over the whole chain that no single function shows (``static`` holds
    (rule, path, line, column) of the findings the static run already made)."""
    scope, owner = chain_scope(chain)
    if not scope.queries:
        return []
    static_lines = {(code, path, line) for code, path, line, _column in static}
    found: dict[tuple[str, str, int, int, str], Finding] = {}
    for rule in rules.rules:
        assert rule.check is not None
        try:
            violations = list(rule.check(scope, rules.options.get(rule.code, rule.defaults())))
        except Exception:  # noqa: BLE001 - the static run already reports a crashing rule (E005)
            continue
        for violation in violations:
            parsed = violation.query or scope.queries[0]
            item = owner[id(parsed)]
            query = parsed.query
            at = item.loop_anchor if rule.code in LOOP_RULES and item.loop_anchor else None
            path, line, column = (at.path, at.line, at.column) if at else (query.path, query.line, query.column)
            if (rule.code, path, line, column) in static or is_suppressed(query.suppressed, rule.code, rule.name):
                continue
            # The static run already reported it on the line of a call on this path (a callee's statements
            # carried to the call): the chain would only say it again from inside the callee.
            if any((rule.code, frame.call.path, frame.call.line) in static_lines for frame in item.frames if frame.call):
                continue
            where = f"{query.path}:{query.line} in {item.frames[-1].function.qualname}"
            message = f"{violation.message} — the query at {where}, reached via {item.via()}"
            key = (rule.code, path, line, column, message)
            if key not in found:
                found[key] = Finding(
                    rule.code, rule.name, rules.severities.get(rule.code, rule.severity), path, line, column,
                    message, sql=collapse(query.raw), fingerprint=parsed.fingerprint,
                    suggestion=violation.suggestion, scope=chain.endpoint.label,
                    end_line=None if at else query.end_line)
    return sorted(found.values(), key=Finding.sort_key)
