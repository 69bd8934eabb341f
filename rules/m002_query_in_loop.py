from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from sqllint.records import ParsedQuery, Scope, Severity
from sqllint.registry import Violation, rule
from sqllint.sqlfacts import bound_value, conjuncts, in_query_style


def _in_list_rewrite(parsed: ParsedQuery) -> str | None:
    """The loop's query with its key equalities turned into an IN-list, for the suggestion.

    The key is what varies per iteration: columns compared to a bound value. Two of them (hostname = ?
    AND port = ?) become one row-constructor IN-list; a column compared to a literal stays as it is."""
    tree = parsed.tree
    if not isinstance(tree, (exp.Select, exp.Update, exp.Delete)) or tree.args.get("limit"):
        return None  # a LIMIT per key is not a LIMIT on the IN-list's rows
    where = tree.args.get("where")
    predicates = conjuncts(where.this if where else None)
    keys = [p for p in predicates if isinstance(p, exp.EQ) and isinstance(p.this, exp.Column)
            and isinstance(p.expression, (exp.Placeholder, exp.Parameter))]
    if not keys:
        keys = [p for p in predicates if isinstance(p, exp.EQ) and isinstance(p.this, exp.Column)
                and isinstance(p.expression, exp.Literal)][:1]
    if not keys:
        return None
    if len(keys) == 1:
        key: exp.Expression = exp.In(this=keys[0].this.copy(), expressions=[exp.Placeholder(), exp.Placeholder()])
        marker = "?, ?)"
    else:
        row = exp.Tuple(expressions=[exp.Placeholder() for _ in keys])
        key = exp.In(this=exp.Tuple(expressions=[k.this.copy() for k in keys]), expressions=[row, row.copy()])
        marker = "?), (" + ", ".join("?" * len(keys)) + "))"
    kept = [key if p is keys[0] else p.copy() for p in predicates if p is keys[0] or not any(p is k for k in keys)]
    rewritten = tree.copy()
    rewritten.set("where", exp.Where(this=exp.and_(*kept) if len(kept) > 1 else kept[0]))
    text = rewritten.sql(dialect="mysql")
    return in_query_style(text.replace(marker, marker[:-1] + ", …)", 1), parsed)


def _loop_invariant(parsed: ParsedQuery) -> bool:
    """Nothing in the statement can change from one iteration to the next: no bound or spliced value."""
    return parsed.tree is not None and parsed.tree.find(exp.Placeholder, exp.Parameter) is None \
        and not parsed.query.placeholders


def _sets_per_row_values(parsed: ParsedQuery, update: exp.Update) -> bool:
    """True when SET assigns bound values that may differ from one iteration to the next. A value the
    code binds from outside the loop (``SET status = %s`` with the same ``new_status`` each time) is the
    same for every row: then only the key varies, and one ``WHERE key IN (…)`` does it all."""
    for assignment in update.expressions:
        for node in assignment.find_all(exp.Placeholder, exp.Parameter):
            bound = bound_value(parsed, node)
            if bound is None or bound.varies:
                return True
    return False


ROW_STATEMENTS = frozenset({"select", "insert", "replace", "update", "delete"})


@rule(code="M002", name="query-in-loop", severity=Severity.WARNING, target="scope")
def check(scope: Scope, options: dict[str, Any]) -> Iterator[Violation]:
    """A query runs inside a loop: one round trip per item (the N+1 pattern).

    ## Why is this bad?
    Fetching the orders and then, for each order, its items costs N+1 round trips. Each is cheap in
    development with ten rows and adds up to seconds in production with thousands. Fetch all the rows
    at once with an ``IN`` list (or a join) before the loop and group them in memory; for writes, use
    ``executemany`` or one multi-row statement. An UPDATE or DELETE whose values are the same in every
    iteration (only the key varies: ``SET status = %s`` bound to a value from outside the loop) is one
    statement with ``WHERE key IN (…)`` after the loop. A call in a loop of a function that runs SQL (a
    function of the project, in its file or another one; a DAO or mapper method) is the N+1 too: one
    finding per statement the function runs, each at the call, saying where the statement is written.

    ## Example
    ```python bad
    def orders_with_items(cur, order_ids):
        result = {}
        for order_id in order_ids:
            cur.execute("SELECT sku, qty FROM order_items WHERE order_id = %s", (order_id,))
            result[order_id] = cur.fetchall()
        return result
    ```

    Use instead:
    ```python good
    def orders_with_items(cur, order_ids):
        marks = ", ".join(["%s"] * len(order_ids))
        cur.execute(f"SELECT order_id, sku, qty FROM order_items WHERE order_id IN ({marks})", order_ids)
        return cur.fetchall()
    ```
    """
    sites = scope.sites()
    # A call of a function running several statements: one finding per statement (each its own rewrite),
    # each saying where the statement is written.
    statements_per_call = Counter(site[0].query.site for site in sites)
    for site in sites:
        parsed = site[0]
        query = parsed.query
        if query.loop_depth == 0 or parsed.tree is None:
            continue
        if parsed.kind not in ROW_STATEMENTS:
            continue  # DDL, SET, SHOW, CALL in a loop are set-up or admin work, not per-row round trips
        where = f"the loop on line {query.loop_line}" if query.loop_line else "a loop"
        verb = parsed.kind.upper() if parsed.kind != "other" else "query"
        article = "an" if verb[0] in "AEIOU" else "a"
        written = ""
        # A Python or Go function's statement at its call: say where the function runs it.
        function_call = query.language in ("python", "go") and bool(query.origin)
        if query.origin and (statements_per_call[query.site] > 1 or function_call):
            path, line, _column = query.origin[-1]
            written = f" on line {line}" if path == query.path else f" at {path}:{line}"
        if query.resolved_from and not function_call:  # a statement defined elsewhere (a MyBatis mapper method)
            defined = ".".join(query.resolved_from.split(".")[-2:])
            verb = f"`{query.call}` ({defined}, {article} {verb}{written})"
        elif written:  # a function walked with the caller's arguments
            verb = f"`{query.call}` ({article} {verb}{written})"
        batch = "executemany()" if query.language == "python" else "a batch"
        if _loop_invariant(parsed):
            yield Violation(f"{verb} runs once per iteration of {where}, the same statement each time",
                            suggestion="run it once before the loop and reuse its result", query=parsed)
            continue
        if parsed.kind in ("insert", "replace"):
            yield Violation(
                f"{verb} runs once per iteration of {where}",
                suggestion=f"collect the rows and write them with {batch} or one multi-row INSERT",
                query=parsed,
            )
            continue
        if isinstance(parsed.tree, exp.Update) and _sets_per_row_values(parsed, parsed.tree):
            yield Violation(  # per-row values: an IN-list would give every row the same value
                f"{verb} runs once per iteration of {where}",
                suggestion=f"send the updates with {batch}, or as one UPDATE … SET col = CASE id WHEN … END "
                           "WHERE id IN (…)",
                query=parsed,
            )
            continue
        rewrite = _in_list_rewrite(parsed)
        if rewrite and parsed.kind in ("update", "delete"):
            yield Violation(f"{verb} runs once per iteration of {where}",
                            suggestion=f"do it in one statement after the loop: {rewrite}", query=parsed)
            continue
        yield Violation(
            f"{verb} runs once per iteration of {where} (N+1 queries)",
            suggestion=(f"fetch everything before the loop with one query: {rewrite}" if rewrite
                        else "fetch all rows before the loop with one query (IN-list or join)"),
            query=parsed,
        )
