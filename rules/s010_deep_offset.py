from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from sqllint.records import ParsedQuery, Severity
from sqllint.registry import Option, Violation, rule


@rule(
    code="S010",
    name="deep-offset",
    severity=Severity.WARNING,
    options={"threshold": Option(1000, "report a literal OFFSET at least this large", minimum=1)},
)
def check(query: ParsedQuery, options: dict[str, Any]) -> Iterator[Violation]:
    """Pagination with a large ``OFFSET``: MySQL reads and throws away every skipped row.

    ## Why is this bad?
    ``LIMIT 20 OFFSET 100000`` (or ``LIMIT 100000, 20``) makes the server produce 100,020 rows and
    discard all but 20, so each page is slower than the last. Keyset (seek) pagination —
    ``WHERE id > :last_seen ORDER BY id LIMIT 20`` — costs the same on every page.

    The threshold is ``[tool.sqllint.rules.deep-offset] threshold`` (default 1000); offsets given as
    parameters are not known statically.

    ## Example
    ```sql bad
    SELECT id, title FROM posts ORDER BY id LIMIT 100000, 20
    ```

    Use instead:
    ```sql good
    SELECT id, title FROM posts WHERE id > 100000 ORDER BY id LIMIT 20
    ```
    """
    threshold = options["threshold"]
    for offset in query.find(exp.Offset):
        value = offset.expression
        if isinstance(value, exp.Literal) and not value.is_string and value.this.isdigit():
            if int(value.this) >= threshold:
                yield Violation(
                    f"OFFSET {value.this} makes MySQL read and discard {value.this} rows for this page",
                    suggestion="paginate by key: WHERE id > :last_seen ORDER BY id LIMIT n",
                )
