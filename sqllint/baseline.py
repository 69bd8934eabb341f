"""The baseline: what a project has accepted, so that ``check`` fails only on what got worse.

``sqllint.baseline.json`` holds one entry per query fingerprint: the SQL (an excerpt, for the
reviewer), the files it occurs in, its findings counted per rule, and the summary of its plan when the
EXPLAIN stage produced one. Findings are matched by (fingerprint, rule) and counted, never by line, so
moving code or editing around a query does not make old findings new. Findings that have no
fingerprint (a file that could not be read) are keyed ``file:<path>``. The file is written sorted with
stable keys and one item per line, so its diff reads well in review; writes are atomic.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqllint.records import Finding, Severity
from sqllint.regression import (DEFAULT_ROWS_FACTOR, PlanFormatError, PlanSummary, compare_plans, describe_table,
                                summary_from_plan)

BASELINE_NAME = "sqllint.baseline.json"
BASELINE_VERSION = 1
_FINGERPRINT = re.compile(r"^(?:[0-9a-f]{16}|file:.+)$")
_CODE = re.compile(r"^[A-Z]\d{3}$")
_SQL_LIMIT = 200


class BaselineError(Exception):
    """A baseline that cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class QueryPlan:
    """What the EXPLAIN stage hands to the baseline: a query's plan and where the query is."""

    fingerprint: str
    path: str
    line: int
    sql: str
    plan: PlanSummary
    column: int = 1


def query_plans(explained: Iterable[Any]) -> list[QueryPlan]:
    """``QueryPlan``s from the EXPLAIN stage's results (``ExplainOutcome.explained``: items with ``plan``
    and ``job.queries``), one per fingerprint, at its first call site."""
    found: dict[str, QueryPlan] = {}
    for item in explained:
        if getattr(item, "plan", None) is None:
            continue
        summary = summary_from_plan(item.plan)
        for parsed in item.job.queries:
            query = parsed.query
            if parsed.fingerprint and parsed.fingerprint not in found:
                found[parsed.fingerprint] = QueryPlan(parsed.fingerprint, query.path, query.line, query.raw,
                                                      summary, query.column)
    return sorted(found.values(), key=lambda q: (q.path, q.line, q.fingerprint))


@dataclass(frozen=True)
class Entry:
    fingerprint: str
    sql: str = ""
    locations: tuple[str, ...] = ()  # root-relative paths, sorted
    findings: Mapping[str, int] = field(default_factory=dict)  # rule code → count
    names: Mapping[str, str] = field(default_factory=dict)  # rule code → rule name (for readers)
    plan: PlanSummary | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "findings": [{"count": self.findings[code], "name": self.names.get(code, ""), "rule": code}
                         for code in sorted(self.findings)],
            "locations": sorted(self.locations),
            "sql": self.sql,
        }
        if self.plan is not None:
            data["plan"] = self.plan.to_json()
        return data


@dataclass(frozen=True)
class Baseline:
    entries: Mapping[str, Entry] = field(default_factory=dict)

    def to_json(self) -> str:
        document = {"version": BASELINE_VERSION,
                    "queries": {fp: self.entries[fp].to_json() for fp in sorted(self.entries)}}
        return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def finding_key(finding: Finding, relative: str) -> str:
    return finding.fingerprint or f"file:{relative}"


def _excerpt(sql: str) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= _SQL_LIMIT else text[: _SQL_LIMIT - 1] + "…"


def build_baseline(findings: Iterable[Finding], plans: Iterable[QueryPlan], relative: Callable[[str], str],
                   previous: Baseline | None = None) -> Baseline:
    """The current state as a baseline. Without plans, the plans ``previous`` recorded are kept."""
    entries: dict[str, dict[str, Any]] = {}

    def entry(key: str) -> dict[str, Any]:
        return entries.setdefault(key, {"sql": "", "locations": set(), "findings": {}, "names": {}, "plan": None})

    for finding in findings:
        if finding.rule.startswith("R"):
            continue  # plan regressions are recorded as the plan itself, never as findings
        path = relative(finding.path)
        item = entry(finding_key(finding, path))
        item["sql"] = item["sql"] or _excerpt(finding.sql)
        item["locations"].add(path)
        item["findings"][finding.rule] = item["findings"].get(finding.rule, 0) + 1
        item["names"][finding.rule] = finding.name
    plans = list(plans)
    for query in plans:
        item = entry(query.fingerprint)
        item["sql"] = item["sql"] or _excerpt(query.sql)
        item["locations"].add(relative(query.path))
        item["plan"] = query.plan
    if not plans and previous is not None:
        for fingerprint, old in previous.entries.items():
            if old.plan is not None:
                item = entry(fingerprint)
                item["sql"] = item["sql"] or old.sql
                item["locations"] |= set(old.locations)
                item["plan"] = old.plan
    return Baseline({key: Entry(key, v["sql"], tuple(sorted(v["locations"])), v["findings"], v["names"], v["plan"])
                     for key, v in entries.items()})


