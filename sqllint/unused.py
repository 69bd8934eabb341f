"""Suppressions that no longer match anything (N001), as ruff's RUF100 reports unused ``noqa``.

A statement's ``sqllint: ignore[…]`` names rules; a name is unused when that rule raised nothing on any
variant of the statement in this run, when the rule is not enabled, or when no rule has that name.
Only what one file's check can judge is judged: static statement rules and the parse/fragment notes
(E001, E004, E005). Plan, regression and trace codes need a database or a log; M001/M002 may be raised
across an endpoint's call chain (``check --endpoints``) where the file's own check sees nothing;
blanket ``ignore`` and ``ignore-file`` directives cover whole spans; codes an extractor applies itself
(E021–E024) never reach the checker. None of those is reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqllint.records import Query
from sqllint.registry import Registry
from sqllint.suppress import ALL, parse_suppressions, sql_suppressions

JUDGED_TARGETS = frozenset({"query"})
JUDGED_NOTES = frozenset({"E001", "E004", "E005"})  # raised by the checker through the same suppressions


@dataclass(frozen=True)
class Unused:
    query: Query  # the statement's first variant: where the finding is placed
    keys: tuple[str, ...]  # as written (code or name)
    reasons: tuple[str, ...]  # per key: "" (matched nothing), "not enabled", "unknown"


def file_wide(text: str) -> frozenset[str]:
    """Codes the file's ``ignore-file`` directives name (``*`` for a blanket one)."""
    codes: set[str] = set()
    for line in text.splitlines():
        if "ignore-file" in line:
            found, whole_file = parse_suppressions(line)
            if whole_file:
                codes |= found
    return frozenset(codes)


def unused_suppressions(queries: Sequence[Query], used: set[tuple[object, str]], registry: Registry,
                        enabled: Iterable[str], text: str) -> list[Unused]:
    """Per statement, the suppression keys nothing used. ``used``: (statement key, rule code) pairs the
    checker suppressed a finding for."""
    enabled = frozenset(enabled)
    wide = file_wide(text) if "ignore-file" in text else frozenset()
    if ALL in wide:
        return []
    statements: dict[object, list[Query]] = {}
    for query in queries:
        statements.setdefault(query.statement, []).append(query)
    out = []
    for key, variants in statements.items():
        declared: set[str] = set()
        for query in variants:
            declared |= query.suppressed | sql_suppressions(query.raw)[0]
        declared -= wide | {ALL}
        keys, reasons = [], []
        for written in sorted(declared):
            rule = registry.get(written)
            if rule is None:
                keys.append(written)
                reasons.append("unknown")
                continue
            if rule.target not in JUDGED_TARGETS and rule.code not in JUDGED_NOTES:
                continue
            if rule.code in wide:
                continue
            if rule.code not in enabled:
                keys.append(written)
                reasons.append("not enabled")
            elif (key, rule.code) not in used:
                keys.append(written)
                reasons.append("")
        if keys:
            out.append(Unused(variants[0], tuple(keys), tuple(reasons)))
    return out
