"""Scope names as the extractors write them (``OrderService.list_orders``, ``f.<locals>.g``,
``(*Store).SearchOrders``): matching the name a TARGET gives, and the Python function at a line."""

from __future__ import annotations

import ast
from collections.abc import Iterable

from sqllint.files import SourceFile


def matching_scopes(name: str, scopes: Iterable[str]) -> list[str]:
    """Scopes equal to ``name`` or ending with ``.name`` (``<locals>`` parts ignored); exact wins."""
    distinct = list(dict.fromkeys(s for s in scopes if s and s != "<module>"))
    if name in distinct:
        return [name]
    wanted = [_bare(p) for p in name.split(".")]
    matches = []
    for scope in distinct:
        parts = [_bare(p) for p in scope.split(".") if p != "<locals>"]
        if parts[-len(wanted):] == wanted:
            matches.append(scope)
    return matches


def _bare(part: str) -> str:
    """A scope part without Go's receiver punctuation: ``(*Store)`` → ``Store``."""
    return part.strip("()*&")


def python_scope_at(source: SourceFile, line: int) -> str | None:
    """The qualified name (as the Python extractor writes scopes) of the innermost function at ``line``."""
    try:
        tree = ast.parse(source.absolute.read_bytes())
    except (SyntaxError, ValueError, OSError):
        return None
    found: str | None = None

    def visit(body: list[ast.stmt], prefix: str) -> None:
        nonlocal found
        for node in body:
            end = getattr(node, "end_lineno", None) or node.lineno
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            if not first <= line <= end:
                continue
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found = f"{prefix}{node.name}"
                visit(node.body, f"{found}.<locals>.")
            elif isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")

    visit(tree.body, "")
    return found