# --- reading and writing ----------------------------------------------------------------------------

def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise BaselineError(f"duplicate key {key!r}")
        seen[key] = value
    return seen


def _parse_entry(fingerprint: str, data: Any, where: str) -> Entry:
    if not _FINGERPRINT.match(fingerprint):
        raise BaselineError(f"{where}: {fingerprint!r} is not a query fingerprint (16 hex digits or file:PATH)")
    if not isinstance(data, dict):
        raise BaselineError(f"{where}: an entry must be an object")
    unknown = set(data) - {"findings", "locations", "plan", "sql"}
    if unknown:
        raise BaselineError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    sql = data.get("sql", "")
    locations = data.get("locations", [])
    if not isinstance(sql, str):
        raise BaselineError(f"{where}.sql must be a string")
    if not isinstance(locations, list) or not all(isinstance(p, str) for p in locations):
        raise BaselineError(f"{where}.locations must be a list of paths")
    raw_findings = data.get("findings", [])
    if not isinstance(raw_findings, list):
        raise BaselineError(f"{where}.findings must be a list")
    counts: dict[str, int] = {}
    names: dict[str, str] = {}
    for index, item in enumerate(raw_findings):
        at = f"{where}.findings[{index}]"
        if not isinstance(item, dict) or set(item) - {"count", "name", "rule"}:
            raise BaselineError(f"{at} must be an object with rule, name and count")
        code, count = item.get("rule"), item.get("count", 1)
        if not isinstance(code, str) or not _CODE.match(code):
            raise BaselineError(f"{at}.rule must be a rule code such as \"S001\", got {code!r}")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise BaselineError(f"{at}.count must be a positive integer, got {count!r}")
        if code in counts:
            raise BaselineError(f"{at}: rule {code} is listed twice")
        counts[code] = count
        names[code] = str(item.get("name", ""))
    plan = None
    if data.get("plan") is not None:
        try:
            plan = PlanSummary.from_json(data["plan"], f"{where}.plan")
        except PlanFormatError as error:
            raise BaselineError(str(error)) from None
    return Entry(fingerprint, sql, tuple(locations), counts, names, plan)


def parse_baseline(text: str, name: str) -> Baseline:
    """Read a baseline document; any problem raises ``BaselineError`` naming ``name`` and the spot."""
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as error:
        raise BaselineError(f"{name}: not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})") from None
    except BaselineError as error:
        raise BaselineError(f"{name}: {error}") from None
    if not isinstance(data, dict):
        raise BaselineError(f"{name}: the document must be a JSON object")
    if data.get("version") != BASELINE_VERSION:
        raise BaselineError(f"{name}: unsupported version {data.get('version')!r} (expected {BASELINE_VERSION})")
    unknown = set(data) - {"version", "queries"}
    if unknown:
        raise BaselineError(f"{name}: unknown field(s) {', '.join(sorted(unknown))}")
    queries = data.get("queries")
    if not isinstance(queries, dict):
        raise BaselineError(f"{name}: \"queries\" must be an object keyed by fingerprint")
    entries = {fp: _parse_entry(fp, item, f"{name}: queries[{fp!r}]") for fp, item in queries.items()}
    return Baseline(entries)


