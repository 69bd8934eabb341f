"""Reading Spring's annotations with tree-sitter: which annotations a declaration carries, an attribute's
value, the strings it holds (arrays, concatenations, constants of the repository), joining paths."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqllint.extract.tsutil import field as child, named_children, text_of

if TYPE_CHECKING:
    from tree_sitter import Node


def annotations_of(node: Node) -> list[tuple[str, Node]]:
    modifiers = next((c for c in node.children if c.type == "modifiers"), None)
    found = []
    for item in named_children(modifiers) if modifiers is not None else []:
        if item.type in ("annotation", "marker_annotation"):
            name = child(item, "name")
            found.append((text_of(name).rsplit(".", 1)[-1] if name is not None else "", item))
    return found


def annotation_strings(node: Node | None, constant: Callable[[Node], str | None] | None = None) -> list[str] | None:
    """Strings of an annotation value: ``"/a"``, ``{"/a", "/b"}``, ``Paths.API + "/orders"`` (constants of
    the repository through ``constant``); None when not known statically."""
    if node is None:
        return None
    if node.type == "string_literal":
        return [text_of(node)[1:-1]]
    if node.type == "element_value_array_initializer":
        items = [annotation_strings(item, constant) for item in named_children(node)]
        return [s for item in items if item is not None for s in item] if all(i is not None for i in items) else None
    if node.type == "binary_expression" and text_of(child(node, "operator") or node) == "+":
        left, right = annotation_strings(child(node, "left"), constant), annotation_strings(child(node, "right"), constant)
        return [a + b for a in left for b in right] if left and right else None
    if node.type == "parenthesized_expression" and named_children(node):
        return annotation_strings(named_children(node)[0], constant)
    if node.type in ("identifier", "field_access") and constant is not None:
        value = constant(node)
        return [value] if value is not None else None
    return None


def attribute_value(annotation: Node, *names: str) -> Node | None:
    arguments = child(annotation, "arguments")
    if arguments is None:
        return None
    for item in named_children(arguments):
        if item.type == "element_value_pair":
            key = child(item, "key")
            if key is not None and text_of(key) in names:
                return child(item, "value")
        elif "value" in names:  # @GetMapping("/x"): the single unnamed value
            return item
    return None


def join_path(prefix: str, path: str) -> str:
    joined = "/".join(part.strip("/") for part in (prefix, path) if part.strip("/"))
    return "/" + joined
