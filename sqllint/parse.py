"""Parse normalised SQL with sqlglot's MySQL dialect and fingerprint it.

Each distinct text is tokenized and parsed once per run (variants and repeated call sites often share
text). The fingerprint hashes the token stream with literal values and placeholders erased, keywords
canonical, identifiers lower-cased and value lists collapsed: stable across whitespace, keyword case,
literal values, placeholder style and code moves; it changes when the statement's structure changes.
Hashing tokens costs a tenth of what a second walk over the tree would.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from collections.abc import Iterable, Iterator

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError as SqlglotParseError
from sqlglot.errors import SqlglotError, TokenError
from sqlglot.tokens import Token, TokenType

from sqllint.records import ParsedQuery, ParseError, Query

logging.getLogger("sqlglot").setLevel(logging.ERROR)  # "falling back to Command" is not the user's problem

_VALUE_TOKENS = frozenset({TokenType.STRING, TokenType.NUMBER, TokenType.PLACEHOLDER, TokenType.PARAMETER,
                           TokenType.NATIONAL_STRING, TokenType.HEX_STRING, TokenType.BIT_STRING,
                           TokenType.TRUE, TokenType.FALSE})  # TRUE/FALSE are MySQL's 1/0: values
_SIGNS = frozenset({"DASH", "PLUS"})
# Keyword tokens that end an operand, so a sign after them is binary (``CURRENT_DATE - 1``).
_OPERAND_KEYWORDS = frozenset({"NULL", "CURRENT_DATE", "CURRENT_DATETIME", "CURRENT_TIME", "CURRENT_TIMESTAMP",
                               "CURRENT_USER", "R_PAREN", "R_BRACKET", "?"})


def _is_operand(word: str) -> bool:
    """Whether a fingerprint word ends an operand: a value, a name (lower-cased) or a closing bracket."""
    return word in _OPERAND_KEYWORDS or not word.isupper()


_NAME_TOKENS = frozenset({TokenType.VAR, TokenType.IDENTIFIER})
_KINDS: dict[type[exp.Expression], str] = {
    exp.Select: "select",
    exp.Union: "select",
    exp.Intersect: "select",
    exp.Except: "select",
    exp.Insert: "insert",
    exp.Update: "update",
    exp.Delete: "delete",
}


def statement_kind(tree: exp.Expression) -> str:
    if isinstance(tree, exp.Command) and str(tree.this).upper() == "REPLACE":
        return "replace"  # sqlglot reads MySQL's REPLACE INTO as an opaque command
    if isinstance(tree, exp.Subquery):
        return statement_kind(tree.this)
    return _KINDS.get(type(tree), "other")


def token_fingerprint(tokens: list[Token]) -> str:
    return hashlib.blake2b(" ".join(fingerprint_words(tokens)).encode(), digest_size=8).hexdigest()


def fingerprint_words(tokens: list[Token]) -> list[str]:
    """The words the fingerprint hashes (values erased, names lower-cased, value lists collapsed); the
    trace compares these of a logged statement with a dynamic statement's variants."""
    words: list[str] = []
    add = words.append
    for token in tokens:
        kind = token.token_type
        if kind in _VALUE_TOKENS:
            if words and words[-1] in _SIGNS and (len(words) < 2 or not _is_operand(words[-2])):
                words.pop()  # a signed literal is a literal: = -5 ≡ = 5 (but a - 5 keeps its minus)
            if words and words[-1] == "?":
                continue
            if len(words) >= 2 and words[-1] == "COMMA" and words[-2] == "?":
                words.pop()  # (?, ?, ?) ≡ (?): IN-lists and VALUES rows of any length
                continue
            add("?")
        elif kind in _NAME_TOKENS:
            add(token.text.lower())
        elif kind is TokenType.COMMA and len(words) >= 2 and words[-1] == "R_PAREN" and words[-2] == "?":
            add("COMMA")
        elif kind is TokenType.L_PAREN and len(words) >= 4 and words[-1] == "COMMA" and words[-2] == "R_PAREN" \
                and words[-3] == "?":
            words.pop()  # VALUES (?), (?) ≡ VALUES (?)
            words.pop()
            words.pop()
            words.pop()
            add("L_PAREN")
        else:
            add(kind.name)
    return words


def text_fingerprint(text: str) -> str:
    """Fingerprint for text that does not even tokenize: whitespace- and case-insensitive."""
    return hashlib.blake2b(" ".join(text.lower().split()).encode(), digest_size=8).hexdigest()


