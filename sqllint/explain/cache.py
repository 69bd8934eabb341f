"""On-disk plan cache, so an unchanged query against an unchanged schema is not explained again.

The key is the query's fingerprint, its variant/rewrite and binding, the server (flavor and version)
and a hash of the referenced tables' definitions and row-estimate buckets (``Catalog.fingerprint``):
adding an index, changing a column or a table growing ~3× all change the key. SQLite (stdlib) holds
the entries: one file, safe under concurrent writers, fast for many small rows.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path

from sqllint.explain.plan import Plan

_SCHEMA = "CREATE TABLE IF NOT EXISTS plans (key TEXT PRIMARY KEY, plan TEXT NOT NULL)"


def cache_key(*parts: str) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()


class PlanCache:
    """Thread-safe: one SQLite connection guarded by a lock (lookups are microseconds)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / "plans.sqlite3"
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> Plan | None:
        with self._lock:
            row = self._db.execute("SELECT plan FROM plans WHERE key = ?", (key,)).fetchone()
            if row is None:
                self.misses += 1
                return None
            self.hits += 1
        return Plan.from_json(row[0])

    def put_many(self, items: list[tuple[str, Plan]]) -> None:
        if not items:
            return
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO plans (key, plan) VALUES (?, ?)",
                                 [(key, plan.to_json()) for key, plan in items])

    def close(self) -> None:
        with self._lock:
            self._db.close()
