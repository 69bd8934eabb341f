"""Human output: findings grouped by file with the SQL excerpt, then a summary table per rule."""

from __future__ import annotations

from collections import Counter
from itertools import groupby

import click

from sqllint.engine import RunResult
from sqllint.records import Severity

_COLORS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}
_EXCERPT = 160


def _excerpt(sql: str) -> str:
    return sql if len(sql) <= _EXCERPT else sql[: _EXCERPT - 1] + "…"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def render_text(result: RunResult, color: bool = False) -> str:
    def style(text: str, **kwargs: object) -> str:
        return click.style(text, **kwargs) if color else text  # type: ignore[arg-type]

    lines: list[str] = []
    for path, group in groupby(result.findings, key=lambda f: f.path):
        lines.append(style(path, bold=True))
        for finding in group:
            severity = style(f"{finding.severity!s:<7}", fg=_COLORS[finding.severity])
            where = f"{finding.line}:{finding.column}"
            lines.append(f"  {where:<8} {style(finding.rule, bold=True)} {severity} {finding.message}  [{finding.name}]")
            indent = " " * 11
            if finding.variant:
                lines.append(f"{indent}variant: {finding.variant}")
            if finding.sql:
                lines.append(f"{indent}| {_excerpt(finding.sql)}")
            if finding.suggestion:
                lines.append(f"{indent}{style('fix:', fg='green')} {finding.suggestion}")
        lines.append("")
    stats = result.stats
    if result.findings:
        from tabulate import tabulate  # imported here: it costs start-up time a clean run need not pay

        counts = Counter((f.rule, f.name, f.severity) for f in result.findings)
        rows = [(code, name, str(severity), count) for (code, name, severity), count in sorted(counts.items())]
        lines.append(tabulate(rows, headers=["rule", "name", "severity", "count"], tablefmt="simple"))
        lines.append("")
        by_severity = Counter(f.severity for f in result.findings)
        parts = [f"{by_severity[s]} {s}{'s' if by_severity[s] != 1 and s != Severity.INFO else ''}"
                 for s in sorted(by_severity, reverse=True)]
        lines.append(f"Found {len(result.findings)} finding{'s' if len(result.findings) != 1 else ''} "
                     f"({', '.join(parts)}) in {_plural(stats.statements, 'statement')} from {_plural(stats.files, 'file')}.")
    else:
        lines.append(f"No findings: {_plural(stats.statements, 'statement')} ({_plural(stats.queries, 'variant')}) "
                     f"in {_plural(stats.files, 'file')} checked.")
    return "\n".join(lines) + "\n"
