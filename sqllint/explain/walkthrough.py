"""What ``sqllint explain`` knows about each selected query: per variant, its static findings, the SQL
sent to EXPLAIN, the plan, the plan findings and the index advice.

The command selects query sites (``lookup``), this module gathers the facts (static rules per variant,
then one run of the EXPLAIN stage over every variant), and ``document`` renders them. Findings here are
per variant rather than folded across variants as ``sqllint check`` reports them: a developer looking
at one query wants to see which variant is the slow one.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlglot import exp

from sqllint.config import Config
from sqllint.checker import Settings, collapse
from sqllint.explain.dsn import Dsn
from sqllint.explain.lookup import QuerySite, Workspace
from sqllint.explain.plan import Plan
from sqllint.explain.plantree import block_parents
from sqllint.explain.safety import as_select
from sqllint.explain.settings import ExplainSettings
from sqllint.records import Finding, ParsedQuery, Scope, Severity
from sqllint.registry import Registry, Rule, Violation
from sqllint.suppress import is_suppressed, sql_suppressions


STATEMENTS_PER_CONNECTION = 32


@dataclass
class VariantFacts:
    query: ParsedQuery
    static: list[Finding] = field(default_factory=list)
    plan_findings: list[Finding] = field(default_factory=list)
    plan: Plan | None = None
    sent_sql: str | None = None  # the bound statement EXPLAIN ran on (a SELECT rewrite for DML)
    guesses: tuple[str, ...] = ()  # placeholders whose type was not known
    rewritten_from: str | None = None  # "update"/"delete"/"insert" when a SELECT stands for it
    no_plan: str | None = None  # why there is no plan for this variant
    advice: list[str] = field(default_factory=list)
    parents: dict[int, int] = field(default_factory=dict)  # select number → enclosing select number
    aliases: dict[str, str] = field(default_factory=dict)  # plan alias → base table
    blockers: dict[str, list[str]] = field(default_factory=dict)  # alias → predicates no index can serve
    merged: list[str] = field(default_factory=list)  # derived tables the optimizer merged into the join

    @property
    def label(self) -> str | None:
        return self.query.query.variant.label if self.query.query.variant else None

    @property
    def findings(self) -> list[Finding]:
        return self.static + self.plan_findings


@dataclass
class SiteFacts:
    site: QuerySite
    variants: list[VariantFacts]


@dataclass
class Database:
    dsn: str | None  # masked
    name: str | None = None  # the database (schema) name
    connected: bool = False
    server: str | None = None
    reason: str | None = None  # why there are no plans (no DSN, unreachable)


@dataclass
class Walkthrough:
    target: str
    sites: list[SiteFacts]
    database: Database
    notes: list[str] = field(default_factory=list)  # could-not-analyse problems in the files read

    def findings(self) -> list[Finding]:
        return [f for s in self.sites for v in s.variants for f in v.findings]

    def exit_code(self, fail_on: Severity) -> int:
        return 1 if any(f.severity >= fail_on for f in self.findings()) else 0


def gather(target: str, sites: Sequence[QuerySite], workspace: Workspace, config: Config, registry: Registry,
           dsn: Dsn | None, *, settings: ExplainSettings | None = None, analyze: bool = False,
           use_cache: bool = True) -> Walkthrough:
    """The facts for ``sites``; plans when ``dsn`` is given and reachable (``settings`` overrides the
    config's ``[tool.sqllint.explain]``, e.g. timeouts from the command line)."""
    static_settings = Settings.from_config(config, registry)
    facts = [SiteFacts(site, [VariantFacts(v) for v in site.variants]) for site in sites]
    by_query = {id(v.query): v for s in facts for v in s.variants}
    _static(facts, by_query, workspace, config, static_settings, registry)
    database = Database(dsn.masked() if dsn else None, dsn.database if dsn else None)
    if dsn is None:
        database.reason = f"no database given (--dsn, or the {config.dsn_env} environment variable)"
    else:
        _plans(facts, by_query, config, registry, dsn, database, settings or config.explain, analyze, use_cache,
               workspace.cwd)
    for item in by_query.values():
        if item.plan is None and item.no_plan is None:
            item.no_plan = _unexplainable(item.query) or (
                "no database connection (see above)" if database.reason else "the server returned no plan")
    shown = {site.path for site in sites}  # not the problems of every file a name search read
    notes = [f"{path}:{p.line}: {p.code} {p.message}" for path, p in workspace.problems if path in shown]
    return Walkthrough(target, facts, database, notes)


# --- static rules, per variant ------------------------------------------------------------------------

def _static(facts: list[SiteFacts], by_query: dict[int, VariantFacts], workspace: Workspace, config: Config,
            settings: Settings, registry: Registry) -> None:
    enabled = [r for r in registry.rules if r.code in settings.enabled]
    ignored = _per_file_ignored(settings, {s.site.path for s in facts}, workspace.cwd)
    for site in facts:
        for item in site.variants:
            parsed = item.query
            if any(p.fragment for p in parsed.query.placeholders):
                names = ", ".join(f"`{p.name}`" for p in parsed.query.placeholders if p.fragment)
                _add(item, registry, settings, ignored, "E004",
                     f"SQL is completed by {names}, which the extractor cannot see: the statement was not checked")
                continue
            if parsed.error is not None:  # worded as ``check`` words it (engine.FileChecker._parse_problem)
                holes = [p for p in parsed.query.placeholders if p.interpolated and not p.safe]
                if holes and parsed.query.language != "sql":
                    names = ", ".join(f"`{p.name}`" for p in holes)
                    _add(item, registry, settings, ignored, "E004", f"SQL built from {names} does not parse once "
                         f"they are stubbed out ({parsed.error.message})")
                else:
                    _add(item, registry, settings, ignored, "E001",
                         f"SQL does not parse: {parsed.error.message} (statement line {parsed.error.line}, "
                         f"column {parsed.error.column})")
                continue
            for rule in (r for r in enabled if r.target == "query"):
                for code, message, suggestion in _violations(rule, parsed, settings):
                    _add(item, registry, settings, ignored, code, message, suggestion)
    # Scope rules read the whole function, including queries that were not selected.
    scopes = {(s.site.path, s.site.scope) for s in facts if s.site.scope}
    for path, name in scopes:
        queries = tuple(q for site in workspace.cached_sites(path) if site.scope == name for q in site.variants
                        if q.tree is not None)
        if not queries:
            continue
        scope = Scope(path, name, queries)  # type: ignore[arg-type]
        for rule in (r for r in enabled if r.target == "scope"):
            for code, message, suggestion, anchor in _scope_violations(rule, scope, settings):
                target = by_query.get(id(anchor or queries[0]))
                if target is not None:
                    _add(target, registry, settings, ignored, code, message, suggestion)


def _violations(rule: Rule, subject: ParsedQuery, settings: Settings) -> list[tuple[str, str, str | None]]:
    """(code, message, suggestion) of a query rule; a crashing rule becomes E005, as in ``check``."""
    assert rule.check is not None
    try:
        return [(rule.code, v.message, v.suggestion) for v in rule.check(subject, settings.options[rule.code])]
    except Exception as error:  # noqa: BLE001 - one bad rule must not hide the rest
        return [("E005", f"rule {rule.code} ({rule.name}) failed on this statement: {type(error).__name__}: {error}",
                 None)]


def _scope_violations(rule: Rule, scope: Scope, settings: Settings
                      ) -> list[tuple[str, str, str | None, ParsedQuery | None]]:
    assert rule.check is not None
    try:
        return [(rule.code, v.message, v.suggestion, v.query) for v in rule.check(scope, settings.options[rule.code])]
    except Exception as error:  # noqa: BLE001 - one bad rule must not hide the rest
        return [("E005", f"rule {rule.code} ({rule.name}) failed on this function: {type(error).__name__}: {error}",
                 None, None)]


def _per_file_ignored(settings: Settings, paths: set[str], cwd: Path) -> dict[str, set[str]]:
    """Codes ``per-file-ignores`` turns off for each path."""
    return {path: settings.ignored_codes((cwd / path).absolute(), path) for path in paths}


def _add(item: VariantFacts, registry: Registry, settings: Settings, ignored: dict[str, set[str]], code: str,
         message: str, suggestion: str | None = None, plan: bool = False) -> None:
    query = item.query.query
    if code not in settings.enabled or code in ignored.get(query.path, set()):
        return
    name = registry[code].name
    if is_suppressed(query.suppressed, code, name) or is_suppressed(sql_suppressions(query.raw)[0], code, name):
        return
    finding = Finding(code, name, settings.severities.get(code, registry[code].severity), query.path, query.line,
                      query.column, message, sql=collapse(query.raw), fingerprint=item.query.fingerprint,
                      variant=item.label, suggestion=suggestion, scope=query.scope, end_line=query.end_line)
    target = item.plan_findings if plan else item.static
    if finding not in target:
        target.append(finding)


# --- plans ----------------------------------------------------------------------------------------------

def _plans(facts: list[SiteFacts], by_query: dict[int, VariantFacts], config: Config, registry: Registry, dsn: Dsn,
           database: Database, explain_settings: ExplainSettings, analyze: bool, use_cache: bool, cwd: Path) -> None:
    from sqllint.explain.runner import build_stage  # loads pymysql only when a DSN is given

    explainable = [v.query for s in facts for v in s.variants if v.query.tree is not None and v.query.error is None]
    # A connection costs far more than an EXPLAIN (TLS context, handshake, session settings: ~25 ms
    # against ~1 ms here): open more than one only when there are many statements to share out.
    connections = max(1, min(explain_settings.jobs, math.ceil(len(explainable) / STATEMENTS_PER_CONNECTION)))
    stage = build_stage(config, registry, dsn, settings=dataclasses.replace(explain_settings, jobs=connections),
                        analyze=analyze, use_cache=use_cache)
    settings = Settings.from_config(config, registry)
    ignored = _per_file_ignored(settings, {s.site.path for s in facts}, cwd)
    outcome = stage.run(explainable)
    database.connected, database.server = outcome.connected, outcome.server
    if not outcome.connected:
        database.reason = "; ".join(outcome.warnings) or f"database {dsn.masked()} is unreachable"
        return
    for explained in outcome.explained:
        job = explained.job
        for parsed in job.queries:
            item = by_query.get(id(parsed))
            if item is None:
                continue
            item.sent_sql, item.guesses, item.rewritten_from = job.binding.sql, job.binding.guesses, job.rewritten_from
            item.plan = explained.plan
            item.parents = block_parents(job.binding.sql)
            item.aliases = {(t.alias or t.name).lower(): t.name for t in job.select.find_all(exp.Table) if t.name}
            item.blockers = index_blockers(job.select)
            item.merged = merged_derived_tables(job.select, explained.plan) if explained.plan else []
            if explained.error is not None:
                error = explained.error
                code = "E011" if error.time_limit else "E010"
                text = (f"EXPLAIN hit the {explain_settings.statement_timeout:g}s time limit" if error.time_limit else
                        f"EXPLAIN failed on the staging database: {error.message}"
                        + (f" (server error {error.code})" if error.code else ""))
                item.no_plan = text
                _add(item, registry, settings, ignored, code, text, plan=True)
            for rule, violation in explained.violations:
                message = str(violation) if not isinstance(violation, Violation) else violation.message
                suggestion = violation.suggestion if isinstance(violation, Violation) else None
                _add(item, registry, settings, ignored, rule.code, message, suggestion, plan=True)
            if explained.plan is not None and explained.subject is not None:
                item.advice = _advice(explained.subject)


_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.In, exp.Between, exp.Like, exp.ILike)
_WRAPPERS = (exp.Func, exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Cast)


