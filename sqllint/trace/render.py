"""``sqllint trace`` output: the ranked fingerprints with their code locations, plans and findings."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from tabulate import tabulate

from sqllint.checker import collapse
from sqllint.records import Finding
from sqllint.trace.group import STATEMENT_KINDS, Group
from sqllint.trace.runner import TraceResult, best_sites

JSON_VERSION = 1
SQL_WIDTH = 100


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:,.1f}"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _source_line(result: TraceResult) -> list[str]:
    source = result.source
    what = {"general": "general log", "slow": "slow log", "performance_schema": "performance_schema digests"}
    flavor = f" ({source.flavor})" if source.flavor else ""
    head = (f"{what.get(source.kind, source.kind)} {source.name}{flavor}: {_plural(result.statements, 'statement')}"
            + (f" on {_plural(result.connections, 'connection')}" if source.has_order else "")
            + f", {_plural(len(result.groups), 'fingerprint')}")
    lines = [head]
    if source.has_durations:
        lines.append("ranked by total time")
    else:
        lines.append("the general log records no durations: ranked by count (a slow log with long_query_time=0, "
                     "or performance_schema, gives times)")
    return lines


def _location(result: TraceResult, group: Group) -> str:
    if not result.linked:
        return ""
    sites = best_sites(result.sites.get(group.fingerprint, []))
    if not sites:
        return "not found in code"
    shown = "; ".join(site.label() for site in sites[:3])
    return shown + (f"; +{len(sites) - 3} more" if len(sites) > 3 else "")


def render_text(result: TraceResult, top: int) -> str:
    lines = _source_line(result)
    listed = [g for g in result.groups if g.kind in STATEMENT_KINDS]
    shown = listed[:top]
    timed = result.source.has_durations
    rows = []
    for rank, group in enumerate(shown, start=1):
        row: list[Any] = [rank, f"{group.count:,}"]
        if timed:
            row += [_ms(group.total_time), _ms(group.avg_time), _ms(group.max_time), f"{group.rows_examined:,}"]
        row += [len(group.connections) or "-", collapse(group.example, SQL_WIDTH)]
        rows.append(row)
    headers = ["#", "count"] + (["total ms", "avg ms", "max ms", "rows examined"] if timed else []) + \
        ["conns", "statement"]
    lines.append("")
    if rows:
        lines.append(tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True,
                              colalign=("right",) * (len(headers) - 1) + ("left",)))
    elif listed:
        lines.append("(--top 0: no fingerprint listed)")
    else:
        lines.append("no application statements in the source")
    hidden = len(listed) - len(shown)
    other = sum(g.count for g in result.groups if g.kind not in STATEMENT_KINDS)
    if hidden > 0:
        lines.append(f"… and {_plural(hidden, 'more fingerprint')} (--top N shows more, --format json all)")
    if other:
        lines.append(f"not listed: {_plural(other, 'session or other statement')} (SET, COMMIT, SHOW, DDL …)")
    if shown:
        lines += ["", "Where they come from"]
    for rank, group in enumerate(shown, start=1):
        location = _location(result, group) if result.linked else "(not linked: --no-link)"
        where = "digest" if result.source.kind == "performance_schema" else f"log line {group.example_line}"
        lines.append(f"  {rank:>2}. {group.fingerprint}  {where}  →  {location}")
    lines += _plans_text(result, shown)
    lines += _findings_text(result.findings)
    notes = [n for n in result.source.notes]
    if notes or result.explain_warnings:
        lines.append("")
        lines.append("Notes")
        lines += [f"  {'line ' + str(n.line) + ': ' if n.line else ''}{n.message}" for n in notes]
        lines += [f"  {warning}" for warning in result.explain_warnings]
    return "\n".join(lines).rstrip() + "\n"


def _plans_text(result: TraceResult, shown: list[Group]) -> list[str]:
    if not result.explained:
        return []
    from sqllint.explain.render import plan_table, summarize

    lines = ["", f"Plans ({result.server or 'staging server'})"]
    for rank, group in enumerate(shown, start=1):
        item = result.explained.get(group.fingerprint)
        if item is None:
            continue
        lines.append(f"  {rank:>2}. {collapse(group.example, SQL_WIDTH)}")
        if item.plan is None:
            message = item.error.message if item.error else "no plan"
            lines.append(f"      EXPLAIN failed: {message}")
            continue
        lines += ["      " + line for line in plan_table(item.plan).splitlines()]
        aliases = item.subject.aliases if item.subject else None
        lines += ["      " + line for line in summarize(item.plan, aliases)]
    return lines


def _findings_text(findings: list[Finding]) -> list[str]:
    lines = ["", "Findings" if findings else "No findings"]
    for finding in findings:
        lines.append(f"  {finding.path}:{finding.line}:{finding.column}  {finding.rule} {finding.severity}  "
                     f"{finding.message}  [{finding.name}]")
        if finding.variant:
            lines.append(f"      variant: {finding.variant}")
        if finding.sql:
            lines.append(f"      | {finding.sql}")
        if finding.suggestion:
            lines.append(f"      fix: {finding.suggestion}")
    return lines


# --- JSON ------------------------------------------------------------------------------------------------

def _finding_json(finding: Finding) -> dict[str, Any]:
    data = dataclasses.asdict(finding)
    data["severity"] = str(finding.severity)
    return data


def _group_json(result: TraceResult, rank: int, group: Group) -> dict[str, Any]:
    timed = result.source.has_durations
    item = result.explained.get(group.fingerprint)
    plan = None
    if item is not None:
        plan = {"error": item.error.message if item.error else None,
                "rows": [dataclasses.asdict(row) for row in item.plan.rows] if item.plan else [],
                "rows_examined": item.plan.rows_examined() if item.plan else None}
    return {
        "rank": rank, "fingerprint": group.fingerprint, "kind": group.kind, "count": group.count,
        "total_time_ms": group.total_time * 1000 if timed else None,
        "avg_time_ms": (group.avg_time or 0) * 1000 if timed and group.timed else None,
        "max_time_ms": group.max_time * 1000 if timed else None,
        "rows_examined": group.rows_examined if timed else None, "rows_sent": group.rows_sent if timed else None,
        "connections": len(group.connections), "first_line": group.first_line, "example": group.example,
        "example_line": group.example_line, "truncated": group.truncated,
        "linked": result.linked,
        "sites": [{"path": s.path, "line": s.line, "column": s.column, "scope": s.scope, "variant": s.variant}
                  for s in result.sites.get(group.fingerprint, [])],
        "plan": plan,
    }


def render_json(result: TraceResult) -> str:
    source = result.source
    document = {
        "version": JSON_VERSION,
        "source": {"kind": source.kind, "name": source.name, "flavor": source.flavor,
                   "has_durations": source.has_durations, "ranked_by": "total_time" if source.has_durations else "count",
                   "statements": result.statements, "connections": result.connections if source.has_order else None,
                   "fingerprints": len(result.groups), "lines": source.lines,
                   "notes": [{"line": n.line, "message": n.message} for n in source.notes]},
        "groups": [_group_json(result, rank, g) for rank, g in enumerate(result.groups, start=1)],
        "findings": [_finding_json(f) for f in result.findings],
        "explain": {"server": result.server, "warnings": result.explain_warnings,
                    "explained": len(result.explained)},
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
