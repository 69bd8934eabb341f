"""The static pipeline over a run's files: discover → project index → check each file (``checker``,
in worker processes when there are many) → result cache → findings and stats.

Files are independent, so each is processed on its own; what files share (MyBatis fragments, mapper
statements, Java callees, Python helpers) is read first into the project index.
"""

from __future__ import annotations

import dataclasses
import gc
import multiprocessing
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqllint.checker import FileChecker, FileResult, Settings
from sqllint.config import Config
from sqllint.extract import SUFFIXES
from sqllint.files import SourceFile, discover, read_source
from sqllint.records import Finding, ParsedQuery, Severity
from sqllint.registry import Registry, builtin_registry

PARALLEL_MIN_FILES = 48  # below this, starting workers costs more than it saves


@dataclass
class Stats:
    files: int = 0
    queries: int = 0
    statements: int = 0
    parse_errors: int = 0
    skipped_files: int = 0
    baselined: int = 0  # findings not reported because the baseline holds them (set by sqllint.gate)

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


@dataclass
class RunResult:
    findings: list[Finding]
    stats: Stats
    parsed: list[ParsedQuery] = field(default_factory=list)  # statements, when run(keep_parsed=True)

    def exit_code(self, fail_on: Severity) -> int:
        return 1 if any(f.severity >= fail_on for f in self.findings) else 0


# --- running over many files -------------------------------------------------------------------

_worker_checker: FileChecker | None = None


def _worker_init(settings: Settings) -> None:
    global _worker_checker  # one checker per worker process, built once
    _worker_checker = FileChecker(settings)
    gc.set_threshold(*GC_THRESHOLD)


def _worker_check(batch: list[SourceFile]) -> list[FileResult]:
    assert _worker_checker is not None
    results = [_collected(_worker_checker.check(source)) for source in batch]
    if any(result.parsed for result in results):  # keep_parsed: the EXPLAIN stage reads them
        from sqllint.explain.facts import MEMO_KEY, facts_of

        for result in results:  # trees stay in the worker; what the EXPLAIN stage needs first goes along
            result.parsed = [dataclasses.replace(item, tree=None, _nodes={}, _memo={
                MEMO_KEY: facts_of(item)} if item.tree is not None else {})
                for item in result.parsed]
    return results


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


# sqlglot trees are many small objects that live for one file; at the default gen-0 threshold (700)
# the cycle collector keeps walking them while they are alive (a fifth to a third of a run's time).
GC_THRESHOLD = (50_000, 20, 20)


def _collected(result: FileResult) -> FileResult:
    """Free the file's trees now. They are cycles (a node and its ``parent``), which only the collector
    frees; left to the raised thresholds, those that outlived a collection mid-file piled up in older
    generations (a worker's RSS 113 MB instead of 70 MB on 150 files). Once per file, on young
    generations holding mostly that garbage, it costs no measurable time."""
    gc.collect(1)
    return result


