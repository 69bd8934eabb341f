"""MyBatis dynamic SQL: a small picklable tree (``<if>``, ``<choose>``, ``<trim>``, ``<foreach>``, …) and
its expansion into the variants a reviewer should see.

The tree is built by ``mybatis.py`` from mapper XML or from a ``<script>`` in a Java annotation; it is
language-neutral so that the project index can hand it to worker processes and to the Java extractor
(a service method's ``orderMapper.listOrders(q)`` runs the same variants as the mapper statement).

Every ``<if>`` and every ``<when>`` tests an *optional part*: the parameter its test asks about
(``keyword != null and keyword != ''`` → ``keyword``, see ``ognl.py``); tests of one parameter switch
together, as they do at run time (``status == null`` is true exactly when ``status != null`` is
false). The variants are: every part absent (each presence test false, ``<choose>`` → ``<otherwise>``),
every part present (``<choose>`` → its first ``<when>``), then each part present alone (with the parts
enclosing it, without which it cannot be reached), up to the cap.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqllint.extract.ognl import (Formula, constant_test, evaluate, formula_atoms, mixed, rename, short_names,
                                  test_formula, test_label)
from sqllint.records import Variant

FOREACH_REPEAT = 3  # an IN-list / VALUES list of "several" items; the fingerprint collapses the length


@dataclass(frozen=True)
class Text:
    text: str
    # Where the text starts in its mapper file (0: unknown, e.g. a <script> in a Java annotation). Not
    # part of equality: two texts that say the same are the same SQL.
    line: int = field(default=0, compare=False)
    column: int = field(default=0, compare=False)


@dataclass(frozen=True)
class If:
    test: str
    body: tuple[Node, ...]


@dataclass(frozen=True)
class Choose:
    whens: tuple[tuple[str, tuple[Node, ...]], ...]
    otherwise: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Trim:
    """``<trim>``; ``<where>`` and ``<set>`` are trims with MyBatis's fixed overrides."""

    body: tuple[Node, ...]
    prefix: str = ""
    suffix: str = ""
    prefix_overrides: tuple[str, ...] = ()
    suffix_overrides: tuple[str, ...] = ()


@dataclass(frozen=True)
class Foreach:
    body: tuple[Node, ...]
    open: str = ""
    close: str = ""
    separator: str = ""
    collection: str = ""  # the parameter iterated over, to name each item's placeholders
    item: str = ""


@dataclass(frozen=True)
class Include:
    refid: str
    line: int
    properties: tuple[tuple[str, str], ...] = ()


Node = Text | If | Choose | Trim | Foreach | Include

# MyBatis's WhereSqlNode / SetSqlNode overrides (uppercase comparison, as MyBatis does).
WHERE_OVERRIDES = tuple(f"{word}{space}" for word in ("AND", "OR") for space in (" ", "\n", "\r", "\t"))
SET_OVERRIDES = (",",)


@dataclass(frozen=True)
class Fragment:
    """A ``<sql id>`` fragment: its body and the namespace its own unqualified refids belong to."""

    namespace: str
    body: tuple[Node, ...]
    path: str
    line: int


