"""Guarded sessions for ``--db-jobs N``: each worker thread gets its own (``Session`` is not shared)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqllint.explain.dsn import Dsn
from sqllint.explain.session import DatabaseUnavailable, Server, Session
from sqllint.explain.settings import ExplainSettings

T = TypeVar("T")
R = TypeVar("R")


class Pool:
    """Up to ``size`` sessions, opened when there is work for them; ``map_chunks`` gives each worker thread
    its own session."""

    def __init__(self, dsn: Dsn, settings: ExplainSettings, size: int, analyze: bool = False) -> None:
        self.dsn = dsn
        self.settings = settings
        self.size = max(1, size)
        self.analyze = analyze
        self.sessions: list[Session] = []
        self.notes: list[str] = []  # e.g. fewer connections than asked for

    def open(self) -> Pool:
        """Open the first session: it raises ``DatabaseUnavailable`` (nothing can be explained). The
        others are opened when there is work for them (a run answered from the plan cache needs one)."""
        self.sessions.append(Session(self.dsn, self.settings, self.analyze).open())
        return self

    def grow(self, wanted: int) -> None:
        """Up to ``wanted`` (at most ``size``) sessions; one the server refuses (``max_connections``
        reached) only makes the pool smaller."""
        while len(self.sessions) < min(wanted, self.size) and not self.notes:
            try:
                self.sessions.append(Session(self.dsn, self.settings, self.analyze).open())
            except DatabaseUnavailable as error:
                self.notes.append(f"opened {len(self.sessions)} of {self.size} connections ({error})")

    @property
    def server(self) -> Server | None:
        return self.sessions[0].server if self.sessions else None

    def run(self, session_fn: Callable[[Session], R]) -> R:
        """``session_fn`` on the first session (catalog reads and other one-off work)."""
        return session_fn(self.sessions[0])

    def map_chunks(self, fn: Callable[[Session, list[T]], object], items: Sequence[T], size: int) -> None:
        """``fn(session, chunk)`` over consecutive chunks of ``items``, at most ``size`` long; each session
        serves one thread, taking the next chunk when it is done with one (a slow statement does not
        stall the others). Chunks shrink for small runs, so every connection gets a share. Sessions not
        open yet are opened by their own threads, side by side (a TLS handshake to a remote server is tens
        of milliseconds); one the server refuses (``max_connections``) only makes the pool smaller."""
        # A connection costs a few ms: only worth it for enough work.
        width = max(len(self.sessions), min(self.size, len(items) // 8 + 1, len(items)))
        size = max(1, min(size, -(-len(items) // (2 * width)) if items else 1))
        chunks = [list(items[start:start + size]) for start in range(0, len(items), size)]
        if width <= 1:
            for chunk in chunks:
                fn(self.sessions[0], chunk)
            return
        cursor = iter(chunks)
        lock = threading.Lock()
        refused: list[str] = []

        def worker(session: Session | None) -> None:
            if session is None:
                try:
                    session = Session(self.dsn, self.settings, self.analyze).open()
                except DatabaseUnavailable as error:
                    with lock:
                        refused.append(str(error))
                    return  # the other sessions take its chunks
                with lock:
                    self.sessions.append(session)
            while True:
                with lock:
                    chunk = next(cursor, None)
                if chunk is None:
                    return
                fn(session, chunk)

        ready: list[Session | None] = [*self.sessions[:width]]
        ready += [None] * (width - len(ready))
        with ThreadPoolExecutor(max_workers=width) as executor:
            for future in [executor.submit(worker, session) for session in ready]:
                future.result()
        if refused:
            self.notes.append(f"opened {len(self.sessions)} of {width} connections ({refused[0]})")

    def close(self) -> None:
        for session in self.sessions:
            session.close()
        self.sessions.clear()

    def __enter__(self) -> Pool:
        return self.open()

    def __exit__(self, *_exc: object) -> None:
        self.close()
