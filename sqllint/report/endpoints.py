"""The endpoint map for people (a table) and machines (JSON, version 1, additive changes only)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqllint.endpoints.build import EndpointMap
from sqllint.endpoints.model import EndpointChain, Stop
from sqllint.records import Finding

JSON_VERSION = 1
NO_DSN = "estimated rows need a database: --dsn URL or SQLLINT_DSN (plans come from EXPLAIN on a staging server)"


def finding_dict(f: Finding) -> dict[str, Any]:
    return {"rule": f.rule, "name": f.name, "severity": str(f.severity), "path": f.path, "line": f.line,
            "column": f.column, "message": f.message, "sql": f.sql, "fingerprint": f.fingerprint,
            "variant": f.variant, "suggestion": f.suggestion, "scope": f.scope, "end_line": f.end_line}


def handler_text(chain: EndpointChain) -> str:
    handler = chain.endpoint.handler
    return handler.qualname if handler else "(outside the repository)"


def worst_text(chain: EndpointChain) -> str:
    worst = chain.worst()
    return f"{worst.severity} {worst.rule}" if worst else "-"


def grouped_stops(stops: Sequence[Stop]) -> list[tuple[str, str, int, Stop]]:
    """(callee, reason, count, first stop): one line per distinct callee and reason."""
    grouped: dict[tuple[str, str], list[Stop]] = {}
    for stop in stops:
        grouped.setdefault((stop.callee, stop.reason), []).append(stop)
    return [(callee, reason, len(items), items[0]) for (callee, reason), items in grouped.items()]


def unexplained(endpoint_map: EndpointMap) -> tuple[int, int, str] | None:
    """(query sites whose EXPLAIN failed, query sites, one failure's message) over every chain: a staging
    schema without the application's tables fails them all, and the table should say so once."""
    sites: dict[tuple[str, int, int], bool] = {}
    example = ""
    for chain in endpoint_map.chains:
        for item in chain.queries:
            failed = [f for f in endpoint_map.query_findings(item) if f.rule == "E010"]
            sites[item.query.query.site] = sites.get(item.query.query.site, False) or bool(failed)
            example = example or (failed[0].message if failed else "")
    count = sum(sites.values())
    return (count, len(sites), example) if count else None


def render_text(endpoint_map: EndpointMap, database: str | None) -> str:
    from tabulate import tabulate

    chains = endpoint_map.chains
    if not chains:
        lines = ["no HTTP endpoints found (Flask, FastAPI, Django, Spring MVC, Go net/http, gorilla/mux, gin, echo, chi)"]
    else:
        rows = []
        for chain in chains:
            endpoint = chain.endpoint
            rows.append((", ".join(endpoint.methods), endpoint.route, handler_text(chain),
                         f"{endpoint.path}:{endpoint.line}", len(chain.queries), worst_text(chain),
                         f"{chain.estimated_rows:,}" if chain.estimated_rows is not None else "-"))
        lines = [tabulate(rows, headers=["method", "path", "handler", "declared at", "queries", "worst", "est. rows"],
                          tablefmt="simple", colalign=("left", "left", "left", "left", "right", "left", "right"))]
        total = sum(len(c.queries) for c in chains)
        lines.append("")
        lines.append(f"{len(chains)} endpoint{'s' if len(chains) != 1 else ''}, {total} quer{'ies' if total != 1 else 'y'}"
                     f" reached through their call chains; {database or NO_DSN}")
        failed = unexplained(endpoint_map)
        if failed:
            count, sites, example = failed
            lines.append(f"{count} of {sites} query sites could not be explained on the staging database (E010), "
                         f"so their estimated rows are missing; for example: {example}")
        endpoint_level = [(chain, f) for chain in chains for f in chain.findings]
        if endpoint_level:
            lines += ["", "Across call chains (not visible in any single function):"]
            for chain, finding in endpoint_level:
                lines.append(f"  {chain.endpoint.label}  {finding.rule} {finding.severity}  "
                             f"{finding.path}:{finding.line}  {finding.message}")
    for note in endpoint_map.notes:
        lines.append(f"note: {note.path}:{note.line}: {note.message}")
    return "\n".join(lines) + "\n"


def chain_dict(chain: EndpointChain, rows: list[int | None] | None = None) -> dict[str, Any]:
    endpoint = chain.endpoint
    handler = endpoint.handler
    worst = chain.worst()
    queries = []
    for number, item in enumerate(chain.queries):
        query = item.query.query
        queries.append({
            "path": query.path, "line": query.line, "column": query.column, "function": query.scope,
            "via": [f.function.qualname for f in item.frames], "variants": len(item.variants),
            "loop_depth": item.loop_depth, "fingerprint": item.query.fingerprint, "sql": " ".join(query.raw.split()),
            "resolved_from": query.resolved_from,
            "estimated_rows": rows[number] if rows is not None else None})
    return {
        "methods": list(endpoint.methods), "route": endpoint.route, "framework": endpoint.framework,
        "handler": {"path": handler.path, "function": handler.qualname} if handler else None,
        # what runs before the handler: Flask before_request hooks, FastAPI dependencies, Go middleware …
        "runs_first": [{"path": h.path, "function": h.qualname} for h in endpoint.hooks],
        "declared": {"path": endpoint.path, "line": endpoint.line}, "note": endpoint.note,
        # the start of the route added outside its declaration (a blueprint's, a group's prefix; Spring's
        # context path, with the setting it comes from)
        "prefix": {"path": endpoint.prefix, "from": endpoint.prefix_from} if endpoint.prefix else None,
        "query_count": len(chain.queries), "queries": queries,
        "worst": {"rule": worst.rule, "severity": str(worst.severity)} if worst else None,
        "estimated_rows": chain.estimated_rows,
        "findings": [finding_dict(f) for f in chain.findings],
        "query_findings": [finding_dict(f) for f in chain.query_findings],
        "stops": [{"callee": s.callee, "reason": s.reason, "path": s.site.path, "line": s.site.line,
                   "function": s.function.qualname} for s in chain.stops],
    }


def render_json(endpoint_map: EndpointMap, database: str | None,
                rows: dict[int, list[int | None]] | None = None) -> str:
    document = {
        "version": JSON_VERSION,
        "endpoints": [chain_dict(c, (rows or {}).get(id(c))) for c in endpoint_map.chains],
        "notes": [{"path": n.path, "line": n.line, "message": n.message} for n in endpoint_map.notes],
        "database": database,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
