"""Shared machinery for the tree-sitter extractors (Java, Go).

The grammars are loaded once per process by cached loader functions (no module-level mutable state).
String values are the language-neutral ``pyvalues.Value`` the Python extractor uses, so optional
parts (``if (kw != null) sql.append(…)``), their variant labels and the cap behave the same in every
host language; this module turns such a value into ``Query`` records at a call site.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from sqllint.extract.emit import Site
from sqllint.extract.placeholders import Hole
from sqllint.extract.pyvalues import Piece, Value, concat_pieces
from sqllint.records import PlaceholderStyle, Query
from sqllint.suppress import parse_suppressions

if TYPE_CHECKING:
    from tree_sitter import Node, Parser, Tree

    from sqllint.extract import Problem


@lru_cache(maxsize=None)
def parser_for(language: str) -> Parser:
    """A parser for ``java`` or ``go``; the grammar is loaded on first use and kept for the process."""
    from tree_sitter import Language, Parser

    if language == "java":
        import tree_sitter_java as grammar
    elif language == "go":
        import tree_sitter_go as grammar  # type: ignore[no-redef]
    else:  # pragma: no cover - programming error
        raise ValueError(language)
    return Parser(Language(grammar.language()))


def parse(data: bytes, language: str) -> Tree:
    return parser_for(language).parse(data)


def text_of(node: Node) -> str:
    return (node.text or b"").decode("utf-8", errors="replace")


def line_of(node: Node) -> int:
    return node.start_point[0] + 1


def column_of(node: Node) -> int:
    return node.start_point[1] + 1


def field(node: Node, name: str) -> Node | None:
    return node.child_by_field_name(name)


_COMMENT_TYPES = frozenset({"comment", "line_comment", "block_comment"})


def named_children(node: Node) -> list[Node]:
    return [c for c in node.named_children if c.type not in _COMMENT_TYPES]


def syntax_errors(root: Node) -> list[Node]:
    """The ERROR and MISSING nodes of a tree (outermost only), in source order; empty when it parsed cleanly."""
    if not root.has_error:
        return []
    found: list[Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            found.append(node)
            continue
        stack.extend(reversed([c for c in node.children if c.has_error or c.is_missing]))
    return found


def syntax_problem_message(language: str, errors: list[Node]) -> str:
    first = errors[0]
    what = f"missing `{first.type}`" if first.is_missing else f"unexpected `{_excerpt(text_of(first))}`"
    more = f" and {len(errors) - 1} more damaged place{'s' if len(errors) > 2 else ''}" if len(errors) > 1 else ""
    return (f"{language} syntax error ({what}){more}; SQL in the damaged parts of the file was not extracted, "
            "the rest was")


def _excerpt(text: str, limit: int = 30) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def comment_suppressions(root: Node, data: bytes, comment_types: frozenset[str]) -> dict[int, frozenset[str]]:
    """``// sqllint: ignore[S001]`` by the line it applies to: its own line for a trailing comment, the
    next line for a comment on a line of its own (where Java/Go teams put them); key 0 holds whole-file
    ``ignore-file`` codes."""
    found: dict[int, frozenset[str]] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type in comment_types:
            text = text_of(node)
            if "sqllint:" in text:
                codes, whole_file = parse_suppressions(text)
                line_start = data.rfind(b"\n", 0, node.start_byte) + 1
                standalone = not data[line_start : node.start_byte].strip()
                key = 0 if whole_file else node.end_point[0] + (2 if standalone else 1)
                found[key] = found.get(key, frozenset()) | codes
            continue
        stack.extend(node.children)
    return found


def suppressed_at(suppressions: dict[int, frozenset[str]], line: int, end_line: int) -> frozenset[str]:
    if not suppressions:
        return frozenset()
    codes = suppressions.get(0, frozenset())
    for number in range(line, end_line + 1):
        codes |= suppressions.get(number, frozenset())
    return codes


# --- printf-style formatting (Java String.format / formatted, Go fmt.Sprintf) -------------------------

_PRINTF = re.compile(r"%(?:(?P<index>\d+)\$|\[(?P<goindex>\d+)\])?[-#+ 0,(]*(?:\d+|\*)?(?:\.\d+)?(?P<verb>[a-zA-Z%])")
_NUMERIC_VERBS = frozenset("dbcoxXeEfFgGtT")  # an int/float (or bool %t) cannot carry SQL text


def printf(template: Value, args: Sequence[Value | Hole]) -> Value:
    """``String.format(template, args…)`` / ``fmt.Sprintf``: each verb takes the next (or indexed) argument."""
    alternatives = []
    for alt in template.alts:
        pieces: list[Piece] = []
        next_arg = 0
        for segment in alt.segments:
            if not isinstance(segment, str):
                pieces.append(segment)
                continue
            pos = 0
            for match in _PRINTF.finditer(segment):
                pieces.append(segment[pos : match.start()])
                pos = match.end()
                verb = match.group("verb")
                if verb == "%":
                    pieces.append("%")
                    continue
                if verb == "n":
                    pieces.append("\n")
                    continue
                explicit = match.group("index") or match.group("goindex")
                index = int(explicit) - 1 if explicit else next_arg
                next_arg = index + 1
                arg = args[index] if 0 <= index < len(args) else Hole(match.group(0))
                if isinstance(arg, Hole) and verb in _NUMERIC_VERBS:
                    arg = Hole(arg.source, arg.style, safe=True)
                pieces.extend(('"', arg, '"') if verb == "q" else (arg,))  # Go's %q quotes the string
            pieces.append(segment[pos:])
        alternatives.append(concat_pieces(pieces, alt.on, template.parts))
    parts: tuple[str, ...] = template.parts
    for value in alternatives:
        parts = parts + tuple(p for p in value.parts if p not in parts)
    alts = tuple(dict.fromkeys(a for value in alternatives for a in value.alts))
    return Value(alts, parts, line=template.line, capped=template.capped)


def hole(source: str, style: PlaceholderStyle = PlaceholderStyle.CONCAT_HOLE, safe: bool = False) -> Value:
    return Value.hole(Hole(_excerpt(source, 60), style, safe))


class HelperCall(Protocol):
    """An emission of a walker: a DB call, or a call of a helper function of the same file/class."""

    scope: str
    loop_depth: int
    helper: str | None  # the helper's scope when this is a helper call


def expand_helper_calls(ordered: list[tuple[HelperCall, Site, list[Query]]]) -> list[Query]:
    """The queries in call order, where a helper called inside a loop contributes the queries it runs
    (transitively) at its call site: N+1 through a helper is N+1."""
    out: list[Query] = []
    for emission, site, queries in ordered:
        if emission.helper is not None and emission.loop_depth > 0:
            queries = [_relocated(q, site) for q in _runs(emission.helper, ordered, frozenset())]
        out.extend(queries)
    return out


def _runs(scope: str, ordered: list[tuple[HelperCall, Site, list[Query]]], visiting: frozenset[str]) -> list[Query]:
    """Every query a function runs, including those of the helpers it calls (cycles cut)."""
    if scope in visiting:
        return []
    out: list[Query] = []
    for emission, site, queries in ordered:
        if emission.scope != scope:
            continue
        if emission.helper is not None:
            out.extend(_relocated(q, site) for q in _runs(emission.helper, ordered, visiting | {scope}))
        else:
            out.extend(queries)
    return out


def _relocated(query: Query, site: Site) -> Query:
    """A helper's query seen from the call of the helper (inside a loop: the N+1 rule reads it there)."""
    return dataclasses.replace(
        query, path=site.path, line=site.line, column=site.column, end_line=site.end_line, scope=site.scope,
        loop_depth=site.loop_depth + query.loop_depth, loop_line=site.loop_line, call=f"{site.call} → {query.call}",
        sequence=site.sequence, suppressed=site.suppressed, resolved_from=query.resolved_from or query.scope,
        branch=site.branch + query.branch,  # the helper's own arms are positions in the same file
        origin=site.origin + ((query.path, query.line, query.column), *query.origin))


