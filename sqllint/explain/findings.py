"""Plan findings: what the EXPLAIN stage reports for the statements it explained.

Kept apart from ``stage.py`` (which explains) so each stays small: this module only turns explained
statements, their errors and their rules' violations into ``Finding`` records, folding the variants
of one statement that share a problem as the static rules do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqllint.checker import collapse
from sqllint.records import Finding, ParsedQuery, Severity
from sqllint.registry import Rule
from sqllint.suppress import is_suppressed, sql_suppressions

if TYPE_CHECKING:
    from sqllint.explain.stage import Explained


def plan_findings(results: Sequence[Explained], enabled: frozenset[str], rules: dict[str, Rule],
                  severities: dict[str, Severity], time_limit: float) -> list[Finding]:
    """One finding per (rule, call site, message) from the explained statements: plan rule violations,
    EXPLAIN errors (E010), time limits (E011) and crashed rules (E005), with the statement's notes
    (rewrite, guessed binding) and its suppressions applied."""
    found: dict[tuple[Any, ...], Finding] = {}
    for item in results:
        if item.error is None and not item.violations:
            continue  # most statements: nothing to report
        notes = _notes(item)
        for query in item.job.queries:
            entries: list[tuple[str, str, str | None]] = []
            if item.error is not None:
                code = "E011" if item.error.time_limit else "E010"
                if item.error.time_limit:
                    text = (f"EXPLAIN hit the {time_limit:g}s time limit on the staging "
                            f"database and was stopped ({item.error.message})")
                elif item.error.refused:
                    text = item.error.message
                else:
                    text = (f"EXPLAIN failed on the staging database: {item.error.message}"
                            + (f" (server error {item.error.code})" if item.error.code else ""))
                entries.append((code, text, None))
            for rule, violation in item.violations:
                if isinstance(violation, Crash):
                    entries.append(("E005", str(violation), None))
                else:
                    entries.append((rule.code, violation.message, violation.suggestion))
            for code, message, suggestion in entries:
                if code not in enabled or _suppressed(query, code, rules[code].name):
                    continue
                # Variants of one statement with the same problem are one finding (the first
                # variant's notes), as the static rules fold them.
                key = (code, query.query.site, message)
                if key in found:
                    continue
                if code != "E005":
                    message += notes
                rule = rules[code]
                found[key] = Finding(
                    code, rule.name, severities.get(code, rule.severity), query.query.path,
                    query.query.line, query.query.column, message, sql=collapse(query.query.raw),
                    fingerprint=query.fingerprint,
                    variant=query.query.variant.label if query.query.variant else None,
                    suggestion=suggestion, scope=query.query.scope, end_line=query.query.end_line)
    return list(found.values())


@dataclass(frozen=True)
class Crash:
    """A plan rule that raised on a plan: reported as E005, never cached."""

    rule: Rule
    error: Exception

    def __str__(self) -> str:
        return (f"rule {self.rule.code} ({self.rule.name}) failed on this plan: "
                f"{type(self.error).__name__}: {self.error}")


def _notes(item: Explained) -> str:
    notes = []
    if item.job.rewritten_from:
        notes.append(f"explained as the equivalent SELECT over the same tables and conditions, since "
                     f"{item.job.rewritten_from.upper()} is never sent to the server")
    if item.job.binding is not None and item.job.binding.guessed:
        notes.append("binding was a guess: " + "; ".join(item.job.binding.guesses))
    return f" ({'; '.join(notes)})" if notes else ""


def _suppressed(query: ParsedQuery, code: str, name: str) -> bool:
    if is_suppressed(query.query.suppressed, code, name):
        return True
    codes, _ = sql_suppressions(query.query.raw)
    return is_suppressed(codes, code, name)
