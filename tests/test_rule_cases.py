"""Data-driven rule cases (tests/cases/*.toml): each says whether a rule fires on a snippet."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from sqllint.config import Config
from tests.helpers import check_snippet

CASES_DIR = Path(__file__).parent / "cases"
CASES = [case for path in sorted(CASES_DIR.glob("*.toml"))
         for case in tomllib.loads(path.read_text(encoding="utf-8"))["case"]]


@pytest.mark.parametrize("case", CASES, ids=[f"{c['rule']}-{c['name']}" for c in CASES])
def test_rule_case(tmp_path: Path, case: dict) -> None:
    language = case.get("language", "sql")
    code = case["code"] if language != "sql" else case["sql"]
    result = check_snippet(tmp_path, code, language, Config(root=tmp_path, select=(case["rule"],)))
    fired = [f for f in result.findings if f.rule == case["rule"]]
    assert bool(fired) == case["fires"], [f.message for f in result.findings]
    if "variant" in case:
        assert fired[0].variant == case["variant"]
    if "suggestion" in case:
        assert fired[0].suggestion == case["suggestion"]
