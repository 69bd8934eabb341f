"""Helpers shared by the tests: run sqllint on a snippet written to a temporary file."""

from __future__ import annotations

import textwrap
from pathlib import Path

from sqllint.config import Config
from sqllint.engine import RunResult, run
from sqllint.records import Finding

SUFFIX = {"sql": ".sql", "python": ".py", "xml": ".xml", "java": ".java", "go": ".go"}


def check_snippet(tmp_path: Path, code: str, language: str = "sql", config: Config | None = None,
                  name: str = "snippet") -> RunResult:
    path = tmp_path / f"{name}{SUFFIX[language]}"
    path.write_text(textwrap.dedent(code), encoding="utf-8")
    return run([str(path)], config or Config(root=tmp_path), tmp_path, jobs=1)


def codes(findings: list[Finding]) -> list[str]:
    return [f.rule for f in findings]
