"""Every rule's docstring examples run as tests: `bad` must trigger the rule, `good` must not."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqllint.config import Config
from sqllint.registry import builtin_registry
from tests.helpers import check_snippet

REGISTRY = builtin_registry()
CASES = [
    pytest.param(rule, example, id=f"{rule.code}-{'bad' if example.bad else 'good'}-{index}")
    for rule in REGISTRY.rules
    # plan rules' examples need a server: they run live in tests/test_plan_rules.py; trace rules' examples
    # are query logs: tests/test_trace_rules.py runs them through `sqllint trace`
    if rule.target not in ("plan", "trace")
    for index, example in enumerate(rule.examples())
]


@pytest.mark.parametrize(("rule", "example"), CASES)
def test_docstring_example(tmp_path: Path, rule, example) -> None:
    result = check_snippet(tmp_path, example.code, example.language, Config(root=tmp_path, select=(rule.code,)))
    fired = [f for f in result.findings if f.rule == rule.code]
    if example.bad:
        assert fired, f"{rule.code} did not fire on its bad example:\n{example.code}"
    else:
        assert not fired, f"{rule.code} fired on its good example: {[f.message for f in fired]}"


@pytest.mark.parametrize("rule", [r for r in REGISTRY.rules if r.target != "source" or r.examples()],
                         ids=lambda r: r.code)
def test_rule_documents_itself(rule) -> None:
    assert rule.summary and rule.summary[0].isupper() or rule.summary.startswith(("`", "A", "T"))
    assert "## Why is this bad?" in rule.doc, f"{rule.code} has no rationale section"
    examples = rule.examples()
    assert any(e.bad for e in examples), f"{rule.code} has no bad example"
    if rule.target != "source" or rule.code in ("E001", "E002", "E004"):
        assert any(not e.bad for e in examples), f"{rule.code} has no good example"


def test_registry_codes_and_names_are_unique_and_well_formed() -> None:
    codes = [r.code for r in REGISTRY.rules]
    names = [r.name for r in REGISTRY.rules]
    assert len(set(codes)) == len(codes) and len(set(names)) == len(names)
    # The mission rules and at least eight more single-statement rules are present.
    assert {"S001", "S002", "M001", "M002", "S003"} <= set(codes)
    assert len([c for c in codes if c.startswith("S") and c not in ("S001", "S002", "S003")]) >= 8
