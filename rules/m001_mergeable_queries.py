from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from sqllint.records import ParsedQuery, Scope, Severity
from sqllint.registry import Violation, rule
from sqllint.sqlfacts import in_query_style
from sqllint.sqlshape import SelectKey, SelectShape, select_key, select_shape, shown_table


def _representative(site: list[ParsedQuery]) -> tuple[ParsedQuery, SelectKey] | None:
    """The first variant with a simple shape stands for the call site, when every variant reads by that
    key: a site whose key depends on its optional filters (``selectMenuList(filter)``) reads by whatever
    its caller passes, and two such calls are not the same read twice."""
    found: tuple[ParsedQuery, SelectKey] | None = None
    for parsed in site:
        key = select_key(parsed)
        if key is None:
            continue
        if found is None:
            found = (parsed, key)
        elif key != found[1]:
            return None
    return found


def _written_tables(site: list[ParsedQuery]) -> set[str]:
    tables: set[str] = set()
    for parsed in site:
        tree = parsed.tree
        if isinstance(tree, (exp.Insert, exp.Update, exp.Delete)):
            tables |= {shown_table(t, parsed) for t in tree.find_all(exp.Table)}
        elif isinstance(tree, (exp.Commit, exp.Rollback, exp.Transaction)):
            tables.add("*")  # a new transaction: a new snapshot, reads on either side differ
        elif parsed.kind == "replace" or (parsed.tree is None and parsed.kind != "select"):
            tables.add("*")  # an opaque write: assume it may touch anything
    return tables


def _same_transaction(first: ParsedQuery, second: ParsedQuery) -> bool:
    """Commits are counted per function: an endpoint's chain of functions compares only within one."""
    return first.query.scope != second.query.scope or first.query.transaction == second.query.transaction


def _judged_where_written(first: ParsedQuery, second: ParsedQuery) -> bool:
    """Two statements one call runs of a Java/Go method defined elsewhere (a DAO method, a helper called in
    a loop): that method's own check judges them as a pair, once, knowing its arms; the call does not
    carry them. (A Python function walked with the caller's arguments does carry its arms, and its own
    reading has holes where the call passes text, or is dropped: its pair is reported at the call.)"""
    a, b = first.query, second.query
    return a.site == b.site and a.resolved_from is not None and b.resolved_from is not None


def _rerun(first: ParsedQuery, second: ParsedQuery) -> bool:
    """The same statement run again (a function or mapper method called twice), not two statements."""
    a, b = first.query, second.query
    return a.statement == b.statement or (a.raw == b.raw and a.resolved_from is not None
                                          and a.resolved_from == b.resolved_from)


def _where(site: tuple[str, int, int], path: str) -> str:
    return f"on line {site[1]}" if site[0] == path else f"at {site[0]}:{site[1]}"


def _alias(parsed: ParsedQuery) -> str:
    source = parsed.tree.args.get("from_") or parsed.tree.args.get("from") if parsed.tree is not None else None
    return source.this.alias if source is not None and isinstance(source.this, exp.Table) else ""


def _merged_sql(first: SelectShape, second: SelectShape, alias: str = "", rerun: bool = False) -> str:
    """One SELECT for both reads. Two placeholders on a key are taken as one value (two statements of a
    function handed the same argument), except when ``rerun``: one statement run twice (a function called
    twice) is handed a value per call, so both go in an IN list."""
    projections = list(dict.fromkeys(first.projections + second.projections))
    where = []
    for (column, value_a), (_column, value_b) in zip(first.values, second.values):
        same = value_a == value_b and not (rerun and value_a == "?")
        where.append(f"{column} = {value_a}" if same else f"{column} IN ({value_a}, {value_b})")
    other = sorted(p for p in first.predicates if p[1] != "eq")
    where += [f"{column} {op.upper()} …" for column, op in other]
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    tail = f" {first.tail}" if first.tail else ""
    return f"SELECT {', '.join(projections)} FROM {first.table}{f' {alias}' if alias else ''}{clause}{tail}"


