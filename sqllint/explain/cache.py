"""On-disk plan cache, so an unchanged query against an unchanged schema is not explained again.

The key is the query's fingerprint and text (the variant/rewrite included), the server (flavor,
version, host and port), the database name and a hash of the referenced tables' definitions and row-estimate buckets
(``Catalog.fingerprint``): adding an index, changing a column or a table growing ~3× all change the key.
The binding is a function of the text and those definitions, so it is stored with the plan and a warm
run neither binds nor explains. SQLite (stdlib) holds the entries: one file, safe under concurrent
writers, fast for many small rows. Each entry remembers the day it was last used; a run that writes
deletes entries unused for ``STALE_AFTER_DAYS`` (plans of old schemas, queries and sqllint versions),
so the file does not grow without end.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import NamedTuple

from sqllint.explain.binding import Binding
from sqllint.explain.plan import Plan

# The binding's text and key in columns of their own, and the (mostly empty) lists as JSON: a warm run
# reads thousands of rows, and decoding JSON was most of its time.
_SCHEMA = ("CREATE TABLE IF NOT EXISTS plans5 (key TEXT PRIMARY KEY, plan TEXT NOT NULL, sql TEXT NOT NULL, "
           "binding_key TEXT NOT NULL, guesses TEXT NOT NULL, violations TEXT NOT NULL, used INTEGER NOT NULL)")
_OLD_TABLES = ("plans3", "plans4")  # earlier layouts: their entries would never be read again
_EMPTY = "[]"
_TABLE = "plans5"
STALE_AFTER_DAYS = 30
_CHUNK = 500  # SQLite's limit on bound parameters is 999 in older versions


class CachedPlan(NamedTuple):  # not a frozen dataclass: a warm run builds thousands
    plan_json: str  # ``Plan.to_json``: decoded only when something reads the plan (most warm runs do not)
    binding: Binding
    violations: tuple[tuple[str, str, str | None], ...]  # (rule code, message, suggestion) from plan rules

    def plan(self) -> Plan:
        return Plan.from_json(self.plan_json)


def cache_key(*parts: str) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()


class PlanCache:
    """Thread-safe: one SQLite connection guarded by a lock (lookups are microseconds)."""

    def __init__(self, directory: Path, today: int | None = None) -> None:
        """Raises ``OSError``/``sqlite3.Error`` when the directory cannot hold a cache; a file that is not
        a cache (corrupt, truncated) is replaced: its entries are only ever a saving."""
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / "plans.sqlite3"
        try:
            self._db = self._connect()
        except sqlite3.DatabaseError:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            self._db = self._connect()
        self._lock = threading.Lock()
        self.today = int(time.time() // 86_400) if today is None else today  # days since the epoch
        self.hits = 0
        self.misses = 0
        self.problem: str | None = None  # the first failed read or write, for a warning

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, timeout=10)
        try:
            # Set up once per file, not on every run: one read tells whether the file holds exactly the
            # current table (an older sqllint may have added its own since).
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables != {_TABLE}:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(_SCHEMA)
                for table in _OLD_TABLES:
                    db.execute(f"DROP TABLE IF EXISTS {table}")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def get_many(self, keys: list[str]) -> dict[str, CachedPlan]:
        """The entries found among ``keys`` (one query per few hundred keys)."""
        found: dict[str, CachedPlan] = {}
        with self._lock:
            try:
                self._read(keys, found)
            except (sqlite3.Error, ValueError, TypeError) as error:  # unreadable entries: explain again
                self.problem = self.problem or str(error)
                found.clear()
        self.hits += len(found)
        self.misses += len(keys) - len(found)
        return found

    def _read(self, keys: list[str], found: dict[str, CachedPlan]) -> None:
        stale_marks: list[str] = []
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            marks = ", ".join("?" * len(chunk))
            for key, plan, sql, binding_key, guesses, violations, used in self._db.execute(
                    "SELECT key, plan, sql, binding_key, guesses, violations, used FROM plans5 "
                    f"WHERE key IN ({marks})", chunk):
                found[key] = CachedPlan(plan, Binding(sql, binding_key, () if guesses == _EMPTY else
                                                      tuple(json.loads(guesses))),
                                        () if violations == _EMPTY else tuple(tuple(v) for v in json.loads(violations)))
                if used != self.today:
                    stale_marks.append(key)
        # Mark hits used today: at most one small write per entry per day, so warm runs stay reads. A cache
        # that cannot be written (read-only, locked) still answers.
        try:
            for start in range(0, len(stale_marks), _CHUNK):
                chunk = stale_marks[start : start + _CHUNK]
                with self._db:
                    self._db.execute(f"UPDATE plans5 SET used = ? WHERE key IN ({', '.join('?' * len(chunk))})",
                                     [self.today, *chunk])
        except sqlite3.Error:
            pass

    def put_many(self, items: list[tuple[str, CachedPlan]]) -> None:
        if not items:
            return
        with self._lock:
            try:
                self._write(items)
            except sqlite3.Error as error:  # disk full, read-only: the run's findings do not depend on it
                self.problem = self.problem or str(error)

    def _write(self, items: list[tuple[str, CachedPlan]]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO plans5 (key, plan, sql, binding_key, guesses, violations, used) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(key, entry.plan_json, entry.binding.sql, entry.binding.key, json.dumps(list(entry.binding.guesses)),
                  json.dumps([list(v) for v in entry.violations]), self.today) for key, entry in items])
            self._db.execute("DELETE FROM plans5 WHERE used < ?", (self.today - STALE_AFTER_DAYS,))

    def close(self) -> None:
        with self._lock:
            self._db.close()
