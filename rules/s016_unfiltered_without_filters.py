from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from sqllint.records import ParsedQuery, Scope, Severity
from sqllint.registry import Violation, rule
from sqllint.sqlfacts import always_true, table_name


def _filtered(select: exp.Select) -> bool:
    where = select.args.get("where")
    return where is not None and not always_true(where.this)


def _bounded(select: exp.Select) -> bool:
    return select.args.get("limit") is not None or select.args.get("fetch") is not None


def _all_absent(parsed: ParsedQuery) -> bool:
    variant = parsed.query.variant
    return variant is not None and bool(variant.parts) and variant.on <= variant.hidden


def _reported_where_written(parsed: ParsedQuery) -> bool:
    """A mapper statement, or a Java/Go method's SQL, carried to a call: reported where it is defined.
    (A Python function is read again with the caller's arguments: at the call it is what runs.)"""
    query = parsed.query
    return query.resolved_from is not None or (bool(query.origin) and query.language != "python")


@rule(code="S016", name="unfiltered-when-filters-absent", severity=Severity.WARNING, target="scope")
def check(scope: Scope, options: dict[str, Any]) -> Iterator[Violation]:
    """With every optional filter absent, a dynamically built SELECT reads its whole table, unbounded.

    ## Why is this bad?
    The other half of the incident sqllint was built for: a search endpoint is reviewed and tested with
    its filters filled in (``WHERE status = ? AND name LIKE ?`` reads a few rows by index), but a user
    who submits the form empty gets ``SELECT … FROM orders WHERE 1=1``: every row of the table, read,
    sent and held in memory by the application, with no ``LIMIT`` to stop it. Fine in development,
    a time-out (or an out-of-memory) in production.

    It is reported only for SQL whose filters are optional (Python ``if kw: sql += …``, MyBatis
    ``<if>``/``<where>``, MyBatis-Plus ``eq(cond, …)``, Go and Java builders), on the variant where all of
    them are absent, when some other variant does filter. A query that never filters, has a ``LIMIT`` in
    that variant, or returns one aggregate row (the ``COUNT(*)`` beside a paged list) is not this rule's
    business: with a database, P001 and P006 report the large scans. A mapper statement (or a Java/Go
    method's SQL) is reported where it is written, not at each call. In a project using a pagination
    plugin (PageHelper's ``startPage``, MyBatis-Plus's ``PaginationInnerInterceptor``: RuoYi and most
    MyBatis admin projects) mapper statements are not reported: the plugin adds the ``LIMIT`` at run time
    to the statements it pages, and which ones those are is decided in code sqllint does not follow.

    ## Example
    ```python bad
    def search_orders(cur, status=None, keyword=None):
        sql = "SELECT id, status, total_cents FROM orders WHERE 1=1"
        args = []
        if status:
            sql += " AND status = %s"
            args.append(status)
        if keyword:
            sql += " AND note LIKE %s"
            args.append(keyword + "%")
        cur.execute(sql, args)
        return cur.fetchall()
    ```

    Use instead:
    ```python good
    def search_orders(cur, status=None, keyword=None):
        sql = "SELECT id, status, total_cents FROM orders WHERE 1=1"
        args = []
        if status:
            sql += " AND status = %s"
            args.append(status)
        if keyword:
            sql += " AND note LIKE %s"
            args.append(keyword + "%")
        sql += " ORDER BY id DESC LIMIT 50"
        cur.execute(sql, args)
        return cur.fetchall()
    ```
    """
    for site in scope.sites():
        if len(site) < 2:
            continue
        bare = next((p for p in site if _all_absent(p) and isinstance(p.tree, exp.Select)), None)
        if bare is None or _reported_where_written(bare) or bare.query.paged_at_run_time:
            continue  # (a pagination plugin may add the LIMIT: which statements it pages is not known here)
        select = bare.tree
        assert isinstance(select, exp.Select)
        source = select.args.get("from_") or select.args.get("from")  # "from" in older sqlglot
        table = source.this if source is not None else None
        if not isinstance(table, exp.Table) or _filtered(select) or _bounded(select):
            continue  # no FROM, a derived table (S001's business), or restricted even with no filter
        filtering = [p for p in site if p is not bare and isinstance(p.tree, exp.Select) and _filtered(p.tree)]
        if not filtering:
            continue  # never filtered: a lookup list, not an optional search
        if not select.args.get("group") and any(isinstance(e.unalias(), exp.AggFunc) for e in select.expressions):
            continue  # one row back (the COUNT(*) beside a paged list): its cost is the plan rules' to judge
        yield Violation(
            f"with every optional filter absent this SELECT reads every row of `{table_name(table)}` and returns "
            "them all (no WHERE, no LIMIT); the filters only restrict it when given",
            suggestion="require at least one filter (return early or reject the request without one), "
                       "or page the result: ORDER BY … LIMIT n",
            query=bare,
        )
