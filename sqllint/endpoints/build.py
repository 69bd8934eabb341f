"""Build the endpoint map: the static run's queries, the endpoints, each endpoint's chain and findings."""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqllint.config import Config
from sqllint.endpoints.chain import LOOP_RULES, QueryIndex, RuleSet, endpoint_findings, walk
from sqllint.endpoints.model import DEFAULT_MAX_DEPTH, ChainQuery, Endpoint, EndpointChain, Event, FunctionKey, MapNote
from sqllint.engine import RunResult, Settings, run
from sqllint.extract import SUFFIXES
from sqllint.files import SourceFile, discover, read_source
from sqllint.parse import SqlParser
from sqllint.records import Finding, ParsedQuery
from sqllint.registry import Registry, builtin_registry


SCOPE_ONLY = frozenset({"M001", "M002"})  # a statement's cross-query findings belong to its own scope


@dataclass
class EndpointMap:
    chains: list[EndpointChain]
    notes: list[MapNote]
    result: RunResult  # the static run the chains were built from
    findings_by_site: dict[tuple[str, int, int], list[Finding]] = field(default_factory=dict)
    _by_statement: dict[str, list[Finding]] = field(default_factory=dict, repr=False)  # by Finding.scope

    def attach(self, findings: Sequence[Finding]) -> None:
        """Give each chain the findings (static, and plan findings after EXPLAIN) on its queries."""
        self.findings_by_site = {}
        self._by_statement = {}
        for finding in findings:
            self.findings_by_site.setdefault((finding.path, finding.line, finding.column), []).append(finding)
            if finding.scope:
                self._by_statement.setdefault(finding.scope, []).append(finding)
        for chain in self.chains:
            found = [f for item in chain.queries for f in self.query_findings(item)]
            # N+1 at a loop of the chain about a statement the chain does not reach in that loop (behind a
            # stop: recursion, the depth limit): the endpoint's, though no query of its chain owns it.
            looped: dict[Any, set[str]] = {}
            for item in chain.queries:
                if item.loop_anchor is not None:
                    looped.setdefault(item.loop_anchor, set()).update(v.fingerprint for v in item.variants)
            for anchor, reached in looped.items():
                found += [f for f in self.findings_by_site.get((anchor.path, anchor.line, anchor.column), [])
                          if f.rule in LOOP_RULES and f.fingerprint and f.fingerprint not in reached]
            chain.query_findings = list(dict.fromkeys(found))

    def query_findings(self, item: ChainQuery) -> list[Finding]:
        """The findings of one query of a chain: at its call site; where its statement is defined (a
        mapper call); the loop's finding where an extractor reported it at the call in the loop."""
        query = item.query.query
        found = list(self.findings_by_site.get(query.site, []))
        if query.origin:  # a called function's statement: its siblings at the same call are not its findings
            own = {variant.fingerprint for variant in item.variants}
            found = [f for f in found if not f.fingerprint or f.fingerprint in own]
        if query.resolved_from:
            found += [f for f in self._by_statement.get(query.resolved_from, []) if f.rule not in SCOPE_ONLY]
        # The loop's findings at its call (one per statement a called function runs there: this one's), and
        # those at a call on the path that the extractor carried this statement to (a module function or a
        # DAO method called from another function): about this statement, they are this query's too.
        own = {variant.fingerprint for variant in item.variants}
        anchor = item.loop_anchor
        if anchor is not None:
            found += [f for f in self.findings_by_site.get((anchor.path, anchor.line, anchor.column), [])
                      if f.rule in LOOP_RULES and (not f.fingerprint or f.fingerprint in own)]
        for frame in item.frames:
            if frame.call is not None:
                found += [f for f in self.findings_by_site.get((frame.call.path, frame.call.line, frame.call.column), [])
                          if f.fingerprint in own]
        return list(dict.fromkeys(found))

    def select(self, selector: str) -> list[EndpointChain]:
        from sqllint.endpoints.match import select_endpoints

        return select_endpoints(self.chains, selector)


