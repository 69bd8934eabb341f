"""``check`` as a regression gate: which files to check (``--diff-base``), then the baseline filter.

Sits between the command line and the engine so that the CLI stays thin and the engine knows nothing
of baselines or git. Plans come from the EXPLAIN stage when it runs (``plans``); without them only
findings are compared.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqllint.baseline import (BASELINE_NAME, Baseline, BaselineError, Entry, Gone, QueryPlan, build_baseline,
                              compare, load_baseline, write_baseline)
from sqllint.changed import changed_files, within
from sqllint.config import Config
from sqllint.engine import RunResult, Stats, run
from sqllint.records import Finding, Severity
from sqllint.regression import DEFAULT_ROWS_FACTOR
from sqllint.registry import Registry


@dataclass(frozen=True)
class GateOptions:
    baseline: Path | None = None  # --baseline FILE
    use_baseline: bool = True  # --no-baseline turns it off
    update: bool = False  # --update-baseline
    diff_base: str | None = None  # --diff-base REF
    cache_dir: Path | None = None  # result cache (sqllint.cache); None: --no-cache


@dataclass
class GateResult:
    result: RunResult
    notes: list[str] = field(default_factory=list)
    baselined: int = 0


def project_root(config: Config, cwd: Path) -> Path:
    """Where the baseline lives and what its paths are relative to: the config file's directory, else
    the enclosing git work tree, else the working directory (so ``check`` finds the same baseline from
    any subdirectory)."""
    if config.source is not None:
        return config.root
    for candidate in (cwd, *cwd.parents):
        if (candidate / ".git").exists():
            return candidate
    return cwd


def baseline_path(config: Config, options: GateOptions, cwd: Path) -> Path | None:
    """The baseline file in use: ``--baseline``, else ``sqllint.baseline.json`` at the project root."""
    if options.update and not options.use_baseline:
        raise BaselineError("--update-baseline and --no-baseline cannot be used together")
    if options.baseline is not None:
        named = options.baseline if options.baseline.is_absolute() else cwd / options.baseline
        if not named.exists() and not options.update:  # a typo must not silently report everything
            raise BaselineError(f"{options.baseline}: baseline file not found (create it with --update-baseline)")
        return named
    if not options.use_baseline:
        return None
    default = project_root(config, cwd) / BASELINE_NAME
    return default if (default.exists() or options.update) else None


def _in_scope(paths: Sequence[str], cwd: Path, root: Path) -> Callable[[str], bool]:
    roots = [(cwd / p).resolve() for p in paths]

    def check(location: str) -> bool:
        absolute = (root / location).resolve()
        return any(absolute == r or r in absolute.parents for r in roots)
    return check


@dataclass
class GateOutcome:
    findings: list[Finding]  # what to report
    baselined: int
    notes: list[str]  # for standard error: what was written, what no longer occurs


def relative_to(root: Path, cwd: Path) -> Callable[[str], str]:
    """Report paths (relative to the working directory) → paths relative to the project root."""
    def convert(path: str) -> str:
        absolute = (cwd / path).resolve()
        try:
            return absolute.relative_to(root.resolve()).as_posix()
        except ValueError:
            return Path(path).as_posix()
    return convert


def _describe_gone(gone: Sequence[Gone], limit: int = 20) -> list[str]:
    lines = [f"  - {g.describe()}" for g in gone[:limit]]
    if len(gone) > limit:
        lines.append(f"  … and {len(gone) - limit} more")
    return lines


def _merge_partial(old: Entry, new: Entry | None) -> Entry:
    """An entry only partly inside this run: what the run saw can add to it, never take away."""
    if new is None:
        return old
    counts = {code: max(old.findings.get(code, 0), new.findings.get(code, 0))
              for code in set(old.findings) | set(new.findings)}
    return Entry(old.fingerprint, old.sql or new.sql, tuple(sorted(set(old.locations) | set(new.locations))),
                 counts, {**old.names, **new.names}, new.plan or old.plan)


def apply_baseline(findings: Sequence[Finding], path: Path, update: bool, relative: Callable[[str], str],
                   in_scope: Callable[[str], bool], plans: Sequence[QueryPlan] = (),
                   severities: Mapping[str, Severity] | None = None, enabled: frozenset[str] | None = None,
                   rows_factor: float = DEFAULT_ROWS_FACTOR, previous: Baseline | None = None) -> GateOutcome:
    """Filter ``findings`` through the baseline at ``path`` (or accept them into it, with ``update``).

    ``in_scope`` says whether a root-relative path was part of this run. Only entries wholly inside the
    run can be reported as gone or dropped; an entry whose query also occurs in files outside it keeps
    its counts (``check --update-baseline app/`` or a pre-commit run on a few files leaves the rest
    alone). A baseline that does not load raises ``BaselineError`` before anything is written.
    """
    if previous is None:
        previous = load_baseline(path) if path.exists() else Baseline()
    touched = {k: e for k, e in previous.entries.items() if any(in_scope(p) for p in e.locations)}
    whole = {k for k, e in touched.items() if all(in_scope(p) for p in e.locations)}
    comparison = compare(Baseline(touched), findings, plans, relative, severities, enabled, rows_factor)
    gone = [g for g in comparison.gone if g.fingerprint in whole]
    if not update:
        notes = []
        if gone:
            notes.append(f"sqllint: {len(gone)} baseline entr{'y' if len(gone) == 1 else 'ies'} "
                         f"in {path.name} no longer occur (run with --update-baseline to drop them):")
            notes += _describe_gone(gone)
        return GateOutcome(comparison.findings, comparison.baselined, notes)
    current = build_baseline(findings, plans, relative, previous if not plans else None)
    merged = dict(current.entries)
    for key, entry in previous.entries.items():
        if key not in whole:  # outside this run, or partly: kept, and added to by what the run saw
            merged[key] = _merge_partial(entry, merged.get(key))
    write_baseline(path, Baseline(merged))
    notes = [f"sqllint: wrote {path.name} ({len(merged)} entr{'y' if len(merged) == 1 else 'ies'}, "
             f"{len(findings)} finding{'s' if len(findings) != 1 else ''} accepted)"]
    if gone:
        notes.append(f"sqllint: dropped what no longer occurs ({len(gone)}):")
        notes += _describe_gone(gone)
    return GateOutcome([], len(findings), notes)


# The EXPLAIN stage plugs in here: given the static result, it returns the result with plan findings
# merged in and the plans it saw (``sqllint.baseline.query_plans(outcome.explained)``). It needs the
# parsed statements, so the caller also passes ``run_options={"keep_parsed": True}``.
ExplainHook = Callable[[RunResult], tuple[RunResult, Sequence[QueryPlan]]]


def gated_run(paths: Sequence[str], config: Config, cwd: Path, options: GateOptions, registry: Registry,
              jobs: int | None = None, explain: ExplainHook | None = None,
              run_options: Mapping[str, Any] | None = None) -> GateResult:
    """Run the engine on ``paths`` (narrowed by ``--diff-base``), EXPLAIN when asked, apply the baseline.

    ``run_options`` are passed on to ``engine.run``. Raises ``DiffBaseError`` and ``BaselineError``
    for the CLI to turn into exit code 2.
    """
    paths = list(paths) or ["."]
    targets = paths
    notes: list[str] = []
    # A bad baseline (or a bad --baseline) fails before minutes of checking and EXPLAIN, not after.
    path = baseline_path(config, options, cwd)
    previous = load_baseline(path) if path is not None and path.exists() else None
    if options.diff_base is not None:
        targets = within(changed_files(options.diff_base, cwd), paths, cwd)
        # Changed files are named explicitly, so excludes must still apply to them.
        config = dataclasses.replace(config, force_exclude=True)
        notes.append(f"sqllint: --diff-base {options.diff_base}: {len(targets)} changed file(s) to check")
    # With EXPLAIN (run_options keep_parsed) the result cache also stores each file's statements, without
    # trees: static findings come from the cache and only the plan stage runs (through its plan cache).
    result = (run(targets, config, cwd, jobs=jobs, registry=registry, cache_dir=options.cache_dir,
                  **(run_options or {}))
              if targets else RunResult([], Stats()))
    plans: Sequence[QueryPlan] = ()
    if explain is not None:
        result, plans = explain(result)
    if path is None:
        return GateResult(result, notes)
    settings_enabled = config.enabled_codes(registry)
    severities = {r.code: config.severities.get(r.code, r.severity) for r in registry.rules}
    rows_factor = (config.options_for("R001", registry)["rows-factor"] if registry.get("R001") is not None
                   else DEFAULT_ROWS_FACTOR)
    root = project_root(config, cwd)
    outcome = apply_baseline(result.findings, path, options.update, relative_to(root, cwd),
                             _in_scope(targets if options.diff_base is not None else paths, cwd, root),
                             plans, severities, settings_enabled, rows_factor, previous)
    notes += outcome.notes
    if outcome.baselined and not options.update:
        notes.append(f"sqllint: {outcome.baselined} finding(s) already in {path.name} not shown")
    stats = dataclasses.replace(result.stats, baselined=outcome.baselined)
    return GateResult(dataclasses.replace(result, findings=outcome.findings, stats=stats), notes, outcome.baselined)
