"""``check`` as a regression gate: which files to check (``--diff-base``), then the baseline filter.

Sits between the command line and the engine so that the CLI stays thin and the engine knows nothing
of baselines or git. Plans come from the EXPLAIN stage when it runs (``plans``); without them only
findings are compared.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqllint.baseline import BASELINE_NAME, QueryPlan, apply_baseline, relative_to
from sqllint.changed import changed_files, within
from sqllint.config import Config
from sqllint.engine import RunResult, Stats, run
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


def baseline_path(config: Config, options: GateOptions, cwd: Path) -> Path | None:
    """The baseline file in use: ``--baseline``, else ``sqllint.baseline.json`` at the project root."""
    if options.baseline is not None:
        return options.baseline if options.baseline.is_absolute() else cwd / options.baseline
    if not options.use_baseline:
        return None
    default = config.root / BASELINE_NAME
    return default if (default.exists() or options.update) else None


def _in_scope(paths: Sequence[str], cwd: Path, root: Path) -> Callable[[str], bool]:
    roots = [(cwd / p).resolve() for p in paths]

    def check(location: str) -> bool:
        absolute = (root / location).resolve()
        return any(absolute == r or r in absolute.parents for r in roots)
    return check


# The EXPLAIN stage plugs in here: given the static result, it returns the result with plan findings
# merged in and the plans it saw (``sqllint.baseline.query_plans(outcome.explained)``).
ExplainHook = Callable[[RunResult], tuple[RunResult, Sequence[QueryPlan]]]


def gated_run(paths: Sequence[str], config: Config, cwd: Path, options: GateOptions, registry: Registry,
              jobs: int | None = None, explain: ExplainHook | None = None) -> GateResult:
    """Run the engine on ``paths`` (narrowed by ``--diff-base``), EXPLAIN when asked, apply the baseline.

    Raises ``DiffBaseError`` and ``BaselineError`` for the CLI to turn into exit code 2.
    """
    paths = list(paths) or ["."]
    targets = paths
    notes: list[str] = []
    if options.diff_base is not None:
        targets = within(changed_files(options.diff_base, cwd), paths, cwd)
        # Changed files are named explicitly, so excludes must still apply to them.
        config = dataclasses.replace(config, force_exclude=True)
        notes.append(f"sqllint: --diff-base {options.diff_base}: {len(targets)} changed file(s) to check")
    # The EXPLAIN stage needs every parsed statement, which cached files do not have.
    cache_dir = options.cache_dir if explain is None else None
    result = (run(targets, config, cwd, jobs=jobs, registry=registry, cache_dir=cache_dir) if targets
              else RunResult([], Stats()))
    plans: Sequence[QueryPlan] = ()
    if explain is not None:
        result, plans = explain(result)
    path = baseline_path(config, options, cwd)
    if path is None:
        return GateResult(result, notes)
    settings_enabled = config.enabled_codes(registry)
    severities = {r.code: config.severities.get(r.code, r.severity) for r in registry.rules}
    rows_factor = config.options_for("R001", registry)["rows-factor"]
    outcome = apply_baseline(result.findings, path, options.update, relative_to(config.root, cwd),
                             _in_scope(targets if options.diff_base is not None else paths, cwd, config.root),
                             plans, severities, settings_enabled, rows_factor)
    notes += outcome.notes
    if outcome.baselined and not options.update:
        notes.append(f"sqllint: {outcome.baselined} finding(s) already in {path.name} not shown")
    return GateResult(dataclasses.replace(result, findings=outcome.findings), notes, outcome.baselined)