class _Graphs:
    """Dispatches ``events`` to the call graph that knows the function (Python, Java, Go)."""

    def __init__(self) -> None:
        self.graphs: list[tuple[set[FunctionKey], object]] = []

    def add(self, keys: Iterable[FunctionKey], graph: object) -> None:
        self.graphs.append((set(keys), graph))

    def events(self, key: FunctionKey) -> list[Event]:
        for keys, graph in self.graphs:
            if key in keys:
                return graph.events(key)  # type: ignore[attr-defined, no-any-return]
        return []


def with_trees(parsed: Sequence[ParsedQuery]) -> list[ParsedQuery]:
    """Statements with their trees (worker processes hand them back without): parse each text once."""
    parser: SqlParser | None = None
    trees: dict[str, object] = {}
    out = []
    for item in parsed:
        if item.tree is None and item.error is None:
            parser = parser or SqlParser()
            if item.query.text not in trees:
                trees[item.query.text] = parser.parse_text(item.query.text)[0]
            item = dataclasses.replace(item, tree=trees[item.query.text], _nodes={}, _memo={})
        out.append(item)
    return out


def _python_endpoints(files: list[SourceFile], max_size: int, graphs: _Graphs, notes: list[MapNote]) -> list[Endpoint]:
    from sqllint.endpoints.django import DjangoRoutes
    from sqllint.endpoints.pycalls import PythonCallGraph
    from sqllint.endpoints.pyindex import PythonIndex
    from sqllint.endpoints.pyresolve import Resolver
    from sqllint.endpoints.pyroutes import FlaskFastApiRoutes

    index = PythonIndex()
    for source in files:
        read = read_source(source.absolute, max_size)
        if read.data is None:
            continue  # the static run reports it (E003)
        try:
            tree = ast.parse(read.data, filename=source.path)
        except (SyntaxError, ValueError) as error:
            notes.append(MapNote(source.path, getattr(error, "lineno", None) or 1,
                                 f"syntax error ({getattr(error, 'msg', error)}): its endpoints and calls are not mapped"))
            continue
        index.add(source.path, source.absolute, tree, read.data)
    resolver = Resolver(index)
    graph = PythonCallGraph(index, resolver)
    graphs.add(graph.functions, graph)
    found: list[Endpoint] = []
    for finder in (FlaskFastApiRoutes(index, resolver), DjangoRoutes(index, resolver)):
        found += finder.find()
        notes.extend(finder.notes)
    return found


def _java_endpoints(files: list[SourceFile], max_size: int, graphs: _Graphs, notes: list[MapNote]) -> list[Endpoint]:
    try:
        from sqllint.endpoints.spring import SpringIndex
    except ImportError:  # the Java support is optional at run time (tree-sitter)
        return []
    from sqllint.endpoints.springconfig import with_configured_prefixes

    spring = SpringIndex.build(files, max_size, notes)
    graphs.add(spring.functions, spring)
    return with_configured_prefixes(spring.endpoints(), files, notes)


def _go_endpoints(files: list[SourceFile], max_size: int, graphs: _Graphs, notes: list[MapNote]) -> list[Endpoint]:
    try:
        from sqllint.endpoints.goindex import GoIndex
        from sqllint.endpoints.goroutes import GoRoutes
    except ImportError:  # the Go support is optional at run time (tree-sitter)
        return []
    index = GoIndex.build(files, max_size, notes)
    found = GoRoutes(index).endpoints()  # registers handlers written in place as functions of the graph
    graphs.add(index.functions, index)
    return found


def _registered_twice(endpoints: list[Endpoint]) -> list[MapNote]:
    """The same method and path with different handlers (a copy-pasted route): only one of them answers.
    Python frameworks only: one application dispatches to the first match there, whereas a Go program may
    serve several muxes and Spring tells mappings apart by params, headers and media types."""
    first: dict[tuple[str, str], Endpoint] = {}
    found = []
    for endpoint in sorted(endpoints, key=lambda e: (e.path, e.line)):
        if endpoint.framework not in ("flask", "fastapi", "django"):
            continue
        for method in endpoint.methods:
            known = first.setdefault((method, endpoint.route), endpoint)
            if known is not endpoint and known.handler != endpoint.handler:
                found.append(MapNote(endpoint.path, endpoint.line, f"{method} {endpoint.route} is registered again "
                                     f"(first at {known.path}:{known.line}): only one of the two answers"))
    return found


