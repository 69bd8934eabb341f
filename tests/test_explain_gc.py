"""The EXPLAIN stage freezes the heap it starts with (collections during the run skip it) and leaves the
collector as it found it."""

from __future__ import annotations

import gc

from sqllint.explain.stage import _collect_young_only


def test_the_stage_freezes_the_old_heap_and_unfreezes_it() -> None:
    assert gc.get_freeze_count() == 0
    old = [object() for _ in range(10)]  # tracked containers that exist before the stage
    with _collect_young_only():
        assert gc.get_freeze_count() >= len(old)
    assert gc.get_freeze_count() == 0


def test_someone_elses_freeze_is_left_alone() -> None:
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        with _collect_young_only():
            pass
        assert gc.get_freeze_count() == before  # not unfrozen by the stage
    finally:
        gc.unfreeze()