@contextmanager
def _fewer_collections() -> Iterator[None]:
    previous = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def check_files(files: Sequence[SourceFile], settings: Settings, jobs: int) -> list[FileResult]:
    if jobs <= 1 or len(files) < PARALLEL_MIN_FILES:
        checker = FileChecker(settings)
        with _fewer_collections():
            return [_collected(checker.check(source)) for source in files]
    size = max(1, min(64, len(files) // (jobs * 4)))
    batches = [list(files[i : i + size]) for i in range(0, len(files), size)]
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_worker_init,
                             initargs=(settings,)) as pool:
        return [result for batch in pool.map(_worker_check, batches) for result in batch]


def _rest_of_project(found: list[SourceFile], paths: Iterable[str], cwd: Path, config: Config,
                     exclude: tuple[str, ...]) -> list[SourceFile]:
    """Mapper XML, Java and Go files under the project root that were not named, and for named Python files
    the modules they import and the .sql files (read only if they load named queries): a partial run
    (pre-commit, one changed file) still resolves ``<include refid="other.Mapper.cols">``, mapper calls,
    another module's ``run(sql, params)`` helper and ``queries.get_user(conn)`` (aiosql)."""
    root = config.root.resolve()
    if any((cwd / p).resolve() in (root, *root.parents) for p in paths) or not root.is_dir():
        return []  # the checked paths already cover the whole project
    from sqllint.extract.pyimports import CONTEXT_LANGUAGES, python_context

    python = [f.absolute for f in found if f.language == "python"]
    wanted = {"xml", "java", "go"} | (CONTEXT_LANGUAGES if python else set())
    languages = {suffix: language for suffix, language in SUFFIXES.items() if language in wanted}
    known = {f.absolute for f in found}
    wider = [f for f in discover([str(root)], cwd, config.root, exclude, languages, config.respect_gitignore,
                                 config.force_exclude).files if f.absolute not in known]
    context = {f.absolute for f in python_context(python, wider, root,
                                                  lambda path: read_source(path, config.max_file_size).data)}
    return [f for f in wider if f.language not in CONTEXT_LANGUAGES or f.absolute in context]


def run(paths: Iterable[str], config: Config, cwd: Path, jobs: int | None = None,
        registry: Registry | None = None, keep_parsed: bool = False, cache_dir: Path | None = None) -> RunResult:
    """Check the files under ``paths``. With ``cache_dir``, files whose content and settings are unchanged
    are not checked again (``sqllint.cache``); with ``keep_parsed`` the cache keeps the statements too."""
    registry = registry or builtin_registry()
    settings = dataclasses.replace(Settings.from_config(config, registry), keep_parsed=keep_parsed)
    exclude = tuple(config.exclude) + tuple(config.extend_exclude)
    found = discover(list(paths), cwd, config.root, exclude, SUFFIXES, config.respect_gitignore,
                     config.force_exclude)
    project_files: list[SourceFile] = []
    if any(f.language in ("xml", "java", "go", "python") for f in found.files):
        from sqllint.extract.project import build_index  # MyBatis/Java/Go, and Python's run(sql) helpers

        project_files = found.files + _rest_of_project(found.files, paths, cwd, config, exclude)
        memo = None
        if cache_dir is not None:
            from sqllint.cache import ContentMemo

            memo = ContentMemo(cache_dir, "pyhelpers")
        settings = dataclasses.replace(settings, project=build_index(project_files, settings.max_file_size,
                                                                     callees=False, memo=memo))
        if memo is not None:
            memo.save()

    def check_todo(todo: Sequence[SourceFile]) -> list[FileResult]:
        """The Java callee pre-pass (as costly as extracting the DAOs) only when a Java file is checked."""
        if settings.project is None or not any(f.language == "java" for f in todo):
            return check_files(todo, settings, workers)
        from sqllint.extract.project import with_callees

        project = with_callees(settings.project, project_files, settings.max_file_size)
        return check_files(todo, dataclasses.replace(settings, project=project), workers)

    findings: list[Finding] = []
    stats = Stats()
    parsed: list[ParsedQuery] = []
    if "E003" in settings.enabled:
        rule = registry["E003"]
        findings += [Finding("E003", rule.name, settings.severities["E003"], note.path, note.line, 1, note.message)
                     for note in found.notes]
    workers = jobs if jobs is not None else default_jobs()
    if cache_dir is None:
        results = check_todo(found.files)
    else:  # imported here: runs without a cache do not pay for it
        from sqllint.cache import ResultCache

        results = ResultCache(cache_dir, settings).check(found.files, check_todo, FileResult)
    for result in results:
        findings.extend(result.findings)
        parsed.extend(result.parsed)
        stats.files += 1
        stats.queries += result.queries
        stats.statements += result.statements
        stats.parse_errors += result.parse_errors
        stats.skipped_files += int(result.skipped)
    stats.skipped_files += len(found.notes)
    findings.sort(key=Finding.sort_key)
    return RunResult(findings, stats, parsed)
