"""MyBatis dynamic SQL: a small picklable tree (``<if>``, ``<choose>``, ``<trim>``, ``<foreach>``, …) and
its expansion into the variants a reviewer should see.

The tree is built by ``mybatis.py`` from mapper XML or from a ``<script>`` in a Java annotation; it is
language-neutral so that the project index can hand it to worker processes and to the Java extractor
(a service method's ``orderMapper.listOrders(q)`` runs the same variants as the mapper statement).

Every ``<if>`` and every ``<when>`` is an *optional part*, named from its test expression
(``keyword != null and keyword != ''`` → ``keyword``); parts with the same test switch together, as
they do at run time. The variants are: every part off (``<choose>`` → ``<otherwise>``), every part on
(``<choose>`` → its first ``<when>``), then each part on alone (with the parts enclosing it, without
which it cannot be reached), up to the cap.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from sqllint.records import Variant

FOREACH_REPEAT = 3  # an IN-list / VALUES list of "several" items; the fingerprint collapses the length


@dataclass(frozen=True)
class Text:
    text: str


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

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


# --- resolving includes ------------------------------------------------------------------------------

_PROPERTY = re.compile(r"\$\{([^}:]+?)(?::[^}]*)?\}")


def qualify(refid: str, namespace: str) -> str:
    """MyBatis's rule: a refid with a dot is fully qualified, anything else is in the current namespace."""
    return refid if "." in refid or not namespace else f"{namespace}.{refid}"


def resolve_includes(body: tuple[Node, ...], namespace: str, fragments: Mapping[str, Fragment],
                     properties: Mapping[str, str] | None = None, stack: tuple[str, ...] = ()) -> tuple[Node, ...]:
    """Inline every ``<include>`` (with ``<property>`` values substituted); raises ``IncludeError``."""
    props = properties or {}

    def subst(text: str) -> str:
        return _PROPERTY.sub(lambda m: props.get(m.group(1).strip(), m.group(0)), text) if props and "${" in text else text

    def walk(nodes: tuple[Node, ...]) -> tuple[Node, ...]:
        out: list[Node] = []
        for node in nodes:
            if isinstance(node, Text):
                out.append(Text(subst(node.text)))
            elif isinstance(node, Include):
                refid = subst(node.refid)
                # The including statement's namespace first (MyBatis's rule), then the fragment's own.
                candidates = [qualify(refid, namespace)] + [qualify(refid, ns) for ns in stack_namespaces]
                key = next((c for c in candidates if c in fragments), None)
                if key is None:
                    raise IncludeError(f"<include refid=\"{refid}\"> names no <sql> fragment"
                                       f"{' in namespace ' + namespace if '.' not in refid and namespace else ''}",
                                       node.line)
                if key in stack:
                    raise IncludeError(f"<include refid=\"{refid}\"> includes itself ({' → '.join(stack + (key,))})",
                                       node.line)
                fragment = fragments[key]
                inner_props = {**props, **{k: subst(v) for k, v in node.properties}}
                out.extend(resolve_includes(fragment.body, namespace, fragments, inner_props, stack + (key,)))
            elif isinstance(node, If):
                out.append(If(node.test, walk(node.body)))
            elif isinstance(node, Choose):
                out.append(Choose(tuple((t, walk(b)) for t, b in node.whens), walk(node.otherwise)))
            elif isinstance(node, Trim):
                out.append(Trim(walk(node.body), node.prefix, node.suffix, node.prefix_overrides, node.suffix_overrides))
            elif isinstance(node, Foreach):
                out.append(Foreach(walk(node.body), node.open, node.close, node.separator))
        return tuple(out)

    stack_namespaces = [fragments[k].namespace for k in reversed(stack) if k in fragments]
    return walk(body)


# --- naming optional parts ---------------------------------------------------------------------------

_CLAUSE_SPLIT = re.compile(r"\s+(?:and|or)\s+|\s*(?:&&|\|\|)\s*", re.IGNORECASE)
_NAME = r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*"
_EMPTY = r"(?:null|''|\"\"|0)"
# The presence tests teams write: x != null, x != '', null != x, x neq null, x.size() > 0, !x.isEmpty(),
# @StringUtils@isNotBlank(x), a bare boolean flag.
_PRESENCE = [re.compile(p) for p in (
    rf"^\(?\s*(?P<n>{_NAME})\s*(?:!=|neq|>|gt)\s*{_EMPTY}\s*\)?$",
    rf"^{_EMPTY}\s*!=\s*(?P<n>{_NAME})$",
    rf"^(?P<n>{_NAME})\.(?:size|length)\(\)\s*(?:>|gt|!=)\s*0$",
    rf"^!\s*(?P<n>{_NAME})\.isEmpty\(\)$",
    rf"^@[\w.$]+@(?:isNotEmpty|isNotBlank|nonNull|isNotNull|hasText|hasLength)\(\s*(?P<n>{_NAME})\s*\)$",
    rf"^(?P<n>{_NAME})$",
)]