def build_map(paths: Iterable[str], config: Config, cwd: Path, *, jobs: int | None = None,
              max_depth: int = DEFAULT_MAX_DEPTH, registry: Registry | None = None,
              result: RunResult | None = None) -> EndpointMap:
    """Endpoints under ``paths`` with their chains. ``result`` is a static run made with ``keep_parsed``
    (made here when not given)."""
    registry = registry or builtin_registry()
    paths = list(paths) or ["."]
    if result is None:
        result = run(paths, config, cwd, jobs=jobs, registry=registry, keep_parsed=True)
    exclude = tuple(config.exclude) + tuple(config.extend_exclude)
    found = discover(paths, cwd, config.root, exclude, SUFFIXES, config.respect_gitignore, config.force_exclude)
    notes: list[MapNote] = []
    graphs = _Graphs()
    endpoints = _python_endpoints([f for f in found.files if f.language == "python"], config.max_file_size,
                                  graphs, notes)
    java = [f for f in found.files if f.language == "java"]
    if java:
        endpoints += _java_endpoints(java, config.max_file_size, graphs, notes)
    go = [f for f in found.files if f.language == "go"]
    if go:
        endpoints += _go_endpoints(go, config.max_file_size, graphs, notes)
    endpoints = list(dict.fromkeys(endpoints))
    endpoints.sort(key=lambda e: (e.route, e.methods, e.path, e.line))
    notes += _registered_twice(endpoints)

    queries = QueryIndex(with_trees(result.parsed))
    settings = Settings.from_config(config, registry)
    rules = RuleSet(tuple(r for r in registry.rules if r.target == "scope" and r.code in settings.enabled),
                    settings.options, settings.severities)
    static = {(f.rule, f.path, f.line, f.column) for f in result.findings}
    chains = []
    for endpoint in endpoints:
        chain = walk(endpoint, graphs, queries, max_depth)
        chain.findings = endpoint_findings(chain, rules, static)
        chains.append(chain)
    endpoint_map = EndpointMap(chains, notes, result)
    endpoint_map.attach(result.findings)
    return endpoint_map


@dataclass
class PlannedMap:
    """The map plus what the staging database said (when a DSN was given)."""

    endpoint_map: EndpointMap
    plans: Any = None  # sqllint.endpoints.plans.PlanIndex, when the database answered
    database: str | None = None  # e.g. "plans from mariadb 10.11.6 (mysql://root@127.0.0.1:3306/shop)"
    warnings: list[str] = field(default_factory=list)
    dsn_given: bool = False

    def status(self, no_dsn: str) -> str:
        """Where the plans come from, or why there are none."""
        if self.database:
            return self.database
        if self.dsn_given:
            return "no plans: " + ("; ".join(self.warnings) or "the database could not be used")
        return no_dsn


def build_with_plans(paths: Iterable[str], config: Config, cwd: Path, dsn: Any = None, *, settings: Any = None,
                     jobs: int | None = None, max_depth: int = DEFAULT_MAX_DEPTH, use_cache: bool = True,
                     registry: Registry | None = None) -> PlannedMap:
    """``build_map``, then, with a DSN (``sqllint.explain.dsn.Dsn``), one EXPLAIN stage run over the same
    statements: plan findings join the queries' findings and each endpoint gets its estimated rows."""
    registry = registry or builtin_registry()
    paths = list(paths) or ["."]
    result = run(paths, config, cwd, jobs=jobs, registry=registry, keep_parsed=True)
    endpoint_map = build_map(paths, config, cwd, max_depth=max_depth, registry=registry, result=result)
    planned = PlannedMap(endpoint_map, dsn_given=dsn is not None)
    if dsn is None:
        return planned
    from sqllint.endpoints.plans import add_estimates
    from sqllint.explain.runner import build_stage, explain_static

    stage = build_stage(config, registry, dsn, settings=settings, use_cache=use_cache)
    explained = explain_static(result, stage)
    planned.warnings.extend(explained.outcome.warnings)
    if explained.connected:
        planned.plans = add_estimates(endpoint_map.chains, explained.outcome)
        planned.database = f"plans from {explained.outcome.server or 'the server'} ({dsn.masked()})"
        endpoint_map.attach(explained.result.findings)
    return planned
