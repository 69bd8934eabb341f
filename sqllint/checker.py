"""One file through the static pipeline: read → extract → parse → rules → suppress → findings.

A finding raised by several variants of one statement is reported once; its ``variant`` names the
variant where it appears (the one with most optional parts absent), or is None when it appears in all.
``engine`` runs a ``FileChecker`` per process over many files.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pathspec

from sqllint.config import Config
from sqllint.extract import ExtractOptions, Problem, extract_source
from sqllint.extract.placeholders import IDENTIFIER_HOLE_PREFIX, show_holes
from sqllint.files import SourceFile, read_source
from sqllint.parse import SqlParser
from sqllint.records import Finding, ParsedQuery, Query, Scope, Severity
from sqllint.registry import Registry, Rule, Violation, builtin_registry
from sqllint.suppress import is_suppressed, sql_suppressions

if TYPE_CHECKING:
    from sqllint.extract.project import ProjectIndex

SQL_EXCERPT_LIMIT = 500


@dataclass(frozen=True)
class Settings:
    """What a worker needs to check a file: picklable, derived once from the Config."""

    enabled: frozenset[str]
    options: dict[str, dict[str, Any]]
    severities: dict[str, Severity]
    max_file_size: int
    max_variants: int
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...]
    root: str
    project: ProjectIndex | None = None  # built by run() before the files are checked
    keep_parsed: bool = False  # hand parsed statements back for the EXPLAIN stage

    @staticmethod
    def from_config(config: Config, registry: Registry) -> Settings:
        enabled = config.enabled_codes(registry)
        return Settings(
            enabled=enabled,
            options={code: config.options_for(code, registry) for code in enabled},
            severities={r.code: config.severities.get(r.code, r.severity) for r in registry.rules},
            max_file_size=config.max_file_size,
            max_variants=config.max_variants,
            per_file_ignores=tuple((glob, tuple(
                r.code for selector in codes for r in registry.matching(selector))) for glob, codes in
                config.per_file_ignores.items()),
            root=str(config.root),
        )

    def ignored_codes(self, absolute: Path, shown: str) -> set[str]:
        """Codes ``per-file-ignores`` turns off for the file at ``absolute``: globs are relative to the
        project root; a file outside it is matched by its path as shown."""
        if not self.per_file_ignores:
            return set()
        try:
            relative = absolute.relative_to(self.root).as_posix()
        except ValueError:
            relative = shown
        return {code for glob, codes in self.per_file_ignores if _glob(glob).match_file(relative) for code in codes}


@functools.lru_cache(maxsize=256)
def _glob(pattern: str) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines([pattern])


@dataclass
class FileResult:
    findings: list[Finding] = field(default_factory=list)
    queries: int = 0
    statements: int = 0
    parse_errors: int = 0
    skipped: bool = False
    parsed: list[ParsedQuery] = field(default_factory=list)  # only when Settings.keep_parsed


def collapse(sql: str, limit: int = SQL_EXCERPT_LIMIT) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class FileChecker:
    """Checks one file at a time with a shared parser and rule set."""

    def __init__(self, settings: Settings, registry: Registry | None = None) -> None:
        self.settings = settings
        self.registry = registry or builtin_registry()
        self.parser = SqlParser()
        enabled = [r for r in self.registry.rules if r.code in settings.enabled]
        self.query_rules = [r for r in enabled if r.target == "query"]
        self.scope_rules = [r for r in enabled if r.target == "scope"]
        self._used: set[tuple[object, str]] = set()  # (statement, code) a suppression silenced (N001)

    def check(self, source: SourceFile) -> FileResult:
        read = read_source(source.absolute, self.settings.max_file_size)
        result = FileResult()
        self._used.clear()  # per file
        if read.data is None:
            result.skipped = True
            if source.language == "xml" and not _may_be_mapper(source):
                return result  # a huge or binary pom.xml / data file: not SQL, not worth a note
            self._add_problem(result, source.path, Problem("E003", 1, 1, read.note or "not read"))
            return self._filter_file(result, source)
        try:
            extraction = extract_source(read.data, source.path, source.language,
                                        ExtractOptions(self.settings.max_variants, self.settings.project))
        except RecursionError:
            self._add_problem(result, source.path, Problem("E003", 1, 1, "nested too deeply to read; its SQL was "
                                                                         "not checked"))
            return self._filter_file(result, source)
        except Exception as error:  # noqa: BLE001 - a bug reading one file must not end the run
            self._add_problem(result, source.path, Problem("E005", 1, 1, (
                f"sqllint failed while reading this file ({type(error).__name__}: {error}); its SQL was not "
                "checked. Please report it with the file's shape")))
            return self._filter_file(result, source)
        for problem in extraction.problems:
            self._add_problem(result, source.path, problem)
        # Counted where written: a call carrying another function's or a mapper's statement is no new one.
        written = [q for q in extraction.queries if q.resolved_from is None]
        result.queries = len(written)
        result.statements = len({q.statement for q in written})
        checkable = []
        before_problems = len(result.findings)
        for query in extraction.queries:
            if any(p.fragment for p in query.placeholders):
                self._fragment_problem(result, query)
            else:
                checkable.append(query)
        parsed = list(self.parser.parse_queries(checkable))
        raw: list[tuple[Rule, Violation, ParsedQuery]] = []
        for item in parsed:
            if item.query.resolved_from is not None:
                continue  # checked where the statement is defined; the scope rules below still read it
            if item.error is not None:
                result.parse_errors += 1
                self._parse_problem(result, item)
                continue
            if item.tree is None:
                continue
            for rule in self.query_rules:
                for violation in self._run_rule(rule, item, item, result):
                    raw.append((rule, violation, item))
        result.findings[before_problems:] = _fold_problem_variants(result.findings[before_problems:],
                                                                   extraction.queries)
        for scope in _scopes(parsed):
            for rule in self.scope_rules:
                for violation in self._run_rule(rule, scope, scope.queries[0], result):
                    raw.append((rule, violation, violation.query or scope.queries[0]))
        result.findings.extend(self._fold_variants(raw, parsed))
        self._unused_suppressions(result, extraction.queries, read.data)
        if self.settings.keep_parsed:
            # Statements that do not parse stay: an endpoint's chain still runs them (shown with their E001).
            result.parsed = [item for item in parsed if item.tree is not None or item.error is not None]
        return self._filter_file(result, source)

    def _run_rule(self, rule: Rule, subject: ParsedQuery | Scope, anchor: ParsedQuery,
                  result: FileResult) -> list[Violation]:
        """A rule's violations; a crashing rule becomes an E005 finding instead of ending the run."""
        assert rule.check is not None
        try:
            return list(rule.check(subject, self.settings.options[rule.code]))
        except Exception as error:  # noqa: BLE001 - one bad rule must not hide every other finding
            if "E005" in self.settings.enabled:
                query = anchor.query
                result.findings.append(self._finding(
                    "E005", query.path, query.line, query.column,
                    f"rule {rule.code} ({rule.name}) failed on this statement: {type(error).__name__}: {error}",
                    sql=collapse(query.raw), fingerprint=anchor.fingerprint))
            return []

    # --- findings ---------------------------------------------------------------------------------
    def _finding(self, code: str, path: str, line: int, column: int, message: str, **extra: Any) -> Finding:
        rule = self.registry[code]
        return Finding(code, rule.name, self.settings.severities.get(code, rule.severity), path, line, column,
                       message, **extra)

    def _add_problem(self, result: FileResult, path: str, problem: Problem) -> None:
        if problem.code in self.settings.enabled:
            result.findings.append(self._finding(problem.code, path, problem.line, problem.column,
                                                 problem.message, sql=collapse(problem.sql)))

    def _parse_problem(self, result: FileResult, item: ParsedQuery) -> None:
        query, error = item.query, item.error
        assert error is not None
        error_message = show_holes(error.message, query.placeholders)  # `{table}`, not the parser's stand-in
        has_holes = any(p.interpolated and not p.safe for p in query.placeholders)
        code = "E004" if has_holes and query.language != "sql" else "E001"
        if code not in self.settings.enabled or self._suppressed(query, code):
            return
        line, column = query.line, query.column
        where = f"statement line {error.line}, column {error.column}"
        if query.text_line_offset is not None:  # the statement sits verbatim in the file
            line = query.line + query.text_line_offset + error.line - 1
            column = error.column if error.line > 1 or query.text_line_offset else query.column + error.column - 1
        elif query.line_map:  # assembled from pieces of the file (MyBatis XML)
            written, first = query.line_map[error.line - 1] if error.line <= len(query.line_map) else (0, 0)
            if written:
                line, column = written, first + error.column - 1 if first else 1
                where = f"statement line {error.line}"
            else:
                where += " of the SQL built for this variant, a line joining several elements' text"
        if code == "E004":
            holes = ", ".join(dict.fromkeys(f"`{p.name}`" for p in query.placeholders if p.interpolated and not p.safe))
            message = f"SQL built from {holes} does not parse once they are stubbed out ({error_message})"
        else:
            message = f"SQL does not parse: {error_message} ({where})"
        result.findings.append(self._finding(
            code, query.path, line, column, message, sql=collapse(query.raw), fingerprint=item.fingerprint,
            variant=query.variant.label if query.variant else None, scope=query.scope, end_line=query.end_line))

    def _fragment_problem(self, result: FileResult, query: Query) -> None:
        if "E004" not in self.settings.enabled or self._suppressed(query, "E004"):
            return
        fragments = ", ".join(dict.fromkeys(f"`{p.name}`" for p in query.placeholders if p.fragment))
        result.findings.append(self._finding(
            "E004", query.path, query.line, query.column,
            f"SQL is completed by {fragments}, which the extractor cannot see: "
            f"{'the statement was' if query.variant is None else 'the variants with it were'} not checked",
            sql=collapse(query.raw), variant=query.variant.label if query.variant else None,
            scope=query.scope, end_line=query.end_line))

    def _suppressed(self, query: Query, code: str) -> bool:
        name = self.registry[code].name
        codes = query.suppressed
        if not is_suppressed(codes, code, name) and not is_suppressed(sql_suppressions(query.raw)[0], code, name):
            return False
        self._used.add((query.statement, code))  # for N001: this suppression did something
        return True

    def _unused_suppressions(self, result: FileResult, queries: Sequence[Query], data: bytes) -> None:
        if "N001" not in self.settings.enabled or not any(q.suppressed or "sqllint:" in q.raw for q in queries):
            return
        from sqllint.unused import unused_suppressions

        text = data.decode("utf-8", "replace")
        for found in unused_suppressions(queries, self._used, self.registry, self.settings.enabled, text):
            query = found.query
            why = [f"{key}: {'no such rule' if reason == 'unknown' else 'not enabled in this run'}"
                   for key, reason in zip(found.keys, found.reasons) if reason]
            result.findings.append(self._finding(
                "N001", query.path, query.line, query.column,
                f"`sqllint: ignore[{', '.join(found.keys)}]` suppresses nothing on this statement"
                + (f" ({'; '.join(why)})" if why else ""),
                sql=collapse(query.raw), scope=query.scope, end_line=query.end_line,
                suggestion="remove the stale suppression (or name the rule that fires here)"))

    def _fold_variants(self, raw: list[tuple[Rule, Violation, ParsedQuery]], parsed: list[ParsedQuery]) -> list[Finding]:
        # By statement: a call of a function running two statements has the variants of each.
        variants_per_site: dict[tuple[Any, ...], int] = {}
        for item in parsed:
            variants_per_site[item.query.statement] = variants_per_site.get(item.query.statement, 0) + 1
        grouped: dict[tuple[Any, ...], list[tuple[Rule, Violation, ParsedQuery]]] = {}
        for rule, violation, item in raw:
            if self._suppressed(item.query, rule.code):
                continue
            if IDENTIFIER_HOLE_PREFIX in violation.message:
                violation = dataclasses.replace(violation, message=show_holes(violation.message,
                                                                              item.query.placeholders))
            key = (rule.code, item.query.statement, violation.family or violation.message, violation.suggestion)
            grouped.setdefault(key, []).append((rule, violation, item))
        findings = []
        for hits in grouped.values():
            rule, violation, item = hits[0]
            query = item.query
            if violation.merge is not None and len(hits) > 1:
                fullest_first = sorted((h[1].subjects for h in hits), key=len, reverse=True)  # source order
                subjects = tuple(dict.fromkeys(s for names in fullest_first for s in names))
                violation = dataclasses.replace(violation, message=violation.merge(subjects))
            labels = list(dict.fromkeys(h[2].query.variant.label for h in hits if h[2].query.variant))
            variant = None
            # Counted by variant, not by label: variants that differ only in hidden parts share a label.
            if query.variant is not None and len({h[2].query.variant for h in hits}) < variants_per_site[query.statement]:
                variant = labels[0] + (f" (+{len(labels) - 1} more variant{'s' if len(labels) > 2 else ''})"
                                       if len(labels) > 1 else "")
            findings.append(self._finding(
                rule.code, query.path, query.line, query.column, violation.message, sql=collapse(query.raw),
                fingerprint=item.fingerprint, variant=variant, suggestion=violation.suggestion,
                scope=query.scope, end_line=query.end_line))
        return findings

    def _filter_file(self, result: FileResult, source: SourceFile) -> FileResult:
        ignored = self.settings.ignored_codes(source.absolute, source.path)
        if ignored:
            result.findings = [f for f in result.findings if f.rule not in ignored]
        return result


