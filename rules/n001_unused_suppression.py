"""Suppression hygiene: a ``sqllint: ignore[…]`` that no longer silences anything."""

from __future__ import annotations

from sqllint.records import Severity
from sqllint.registry import rule


@rule(code="N001", name="unused-suppression", severity=Severity.INFO, target="source")
def unused_suppression() -> None:
    """A ``sqllint: ignore[CODE]`` on a statement where that rule raises nothing (or is not enabled, or
    does not exist).

    ## Why is this bad?
    A suppression outlives the problem it silenced: the query was fixed, moved or rewritten, and the
    comment stays, ready to hide the next real finding of that rule on the statement. Like ruff's
    ``RUF100``, this reports suppressions that match nothing in this run, so they can be removed.

    Judged: the static statement rules (S) and E001/E004/E005. Not judged: plan (P), regression (R)
    and trace (T) codes, which need a database or a log; M001/M002, which ``check --endpoints`` may
    raise across a call chain where the file's own check sees nothing; blanket ``ignore`` and
    ``ignore-file`` directives; codes an extractor applies itself (E021–E024).

    ## Example
    ```python bad
    def load(cur, uid):
        cur.execute("SELECT name FROM users WHERE id = %s", (uid,))  # sqllint: ignore[S005]
    ```
    ```python good
    def load(cur, uid):
        cur.execute("SELECT name FROM users WHERE id = %s", (uid,))
    ```
    """
