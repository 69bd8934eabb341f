"""The pre-commit hooks, run by the real `pre-commit` tool in a throwaway git repository.

The hooks come from this repository's .pre-commit-hooks.yaml. To stay offline (pre-commit would build a
virtualenv and pip-install sqllint for a `language: python` hook), the test repository declares them as
`repo: local` hooks copied field for field from the manifest, with `language: system` and the entry
pointing at this environment's sqllint; everything else (file types, filename passing, serial runs,
--force-exclude, stages) is pre-commit's own behaviour on our manifest.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
MANIFEST = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
BIN = Path(sys.executable).parent
PRE_COMMIT = shutil.which("pre-commit", path=str(BIN)) or shutil.which("pre-commit")


def test_manifest_declares_both_hooks_as_required() -> None:
    hooks = {hook["id"]: hook for hook in MANIFEST}
    assert set(hooks) == {"sqllint", "sqllint-explain"}
    for hook in hooks.values():
        assert hook["require_serial"] is True and hook["language"] == "python"
        assert set(hook["types_or"]) == {"python", "java", "go", "sql", "xml"}
        assert "--force-exclude" in hook["entry"].split()
    assert "SQLLINT_DSN" in hooks["sqllint-explain"]["description"]
    done = subprocess.run([PRE_COMMIT, "validate-manifest", str(REPO / ".pre-commit-hooks.yaml")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def _local_config() -> str:
    hooks = []
    for hook in MANIFEST:
        local = {key: value for key, value in hook.items() if key not in ("language", "minimum_pre_commit_version")}
        command, _, rest = hook["entry"].partition(" ")
        local["entry"] = f"{BIN / command} {rest}"
        local["language"] = "system"
        hooks.append(local)
    return yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}, sort_keys=False)


@pytest.fixture()
def repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
           "PRE_COMMIT_COLOR": "never"}
    env.pop("SQLLINT_DSN", None)
    work = tmp_path / "project"
    (work / "vendor").mkdir(parents=True)
    (work / ".pre-commit-config.yaml").write_text(_local_config(), encoding="utf-8")
    (work / "pyproject.toml").write_text('[tool.sqllint]\nextend-exclude = ["vendor"]\n', encoding="utf-8")
    (work / "legacy.sql").write_text("SELECT id FROM users WHERE name LIKE '%son';\n", encoding="utf-8")
    git(work, env, "init", "-q")
    git(work, env, "add", ".")
    git(work, env, "commit", "-q", "--no-verify", "-m", "legacy code with a finding")
    return work, env


def git(cwd: Path, env: dict[str, str], *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def pre_commit(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PRE_COMMIT, "run", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_hook_checks_only_the_staged_files(repo: tuple[Path, dict[str, str]]) -> None:
    work, env = repo
    (work / "clean.py").write_text('def f(cur):\n    cur.execute("SELECT id FROM users WHERE id = %s", (1,))\n')
    git(work, env, "add", "clean.py")
    done = pre_commit(work, env, "sqllint")
    assert done.returncode == 0, done.stdout  # legacy.sql is committed and unchanged: not checked
    assert "Passed" in done.stdout
    (work / "dao.py").write_text('def g(cur):\n    cur.execute("SELECT name FROM users WHERE email LIKE \'%x\'")\n')
    git(work, env, "add", "dao.py")
    done = pre_commit(work, env, "sqllint")
    assert done.returncode == 1 and "Failed" in done.stdout
    assert "dao.py" in done.stdout and "S005" in done.stdout and "legacy.sql" not in done.stdout


def test_excluded_paths_stay_excluded_when_pre_commit_names_them(repo: tuple[Path, dict[str, str]]) -> None:
    work, env = repo
    (work / "vendor" / "lib.sql").write_text("SELECT id FROM t WHERE name LIKE '%x';\n")
    (work / "notes.txt").write_text("SELECT id FROM t WHERE name LIKE '%x';\n")  # not a SQL-bearing type
    git(work, env, "add", ".")
    done = pre_commit(work, env, "sqllint")
    assert done.returncode == 0, done.stdout
    done = pre_commit(work, env, "sqllint", "--all-files")
    assert done.returncode == 1 and "legacy.sql" in done.stdout and "vendor" not in done.stdout


def test_explain_hook_runs_on_manual_stage_and_is_static_without_a_dsn(repo: tuple[Path, dict[str, str]]) -> None:
    work, env = repo
    done = pre_commit(work, env, "sqllint-explain", "--all-files")
    assert done.returncode == 1 and "No hook with id `sqllint-explain` in stage `pre-commit`" in done.stdout
    done = pre_commit(work, env, "sqllint-explain", "--all-files", "--hook-stage", "manual")
    assert done.returncode == 1 and "legacy.sql" in done.stdout and "S005" in done.stdout
