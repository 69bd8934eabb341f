"""Extract statements from ``.sql`` scripts."""

from __future__ import annotations

from sqllint.extract.placeholders import normalise
from sqllint.extract.splitter import split_statements
from sqllint.records import Query
from sqllint.suppress import sql_suppressions


def extract_sql(script: str, path: str) -> list[Query]:
    file_codes, whole_file = sql_suppressions(script[:4096]) if "ignore-file" in script[:4096] else (frozenset(), False)
    file_suppressed = file_codes if whole_file else frozenset()
    queries = []
    for index, statement in enumerate(split_statements(script)):
        text, placeholders = normalise(statement.text)
        codes, _ = sql_suppressions(statement.text)
        queries.append(
            Query(
                path=path,
                line=statement.line,
                column=statement.column,
                end_line=statement.end_line,
                language="sql",
                raw=statement.text,
                text=text,
                placeholders=placeholders,
                sequence=index,
                suppressed=codes | file_suppressed,
                text_line_offset=statement.text_line - statement.line,
            )
        )
    return queries