_STUBBED = re.compile(r"SQL built from (.*?) does not parse once")


_JOINED_LINE = "a line joining several elements' text"


def _fold_problem_variants(findings: list[Finding], queries: Sequence[Query]) -> list[Finding]:
    """One E004 per statement and message, one E001 per statement, not one per variant: a MyBatis statement
    whose every variant ends in ``${params.dataScope}`` is one problem, not eight."""
    if len(findings) < 2:
        return findings
    variants_per_site: dict[tuple[str, int, int], int] = {}
    for query in queries:
        variants_per_site[query.site] = variants_per_site.get(query.site, 0) + 1
    grouped: dict[tuple[Any, ...], list[Finding]] = {}
    for finding in findings:
        # Variants that fail to parse once their holes are stubbed fail in as many ways as there are
        # combinations (impossible ones too: `if start > 0 and limit > 0` beside `if start < 1`): one note.
        stubbed = finding.rule == "E004" and _STUBBED.match(finding.message)
        message = "stubbed" if stubbed else finding.message
        where: tuple[Any, ...] = (finding.line, finding.column)
        if finding.rule == "E001" and finding.scope:
            # One broken part of a dynamic statement fails every variant holding it, each at its own
            # column and token (what follows it differs): one finding per statement, the first to fix.
            # (A statement is its scope and its end line: a mapper's, or a call site's in a function.)
            message, where = "", (finding.scope, finding.end_line)
        grouped.setdefault((finding.rule, finding.path, *where, message), []).append(finding)
    folded = []
    for hits in grouped.values():
        # the most precise location: a variant whose broken line is one element's own text
        first = min(hits, key=lambda h: _JOINED_LINE in h.message)
        if len(hits) > 1 and first.rule == "E004" and (match := _STUBBED.match(first.message)):
            names = dict.fromkeys(n for h in hits if (m := _STUBBED.match(h.message))
                                  for n in m.group(1).split(", "))
            first = dataclasses.replace(first, message=f"SQL built from {', '.join(names)}{first.message[match.end(1):]}")
        labels = list(dict.fromkeys(h.variant for h in hits if h.variant))
        labels = [first.variant, *(label for label in labels if label != first.variant)] if first.variant else labels
        if len(labels) > 1:
            site = (first.path, first.line, first.column)
            variant = None if len(labels) >= variants_per_site.get(site, 0) else (
                f"{labels[0]} (+{len(labels) - 1} more variant{'s' if len(labels) > 2 else ''})")
            first = dataclasses.replace(first, variant=variant)
        folded.append(first)
    return folded


def _may_be_mapper(source: SourceFile) -> bool:
    from sqllint.extract.mybatis import looks_like_mapper  # only runs that meet an unreadable .xml

    try:
        with open(source.absolute, "rb") as handle:
            return looks_like_mapper(handle.read(65536))
    except OSError:
        return True  # cannot tell: keep the note


def _scopes(parsed: Sequence[ParsedQuery]) -> list[Scope]:
    grouped: dict[tuple[str, str], list[ParsedQuery]] = {}
    for item in parsed:
        if item.query.scope is not None:
            grouped.setdefault((item.query.path, item.query.scope), []).append(item)
    return [Scope(path, name, tuple(items)) for (path, name), items in grouped.items()]
