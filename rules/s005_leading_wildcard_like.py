from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from sqllint.records import ParsedQuery, Severity
from sqllint.registry import Violation, rule
from sqllint.sqlfacts import bound_value, excerpt


def _leading_wildcard(query: ParsedQuery, pattern: exp.Expression | None) -> str | None:
    """How the pattern starts with a wildcard (its text, or the value the code binds), or None."""
    if isinstance(pattern, exp.Literal) and pattern.is_string:
        return "" if pattern.this.startswith(("%", "_")) else None
    if isinstance(pattern, (exp.Concat, exp.ConcatWs)):
        parts = pattern.expressions[1:] if isinstance(pattern, exp.ConcatWs) else pattern.expressions
        return _leading_wildcard(query, parts[0]) if parts else None
    if isinstance(pattern, exp.DPipe):
        return _leading_wildcard(query, pattern.this)
    if isinstance(pattern, exp.Placeholder) and (bound := bound_value(query, pattern)) is not None:
        return bound.shown if bound.leading_wildcard else None  # LIKE %s with (f"%{kw}%",)
    return None


@rule(code="S005", name="leading-wildcard-like", severity=Severity.WARNING)
def check(query: ParsedQuery, options: dict[str, Any]) -> Iterator[Violation]:
    """``LIKE '%term'``: a pattern that starts with a wildcard cannot use an index.

    ## Why is this bad?
    A B-tree index is ordered by the value's prefix; with an unknown prefix MySQL must examine every row
    (or every index entry). It is the usual cause of a "search" endpoint that is fast on a small table
    and times out in production. Prefix search (``LIKE 'term%'``) uses the index; for substring search
    use a FULLTEXT index (``MATCH … AGAINST``) or a search engine. ``CONCAT('%', ?, '%')`` is caught too,
    and so is ``LIKE ?`` when the code binds a value that starts with a wildcard (``"%" + kw + "%"``,
    ``f"%{kw}%"``) in the call that runs it.

    ## Example
    ```sql bad
    SELECT id, name FROM products WHERE name LIKE '%phone%'
    ```

    ```python bad
    def search(cur, keyword):
        cur.execute("SELECT id, name FROM products WHERE name LIKE %s", (f"%{keyword}%",))
    ```

    Use instead:
    ```sql good
    SELECT id, name FROM products WHERE name LIKE 'phone%'
    ```

    ```python good
    def search(cur, keyword):
        cur.execute("SELECT id, name FROM products WHERE name LIKE %s", (f"{keyword}%",))
    ```
    """
    for node in query.find(exp.Like, exp.ILike):
        bound = _leading_wildcard(query, node.expression)
        if bound is None:
            continue
        given = f" (the code binds `{bound}`)" if bound else ""
        yield Violation(
            f"`{excerpt(node)}` starts with a wildcard{given}, so no index on {excerpt(node.this)} can be used",
            suggestion="search by prefix (LIKE 'term%') or use a FULLTEXT index with MATCH … AGAINST",
        )
