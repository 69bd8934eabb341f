"""Result cache: a file whose content, settings and sqllint are unchanged is not checked again.

A file's result (its findings and counts) is stored under a key made of the file's content hash, the
path it is reported under, the settings that affect checking (enabled rules, their options and
severities, limits, per-file ignores) and the code that checks it (sqllint's version, sqlglot's, and
the size and mtime of sqllint's own modules and rules, so that editing a rule in a checkout
invalidates the cache too). MyBatis XML and Java files are resolved against each other, so their keys
also cover every XML/Java file in the run.

Layout: ``<cache-dir>/results-<settings digest>.json``, one JSON document per settings, written
atomically; JSON rather than pickle, so that a cache directory committed or shared by mistake cannot
run code. A corrupt or unreadable cache is ignored (and rewritten), never an error. Every upgrade (or
edit of a checkout) and every new set of options starts a new document, so documents no run has read
for ``STALE_AFTER_DAYS`` are deleted, and of each kind only the ``KEEP_DOCUMENTS`` last used are kept.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from sqllint import __version__
from sqllint.files import SourceFile
from sqllint.records import Finding, Severity

CACHE_VERSION = 1
DEFAULT_CACHE_DIR = ".sqllint_cache"
MAX_ENTRIES = 50_000  # beyond this, only the entries of the current run are kept
STALE_AFTER_DAYS = 14  # a document no run has read for this long belongs to an old version or option set
KEEP_DOCUMENTS = 8  # per kind (results-, pyhelpers-): enough for the option sets one project alternates
_PROJECT_LANGUAGES = frozenset({"xml", "java", "go"})
_NOT_SETTINGS = frozenset({"project", "keep_parsed"})  # per-run data, not configuration
R = TypeVar("R")
T = TypeVar("T")


@functools.lru_cache(maxsize=1)
def _code_digest() -> str:
    """sqllint's own code as it is on disk (a checkout being edited invalidates the cache)."""
    import sqlglot

    import sqllint
    import sqllint.rules

    digest = hashlib.blake2b(f"{__version__}|{sqlglot.__version__}|{CACHE_VERSION}".encode(), digest_size=16)
    for package in (sqllint, sqllint.rules):
        for directory in package.__path__:
            for root, dirs, files in os.walk(directory):
                dirs[:] = sorted(d for d in dirs if d != "__pycache__")
                for name in sorted(files):
                    if name.endswith(".py"):
                        info = os.stat(os.path.join(root, name))
                        digest.update(f"{root}/{name}|{info.st_size}|{info.st_mtime_ns}".encode())
    return digest.hexdigest()


def _canonical(value: Any) -> Any:
    """A form whose JSON is the same in every process (set order follows the per-process hash seed)."""
    if isinstance(value, (set, frozenset)):
        return sorted((_canonical(v) for v in value), key=repr)
    if isinstance(value, dict):
        return sorted(([repr(k), _canonical(v)] for k, v in value.items()), key=lambda kv: kv[0])
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


def settings_digest(settings: Any) -> str:
    parts = {f.name: _canonical(getattr(settings, f.name)) for f in dataclasses.fields(settings)
             if f.name not in _NOT_SETTINGS}
    text = json.dumps(parts, sort_keys=True) + _code_digest()
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _finding_to_json(finding: Finding) -> dict[str, Any]:
    data = dataclasses.asdict(finding)
    data["severity"] = int(finding.severity)
    return data


def _finding_from_json(data: dict[str, Any]) -> Finding:
    return Finding(**{**data, "severity": Severity(data["severity"])})


