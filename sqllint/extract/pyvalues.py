"""Abstract string values for Python extraction.

A value is the set of texts a variable may hold at one point of a function, each text (an *alternative*)
tagged with the optional parts (``if kw:`` branches) that were switched on to produce it. Text is a
sequence of segments: literal strings and ``Hole``s for values spliced in that the extractor cannot see.

Combining two values keeps only *consistent* pairs of alternatives: when both depend on ``kw``, the
"kw present" text of one is never glued to the "kw absent" text of the other.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import product

from sqllint.extract.placeholders import Hole
from sqllint.records import PlaceholderStyle

Segment = str | Hole


def _merge_segments(segments: Iterable[Segment]) -> tuple[Segment, ...]:
    merged: list[Segment] = []
    for seg in segments:
        if isinstance(seg, str):
            if not seg:
                continue
            if merged and isinstance(merged[-1], str):
                merged[-1] += seg
                continue
        merged.append(seg)
    return tuple(merged)


@dataclass(frozen=True)
class Alt:
    """One possible text (or, for lists, one possible list of texts)."""

    segments: tuple[Segment, ...] = ()
    on: frozenset[str] = frozenset()
    items: tuple[tuple[Segment, ...], ...] | None = None  # set for list values


@dataclass(frozen=True)
class Value:
    alts: tuple[Alt, ...]
    parts: tuple[str, ...] = ()  # optional parts this value depends on, in source order
    is_list: bool = False
    line: int = 0  # where the first literal came from (module constants are reported there)
    capped: bool = False  # alternatives were pruned to stay under the variant cap
    origin: str | None = field(default=None, compare=False)  # name of the constant it came from

    @staticmethod
    def text(text: str, line: int = 0) -> Value:
        return Value((Alt(_merge_segments([text])),), line=line)

    @staticmethod
    def hole(hole: Hole) -> Value:
        return Value((Alt((hole,)),))

    @staticmethod
    def list_of(items: Sequence[Value], line: int = 0) -> Value:
        """A list literal: the product of its elements' alternatives."""
        value = Value((Alt(items=()),), is_list=True, line=line)
        for item in items:
            value = value.append(item)
        return value

    def append(self, item: Value) -> Value:
        return _combine(self, item, lambda a, b: Alt(on=a.on | b.on, items=(a.items or ()) + (b.segments,)), True)

    def extend(self, other: Value) -> Value:
        return _combine(
            self, other, lambda a, b: Alt(on=a.on | b.on, items=(a.items or ()) + (b.items or ())), True
        )

    def __add__(self, other: Value) -> Value:
        return _combine(
            self, other, lambda a, b: Alt(_merge_segments(a.segments + b.segments), a.on | b.on), False
        )

    def join(self, separator: Value) -> Value:
        """``separator.join(self)`` for a list value."""
        alts = []
        for sep_alt in separator.alts:
            for alt in self.alts:
                pieces: list[Segment] = []
                for index, item in enumerate(alt.items or ()):
                    if index:
                        pieces.extend(sep_alt.segments)
                    pieces.extend(item)
                alts.append(Alt(_merge_segments(pieces), alt.on | sep_alt.on))
        return Value(tuple(alts), _union_parts(self.parts, separator.parts), line=self.line or separator.line,
                     capped=self.capped or separator.capped)  # a capped list joins into a capped text

    def elements(self) -> Value | None:
        """What a loop variable over this list holds: any item of any alternative (None when empty)."""
        alts = tuple(dict.fromkeys(Alt(item, alt.on) for alt in self.alts for item in (alt.items or ())))
        return Value(alts, self.parts, line=self.line, capped=self.capped) if alts else None

    def first_items(self) -> Value | None:
        """The first item of each alternative of a list (``sql`` of ``(sql, params)``); None if any is empty."""
        if any(not alt.items for alt in self.alts):
            return None
        alts = tuple(dict.fromkeys(Alt(alt.items[0], alt.on) for alt in self.alts))  # type: ignore[index]
        return Value(alts, self.parts, line=self.line, capped=self.capped)

    def texts(self) -> list[str]:
        """Literal text of each alternative (holes omitted): for classification only."""
        return ["".join(s for s in alt.segments if isinstance(s, str)) for alt in self.alts]