def capped_problem(value: Value, site: Site, cap: int) -> Problem | None:
    """E022 when the value had more alternatives than ``max-variants``: say how many were kept."""
    if not value.capped:
        return None
    from sqllint.extract import Problem  # the package imports its extractors lazily; no cycle at import time

    return Problem("E022", site.line, site.column, f"the SQL run here in {site.scope} is built in more ways than "
                   f"max-variants allows ({cap}); only {len(value.alts)} variants were checked")


def flatten_binary(node: Node, operator: str, operand: Callable[[Node], Node | None] = lambda n: n) -> list[Node]:
    """The operands of a left- or right-deep ``a + b + c`` chain, iteratively (long chains are common)."""
    out: list[Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        op = field(current, "operator")
        if current.type == "binary_expression" and op is not None and op.type == operator:
            left, right = field(current, "left"), field(current, "right")
            if right is not None:
                stack.append(right)
            if left is not None:
                stack.append(left)
        else:
            inner = operand(current)
            if inner is not None:
                out.append(inner)
    return out


# --- naming an `if` condition (Java and Go share the shape of their expression trees) --------------------

Label = tuple[str, bool]  # a short name for the condition, and whether its true branch means "present"


def short_label(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 40 else flat[:37] + "..."


@dataclass(frozen=True)
class ConditionGrammar:
    """What differs between the languages when a condition is named."""

    wrappers: frozenset[str]  # node kinds that only wrap one expression: (x)
    member: str  # the node kind of `a.b`, whose field "field" names the member
    is_empty: Callable[[Node], bool]  # nil / null / 0 / ""
    call: Callable[[Node, Callable[[Node], Label]], Label | None]  # the language's own presence tests


def condition_label(node: Node, grammar: ConditionGrammar) -> Label:
    """``(label, positive)`` for an ``if`` condition: ``q.keyword != null`` → ("keyword", True),
    ``len(conds) == 0`` → ("conds", False); anything else is named by its (shortened) text."""
    def label(inner: Node) -> Label:
        return condition_label(inner, grammar)

    kind = node.type
    if kind in grammar.wrappers:
        inner = named_children(node)
        return label(inner[0]) if inner else (short_label(text_of(node)), True)
    if kind == "unary_expression" and (op := field(node, "operator")) is not None and op.type == "!":
        operand = field(node, "operand")
        if operand is not None:
            name, positive = label(operand)
            return name, not positive
    if kind == "binary_expression" and (op := field(node, "operator")) is not None:
        left, right = field(node, "left"), field(node, "right")
        if op.type in ("&&", "||") and left is not None and right is not None:
            (a, positive), (b, other) = label(left), label(right)
            if a != b and re.search(rf"(?<![\w$.]){re.escape(text_of(left).split()[0])}\.", text_of(right)):
                return b, other  # `q != null && q.keyword != null`: the guard on q only makes way for keyword
            return (a if a == b else short_label(f"{a}/{b}")), positive
        if op.type in ("!=", "==", ">", "<=") and left is not None and right is not None:
            subject, other = (left, right) if grammar.is_empty(right) else (right, left)
            if grammar.is_empty(other):
                name, positive = label(subject)
                return name, positive == (op.type in ("!=", ">"))
    named = grammar.call(node, label)
    if named is not None:
        return named
    if kind == "identifier":
        return text_of(node), True
    if kind == grammar.member:
        member = field(node, "field")
        return (text_of(member) if member is not None else short_label(text_of(node))), True
    return short_label(text_of(node)), True


# --- walking blocks and the arms of branches (Java and Go walkers) ---------------------------------------

Arm = tuple[int, int, int]  # (line, column, arm number) of a branching construct being walked


class ArmWalking:
    """Mixin for a statement walker that records which arm of which branch each query is on.

    ``branches`` is the stack of arms being walked; code after an early return inside an arm runs only on
    the other arms, so a block that leaves keeps its arms off the stack for what follows."""

    branches: list[Arm]
    block_kinds: frozenset[str] = frozenset({"block"})

    def walk_statement(self, node: Node, env: Any) -> bool:  # pragma: no cover - every walker defines it
        raise NotImplementedError

    def block_statements(self, node: Node) -> list[Node]:
        return named_children(node)

    def walk_block(self, node: Node, env: Any) -> bool:
        """Walk a block's statements; True when it always leaves (return, throw, break, continue)."""
        depth = len(self.branches)  # an early return inside puts the rest of the block on an arm
        try:
            for statement in self.block_statements(node):
                if self.walk_statement(statement, env):
                    return True
            return False
        finally:
            del self.branches[depth:]

    def _walk_arm(self, construct: Node, arm: int, node: Node | None, env: Any) -> tuple[bool, list[Arm]]:
        """Walk one arm; return whether it always leaves, and the arms that code after it runs on when it
        does not (``if err != nil { return }`` inside it: what follows runs only when err is nil)."""
        if node is None:
            return False, []
        depth = len(self.branches)
        self.branches.append((line_of(construct), construct.start_point[1] + 1, arm))
        try:
            statements = self.block_statements(node) if node.type in self.block_kinds else [node]
            for statement in statements:
                if self.walk_statement(statement, env):
                    return True, []
            return False, self.branches[depth + 1:]
        finally:
            del self.branches[depth:]

    def _walk_if_arms(self, node: Node, true_env: dict[str, Any], false_env: dict[str, Any], env: dict[str, Any],
                      reachable: tuple[bool, bool] = (True, True)) -> bool | None:
        """Walk the consequence and alternative of ``if`` statement ``node`` in their own environments.
        True: every arm leaves. False: one arm leaves, so the rest of the block runs only on the other arm
        (and only where that arm went on: ``else if (d) return``) and ``env`` now holds that arm's values.
        None: both arms go on; the caller merges ``true_env`` and ``false_env`` into ``env``. An arm that
        cannot be reached (``reachable``) counts as leaving."""
        true_leaves, true_tail = self._walk_arm(node, 0, field(node, "consequence"), true_env)
        false_leaves, false_tail = self._walk_arm(node, 1, field(node, "alternative"), false_env)
        true_leaves, false_leaves = true_leaves or not reachable[0], false_leaves or not reachable[1]
        if true_leaves and false_leaves:
            return True
        if not (true_leaves or false_leaves):
            return None
        self.branches.append((line_of(node), node.start_point[1] + 1, 1 if true_leaves else 0))
        self.branches.extend(false_tail if true_leaves else true_tail)
        env.clear()
        env.update(false_env if true_leaves else true_env)
        return False
