"""One self-contained HTML page: findings per endpoint and a drawn plan tree per query.

Everything is inline (CSS, the script that draws the trees as SVG, the plan data as JSON): the page
opens from disk or a CI artifact store without network access. Without a database the page shows the
static picture — endpoints, their queries in call order, findings — and says that plans need a DSN.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from importlib import resources
from typing import Any

from sqllint import __version__
from sqllint.endpoints.build import PlannedMap
from sqllint.endpoints.model import ChainQuery, EndpointChain
from sqllint.records import Finding
from sqllint.report.endpoints import NO_DSN, grouped_stops, handler_text, unexplained

NO_PLAN = "no plan: plans need a database (--dsn URL or SQLLINT_DSN)"


def _asset(name: str) -> str:
    return resources.files("sqllint.report").joinpath("html_assets", name).read_text(encoding="utf-8")


def _severity(finding: Finding) -> str:
    return f'<span class="sev {finding.severity}">{finding.severity}</span>'


def _finding_items(findings: Sequence[Finding]) -> str:
    if not findings:
        return ""
    items = []
    for f in sorted(findings, key=lambda f: (-f.severity, f.rule)):
        variant = f' <span class="muted">({escape(f.variant)})</span>' if f.variant else ""
        fix = f'<div class="suggestion">fix: {escape(f.suggestion)}</div>' if f.suggestion else ""
        items.append(f'<li data-rule="{f.rule}">{_severity(f)} <b>{f.rule}</b> {escape(f.name)}: '
                     f"{escape(f.message)}{variant} <span class=\"muted\">{escape(f.path)}:{f.line}</span>{fix}</li>")
    return '<ul class="findings">' + "".join(items) + "</ul>"


class _Page:
    def __init__(self, planned: PlannedMap, title: str) -> None:
        self.planned = planned
        self.title = title
        self.trees: dict[str, list[dict[str, Any]]] = {}
        self.tree_keys: dict[int, str] = {}  # id(Explained) → key in self.trees

    def render(self) -> str:
        chains = self.planned.endpoint_map.chains
        queries = sum(len(c.queries) for c in chains)
        body = [self._summary(chains)] + [self._endpoint(n, c) for n, c in enumerate(chains, 1)]
        body.append(self._elsewhere(chains))
        notes = self.planned.endpoint_map.notes
        if notes:
            body.append("<h2>Not mapped</h2><ul>" + "".join(
                f"<li><code>{escape(n.path)}:{n.line}</code> {escape(n.message)}</li>" for n in notes) + "</ul>")
        database = self.planned.database
        failed = unexplained(self.planned.endpoint_map) if database else None
        if database and failed:  # connected, but the staging schema lacks what the queries read
            count, sites, example = failed
            database = (f"{database}: {count} of {sites} query sites could not be explained (E010), e.g. "
                        f"{example}")
        banner = (f'<div class="banner{"" if failed else " ok"}" id="database">{escape(database)}</div>' if database else
                  f'<div class="banner" id="database">Showing the static picture; '
                  f"{escape(self.planned.status(NO_DSN))}.</div>")
        data = json.dumps(self.trees, separators=(",", ":")).replace("</", "<\\/")
        return (
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(self.title)}</title><style>{_asset('report.css')}</style></head>\n<body>"
            f"<header><h1>{escape(self.title)}</h1><div class=\"muted\">{len(chains)} endpoints · {queries} queries "
            f"reached through their call chains · sqllint {__version__}</div>{banner}</header>\n<main>"
            + "\n".join(body)
            + "<noscript><p>Plan trees are drawn by this page's inline script.</p></noscript></main>\n"
            f'<script type="application/json" id="sqllint-plans">{data}</script>\n'
            f"<script>{_asset('report.js')}</script>\n</body></html>\n")

    def _summary(self, chains: list[EndpointChain]) -> str:
        if not chains:
            return "<h2>Endpoints</h2><p>No HTTP endpoints found (Flask, FastAPI, Django, Spring MVC, Go net/http, gorilla/mux, gin, echo, chi).</p>"
        rows = []
        for number, chain in enumerate(chains, 1):
            worst = chain.worst()
            worst_html = f"{_severity(worst)} {worst.rule}" if worst else "–"
            rows_text = f"{chain.estimated_rows:,}" if chain.estimated_rows is not None else "–"
            rows.append(f'<tr><td><span class="method">{escape(", ".join(chain.endpoint.methods))}</span></td>'
                        f'<td><a href="#ep-{number}"><code>{escape(chain.endpoint.route)}</code></a></td>'
                        f"<td><code>{escape(handler_text(chain))}</code></td><td class=\"num\">{len(chain.queries)}</td>"
                        f'<td>{worst_html}</td><td class="num">{rows_text}</td></tr>')
        return ('<h2>Endpoints</h2><table class="summary"><thead><tr><th>method</th><th>path</th><th>handler</th>'
                '<th>queries</th><th>worst</th><th>est. rows</th></tr></thead><tbody>' + "".join(rows)
                + "</tbody></table>")

    def _endpoint(self, number: int, chain: EndpointChain) -> str:
        endpoint = chain.endpoint
        where = f"{endpoint.path}:{endpoint.line}"
        rows = f" · ~{chain.estimated_rows:,} rows examined in all" if chain.estimated_rows is not None else ""
        parts = [f'<section class="endpoint" id="ep-{number}" data-endpoint="{escape(endpoint.label)}">',
                 f'<h2><span class="method">{escape(", ".join(endpoint.methods))}</span>'
                 f"<code>{escape(endpoint.route)}</code></h2>",
                 f'<div class="muted">handler <code>{escape(handler_text(chain))}</code> declared at '
                 f"<code>{escape(where)}</code> · {len(chain.queries)} quer{'y' if len(chain.queries) == 1 else 'ies'}{rows}</div>"]
        if endpoint.note:
            parts.append(f"<p class=\"muted\">{escape(endpoint.note)}</p>")
        if endpoint.hooks:  # before-request hooks, FastAPI dependencies, Go middleware
            parts.append('<p class="muted">runs first: ' + ", ".join(f"<code>{escape(h.qualname)}</code>"
                                                                      for h in endpoint.hooks) + "</p>")
        if chain.findings:
            parts.append("<h3>Across the call chain</h3>" + _finding_items(chain.findings))
        if chain.queries:
            parts.append("<h3>Queries in call order</h3>")
            parts += [self._query(n, item) for n, item in enumerate(chain.queries, 1)]
        stops = grouped_stops(chain.stops)
        if stops:
            items = "".join(f"<li><code>{escape(callee)}</code>{f' ×{count}' if count > 1 else ''}: {escape(reason)} "
                            f'<span class="muted">{escape(stop.site.path)}:{stop.site.line}</span></li>'
                            for callee, reason, count, stop in stops)
            parts.append(f"<details><summary>Where the chain stops ({len(stops)})</summary><ul>{items}</ul></details>")
        parts.append("</section>")
        return "\n".join(parts)

    def _query(self, number: int, item: ChainQuery) -> str:
        query = item.query.query
        site = f"{query.path}:{query.line}"
        facts = [f"in <code>{escape(query.scope or '')}</code>"]
        if len(item.variants) > 1:
            facts.append(f"{len(item.variants)} variants")
        if item.loop_depth:
            facts.append("<b>runs in a loop</b>")
        if query.resolved_from:
            facts.append(f"statement <code>{escape(query.resolved_from)}</code>")
        findings = self.planned.endpoint_map.query_findings(item)
        parts = [f'<div class="query" data-query="{escape(site)}">',
                 f"<div><b>{number}.</b> <code>{escape(site)}</code> " + " · ".join(facts) + "</div>",
                 f'<div class="via">via {escape(item.via())}</div>',
                 f"<pre>{escape(query.raw.strip())}</pre>", _finding_items(findings)]
        if self.planned.plans is None:  # no database: the variants, and one line on why there is no plan
            labels = [p.query.variant.label for p in item.variants if p.query.variant]
            if labels:
                parts.append('<div class="muted">variants: ' + "; ".join(escape(label) for label in labels) + "</div>")
            parts.append(f'<div class="no-plan">{escape(NO_PLAN)}</div></div>')
            return "\n".join(parts)
        reasons = self.planned.plans.why_not(item)
        if len(item.variants) > 1 and all(reasons) and len(set(reasons)) == 1:  # one line, not one per variant
            labels = [p.query.variant.label for p in item.variants if p.query.variant]
            parts.append('<div class="muted">variants: ' + "; ".join(escape(label) for label in labels) + "</div>")
            parts.append(f'<div class="no-plan">no plan for any variant: {escape(reasons[0] or "")}</div></div>')
            return "\n".join(parts)
        for parsed, entry, reason in zip(item.variants, self.planned.plans.explained(item), reasons):
            label = parsed.query.variant.label if parsed.query.variant else None
            heading = f'<div class="muted">{escape(label)}</div>' if label else ""
            if entry is None or entry.plan is None:
                parts.append(f'{heading}<div class="no-plan">no plan: {escape(reason or "")}</div>')
                continue
            key = self._tree(entry)
            rows = entry.plan.rows_examined()
            parts.append(f'{heading}<div class="muted">~{rows:,} row{"" if rows == 1 else "s"} examined</div>'
                         f'<div class="plan-tree" data-plan="{key}"></div>')
        parts.append("</div>")
        return "\n".join(parts)

    def _tree(self, entry: Any) -> str:
        from sqllint.explain.plantree import block_parents, build_tree

        key = self.tree_keys.get(id(entry))
        if key is None:
            key = f"p{len(self.trees) + 1}"
            aliases = entry.subject.aliases if entry.subject is not None else {}
            roots = build_tree(entry.plan, block_parents(entry.job.binding.sql), aliases)
            self.trees[key] = [root.as_dict() for root in roots]
            self.tree_keys[id(entry)] = key
        return key

    def _elsewhere(self, chains: list[EndpointChain]) -> str:
        reached = {id(f) for c in chains for f in c.query_findings}
        others = [f for found in self.planned.endpoint_map.findings_by_site.values() for f in found
                  if id(f) not in reached]
        if not others:
            return ""
        return ('<section id="outside"><h2>Findings outside any endpoint\'s call chain</h2>'
                '<p class="muted">Scripts, reports, jobs and code no endpoint was seen to call.</p>'
                + _finding_items(others) + "</section>")


def render_html(planned: PlannedMap, title: str = "sqllint report") -> str:
    return _Page(planned, title).render()
