"""The output of ``sqllint explain``: a text walkthrough for a developer, or JSON for tools.

JSON (version 1, additive changes only)::

    {"version": 1, "target": ..., "database": {"dsn", "connected", "server", "reason"},
     "queries": [{"path", "line", "column", "end_line", "scope", "runs" (the mapper statement a Java
                  call runs, or null), "written_at" (for a statement of a function called there: the
                  [path, line, column] of each call down to the DB call, else []), "variant_count",
                  "variants": [{"number", "label", "sql", "sent_sql", "rewritten_from", "binding_guesses",
                                "plan": {"source", "flavor", "total_cost", "rows": [...]} | null,
                                "tree": [...], "rows_examined", "summary": [...], "findings": [...],
                                "advice": [...], "no_plan"}]}],
     "total_rows_examined": int | null,
     "worst_variants": [{"path", "line", "variant", "rows_examined", "loop_line"}], "notes": [...]}
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import asdict
from typing import Any

import click

from sqllint.explain.plantree import build_tree
from sqllint.explain.render import layout_sql, plan_table, render_tree, summarize
from sqllint.explain.walkthrough import SiteFacts, VariantFacts, Walkthrough
from sqllint.records import Finding, Severity

JSON_VERSION = 1
INDENT = "    "
_SEVERITY_COLORS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}


def worst_variants(walkthrough: Walkthrough) -> list[tuple[int, VariantFacts]]:
    """Per query, the explained variant that examines the most rows (what the query costs at worst)."""
    worst = []
    for site in walkthrough.sites:
        planned = [(v.plan.rows_examined(), v) for v in site.variants if v.plan is not None]
        if planned:
            worst.append(max(planned, key=lambda pair: pair[0]))
    return worst


def _as_written(raw: str) -> str:
    """The statement as the source spells it (placeholders included), laid out like the SQL sent.

    Code that builds SQL piece by piece leaves odd line breaks (``sql += " AND …"``), so the text is
    re-flowed: whitespace between tokens becomes one space and ``layout_sql`` breaks it into clauses.
    Text with comments (``#{…}`` reads as one in MySQL) is only dedented, so nothing is lost."""
    from sqlglot.dialects.mysql import MySQL

    text = raw.strip()
    if not any(mark in text for mark in ("#", "--", "/*")):
        try:
            tokens = MySQL().tokenize(text)
        except Exception:  # noqa: BLE001 - fall back to the dedented text
            tokens = []
        if tokens:
            pieces = [text[tokens[0].start : tokens[0].end + 1]]
            for before, token in zip(tokens, tokens[1:]):
                gap = text[before.end + 1 : token.start]
                pieces.append((" " if gap.strip() == "" and gap else gap) + text[token.start : token.end + 1])
            return layout_sql("".join(pieces) + text[tokens[-1].end + 1 :].rstrip())
    lines = [line.rstrip() for line in textwrap.dedent(raw.strip("\n")).splitlines()]
    return "\n".join(line for line in lines if line.strip())


def _indent(text: str, prefix: str = INDENT) -> list[str]:
    return [prefix + line if line else line for line in text.splitlines()]


# --- text -----------------------------------------------------------------------------------------------

def render_text(walkthrough: Walkthrough, color: bool = False) -> str:
    def style(text: str, **kwargs: Any) -> str:
        return click.style(text, **kwargs) if color else text

    out: list[str] = []
    db = walkthrough.database
    if db.connected:
        out.append(f"database: {db.dsn} ({db.server})" if db.server else f"database: {db.dsn}")
    else:
        out.append(style(f"no plans: {db.reason}", fg="yellow") if db.reason else "no plans")
        out.append("showing the SQL, its variants and the static findings only")
    for note in walkthrough.notes:
        out.append(f"note: {note}")
    total_sites = len(walkthrough.sites)
    for number, site_facts in enumerate(walkthrough.sites, start=1):
        site = site_facts.site
        out.append("")
        title = f"query {number} of {total_sites}: {site.describe()}"
        out.append(style(f"━━ {title}", bold=True))
        for item in site_facts.variants:
            if item.label is not None:
                index, count = site.number_of(item.query)
                out.append("")
                out.append(style(f"── variant {index} of {count}: {item.label}", bold=True))
            out.extend(_variant_text(item, style, db.name))
        out.extend(_comparison_text(site_facts))
    out.append("")
    out.extend(_total_text(walkthrough))
    return "\n".join(out) + "\n"


def _variant_text(item: VariantFacts, style: Any, database: str | None = None) -> list[str]:
    lines: list[str] = []
    if item.sent_sql is not None:
        heading = "SQL sent to EXPLAIN"
        if item.rewritten_from:
            heading += (f" (the equivalent SELECT: {item.rewritten_from.upper()} is never sent; same tables, "
                        "conditions, order and limit)")
        lines.append(heading + ":")
        lines.extend(_indent(layout_sql(item.sent_sql)))
        if item.guesses:
            lines.append("binding guesses (the column type was not known; the plan may differ with real values):")
            lines.extend(f"{INDENT}? {guess}" for guess in item.guesses)
    else:
        lines.append("SQL:")
        lines.extend(_indent(_as_written(item.query.query.raw)))
    if item.plan is not None:
        lines.append("plan:")
        lines.extend(_indent(plan_table(item.plan, database)))
        lines.append("plan tree:")
        lines.extend(_indent("\n".join(render_tree(build_tree(item.plan, item.parents, item.aliases), style))))
    elif item.no_plan:
        lines.append(style(f"no plan: {item.no_plan}", fg="yellow"))
    lines.append("findings:" if item.findings else "findings: none")
    for finding in item.findings:
        lines.extend(_finding_text(finding, style))
    if item.plan is not None:
        lines.append("summary:")
        for sentence in summarize(item.plan, item.aliases, item.blockers, item.merged):
            wrapped = textwrap.wrap(sentence, 100, initial_indent=f"{INDENT}- ", subsequent_indent=INDENT + "  ",
                                    break_on_hyphens=False)
            lines.extend(wrapped)
        if item.advice:
            lines.append("index advice (not executed; check it against your write load first):")
            lines.extend(f"{INDENT}{statement};" for statement in item.advice)
    return lines


def _comparison_text(site_facts: SiteFacts) -> list[str]:
    """One line per explained variant: rows examined, tables read in full, sorting. The costliest is
    marked, so "fast with a filter, slow without" shows at a glance."""
    planned = [(v.plan.rows_examined(), v) for v in site_facts.variants if v.plan is not None]
    if len(planned) < 2:
        return []
    worst = max(rows for rows, _ in planned)
    width = max(len(f"{rows:,}") for rows, _ in planned)
    lines = ["", "variants compared (estimated rows examined):"]
    for rows, item in planned:
        number = site_facts.site.number_of(item.query)[0]
        notes = _plan_notes(item)
        mark = "  ← costliest" if rows == worst and any(r != worst for r, _ in planned) else ""
        estimate = f"~{rows:,}"
        lines.append(f"{INDENT}{estimate:>{width + 1}}  {number}: {item.label}" + (f"  ({notes})" if notes else "")
                     + mark)
    return lines


def _plan_notes(item: VariantFacts) -> str:
    assert item.plan is not None
    scans = list(dict.fromkeys(item.aliases.get((r.table or "").lower(), r.table or "?")
                               for r in item.plan.rows if r.full_scan and not r.internal))
    notes = [f"full scan of {', '.join(scans)}"] if scans else []
    if any(r.has_extra("Using filesort") for r in item.plan.rows):
        notes.append("filesort")
    return "; ".join(notes)


def _finding_text(finding: Finding, style: Any) -> list[str]:
    severity = style(f"{finding.severity!s:<7}", fg=_SEVERITY_COLORS[finding.severity])
    head = f"{INDENT}{style(finding.rule, bold=True)} {severity} "
    width = len(INDENT) + len(finding.rule) + 9
    body = textwrap.wrap(f"{finding.message}  [{finding.name}]", 100 - width, break_on_hyphens=False) or [""]
    lines = [head + body[0]] + [" " * width + line for line in body[1:]]
    if finding.suggestion:
        fix = textwrap.wrap(f"fix: {finding.suggestion}", 100 - width, break_on_hyphens=False)
        lines += [" " * width + line for line in fix]
    return lines


def _total_text(walkthrough: Walkthrough) -> list[str]:
    worst = worst_variants(walkthrough)
    if not worst:
        return ["total: no estimate (no plan was obtained)"]
    total = sum(rows for rows, _ in worst)
    queries = len(walkthrough.sites)
    line = (f"total: ~{total:,} row{'' if total == 1 else 's'} examined (estimated) across {queries} "
            f"quer{'y' if queries == 1 else 'ies'}")
    if any(len(s.variants) > 1 for s in walkthrough.sites):
        line += ", taking each query's costliest variant"
    lines = [line]
    width = max(len(f"~{rows:,}") for rows, _ in worst)
    for rows, item in worst:
        where = f"{item.query.query.path}:{item.query.query.line}"
        estimate = f"~{rows:,}"
        query = item.query.query
        loop = (f"  × once per iteration of the loop on line {query.loop_line}" if query.loop_depth and query.loop_line
                 else "")
        lines.append(f"{INDENT}{estimate:>{width}}  {where}" + (f"  ({item.label})" if item.label else "") + loop)
    missing = len(walkthrough.sites) - len(worst)
    if missing:
        lines.append(f"{INDENT}{missing} quer{'y' if missing == 1 else 'ies'} without a plan not counted")
    return lines


# --- JSON -----------------------------------------------------------------------------------------------

def render_json(walkthrough: Walkthrough) -> str:
    queries = []
    for site_facts in walkthrough.sites:
        site = site_facts.site
        queries.append({"path": site.path, "line": site.line, "column": site.column, "end_line": site.end_line,
                        "scope": site.scope,
                        "runs": site.variants[0].query.resolved_from if site.variants else None,
                        "written_at": [list(o) for o in site.variants[0].query.origin] if site.variants else [],
                        "variant_count": site.number_of(site_facts.variants[0].query)[1],
                        "variants": [{"number": site.number_of(v.query)[0], **_variant_json(v)}
                                     for v in site_facts.variants]})
    worst = worst_variants(walkthrough)
    document = {
        "version": JSON_VERSION,
        "target": walkthrough.target,
        "database": asdict(walkthrough.database),
        "queries": queries,
        "total_rows_examined": sum(rows for rows, _ in worst) if worst else None,
        "worst_variants": [{"path": v.query.query.path, "line": v.query.query.line, "variant": v.label,
                            "rows_examined": rows,
                            "loop_line": v.query.query.loop_line if v.query.query.loop_depth else None}
                           for rows, v in worst],
        "notes": walkthrough.notes,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _variant_json(item: VariantFacts) -> dict[str, Any]:
    plan = item.plan
    return {
        "label": item.label,
        "sql": item.query.query.raw,
        "sent_sql": item.sent_sql,
        "rewritten_from": item.rewritten_from,
        "binding_guesses": list(item.guesses),
        "plan": None if plan is None else {
            "source": plan.source, "flavor": plan.flavor, "total_cost": plan.total_cost,
            "rows": [{**vars(r), "possible_keys": list(r.possible_keys), "extra": list(r.extra)} for r in plan.rows]},
        "tree": [] if plan is None else [b.as_dict() for b in build_tree(plan, item.parents, item.aliases)],
        "rows_examined": None if plan is None else plan.rows_examined(),
        "summary": [] if plan is None else summarize(plan, item.aliases, item.blockers, item.merged),
        "findings": [_finding_json(f) for f in item.findings],
        "advice": item.advice,
        "no_plan": item.no_plan,
    }


def _finding_json(f: Finding) -> dict[str, Any]:
    return {"rule": f.rule, "name": f.name, "severity": str(f.severity), "path": f.path, "line": f.line,
            "column": f.column, "message": f.message, "sql": f.sql, "fingerprint": f.fingerprint,
            "variant": f.variant, "suggestion": f.suggestion, "scope": f.scope, "end_line": f.end_line}
