"""``sqllint explain --endpoint "GET /orders"``: a selector (``sqllint.explain.lookup``) returning the
query sites an endpoint's call chain reaches, in call order, plus the text for the endpoint's part of
the output (its chain, where it stops, the findings across the chain)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqllint.endpoints.chain import LOOP_RULES
from sqllint.endpoints.model import DEFAULT_MAX_DEPTH, ChainQuery, EndpointChain
from sqllint.records import Finding

if TYPE_CHECKING:
    from sqllint.endpoints.build import EndpointMap
    from sqllint.explain.lookup import QuerySite, Workspace

CLOSEST = 8  # candidates named when a selector matches no endpoint…
ALL_CANDIDATES = 12  # …unless there are this few endpoints: all of them, closest first


class EndpointSelector:
    """Selects the queries of one endpoint; after the call, ``chain`` holds the endpoint's chain."""

    def __init__(self, selector: str, max_depth: int = DEFAULT_MAX_DEPTH) -> None:
        self.selector = selector
        self.max_depth = max_depth
        self.chain: EndpointChain | None = None

    def __call__(self, workspace: Workspace) -> list[QuerySite]:
        from sqllint.endpoints.build import build_map
        from sqllint.explain.lookup import TargetError

        emap = build_map(workspace.search_paths, workspace.config, workspace.cwd, max_depth=self.max_depth)
        chains = emap.select(self.selector)
        if not chains:
            from sqllint.endpoints.match import closest

            if not emap.chains:
                raise TargetError(f"no endpoint matches {self.selector!r} (no HTTP endpoints found under "
                                  + ", ".join(workspace.search_paths) + ")")
            everything = len(emap.chains) <= ALL_CANDIDATES
            near = closest(emap.chains, self.selector, len(emap.chains) if everything else CLOSEST)
            raise TargetError(f"no endpoint matches {self.selector!r}; " + (
                "the endpoints are, closest first:" if everything else
                f"the closest of the {len(emap.chains)} (`sqllint endpoints` lists them all):"),
                [_label(c) for c in near])
        if len(chains) > 1:
            raise TargetError(f"{self.selector!r} matches {len(chains)} endpoints; give the method and path:",
                              [_label(c) for c in chains])
        self.chain = chain = chains[0]
        chain.findings = _with_loop_findings(emap, chain)
        sites = [self._site(workspace, item) for item in chain.queries]
        if not sites:
            stops = [s.describe() for s in chain.stops]
            raise TargetError(f"{chain.endpoint.label}: its call chain reaches no SQL"
                              + ("; it stops here:" if stops else ""), stops)
        return sites

    @staticmethod
    def _site(workspace: Workspace, item: ChainQuery) -> QuerySite:
        """The workspace's own site for the query (so that the explain command's scope rules see it)."""
        from sqllint.explain.lookup import QuerySite, TargetError

        query = item.query.query
        try:
            for site in workspace.sites(workspace.source(query.path)):
                if (site.line, site.column) == (query.line, query.column):
                    return site
        except TargetError:
            pass
        return QuerySite(query.path, query.line, query.column, query.end_line, query.scope, item.variants)


def _label(chain: EndpointChain) -> str:
    endpoint = chain.endpoint
    return f"{endpoint.label}  ({endpoint.path}:{endpoint.line})"


def _with_loop_findings(emap: EndpointMap, chain: EndpointChain) -> list[Finding]:
    """The chain's findings plus the static run's findings about its queries made elsewhere on the path:
    N+1 at a loop of the chain that is not one of its query sites (``for id in ids: selectById(id)`` in
    a service, the query in the helper), and what the static run reported at a call on the path that it
    carried a query to (two DAO reads merged in the service). The walkthrough shows each query's own
    findings only, and the chain's rules leave out what the static run already reported, so without
    these they would be in neither part of the output."""
    sites = {item.query.query.site for item in chain.queries}
    extra = []
    for item in chain.queries:
        calls = {(f.call.path, f.call.line, f.call.column) for f in item.frames if f.call is not None}
        extra += [f for f in emap.query_findings(item) if (f.path, f.line, f.column) not in sites
                  and (f.rule in LOOP_RULES or (f.path, f.line, f.column) in calls)]
    return sorted(dict.fromkeys(chain.findings + extra), key=Finding.sort_key)


def endpoint_text(chain: EndpointChain, rows: list[int | None] | None = None) -> str:
    """The endpoint's header: its handler, the chain in call order and where the chain stops."""
    from sqllint.report.endpoints import grouped_stops, handler_text

    endpoint = chain.endpoint
    lines = [f"endpoint: {endpoint.label}  handler {handler_text(chain)} ({endpoint.path}:{endpoint.line}), "
             f"{len(chain.queries)} quer{'y' if len(chain.queries) == 1 else 'ies'} in call order:"]
    if endpoint.prefix_from:  # the URL's start that the code does not show
        lines.insert(1, f"  {endpoint.prefix} is the configured prefix: {endpoint.prefix_from}")
    if endpoint.hooks:  # before-request hooks, dependencies, middleware: their queries come first
        lines.insert(1, "  runs first: " + ", ".join(h.qualname for h in endpoint.hooks))
    for number, item in enumerate(chain.queries, 1):
        query = item.query.query
        loop = "  [in a loop]" if item.loop_depth else ""
        estimate = f"  ~{rows[number - 1]:,} rows" if rows and rows[number - 1] is not None else ""
        lines.append(f"    {number}. {query.path}:{query.line}  via {item.via()}{loop}{estimate}")
    stops = grouped_stops(chain.stops)
    if stops:
        lines.append("the chain stops at:")
        lines += [f"    {callee}{f' (×{count})' if count > 1 else ''}: {reason} ({stop.site.path}:{stop.site.line})"
                  for callee, reason, count, stop in stops]
    return "\n".join(lines) + "\n"


def endpoint_findings_text(chain: EndpointChain) -> str:
    looped = [n for n, item in enumerate(chain.queries, 1) if item.loop_depth]
    lines = []
    if looped:
        one = len(looped) == 1
        lines.append(f"note: quer{'y' if one else 'ies'} {', '.join(map(str, looped))} run{'s' if one else ''} inside a "
                     "loop: the total above counts one iteration")
    if not chain.findings:
        return "\n".join(lines + ["across the call chain: no mergeable queries or N+1 beyond the findings above"]) + "\n"
    lines.append("across the call chain (endpoint-level findings):")
    for f in chain.findings:
        lines.append(f"    {f.rule} {f.severity}  {f.path}:{f.line}  {f.message}  [{f.name}]")
        if f.suggestion:
            lines.append(f"        fix: {f.suggestion}")
    return "\n".join(lines) + "\n"


def with_endpoint_json(document: str, chain: EndpointChain) -> str:
    """The explain command's JSON with an ``endpoint`` member (additive)."""
    from sqllint.report.endpoints import chain_dict

    data: dict[str, Any] = json.loads(document)
    data["endpoint"] = chain_dict(chain)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render_endpoint(chain: EndpointChain, walkthrough: Any, output_format: str, color: bool) -> str:
    """The explain command's output for an endpoint: its chain, the per-query walkthrough (variants,
    plans, findings, the total of estimated rows), then the findings across the chain."""
    from sqllint.explain.document import render_json, render_text

    if output_format == "json":
        return with_endpoint_json(render_json(walkthrough), chain)
    return endpoint_text(chain) + "\n" + render_text(walkthrough, color=color) + "\n" + endpoint_findings_text(chain)