def _union_parts(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return a + tuple(p for p in b if p not in a)


# Alternatives a value keeps through concatenation: each ``+`` multiplies its operands' alternatives, and
# code joining many conditional pieces (sqlglot's own generator.py) reached 393,216 of them: 9 s and
# 580 MB for one file. Kept are the same ones ``cap_alternatives`` keeps (all off, all on, one at a time),
# and the value says it was capped (E022 at a sink). Above any sensible ``max-variants``.
COMBINE_CAP = 128


def _combine(left: Value, right: Value, make: Callable[[Alt, Alt], Alt], is_list: bool) -> Value:
    shared = set(left.parts) & set(right.parts)
    alts = tuple(
        make(a, b) for a, b in product(left.alts, right.alts) if (a.on & shared) == (b.on & shared)
    )
    value = Value(
        alts,
        _union_parts(left.parts, right.parts),
        is_list=is_list,
        line=left.line or right.line,
        capped=left.capped or right.capped,
    )
    return cap_alternatives(value, COMBINE_CAP) if len(alts) > COMBINE_CAP else value


def branch(when_true: Value | None, when_false: Value | None, label: str, cap: int) -> Value | None:
    """Merge the values a name holds after ``if <label>: ... else: ...``."""
    if when_true is None or when_false is None:
        return when_true or when_false
    if when_true == when_false:
        return when_true
    if when_true.is_list != when_false.is_list:
        return None
    parts = _union_parts(_union_parts(when_true.parts, (label,)), when_false.parts)
    alts = [Alt(a.segments, a.on | {label}, a.items) for a in when_true.alts]
    alts += [Alt(a.segments, a.on - {label}, a.items) for a in when_false.alts]
    merged = Value(
        tuple(dict.fromkeys(alts)),
        parts,
        is_list=when_true.is_list,
        line=when_true.line or when_false.line,
        capped=when_true.capped or when_false.capped,
    )
    return cap_alternatives(merged, cap)


def cap_alternatives(value: Value, cap: int) -> Value:
    """Keep at most ``cap`` alternatives, preferring all-off, all-on, then one part on at a time."""
    if len(value.alts) <= cap:
        return value
    every = frozenset(value.parts)

    def priority(alt: Alt) -> tuple[int, int]:
        if not alt.on:
            return (0, 0)
        if alt.on == every:
            return (1, 0)
        return (2, len(alt.on))

    kept = sorted(value.alts, key=priority)[:cap]
    return Value(tuple(a for a in value.alts if a in kept), value.parts, value.is_list, value.line, True)


# --- formatting: `%` and str.format ------------------------------------------------------------

Piece = Segment | Value
_PERCENT = re.compile(r"%(?:\((?P<name>[^)]*)\))?[-#0 +]*\d*(?:\.\d+)?(?P<conv>[sdifrxXeEgGc%])")
_NUMERIC_CONVERSIONS = frozenset("difxXeEgGbon%")


def concat_pieces(pieces: Iterable[Piece], on: frozenset[str] = frozenset(), parts: tuple[str, ...] = ()) -> Value:
    """Fold literal segments, holes and sub-values into one value (alternatives combined consistently)."""
    value = Value((Alt((), on),), parts)
    for piece in pieces:
        value = value + (piece if isinstance(piece, Value) else Value((Alt(_merge_segments((piece,))),)))
    return value


def _format(template: Value, expand: Callable[[tuple[Segment, ...]], list[Piece]]) -> Value:
    results = [concat_pieces(expand(alt.segments), alt.on, template.parts) for alt in template.alts]
    parts: tuple[str, ...] = ()
    for result in results:
        parts = _union_parts(parts, result.parts)
    alts = tuple(dict.fromkeys(a for r in results for a in r.alts))
    return Value(alts, parts, line=template.line, capped=template.capped or any(r.capped for r in results))


def _numeric(arg: Value | Hole, conversion: str) -> Value | Hole:
    if isinstance(arg, Hole) and conversion and conversion[-1] in _NUMERIC_CONVERSIONS:
        return Hole(arg.source, arg.style, safe=True)
    return arg


def _repr(arg: Value | Hole, source: str) -> Value | Hole:
    """``{x!r}`` / ``%r``: Python's repr, a quoted literal: a value wherever it stands. A known text is
    quoted; anything else is a hole marked as a literal (named after the one hole it is, or ``source``)."""
    if isinstance(arg, Hole):
        return Hole(arg.source, arg.style, safe=arg.safe, literal=True)
    alts = []
    for alt in arg.alts:
        if all(isinstance(s, str) for s in alt.segments):
            segments: tuple[Segment, ...] = (repr("".join(alt.segments)),)  # type: ignore[arg-type]
        else:
            only = alt.segments[0] if len(alt.segments) == 1 else None
            name = only.source if isinstance(only, Hole) else source
            segments = (Hole(name, PlaceholderStyle.FSTRING_HOLE, safe=isinstance(only, Hole) and only.safe,
                             literal=True),)
        alts.append(Alt(segments, alt.on))
    return Value(tuple(dict.fromkeys(alts)), arg.parts, line=arg.line, capped=arg.capped)


def percent_format(template: Value, positional: Sequence[Value | Hole], named: dict[str, Value | Hole]) -> Value:
    """``template % args``: each directive takes the next argument (or the named one)."""

    def expand(segments: tuple[Segment, ...]) -> list[Piece]:
        out: list[Piece] = []
        next_arg = 0
        for seg in segments:
            if not isinstance(seg, str):
                out.append(seg)
                continue
            pos = 0
            for match in _PERCENT.finditer(seg):
                out.append(seg[pos : match.start()])
                pos = match.end()
                conversion = match.group("conv")
                if conversion == "%":
                    out.append("%")
                    continue
                name = match.group("name")
                if name is not None:
                    arg: Value | Hole = named.get(name, Hole(name))
                elif next_arg < len(positional):
                    arg = positional[next_arg]
                    next_arg += 1
                else:
                    arg = Hole("?")
                out.append(_repr(arg, name or "?") if conversion == "r" else _numeric(arg, conversion))
            out.append(seg[pos:])
        return out

    return _format(template, expand)


def brace_format(template: Value, positional: Sequence[Value | Hole], named: dict[str, Value | Hole]) -> Value:
    """``template.format(*args, **kwargs)``."""
    formatter = string.Formatter()

    def expand(segments: tuple[Segment, ...]) -> list[Piece]:
        out: list[Piece] = []
        auto = 0
        for seg in segments:
            if not isinstance(seg, str):
                out.append(seg)
                continue
            try:
                parsed = list(formatter.parse(seg))
            except ValueError:  # unbalanced braces: not a format string after all
                out.append(seg)
                continue
            for literal, field_name, spec, conversion in parsed:
                out.append(literal)
                if field_name is None:
                    continue
                head = re.split(r"[.\[]", field_name, maxsplit=1)[0]
                arg: Value | Hole
                if head == "":
                    arg = positional[auto] if auto < len(positional) else Hole("{}")
                    auto += 1
                elif head.isdigit():
                    index = int(head)
                    arg = positional[index] if index < len(positional) else Hole(field_name)
                else:
                    arg = named.get(head, Hole(field_name))
                if head != field_name and isinstance(arg, Value):
                    arg = Hole(field_name)  # an attribute or item of the argument: opaque
                out.append(_repr(arg, field_name) if conversion == "r" else _numeric(arg, spec or ""))
        return out

    return _format(template, expand)
