"""Normalise placeholders so sqlglot's MySQL dialect parses the statement, and remember them.

Drivers and frameworks spell value slots differently (``?``, ``%s``, ``%(name)s``, ``:name``, ``#{name}``,
``${name}``); host languages splice values in (f-string holes, concatenation). sqlglot's MySQL parser
rejects ``%s`` and ``#{x}``, so every value slot becomes ``?`` and every identifier slot (``FROM {table}``)
becomes a synthetic identifier. The slots are returned in order so that a later stage can bind them.

Extractors hand over SQL text in which each *hole* (a spliced value the extractor could not resolve) is
marked by ``HOLE_MARK + index + HOLE_MARK``; the matching ``Hole`` describes it. Strings and comments are
lexed so that a ``?`` inside a literal stays literal, while a hole inside a literal (``LIKE '%{kw}%'``)
keeps the literal well-formed and is still reported as interpolation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqllint.records import Placeholder, PlaceholderStyle

HOLE_MARK = "\x00"
IDENTIFIER_HOLE_PREFIX = "sqllint_hole_"


@dataclass(frozen=True)
class Hole:
    """A value spliced into SQL text by the host language."""

    source: str  # the host-language expression, for messages
    style: PlaceholderStyle = PlaceholderStyle.FSTRING_HOLE
    safe: bool = False  # int(...), {n:d}, a numeric constant: cannot carry SQL
    # The host writes it as a quoted literal (Python's {x!r}, %r): a value wherever it stands, never a
    # name or a clause (still interpolation: repr() does not escape for SQL).
    literal: bool = False


def hole_marker(index: int) -> str:
    return f"{HOLE_MARK}{index}{HOLE_MARK}"


_TOKEN = re.compile(
    # The lookahead lets the scan skip plain text with one character-class test per position
    # instead of trying every alternative (2-3x faster on long statements).
    r"""
    (?=['"`/\#$\-\x00%?:])
    (?:
    (?P<sq>'(?:[^'\\]|\\.|'')*(?:'|\Z))
  | (?P<dq>"(?:[^"\\]|\\.|"")*(?:"|\Z))
  | (?P<bt>`[^`]*(?:`|\Z))
  | (?P<bc>/\*.*?(?:\*/|\Z))
  | (?P<mb>\#\{[^}]*\})
  | (?P<mr>\$\{[^}]*\})
  | (?P<lc>(?:--(?=\s|\Z)|\#)[^\n]*)
  | (?P<hole>\x00(?P<hole_index>\d+)\x00)
  | (?P<pyn>%\((?P<pyn_name>[^)]+)\)s)
  | (?P<pct>%%)
  | (?P<fmt>%s)
  | (?P<q>\?\d*)  # JDBC ?, JPA native ?1
  | (?P<named>(?<![:\w@]):(?P<named_name>[A-Za-z_]\w*))
    )
    """,
    re.VERBOSE | re.DOTALL,
)
_HOLE_IN_TEXT = re.compile(r"\x00(\d+)\x00")
# Keywords after which a spliced fragment names a table rather than a value.
_IDENTIFIER_CONTEXT = re.compile(
    r"(?:\b(?:FROM|JOIN|INTO|UPDATE|TABLE|DESCRIBE|BY|DATABASE|SCHEMA|USE|TRUNCATE|RENAME|TO|COLUMN|IF\s+(?:NOT\s+)?EXISTS)\s+|\.)\Z",
    re.IGNORECASE
)
# A hole glued to the end of a word is the rest of a name (``tmp_{table}``, ``log_{year}``), unless the
# word is a keyword the code forgot a blank after.
_GLUED_NAME = re.compile(r"(?<![\w$'\"])[A-Za-z_$][\w$]*\Z")
_KEYWORDS_BEFORE_VALUES = frozenset({"SELECT", "WHERE", "AND", "OR", "ON", "SET", "IN", "NOT", "LIKE", "LIMIT",
                                     "OFFSET", "VALUES", "THEN", "ELSE", "WHEN", "HAVING", "BETWEEN", "IS"})
# Tokens after which a value may follow; after anything else (an identifier, ")", the start of the
# statement) a spliced text is a clause fragment.
_VALUE_CONTEXT = re.compile(
    r"(?:[=<>(,+\-*/%|&^~!]|\b(?:SELECT|WHERE|AND|OR|ON|LIMIT|OFFSET|IN|LIKE|BETWEEN|THEN|ELSE|WHEN|SET|"
    r"VALUES|VALUE|NOT|IS|INTERVAL|CASE|HAVING|DISTINCT|AS|REGEXP|RLIKE|DIV|MOD|XOR|ESCAPE|AGAINST|"
    r"ALL|ANY|SOME|EXISTS|RETURN|CALL))\s*\Z",
    re.IGNORECASE,
)
# What can only be a value: a bound slot, a hole, a literal or a parenthesised list.
_VALUE_AHEAD = re.compile(r"\s*(?:#\{|\?|\x00|%s|%\(|'|\(|\d)")
# A comparison right after a slot: the slot is what is compared, a column (values are bound on the right).
_COMPARED_AHEAD = re.compile(
    r"\s*(?:<=>|[<>!]?=|<>|<|>|(?:NOT\s+)?(?:LIKE|IN|BETWEEN|REGEXP|RLIKE)\b|IS\b)", re.IGNORECASE)
# A slot right after the sort-key slot of an ORDER BY item (``ORDER BY {col} {direction}``).
_SORT_DIRECTION_CONTEXT = re.compile(
    rf"\bORDER\s+BY\s+(?:[\w.`]+(?:\s+(?:ASC|DESC))?\s*,\s*)*(?:{IDENTIFIER_HOLE_PREFIX}\d+|\?)\s+\Z", re.IGNORECASE)
_MYBATIS_NAME = re.compile(r"^\s*([^,\s}]+)")


def _mybatis_name(token: str) -> str:
    """``#{user.id, jdbcType=INTEGER}`` → ``user.id``."""
    match = _MYBATIS_NAME.match(token[2:-1])
    return match.group(1) if match else token[2:-1].strip()


def normalise(text: str, holes: Sequence[Hole] = ()) -> tuple[str, tuple[Placeholder, ...]]:
    """Return (text sqlglot can parse, placeholders in order of appearance)."""
    if not holes and not any(c in text for c in "?%:#$"):
        return text, ()  # the common fast path: nothing to rewrite
    out: list[str] = []
    slots: list[Placeholder] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        start, end = match.span()
        out.append(text[pos:start])
        pos = end
        token = match.group(0)
        if kind in ("sq", "dq"):
            # A hole inside a literal: keep the literal valid, report the interpolation.
            def in_literal(m: re.Match[str]) -> str:
                hole = holes[int(m.group(1))]
                slots.append(Placeholder(hole.style, hole.source, safe=hole.safe))
                return "x"

            out.append(_HOLE_IN_TEXT.sub(in_literal, token) if HOLE_MARK in token else token)
        elif kind == "bt":
            # A hole inside a quoted name (`{table}`): a spliced identifier; a backtick in it breaks out.
            def in_name(m: re.Match[str]) -> str:
                hole = holes[int(m.group(1))]
                slots.append(Placeholder(hole.style, hole.source, safe=hole.safe, identifier=True))
                return "x"

            out.append(_HOLE_IN_TEXT.sub(in_name, token) if HOLE_MARK in token else token)
        elif kind in ("bc", "lc"):
            out.append(_HOLE_IN_TEXT.sub("x", token) if HOLE_MARK in token else token)
        elif kind == "pct":
            out.append("%")
        elif kind == "q":
            slots.append(Placeholder(PlaceholderStyle.QMARK))
            out.append("?")
        elif kind == "fmt":
            slots.append(Placeholder(PlaceholderStyle.FORMAT))
            out.append("?")
        elif kind == "pyn":
            slots.append(Placeholder(PlaceholderStyle.PYFORMAT, match.group("pyn_name")))
            out.append("?")
        elif kind == "named":
            slots.append(Placeholder(PlaceholderStyle.NAMED, match.group("named_name")))
            out.append("?")
        elif kind == "mb":
            slots.append(Placeholder(PlaceholderStyle.MYBATIS, _mybatis_name(token)))
            out.append("?")
        else:  # "mr" (MyBatis ${}) or "hole": text spliced in by the host
            if kind == "mr":
                source, style, safe = _mybatis_name(token), PlaceholderStyle.MYBATIS_RAW, False
            else:
                hole = holes[int(match.group("hole_index"))]
                source, style, safe = hole.source, hole.style, hole.safe
            before = "".join(out[-4:])[-40:]
            if kind == "hole" and holes[int(match.group("hole_index"))].literal:
                slots.append(Placeholder(style, source, safe=safe))  # CREATE USER {0!r}@{1!r}
                out.append("?")
                continue
            if _SORT_DIRECTION_CONTEXT.search("".join(out[-6:])[-200:]):
                # ORDER BY ${sort} ${order}: the second slot is ASC/DESC, a keyword from the caller
                slots.append(Placeholder(style, source, safe=safe, identifier=True))
                out.append("ASC")
                continue
            glued = _GLUED_NAME.search(before)  # "tmp_" + name: the hole completes a name
            identifier = bool(_IDENTIFIER_CONTEXT.search(before)) or text.startswith(".", end) or bool(
                glued and glued.group().upper() not in _KEYWORDS_BEFORE_VALUES)
            fragment = not identifier and not _VALUE_CONTEXT.search(before)
            if not identifier and not fragment and _COMPARED_AHEAD.match(text, end):
                identifier = True  # ``WHERE ${column} = #{v}``, ``AND {col} LIKE %s``: a name being compared
            if not identifier and not fragment and _VALUE_AHEAD.match(text, end):
                # Two values cannot stand side by side: ``AND ${condition} #{value}`` splices a column and
                # its operator (MyBatis Generator's criteria, ``"age >"`` built in code). A name compared
                # with the value parses and is checked; the column is unknown, so it is reported as a name.
                slots.append(Placeholder(style, source, safe=safe, identifier=True))
                out.append(f"{IDENTIFIER_HOLE_PREFIX}{len(slots)} =")
                continue
            slots.append(Placeholder(style, source, safe=safe, identifier=identifier, fragment=fragment))
            out.append(f"{IDENTIFIER_HOLE_PREFIX}{len(slots)}" if identifier or fragment else "?")
    out.append(text[pos:])
    return "".join(out), tuple(slots)


# No word boundary in front: a hole glued to a name reads ``log_sqllint_hole_1`` (``log_{n}``).
_IDENTIFIER_STUB = re.compile(rf"{IDENTIFIER_HOLE_PREFIX}(\d+)\b")


def show_holes(message: str, slots: Sequence[Placeholder]) -> str:
    """A rule's message with the synthetic names of spliced identifiers shown as the code writes them
    (``sqllint_hole_1`` → ``{table}`` or ``${table}``)."""
    if IDENTIFIER_HOLE_PREFIX not in message:
        return message

    def shown(match: re.Match[str]) -> str:
        index = int(match.group(1)) - 1
        if not 0 <= index < len(slots) or not slots[index].name:
            return match.group(0)
        slot = slots[index]
        return f"${{{slot.name}}}" if slot.style is PlaceholderStyle.MYBATIS_RAW else f"{{{slot.name}}}"

    return _IDENTIFIER_STUB.sub(shown, message)


def render_raw(text: str, holes: Sequence[Hole]) -> str:
    """The statement as a reader would write it: holes shown as ``{expr}``."""
    if HOLE_MARK not in text:
        return text
    return _HOLE_IN_TEXT.sub(lambda m: "{" + holes[int(m.group(1))].source + "}", text)