def index_blockers(select: exp.Expression) -> dict[str, list[str]]:
    """Per table alias (lower-case; "" for unqualified columns): the WHERE/ON predicates that no index on
    their column can serve — the column wrapped in a function or arithmetic, or a LIKE pattern that
    starts with a wildcard. The summary names them as the reason a table is read in full."""
    found: dict[str, list[str]] = {}
    for clause in select.find_all(exp.Where, exp.Join):
        condition = clause.this if isinstance(clause, exp.Where) else clause.args.get("on")
        if condition is None:
            continue
        for predicate in condition.find_all(*_COMPARISONS, bfs=False):  # in the order they are written
            left, right = predicate.this, predicate.args.get("expression")
            column: exp.Column | None = None
            reason = ""
            if isinstance(left, _WRAPPERS) and not isinstance(left, exp.AggFunc):
                columns = list(left.find_all(exp.Column))
                if len(columns) == 1 and not (right is not None and any(right.find_all(exp.Column))):
                    column = columns[0]
                    wrapper = "a function" if isinstance(left, exp.Func) else "an expression"
                    reason = f"`{left.sql(dialect='mysql')}` wraps the column in {wrapper}"
            elif isinstance(predicate, (exp.Like, exp.ILike)) and isinstance(left, exp.Column):
                pattern = right
                while isinstance(pattern, (exp.Concat, exp.DPipe)) or (
                        isinstance(pattern, exp.Anonymous) and pattern.name.upper() == "CONCAT"):
                    pattern = (pattern.expressions or [None])[0] if not isinstance(pattern, exp.DPipe) else pattern.this
                if isinstance(pattern, exp.Literal) and pattern.is_string and pattern.this.startswith(("%", "_")):
                    column = left
                    reason = f"`{predicate.sql(dialect='mysql')}` starts with a wildcard"
            if column is not None:
                reasons = found.setdefault(column.table.lower(), [])
                if reason not in reasons:
                    reasons.append(reason)
    return found


