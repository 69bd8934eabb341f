"""Split a SQL script into statements, respecting strings, comments and the client's DELIMITER command.

A comment that follows a statement's terminator on the same line (``SELECT 1; -- sqllint: ignore``)
belongs to that statement, so inline suppressions work the way people write them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Statement:
    text: str  # from the first significant token to the delimiter (exclusive), plus a same-line comment
    line: int  # 1-based line of the first significant token
    column: int  # 1-based column of the first significant token
    end_line: int
    leading: str = ""  # comments and blank lines before the first token (may hold suppressions)


_DELIMITER_LINE = re.compile(r"[ \t]*DELIMITER[ \t]+(\S+)[ \t]*(?:\r?\n|\Z)", re.IGNORECASE)
_LEADING_NOISE = re.compile(r"(?:\s+|--[^\n]*|#[^\n]*|/\*.*?\*/)*", re.DOTALL)
_TRAILING_COMMENT = re.compile(r"[ \t]*(?:--[ \t][^\n]*|#[^\n]*|/\*[^\n]*?\*/[ \t]*)(?=\r?\n|\Z)")


@lru_cache(maxsize=16)
def _scanner(delimiter: str) -> re.Pattern[str]:
    return re.compile(
        r"""'(?:[^'\\]|\\.|'')*(?:'|\Z)|"(?:[^"\\]|\\.|"")*(?:"|\Z)|`[^`]*(?:`|\Z)"""
        r"""|/\*.*?(?:\*/|\Z)|--(?=\s|\Z)[^\n]*|\#[^\n]*"""
        rf"""|(?P<delim>{re.escape(delimiter)})|(?P<nl>\n)""",
        re.DOTALL,
    )


def split_statements(script: str) -> list[Statement]:
    statements: list[Statement] = []
    delimiter = ";"
    start = 0  # offset where the current statement's text begins
    start_line = 1
    pos = 0
    line = 1
    line_start = True

    def flush(end: int, trailing_comment: str = "") -> None:
        lead = _LEADING_NOISE.match(script, start, end)
        first = lead.end() if lead else start
        if not script[first:end].strip():
            return  # only whitespace and comments
        text = script[first:end].rstrip()
        last = first + len(text)  # blank lines before the next statement (no delimiter) are not its own
        if trailing_comment:
            text = f"{text} {trailing_comment.strip()}"
        first_line = start_line + script.count("\n", start, first)
        column = first - (script.rfind("\n", 0, first) + 1) + 1
        end_line = first_line + script.count("\n", first, last)
        statements.append(Statement(text, first_line, column, end_line, script[start:first]))

    while pos <= len(script):
        if line_start:
            directive = _DELIMITER_LINE.match(script, pos)
            if directive:
                flush(pos)
                delimiter = directive.group(1)
                line += script.count("\n", pos, directive.end())
                pos = start = directive.end()
                start_line = line
                continue
        match = _scanner(delimiter).search(script, pos)
        if match is None:
            break
        if match.lastgroup == "nl":
            line += 1
            pos = match.end()
            line_start = True
            continue
        line_start = False
        if match.lastgroup == "delim":
            after = match.end()
            # Keep `...; -- sqllint: ignore[...]` with the statement it follows.
            trailing = _TRAILING_COMMENT.match(script, after)
            flush(match.start(), trailing.group(0) if trailing else "")
            if trailing:
                after = trailing.end()
            pos = start = after
            start_line = line
            continue
        line += match.group(0).count("\n")
        pos = match.end()
    flush(len(script))
    return statements
