from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from sqllint.records import ParsedQuery, Severity
from sqllint.registry import Violation, rule


@rule(code="S014", name="unordered-limit", severity=Severity.WARNING)
def check(query: ParsedQuery, options: dict[str, Any]) -> Iterator[Violation]:
    """Paging with ``OFFSET``, or ``UPDATE``/``DELETE … LIMIT``, without ``ORDER BY``.

    ## Why is this bad?
    Without an order the server returns rows in whatever order the chosen plan yields, and that changes
    with the plan: pages overlap or skip rows. For ``UPDATE``/``DELETE … LIMIT`` the affected rows are
    arbitrary, and MySQL flags the statement as unsafe for statement-based replication (replicas may
    change different rows).

    ## Example
    ```sql bad
    SELECT id, title FROM posts LIMIT 20 OFFSET 40
    ```

    Use instead:
    ```sql good
    SELECT id, title FROM posts ORDER BY id LIMIT 20 OFFSET 40
    ```
    """
    tree = query.tree
    if isinstance(tree, (exp.Update, exp.Delete)):
        if tree.args.get("limit") and not tree.args.get("order"):
            yield Violation(
                f"{query.kind.upper()} … LIMIT without ORDER BY changes arbitrary rows "
                "(and is unsafe for statement-based replication)",
                suggestion="add ORDER BY on a unique key",
            )
        return
    for select in query.find(exp.Select):
        if select.args.get("offset") and not select.args.get("order"):
            yield Violation(
                "paging with OFFSET but no ORDER BY: pages may overlap or skip rows when the plan changes",
                suggestion="ORDER BY a unique key (or paginate by key)",
            )
