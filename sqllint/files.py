"""Find the source files to check and read them defensively.

The walk skips version-control and tool directories, virtualenvs (any directory holding a
``pyvenv.cfg``), what ``.gitignore`` files ignore and the configured excludes; it follows directory
symlinks once and reports loops. Reading never raises: binary files, files over the size limit and
undecodable text become notes (rule E003) and the run goes on.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

@dataclass(frozen=True)
class SourceFile:
    path: str  # for reports: relative to the working directory when below it
    absolute: Path
    language: str


@dataclass(frozen=True)
class FileNote:
    path: str
    message: str
    line: int = 1


@dataclass
class Discovery:
    files: list[SourceFile] = field(default_factory=list)
    notes: list[FileNote] = field(default_factory=list)


class MissingPathError(Exception):
    """A path named on the command line does not exist."""


def display_path(path: Path, cwd: Path) -> str:
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        return path.as_posix()


class _Ignores:
    """Configured excludes plus .gitignore files from the repository root down.

    Exclusion is judged below the directory the walk started from: a directory named on the command
    line is checked even when it sits inside something excluded or git-ignored (pyenv's
    ``versions/``, a ``build/`` the user asked for), but what lies below it is filtered as usual.
    """

    _PROBE = "sqllint-probe-name"

    def __init__(self, root: Path, patterns: Iterable[str], respect_gitignore: bool) -> None:
        self.root = root
        patterns = list(patterns)
        # Bare names ("node_modules") match a component anywhere; globs are anchored at the root.
        self.names = {p for p in patterns if "/" not in p and not any(c in p for c in "*?[")}
        self.spec = pathspec.GitIgnoreSpec.from_lines([p for p in patterns if p not in self.names])
        self.respect_gitignore = respect_gitignore
        self.gitignores: dict[Path, pathspec.PathSpec | None] = {}
        # Per walk start: what it inherits from above (the same for every file under it); per directory:
        # its ancestors up to the repository root (a stat of ``.git`` each). Both were asked again for
        # every file: ~0.1 s of a warm run over 800 files.
        self._inherited: dict[Path, tuple[bool, bool]] = {}
        self._ancestors: dict[Path, tuple[Path, ...]] = {}

    def _gitignore(self, directory: Path) -> pathspec.PathSpec | None:
        if directory not in self.gitignores:
            spec = None
            candidate = directory / ".gitignore"
            if candidate.is_file():
                try:
                    lines = candidate.read_text(encoding="utf-8", errors="replace").splitlines()
                    spec = pathspec.GitIgnoreSpec.from_lines(lines)
                except (OSError, ValueError):
                    spec = None
            self.gitignores[directory] = spec
        return self.gitignores[directory]

    def _glob(self, path: Path, is_dir: bool) -> bool:
        try:
            relative = path.relative_to(self.root).as_posix()
        except ValueError:
            return False
        return relative != "." and self.spec.match_file(relative + ("/" if is_dir else ""))

    def _git_ignored(self, path: Path, is_dir: bool, ceiling: Path | None) -> bool:
        parent = path.parent
        ancestors = self._ancestors.get(parent)
        if ancestors is None:
            ancestors = self._ancestors[parent] = tuple(_ancestors_within_repo(parent))
        for directory in ancestors:
            spec = self._gitignore(directory)
            if spec is not None and spec.match_file(path.relative_to(directory).as_posix() + ("/" if is_dir else "")):
                return True
            if directory == ceiling:
                break
        return False

    def excluded(self, path: Path, is_dir: bool, start: Path | None = None) -> bool:
        """Is ``path`` excluded? With ``start``, only reasons below ``start`` count."""
        if start is None:  # a path named explicitly (--force-exclude): every component counts
            try:
                below: tuple[str, ...] = path.relative_to(self.root).parts
            except ValueError:
                below = path.parts
            inherited_glob = inherited_git = False
        else:
            below = path.relative_to(start).parts
            if start not in self._inherited:
                probe = start / self._PROBE
                self._inherited[start] = (self._glob(probe, False),
                                          self.respect_gitignore and self._git_ignored(probe, False, None))
            inherited_glob, inherited_git = self._inherited[start]
        directories = below if is_dir else below[:-1]
        if self.names.intersection(directories):
            return True
        if not inherited_glob and self._glob(path, is_dir):
            return True
        if is_dir and (path / "pyvenv.cfg").exists():
            return True
        if self.respect_gitignore:
            return self._git_ignored(path, is_dir, start if inherited_git else None)
        return False


def _ancestors_within_repo(directory: Path) -> Iterator[Path]:
    """The directory and its parents up to (and including) the enclosing git repository's root."""
    for candidate in (directory, *directory.parents):
        yield candidate
        if (candidate / ".git").exists():
            return


