"""Which concrete types a struct field of an interface type holds, from how the code wires it.

Go applications written in layers (handler → service → repository) keep each layer behind an interface
held in a struct field: ``&ArticleHandler{Service: svc}`` in ``NewArticleHandler(e, svc ArticleService)``,
called from ``main`` with ``svc := article.NewService(repo, authors)``. A call through the field
(``a.Service.Fetch``) names only the interface, and several types of the repository often have the same
methods (the service and the repository both have ``GetByID``). The composite literals that build the
struct say what the field gets; when that is a parameter of the constructor, the constructor's callers
say what they pass. Only types the code states are used; nothing is guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqllint.endpoints.gosyntax import walk
from sqllint.extract.tsutil import field as child, named_children, text_of

if TYPE_CHECKING:
    from tree_sitter import Node

    from sqllint.endpoints.goindex import GoFunc, GoIndex, TypeRef
    from sqllint.endpoints.model import FunctionKey

MAX_HOPS = 3  # constructor → its caller → that caller's caller


@dataclass
class Wiring:
    index: GoIndex
    _literals: dict[TypeRef, list[tuple[GoFunc, Node]]] | None = None  # struct type → where it is built
    _calls: dict[str, list[tuple[GoFunc, Node]]] = field(default_factory=dict)  # callee name → call sites
    _known: dict[tuple[TypeRef, str], set[TypeRef]] = field(default_factory=dict)
    _reassigned: dict[FunctionKey, set[str]] = field(default_factory=dict)  # names a function assigns again

    def _scan(self) -> None:
        self._literals = {}
        for func in self.index.declared:
            body = child(func.node, "body")
            if body is None:
                continue
            for node in walk(body):
                if node.type == "composite_literal":
                    kind = self.index.type_ref(func.file, child(node, "type"))
                    if kind[0]:
                        self._literals.setdefault(kind, []).append((func, node))
                elif node.type == "call_expression":
                    callee = child(node, "function")
                    if callee is not None and callee.type == "selector_expression":
                        callee = child(callee, "field")
                    if callee is not None and callee.type in ("identifier", "field_identifier"):
                        self._calls.setdefault(text_of(callee), []).append((func, node))

    def field_types(self, owner: TypeRef, name: str) -> set[TypeRef]:
        """The repository types stored in field ``name`` of struct ``owner`` wherever the code builds one."""
        key = (owner, name)
        if key not in self._known:
            if self._literals is None:
                self._scan()
            self._known[key] = set()  # a guard while it is being worked out
            found: set[TypeRef] = set()
            order = list(self.index.fields.get(owner, {}))
            for func, literal in (self._literals or {}).get(owner, []):
                value = _element(literal, name, order)
                if value is not None:
                    found |= self.value_types(func, value, MAX_HOPS)
            self._known[key] = found
        return self._known[key]

    def value_types(self, func: GoFunc, value: Node, hops: int) -> set[TypeRef]:
        """The type of ``value`` in ``func``; a parameter's is what the callers of ``func`` pass."""
        body = child(func.node, "body")
        locals_ = self.index.locals_of(func, body) if body is not None else dict(func.params)
        kind = self.index.type_of(func, value, locals_)
        if kind[0] and self.index.has_methods(kind):
            return {kind}
        if value.type != "identifier" or hops <= 0:
            return set()
        names = _param_names(func.node)
        position = names.index(text_of(value)) if text_of(value) in names else -1
        if func.key not in self._reassigned:
            self._reassigned[func.key] = _assigned(body)
        if position < 0 or text_of(value) in self._reassigned[func.key]:
            return set()
        found: set[TypeRef] = set()
        own = text_of(child(func.node, "name") or func.node)
        for caller, call in self._calls.get(own, []):
            if self._callee(caller, call) is not func:
                continue
            args = [a for a in named_children(child(call, "arguments") or call) if a.type != "comment"]
            if position < len(args):
                found |= self.value_types(caller, args[position], hops - 1)
        return found

    def _callee(self, caller: GoFunc, call: Node) -> GoFunc | None:
        callee = child(call, "function")
        if callee is None:
            return None
        if callee.type == "identifier":
            return self.index.funcs.get((caller.file.directory, text_of(callee)))
        body = child(caller.node, "body")
        locals_ = self.index.locals_of(caller, body) if body is not None else dict(caller.params)
        return self.index.selector_target(caller, callee, locals_, wired=False)


def _element(literal: Node, name: str, order: list[str]) -> Node | None:
    """The value a composite literal gives field ``name``: ``{Service: svc}`` or by position."""
    body = child(literal, "body")
    elements = [e for e in named_children(body) if e.type in ("keyed_element", "literal_element")] if body else []
    for position, element in enumerate(elements):
        parts = [p for p in named_children(element) if p.type != "comment"]
        if element.type == "keyed_element" and len(parts) == 2:
            key = parts[0]
            if text_of(key) == name:
                return _unwrap(parts[1])
        elif element.type == "literal_element" and position < len(order) and order[position] == name and parts:
            return _unwrap(parts[0])
    return None


def _unwrap(node: Node) -> Node:
    """tree-sitter wraps a literal's keys and values in ``literal_element``."""
    while node.type == "literal_element" and named_children(node):
        node = named_children(node)[0]
    return node


def _param_names(node: Node) -> list[str]:
    params = child(node, "parameters")
    return [text_of(n) for d in (named_children(params) if params is not None else [])
            for n in d.children_by_field_name("name")]


def _assigned(body: Node | None) -> set[str]:
    """Names assigned again in the body (the parameter may then hold something else)."""
    found: set[str] = set()
    for node in walk(body) if body is not None else []:
        if node.type == "assignment_statement":
            found |= {text_of(n) for n in named_children(child(node, "left") or node) if n.type == "identifier"}
    return found
