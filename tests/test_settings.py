"""[tool.sqllint] configuration: strict validation, rule options, per-file ignores, excludes."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqllint.config import ConfigError, load_config
from sqllint.engine import run
from sqllint.registry import builtin_registry
from tests.helpers import codes

REGISTRY = builtin_registry()
FOUR_TABLES = "SELECT a.id FROM a JOIN b ON b.id = a.id JOIN c ON c.id = b.id JOIN d ON d.id = c.id;\n"
THREE_TABLES = "SELECT a.id FROM a JOIN b ON b.id = a.id JOIN c ON c.id = b.id;\n"


def write_config(tmp_path: Path, body: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[project]\nname = 'x'\n\n[tool.sqllint]\n{body}\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("selct = ['S001']", "selct"),
        ("select = ['S999']", "S999"),
        ("max-variants = 'many'", "max-variants"),
        ("fail-on = 'fatal'", "fail-on"),
        ("[tool.sqllint.rules.wide-join]\nthreshold = 'four'", "wide-join.threshold"),
        ("[tool.sqllint.rules.wide-join]\nmax = 3", "wide-join.max"),
        ("[tool.sqllint.rules.no-such-rule]\nthreshold = 3", "no-such-rule"),
        ("max-file-size = 'huge'", "max-file-size"),
    ],
)
def test_unknown_keys_and_bad_values_name_the_key(tmp_path: Path, body: str, named: str) -> None:
    write_config(tmp_path, body)
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        load_config(REGISTRY, tmp_path)


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "sqllint.toml").write_text("select = [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(REGISTRY, tmp_path)


def test_rule_option_changes_what_fires(tmp_path: Path) -> None:
    (tmp_path / "q.sql").write_text(THREE_TABLES, encoding="utf-8")
    assert "S002" not in codes(run(["."], load_config(REGISTRY, tmp_path), tmp_path, jobs=1).findings)
    write_config(tmp_path, "[tool.sqllint.rules.wide-join]\nthreshold = 3")
    assert "S002" in codes(run(["."], load_config(REGISTRY, tmp_path), tmp_path, jobs=1).findings)


def test_closest_config_upward_is_used(tmp_path: Path) -> None:
    write_config(tmp_path, "ignore = ['S002']")
    nested = tmp_path / "service" / "db"
    nested.mkdir(parents=True)
    (nested / "q.sql").write_text(FOUR_TABLES, encoding="utf-8")
    config = load_config(REGISTRY, nested)
    assert config.source == tmp_path / "pyproject.toml"
    assert run(["."], config, nested, jobs=1).findings == []


def test_severity_override_and_per_file_ignores(tmp_path: Path) -> None:
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "old.sql").write_text(FOUR_TABLES, encoding="utf-8")
    (tmp_path / "new.sql").write_text(FOUR_TABLES, encoding="utf-8")
    write_config(tmp_path, "per-file-ignores = { 'legacy/**' = ['wide-join'] }\n"
                           "[tool.sqllint.rules.S002]\nseverity = 'error'")
    findings = run(["."], load_config(REGISTRY, tmp_path), tmp_path, jobs=1).findings
    assert [(f.path, f.rule, str(f.severity)) for f in findings] == [("new.sql", "S002", "error")]


def test_exclude_globs_and_force_exclude(tmp_path: Path) -> None:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001.sql").write_text("DELETE FROM users;\n", encoding="utf-8")
    write_config(tmp_path, "extend-exclude = ['migrations/**']")
    config = load_config(REGISTRY, tmp_path)
    assert run(["."], config, tmp_path, jobs=1).findings == []
    # A file named explicitly is checked, unless --force-exclude (what pre-commit uses).
    assert codes(run(["migrations/001.sql"], config, tmp_path, jobs=1).findings) == ["S004"]
    from dataclasses import replace
    assert run(["migrations/001.sql"], replace(config, force_exclude=True), tmp_path, jobs=1).findings == []
    # Bare directory names exclude files below them too, when pre-commit names such a file.
    (tmp_path / "vendor" / "lib").mkdir(parents=True)
    (tmp_path / "vendor" / "lib" / "x.sql").write_text("DELETE FROM t;\n", encoding="utf-8")
    write_config(tmp_path, "extend-exclude = ['migrations/**', 'vendor']")
    config = load_config(REGISTRY, tmp_path)
    assert run(["."], config, tmp_path, jobs=1).findings == []
    assert run(["vendor/lib/x.sql"], replace(config, force_exclude=True), tmp_path, jobs=1).findings == []
    assert codes(run(["vendor/lib/x.sql"], config, tmp_path, jobs=1).findings) == ["S004"]
