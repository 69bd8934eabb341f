"""A wheel built from the repository ships the rules inside the package."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_wheel_contains_the_builtin_rules(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(REPO)],
                   check=True, capture_output=True)
    [wheel] = tmp_path.glob("sqllint-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    rule_files = {p.name for p in (REPO / "rules").glob("*.py")}
    assert {f"sqllint/rules/{name}" for name in rule_files} <= names
    assert "sqllint/cli.py" in names and "sqllint/extract/python.py" in names
    # package data: the HTML report's inline assets
    assert {"sqllint/report/html_assets/report.css", "sqllint/report/html_assets/report.js"} <= names
    # pyproject lists packages explicitly (rules/ is mapped to sqllint.rules): none may be forgotten.
    for init in (REPO / "sqllint").rglob("__init__.py"):
        assert init.relative_to(REPO).as_posix() in names, f"{init.parent} is not packaged (pyproject.toml)"
    assert not any(name.startswith(("tests/", "fixtures/", "rules/")) for name in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "sqllint = sqllint.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
