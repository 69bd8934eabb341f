"""Extraction: source files → ``Query`` records, one extractor per language.

Each extractor takes the file's bytes and its display path and returns the queries it found plus
``Problem``s (could-not-analyse findings) — it never raises on bad input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqllint.extract.python import extract_python
from sqllint.extract.sqlfile import extract_sql
from sqllint.files import decode_text
from sqllint.records import Query

if TYPE_CHECKING:
    from sqllint.extract.project import ProjectIndex


@dataclass(frozen=True)
class Problem:
    """Something in a file that could not be analysed; becomes an E-family finding."""

    code: str  # E002 source-syntax-error, E003 unreadable-file, …
    line: int
    column: int
    message: str
    sql: str = ""


@dataclass(frozen=True)
class ExtractOptions:
    max_variants: int = 32
    project: ProjectIndex | None = None  # cross-file MyBatis knowledge (includes, mapper statements)


@dataclass
class FileExtraction:
    queries: list[Query] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


Extractor = Callable[[bytes, str, ExtractOptions], FileExtraction]


def _from_sql(data: bytes, path: str, options: ExtractOptions) -> FileExtraction:
    text, problem = decode_text(data)
    result = FileExtraction(extract_sql(text, path))
    if problem:
        result.problems.append(Problem("E003", 1, 1, problem))
    return result


def _from_python(data: bytes, path: str, options: ExtractOptions) -> FileExtraction:
    result = FileExtraction()
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        if not data.startswith(b"#") or b"coding" not in data[:200]:  # PEP 263 declares other encodings
            text, problem = decode_text(data)
            result.problems.append(Problem("E003", 1, 1, problem or "not valid UTF-8"))
            data = text.encode("utf-8")
    project = options.project
    extraction = extract_python(data, path, options.max_variants, project.python_helpers if project else None,
                                project.named_sql if project else None, project.python_runners if project else None)
    result.queries.extend(extraction.queries)
    for line, column, scope, kept in extraction.capped:
        result.problems.append(Problem("E022", line, column, f"the SQL run here in {scope} is built in more ways than "
                                       f"max-variants allows ({options.max_variants}); only {kept} variants were checked"))
    if extraction.syntax_error:
        message, line, column = extraction.syntax_error
        result.problems.append(Problem("E002", line, column, f"Python syntax error: {message}; SQL in this file was not extracted"))
    return result


def _from_xml(data: bytes, path: str, options: ExtractOptions) -> FileExtraction:
    from sqllint.extract.mybatis_queries import extract_mybatis  # imported on first use: most runs have no XML

    return extract_mybatis(data, path, options)


def _from_java(data: bytes, path: str, options: ExtractOptions) -> FileExtraction:
    from sqllint.extract.java import extract_java  # loads the tree-sitter grammar only when needed

    return extract_java(data, path, options)


def _from_go(data: bytes, path: str, options: ExtractOptions) -> FileExtraction:
    from sqllint.extract.golang import extract_go

    return extract_go(data, path, options)


EXTRACTORS: Mapping[str, Extractor] = {"sql": _from_sql, "python": _from_python, "xml": _from_xml,
                                       "java": _from_java, "go": _from_go}
SUFFIXES: Mapping[str, str] = {".sql": "sql", ".py": "python", ".pyw": "python", ".xml": "xml", ".java": "java",
                               ".go": "go"}


def extract_source(data: bytes, path: str, language: str, options: ExtractOptions) -> FileExtraction:
    return EXTRACTORS[language](data, path, options)