class IncludeError(Exception):
    """An ``<include>`` that names no known fragment, or includes itself."""

    def __init__(self, message: str, line: int, path: str | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.path = path  # the file holding the <include>; None: the statement's own file


# --- naming optional parts ---------------------------------------------------------------------------


@dataclass
class _Parts:
    """Optional parts in source order, how each test reads them, and the parts enclosing each part.

    A part is the parameter a test asks about (``ognl.test_label``): ``<if test="status != null">`` and
    ``<if test="status == null">`` are one part, ``status``, true in opposite variants — as at run time.
    """

    names: list[str] = field(default_factory=list)
    ancestors: dict[str, set[str]] = field(default_factory=dict)
    by_test: dict[str, tuple[str, bool]] = field(default_factory=dict)  # test → (part, true when present)

    fixed: dict[str, bool] = field(default_factory=dict)  # tests of literals only: no part
    # Tests over several parameters, when some test of the statement wants one present and another
    # absent (``a != null and b == null`` beside ``a == null and b != null``): evaluated per variant,
    # so mutually exclusive branches are never all switched on together.
    formulas: dict[str, Formula] = field(default_factory=dict)
    use_formulas: bool = False
    per_item: set[str] = field(default_factory=set)  # parts that test a <foreach> item, not a parameter

    def add(self, test: str, enclosing: tuple[str, ...]) -> tuple[str, bool] | None:
        if test in self.fixed:
            return None
        constant = constant_test(test)
        if constant is not None:
            self.fixed[test] = constant
            return None
        formula = self.formulas.get(test) or (test_formula(test) if self.use_formulas else None)
        if formula is not None:
            self.formulas[test] = formula
            for name, _ in formula_atoms(formula):
                if name not in self.ancestors:
                    self.names.append(name)
                    self.ancestors[name] = set()
                self.ancestors[name].update(a for a in enclosing if a != name)
            return None
        found = self.by_test.get(test)
        if found is None:
            found = self.by_test[test] = test_label(test)
        name = found[0]
        if name not in self.ancestors:
            self.names.append(name)
            self.ancestors[name] = set()
        self.ancestors[name].update(a for a in enclosing if a != name)
        return found

    def per_item_choice(self, node: Choose) -> bool:
        """Every arm tests a property of a loop item (MyBatis Generator's ``criterion.noValue`` …
        ``criterion.listValue``): each item is one of the kinds, so some arm is always taken."""
        return all(test in self.by_test and self.by_test[test][0] in self.per_item for test, _body in node.whens)

    def is_true(self, test: str, on: frozenset[str]) -> bool:
        if test in self.fixed:
            return self.fixed[test]
        if test in self.formulas:
            return evaluate(self.formulas[test], on)
        name, when_present = self.by_test[test]
        return (name in on) == when_present


def collect_parts(body: tuple[Node, ...]) -> _Parts:
    parts = _Parts()

    def reach(found: tuple[str, bool] | None, enclosing: tuple[str, ...]) -> tuple[str, ...]:
        # Reaching the body needs the part present only if the test is true when it is.
        return enclosing + (found[0],) if found is not None and found[1] else enclosing

    def add(test: str, enclosing: tuple[str, ...], items: frozenset[str]) -> tuple[str, bool] | None:
        found = parts.add(test, enclosing)
        if items:
            formula = parts.formulas.get(test)
            names = [n for n, _ in formula_atoms(formula)] if formula else [found[0]] if found else []
            parts.per_item.update(n for n in names if all(c.split(".")[0] in items for c in n.split("/")))
        return found

    def walk(nodes: tuple[Node, ...], enclosing: tuple[str, ...], items: frozenset[str]) -> None:
        for node in nodes:
            if isinstance(node, If):
                walk(node.body, reach(add(node.test, enclosing, items), enclosing), items)
            elif isinstance(node, Choose):
                for test, when_body in node.whens:
                    walk(when_body, reach(add(test, enclosing, items), enclosing), items)
                walk(node.otherwise, enclosing, items)
            elif isinstance(node, Foreach):
                walk(node.body, enclosing, items | {node.item} if node.item else items)
            elif isinstance(node, Trim):
                walk(node.body, enclosing, items)

    parts.use_formulas = any(mixed(f) for f in filter(None, map(test_formula, _tests(body))))
    walk(body, (), frozenset())
    display = short_names(parts.names)
    if any(full != shown for full, shown in display.items()):
        parts.per_item = {display[n] for n in parts.per_item}
        parts.names = [display[n] for n in parts.names]
        parts.ancestors = {display[n]: {display[a] for a in above} for n, above in parts.ancestors.items()}
        parts.by_test = {test: (display[n], present) for test, (n, present) in parts.by_test.items()}
        parts.formulas = {test: rename(f, display) for test, f in parts.formulas.items()}
    return parts


def _tests(body: tuple[Node, ...]) -> Iterator[str]:
    for node in body:
        if isinstance(node, If):
            yield node.test
            yield from _tests(node.body)
        elif isinstance(node, Choose):
            for test, when_body in node.whens:
                yield test
                yield from _tests(when_body)
            yield from _tests(node.otherwise)
        elif isinstance(node, (Trim, Foreach)):
            yield from _tests(node.body)


def render(body: tuple[Node, ...], on: frozenset[str], parts: _Parts) -> str:
    """The SQL MyBatis would build when exactly the parts in ``on`` are present.

    Pieces are joined with one space, as MyBatis's ``DynamicContext`` joins its SQL nodes.
    """
    pieces: list[str] = []
    for node in body:
        if isinstance(node, Text):
            pieces.append(node.text)
        elif isinstance(node, If):
            if parts.is_true(node.test, on):
                pieces.append(render(node.body, on, parts))
        elif isinstance(node, Choose):
            default = node.whens[0][1] if not node.otherwise and parts.per_item_choice(node) else node.otherwise
            chosen = next((b for t, b in node.whens if parts.is_true(t, on)), default)
            pieces.append(render(chosen, on, parts))
        elif isinstance(node, Trim):
            trimmed = _trim(render(node.body, on, parts), node)
            if not trimmed and _required(node):
                raise ImpossibleVariant(node.prefix)
            pieces.append(trimmed)
        elif isinstance(node, Foreach):
            pieces.append(_repeat(render(node.body, on, parts).strip(), node))
    return " ".join(p for p in pieces if p.strip())


class ImpossibleVariant(Exception):
    """The variant leaves a ``<set>`` or an INSERT's ``VALUES`` ``<trim>`` empty: MyBatis would send
    ``UPDATE t WHERE …``, which fails at once; callers of ``updateByPrimaryKeySelective`` and the like
    always give some field, so it is not a variant worth checking."""


def _required(node: Trim) -> bool:
    # Not a bare "(": <trim prefix="(" prefixOverrides="OR"> also wraps optional OR-groups in a WHERE,
    # where "every filter absent" is the variant that matters most. An INSERT's column-list trim
    # always comes with a VALUES one.
    prefix = node.prefix.strip().upper()
    return prefix == "SET" or prefix.startswith("VALUES")


def _repeat(item: str, node: Foreach) -> str:
    """``FOREACH_REPEAT`` items; ``#{item.x}`` becomes ``#{collection[i].x}`` so each bound slot has a name
    of its own (``${item}`` text substitutions keep theirs: they are reported by name)."""
    if not item:
        return ""
    items = [item] * FOREACH_REPEAT
    if node.item and node.item in item:
        pattern = re.compile(r"(#\{\s*)" + re.escape(node.item) + r"(?=\s*[.,}\[])")
        collection = node.collection or node.item
        items = [pattern.sub(lambda m, i=i: f"{m.group(1)}{collection}[{i}]", item) for i in range(FOREACH_REPEAT)]
    # MyBatis's DynamicContext joins the pieces it is given with a space, separators included: with no
    # separator the items still stay apart (``WHEN ? THEN 2 WHEN ? THEN 2``, not ``THEN 2WHEN``), and a
    # word separator keeps its spaces (``separator="or"`` reads ``a) or (b``, not ``a)or(b``).
    separator = node.separator.strip()
    joiner = " " if not separator else f" {separator} " if any(c.isalnum() for c in separator) else separator
    return _glued(_glued(node.open, joiner.join(items)), node.close)


def _glued(left: str, right: str) -> str:
    """``left + right``, with the space MyBatis's join puts between two words (``open="case dept_id"``
    before ``when …`` must not read ``dept_idwhen``)."""
    if not left or not right or left[-1].isspace() or right[0].isspace() or left[-1] in "(,." or right[0] in "),.":
        return left + right
    return f"{left} {right}"


def _trim(text: str, node: Trim) -> str:
    """MyBatis's ``TrimSqlNode``: overrides compared case-insensitively on the trimmed text, first match wins."""
    body = text.strip()
    if not body:
        return ""
    upper = body.upper()
    for override in node.prefix_overrides:
        if upper.startswith(override.upper()):
            body = body[len(override):]
            break
    upper = body.upper()
    for override in node.suffix_overrides:
        if upper.endswith(override.upper()):
            body = body[: len(body) - len(override)]
            break
    return " ".join(p for p in (node.prefix, body.strip(), node.suffix) if p)


@dataclass(frozen=True)
class Expansion:
    variants: list[tuple[Variant | None, str]]  # (variant, rendered SQL), all-off first; texts distinct
    capped: bool  # more distinct variants existed than the cap allowed
    parts: tuple[str, ...]


def expand(body: tuple[Node, ...], cap: int) -> Expansion:
    """Every part absent, every part present, then each part present alone (with the parts enclosing
    it, without which it cannot be reached); at most ``cap`` distinct texts."""
    parts = collect_parts(body)
    names = tuple(parts.names)
    if not names:
        try:
            return Expansion([(None, tidy(render(body, frozenset(), parts)))], False, ())
        except ImpossibleVariant:
            return Expansion([], False, ())  # a <set> with nothing in it
    hidden = frozenset(parts.per_item)
    wanted: list[frozenset[str]] = [frozenset(), frozenset(names)]
    wanted += [frozenset({name} | parts.ancestors[name]) for name in names]
    seen: set[str] = set()
    out: list[tuple[Variant | None, str]] = []
    dangling: list[tuple[Variant | None, str]] = []
    capped = False
    for on in dict.fromkeys(wanted):
        try:
            text = tidy(render(body, on, parts))
        except ImpossibleVariant:
            continue
        if text in seen:
            continue
        if _DANGLING_CLAUSE.search(text):
            # ``UPDATE t SET WHERE …``: MyBatis itself would send broken SQL, so no caller runs this
            # variant (each gives some field); checked only if every variant is like it.
            seen.add(text)
            dangling.append((Variant(names, on, hidden), text))
            continue
        if len(out) >= max(cap, 1):
            capped = True
            break
        seen.add(text)
        out.append((Variant(names, on, hidden), text))
    return Expansion(out or dangling[: max(cap, 1)], capped, names)


# A clause keyword left with nothing after it when every optional part of it is absent.
_DANGLING_CLAUSE = re.compile(
    r"\b(?:SET|WHERE)\s*(?:\Z|\b(?:WHERE|ORDER|GROUP|LIMIT|HAVING|UNION)\b)"
    r"|\A\s*UPDATE\s+[\w.`]+\s*\Z"  # or an UPDATE whose SET was all optional
    # or a subquery / IN list a <choose> without <otherwise> fills ("from ( ) a": no arm was taken, as no
    # caller of a switch on a type code does)
    r"|\b(?:FROM|JOIN|IN)\s*\(\s*\)", re.IGNORECASE)


def tidy(sql: str) -> str:
    """Lines stripped and blank lines dropped; newlines kept so ``--`` comments end where they did."""
    return "\n".join(" ".join(line.split()) for line in sql.splitlines() if line.strip())


def iter_text(body: tuple[Node, ...]) -> Iterator[str]:
    """Every literal text of the tree, whatever the variant (for cheap classification)."""
    for node in body:
        if isinstance(node, Text):
            yield node.text
        elif isinstance(node, Choose):
            for _test, when_body in node.whens:
                yield from iter_text(when_body)
            yield from iter_text(node.otherwise)
        elif isinstance(node, (If, Trim, Foreach)):
            yield from iter_text(node.body)
