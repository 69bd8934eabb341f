from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqllint.records import ParsedQuery, PlaceholderStyle, Severity
from sqllint.registry import Violation, rule

_HOW = {
    PlaceholderStyle.FSTRING_HOLE: "formatted into the SQL text",
    PlaceholderStyle.CONCAT_HOLE: "concatenated into the SQL text",
    PlaceholderStyle.MYBATIS_RAW: "substituted with ${} (text substitution, not a bound parameter)",
}


@rule(code="S003", name="sql-interpolation", severity=Severity.ERROR)
def check(query: ParsedQuery, options: dict[str, Any]) -> Iterator[Violation]:
    """A value is spliced into the SQL text instead of being passed as a bound parameter.

    ## Why is this bad?
    Whatever the spliced value contains becomes SQL: the classic injection. It also defeats the
    server's statement digest (every value is a new statement in performance_schema and the slow log)
    and makes sqllint guess what the statement looks like. Pass values as parameters (``%s``, ``?``,
    ``:name``, ``#{}``); a table or column name that must vary should come from a fixed allow-list —
    say so with ``# sqllint: ignore[S003]`` on that line. Integers converted with ``int()`` or
    formatted with ``{n:d}`` are not reported.

    ## Example
    ```python bad
    def find_user(cur, email):
        cur.execute(f"SELECT id FROM users WHERE email = '{email}'")
    ```

    Use instead:
    ```python good
    def find_user(cur, email):
        cur.execute("SELECT id FROM users WHERE email = %s", (email,))
    ```
    """
    risky = [p for p in query.query.placeholders if p.interpolated and not p.safe and not p.fragment]
    if not risky:
        return
    values = [p for p in risky if not p.identifier]
    identifiers = [p for p in risky if p.identifier]
    how = _HOW.get(risky[0].style, "spliced into the SQL text")
    if values:
        unique = list(dict.fromkeys(p.name for p in values))  # one name spliced in twice is one risk
        names = ", ".join(f"`{name}`" for name in unique)
        yield Violation(
            f"{names} {'is' if len(unique) == 1 else 'are'} {how}: an injection risk, and every value "
            "makes a new statement for the server",
            suggestion="pass the value as a bound parameter (%s / ? / :name / #{}) in the call's parameters",
        )
    if identifiers:
        unique = list(dict.fromkeys(p.name for p in identifiers))
        names = ", ".join(f"`{name}`" for name in unique)
        yield Violation(
            f"{names} {'names a table or column' if len(unique) == 1 else 'name tables or columns'} "
            f"{how}: safe only if it comes from a fixed allow-list",
            suggestion="map the input to a fixed set of identifiers; then suppress with sqllint: ignore[S003]",
        )
