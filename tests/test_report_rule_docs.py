"""docs/rules.md is generated from the rule docstrings and must stay in sync with them."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from sqllint.registry import builtin_registry

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "gen_rule_docs.py"


def _script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gen_rule_docs", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_rules_md_is_up_to_date() -> None:
    expected = _script().render(builtin_registry())
    actual = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/rules.md is out of date: run python scripts/gen_rule_docs.py"


def test_every_rule_has_a_section_with_a_stable_anchor_and_its_options() -> None:
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for rule in builtin_registry().rules:
        assert f"\n## {rule.code} {rule.name}\n" in text
        assert f"](#{rule.code.lower()}-{rule.name})" in text
        for option in rule.options:
            assert f"| `{option}` |" in text


def test_check_mode_reports_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "rules.md"
    stale.write_text("# Rules\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(SCRIPT), "--check", "--output", str(stale)], capture_output=True,
                          text=True)
    assert done.returncode == 1 and "out of date" in done.stderr
    assert subprocess.run([sys.executable, str(SCRIPT), "--output", str(stale)], capture_output=True).returncode == 0
    assert subprocess.run([sys.executable, str(SCRIPT), "--check", "--output", str(stale)]).returncode == 0
