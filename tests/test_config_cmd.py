"""`sqllint config` (effective values and their origin), per-file ignores, per-rule severities, --fail-on
and config discovery, through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import invoke

PYPROJECT = '''
[tool.sqllint]
fail-on = "error"
per-file-ignores = { "legacy/**" = ["select-star"], "reports/*.sql" = ["S005"] }

[tool.sqllint.rules.wide-join]
threshold = 2
severity = "error"

[tool.sqllint.rules.S011]
severity = "warning"
'''
STAR = "SELECT * FROM users WHERE id = 1;\n"
LIKE = "SELECT id FROM users WHERE name LIKE '%son';\n"
JOIN = "SELECT u.id FROM users u JOIN orders o ON o.user_id = u.id JOIN items i ON i.order_id = o.id;\n"


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    for folder, text in (("legacy", STAR + LIKE), ("reports", STAR + LIKE), ("app", STAR + JOIN)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "q.sql").write_text(text, encoding="utf-8")
    return tmp_path


def findings(project: Path, *args: str, cwd: Path | None = None) -> tuple[int, list[tuple[str, str, str]]]:
    code, out, _ = invoke(["check", "--format", "json", *args], cwd or project)
    return code, [(f["path"], f["rule"], f["severity"]) for f in json.loads(out)["findings"]]


def test_config_command_names_the_origin_of_every_value(project: Path) -> None:
    code, out, _ = invoke(["config"], project)
    assert code == 0
    lines = {line.split(" = ")[0]: line for line in out.splitlines() if " = " in line}
    assert lines["fail-on"].startswith('fail-on = "error"')
    assert lines["fail-on"].endswith("# pyproject.toml [tool.sqllint] fail-on")
    assert "# default" in lines["max-variants"] and "# default" in lines["select"]
    assert "[tool.sqllint.rules.wide-join] threshold" in lines["rules.S002.threshold"]
    assert str(project / "pyproject.toml") in out
    code, out, _ = invoke(["config", "--fail-on", "info", "--format", "json"], project)
    document = json.loads(out)
    assert document["settings"]["fail-on"] == {"value": "info", "source": "command line (--fail-on)"}
    assert document["settings"]["per-file-ignores"]["value"] == {"legacy/**": ["select-star"], "reports/*.sql": ["S005"]}
    assert document["rules"]["S002"]["severity"] == "error" and document["rules"]["S002"]["options"]["threshold"] == 2
    assert document["rules"]["S011"]["severity"] == "warning"
    assert document["rules"]["S001"]["severity"] == "error" and document["rules"]["S001"]["enabled"]


def test_config_command_without_a_file_and_with_a_bad_one(tmp_path: Path) -> None:
    code, out, _ = invoke(["config"], tmp_path)
    assert code == 0 and "(none: built-in defaults)" in out and "# command line" not in out
    (tmp_path / "sqllint.toml").write_text("fail-on = 'sometimes'\n", encoding="utf-8")
    code, _, err = invoke(["config"], tmp_path)
    assert code == 2 and "fail-on" in err


def test_per_file_ignores_and_per_rule_severities_apply(project: Path) -> None:
    code, found = findings(project)
    assert ("legacy/q.sql", "S005", "warning") in found
    assert not any(path == "legacy/q.sql" and rule == "S011" for path, rule, _ in found)  # ignored by name
    assert ("reports/q.sql", "S011", "warning") in found  # severity raised from info
    assert not any(path == "reports/q.sql" and rule == "S005" for path, rule, _ in found)  # ignored by code
    assert ("app/q.sql", "S002", "error") in found  # threshold 2 and severity error from the rule table
    assert code == 1  # fail-on = error and an error is present


def test_fail_on_flag_overrides_the_file(project: Path) -> None:
    (project / "app" / "q.sql").write_text(STAR, encoding="utf-8")  # leaves warnings and infos only
    assert findings(project)[0] == 0  # the file says fail-on = error
    assert findings(project, "--fail-on", "warning")[0] == 1
    assert findings(project, "--fail-on", "error")[0] == 0
    assert findings(project, "--fail-on", "info", "--select", "E003")[0] == 0  # nothing selected fires
    assert invoke(["check", "--fail-on", "fatal"], project)[0] == 2


def test_closest_config_wins_and_pyproject_before_sqllint_toml(project: Path) -> None:
    sub = project / "app"
    _, found = findings(project, ".", cwd=sub)
    assert sorted(rule for _, rule, _ in found) == ["S002", "S011"]  # the parent's pyproject: threshold 2
    (sub / "sqllint.toml").write_text('ignore = ["S011"]\n', encoding="utf-8")
    _, found = findings(project, ".", cwd=sub)
    assert found == []  # app/sqllint.toml alone: default threshold 4, S011 ignored
    (sub / "pyproject.toml").write_text('[tool.sqllint]\nselect = ["S011"]\n', encoding="utf-8")
    _, found = findings(project, ".", cwd=sub)
    assert [rule for _, rule, _ in found] == ["S011"]  # pyproject.toml before sqllint.toml
    (sub / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")  # no [tool.sqllint]
    assert findings(project, ".", cwd=sub)[1] == []
    code, out, _ = invoke(["config"], sub)
    assert str(sub / "sqllint.toml") in out and "sqllint.toml ignore" in out
