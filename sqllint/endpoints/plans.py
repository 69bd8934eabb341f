"""Estimated rows per endpoint, from the EXPLAIN stage's plans (``sqllint.explain.stage``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqllint.endpoints.model import ChainQuery, EndpointChain

if TYPE_CHECKING:
    from sqllint.explain.plan import Plan
    from sqllint.explain.stage import Explained, ExplainOutcome


class PlanIndex:
    """Plans by call site and variant; by fingerprint for call sites explained where they are defined
    (a Java call of a MyBatis mapper method)."""

    def __init__(self, outcome: ExplainOutcome) -> None:
        # By statement, not call site: a call of a function running two statements has a plan for each.
        self.by_site: dict[tuple[tuple[Any, ...], str | None], Explained] = {}
        self.by_fingerprint: dict[str, Explained] = {}
        self.failed: dict[tuple[tuple[Any, ...], str | None], str] = {}  # EXPLAIN's error, by site and variant
        self.failed_by_fingerprint: dict[str, str] = {}  # … and by statement (a mapper call's definition)
        for item in outcome.explained:
            if item.plan is None:
                for parsed in item.job.queries if item.error is not None else ():
                    label = parsed.query.variant.label if parsed.query.variant else None
                    self.failed[(parsed.query.statement, label)] = item.error.message  # type: ignore[union-attr]
                    self.failed_by_fingerprint.setdefault(parsed.fingerprint, item.error.message)  # type: ignore[union-attr]
                continue
            for parsed in item.job.queries:
                label = parsed.query.variant.label if parsed.query.variant else None
                self.by_site[(parsed.query.statement, label)] = item
                known = self.by_fingerprint.get(parsed.fingerprint)
                if known is None or item.plan.rows_examined() > known.plan.rows_examined():  # type: ignore[union-attr]
                    self.by_fingerprint[parsed.fingerprint] = item

    def explained(self, item: ChainQuery) -> list[Explained | None]:
        """The EXPLAIN behind each variant of the query (None where there is no plan), in variant order."""
        found: list[Explained | None] = []
        for parsed in item.variants:
            label = parsed.query.variant.label if parsed.query.variant else None
            found.append(self.by_site.get((parsed.query.statement, label)) or self.by_fingerprint.get(parsed.fingerprint))
        return found

    def why_not(self, item: ChainQuery) -> list[str | None]:
        """Per variant, why it has no plan (None where it has one): EXPLAIN's error, a statement that
        reads no table (INSERT … VALUES), or not explained."""
        from sqllint.explain.safety import explain_kind

        reasons: list[str | None] = []
        for parsed, entry in zip(item.variants, self.explained(item)):
            label = parsed.query.variant.label if parsed.query.variant else None
            if entry is not None and entry.plan is not None:
                reasons.append(None)
            elif (parsed.query.statement, label) in self.failed or parsed.fingerprint in self.failed_by_fingerprint:
                error = self.failed.get((parsed.query.statement, label)) or self.failed_by_fingerprint[parsed.fingerprint]
                reasons.append(f"EXPLAIN failed: {error}")
            elif parsed.error is not None:  # kept in the chain with its E001, never sent to EXPLAIN
                reasons.append("the statement does not parse")
            elif parsed.tree is not None and not explain_kind(parsed.tree)[0]:
                reasons.append("nothing to explain: the statement reads no table (e.g. INSERT … VALUES)")
            else:
                reasons.append("the statement was not explained")
        return reasons

    def plans(self, item: ChainQuery) -> list[Plan | None]:
        """One plan (or None) per variant of the query, in variant order."""
        return [e.plan if e is not None else None for e in self.explained(item)]

    def rows(self, item: ChainQuery) -> int | None:
        """Estimated rows examined by the query's worst variant; None when no variant has a plan."""
        counts = [plan.rows_examined() for plan in self.plans(item) if plan is not None]
        return max(counts) if counts else None


def add_estimates(chains: list[EndpointChain], outcome: ExplainOutcome) -> PlanIndex:
    """Set each chain's ``estimated_rows``: the sum over its queries of their worst variant's estimate."""
    index = PlanIndex(outcome)
    for chain in chains:
        counts = [index.rows(item) for item in chain.queries]
        known = [c for c in counts if c is not None]
        chain.estimated_rows = sum(known) if known else None
    return index