def part_name(test: str) -> str:
    """Words for an ``<if test>``: the names a presence test checks, else the test itself."""
    text = " ".join(test.split())
    names: list[str] = []
    for clause in _CLAUSE_SPLIT.split(text.strip()):
        clause = clause.strip()
        match = next((m for m in (p.match(clause) for p in _PRESENCE) if m), None)
        if match is None or match.group("n") in ("true", "false", "null"):
            names = []
            break
        names.append(_short(match.group("n")))
    if names:
        return "/".join(dict.fromkeys(names))
    return text if len(text) <= 40 else text[:37] + "..."


def _short(name: str) -> str:
    """``query.keyword`` → ``keyword``: the parameter object's name adds nothing for a reader."""
    return name.rsplit(".", 1)[-1] if name.count(".") == 1 else name


# --- expansion --------------------------------------------------------------------------------------


@dataclass
class _Parts:
    """Optional parts in source order with, for each, the parts enclosing it."""

    names: list[str] = field(default_factory=list)
    ancestors: dict[str, set[str]] = field(default_factory=dict)
    by_test: dict[str, str] = field(default_factory=dict)

    def add(self, test: str, enclosing: tuple[str, ...]) -> str:
        key = " ".join(test.split())
        name = self.by_test.get(key)
        if name is None:
            name = part_name(test)
            while name in self.names:  # two different tests read alike: keep them apart
                name = key if name != key else name + "'"
            self.by_test[key] = name
            self.names.append(name)
        self.ancestors.setdefault(name, set()).update(enclosing)
        return name


def collect_parts(body: tuple[Node, ...]) -> _Parts:
    parts = _Parts()

    def walk(nodes: tuple[Node, ...], enclosing: tuple[str, ...]) -> None:
        for node in nodes:
            if isinstance(node, If):
                name = parts.add(node.test, enclosing)
                walk(node.body, enclosing + (name,))
            elif isinstance(node, Choose):
                for test, when_body in node.whens:
                    name = parts.add(test, enclosing)
                    walk(when_body, enclosing + (name,))
                walk(node.otherwise, enclosing)
            elif isinstance(node, (Trim, Foreach)):
                walk(node.body, enclosing)

    walk(body, ())
    return parts


def render(body: tuple[Node, ...], on: frozenset[str], name_of: Callable[[str], str]) -> str:
    """The SQL MyBatis would build when exactly the parts in ``on`` are true."""
    pieces: list[str] = []
    for node in body:
        if isinstance(node, Text):
            pieces.append(node.text)
        elif isinstance(node, If):
            if name_of(node.test) in on:
                pieces.append(render(node.body, on, name_of))
        elif isinstance(node, Choose):
            chosen = next((b for t, b in node.whens if name_of(t) in on), node.otherwise)
            pieces.append(render(chosen, on, name_of))
        elif isinstance(node, Trim):
            pieces.append(_trim(render(node.body, on, name_of), node))
        elif isinstance(node, Foreach):
            item = render(node.body, on, name_of).strip()
            pieces.append(node.open + node.separator.join([item] * FOREACH_REPEAT) + node.close)
    return " ".join(p for p in pieces if p.strip())


def _trim(text: str, node: Trim) -> str:
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
    capped: bool  # more combinations existed than the cap allowed
    parts: tuple[str, ...]


def expand(body: tuple[Node, ...], cap: int) -> Expansion:
    parts = collect_parts(body)
    names = tuple(parts.names)
    name_of = lambda test: parts.by_test[" ".join(test.split())]  # noqa: E731 - a tiny closure
    if not names:
        return Expansion([(None, tidy(render(body, frozenset(), name_of)))], False, ())
    wanted: list[frozenset[str]] = [frozenset(), frozenset(names)]
    for name in names:
        wanted.append(frozenset({name} | parts.ancestors[name]))
    seen: dict[str, None] = {}
    out: list[tuple[Variant | None, str]] = []
    capped = False
    for on in dict.fromkeys(wanted):
        if len(out) >= cap:
            capped = True
            break
        text = tidy(render(body, on, name_of))
        if text in seen:
            continue
        seen[text] = None
        out.append((Variant(names, on), text))
    return Expansion(out, capped, names)


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
