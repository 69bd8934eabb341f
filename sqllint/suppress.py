"""Inline suppressions: ``sqllint: ignore[S001,wide-join]`` in any host language's comment syntax.

``sqllint: ignore`` without a list silences every rule for that statement (or line); ``ignore-file``
silences the whole file. Codes and kebab-case names are both accepted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

ALL = "*"
_DIRECTIVE = re.compile(r"sqllint:\s*(?P<kind>ignore-file|ignore)\b(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)


def parse_suppressions(comment: str) -> tuple[frozenset[str], bool]:
    """Codes named by the directives in ``comment`` and whether one applies to the whole file."""
    codes: set[str] = set()
    whole_file = False
    for match in _DIRECTIVE.finditer(comment):
        listed = match.group("codes")
        names = {c.strip() for c in listed.split(",") if c.strip()} if listed else {ALL}
        if match.group("kind").lower() == "ignore-file":
            whole_file = True
        codes |= {n.upper() if re.fullmatch(r"[A-Za-z]+\d+", n) else n.lower() for n in names}
    return frozenset(codes), whole_file


def sql_suppressions(sql: str) -> tuple[frozenset[str], bool]:
    """Directives inside a SQL statement's comments (``-- …``, ``# …``, ``/* … */``)."""
    if "sqllint:" not in sql:
        return frozenset(), False
    return parse_suppressions(sql)


def is_suppressed(suppressed: Iterable[str], code: str, name: str) -> bool:
    if not suppressed:  # the usual case: nothing suppressed (an empty frozenset or tuple)
        return False
    keys = set(suppressed)
    return bool(keys) and (ALL in keys or code in keys or name in keys)
