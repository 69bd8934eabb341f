"""Findings the EXPLAIN stage raises when a statement could not be explained; they have no check."""

from __future__ import annotations

from sqllint.records import Severity
from sqllint.registry import rule


@rule(code="E010", name="explain-failed", severity=Severity.WARNING, target="source")
def explain_failed() -> None:
    """The staging server refused to explain the statement; the finding carries the server's message.

    ## Why is this bad?
    Most often it is schema drift: the code names a table or column that the staging database does not
    have (``Unknown column 'x' in 'where clause'``) — either the staging schema is behind, or the code
    will fail in production too. It can also be SQL the server does not accept.
    """


@rule(code="E011", name="explain-time-limit", severity=Severity.WARNING, target="source")
def explain_time_limit() -> None:
    """Explaining the statement took longer than the per-statement time limit; the run went on.

    ## Why is this bad?
    EXPLAIN normally answers in milliseconds. When it does not, the optimizer is doing real work (MariaDB
    may evaluate constant subqueries while planning), or the server is overloaded. Raise
    ``statement-timeout`` in ``[tool.sqllint.explain]`` if the server is just slow.
    """
