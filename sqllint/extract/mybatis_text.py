"""A MyBatis variant's SQL → the text sqlglot parses and its value slots (``placeholders.normalise``).

``${name}`` becomes a hole first, so that text substitution is reported even inside a quoted literal
(``LIKE '%${keyword}%'``, the classic MyBatis injection).

Variants of one statement are made of the same static texts. When every one of them is lexically
self-contained (no quote or comment left open, no ``${}``, no value slot but ``#{}``), a variant is
normalised by replacing its ``#{}`` tokens alone: the general lexer then runs once per statement
instead of once per variant, which matters because a statement has several variants.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import lru_cache

from sqllint.extract.dynsql import Choose, Foreach, Fragment, If, Include, Node, Text, Trim
from sqllint.extract.dynsql_includes import qualify
from sqllint.extract.placeholders import Hole, hole_marker, normalise
from sqllint.records import Placeholder, PlaceholderStyle

_INTERPOLATION = re.compile(r"\$\{([^}]*)\}")
_BOUND = re.compile(r"#\{([^}]*)\}")  # the same token placeholders.normalise reads as a MyBatis slot
# MyBatis-Plus's wrapper column list (``${ew.sqlSelect}``): column names the wrapper's select(…) was
# given in code, rendered by the framework; not a value from the request.
_WRAPPER_SELECT = re.compile(r"^(?:ew|wrapper|queryWrapper)\.(?:sqlSelect|getSqlSelect)$")
_LEXICAL = re.compile(r"['\"`/#$\-%?:\x00]")  # where placeholders.normalise's lexer can start a token


def _interpolations_as_holes(raw: str, trusted: frozenset[str] = frozenset()) -> tuple[str, list[Hole]]:
    holes: list[Hole] = []

    def mark(match: re.Match[str]) -> str:
        name = match.group(1).split(",")[0].strip()
        safe = name in trusted or _WRAPPER_SELECT.match(name) is not None
        holes.append(Hole(name, PlaceholderStyle.MYBATIS_RAW, safe=safe))
        return hole_marker(len(holes) - 1)

    return (_INTERPOLATION.sub(mark, raw), holes) if "${" in raw else (raw, holes)


def _static_texts(body: tuple[Node, ...]) -> Iterator[str]:
    for node in body:
        if isinstance(node, Text):
            yield node.text
        elif isinstance(node, If):
            yield from _static_texts(node.body)
        elif isinstance(node, Choose):
            for _test, when_body in node.whens:
                yield from _static_texts(when_body)
            yield from _static_texts(node.otherwise)
        elif isinstance(node, Trim):
            yield from (node.prefix, node.suffix, *node.prefix_overrides, *node.suffix_overrides)
            yield from _static_texts(node.body)
        elif isinstance(node, Foreach):
            yield from (node.open, node.close, node.separator)
            yield from _static_texts(node.body)


def generated_conditions(body: tuple[Node, ...]) -> frozenset[str]:
    """``${criterion.condition}`` of MyBatis Generator's ``Example_Where_Clause``: the loop over
    ``criteria.criteria`` splices conditions (``"id ="``, ``"name like"``) that only the generated
    ``Criteria`` methods set, from constants; not caller input, so not an injection finding. Likewise
    the generated column list a ``selective`` loop splices (``${column.value}``)."""
    found: set[str] = set()
    for node in body:
        if isinstance(node, Foreach):
            if node.item and node.collection.rsplit(".", 1)[-1] == "criteria":
                found.add(f"{node.item}.condition")
            if node.item and node.collection.rsplit(".", 1)[-1] == "selective":
                # itfsw's SelectSelectivePlugin: columns picked from the generated Column enum
                found.update(f"{node.item}.{name}"
                             for name in ("value", "escapedColumnName", "aliasedEscapedColumnName"))
            found |= generated_conditions(node.body)
        elif isinstance(node, (If, Trim)):
            found |= generated_conditions(node.body)
        elif isinstance(node, Choose):
            for _test, when_body in node.whens:
                found |= generated_conditions(when_body)
            found |= generated_conditions(node.otherwise)
    return frozenset(found)


@lru_cache(maxsize=4096)  # a pure function of the text; shared fragments repeat in every statement
def _self_contained(text: str) -> bool:
    """Only ``#{}`` slots, and the lexer is back in plain SQL at the end (a ``?`` after it is a slot)."""
    if "${" in text:
        return False
    if not _LEXICAL.search(_BOUND.sub("", text)):
        return True  # nothing the lexer treats specially besides #{}: no need to run it
    bound = text.count("#{")
    normalised, slots = normalise(text + "\n?")
    return (len(slots) == bound + 1 and slots[-1].style is PlaceholderStyle.QMARK
            and all(slot.style is PlaceholderStyle.MYBATIS for slot in slots[:-1])
            and normalised == _BOUND.sub("?", text) + "\n?")


