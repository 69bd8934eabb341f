"""Findings the engine raises when it cannot analyse something; they have no check function."""

from __future__ import annotations

from sqllint.records import Severity
from sqllint.registry import rule


@rule(code="E001", name="sql-parse-error", severity=Severity.WARNING, target="source")
def sql_parse_error() -> None:
    """The statement does not parse as MySQL; no other rule could check it.

    ## Why is this bad?
    Either the SQL really is broken (and will fail at run time), or it uses syntax sqlglot's MySQL
    dialect does not know. The finding carries the parser's message and position. If the server accepts
    the statement, suppress it in place with ``sqllint: ignore[E001]``.

    ## Example
    ```sql bad
    SELECT id FROM users WHERE (status = 'active'
    ```
    ```sql good
    SELECT id FROM users WHERE (status = 'active')
    ```
    """


@rule(code="E002", name="source-syntax-error", severity=Severity.WARNING, target="source")
def source_syntax_error() -> None:
    """A source file does not parse in its own language, so the SQL inside it was not extracted.

    ## Why is this bad?
    sqllint reads Python (and Java, Go) with real parsers; a file with a syntax error yields no queries
    and hides whatever SQL it holds. The finding carries the parser's message and position.

    ## Example
    ```python bad
    def broken(cur:
        cur.execute("SELECT 1")
    ```
    ```python good
    def fine(cur):
        cur.execute("SELECT id FROM users WHERE id = %s", (1,))
    ```
    """


@rule(code="E003", name="unreadable-file", severity=Severity.INFO, target="source")
def unreadable_file() -> None:
    """A file was skipped or read only in part: binary, over the size limit, not UTF-8, a symlink loop.

    ## Why is this bad?
    It is a note, not a defect: it says which files sqllint did not (fully) check and why, so a silent
    gap in coverage cannot hide. Raise ``max-file-size`` or exclude the path to settle it.
    """


@rule(code="E004", name="unresolved-dynamic-sql", severity=Severity.INFO, target="source")
def unresolved_dynamic_sql() -> None:
    """SQL completed by a fragment the extractor cannot see (a whole clause), so it was not checked.

    ## Why is this bad?
    When a clause comes from a helper in another module or a value only known at run time
    (``f"SELECT … {where_clause}"``), the statement's real shape is unknown: linting what is left would
    miss the clause (or flag its absence). sqllint reports it instead of guessing. A spliced fragment
    that does stand where a value or a name can (``= {x}``, ``FROM {table}``) is checked, and reported as
    interpolation by S003. Build the SQL in the function that runs it, or check
    it with ``sqllint explain`` against the staging database.

    ## Example
    ```python bad
    def search(cur, where_clause):
        cur.execute(f"SELECT id FROM users {where_clause}")
    ```
    ```python good
    def search(cur, name):
        cur.execute("SELECT id FROM users WHERE name = %s", (name,))
    ```
    """


@rule(code="E005", name="internal-error", severity=Severity.WARNING, target="source")
def internal_error() -> None:
    """A rule failed on a statement; the other rules and files were still checked.

    ## Why is this bad?
    It is a bug in sqllint (or in a plugin rule), not in your SQL. The finding names the rule and the
    error so it can be reported with the statement that triggered it; the statement was not checked by
    that rule.
    """
