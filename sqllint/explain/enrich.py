"""Static findings told what the staging server's plan says about the same statement.

S001's unconditional subquery gets the estimate for the table it reads, a wrapped column (S007) the
full scan it causes, and so on: every enriched finding gets the plan's rows examined, plus the estimate
and access of each table the finding names or the plan reads in full.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqllint.records import Finding

if TYPE_CHECKING:
    from sqllint.engine import RunResult
    from sqllint.explain.plan import PlanRow
    from sqllint.explain.stage import Explained, ExplainOutcome

ENRICHED_RULES = ("S001", "S002", "S005", "S007", "S008", "S009", "S010", "S011", "S014", "S016", "M002")


def _base_tables(item: Explained) -> dict[str, PlanRow]:
    """Base table → its first plan row (the server prints aliases; map them back)."""
    aliases = item.job.aliases
    found: dict[str, PlanRow] = {}
    for row in item.plan.rows if item.plan else ():
        if row.table and not row.internal:
            found.setdefault(aliases.get(row.table.lower(), row.table), row)
    return found


def enrich(findings: Sequence[Finding], outcome: ExplainOutcome) -> list[Finding]:
    """Static findings with what the plan says about the same statement: the rows examined, and the
    estimate for every table the finding names (S001's unconditional subquery table) or reads in full."""
    by_site: dict[tuple[str, int, str], Explained] = {}
    for item in outcome.explained:
        if not item.has_plan:  # without decoding a cached plan: most statements have no static finding
            continue
        for query in item.job.queries:
            by_site.setdefault((query.query.path, query.query.line, query.fingerprint), item)
    result = []
    for finding in findings:
        item = by_site.get((finding.path, finding.line, finding.fingerprint))
        if item is None or finding.rule not in ENRICHED_RULES or item.plan is None:
            result.append(finding)
            continue
        tables = _base_tables(item)
        named = [t for t in tables if re.search(rf"(?<![\w.]){re.escape(t)}(?![\w])", finding.message)]
        shown = named + [t for t, row in tables.items() if row.full_scan and t not in named]
        parts = [f"~{item.plan.rows_examined():,} rows examined"]
        parts += [f"`{t}` ~{tables[t].rows or 0:,} rows ({'read in full' if tables[t].full_scan else tables[t].access_type})"
                  for t in shown]
        result.append(dataclasses.replace(finding, message=f"{finding.message}; plan: {', '.join(parts)}"))
    return result


def merge(result: RunResult, outcome: ExplainOutcome) -> RunResult:
    """The static result with plan findings added and static findings enriched."""
    findings = enrich(result.findings, outcome) + outcome.findings
    findings.sort(key=Finding.sort_key)
    return dataclasses.replace(result, findings=findings)
