"""The EXPLAIN stage's units of work: one ``Job`` per distinct statement to explain, and what became of it.

``plan_jobs`` groups the run's parsed statements by what decides their EXPLAIN (fingerprint, text, the
LIKE slots bound to a leading wildcard): statements that share one are explained once, and every call
site that issued them gets the findings. ``Explained`` holds a job's binding, plan (or error) and plan
rule violations, from the server or from the plan cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from sqllint.explain.binding import Binding, wildcard_slots
from sqllint.explain.catalog import Catalog
from sqllint.explain.facts import MEMO_KEY, PlanFacts, identified, plan_facts
from sqllint.explain.plan import Plan
from sqllint.explain.safety import as_select
from sqllint.explain.session import ExplainError
from sqllint.explain.subject import PlanSubject
from sqllint.parse import SqlParser
from sqllint.records import ParsedQuery
from sqllint.registry import Rule


@dataclass(eq=False, slots=True)
class Job:
    """One distinct EXPLAIN: the statements that share it and what was sent."""

    key: str  # fingerprint, rewrite and statement text: the binding follows from it and the catalog
    _tree: exp.Expression | None = field(repr=False)  # the statement as parsed (None: parse on first use)
    rewritten_from: str | None
    tables: tuple[str, ...]
    queries: tuple[ParsedQuery, ...]
    text: str | None = None  # the statement's own text, when it may be sent as is (see ``bind``)
    binding: Binding | None = None  # set by the run: bound now, or read from the plan cache
    aliases: dict[str, str] = field(default_factory=dict)  # alias (lower-case) → base table name
    slots: bool = True  # whether the statement has placeholders to bind
    # The LIKE slots the code binds a leading wildcard to (``binding.wildcard_slots``; original SELECTs only)
    wildcards: tuple[int, tuple[int, ...]] | None = None
    _select: exp.Expression | None = field(default=None, repr=False)

    @property
    def tree(self) -> exp.Expression:
        """The statement's tree; a statement answered from the result cache is parsed only when a plan-cache
        miss (or a reader of the plan's subject) needs it."""
        if self._tree is None:
            tree = SqlParser().parse_text(self.queries[0].query.text)[0]
            if tree is None:  # it parsed when it was checked: the same text parses the same way
                raise ValueError(f"statement no longer parses: {self.queries[0].query.text[:80]}")
            self._tree = tree
        return self._tree

    @property
    def select(self) -> exp.Expression:
        """The SELECT that is explained (the rewrite, for DML); built on first use, since a run answered
        from the plan cache rarely needs it."""
        if self._select is None:
            query = self.queries[0]  # its node index answers "any FOR UPDATE / INTO?" without a walk
            explainable = as_select(self.tree, query.find if self.tree is query.tree else None)
            self._select = explainable.tree if explainable is not None else self.tree
        return self._select


@dataclass(eq=False, slots=True)
class Explained:
    job: Job
    error: ExplainError | None = None
    cached: bool = False
    violations: Sequence[tuple[Rule, Any]] = ()  # a list once a rule reported something
    catalog: Catalog | None = field(default=None, repr=False)
    _plan: Plan | None = field(default=None, repr=False)
    _plan_json: str | None = field(default=None, repr=False)  # a cached plan, decoded on first use
    _subject: PlanSubject | None = field(default=None, repr=False)

    @property
    def plan(self) -> Plan | None:
        if self._plan is None and self._plan_json is not None:
            self._plan, self._plan_json = Plan.from_json(self._plan_json), None
        return self._plan

    @plan.setter
    def plan(self, value: Plan | None) -> None:
        self._plan, self._plan_json = value, None

    @property
    def has_plan(self) -> bool:
        return self._plan is not None or self._plan_json is not None

    @property
    def subject(self) -> PlanSubject | None:
        """What the plan rules read (built on demand for plans answered from the cache)."""
        if self._subject is None and self.plan is not None and self.catalog is not None:
            job = self.job
            self._subject = PlanSubject(job.queries[0], self.plan, self.catalog, job.binding,
                                        lambda: job.select, job.rewritten_from,
                                        job.aliases or _aliases(job.select))
        return self._subject


def _aliases(select: exp.Expression) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for table in select.find_all(exp.Table):
        if table.name:
            aliases.setdefault((table.alias or table.name).lower(), table.name)
    return aliases



def plan_jobs(parsed: Sequence[ParsedQuery]) -> list[Job]:
    """Distinct (fingerprint, rewrite, statement text) → the statements that share one EXPLAIN. The
    text decides the binding (given the catalog), so statements are grouped before binding."""
    parser: SqlParser | None = None
    # (fingerprint, text, wildcard slots) → the tree, facts and statements of one job. A tuple key:
    # its hash combines the strings' own (cached) hashes rather than hashing a new joined string.
    grouped: dict[tuple[str, str, Any], tuple[exp.Expression | None, PlanFacts, list[ParsedQuery]]] = {}
    for item in parsed:
        placeholders = item.query.placeholders
        if item.error is not None or (placeholders and any(p.identifier or p.fragment for p in placeholders)):
            continue  # a table name only known at run time cannot be explained
        # A LIKE ? the code binds "%" + kw + "%" to is a substring search: its own binding, its own plan.
        wildcards = wildcard_slots(item.query) if placeholders else None
        key = (item.fingerprint, item.query.text, wildcards)
        group = grouped.get(key)
        if group is not None:
            group[2].append(item)
            continue
        tree = item.tree
        # Facts are memoised with the statement; one from the result cache (or a worker process) has
        # no tree but its facts, and is parsed again only on a plan-cache miss.
        facts: PlanFacts | None = item._memo.get(MEMO_KEY)  # noqa: SLF001
        if facts is None or not facts.identity:
            if facts is None:
                if tree is None:  # a statement without facts from a worker process: parse again here
                    parser = parser or SqlParser()
                    tree = parser.parse_text(item.query.text)[0]
                    if tree is None:
                        continue
                # The statement's node index, built once for the static rules, answers these without a walk.
                facts = plan_facts(tree, item.find if tree is item.tree else None)
            facts = identified(facts, item, wildcards)
            if tree is item.tree:
                item._memo[MEMO_KEY] = facts  # noqa: SLF001 - the memo is for facts derived from the tree
        if not facts.explainable:
            continue
        grouped[key] = (tree, facts, [item])
    jobs = []
    for (_, text, wildcards), (tree, facts, items) in grouped.items():
        jobs.append(Job(facts.identity, tree, facts.rewritten_from, facts.tables, tuple(items),
                        text if facts.as_is else None, aliases=facts.aliases, slots=facts.slots,
                        wildcards=wildcards if facts.rewritten_from is None else None))
    return jobs