class VariantText:
    """Normalises the variants of one (include-resolved) statement body."""

    def __init__(self, body: tuple[Node, ...]) -> None:
        self.simple = all(_self_contained(text) for text in _static_texts(body) if text)
        self.slots: dict[str, Placeholder] = {}  # one frozen Placeholder per name, shared by variants
        self.trusted = generated_conditions(body) if not self.simple else frozenset()

    def __call__(self, raw: str) -> tuple[str, tuple[Placeholder, ...]]:
        if not self.simple:
            marked, holes = _interpolations_as_holes(raw, self.trusted)
            return normalise(marked, holes)
        names: list[str] = []

        def slot(match: re.Match[str]) -> str:
            names.append(match.group(1))
            return "?"

        text = _BOUND.sub(slot, raw)
        return text, tuple(self._slot(name) for name in names)

    def _slot(self, token: str) -> Placeholder:
        found = self.slots.get(token)
        if found is None:
            words = token.split(",")[0].split()
            found = self.slots[token] = Placeholder(PlaceholderStyle.MYBATIS, words[0] if words else token.strip())
        return found


class LineMap:
    """Where each line of a statement's variants was written in the mapper file.

    A variant's lines are the element texts MyBatis joined, one line of the file each unless an
    element's text sits on the line of another (``WHERE a = 1 <if …>AND b = 2</if>``). Each variant
    line is looked up among the lines of the statement's own texts (and of ``<sql>`` fragments of the
    same file), preferring the first occurrence after the previous line's, as the variant keeps the
    document order; lines that join several pieces are not found and map to 0.
    """

    def __init__(self, texts: Iterator[Text]) -> None:
        self.lines: dict[str, list[tuple[int, int]]] = {}
        for node in texts:
            if node.line <= 0:
                continue
            for offset, written in enumerate(node.text.split("\n")):
                words = " ".join(written.split())
                if not words:
                    continue
                start = node.column if offset == 0 else 1  # 0: the first line's column is unknown
                column = start + len(written) - len(written.lstrip()) if start else 0
                # The column holds only when tidy() left the line as written (no runs of blanks inside).
                self.lines.setdefault(words, []).append(
                    (node.line + offset, column if written.strip() == words else 0))

    def __call__(self, raw: str) -> tuple[tuple[int, int], ...]:
        if not self.lines:
            return ()
        out: list[tuple[int, int]] = []
        previous = 0
        for line in raw.split("\n"):
            found = self.lines.get(line)
            if not found:
                out.append((0, 0))
                continue
            line_col = next((lc for lc in found if lc[0] >= previous), found[0])
            previous = line_col[0]
            out.append(line_col)
        return tuple(out)


def own_texts(body: tuple[Node, ...], fragments: Mapping[str, Fragment], namespace: str, path: str,
              depth: int = 0) -> Iterator[Text]:
    """The statement's texts in document order, with those of ``<sql>`` fragments of the same file it
    includes (fragments of other files are written on other files' lines)."""
    for node in body:
        if isinstance(node, Text):
            yield node
        elif isinstance(node, If):
            yield from own_texts(node.body, fragments, namespace, path, depth)
        elif isinstance(node, Choose):
            for _test, when_body in node.whens:
                yield from own_texts(when_body, fragments, namespace, path, depth)
            yield from own_texts(node.otherwise, fragments, namespace, path, depth)
        elif isinstance(node, (Trim, Foreach)):
            yield from own_texts(node.body, fragments, namespace, path, depth)
        elif isinstance(node, Include) and depth < 8:
            fragment = fragments.get(qualify(node.refid.strip(), namespace))
            if fragment is not None and fragment.path == path:
                yield from own_texts(fragment.body, fragments, namespace, path, depth + 1)