@rule(code="M001", name="mergeable-queries", severity=Severity.WARNING, target="scope")
def check(scope: Scope, options: dict[str, Any]) -> Iterator[Violation]:
    """Two or more SELECTs in one function read the same table by the same key: make them one.

    ## Why is this bad?
    Each query is a network round trip, a parse, a plan and an index descent; reading the same rows
    twice doubles all of it. Queries on the same table with the same predicate shape can select all the
    needed columns at once — and different key values of the same column are served by one ``IN`` list.
    Pick the columns apart in memory. (From the original notes: "同一张表的查询合并为一次" — merge
    queries on the same table into one.)

    Reads that never both run are not reported: on different arms of one ``if``/``else``,
    ``match``/``switch``, ternary or set of ``except``/``catch`` handlers, or one before an early
    ``return`` and one after it. Nor are reads separated by a write to the table or a transaction
    boundary (``conn.commit()``, ``ROLLBACK``): the second read is meant to see newer data.

    A call of a function that runs SQL counts every statement the function runs, at the call: two calls
    of one function reading by one key are one read of both keys (an ``IN`` list). Two statements of a
    Python function whose SQL the caller's arguments shape are reported at the call; a pair written in a
    function whose SQL is the same from every call (Python, Java, Go) is reported in that function,
    once, not at each call.

    ## Example
    ```python bad
    def order_summary(cur, order_id):
        cur.execute("SELECT status FROM orders WHERE id = %s", (order_id,))
        status = cur.fetchone()
        cur.execute("SELECT total, currency FROM orders WHERE id = %s", (order_id,))
        return status, cur.fetchone()
    ```

    Use instead:
    ```python good
    def order_summary(cur, order_id):
        cur.execute("SELECT status, total, currency FROM orders WHERE id = %s", (order_id,))
        return cur.fetchone()
    ```
    """
    seen: dict[SelectKey, list[ParsedQuery]] = {}
    for site in scope.sites():
        written = _written_tables(site)
        if written:  # a read after a write sees the write: earlier reads of that table cannot merge
            head = site[0].query  # (unless the write sits on another arm of an if/switch than the read)
            seen = {k: [p for p in reads if not (("*" in written or k[0] in written)
                                                 and not p.query.exclusive_with(head))]
                    for k, reads in seen.items()}
        found = _representative(site)
        if found is None:
            continue
        parsed, key = found
        # Reads on different arms of one if/switch never both run; across a commit they see other data.
        # A read run once per loop iteration and one run once are not one query (M002 covers the loop).
        first = next((p for p in seen.get(key, ()) if _same_transaction(p, parsed)
                      and not p.query.exclusive_with(parsed.query)
                      and p.query.loop_depth == parsed.query.loop_depth
                      and not _judged_where_written(p, parsed)), None)
        if first is None:
            seen.setdefault(key, []).append(parsed)
            continue
        first_shape, shape = select_shape(first), select_shape(parsed)
        assert first_shape is not None and shape is not None
        keys = ", ".join(sorted(c for c, _ in shape.predicates)) or "no condition"
        # A scope may span files (an endpoint's call chain): name the file when it differs.
        other = _where(first.query.site, parsed.query.path)
        alias = _alias(first) if _alias(first) == _alias(parsed) else ""
        subject, earlier = "reads", "the query"
        if first.query.site == parsed.query.site:  # two statements of a function called here
            subject, earlier = f"`{parsed.query.call}` reads", "its query"
            other = _where(first.query.origin[-1], parsed.query.path) if first.query.origin else other
        elif parsed.query.resolved_from or first.query.resolved_from:  # calls of statements defined elsewhere
            subject, earlier = f"`{parsed.query.call}` reads", f"`{first.query.call}`"
        yield Violation(
            f"{subject} {shape.table} by the same key ({keys}) as {earlier} {other}: "
            "merge them into one query",
            suggestion=in_query_style(_merged_sql(first_shape, shape, alias, _rerun(first, parsed)), parsed),
            query=parsed,
        )