def merged_derived_tables(select: exp.Expression, plan: Plan) -> list[str]:
    """Aliases of the statement's derived tables (``JOIN (SELECT …) oi``) that the plan shows merged into
    the outer query: no materialised block and no row under their alias. Said only when it is certain
    (no derived block at all), since traditional plans do not name which derived table a block is."""
    derived = [sub.alias for sub in select.find_all(exp.Subquery)
               if sub.alias and isinstance(sub.parent, (exp.From, exp.Join))]
    if not derived or any("DERIVED" in row.select_type.upper() for row in plan.rows):
        return []
    names = {(row.table or "").lower() for row in plan.rows}
    return [alias for alias in dict.fromkeys(derived) if alias.lower() not in names]


def _advice(subject: object) -> list[str]:
    """``CREATE INDEX`` for every table read in full (or through a whole index) whose predicates no
    index serves; advice only, independent of the full-table-scan rule's size threshold."""
    from sqllint.explain.subject import PlanSubject

    assert isinstance(subject, PlanSubject)
    advice: list[str] = []
    for row in subject.plan.rows:
        name = subject.table_of(row)
        if name is None or not (row.full_scan or row.access_type == "index"):
            continue
        for statement in (subject.index_advice(row) or "").split("; "):  # an OR: one index per branch
            if statement and statement not in advice:
                advice.append(statement)
    return advice


def _unexplainable(parsed: ParsedQuery) -> str | None:
    """Why this statement can never get a plan, whatever the database; None when it can."""
    if parsed.error is not None:
        return "the statement does not parse"
    placeholders = parsed.query.placeholders
    if any(p.fragment for p in placeholders):
        return "part of the statement is only known at run time"
    if any(p.identifier for p in placeholders):
        return "a table or column name is only known at run time"
    if parsed.tree is None:
        return "there is no statement to explain"
    if as_select(parsed.tree) is None:
        if parsed.kind == "insert":
            return "INSERT … VALUES reads no table: there is nothing to explain"
        return f"a {parsed.kind.upper()} statement is never sent to the server"
    return None
