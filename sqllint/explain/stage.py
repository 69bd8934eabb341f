"""The EXPLAIN stage: after the static pipeline, explain each distinct statement and run plan rules.

Flow: open the pool (unreachable → a warning, static findings stand) → read the catalog → for each
parsed statement build the SELECT to explain and bind its placeholders → one EXPLAIN per distinct
(fingerprint, rewrite, binding), through the plan cache → plan rules → findings on every call site
that issued the statement. This module decides nothing about SQL quality itself: rules do.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqllint.explain.binding import as_is, bind
from sqllint.explain.cache import CachedPlan, PlanCache, cache_key
from sqllint.explain.catalog import COLUMNS_SQL, STATISTICS_SQL, TABLES_SQL, Catalog, build_catalog
from sqllint.explain.dsn import Dsn
from sqllint.explain.findings import Crash, plan_findings
from sqllint.explain.jobs import Explained, Job, plan_jobs
from sqllint.explain.mysqltree import parse_tree
from sqllint.explain.plan import Plan, parse_traditional
from sqllint.explain.planjson import parse_json
from sqllint.explain.safety import UnsafeStatement, select_text
from sqllint.explain.pool import Pool
from sqllint.explain.session import DatabaseUnavailable, ExplainError, Session
from sqllint.explain.settings import ExplainSettings
from sqllint.explain.subject import PlanSubject
from sqllint.records import Finding, ParsedQuery, Severity
from sqllint import __version__
from sqllint.registry import Registry, Rule, Violation


@dataclass
class ExplainOutcome:
    findings: list[Finding]
    explained: list[Explained] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    connected: bool = False
    server: str | None = None
    cache_hits: int = 0
    statements: int = 0


class ExplainStage:
    def __init__(self, dsn: Dsn, settings: ExplainSettings, registry: Registry, enabled: frozenset[str],
                 options: dict[str, dict[str, Any]], severities: dict[str, Severity], *, jobs: int | None = None,
                 analyze: bool = False, cache_dir: Path | None = None, json_format: bool = True) -> None:
        self.dsn = dsn
        self.settings = settings
        self.registry = registry
        self.enabled = enabled
        self.options = options
        self.severities = severities
        self.jobs = jobs or settings.jobs
        self.analyze = analyze
        self.cache_dir = cache_dir if settings.cache else None
        self.json_format = json_format
        self.plan_rules = [r for r in registry.rules if r.target == "plan" and r.code in enabled]
        self._mysql_analyze = False  # set per run from the server's version

    # --- the run --------------------------------------------------------------------------------------
    def run(self, parsed: Sequence[ParsedQuery]) -> ExplainOutcome:
        with _collect_young_only():
            return self._run(parsed)

    def _run(self, parsed: Sequence[ParsedQuery]) -> ExplainOutcome:
        outcome = ExplainOutcome(findings=[])
        try:
            pool, catalog = self._connect()
        except DatabaseUnavailable as error:
            outcome.warnings.append(f"database {self.dsn.masked()} could not be used ({error}); "
                                    "plan rules were skipped, static findings are still reported")
            return outcome
        server = pool.server
        outcome.server = f"{server.flavor} {server.version}" if server else None
        if catalog is None:
            pool.close()
            outcome.warnings.append(f"database {self.dsn.masked()}: could not read information_schema "
                                    f"({pool.notes.pop()}); plan rules were skipped")
            return outcome
        jobs = plan_jobs(parsed)
        cache = self._open_cache(outcome)
        try:
            outcome.connected = True
            outcome.statements = len(jobs)
            # The server (flavor, version, address) and the database: two schemas with identical tables
            # on one server, or one schema on two servers, hold different data and get their own plans.
            version = (f"{outcome.server}|{self.dsn.host}:{self.dsn.port}|{catalog.database}|"
                       f"{'json' if self.json_format else 'tab'}|{self.analyze}")
            results: list[Explained] = []
            # A job's key is its own digest and one for what it is explained against (its tables'
            # definitions, the server, the rules): many statements read the same tables, so the second
            # digest is computed once per set of tables.
            against: dict[tuple[str, ...], str] = {}
            keyed = []
            for job in jobs:
                if cache is None:  # no cache, no key: hashing the schema and the rules' code is skipped
                    keyed.append((Explained(job, catalog=catalog), ""))
                    continue
                suffix = against.get(job.tables)
                if suffix is None:
                    suffix = against[job.tables] = cache_key(catalog.fingerprint(job.tables), version,
                                                             self.rules_signature)
                keyed.append((Explained(job, catalog=catalog), job.key + suffix))
            hits = cache.get_many([key for _, key in keyed]) if cache else {}
            todo: list[tuple[Explained, str]] = []
            for item, key in keyed:
                hit = hits.get(key)
                if hit is not None:
                    item._plan_json, item.job.binding, item.cached = hit.plan_json, hit.binding, True
                    if hit.violations:
                        item.violations = [(self._rules[code], Violation(message, suggestion))
                                           for code, message, suggestion in hit.violations]
                else:
                    todo.append((item, key))
                results.append(item)
            flavor = server.flavor if server else "mariadb"
            # MySQL has EXPLAIN ANALYZE (a tree of measured iterators) from 8.0.18 on.
            self._mysql_analyze = flavor == "mysql" and server is not None and _version(server.version) >= (8, 0, 18)
            if self.analyze and flavor != "mariadb" and not self._mysql_analyze and todo:
                outcome.warnings.append(f"--analyze: MySQL {server.version if server else ''} has no EXPLAIN "
                                        "ANALYZE (8.0.18+); the plans are the optimizer's estimates")
            # Binding and the plan rules run in the worker threads too: their Python work then overlaps
            # with the server planning other statements (the socket wait releases the GIL).
            pool.map_chunks(lambda session, chunk: self._work(session, [item for item, _ in chunk], catalog, flavor),
                            todo, self.settings.batch)
            outcome.warnings.extend(pool.notes)
            if any(session.packets_refused for session in pool.sessions):
                outcome.warnings.append(f"database {self.dsn.masked()}: the server (or a proxy in front of it) "
                                        "does not take several statements in one packet, so EXPLAINs were sent "
                                        "one per round trip; set batch = 1 under [tool.sqllint.explain] to skip "
                                        "the attempt")
            if cache is not None:
                cache.put_many([(key, CachedPlan(item.plan.to_json(), item.job.binding, tuple(
                    (rule.code, violation.message, violation.suggestion) for rule, violation in item.violations)))
                    for item, key in todo if item.plan is not None and item.job.binding is not None
                    and not any(isinstance(v, Crash) for _, v in item.violations)])
                outcome.cache_hits = cache.hits
                if cache.problem:
                    outcome.warnings.append(f"plan cache {cache.path}: {cache.problem}; affected plans were "
                                            "explained again")
            outcome.explained = results
            outcome.findings = self._findings(results)
        finally:
            if cache is not None:
                cache.close()
            pool.close()
        return outcome

    def _connect(self) -> tuple[Pool, Catalog | None]:
        """The pool and the catalog; no catalog (the reason in ``pool.notes``) when information_schema
        cannot be read. Raises ``DatabaseUnavailable``."""
        pool = Pool(self.dsn, self.settings, self.jobs, self.analyze).open()
        try:
            return pool, pool.run(read_catalog)
        except ExplainError as error:
            pool.notes.append(error.message)
            return pool, None

    def _open_cache(self, outcome: ExplainOutcome) -> PlanCache | None:
        if self.cache_dir is None:
            return None
        try:
            return PlanCache(self.cache_dir)
        except (OSError, sqlite3.Error) as error:
            outcome.warnings.append(f"plan cache in {self.cache_dir} is not usable ({error}); plans are not "
                                    "cached this run")
            return None

    def _work(self, session: Session, items: list[Explained], catalog: Catalog, flavor: str) -> None:
        """A chunk of cache misses: bind each, EXPLAIN them (several to a round trip), plan rules (each
        job owns its tree: thread-safe)."""
        sent: list[tuple[Explained, str, bool]] = []
        for item in items:
            job = item.job
            try:
                # Without placeholders the statement's text is sent as written (a write as the SELECT cut
                # from its text), so neither the SELECT's tree nor SQL generation is needed unless a rule asks.
                fast = None
                if not job.slots:
                    fast = as_is(job.text if job.rewritten_from is None else
                                 select_text(job.queries[0].query.text, job.rewritten_from))
                job.binding = fast or bind(job.select, catalog, job.text, job.slots, job.wildcards)
                sent.append((item, *self._statement(job, flavor)))
            except Exception as error:  # noqa: BLE001 - one statement sqllint cannot bind must not end the run
                self._not_explained(item, error)
        answers = session.query_many([statement for _, statement, _ in sent])
        for (item, _, tree), answer in zip(sent, answers):
            if isinstance(answer, ExplainError):
                item.error = answer
            elif isinstance(answer, UnsafeStatement):  # e.g. SLEEP(): the server could run it while planning
                item.error = ExplainError(None, str(answer), refused=True)
            else:
                try:
                    item.plan = self._read(answer, tree, flavor)
                except Exception as error:  # noqa: BLE001 - a plan sqllint cannot read: a finding (E010)
                    self._not_explained(item, error)
            if item.plan is not None:
                self._apply_rules(item)

    def _not_explained(self, item: Explained, error: Exception) -> None:
        item.plan = None
        item.error = ExplainError(None, self.dsn.redact(
            f"not explained: sqllint could not bind this statement or read its plan "
            f"({type(error).__name__}: {error})"), refused=True)

    def _statement(self, job: Job, flavor: str) -> tuple[str, bool]:
        """What is sent for one job, and whether its answer is MySQL's EXPLAIN ANALYZE tree. ``--analyze``
        runs the statement, for original SELECTs only: MariaDB's ``ANALYZE FORMAT=JSON`` (r_rows per table)
        or MySQL 8.0.18+'s ``EXPLAIN ANALYZE`` (a tree of measured iterators, read by
        ``mysqltree.parse_tree``); rewritten UPDATE/DELETE get plain EXPLAIN."""
        assert job.binding is not None
        sql = job.binding.sql
        fmt = " FORMAT=JSON" if self.json_format else ""
        if self.analyze and job.rewritten_from is None and flavor == "mariadb":
            return f"ANALYZE{fmt} {sql}", False
        if self.analyze and job.rewritten_from is None and self._mysql_analyze:
            return f"EXPLAIN ANALYZE {sql}", True
        return f"EXPLAIN{fmt} {sql}", False

    def _read(self, answer: tuple[list[str], list[tuple[Any, ...]]], tree: bool, flavor: str) -> Plan:
        names, rows = answer
        if tree:
            return parse_tree(_decoded(rows[0][0]))
        if self.json_format:
            return parse_json(_decoded(rows[0][0]), flavor)
        return parse_traditional(names, rows, flavor)

    @functools.cached_property
    def _rules(self) -> dict[str, Rule]:
        """Rules by code (the registry's lookup also matches names: a scan per call, per finding)."""
        return {rule.code: rule for rule in self.registry.rules}

    @functools.cached_property
    def _rule_options(self) -> list[tuple[Rule, dict[str, Any]]]:
        """Each plan rule with its options, resolved once per stage rather than once per statement."""
        return [(rule, self.options.get(rule.code) or rule.defaults()) for rule in self.plan_rules]

    def _apply_rules(self, item: Explained) -> None:
        subject = item.subject
        assert subject is not None
        violations: list[tuple[Rule, Any]] = []
        for rule, options, check in self._rule_checks:
            try:
                for violation in check(subject, options):
                    violations.append((rule, violation))
            except Exception as error:  # noqa: BLE001 - one bad rule must not end the run
                violations.append((self.registry["E005"], Crash(rule, error)))
        item.violations = violations

    @functools.cached_property
    def _rule_checks(self) -> list[tuple[Rule, dict[str, Any], Callable[[PlanSubject, dict[str, Any]], Any]]]:
        """``_rule_options`` with each rule's check function, looked up once per stage."""
        checks = []
        for rule, options in self._rule_options:
            assert rule.check is not None
            checks.append((rule, options, rule.check))
        return checks

    @functools.cached_property
    def rules_signature(self) -> str:
        """Part of the plan cache key: the plan rules that ran, their options and their code, so cached
        findings are never older than the rules. Stable across processes: source files are hashed (a
        code object's repr holds its memory address, which made every new run miss the cache)."""
        from sqllint.explain import advice, plan, subject  # what the rules' messages are built from

        files = {Path(m.__file__) for m in (advice, plan, subject) if m.__file__}
        parts = [__version__]
        for rule in self.plan_rules:
            parts.append(f"{rule.code}:{sorted(self.options.get(rule.code, {}).items())}")
            if rule.check is not None:
                files.add(Path(rule.check.__code__.co_filename))
        for path in sorted(files):
            try:
                parts.append(hashlib.blake2b(path.read_bytes(), digest_size=8).hexdigest())
            except OSError:  # no source on disk (a frozen build): the version stands for the code
                parts.append(path.name)
        return hashlib.blake2b("|".join(parts).encode(), digest_size=12).hexdigest()

    # --- findings -------------------------------------------------------------------------------------
    def _findings(self, results: list[Explained]) -> list[Finding]:
        return plan_findings(results, self.enabled, self._rules, self.severities, self.settings.statement_timeout)


@contextlib.contextmanager
def _collect_young_only() -> Iterator[None]:
    """While the stage runs, garbage collections skip the objects that existed before it (``gc.freeze``):
    the run's parsed statements are most of the heap, and one full collection of them took ~140 ms of a
    0.75 s stage (2,000 statements). Young collections are rarer too (every 20,000 allocations instead
    of 700): the stage allocates a few small objects per statement and few cycles. At the end the
    stage's own objects join the old generation unscanned (frozen, then everything unfrozen): they are
    its outcome, alive until the report, and a young collection of them was ~5 % of a warm run. Nothing
    is frozen when something else already froze objects (its ``unfreeze`` is its own)."""
    frozen = gc.isenabled() and gc.get_freeze_count() == 0
    thresholds = gc.get_threshold()
    if frozen:
        gc.freeze()
    gc.set_threshold(max(thresholds[0], 20_000), *thresholds[1:])
    try:
        yield
    finally:
        if frozen:
            gc.freeze()
            gc.unfreeze()
        gc.set_threshold(*thresholds)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text.split("-")[0])[:3])


def _decoded(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def read_catalog(session: Session) -> Catalog:
    """Tables, columns and indexes of the DSN's database (one round trip where packets are allowed)."""
    tables, columns, indexes = session.query_many([TABLES_SQL, COLUMNS_SQL, STATISTICS_SQL])
    for answer in (tables, columns, indexes):
        if isinstance(answer, Exception):
            raise answer
    return build_catalog(session.dsn.database, tables[1], columns[1], indexes[1])  # type: ignore[index]


