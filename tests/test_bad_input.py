"""Bad input gets a finding or a note and the run goes on: never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

from sqllint.config import Config
from sqllint.engine import FileChecker, Settings, run
from sqllint.files import SourceFile
from sqllint.records import Severity
from sqllint.registry import Registry, Rule, builtin_registry

DELETE_ALL = "DELETE FROM users;\n"


def check(tmp_path: Path, **config: object) -> list[tuple[str, str, int]]:
    result = run(["."], Config(root=tmp_path, **config), tmp_path, jobs=1)  # type: ignore[arg-type]
    return [(f.path, f.rule, f.line) for f in result.findings]


def test_binary_file_is_noted_and_others_still_checked(tmp_path: Path) -> None:
    (tmp_path / "dump.sql").write_bytes(b"\x00\x01\x02SELECT" * 100)
    (tmp_path / "ok.sql").write_text(DELETE_ALL, encoding="utf-8")
    assert check(tmp_path) == [("dump.sql", "E003", 1), ("ok.sql", "S004", 1)]


def test_invalid_utf8_is_noted_and_decoded_with_replacement(tmp_path: Path) -> None:
    (tmp_path / "latin.sql").write_bytes("SELECT id FROM t WHERE name = 'caf\xe9';\n".encode("latin-1") + DELETE_ALL.encode())
    (tmp_path / "latin.py").write_bytes(b"def f(cur):\n    # caf\xe9\n    cur.execute('DELETE FROM users')\n")
    found = check(tmp_path)
    assert ("latin.sql", "E003", 1) in found and ("latin.sql", "S004", 2) in found
    assert ("latin.py", "E003", 1) in found and ("latin.py", "S004", 3) in found


def test_python_syntax_error_is_a_finding(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def f(cur:\n    cur.execute('DELETE FROM users')\n", encoding="utf-8")
    (tmp_path / "ok.sql").write_text(DELETE_ALL, encoding="utf-8")
    assert check(tmp_path) == [("broken.py", "E002", 1), ("ok.sql", "S004", 1)]


def test_file_over_the_size_limit_is_skipped_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "big.sql").write_text(DELETE_ALL * 1000, encoding="utf-8")
    result = run(["."], Config(root=tmp_path, max_file_size=1024), tmp_path, jobs=1)
    [finding] = result.findings
    assert finding.rule == "E003" and "max-file-size" in finding.message and finding.severity == Severity.INFO


def test_unparseable_sql_is_a_finding_with_the_parser_position(tmp_path: Path) -> None:
    (tmp_path / "q.sql").write_text("SELECT 1;\n\nSELECT id\nFROM users WHERE (a = 1;\n" + DELETE_ALL, encoding="utf-8")
    result = run(["."], Config(root=tmp_path), tmp_path, jobs=1)
    assert [(f.rule, f.line) for f in result.findings] == [("E001", 4), ("S004", 5)]
    assert "Expecting )" in result.findings[0].message
    assert result.stats.parse_errors == 1


def test_symlink_loop_is_noted_once(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "q.sql").write_text(DELETE_ALL, encoding="utf-8")
    os.symlink(tmp_path / "src", tmp_path / "src" / "again")
    found = check(tmp_path)
    assert ("src/q.sql", "S004", 1) in found
    assert [f for f in found if f[1] == "E003"] == [("src/again", "E003", 1)]


def test_skipped_directories_and_gitignore(tmp_path: Path) -> None:
    for directory in (".git", "node_modules", "venv_custom", "generated", "target"):
        (tmp_path / directory).mkdir()
        (tmp_path / directory / "q.sql").write_text(DELETE_ALL, encoding="utf-8")
    (tmp_path / "venv_custom" / "pyvenv.cfg").write_text("home = /usr\n", encoding="utf-8")
    (tmp_path / ".gitignore").write_text("generated/\n", encoding="utf-8")
    (tmp_path / "real.sql").write_text(DELETE_ALL, encoding="utf-8")
    assert check(tmp_path) == [("real.sql", "S004", 1)]
    assert len(check(tmp_path, respect_gitignore=False)) == 2  # generated/ comes back


def test_a_crashing_rule_becomes_a_finding_and_the_others_still_run(tmp_path: Path) -> None:
    def explode(query, options):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    base = builtin_registry()
    broken = Rule("S900", "always-crashes", Severity.WARNING, "query", explode, {}, "Crashes.")
    registry = Registry(base.rules + (broken,))
    settings = Settings.from_config(Config(root=tmp_path), registry)
    (tmp_path / "q.sql").write_text(DELETE_ALL, encoding="utf-8")
    result = FileChecker(settings, registry).check(SourceFile("q.sql", tmp_path / "q.sql", "sql"))
    assert sorted(f.rule for f in result.findings) == ["E005", "S004"]
    assert "S900" in next(f.message for f in result.findings if f.rule == "E005")


def test_a_directory_named_explicitly_is_checked_even_inside_ignored_or_excluded_places(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("/versions/\n", encoding="utf-8")
    inner = tmp_path / "versions" / "build" / "pkg"
    (inner / "generated").mkdir(parents=True)
    (inner / "q.sql").write_text(DELETE_ALL, encoding="utf-8")
    (inner / "generated" / "skip.sql").write_text(DELETE_ALL, encoding="utf-8")
    (inner / ".gitignore").write_text("generated/\n", encoding="utf-8")
    # versions/ is git-ignored and build/ is a default exclude, yet the user asked for this directory;
    # below it, .gitignore still applies.
    result = run([str(inner)], Config(root=tmp_path), tmp_path, jobs=1)
    assert [(f.path, f.rule) for f in result.findings] == [("versions/build/pkg/q.sql", "S004")]
