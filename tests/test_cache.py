"""The content-hash result cache: same answers warm as cold, invalidated by content, settings and code."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from sqllint.cache import ResultCache
from sqllint.config import Config
from sqllint.engine import FileResult, Settings, run
from sqllint.files import SourceFile
from sqllint.records import Finding, Severity
from sqllint.registry import builtin_registry
from tests.test_cli import invoke

DAO = ('def f(cur, ids):\n'
       '    for i in ids:\n'
       '        cur.execute("SELECT * FROM users WHERE id = %s", (i,))\n'
       '    cur.execute(f"SELECT id FROM t WHERE name = \'{ids}\'")\n')


def _project(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "dao.py").write_text(DAO, encoding="utf-8")
    (tmp_path / "q.sql").write_text("SELECT id FROM t WHERE name LIKE '%x';\nSELECT 1 FROM (;\n", encoding="utf-8")
    return tmp_path


def test_warm_run_gives_the_same_result_as_cold_and_skips_checking(tmp_path: Path, monkeypatch) -> None:
    project = _project(tmp_path)
    cache = project / ".sqllint_cache"
    config = Config(root=project)
    cold = run(["."], config, project, jobs=1, cache_dir=cache)
    assert cold.findings and list(cache.glob("results-*.json")) and (cache / ".gitignore").exists()
    import sqllint.engine as engine

    def refuse(*_args: object, **_kwargs: object) -> list[FileResult]:
        raise AssertionError("a cached file was checked again")

    monkeypatch.setattr(engine, "check_files", refuse)
    warm = run(["."], config, project, jobs=1, cache_dir=cache)
    assert warm.findings == cold.findings and warm.stats == cold.stats
    monkeypatch.undo()
    assert run(["."], config, project, jobs=1).findings == cold.findings  # and the same as no cache at all


def test_changed_content_and_changed_settings_are_checked_again(tmp_path: Path) -> None:
    project = _project(tmp_path)
    cache = project / ".sqllint_cache"
    config = Config(root=project)
    run(["."], config, project, jobs=1, cache_dir=cache)
    (project / "q.sql").write_text("SELECT * FROM t;\n", encoding="utf-8")
    assert {f.rule for f in run(["q.sql"], config, project, jobs=1, cache_dir=cache).findings} == {"S011"}
    narrowed = dataclasses.replace(config, select=("S005",))
    assert run(["."], narrowed, project, jobs=1, cache_dir=cache).findings == []
    assert len(list(cache.glob("results-*.json"))) == 2  # one document per settings digest
    severe = dataclasses.replace(config, severities={"S011": Severity.ERROR})
    assert {f.severity for f in run(["q.sql"], severe, project, jobs=1, cache_dir=cache).findings} == {Severity.ERROR}


def test_corrupt_cache_is_ignored_and_rewritten(tmp_path: Path) -> None:
    project = _project(tmp_path)
    cache = project / ".sqllint_cache"
    config = Config(root=project)
    cold = run(["."], config, project, jobs=1, cache_dir=cache)
    document = next(cache.glob("results-*.json"))
    for garbage in ("{not json", '{"version": 1, "files": {"x": 3}}', "[]"):
        document.write_text(garbage, encoding="utf-8")
        assert run(["."], config, project, jobs=1, cache_dir=cache).findings == cold.findings
    data = json.loads(document.read_text(encoding="utf-8"))
    first = next(iter(data["files"].values()))
    first["findings"] = [{"rule": "bogus"}]  # an entry that does not rebuild: checked again
    document.write_text(json.dumps(data), encoding="utf-8")
    assert run(["."], config, project, jobs=1, cache_dir=cache).findings == cold.findings


def test_mybatis_and_java_keys_cover_each_other_python_keys_do_not(tmp_path: Path) -> None:
    files = []
    for name, language in (("a.xml", "xml"), ("B.java", "java"), ("c.py", "python")):
        (tmp_path / name).write_text(f"content of {name}", encoding="utf-8")
        files.append(SourceFile(name, tmp_path / name, language))
    settings = Settings.from_config(Config(root=tmp_path), builtin_registry())
    checked: list[str] = []

    def check(todo):  # type: ignore[no-untyped-def]
        checked.extend(f.path for f in todo)
        return [FileResult(findings=[Finding("S011", "select-star", Severity.INFO, f.path, 1, 1, "m")], queries=1)
                for f in todo]

    ResultCache(tmp_path / "c", settings).check(files, check, FileResult)
    assert checked == ["a.xml", "B.java", "c.py"]
    checked.clear()
    results = ResultCache(tmp_path / "c", settings).check(files, check, FileResult)
    assert checked == [] and [r.findings[0].path for r in results] == ["a.xml", "B.java", "c.py"]
    (tmp_path / "B.java").write_text("changed", encoding="utf-8")
    ResultCache(tmp_path / "c", settings).check(files, check, FileResult)
    assert checked == ["a.xml", "B.java"]  # the mapper XML is resolved against the Java file


def test_cli_uses_the_cache_unless_told_not_to(tmp_path: Path) -> None:
    project = _project(tmp_path)
    code, out, _ = invoke(["check", "--format", "json", "--no-cache"], project)
    assert not (project / ".sqllint_cache").exists()
    assert invoke(["check", "--format", "json"], project)[1] == out
    assert (project / ".sqllint_cache").is_dir()
    assert invoke(["check", "--format", "json"], project)[1] == out


def test_settings_digest_is_the_same_in_every_process(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = ("from pathlib import Path; from sqllint.cache import settings_digest; from sqllint.config import Config; "
            "from sqllint.engine import Settings; from sqllint.registry import builtin_registry; "
            f"print(settings_digest(Settings.from_config(Config(root=Path({str(tmp_path)!r})), builtin_registry())))")
    digests = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env={**__import__("os").environ, "PYTHONHASHSEED": str(seed)}).stdout
               for seed in (1, 2, 3)}
    assert len(digests) == 1


def test_an_unwritable_cache_directory_only_costs_the_cache(tmp_path: Path) -> None:
    project = _project(tmp_path)
    blocker = project / "not-a-dir"
    blocker.write_text("a file where the cache directory should be", encoding="utf-8")
    config = Config(root=project)
    expected = run(["."], config, project, jobs=1).findings
    assert run(["."], config, project, jobs=1, cache_dir=blocker / "cache").findings == expected


def test_warm_run_does_not_scan_python_files_again_for_helpers(tmp_path: Path, monkeypatch) -> None:
    """The project pre-pass asks of every Python file whether it may define a run(sql, params) helper; a
    warm run answers from the memo by content, and a changed file is scanned again."""
    project = _project(tmp_path)
    (project / "app" / "db.py").write_text("def run(conn, sql, args=()):\n    return conn.execute(sql, args)\n",
                                           encoding="utf-8")
    cache = project / ".sqllint_cache"
    config = Config(root=project)
    import sqllint.extract.project as index

    scanned: list[bytes] = []
    real = index.may_define_helper

    def counting(data: bytes) -> bool:
        scanned.append(data)
        return real(data)

    monkeypatch.setattr(index, "may_define_helper", counting)
    cold = run(["."], config, project, jobs=1, cache_dir=cache)
    assert len(scanned) == 2 and list(cache.glob("pyhelpers-*.json"))
    scanned.clear()
    assert run(["."], config, project, jobs=1, cache_dir=cache).findings == cold.findings
    assert scanned == []
    (project / "app" / "dao.py").write_text(DAO + "\n# edited\n", encoding="utf-8")
    run(["."], config, project, jobs=1, cache_dir=cache)
    assert len(scanned) == 1 and scanned[0].endswith(b"# edited\n")


def test_warm_run_does_not_parse_the_helper_modules_again(tmp_path: Path, monkeypatch) -> None:
    """The helpers found in the modules that may define one are remembered for the same files and
    contents; an edited helper module is read again."""
    project = _project(tmp_path)
    db = project / "app" / "db.py"
    db.write_text("def run(conn, sql, args=()):\n    return conn.execute(sql, args)\n", encoding="utf-8")
    cache = project / ".sqllint_cache"
    config = Config(root=project)
    import sqllint.extract.pyhelperindex as pyhelpers

    parsed: list[str] = []
    real = pyhelpers.helper_module

    def counting(data: bytes, path: str):  # type: ignore[no-untyped-def]
        parsed.append(path)
        return real(data, path)

    monkeypatch.setattr(pyhelpers, "helper_module", counting)
    run(["."], config, project, jobs=1, cache_dir=cache)
    assert "app/db.py" in parsed
    parsed.clear()
    run(["."], config, project, jobs=1, cache_dir=cache)
    assert parsed == []
    db.write_text("def run(conn, sql):\n    return conn.execute(sql)\n", encoding="utf-8")
    run(["."], config, project, jobs=1, cache_dir=cache)
    assert "app/db.py" in parsed


def test_documents_of_old_versions_and_option_sets_are_pruned_when_a_run_writes(tmp_path: Path) -> None:
    import os
    import time

    from sqllint.cache import KEEP_DOCUMENTS, STALE_AFTER_DAYS

    project = _project(tmp_path)
    cache = project / ".sqllint_cache"
    cache.mkdir()
    now = time.time()
    old = cache / "results-0ld0ld0ld0ld0ld0ld0ld0ld.json"  # a document an earlier sqllint left
    old.write_text("{}", encoding="utf-8")
    os.utime(old, (now - (STALE_AFTER_DAYS + 1) * 86_400,) * 2)
    recent = [cache / f"results-recent{i:02d}.json" for i in range(KEEP_DOCUMENTS + 2)]
    for age, path in enumerate(recent):  # used within the last hours, newest first
        path.write_text("{}", encoding="utf-8")
        os.utime(path, (now - 3600 - age * 60,) * 2)
    old_helpers = cache / "pyhelpers-0ld0ld0ld0ld0ld0.json"  # the Python helper memo of an earlier version
    unrelated = cache / "notes-0ld.json"
    for path in (old_helpers, unrelated):
        path.write_text("{}", encoding="utf-8")
        os.utime(path, (now - (STALE_AFTER_DAYS + 1) * 86_400,) * 2)

    config = Config(root=project)
    run(["."], config, project, jobs=1, cache_dir=cache)
    documents = sorted(cache.glob("results-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    assert not old.exists()
    assert len(documents) == KEEP_DOCUMENTS  # this run's document and the 7 most recently used ones
    assert set(documents[1:]) == set(recent[: KEEP_DOCUMENTS - 1])
    assert list(cache.glob("pyhelpers-*.json")) and not old_helpers.exists()
    assert unrelated.exists()  # only sqllint's own kinds of document are pruned


def test_a_warm_run_marks_its_document_used_so_it_is_not_pruned_as_stale(tmp_path: Path) -> None:
    import os
    import time

    from sqllint.cache import STALE_AFTER_DAYS, prune_stale

    project = _project(tmp_path)
    cache = project / ".sqllint_cache"
    config = Config(root=project)
    run(["."], config, project, jobs=1, cache_dir=cache)
    [document] = cache.glob("results-*.json")
    long_ago = time.time() - (STALE_AFTER_DAYS + 5) * 86_400
    os.utime(document, (long_ago, long_ago))
    run(["."], config, project, jobs=1, cache_dir=cache)  # all hits: nothing written
    assert document.stat().st_mtime > long_ago
    newer = cache / "results-newer.json"
    newer.write_text("{}", encoding="utf-8")
    assert prune_stale(cache, "results") == [] and document.exists()