def load_baseline(path: Path) -> Baseline:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BaselineError(f"{path}: not UTF-8 text") from None
    except OSError as error:
        raise BaselineError(f"{path}: cannot read: {error.strerror or error}") from None
    return parse_baseline(text, str(path))


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path`` and rename it over: never a truncated file."""
    try:
        handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.",
                                             suffix=".tmp", delete=False)
    except OSError as error:
        raise BaselineError(f"{path}: cannot write: {error.strerror or error}") from None
    try:
        with handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes the file 0600; a baseline is committed and shared, so give it the usual mode.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(handle.name, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~umask)
        os.replace(handle.name, path)
    except OSError as error:
        Path(handle.name).unlink(missing_ok=True)
        raise BaselineError(f"{path}: cannot write: {error.strerror or error}") from None
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def write_baseline(path: Path, baseline: Baseline) -> None:
    write_atomic(path, baseline.to_json())


# --- comparing --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Gone:
    """A baseline entry (or part of one) that no longer occurs: fixed, or the query changed."""

    fingerprint: str
    sql: str
    locations: tuple[str, ...]
    rules: Mapping[str, int]  # rule code → how many of the recorded findings are gone

    def describe(self) -> str:
        rules = ", ".join(f"{code}×{n}" if n > 1 else code for code, n in sorted(self.rules.items())) or "plan"
        where = ", ".join(self.locations) or "?"
        return f"{self.fingerprint} [{rules}] in {where}: {self.sql}"


@dataclass
class Comparison:
    new: list[Finding] = field(default_factory=list)  # findings the baseline does not cover
    plan_findings: list[Finding] = field(default_factory=list)  # R001 regressions and R002 improvements
    baselined: int = 0
    gone: list[Gone] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return sorted(self.new + self.plan_findings, key=Finding.sort_key)


def _new_in_group(group: Sequence[Finding], allowed: int, known: set[str], relative: Callable[[str], str]) -> list[Finding]:
    """Which of ``group`` (same fingerprint and rule) exceed the ``allowed`` count: those in files the
    baseline never saw this query in come first, then the last ones in file order."""
    if len(group) <= allowed:
        return []
    ordered = sorted(group, key=lambda f: (relative(f.path) in known, f.sort_key()))
    return sorted(ordered[: len(group) - allowed], key=Finding.sort_key)


def compare(baseline: Baseline, findings: Iterable[Finding], plans: Iterable[QueryPlan],
            relative: Callable[[str], str], severities: Mapping[str, Severity] | None = None,
            enabled: frozenset[str] | None = None, rows_factor: float = DEFAULT_ROWS_FACTOR) -> Comparison:
    """Split the current findings into new and baselined, and compare plans with the recorded ones."""
    severities = severities or {}
    result = Comparison()
    groups: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        groups.setdefault((finding_key(finding, relative(finding.path)), finding.rule), []).append(finding)
    for (key, code), group in groups.items():
        entry = baseline.entries.get(key)
        allowed = entry.findings.get(code, 0) if entry else 0
        new = _new_in_group(group, allowed, set(entry.locations) if entry else set(), relative)
        result.new.extend(new)
        result.baselined += len(group) - len(new)
    for key, entry in sorted(baseline.entries.items()):
        missing = {code: count - len(groups.get((key, code), ()))
                   for code, count in entry.findings.items() if len(groups.get((key, code), ())) < count}
        if missing:
            result.gone.append(Gone(key, entry.sql, entry.locations, missing))
    plans = list(plans)
    for query in plans:
        entry = baseline.entries.get(query.fingerprint)
        if entry is None or entry.plan is None:
            continue  # a query the baseline has no plan for is new, not a regression
        diff = compare_plans(entry.plan, query.plan, rows_factor)
        for code, grouped in (("R001", diff.tables(True)), ("R002", diff.tables(False))):
            if enabled is not None and code not in enabled:
                continue
            name, default = ("plan-regression", Severity.ERROR) if code == "R001" else ("plan-improvement", Severity.INFO)
            verb = "got worse" if code == "R001" else "got better"
            for table, changes in grouped.items():
                result.plan_findings.append(Finding(
                    code, name, severities.get(code, default), query.path, query.line, query.column,
                    f"plan {verb}: {describe_table(table, changes)}", sql=_excerpt(query.sql),
                    fingerprint=query.fingerprint))
    if plans:
        seen = {q.fingerprint for q in plans}
        known_gone = {g.fingerprint for g in result.gone}
        for key, entry in sorted(baseline.entries.items()):
            if entry.plan is not None and key not in seen and key not in known_gone and not entry.findings:
                result.gone.append(Gone(key, entry.sql, entry.locations, {}))
    return result

