"""Extract statements from ``.sql`` scripts."""

from __future__ import annotations

from sqllint.extract.placeholders import normalise
from sqllint.extract.splitter import split_statements
from sqllint.records import Query
from sqllint.suppress import sql_suppressions


def extract_sql(script: str, path: str) -> list[Query]:
    head = script[:4096]
    file_codes, whole_file = sql_suppressions(head) if "ignore-file" in head else (frozenset(), False)
    file_suppressed = file_codes if whole_file else frozenset()
    queries = []
    for index, statement in enumerate(split_statements(script)):
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
                sequence=index,
                suppressed=leading_codes | file_suppressed,
                text_line_offset=0,
            )
        )
    return queries
