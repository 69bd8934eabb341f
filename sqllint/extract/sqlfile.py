"""Extract statements from ``.sql`` scripts.

Query files of aiosql, yesql, sqlc (``-- name: get-user-by-id^``, ``-- name: GetAuthor :one``) and
PugSQL/HugSQL (``-- :name get_user :one``) name each statement in a comment; such a statement's scope is
its name as the code calls it (aiosql turns ``-`` into ``_``: ``queries.get_user_by_id(conn, id=1)``), so
``sqllint explain queries.sql:get_user_by_id`` finds it. These files may leave out the ``;`` between
statements: a name comment starts a new statement.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqllint.extract.placeholders import normalise
from sqllint.extract.splitter import Statement, split_statements
from sqllint.records import Query
from sqllint.suppress import sql_suppressions

# The name, then what the libraries put after it: aiosql's operator suffix (^ $ ! <! *! #), sqlc's and
# PugSQL's ``:one``/``:many``, a docstring comment on the next lines.
_NAME_COMMENT = re.compile(r"^[ \t]*--[ \t]*(?:name:|:name[ \t])[ \t]*([A-Za-z_][\w-]*)", re.MULTILINE)


def extract_sql(script: str, path: str) -> list[Query]:
    head = script[:4096]
    file_codes, whole_file = sql_suppressions(head) if "ignore-file" in head else (frozenset(), False)
    file_suppressed = file_codes if whole_file else frozenset()
    queries = []
    for index, (statement, name) in enumerate(_named_statements(script)):
        # Comments before the statement's first token may hold its suppressions.
        leading_codes, _ = sql_suppressions(statement.leading)
        body = statement.text
        text, placeholders = normalise(body)
        queries.append(
            Query(
                path=path,
                line=statement.line,
                column=statement.column,
                end_line=statement.end_line,
                language="sql",
                raw=body,
                text=text,
                placeholders=placeholders,
                scope=name,
                sequence=index,
                suppressed=leading_codes | file_suppressed,
                text_line_offset=0,
            )
        )
    return queries


def _named_statements(script: str) -> Iterator[tuple[Statement, str | None]]:
    """Statements with the name their block's comment gives them (None before the first name)."""
    marks = list(_NAME_COMMENT.finditer(script)) if "name" in script else []
    if not marks:
        yield from ((statement, None) for statement in split_statements(script))
        return
    bounds = [0, *(m.start() for m in marks), len(script)]
    names = [None, *(m.group(1).replace("-", "_") for m in marks)]
    for start, end, name in zip(bounds, bounds[1:], names):
        offset = script.count("\n", 0, start)  # blocks start at a line start: columns are unchanged
        for statement in split_statements(script[start:end]):
            yield Statement(statement.text, statement.line + offset, statement.column, statement.end_line + offset,
                            statement.leading), name
