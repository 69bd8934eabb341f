"""From an extracted SQL value to Query records: one per distinct variant, split into statements.

Language-neutral: the Python, Java and Go extractors all describe where a value reaches a DB call with a
``Site`` and hand the value here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqllint.extract.bound import CallArguments, bind_slots
from sqllint.extract.placeholders import Hole, hole_marker, normalise, render_raw
from sqllint.extract.pyvalues import Alt, Value
from sqllint.extract.splitter import split_statements
from sqllint.records import Query, Variant


@dataclass(frozen=True)
class Site:
    """Where a value reaches a DB call: everything a Query needs besides the SQL."""

    path: str
    line: int
    column: int
    end_line: int
    language: str
    scope: str | None
    loop_depth: int
    loop_line: int | None
    call: str
    sequence: int
    suppressed: frozenset[str] = frozenset()
    branch: tuple[tuple[int, int, int], ...] = ()  # see Query.branch
    arguments: CallArguments | None = None  # the values the call binds to the statement's slots
    transaction: int = 0  # see Query.transaction
    origin: tuple[tuple[str, int, int], ...] = ()  # see Query.origin
    resolved_from: str | None = None  # see Query.resolved_from


def queries_from_value(value: Value, site: Site) -> Iterator[Query]:
    """One Query per distinct alternative ("every optional part absent" first), split on ``;``."""
    seen: set[str] = set()
    for alt in sorted(value.alts, key=lambda a: len(a.on)):
        text, holes = render_alt(alt)
        if text in seen:
            continue
        seen.add(text)
        variant = Variant(value.parts, alt.on) if value.parts else None
        statements = split_statements(text) if ";" in text else None
        texts = [s.text for s in statements] if statements and len(statements) > 1 else [text]
        for statement_text in texts:
            normalised, placeholders = normalise(statement_text, holes)
            if len(texts) == 1:  # the values bind one statement's slots, not a script's
                placeholders = bind_slots(placeholders, site.arguments, alt, value.parts)
            yield Query(
                path=site.path, line=site.line, column=site.column, end_line=site.end_line,
                language=site.language, raw=render_raw(statement_text, holes).strip(),
                text=normalised.strip(), placeholders=placeholders, scope=site.scope,
                loop_depth=site.loop_depth, loop_line=site.loop_line, variant=variant, call=site.call,
                sequence=site.sequence, suppressed=site.suppressed, branch=site.branch,
                transaction=site.transaction, origin=site.origin, resolved_from=site.resolved_from,
            )


def render_alt(alt: Alt) -> tuple[str, list[Hole]]:
    """The alternative's text with a marker per hole, and the holes in order."""
    holes: list[Hole] = []
    out: list[str] = []
    for segment in alt.segments:
        if isinstance(segment, Hole):
            out.append(hole_marker(len(holes)))
            holes.append(segment)
        else:
            out.append(segment)
    return "".join(out), holes
