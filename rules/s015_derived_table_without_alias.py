from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from sqllint.records import ParsedQuery, Severity
from sqllint.registry import Violation, rule

# Where a parenthesised query is a derived table (a row source), not a scalar or IN subquery.
_ROW_SOURCES = (exp.From, exp.Join, exp.Lateral)


@rule(code="S015", name="derived-table-without-alias", severity=Severity.ERROR)
def check(query: ParsedQuery, options: dict[str, Any]) -> Iterator[Violation]:
    """A subquery in ``FROM``/``JOIN`` (a derived table) without an alias: MySQL rejects the statement.

    ## Why is this bad?
    MySQL requires every derived table to have a name and fails the statement with error 1248 "Every
    derived table must have its own alias" (MariaDB answers with syntax error 1064). The statement
    never runs — typically a ``COUNT(*)`` wrapper written for another database (PostgreSQL 16 and
    SQLite accept it) or an alias lost while editing. The alias is needed even when nothing refers to it.

    ## Example
    ```sql bad
    SELECT COUNT(*) FROM (SELECT DISTINCT user_id FROM orders WHERE status = 'paid')
    ```

    Use instead:
    ```sql good
    SELECT COUNT(*) FROM (SELECT DISTINCT user_id FROM orders WHERE status = 'paid') AS paid_users
    ```
    """
    for subquery in query.find(exp.Subquery):
        if not isinstance(subquery.parent, _ROW_SOURCES) or subquery.arg_key != "this":
            continue
        inner: exp.Expression = subquery
        named = False
        while isinstance(inner, exp.Subquery):  # ((SELECT …) AS t) and ((SELECT …)) AS t are both named
            named = named or bool(inner.alias)
            inner = inner.this
        if named or not isinstance(inner, exp.Query):
            continue  # FROM (a JOIN b): a parenthesised join, not a derived table
        yield Violation(
            "a derived table (a subquery in FROM/JOIN) has no alias: MySQL rejects the statement "
            "(error 1248, Every derived table must have its own alias)",
            suggestion="name it after the closing parenthesis: (SELECT …) AS some_name",
        )
