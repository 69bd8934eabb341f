"""MyBatis ``<include refid>``: fragments put in place (with ``<property>`` values for ``${name}``),
across files of one namespace and by fully qualified refid, bounded against include bombs."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping

from sqllint.extract.dynsql import Choose, Foreach, Fragment, If, Include, IncludeError, Node, Text, Trim

_PROPERTY = re.compile(r"\$\{([^}:]+?)(?::[^}]*)?\}")


def qualify(refid: str, namespace: str) -> str:
    """MyBatis's rule: a refid with a dot is fully qualified, anything else is in the current namespace."""
    return refid if "." in refid or not namespace else f"{namespace}.{refid}"


MAX_INCLUDE_DEPTH = 32
MAX_INCLUSIONS = 5_000  # per statement: fragments including each fragment twice, 30 deep, are 2^30


def resolve_includes(body: tuple[Node, ...], namespace: str, fragments: Mapping[str, Fragment],
                     properties: Mapping[str, str] | None = None, stack: tuple[str, ...] = (),
                     origin: str | None = None, budget: list[int] | None = None) -> tuple[Node, ...]:
    """Inline every ``<include>``, raising ``IncludeError`` for unknown refids, cycles and fragments
    that would expand without bound (the "billion laughs" of includes).

    As MyBatis's ``XMLIncludeTransformer`` does, ``${name}`` in an included fragment (its text, refids
    and attributes) is replaced by the ``<property>`` values of the ``<include>`` chain, innermost
    first; names without a property stay ``${}`` text substitution.
    """
    props = properties or {}
    budget = budget if budget is not None else [MAX_INCLUSIONS]

    def subst(text: str) -> str:
        if not props or "${" not in text:
            return text
        return _PROPERTY.sub(lambda m: props.get(m.group(1).strip(), m.group(0)), text)

    def walk(nodes: tuple[Node, ...]) -> tuple[Node, ...]:
        out: list[Node] = []
        for node in nodes:
            if isinstance(node, Text):
                out.append(Text(subst(node.text), node.line, node.column) if props else node)
            elif isinstance(node, Include):
                out.extend(include(node))
            elif isinstance(node, If):
                out.append(If(subst(node.test), walk(node.body)))
            elif isinstance(node, Choose):
                out.append(Choose(tuple((subst(t), walk(b)) for t, b in node.whens), walk(node.otherwise)))
            elif isinstance(node, Trim):
                out.append(Trim(walk(node.body), subst(node.prefix), subst(node.suffix), node.prefix_overrides,
                                node.suffix_overrides))
            elif isinstance(node, Foreach):
                out.append(Foreach(walk(node.body), subst(node.open), subst(node.close), subst(node.separator),
                                   subst(node.collection), subst(node.item)))
        return tuple(out)

    def include(node: Include) -> tuple[Node, ...]:
        refid = subst(node.refid).strip()
        # The including statement's namespace first (MyBatis's rule), then the including fragment's own.
        candidates = [qualify(refid, namespace)] + [qualify(refid, ns) for ns in enclosing_namespaces]
        key = next((c for c in candidates if c in fragments), None)
        if key is None:
            where = f" in namespace {namespace}" if "." not in refid and namespace else ""
            owner = refid.rsplit(".", 1)[0] if "." in refid else ""
            if owner and not any(k.startswith(owner + ".") for k in fragments):
                where = f" (no checked mapper has namespace {owner})"
            raise IncludeError(f'<include refid="{refid}"> names no <sql> fragment{where}', node.line, origin)
        if key in stack:
            raise IncludeError(f'<include refid="{refid}"> includes itself ({" → ".join(stack + (key,))})',
                               node.line, origin)
        budget[0] -= 1
        if len(stack) >= MAX_INCLUDE_DEPTH or budget[0] < 0:
            raise IncludeError(f'<include refid="{refid}"> expands beyond {MAX_INCLUDE_DEPTH} nested or '
                               f"{MAX_INCLUSIONS:,} included fragments; not expanded", node.line, origin)
        fragment = fragments[key]
        inner = {**props, **{name: subst(value) for name, value in node.properties}}
        return resolve_includes(fragment.body, namespace, fragments, inner, stack + (key,), fragment.path, budget)

    enclosing_namespaces = [fragments[k].namespace for k in reversed(stack) if k in fragments]
    return walk(body)


def map_text(body: tuple[Node, ...], change: Callable[[str], str]) -> tuple[Node, ...]:
    """The tree with ``change`` applied to every literal text (after includes are resolved)."""
    out: list[Node] = []
    for node in body:
        if isinstance(node, Text):
            out.append(Text(change(node.text), node.line, node.column))
        elif isinstance(node, If):
            out.append(If(node.test, map_text(node.body, change)))
        elif isinstance(node, Choose):
            out.append(Choose(tuple((t, map_text(b, change)) for t, b in node.whens), map_text(node.otherwise, change)))
        elif isinstance(node, (Trim, Foreach)):
            out.append(dataclasses.replace(node, body=map_text(node.body, change)))
        else:
            out.append(node)
    return tuple(out)
