"""Findings the regression gate raises by comparing a query's plan with the baseline's (no check function)."""

from __future__ import annotations

from sqllint.records import Severity
from sqllint.registry import Option, rule


@rule(code="R001", name="plan-regression", severity=Severity.ERROR, target="source",
      options={"rows-factor": Option(10, "row estimate growth (× the baseline's) that counts as a regression", minimum=2)})
def plan_regression() -> None:
    """The query's plan got worse than the plan recorded in the baseline.

    ## Why is this bad?
    A plan that silently degrades is how a fast endpoint becomes an incident: an index dropped or no
    longer chosen, a join order flipped, a subquery turned dependent. Per table, a regression is an
    access type further down MySQL's order (system, const, eq_ref, ref, fulltext, ref_or_null,
    index_merge, unique_subquery, index_subquery, range, index, ALL), a key that is no longer used, a
    row estimate that grew past ``rows-factor`` (default 10×), ``Using filesort``, ``Using temporary`` or
    a dependent subquery that appeared; per query, more tables joined. The finding shows each change as
    before → after. Fix the query or the schema, or accept the new plan with ``--update-baseline``.

    ## Example
    A baseline that recorded ``orders: ref on idx_orders_user, 12 rows`` and a plan that now reads
    ``orders: ALL, no key, 480000 rows`` is reported as
    ``orders: access ref → ALL, key idx_orders_user → none, rows 16 → 480000``.
    """


@rule(code="R002", name="plan-improvement", severity=Severity.INFO, target="source")
def plan_improvement() -> None:
    """The query's plan got better than the plan recorded in the baseline.

    ## Why is this bad?
    It is not: it is reported (as info) so that the improvement is seen and the baseline can be updated
    with ``--update-baseline``, which makes the better plan the one future changes are held to.
    """