class SqlParser:
    """Tokenizes and parses with one reused sqlglot parser; not shared between threads."""

    def __init__(self) -> None:
        self.dialect = Dialect.get_or_raise("mysql")
        self.parser = self.dialect.parser()

    def parse_text(self, text: str) -> tuple[exp.Expression | None, ParseError | None, str]:
        """(tree, error, fingerprint) for one statement's normalised text."""
        try:
            tokens = self.dialect.tokenize(text)
        except (TokenError, SqlglotError, ValueError) as error:
            return None, ParseError(f"cannot tokenize: {error}", 1, 1), text_fingerprint(text)
        digest = token_fingerprint(tokens)
        try:
            expressions = [e for e in self.parser.parse(tokens, text) if e is not None]
        except SqlglotParseError as error:
            first = error.errors[0] if error.errors else {}
            message = _readable(first) if first else str(error).splitlines()[0]
            return None, ParseError(message, int(first.get("line") or 1), int(first.get("col") or 1)), digest
        except (SqlglotError, RecursionError, ValueError) as error:
            return None, ParseError(str(error).splitlines()[0] if str(error) else type(error).__name__, 1, 1), digest
        tree = expressions[0] if expressions else None
        if isinstance(tree, exp.Update):
            refused = _string_assignment(tree, tokens)
            if refused is not None:
                return None, refused, digest
        return tree, None, digest

    def parse_queries(self, queries: Iterable[Query]) -> Iterator[ParsedQuery]:
        """Parse each query; identical texts are parsed once (rules never mutate the shared tree)."""
        cache: dict[str, ParsedQuery] = {}
        for query in queries:
            known = cache.get(query.text)
            if known is not None:
                yield dataclasses.replace(known, query=query)
                continue
            tree, error, digest = self.parse_text(query.text)
            kind = statement_kind(tree) if tree is not None else ("unknown" if error else "empty")
            parsed = ParsedQuery(query, tree, digest, error, kind)
            cache[query.text] = parsed
            yield parsed


_SQLGLOT_CLASS = re.compile(r"Required keyword: '\w+' missing for <class '[\w.]+'>")
_SQLGLOT_TOKEN = re.compile(r"<Token token_type: [\w.]+, text: (.*?), line: \d+, col: \d+[^>]*>")


def _readable(error: dict[str, object]) -> str:
    """sqlglot's description with where it stopped: ``… x=1 and ⟨limit⟩ 1,3``. Descriptions that name
    sqlglot's own classes (``missing for <class '…JSONBContainsTopKey'>``, how it reads ``? ?``) say
    what the reader can act on instead."""
    description = str(error.get("description") or "syntax error")
    description = _SQLGLOT_CLASS.sub("incomplete expression (two values side by side, or an operand missing)",
                                     description)
    # "Expected table name but got <Token token_type: TokenType.R_PAREN, text: ), line: 6, …>" → "… got `)`"
    description = _SQLGLOT_TOKEN.sub(lambda m: f"`{m.group(1)}`", description)
    before = " ".join(str(error.get("start_context") or "").split())
    highlight = " ".join(str(error.get("highlight") or "").split())
    after = " ".join(str(error.get("end_context") or "").split())
    if not highlight:
        return description
    if before.endswith(highlight):
        before = before[: -len(highlight)].rstrip()
    context = f"{'…' if len(before) > 40 else ''}{before[-40:]} ⟨{highlight}⟩ {after[:20]}".strip()
    return f"{description}, at `{context}`"


def _string_assignment(tree: exp.Update, tokens: list) -> ParseError | None:
    """``UPDATE t SET "stock" = ?``: in MySQL (without ANSI_QUOTES) a double-quoted name is a string,
    and a string cannot be assigned to; the server answers with a syntax error, sqlglot does not."""
    for assignment in tree.expressions:
        target = assignment.this if isinstance(assignment, exp.EQ) else None
        if isinstance(target, exp.Literal) and target.is_string:
            token = next((t for t in tokens if t.text == target.this and t.token_type.name == "STRING"), None)
            line, column = (token.line, token.col) if token is not None else (1, 1)
            return ParseError(f"SET assigns to the string '{target.this}': MySQL reads double quotes as a string "
                              "unless ANSI_QUOTES is on; quote the column with backticks", line, column)
    return None


def fingerprint_sql(text: str) -> str:
    """Fingerprint of one normalised statement (for callers outside a run, e.g. tests and baselines)."""
    return SqlParser().parse_text(text)[2]
