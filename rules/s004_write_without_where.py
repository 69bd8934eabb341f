from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from sqllint.records import ParsedQuery, Severity
from sqllint.registry import Violation, rule
from sqllint.sqlfacts import table_name


@rule(code="S004", name="write-without-where", severity=Severity.ERROR)
def check(query: ParsedQuery, options: dict[str, Any]) -> Iterator[Violation]:
    """``UPDATE`` or ``DELETE`` without a ``WHERE`` clause touches every row of the table.

    ## Why is this bad?
    It rewrites or removes the whole table in one transaction: every row is locked, the undo log and
    the binlog grow by the table's size, replicas lag, and it is rarely what was meant — typically a
    condition that is only appended when a filter is present. Batched purges with ``LIMIT`` and
    multi-table writes restricted by ``JOIN … ON`` are not reported.

    ## Example
    ```sql bad
    UPDATE users SET status = 'inactive'
    ```

    Use instead:
    ```sql good
    UPDATE users SET status = 'inactive' WHERE last_login < '2020-01-01'
    ```
    """
    tree = query.tree
    if not isinstance(tree, (exp.Update, exp.Delete)):
        return
    if tree.args.get("where") or tree.args.get("limit"):
        return
    joins = tree.this.args.get("joins") if isinstance(tree.this, exp.Table) else None
    if any(join.args.get("on") or join.args.get("using") for join in joins or []):
        return
    target = tree.this if isinstance(tree.this, exp.Table) else tree.find(exp.Table)
    name = table_name(target) if isinstance(target, exp.Table) else "the table"
    verb = "UPDATE" if isinstance(tree, exp.Update) else "DELETE"
    yield Violation(
        f"{verb} without WHERE affects every row of {name}",
        suggestion="add the WHERE clause in every variant; for a deliberate purge, delete in batches with LIMIT",
    )
