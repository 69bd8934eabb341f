"""``check --endpoints``: the findings across each HTTP endpoint's call chain join the check's findings.

Mergeable queries (M001) and N+1 (M002) that span functions — a service's loop calling a helper that
reads one row, two services reading the same table by the same key — are only visible once the endpoint's
chain is followed. As findings of ``check`` they reach every report format (SARIF, JSON, …), ``--fail-on``
and the baseline. The hook runs on the static result (made with ``keep_parsed``) before the EXPLAIN stage.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


from sqllint.config import Config
from sqllint.engine import RunResult, Settings
from sqllint.records import Finding
from sqllint.registry import Registry

Hook = Callable[[RunResult], tuple[RunResult, Sequence[Any]]]


def chain_findings(chains: Sequence[Any]) -> list[Finding]:
    """Each endpoint's cross-chain findings, one per rule and location: a helper shared by several
    endpoints is one finding that names them all (a count that does not grow with the routes). Two
    statements run at one location (a call of a function running both) stay two findings."""
    merged: dict[tuple[str, str, int, int, str], tuple[Finding, list[str]]] = {}
    for chain in chains:
        for finding in chain.findings:
            key = (finding.rule, finding.path, finding.line, finding.column, finding.fingerprint)
            if key in merged:
                if merged[key][0].scope != chain.endpoint.label:  # (not the same statement twice in one chain)
                    merged[key][1].append(chain.endpoint.label)
            else:
                merged[key] = (finding, [])
    out = []
    for finding, others in merged.values():
        if others:
            more = ", ".join(dict.fromkeys(others))
            finding = dataclasses.replace(finding, message=f"{finding.message}; also in {more}")
        out.append(finding)
    return out


def _per_file_filter(config: Config, registry: Registry, cwd: Path) -> Callable[[Finding], bool]:
    """``per-file-ignores`` for findings made outside the engine (which applies them to its own)."""
    settings = Settings.from_config(config, registry)
    return lambda finding: finding.rule not in settings.ignored_codes((cwd / finding.path).absolute(), finding.path)


def endpoints_hook(paths: Sequence[str], config: Config, cwd: Path, registry: Registry,
                   then: Hook | None = None) -> Hook:
    """A ``gated_run`` hook adding the endpoint-level findings, then running ``then`` (EXPLAIN) if given."""
    from sqllint.endpoints.build import build_map

    def hook(result: RunResult) -> tuple[RunResult, Sequence[Any]]:
        endpoint_map = build_map(paths, config, cwd, max_depth=config.endpoint_max_depth, registry=registry,
                                 result=result)
        keep = _per_file_filter(config, registry, cwd)
        extra = [f for f in chain_findings(endpoint_map.chains) if keep(f)]
        if extra:
            result = dataclasses.replace(result, findings=sorted([*result.findings, *extra], key=Finding.sort_key))
        return then(result) if then is not None else (result, ())
    return hook
