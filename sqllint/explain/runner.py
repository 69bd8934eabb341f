"""Glue between the command line and the EXPLAIN stage: resolve the DSN, build the stage, report.

The CLI stays thin: it calls ``build_stage`` and ``explain_static``; everything about which DSN,
which options and how the outcome is merged lives here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqllint.config import Config
from sqllint.engine import RunResult
from sqllint.explain.dsn import Dsn, DsnError, resolve_dsn
from sqllint.explain.stage import ExplainOutcome, ExplainStage, merge
from sqllint.records import ParsedQuery
from sqllint.registry import Registry


@dataclass
class ExplainRun:
    result: RunResult
    outcome: ExplainOutcome | None
    warnings: list[str] = field(default_factory=list)

    @property
    def connected(self) -> bool:
        return self.outcome is not None and self.outcome.connected


def find_dsn(config: Config, explicit: str | None) -> Dsn | None:
    """``--dsn``, else the variable ``dsn-env`` names; raises ``DsnError`` (already redacted)."""
    return resolve_dsn(explicit, config.dsn_env, tls_defaults=config.explain.tls)


def build_stage(config: Config, registry: Registry, dsn: Dsn, *, jobs: int | None = None, analyze: bool = False,
                json_format: bool = False, use_cache: bool = True) -> ExplainStage:
    enabled = config.enabled_codes(registry)
    cache_dir = Path(config.explain.cache_dir)
    if not cache_dir.is_absolute():
        cache_dir = config.root / cache_dir
    return ExplainStage(
        dsn, config.explain, registry, enabled, {code: config.options_for(code, registry) for code in enabled},
        {r.code: config.severities.get(r.code, r.severity) for r in registry.rules}, jobs=jobs, analyze=analyze,
        cache_dir=cache_dir if use_cache else None, json_format=json_format)


def explainable(parsed: Sequence[ParsedQuery]) -> list[ParsedQuery]:
    """Statements explained where they are defined, not at the call sites that only reference them."""
    return [p for p in parsed if getattr(p.query, "resolved_from", None) is None]


def explain_static(result: RunResult, stage: ExplainStage) -> ExplainRun:
    """Run the stage over a static result (``run(..., keep_parsed=True)``) and merge the findings."""
    outcome = stage.run(explainable(result.parsed))
    return ExplainRun(merge(result, outcome), outcome, list(outcome.warnings))


def query_plans(outcome: ExplainOutcome | None) -> list[Any]:
    """The baseline's ``QueryPlan`` records (plan regressions), one per call site of an explained query."""
    if outcome is None:
        return []
    from sqllint.baseline import QueryPlan  # the baseline is optional: only needed when plans are compared
    from sqllint.regression import PlanSummary, TablePlan

    plans = []
    for item in outcome.explained:
        if item.plan is None:
            continue
        summary = PlanSummary(tuple(
            TablePlan(row.table or "", row.access_type, row.key, row.rows, row.has_extra("Using filesort"),
                      row.has_extra("Using temporary"), "DEPENDENT" in row.select_type.upper())
            for row in item.plan.rows))
        for query in item.job.queries:
            plans.append(QueryPlan(query.fingerprint, query.query.path, query.query.line, query.query.raw, summary,
                                   query.query.column))
    return plans


__all__ = ["DsnError", "ExplainRun", "build_stage", "explain_static", "find_dsn", "query_plans"]
