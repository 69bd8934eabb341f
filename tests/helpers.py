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


def apt_install(*packages: str, why: str) -> None:
    """Install Debian packages the suite needs (it provisions its own tools rather than skipping tests).
    Raises RuntimeError naming the packages when not root or without apt-get."""
    import os
    import shutil
    import subprocess

    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise RuntimeError(f"{why}: install {' '.join(packages)} (apt-get install, as root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True, timeout=600)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages], check=True, env=env,
                   capture_output=True, timeout=1200)
