"""Glue between the command line and the EXPLAIN stage: resolve the DSN, build the stage, merge its output.

The CLI stays thin: it turns its options into ``DatabaseOptions``, calls ``explain_hook`` and hands the
hook to ``gate.gated_run``; after the run it prints ``hook.warnings`` and applies ``--require-db``.
``sqllint explain`` uses ``resolve_database`` and ``build_stage`` directly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqllint.config import Config
from sqllint.engine import RunResult
from sqllint.explain.dsn import Dsn, DsnError, Tls, parse_dsn, resolve_dsn
from sqllint.explain.settings import ExplainSettings
from sqllint.records import ParsedQuery
from sqllint.registry import Registry

if TYPE_CHECKING:  # the stage loads the driver: imported only once a DSN is known
    from sqllint.explain.stage import ExplainOutcome, ExplainStage


@dataclass(frozen=True)
class DatabaseOptions:
    """The command line's database options; None means "as configured"."""

    dsn: str | None = None  # --dsn (else the variable named by dsn-env, default SQLLINT_DSN)
    ssl: bool | None = None
    ssl_ca: str | None = None
    ssl_cert: str | None = None
    ssl_key: str | None = None
    ssl_verify: bool | None = None
    connect_timeout: float | None = None
    statement_timeout: float | None = None
    db_jobs: int | None = None
    analyze: bool = False
    require_db: bool = False
    use_cache: bool = True
    # EXPLAIN FORMAT=JSON: one column and one row per plan, so the driver decodes a fraction of what the
    # ten-column tabular result costs it (~25 µs instead of ~60 µs of client CPU per EXPLAIN with pymysql),
    # and the plan carries MariaDB's filtered estimate, which its tabular EXPLAIN lacks.
    json_format: bool = True


def settings_for(config: Config, options: DatabaseOptions) -> ExplainSettings:
    """``[tool.sqllint.explain]`` with the command line's overrides."""
    settings = config.explain
    changes: dict[str, Any] = {}
    if options.connect_timeout is not None:
        changes["connect_timeout"] = options.connect_timeout
    if options.statement_timeout is not None:
        changes["statement_timeout"] = options.statement_timeout
    if options.db_jobs is not None:
        changes["jobs"] = options.db_jobs
    return dataclasses.replace(settings, **changes) if changes else settings


def _with_cli_tls(tls: Tls, options: DatabaseOptions) -> Tls:
    changes: dict[str, Any] = {}
    for name in ("ca", "cert", "key"):
        value = getattr(options, f"ssl_{name}")
        if value:
            changes[name] = value
            changes["enabled"] = True
    if options.ssl is not None:
        changes["enabled"] = options.ssl
    if options.ssl_verify is not None:
        changes["verify"] = options.ssl_verify
        if options.ssl_verify:
            changes.setdefault("enabled", True)
    return dataclasses.replace(tls, **changes) if changes else tls


def resolve_database(config: Config, options: DatabaseOptions) -> Dsn | None:
    """The DSN to use: ``--dsn``, else the ``dsn-env`` variable; TLS from config < DSN query < flags.
    None when no DSN is given anywhere. Raises ``DsnError`` (its message never holds the password)."""
    dsn = resolve_dsn(options.dsn, config.dsn_env, tls_defaults=config.explain.tls)
    if dsn is None:
        return None
    return dataclasses.replace(dsn, tls=_with_cli_tls(dsn.tls, options))


def build_stage(config: Config, registry: Registry, dsn: Dsn, *, settings: ExplainSettings | None = None,
                analyze: bool = False, json_format: bool = True, use_cache: bool = True) -> ExplainStage:
    """The stage with the config's enabled rules, their options and severities."""
    from sqllint.explain.stage import ExplainStage

    settings = settings or config.explain
    enabled = config.enabled_codes(registry)
    cache_dir = Path(settings.cache_dir)
    if not cache_dir.is_absolute():
        cache_dir = config.root / cache_dir
    return ExplainStage(
        dsn, settings, registry, enabled, {code: config.options_for(code, registry) for code in enabled},
        {r.code: config.severities.get(r.code, r.severity) for r in registry.rules}, analyze=analyze,
        cache_dir=cache_dir if use_cache and settings.cache else None, json_format=json_format)


def explainable(parsed: Sequence[ParsedQuery]) -> list[ParsedQuery]:
    """Statements explained where they are defined, not at the call sites that only reference them."""
    return [p for p in parsed if p.query.resolved_from is None]


@dataclass
class ExplainHook:
    """``gated_run(..., explain=hook, run_options=RUN_OPTIONS)``: runs the stage on the static result and
    returns it with plan findings merged in, plus the plans for the baseline's plan regressions."""

    stage: ExplainStage
    outcome: ExplainOutcome | None = None
    warnings: list[str] = field(default_factory=list)

    def __call__(self, result: RunResult) -> tuple[RunResult, list[Any]]:
        from sqllint.baseline import query_plans  # plans only matter to the baseline
        from sqllint.explain.enrich import merge

        self.outcome = self.stage.run(explainable(result.parsed))
        self.warnings.extend(self.outcome.warnings)
        merged = merge(result, self.outcome)
        return dataclasses.replace(merged, parsed=[]), query_plans(self.outcome.explained)

    @property
    def connected(self) -> bool:
        return self.outcome is not None and self.outcome.connected


RUN_OPTIONS = {"keep_parsed": True}


@dataclass
class ExplainRun:
    result: RunResult
    outcome: ExplainOutcome

    @property
    def connected(self) -> bool:
        return self.outcome.connected


def find_dsn(config: Config, explicit: str | None) -> Dsn | None:
    """``--dsn``, else the variable ``dsn-env`` names (None when neither is set)."""
    return resolve_database(config, DatabaseOptions(dsn=explicit))


def explain_static(result: RunResult, stage: ExplainStage) -> ExplainRun:
    """Run the stage over a static result (``engine.run(..., keep_parsed=True)``) and merge its findings."""
    from sqllint.explain.enrich import merge

    outcome = stage.run(explainable(result.parsed))
    return ExplainRun(merge(result, outcome), outcome)


def explain_hook(config: Config, registry: Registry, options: DatabaseOptions) -> ExplainHook | None:
    """The hook for ``check``, or None when no DSN is configured (static checks only)."""
    dsn = resolve_database(config, options)
    if dsn is None:
        return None
    stage = build_stage(config, registry, dsn, settings=settings_for(config, options), analyze=options.analyze,
                        json_format=options.json_format, use_cache=options.use_cache)
    return ExplainHook(stage)


__all__ = ["RUN_OPTIONS", "DatabaseOptions", "DsnError", "ExplainHook", "ExplainRun", "build_stage", "explain_hook",
           "explain_static", "explainable", "find_dsn", "parse_dsn", "resolve_database", "settings_for"]