def discover(
    paths: Iterable[str],
    cwd: Path,
    root: Path,
    exclude: Iterable[str],
    languages: Mapping[str, str],
    respect_gitignore: bool = True,
    force_exclude: bool = False,
) -> Discovery:
    """Files to check under ``paths`` (files named explicitly are checked unless ``force_exclude``)."""
    ignores = _Ignores(root, exclude, respect_gitignore)
    found = Discovery()
    seen: set[Path] = set()
    for given in paths:
        start = (cwd / given) if not Path(given).is_absolute() else Path(given)
        if not os.path.lexists(start):
            raise MissingPathError(given)
        if start.is_file() or not start.exists():
            language = languages.get(start.suffix.lower())
            if language is None or (force_exclude and ignores.excluded(start.absolute(), False)):
                continue
            _add(found, seen, start, cwd, language)
            continue
        if force_exclude and ignores.excluded(start.absolute(), True):
            continue
        _walk(start.absolute(), cwd, ignores, languages, found, seen)
    return found


def _add(found: Discovery, seen: set[Path], path: Path, cwd: Path, language: str) -> None:
    absolute = path.absolute()
    if absolute in seen:
        return
    seen.add(absolute)
    found.files.append(SourceFile(display_path(absolute, cwd), absolute, language))


def _walk(
    top: Path, cwd: Path, ignores: _Ignores, languages: Mapping[str, str], found: Discovery, seen: set[Path]
) -> None:
    visited_dirs: set[tuple[int, int]] = set()
    stack = [top]
    while stack:
        directory = stack.pop()
        try:
            info = directory.stat()
        except OSError as error:
            found.notes.append(FileNote(display_path(directory, cwd), f"cannot read directory: {error.strerror}"))
            continue
        identity = (info.st_dev, info.st_ino)
        if identity in visited_dirs:
            found.notes.append(FileNote(display_path(directory, cwd), "skipped: symlink loop (directory already visited)"))
            continue
        visited_dirs.add(identity)
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as error:
            found.notes.append(FileNote(display_path(directory, cwd), f"cannot read directory: {error.strerror}"))
            continue
        subdirs = []
        for entry in entries:
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError:
                is_dir = False
            if is_dir:
                if not ignores.excluded(path, True, top):
                    subdirs.append(path)
                continue
            language = languages.get(path.suffix.lower())
            if language is None:
                continue
            if entry.is_symlink() and not path.exists():
                found.notes.append(FileNote(display_path(path, cwd), "skipped: broken symlink"))
                continue
            if not ignores.excluded(path, False, top):
                _add(found, seen, path, cwd, language)
        stack.extend(reversed(subdirs))


@dataclass(frozen=True)
class ReadResult:
    data: bytes | None
    note: str | None = None


def read_source(path: Path, max_size: int) -> ReadResult:
    """The file's bytes, or why they were not read. Never raises."""
    try:
        size = path.stat().st_size
        if size > max_size:
            return ReadResult(None, f"skipped: {size:,} bytes is over max-file-size ({max_size:,} bytes)")
        with open(path, "rb") as handle:
            data = handle.read(max_size + 1)
    except OSError as error:
        return ReadResult(None, f"cannot read: {error.strerror or error}")
    if b"\x00" in data[:8192]:
        return ReadResult(None, "skipped: binary file")
    return ReadResult(data)


def decode_text(data: bytes) -> tuple[str, str | None]:
    """UTF-8 text (BOM stripped); undecodable bytes are replaced and reported."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return (data.decode("utf-8-sig", errors="replace"),
                f"not valid UTF-8 (first bad byte at line {line}); undecodable bytes were replaced")
