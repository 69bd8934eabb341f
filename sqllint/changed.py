"""``--diff-base REF``: the files changed since a git ref, so that a PR is judged on what it touches.

"Changed" is what ``git diff`` shows between the merge base of REF and HEAD and the working tree
(committed, staged and unstaged changes alike), plus untracked files that are not ignored; deleted
files are left out, since there is nothing left to check.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path


class DiffBaseError(Exception):
    """git is missing, this is not a repository, or the ref does not exist."""


def _git(args: list[str], cwd: Path) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except OSError as error:
        raise DiffBaseError(f"cannot run git: {error}") from None
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise DiffBaseError(f"git {' '.join(args[:2])}: {detail}")
    return done.stdout


def changed_files(ref: str, cwd: Path) -> list[Path]:
    """Absolute paths of existing files changed since ``ref`` (against its merge base with HEAD)."""
    top = Path(_git(["rev-parse", "--show-toplevel"], cwd).strip())
    try:
        _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd)
    except DiffBaseError:
        raise DiffBaseError(f"--diff-base: {ref!r} is not a commit in this repository") from None
    base = _git(["merge-base", ref, "HEAD"], cwd).strip() or ref
    names = _git(["diff", "--name-only", "--no-renames", "--diff-filter=d", "-z", base, "--"], top).split("\0")
    names += _git(["ls-files", "--others", "--exclude-standard", "-z"], top).split("\0")
    return sorted({(top / name).resolve() for name in names if name and (top / name).is_file()})


def within(changed: Iterable[Path], paths: Iterable[str], cwd: Path) -> list[str]:
    """The changed files that lie under one of ``paths`` (files or directories named on the command line)."""
    roots = [(cwd / p).resolve() for p in paths]
    selected = []
    for path in changed:
        if any(path == root or root in path.parents for root in roots):
            try:
                selected.append(path.relative_to(cwd.resolve()).as_posix())
            except ValueError:
                selected.append(str(path))
    return selected
