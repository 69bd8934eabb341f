"""Match the values a DB call binds with its statement's slots (any host language).

A walker evaluates the call's parameters like any other expression and hands them over as
``CallArguments``: a list value for ``?``/``%s`` slots in order, or values by name for
``%(name)s``/``:name`` slots. Each variant of the statement takes the alternative of the parameters
built under the same optional parts, so a filter's slot gets the value appended beside its condition
(``where.append("name LIKE %s"); params.append(f"%{kw}%")``). What a rule learns is a ``BoundValue``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from sqllint.extract.placeholders import Hole
from sqllint.extract.pyvalues import Alt, Segment, Value
from sqllint.records import BoundValue, Placeholder, PlaceholderStyle

_POSITIONAL_STYLES = frozenset({PlaceholderStyle.FORMAT, PlaceholderStyle.QMARK})
_NAMED_STYLES = frozenset({PlaceholderStyle.PYFORMAT, PlaceholderStyle.NAMED})


@dataclass(frozen=True)
class CallArguments:
    """The parameters a DB call passes, evaluated at the call."""

    positional: Value | None = None  # a list value: one item per ``%s``/``?`` slot
    named: dict[str, Value] = field(default_factory=dict)
    # Whether an expression (a hole's source) reads something the enclosing loop changes; None when the
    # call is not in a loop or the walker cannot tell (every value then counts as varying).
    loop_reads: Callable[[str], bool] | None = None


def bind_slots(placeholders: tuple[Placeholder, ...], arguments: CallArguments | None, alt: Alt,
               parts: Sequence[str]) -> tuple[Placeholder, ...]:
    """``placeholders`` of the statement text ``alt`` with what the call binds to each, where known.

    Positional values are matched only when there are exactly as many as ``%s``/``?`` slots: a list of
    unknown length (``ids`` spread into an IN-list) would shift every slot after it."""
    if arguments is None or not placeholders:
        return placeholders
    result = list(placeholders)
    positional = [i for i, p in enumerate(placeholders) if p.style in _POSITIONAL_STYLES]
    if positional and arguments.positional is not None:
        items = _consistent(arguments.positional, alt, parts, lambda a: a.items)
        if isinstance(items, tuple) and len(items) == len(positional):
            for index, segments in zip(positional, items):
                result[index] = replace(result[index], bound=_bound(segments, arguments.loop_reads))
    for index, slot in enumerate(placeholders):
        if slot.style in _NAMED_STYLES and slot.name in arguments.named:
            segments = _consistent(arguments.named[slot.name], alt, parts, lambda a: a.segments)
            if isinstance(segments, tuple):
                result[index] = replace(slot, bound=_bound(segments, arguments.loop_reads))
    return tuple(result)


def _consistent(value: Value, alt: Alt, parts: Sequence[str], pick: Callable[[Alt], object]) -> object:
    """What ``value`` holds under the optional parts ``alt`` of the statement has on; None if that is
    not one thing (the value depends on parts the statement does not)."""
    shared = set(value.parts) & set(parts)
    found = {pick(a) for a in value.alts if (a.on & shared) == (alt.on & shared)}
    return found.pop() if len(found) == 1 else None


def _bound(segments: tuple[Segment, ...], loop_reads: Callable[[str], bool] | None) -> BoundValue:
    shown = "".join(s if isinstance(s, str) else "{" + s.source + "}" for s in segments)
    prefix = segments[0] if segments and isinstance(segments[0], str) else ""
    varies = loop_reads is None or any(loop_reads(s.source) for s in segments if isinstance(s, Hole))
    return BoundValue(shown, prefix, varies)
