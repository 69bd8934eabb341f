"""The baseline file and the gate: only new findings fail, moves do not, bad baselines exit 2 untouched."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from sqllint import baseline as baseline_module
from sqllint.baseline import (BASELINE_NAME, Baseline, BaselineError, Entry, QueryPlan, build_baseline, load_baseline,
                              parse_baseline, write_baseline)
from sqllint.regression import PlanSummary, TablePlan
from tests.test_cli import invoke

DAO = ('def f(cur):\n'
       '    cur.execute("SELECT * FROM users WHERE id = %s", (1,))\n'
       '    cur.execute("SELECT id FROM users WHERE name LIKE \'%son\'")\n')


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "dao.py").write_text(DAO, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[tool.sqllint]\n", encoding="utf-8")
    return tmp_path


def report(project: Path, *args: str) -> tuple[int, list[tuple[str, int]], str]:
    code, out, err = invoke(["check", "--format", "json", *args], project)
    return code, [(f["rule"], f["line"]) for f in json.loads(out)["findings"]], err


def test_baseline_accepts_current_findings_and_check_reports_only_new_ones(project: Path) -> None:
    assert report(project)[:2] == (1, [("S011", 2), ("S005", 3)])
    code, _, err = invoke(["baseline"], project)
    assert code == 0 and "wrote sqllint.baseline.json (2 entries, 2 findings accepted)" in err
    code, found, err = report(project)
    assert (code, found) == (0, []) and "2 finding(s) already in" in err
    assert json.loads(invoke(["check", "--format", "json"], project)[1])["stats"]["baselined"] == 2
    assert "(2 known findings in the baseline)" in invoke(["check", "--format", "markdown"], project)[1]
    # The same query moved down (and its file edited around it) is still the baselined one.
    (project / "app" / "dao.py").write_text("import os\n\n\n" + DAO.replace("%s", "%(id)s"), encoding="utf-8")
    assert report(project)[:2] == (0, [])
    # A new offending query is reported, and only it; --no-baseline shows everything again.
    with open(project / "app" / "dao.py", "a", encoding="utf-8") as handle:
        handle.write('    cur.execute("SELECT * FROM orders")\n')
    assert report(project)[:2] == (0, [("S011", 7)])  # S011 is info: reported, not failing
    assert len(report(project, "--no-baseline")[1]) == 3


def test_counts_matter_a_second_copy_of_a_baselined_query_is_new(project: Path) -> None:
    invoke(["baseline"], project)
    (project / "app" / "other.py").write_text(DAO, encoding="utf-8")
    code, found, _ = report(project)
    assert code == 1 and found == [("S011", 2), ("S005", 3)]  # the copy in the file the baseline never saw


def test_file_is_sorted_stable_and_keyed_by_fingerprint_not_line(project: Path) -> None:
    invoke(["baseline"], project)
    path = project / BASELINE_NAME
    first = path.read_text(encoding="utf-8")
    document = json.loads(first)
    assert list(document) == sorted(document) and document["version"] == 1
    keys = list(document["queries"])
    assert keys == sorted(keys) and all(len(k) == 16 for k in keys)
    assert "line" not in first
    entry = next(e for e in document["queries"].values() if e["findings"][0]["rule"] == "S011")
    assert entry == {"findings": [{"count": 1, "name": "select-star", "rule": "S011"}],
                     "locations": ["app/dao.py"], "sql": "SELECT * FROM users WHERE id = %s"}
    invoke(["baseline"], project)
    assert path.read_text(encoding="utf-8") == first  # byte-for-byte stable


def test_update_drops_fixed_entries_and_names_them(project: Path) -> None:
    invoke(["baseline"], project)
    (project / "app" / "dao.py").write_text(DAO.replace("SELECT *", "SELECT id"), encoding="utf-8")
    code, found, err = report(project)
    assert (code, found) == (1, [("S005", 3)]) or (code, found) == (0, [])
    assert "1 baseline entry in sqllint.baseline.json no longer occur" in err and "[S011]" in err
    assert "SELECT * FROM users" in err
    code, _, err = invoke(["check", "--update-baseline"], project)
    assert code == 0 and "dropped what no longer occurs (1)" in err and "[S011]" in err
    rules = [f["rule"] for e in json.loads((project / BASELINE_NAME).read_text())["queries"].values()
             for f in e["findings"]]
    assert rules == ["S005"]


def test_update_of_some_paths_keeps_entries_of_the_others(project: Path) -> None:
    (project / "lib").mkdir()
    (project / "lib" / "q.sql").write_text("SELECT * FROM t;\n", encoding="utf-8")
    invoke(["baseline"], project)
    (project / "app" / "dao.py").write_text("x = 1\n", encoding="utf-8")
    code, _, err = invoke(["check", "--update-baseline", "app"], project)
    assert code == 0
    locations = [e["locations"] for e in json.loads((project / BASELINE_NAME).read_text())["queries"].values()]
    assert locations == [["lib/q.sql"]]


@pytest.mark.parametrize(("text", "problem"), [
    ("{not json", "not valid JSON"),
    ('{"version": 2, "queries": {}}', "unsupported version 2"),
    ('{"version": 1, "queries": {"x": {}}}', "is not a query fingerprint"),
    ('{"version": 1, "queries": {"0123456789abcdef": {"findings": [{"rule": "S011", "count": 0}]}}}',
     "count must be a positive integer"),
    ('{"version": 1, "queries": {"0123456789abcdef": {"findings": [{"rule": "select star"}]}}}', "rule code"),
    ('{"version": 1, "queries": {"0123456789abcdef": {"plan": {"tables": [{"table": "t", "access": "fast"}]}}}}',
     "unknown access type"),
    ('{"version": 1, "queries": {}, "queries": {}}', "duplicate key"),
    ('{"version": 1, "queries": {"0123456789abcdef": {"lines": [3]}}}', "unknown field(s) lines"),
    ("[]", "must be a JSON object"),
])
def test_corrupt_or_hand_edited_baseline_exits_2_naming_the_problem_and_is_untouched(
        project: Path, text: str, problem: str) -> None:
    path = project / BASELINE_NAME
    path.write_text(text, encoding="utf-8")
    for args in (["check"], ["check", "--update-baseline"], ["baseline"]):
        code, _, err = invoke(args, project)
        assert code == 2, args
        assert problem in err and BASELINE_NAME in err
        assert path.read_text(encoding="utf-8") == text
    path.write_bytes(b"\xff\xfe")
    assert invoke(["check"], project)[0] == 2


def test_explicit_baseline_file_and_missing_one(project: Path) -> None:
    code, _, err = invoke(["check", "--update-baseline", "--baseline", "ci/base.json"], project)
    assert code == 2 and "ci/base.json" in err  # its directory does not exist: a usage error, not a crash
    (project / "ci").mkdir()
    assert invoke(["check", "--update-baseline", "--baseline", "ci/base.json"], project)[0] == 0
    assert not (project / BASELINE_NAME).exists()
    assert report(project, "--baseline", "ci/base.json")[:2] == (0, [])
    assert report(project)[0] == 1  # the default location holds no baseline
    assert invoke(["check", "--update-baseline", "--no-baseline"], project)[0] == 2
    code, _, err = invoke(["check", "--baseline", "ci/typo.json"], project)
    assert code == 2 and "ci/typo.json: baseline file not found" in err


def test_interrupted_write_leaves_the_old_file_and_no_temporary(project: Path, monkeypatch) -> None:
    path = project / BASELINE_NAME
    write_baseline(path, Baseline({"0123456789abcdef": Entry("0123456789abcdef", "SELECT 1", ("a.sql",), {"S011": 1})}))
    before = path.read_text(encoding="utf-8")

    def crash(*_args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(baseline_module.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        write_baseline(path, Baseline())
    assert path.read_text(encoding="utf-8") == before
    assert sorted(p.name for p in project.iterdir()) == ["app", "pyproject.toml", BASELINE_NAME]


def test_plans_round_trip_and_are_kept_by_a_static_update(tmp_path: Path) -> None:
    summary = PlanSummary((TablePlan("orders", "ref", "idx_user", 12),))
    base = Baseline({"0123456789abcdef": Entry("0123456789abcdef", "SELECT id FROM orders", ("a.py",), plan=summary)})
    path = tmp_path / BASELINE_NAME
    write_baseline(path, base)
    loaded = load_baseline(path)
    assert loaded.entries["0123456789abcdef"].plan == PlanSummary((TablePlan("orders", "ref", "idx_user", 16),))
    rebuilt = build_baseline([], [], lambda p: p, previous=loaded)
    assert rebuilt.to_json() == loaded.to_json()
    with pytest.raises(BaselineError, match="queries"):
        parse_baseline('{"version": 1}', "b.json")


def _git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


def test_diff_base_checks_only_files_changed_since_the_ref(project: Path) -> None:
    (project / "old.sql").write_text("SELECT * FROM legacy;\n", encoding="utf-8")
    (project / "vendor").mkdir()
    _git(project, "init", "-q", "-b", "main")
    _git(project, "add", ".")
    _git(project, "commit", "-q", "-m", "base")
    (project / "new.sql").write_text("SELECT * FROM fresh;\n", encoding="utf-8")  # untracked
    (project / "app" / "dao.py").write_text(DAO + '    cur.execute("SELECT * FROM more")\n', encoding="utf-8")
    (project / "vendor" / "x.sql").write_text("SELECT * FROM excluded;\n", encoding="utf-8")
    (project / "pyproject.toml").write_text('[tool.sqllint]\nextend-exclude = ["vendor"]\n', encoding="utf-8")
    code, out, err = invoke(["check", "--format", "json", "--diff-base", "main"], project)
    paths = sorted({f["path"] for f in json.loads(out)["findings"]})
    assert paths == ["app/dao.py", "new.sql"] and "changed file(s)" in err
    _, out, _ = invoke(["check", "--format", "json", "--diff-base", "main", "app"], project)
    assert {f["path"] for f in json.loads(out)["findings"]} == {"app/dao.py"}
    code, _, err = invoke(["check", "--diff-base", "no-such-ref"], project)
    assert code == 2 and "'no-such-ref' is not a commit" in err


def test_diff_base_outside_a_repository_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = invoke(["check", "--diff-base", "HEAD"], tmp_path)
    assert code == 2 and "git" in err


def test_gate_with_plans_from_the_explain_hook_reports_regressions_before_after(project: Path) -> None:
    from sqllint.config import load_config
    from sqllint.gate import GateOptions, gated_run
    from sqllint.parse import fingerprint_sql
    from sqllint.registry import builtin_registry

    registry = builtin_registry()
    config = load_config(registry, project)
    fp = fingerprint_sql("SELECT * FROM users WHERE id = ?")
    good = PlanSummary((TablePlan("users", "const", "PRIMARY", 1),))
    bad = PlanSummary((TablePlan("users", "ALL", None, 90000, filesort=True),))

    def hook(plan: PlanSummary):  # type: ignore[no-untyped-def]
        def explain(result):  # type: ignore[no-untyped-def]
            return result, [QueryPlan(fp, "app/dao.py", 2, "SELECT * FROM users WHERE id = %s", plan)]
        return explain

    accepted = gated_run(["."], config, project, GateOptions(update=True), registry, jobs=1, explain=hook(good))
    assert accepted.result.findings == []
    stored = json.loads((project / BASELINE_NAME).read_text())["queries"][fp]
    assert stored["plan"]["tables"] == [{"access": "const", "dependent": False, "filesort": False, "key": "PRIMARY",
                                         "rows_bucket": 1, "table": "users", "temporary": False}]
    gated = gated_run(["."], config, project, GateOptions(), registry, jobs=1, explain=hook(bad))
    assert [(f.rule, f.message) for f in gated.result.findings] == [
        ("R001", "plan got worse: users: access const → ALL, key PRIMARY → none, rows 1 → 90000, filesort no → yes")]
    assert gated.result.exit_code(config.fail_on) == 1
    # A static update (no plans) keeps the recorded plan; an update with plans replaces it.
    gated_run(["."], config, project, GateOptions(update=True), registry, jobs=1)
    assert json.loads((project / BASELINE_NAME).read_text())["queries"][fp]["plan"] == stored["plan"]
    gated_run(["."], config, project, GateOptions(update=True), registry, jobs=1, explain=hook(bad))
    assert json.loads((project / BASELINE_NAME).read_text())["queries"][fp]["plan"]["tables"][0]["access"] == "ALL"


def test_a_run_on_some_files_neither_reports_nor_drops_what_other_files_hold(project: Path) -> None:
    (project / "app" / "copy.py").write_text(DAO, encoding="utf-8")  # the same two queries in a second file
    invoke(["baseline"], project)
    counts = {f["rule"]: f["count"] for e in json.loads((project / BASELINE_NAME).read_text())["queries"].values()
              for f in e["findings"]}
    assert counts == {"S011": 2, "S005": 2}
    (project / "app" / "copy.py").write_text("x = 1\n", encoding="utf-8")  # fixed in one file only
    code, _, err = invoke(["check", "app/copy.py"], project)
    assert code == 0 and "no longer occur" not in err  # the queries live on in app/dao.py
    invoke(["check", "--update-baseline", "app/copy.py"], project)
    after = json.loads((project / BASELINE_NAME).read_text())["queries"]
    assert {f["rule"]: f["count"] for e in after.values() for f in e["findings"]} == {"S011": 2, "S005": 2}
    code, _, err = invoke(["check"], project)  # the full run sees one of each: reported as partly gone
    assert code == 0 and "2 baseline entries" in err and "app/copy.py" in err
    invoke(["check", "--update-baseline"], project)
    after = json.loads((project / BASELINE_NAME).read_text())["queries"]
    assert {f["rule"]: f["count"] for e in after.values() for f in e["findings"]} == {"S011": 1, "S005": 1}
    assert all(e["locations"] == ["app/dao.py"] for e in after.values())


def test_gate_passes_run_options_to_the_engine(project: Path, monkeypatch) -> None:
    import sqllint.gate as gate
    from sqllint.config import load_config
    from sqllint.engine import RunResult, Stats
    from sqllint.registry import builtin_registry

    seen: dict[str, object] = {}

    def fake_run(*_args: object, **kwargs: object) -> RunResult:
        seen.update(kwargs)
        return RunResult([], Stats())

    monkeypatch.setattr(gate, "run", fake_run)
    registry = builtin_registry()
    hook_calls: list[RunResult] = []

    def explain(result: RunResult):  # type: ignore[no-untyped-def]
        hook_calls.append(result)
        return result, []

    gate.gated_run(["."], load_config(registry, project), project,
                   gate.GateOptions(cache_dir=project / "c"), registry, explain=explain,
                   run_options={"keep_parsed": True})
    # The result cache serves runs with EXPLAIN too: its entries then keep each file's statements.
    assert seen["keep_parsed"] is True and seen["cache_dir"] == project / "c"
    assert len(hook_calls) == 1


def test_the_same_baseline_is_found_from_a_subdirectory_of_a_git_repository(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()  # a work tree without any config file
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "dao.py").write_text(DAO, encoding="utf-8")
    invoke(["baseline"], tmp_path)
    document = json.loads((tmp_path / BASELINE_NAME).read_text())
    assert {loc for e in document["queries"].values() for loc in e["locations"]} == {"app/dao.py"}
    code, _, err = invoke(["check", "--format", "json", "."], tmp_path / "app")
    assert code == 0 and "2 finding(s) already in" in err and "no longer occur" not in err


def test_a_corrupt_baseline_fails_before_any_checking(project: Path, monkeypatch) -> None:
    import sqllint.gate as gate
    from sqllint.config import load_config
    from sqllint.registry import builtin_registry

    (project / BASELINE_NAME).write_text('{"version": 1, "queries": [', encoding="utf-8")

    def never(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the files were checked before the baseline was read")

    monkeypatch.setattr(gate, "run", never)
    registry = builtin_registry()
    with pytest.raises(BaselineError, match="not valid JSON"):
        gate.gated_run(["."], load_config(registry, project), project, gate.GateOptions(update=True), registry)
