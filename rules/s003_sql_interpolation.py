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
    identifiers = [p for p in risky if p.identifier]
    # A name spliced both as a column and as a value (CASE WHEN {col} = '' … ELSE {col}) is one name.
    named = {str(p.name) for p in identifiers}
    values = [p for p in risky if not p.identifier and str(p.name) not in named]
    how = _HOW.get(risky[0].style, "spliced into the SQL text")
    # One finding per statement and kind, whatever the variant: the engine merges the names spliced
    # into each variant (a SET list built from five optional fields is one finding, not 31).
    if values:
        unique = tuple(dict.fromkeys(str(p.name) for p in values))  # one name spliced in twice is one risk
        yield Violation(_values_message(unique, how), family="values", subjects=unique,
                        merge=lambda names: _values_message(names, how),
                        suggestion="pass the value as a bound parameter (%s / ? / :name / #{}) in the call's parameters")
    if identifiers:
        unique = tuple(dict.fromkeys(str(p.name) for p in identifiers))
        yield Violation(_names_message(unique, how), family="names", subjects=unique,
                        merge=lambda names: _names_message(names, how),
                        suggestion="map the input to a fixed set of identifiers; then suppress with sqllint: ignore[S003]")


def _listed(names: tuple[str, ...]) -> str:
    return ", ".join(f"`{name}`" for name in names)


def _values_message(names: tuple[str, ...], how: str) -> str:
    return (f"{_listed(names)} {'is' if len(names) == 1 else 'are'} {how}: an injection risk, and every value "
            "makes a new statement for the server")


def _names_message(names: tuple[str, ...], how: str) -> str:
    return (f"{_listed(names)} {'names a table or column' if len(names) == 1 else 'name tables or columns'} "
            f"{how}: safe only if it comes from a fixed allow-list")
