"""A PR-comment summary in GitHub-flavoured Markdown: counts, the plan regressions before → after,
then the other findings. Kept short: a PR comment is read, not searched."""

from __future__ import annotations

from collections import Counter

from sqllint.engine import RunResult
from sqllint.records import Finding, Severity

_MAX_ROWS = 50
_ICONS = {Severity.ERROR: "🔴", Severity.WARNING: "🟠", Severity.INFO: "🔵"}


def cell(text: str, limit: int = 120) -> str:
    """Text that stays inside one table cell: pipes escaped, no newlines, bounded."""
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _code(text: str) -> str:
    return f"`{cell(text).replace('`', 'ʼ')}`" if text else ""


def _plan_rows(findings: list[Finding]) -> list[str]:
    rows = ["| Query | Table | Before → after |", "| --- | --- | --- |"]
    for f in findings[:_MAX_ROWS]:
        table, _, changes = f.message.partition(": ")[2].partition(": ")
        rows.append(f"| `{cell(f.path)}:{f.line}` {_code(f.sql)} | {cell(table)} | {cell(changes, 200)} |")
    return rows


def render_markdown(result: RunResult) -> str:
    findings = result.findings
    regressions = [f for f in findings if f.rule == "R001"]
    improvements = [f for f in findings if f.rule == "R002"]
    others = [f for f in findings if f.rule not in ("R001", "R002")]
    by_severity = Counter(f.severity for f in findings)
    stats = result.stats
    lines = ["## sqllint", ""]
    accepted = getattr(stats, "baselined", 0)
    known = f" ({accepted} known finding{'s' if accepted != 1 else ''} in the baseline)" if accepted else ""
    if not findings:
        lines.append(f"✅ No new findings in {stats.statements} statements from {stats.files} files{known}.")
        return "\n".join(lines) + "\n"
    counts = ", ".join(f"{_ICONS[s]} {by_severity[s]} {s}" for s in sorted(by_severity, reverse=True))
    lines += [f"**{len(findings)} new finding{'s' if len(findings) != 1 else ''}** ({counts}) in "
              f"{stats.statements} statements from {stats.files} files; "
              f"{len(regressions)} plan regression{'s' if len(regressions) != 1 else ''}, "
              f"{len(improvements)} improvement{'s' if len(improvements) != 1 else ''}{known}.", ""]
    if regressions:
        lines += ["### Plan regressions", "", *_plan_rows(regressions), ""]
    if improvements:
        lines += ["<details><summary>Plan improvements</summary>", "", *_plan_rows(improvements), "", "</details>", ""]
    if others:
        per_rule = Counter((f.rule, f.name, f.severity) for f in others)
        lines += ["### Findings by rule", "", "| Rule | Severity | Count |", "| --- | --- | ---: |"]
        lines += [f"| {code} {name} | {sev} | {n} |" for (code, name, sev), n in sorted(per_rule.items())]
        lines += ["", "<details><summary>All findings</summary>", "", "| Where | Rule | Message |",
                  "| --- | --- | --- |"]
        lines += [f"| `{cell(f.path)}:{f.line}` | {f.rule} | {cell(f.message, 200)} |" for f in others[:_MAX_ROWS]]
        if len(others) > _MAX_ROWS:
            lines.append(f"| … | | {len(others) - _MAX_ROWS} more |")
        lines += ["", "</details>", ""]
    return "\n".join(lines).rstrip("\n") + "\n"
