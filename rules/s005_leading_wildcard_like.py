from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from sqllint.records import ParsedQuery, Severity
from sqllint.registry import Violation, rule
from sqllint.sqlfacts import excerpt


def _leading_wildcard(pattern: exp.Expression | None) -> bool:
    if isinstance(pattern, exp.Literal) and pattern.is_string:
        return pattern.this.startswith(("%", "_"))
    if isinstance(pattern, (exp.Concat, exp.ConcatWs)):
        parts = pattern.expressions[1:] if isinstance(pattern, exp.ConcatWs) else pattern.expressions
        return bool(parts) and _leading_wildcard(parts[0])
    if isinstance(pattern, exp.DPipe):
        return _leading_wildcard(pattern.this)
    return False


@rule(code="S005", name="leading-wildcard-like", severity=Severity.WARNING)
def check(query: ParsedQuery, options: dict[str, Any]) -> Iterator[Violation]:
    """``LIKE '%term'``: a pattern that starts with a wildcard cannot use an index.

    ## Why is this bad?
    A B-tree index is ordered by the value's prefix; with an unknown prefix MySQL must examine every row
    (or every index entry). It is the usual cause of a "search" endpoint that is fast on a small table
    and times out in production. Prefix search (``LIKE 'term%'``) uses the index; for substring search
    use a FULLTEXT index (``MATCH … AGAINST``) or a search engine. ``CONCAT('%', ?, '%')`` is caught too.

    ## Example
    ```sql bad
    SELECT id, name FROM products WHERE name LIKE '%phone%'
    ```

    Use instead:
    ```sql good
    SELECT id, name FROM products WHERE name LIKE 'phone%'
    ```
    """
    for node in query.find(exp.Like, exp.ILike):
        if _leading_wildcard(node.expression):
            yield Violation(
                f"`{excerpt(node)}` starts with a wildcard, so no index on {excerpt(node.this)} can be used",
                suggestion="search by prefix (LIKE 'term%') or use a FULLTEXT index with MATCH … AGAINST",
            )
