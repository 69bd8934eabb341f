"""The trace rules' docstring examples (query-log excerpts) run through the trace pipeline: `bad` must
trigger the rule, `good` must not; plus the rules' edges (windows, interleaving, writes between reads)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqllint.registry import builtin_registry
from sqllint.trace.runner import RuleSetup, open_log, trace

REGISTRY = builtin_registry()
TRACE_RULES = [r for r in REGISTRY.rules if r.target == "trace"]


def run_log(tmp_path: Path, text: str, code: str, **options: int) -> list:
    path = tmp_path / "excerpt.log"
    path.write_text(text, encoding="utf-8")
    rule = REGISTRY[code]
    setup = RuleSetup.build(REGISTRY, frozenset({code}), {}, {code: rule.severity}, options)
    source, entries, _reader = open_log(path)
    window = int(setup.options[code].get("window-ms", 1000))
    return [f for f in trace(source, entries, setup, window).findings if f.rule == code]


def test_there_are_trace_rules_with_log_examples() -> None:
    assert {"T001", "T002"} <= {r.code for r in TRACE_RULES}
    for rule in TRACE_RULES:
        examples = rule.examples()
        assert {e.language for e in examples} == {"log"}
        assert any(e.bad for e in examples) and any(not e.bad for e in examples)


@pytest.mark.parametrize(("rule", "example"), [
    pytest.param(rule, example, id=f"{rule.code}-{'bad' if example.bad else 'good'}-{index}")
    for rule in TRACE_RULES for index, example in enumerate(rule.examples())])
def test_docstring_example(tmp_path: Path, rule, example) -> None:
    fired = run_log(tmp_path, example.code, rule.code)
    if example.bad:
        assert fired, f"{rule.code} did not fire on its bad example:\n{example.code}"
    else:
        assert not fired, f"{rule.code} fired on its good example: {[f.message for f in fired]}"
