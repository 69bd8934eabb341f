"""The pre-commit hooks, run by the real `pre-commit` tool in throwaway git repositories.

Two ways, both offline:

- `repo: <this repository>` at its HEAD commit, exactly as a user would: pre-commit clones it, builds a
  virtualenv and pip-installs sqllint into it (setuptools from virtualenv's bundled wheels, the runtime
  dependencies found already installed through PYTHONPATH, so no index is needed);
- `repo: local` hooks copied field for field from .pre-commit-hooks.yaml with `language: system` and
  this environment's sqllint, which makes the many behaviour checks (file types, filename passing,
  --force-exclude, stages) fast, since nothing is installed.
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


def _dependency_dir(target: Path) -> Path:
    """sqllint's runtime dependencies, as already installed here, linked into one directory for PYTHONPATH:
    the hook environment then finds them installed and pip needs no index."""
    import importlib.metadata as metadata
    import re

    target.mkdir()
    wanted = [re.split(r"[\s;<>=!~\[]", req, maxsplit=1)[0] for req in metadata.requires("sqllint") or []
              if "extra ==" not in req and (sys.version_info < (3, 11) or "tomli" not in req)]
    for name in wanted:
        dist = metadata.distribution(name)
        tops = {Path(str(f)).parts[0] for f in dist.files or [] if not str(f).startswith("..")}
        for top in tops:
            source = Path(str(dist.locate_file(top)))
            if source.exists() and not (target / top).exists():
                (target / top).symlink_to(source)
    return target


def test_hooks_install_from_this_repository_as_pre_commit_would(tmp_path: Path) -> None:
    """`repo: <this repository>` at its HEAD commit: pre-commit clones it, builds a virtualenv and pip-installs
    sqllint into it, offline (setuptools from virtualenv's bundled wheels, dependencies already present)."""
    import virtualenv

    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    work = tmp_path / "project"
    work.mkdir()
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "home"), "PRE_COMMIT_COLOR": "never",
           "PYTHONPATH": str(_dependency_dir(tmp_path / "deps")), "PIP_NO_INDEX": "1",
           "PIP_FIND_LINKS": str(Path(virtualenv.__file__).parent / "seed" / "wheels" / "embed"),
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com"}
    env.pop("SQLLINT_DSN", None)
    (work / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{
        "repo": str(REPO), "rev": head.strip(), "hooks": [{"id": "sqllint"}]}]}), encoding="utf-8")
    (work / "q.sql").write_text("SELECT id FROM t WHERE name LIKE '%x';\n", encoding="utf-8")
    (work / "ok.py").write_text('def f(cur):\n    cur.execute("SELECT id FROM t WHERE id = %s", (1,))\n')
    git(work, env, "init", "-q")
    git(work, env, "add", ".")
    done = pre_commit(work, env, "--all-files")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "sqllint" in done.stdout and "Failed" in done.stdout and "q.sql" in done.stdout and "S005" in done.stdout
    (work / "q.sql").write_text("SELECT id FROM t WHERE name LIKE 'x%';\n", encoding="utf-8")
    git(work, env, "add", ".")
    done = pre_commit(work, env, "--all-files")
    assert done.returncode == 0 and "Passed" in done.stdout, done.stdout + done.stderr
