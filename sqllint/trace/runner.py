"""The trace run: source → statements → groups and connection windows → trace rules → findings, linked
to the code, and the top statements explained on the staging server.

The log is read once, as a stream. Per-fingerprint groups and per-connection windows are the only state;
trace rules (``target="trace"``) run on each window as soon as the connection pauses, and their reports
are folded into one finding per rule and fingerprint.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from sqllint.checker import collapse
from sqllint.records import Finding, ParsedQuery, Severity
from sqllint.registry import Registry, Rule
from sqllint.suppress import is_suppressed, sql_suppressions
from sqllint.trace.general import GeneralLogParser
from sqllint.trace.group import Fingerprinter, Group, Windows, iter_statements
from sqllint.trace.link import Site, SiteIndex
from sqllint.trace.logfile import LogReader, new_source, sniff
from sqllint.trace.model import ConnectionWindow, LogEntry, Note, RuntimeViolation, Source, TraceSourceError
from sqllint.trace.slow import SlowLogParser

if TYPE_CHECKING:
    from sqllint.explain.stage import ExplainOutcome, ExplainStage, Explained

PERFORMANCE_SCHEMA = "performance_schema"
EXPLAINABLE_KINDS = ("select", "update", "delete")  # what the EXPLAIN stage sends (DML as its SELECT)
SLOW_ONLY = 0.01  # a slow log whose fastest statement took this long was recorded with long_query_time > 0


@dataclass(frozen=True)
class RuleSetup:
    """The enabled trace rules with their (validated) options and severities."""

    rules: tuple[Rule, ...]
    options: Mapping[str, Mapping[str, Any]]
    severities: Mapping[str, Severity]

    @staticmethod
    def build(registry: Registry, enabled: frozenset[str], options: Mapping[str, Mapping[str, Any]],
              severities: Mapping[str, Severity], overrides: Mapping[str, Any]) -> RuleSetup:
        """``overrides`` (``window-ms``, ``min-repeats`` from the command line) apply to every trace rule
        that has that option."""
        rules = tuple(r for r in registry.rules if r.target == "trace" and r.code in enabled)
        merged = {}
        for item in rules:
            values = {**item.defaults(), **options.get(item.code, {})}
            values.update({k: v for k, v in overrides.items() if v is not None and k in item.options})
            merged[item.code] = values
        return RuleSetup(rules, merged, dict(severities))


@dataclass
class Occurrence:
    """One trace finding folded over the log: the largest report and how often it happened."""

    rule: Rule
    violation: RuntimeViolation
    times: int = 1
    connections: set[int] = field(default_factory=set)


@dataclass
class TraceResult:
    source: Source
    groups: list[Group]  # ranked: total time (when the source has durations), else count
    findings: list[Finding]
    sites: dict[str, list[Site]]
    statements: int = 0
    connections: int = 0
    linked: bool = False
    explained: dict[str, Explained] = field(default_factory=dict)  # fingerprint → its EXPLAIN
    explain_warnings: list[str] = field(default_factory=list)
    server: str | None = None
    occurrences: dict[tuple[str, str, str | None], Occurrence] = field(default_factory=dict, repr=False)
    fingerprinter: Fingerprinter | None = field(default=None, repr=False)  # parses the statements to explain

    def exit_code(self, fail_on: Severity) -> int:
        return 1 if any(f.severity >= fail_on for f in self.findings) else 0


def open_log(path: Path, stream: BinaryIO | None = None) -> tuple[Source, Iterator[LogEntry], LogReader]:
    """The log's kind and a lazy stream of its entries; ``TraceSourceError`` when it is not a query log.
    With ``stream`` (standard input), ``path`` only names it."""
    if stream is None and not path.exists():
        raise TraceSourceError(f"log file does not exist: {path}")
    if stream is None and path.is_dir():
        raise TraceSourceError(f"{path} is a directory: give a general or slow query log file")
    reader = LogReader(path, stream)
    kind, lines, flavor = sniff(reader)
    source = new_source(kind, path, flavor)

    def entries() -> Iterator[LogEntry]:
        parser: GeneralLogParser | SlowLogParser
        if kind == "slow":
            parser = SlowLogParser()
            parsed = parser.parse(lines)
        else:
            parser = GeneralLogParser()
            parsed = parser.parse(lines, lambda: reader.ended_with_newline)
        for entry in parsed:
            source.resolution = parser.resolution  # known from the first times read; windows use it at once
            yield entry
        source.flavor = source.flavor or parser.flavor
        source.notes.extend(reader.notes + parser.notes)
        source.lines = reader.lines

    return source, entries(), reader


def rank(groups: Sequence[Group], by_time: bool) -> list[Group]:
    if by_time:
        return sorted(groups, key=lambda g: (-g.total_time, -g.count, g.first_line))
    return sorted(groups, key=lambda g: (-g.count, g.first_line))


def trace(source: Source, entries: Iterator[LogEntry], setup: RuleSetup, window_ms: int,
          history: Iterator[LogEntry] | None = None) -> TraceResult:
    """Group the statements and run the trace rules on every connection window. ``history`` is a
    statement history in per-connection order for a source whose ``entries`` have none (performance_schema
    digests): it feeds the windows only."""
    fingerprinter = Fingerprinter(source.name)
    occurrences: dict[tuple[str, str, str | None], Occurrence] = {}
    connections: set[int] = set()

    def run_rules(window: ConnectionWindow) -> None:
        for rule in setup.rules:
            assert rule.check is not None
            for violation in rule.check(window, setup.options[rule.code]):
                _fold(occurrences, rule, violation)

    windows = Windows(window_ms / 1000, lambda: source.resolution, run_rules) if source.has_order else None
    fastest: float | None = None
    for statement in iter_statements(entries, fingerprinter, windows):
        if statement.connection is not None:
            connections.add(statement.connection)
        if statement.duration is not None and (fastest is None or statement.duration < fastest):
            fastest = statement.duration
    if source.kind == "slow" and fastest is not None and fastest >= SLOW_ONLY:
        source.notes.append(Note(f"every statement in this slow log took at least {fastest * 1000:,.0f} ms: it holds "
                                 "only what exceeded long_query_time, so quick repeated queries (N+1) are missing; "
                                 "record with long_query_time = 0 for a full trace"))
    if history is not None:
        ordered = Windows(window_ms / 1000, lambda: 1e-6, run_rules)
        for statement in iter_statements(history, fingerprinter, ordered, count=False):
            if statement.connection is not None:
                connections.add(statement.connection)
    groups = list(fingerprinter.groups.values())
    if source.has_order and groups and not connections:
        source.notes.append(Note("the log names no connection (thread) ids: the runtime N+1 and mergeable checks, "
                                 "which follow one connection, were skipped"))
    findings = sorted((_to_finding(o, setup, source, {}) for o in occurrences.values()), key=Finding.sort_key)
    return TraceResult(source, rank(groups, source.has_durations), findings, {},
                       statements=sum(g.count for g in groups), connections=len(connections),
                       occurrences=occurrences, fingerprinter=fingerprinter)


def _fold(occurrences: dict[tuple[str, str, str | None], Occurrence], rule: Rule, violation: Any) -> None:
    if not isinstance(violation, RuntimeViolation) or not violation.statements:
        return
    key = (rule.code, violation.statement.fingerprint, violation.related)
    known = occurrences.get(key)
    connection = violation.statements[0].connection
    if known is None:
        known = occurrences[key] = Occurrence(rule, violation, times=0)
    known.times += 1
    if connection is not None:
        known.connections.add(connection)
    if len(violation.statements) > len(known.violation.statements):
        known.violation = violation


def link(result: TraceResult, sites: dict[str, list[Site]], setup: RuleSetup) -> None:
    """Attach code locations: findings move to the code that issues the statement, unless suppressed there."""
    if isinstance(sites, SiteIndex):
        sites.resolve((g.fingerprint, g.example) for g in result.groups)
    result.sites = sites
    result.linked = True
    findings = []
    for occurrence in result.occurrences.values():
        found = sites.get(occurrence.violation.statement.fingerprint, [])
        if any(_suppressed(site, occurrence.rule) for site in found):
            continue
        findings.append(_to_finding(occurrence, setup, result.source, sites))
    result.findings = sorted(findings, key=Finding.sort_key)


def _suppressed(site: Site, rule: Rule) -> bool:
    if site.parsed is None:
        return False
    query = site.parsed.query
    codes, _ = sql_suppressions(query.raw)
    return is_suppressed(query.suppressed, rule.code, rule.name) or is_suppressed(codes, rule.code, rule.name)


LOOP_RULES = frozenset({"T001"})  # an N+1 finding belongs where the loop is


def best_sites(found: list[Site], loop_rule: bool = False) -> list[Site]:
    """The code sites of a statement, the one a finding should point at first: the call that runs it
    directly (not a caller that an extractor credited with a helper's SQL, nor the mapper statement
    itself), and for an N+1 the call inside the loop."""
    def rank(site: Site) -> tuple[int, bool, bool]:
        query = site.parsed.query if site.parsed is not None else None
        if query is None:
            return (3, True, True)
        looped = 0 if query.loop_line is not None else 1 if query.loop_depth else 2
        definition = query.language == "xml"  # a mapper statement: its Java caller is where it runs
        return (looped if loop_rule else 0, " → " in (query.call or ""), definition)
    return sorted(found, key=rank)


def _to_finding(occurrence: Occurrence, setup: RuleSetup, source: Source, sites: Mapping[str, list[Site]]) -> Finding:
    violation, rule = occurrence.violation, occurrence.rule
    subject = violation.statement
    found = best_sites(sites.get(subject.fingerprint, []), rule.code in LOOP_RULES)
    message = violation.message + (f" ({Path(source.name).name} line {subject.line})" if found else "")
    if occurrence.times > 1:
        connections = sorted(occurrence.connections)
        shown = ", ".join(str(c) for c in connections[:5]) + (", …" if len(connections) > 5 else "")
        message += f"; seen {occurrence.times} times in the log (connections {shown})"
    if found:
        site = found[0]
        others = f"; also issued at {', '.join(f'{s.path}:{s.line}' for s in found[1:4])}" if len(found) > 1 else ""
        return Finding(rule.code, rule.name, setup.severities.get(rule.code, rule.severity), site.path, site.line,
                       site.column, message + others, sql=collapse(subject.sql),
                       fingerprint=subject.fingerprint, variant=site.variant, suggestion=violation.resolved_suggestion(),
                       scope=site.scope)
    note = " (not found in the code checked)" if sites else ""
    return Finding(rule.code, rule.name, setup.severities.get(rule.code, rule.severity), source.name, subject.line, 1,
                   message + note, sql=collapse(subject.sql), fingerprint=subject.fingerprint,
                   suggestion=violation.resolved_suggestion())


# --- EXPLAIN of the top statements --------------------------------------------------------------------

def explain_top(result: TraceResult, stage: ExplainStage, top: int) -> ExplainOutcome:
    """EXPLAIN the ``top`` groups (by total time, else count) with the values that were logged; plan
    findings join the trace's, at the code's location when linked."""
    fingerprinter = result.fingerprinter or Fingerprinter(result.source.name)
    # The staging schema is often named differently from production's: the logged database is not checked.
    chosen = [g for g in result.groups if g.kind in EXPLAINABLE_KINDS and g.truncated < g.count][:top]
    parsed: list[ParsedQuery] = [fingerprinter.parse(g.example, g.example_line) for g in chosen]
    outcome = stage.run(parsed)
    result.explain_warnings.extend(outcome.warnings)
    result.server = outcome.server
    for item in outcome.explained:
        for query in item.job.queries:
            result.explained.setdefault(query.fingerprint, item)
    relocated = []
    for finding in outcome.findings:
        found = best_sites(result.sites.get(finding.fingerprint, []))
        detail = (" (explained from its performance_schema digest, values bound by type)"
                  if result.source.kind == PERFORMANCE_SCHEMA
                  else f" (explained with the values logged at {Path(result.source.name).name} line {finding.line})")
        if found:
            site = found[0]
            finding = dataclasses.replace(finding, path=site.path, line=site.line, column=site.column,
                                          scope=site.scope, variant=site.variant, message=finding.message + detail)
        relocated.append(finding)
    result.findings = sorted(result.findings + relocated, key=Finding.sort_key)
    return outcome


__all__ = ["PERFORMANCE_SCHEMA", "RuleSetup", "TraceResult", "TraceSourceError", "explain_top", "link", "open_log",
           "rank", "trace"]
