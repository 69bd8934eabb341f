"""Fingerprint → where the application's code issues that statement, by static extraction of PATHS.

The static pipeline runs with ``keep_parsed`` and every parsed variant is indexed by its fingerprint:
a logged ``WHERE id = 42`` meets the code's ``WHERE id = %s``, and a logged dynamic query meets the
variant of the code that produced it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqllint.config import Config
from sqllint.engine import run
from sqllint.records import ParsedQuery
from sqllint.registry import Registry


@dataclass(frozen=True)
class Site:
    path: str
    line: int
    column: int
    scope: str | None = None
    variant: str | None = None
    parsed: ParsedQuery | None = None  # the code's statement (its suppression comments, its raw text)

    def label(self) -> str:
        where = f"{self.path}:{self.line}"
        if self.scope:
            where += f" ({self.scope})"
        if self.variant:
            where += f" [{self.variant}]"
        return where


def code_sites(paths: Iterable[str], config: Config, cwd: Path, registry: Registry,
               jobs: int | None = None) -> dict[str, list[Site]]:
    """Every fingerprint the code under ``paths`` can send, with its call sites in source order. Only
    extraction and parsing run: the static rules' findings are not what a trace reports."""
    quiet = dataclasses.replace(config, select=("E001",), ignore=())
    result = run(list(paths), quiet, cwd, jobs=jobs, registry=registry, keep_parsed=True)
    return index_sites(result.parsed)


def index_sites(parsed: Iterable[ParsedQuery]) -> dict[str, list[Site]]:
    found: dict[str, dict[tuple[str, int, int], Site]] = {}
    for item in parsed:
        if item.error is not None or item.query.language == "log":
            continue
        query = item.query
        sites = found.setdefault(item.fingerprint, {})
        if query.site not in sites:
            sites[query.site] = Site(query.path, query.line, query.column, query.scope,
                                     query.variant.label if query.variant else None, item)
    return {fingerprint: sorted(sites.values(), key=lambda s: (s.path, s.line, s.column))
            for fingerprint, sites in found.items()}


def sites_for(index: Mapping[str, list[Site]], fingerprint: str) -> list[Site]:
    return index.get(fingerprint, [])
