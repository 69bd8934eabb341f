"""Go syntax helpers shared by the endpoint modules (``goindex``, ``goroutes``, ``gowiring``): the module a
directory belongs to, walking tree-sitter nodes, reading calls and strings, calls in evaluation order."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqllint.extract.tsutil import field as child, line_of, named_children, text_of

if TYPE_CHECKING:
    from tree_sitter import Node


@lru_cache(maxsize=256)
def module_of(directory: Path) -> tuple[str, str] | None:
    """(module root, module path) from the nearest go.mod at or above ``directory``."""
    for folder in (directory, *directory.parents):
        mod = folder / "go.mod"
        if mod.is_file():
            for line in mod.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.startswith("module "):
                    return str(folder), line.split()[1].strip('"')
            return None
    return None


def standard(path: str) -> bool:
    return "." not in path.split("/", 1)[0]


def walk(node: Node, skip_literals: bool = False) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if skip_literals and current.type == "func_literal" and current is not node:
            continue  # e.g. registrations inside a chi Route/Group literal: walked with their own prefix
        stack.extend(reversed(current.children))


def call_method(call: Node) -> str:
    function = child(call, "function")
    if function is not None and function.type == "selector_expression":
        return text_of(child(function, "field") or function)
    return ""


def call_args(call: Node) -> list[Node]:
    arguments = child(call, "arguments")
    return [a for a in named_children(arguments) if a.type != "comment"] if arguments is not None else []


def string_value(node: Node) -> str | None:
    if node.type in ("interpreted_string_literal", "raw_string_literal"):
        return text_of(node)[1:-1]
    return None


def ordered_calls(body: Node) -> Iterator[tuple[Node, int, int | None]]:
    """Calls in evaluation order (operands and arguments first), with the ``for`` loops around each; the
    range expression or init clause of a loop runs once."""
    loops: list[int] = []

    def visit(node: Node) -> Iterator[tuple[Node, int, int | None]]:
        if node.type == "for_statement":
            for part in node.children:
                if part.type in ("range_clause", "for_clause"):
                    yield from visit(part)
            loops.append(line_of(node))
            inner = child(node, "body")
            if inner is not None:
                yield from visit(inner)
            loops.pop()
            return
        for part in node.children:
            yield from visit(part)
        if node.type == "call_expression":
            yield node, len(loops), loops[-1] if loops else None

    yield from visit(body)