class ResultCache:
    """Per-file results for one settings digest, loaded once and saved once per run."""

    def __init__(self, directory: Path, settings: Any) -> None:
        self.directory = directory
        self.path = directory / f"results-{settings_digest(settings)}.json"
        self.project_index = getattr(settings, "project", None)
        # The EXPLAIN stage reads every parsed statement: entries then carry them (without trees).
        self.keep_parsed = bool(getattr(settings, "keep_parsed", False))
        self.entries: dict[str, dict[str, Any]] = self._load()
        self.used: set[str] = set()
        self.hits = 0
        self.misses = 0

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        _mark_used(self.path)
        if not isinstance(data, dict) or data.get("version") != CACHE_VERSION or not isinstance(data.get("files"), dict):
            return {}
        return data["files"]

    @staticmethod
    def _content_hash(source: SourceFile, imports: dict[str, set[str]] | None) -> str | None:
        """The file's content digest; for a Python file, what it imports goes into ``imports`` (by path) when
        that is asked for (only when the project has functions whose runs are carried across modules)."""
        try:
            with open(source.absolute, "rb") as handle:
                data = handle.read()
        except OSError:
            return None  # unreadable: checked (and reported) every time
        if imports is not None and source.language == "python" and b"import" in data:
            from sqllint.extract.pyrunners import imported_modules

            imports[source.path] = imported_modules(data, source.path)
        return hashlib.blake2b(data, digest_size=16).hexdigest()

    def check(self, files: Sequence[SourceFile], check: Callable[[Sequence[SourceFile]], list[R]],
              make: Callable[..., R]) -> list[R]:
        """Results for ``files`` in order: cached ones rebuilt with ``make``, the rest from ``check``."""
        index = self.project_index
        runners = bool(index is not None and getattr(index, "python_runners", None))
        imports: dict[str, set[str]] = {}
        hashes = [self._content_hash(f, imports if runners else None) for f in files]
        project = hashlib.blake2b(digest_size=16)
        project.update(getattr(self.project_index, "digest", "").encode())  # mapper files not checked in this run
        for source, content in zip(files, hashes):
            if source.language in _PROJECT_LANGUAGES:
                project.update(f"{source.path}|{content}\n".encode())
        # A Python file's SQL depends on the other modules' run(sql, params) helpers (pyhelpers) and on what the
        # functions it imports run (pyrunners), not on their text: only modules it imports count, so editing
        # one DAO module re-checks its importers, not every Python file.
        shared = index.python_digest(set()) if index is not None and not runners else ""

        def python(path: str) -> str:
            depends = index.python_digest(imports.get(path, set())) if runners else shared  # type: ignore[union-attr]
            return hashlib.blake2b(depends.encode(), digest_size=16).hexdigest() if depends else ""
        keys: list[str | None] = []
        for source, content in zip(files, hashes):
            if content is None:
                keys.append(None)
                continue
            extra = project.hexdigest() if source.language in _PROJECT_LANGUAGES else \
                python(source.path) if source.language == "python" else ""
            keys.append(hashlib.blake2b(f"{source.path}|{source.language}|{content}|{extra}".encode(),
                                        digest_size=16).hexdigest())
        results: list[R | None] = []
        todo: list[int] = []
        for index, key in enumerate(keys):
            entry = self.entries.get(key) if key is not None else None
            if entry is None:
                results.append(None)
                todo.append(index)
                continue
            try:
                findings = [_finding_from_json(f) for f in entry["findings"]]
                extra = {"parsed": _restore(entry["parsed"])} if self.keep_parsed else {}
                results.append(make(findings=findings, **entry["counts"], **extra))
                self.used.add(key)  # type: ignore[arg-type]
                self.hits += 1
            except (KeyError, TypeError, ValueError):
                results.append(None)
                todo.append(index)
        self.misses = len(todo)
        if todo:
            for index, result in zip(todo, check([files[i] for i in todo])):
                results[index] = result
                key = keys[index]
                if key is not None:
                    self.entries[key] = self._entry(result)
                    self.used.add(key)
            self._save()
        return results  # type: ignore[return-value]

    def _entry(self, result: Any) -> dict[str, Any]:
        counts = {name: getattr(result, name) for name in ("queries", "statements", "parse_errors", "skipped")}
        entry = {"findings": [_finding_to_json(f) for f in result.findings], "counts": counts}
        if self.keep_parsed:  # an entry without statements is a miss for a run that needs them
            from sqllint.explain.facts import store

            entry["parsed"] = [store(item) for item in result.parsed]
        return entry

    def _save(self) -> None:
        entries = self.entries
        if len(entries) > MAX_ENTRIES:
            entries = {key: value for key, value in entries.items() if key in self.used}
        write_json_atomically(self.directory, self.path, {"version": CACHE_VERSION, "files": entries})


def write_json_atomically(directory: Path, path: Path, document: Any) -> None:
    """Write ``document`` to ``path`` through a temporary file and a rename, so a concurrent run reads the
    old or the new document, never half of one; a read-only checkout just gets no cache."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        gitignore = directory / ".gitignore"
        if not gitignore.exists():
            gitignore.write_text("# Created by sqllint: the cache is local to this machine.\n*\n", encoding="utf-8")
        handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=directory, prefix=f".{path.stem}.",
                                             suffix=".tmp", delete=False)
    except OSError:
        return
    try:
        with handle:
            json.dump(document, handle, separators=(",", ":"))
        os.replace(handle.name, path)
    except OSError:
        Path(handle.name).unlink(missing_ok=True)
        return
    prune_stale(directory, path.stem.split("-", 1)[0])


def _mark_used(path: Path) -> None:
    """A warm run reads its document without writing it: its mtime is what ``prune_stale`` goes by."""
    try:
        os.utime(path)
    except OSError:
        pass


def prune_stale(directory: Path, kind: str, now: float | None = None) -> list[Path]:
    """Delete ``<kind>-*.json`` documents of old sqllint versions or option sets (see the module doc);
    returns what was deleted. Runs after a write, so a warm run pays nothing."""
    documents = []
    for path in directory.glob(f"{kind}-*.json"):
        try:
            documents.append((path.stat().st_mtime, path))
        except OSError:
            continue
    documents.sort(reverse=True)
    cutoff = (time.time() if now is None else now) - STALE_AFTER_DAYS * 86_400
    # The newest document is the one just written (or read): never its own victim.
    stale = [path for rank, (mtime, path) in enumerate(documents)
             if rank > 0 and (rank >= KEEP_DOCUMENTS or mtime < cutoff)]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


class ContentMemo:
    """File content hash → a small JSON value a project pre-pass computed from that content, kept between
    runs so a warm run does not scan every file again (the code digest is part of the file name: a new
    sqllint version starts afresh)."""

    def __init__(self, directory: Path | None, name: str) -> None:
        self.directory = directory
        self.path = directory / f"{name}-{_code_digest()[:16]}.json" if directory is not None else None
        self.values: dict[str, Any] = {}
        self.used: set[str] = set()
        self.changed = False
        if self.path is not None:
            try:
                loaded = json.loads(self.path.read_text(encoding="utf-8"))
                self.values = loaded if isinstance(loaded, dict) else {}
                _mark_used(self.path)
            except (OSError, ValueError):
                pass

    def get(self, data: bytes, compute: Callable[[bytes], T], digest: bytes | None = None) -> T:
        """``compute(data)``, remembered by ``data``'s content; ``digest``: its blake2b-16 digest when the
        caller already has it (hashing each file of a large project twice showed in warm runs)."""
        key = (digest or hashlib.blake2b(data, digest_size=16).digest()).hex()
        self.used.add(key)
        if key in self.values:
            return self.values[key]
        value = self.values[key] = compute(data)
        self.changed = True
        return value

    def save(self) -> None:
        if self.path is None or self.directory is None or not self.changed:
            return
        values = self.values if len(self.values) <= MAX_ENTRIES else {k: self.values[k] for k in self.used}
        write_json_atomically(self.directory, self.path, values)


def _restore(records: list[dict[str, Any]]) -> list[Any]:
    from sqllint.explain.facts import restore  # only runs with a database read statements back

    return [restore(record) for record in records]
