"""The calls a Python function makes, in evaluation order, each resolved to repository code or a stop."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from sqllint.endpoints.model import CallSite, Event, FunctionKey
from sqllint.endpoints.pyindex import STDLIB, ClassRef, ExternalRef, FunctionRef, PyFunction, PythonIndex, children
from sqllint.endpoints.pyresolve import Context, Resolver

_SKIP = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_MAPPERS = frozenset({"map", "filter", "imap", "imap_unordered", "starmap"})  # builtins, pools, executors


def callee_text(node: ast.expr) -> str:
    try:
        text = ast.unparse(node)
    except Exception:  # noqa: BLE001 - only for display
        return "<call>"
    return text if len(text) <= 60 else text[:59] + "…"


class PythonCallGraph:
    """``events(key)``: the ordered calls of one function, for ``sqllint.endpoints.chain``."""

    def __init__(self, index: PythonIndex, resolver: Resolver) -> None:
        self.index = index
        self.resolver = resolver
        self.functions = {FunctionKey(f.module.path, f.qualname): f for f in index.functions()}
        self._events: dict[FunctionKey, list[Event]] = {}
        # top-level packages of the scanned code (package-derived names only: a src/ layout's "src" is none)
        self._own_packages = {m.name.split(".", 1)[0] for m in index.modules if "." in m.name}

    def key(self, function: PyFunction) -> FunctionKey:
        return FunctionKey(function.module.path, function.qualname)

    def events(self, key: FunctionKey) -> list[Event]:
        if key not in self._events:
            function = self.functions.get(key)
            self._events[key] = list(self._function_events(function)) if function else []
        return self._events[key]

    def _function_events(self, function: PyFunction) -> Iterator[Event]:
        ctx = Context(function.module, function)
        for call, depth, loop_line in _ordered_calls(function.node.body):
            site = CallSite(function.module.path, call.lineno, call.col_offset + 1, depth, loop_line)
            mapped = self._mapped_function(call, ctx)
            if mapped is not None:  # map(load_items, orders): the function runs once per item
                yield Event(CallSite(site.path, site.line, site.column, depth + 1, call.lineno),
                            callee_text(call.args[0]), target=mapped)
            yield self._event(call, site, ctx)

    def _mapped_function(self, call: ast.Call, ctx: Context) -> FunctionKey | None:
        """The repository function that ``map(f, xs)``, ``filter(f, xs)`` or ``pool.map(f, xs)`` applies."""
        func = call.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if name not in _MAPPERS or not call.args or (isinstance(func, ast.Name) and name not in ("map", "filter")):
            return None
        ref = self.resolver.resolve(call.args[0], ctx)
        return self.key(ref.function) if isinstance(ref, FunctionRef) else None

    def _event(self, call: ast.Call, site: CallSite, ctx: Context) -> Event:
        text = callee_text(call.func)
        ref = self.resolver.resolve(call.func, ctx)
        if isinstance(ref, FunctionRef):
            return Event(site, text, target=self.key(ref.function))
        if isinstance(ref, ClassRef):
            init = self.resolver.method(ref.cls, "__init__")
            return Event(site, text, target=self.key(init) if init else None)
        if isinstance(ref, ExternalRef):
            if ref.top in STDLIB or ref.top == "builtins":
                return Event(site, text)
            if ref.top in self._own_packages:  # app.models.x when only part of the application was scanned
                return Event(site, ref.name, stop=f"not in the scanned files (a module of the application's "
                                                  f"package {ref.top}: scan it too)")
            return Event(site, ref.name, stop="outside the repository")
        name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", None)
        if ref is None and isinstance(call.func, ast.Attribute) and name in self.index.callable_names:
            return Event(site, text, stop=f"unresolved: the type of `{ast.unparse(call.func.value)}` is not evident")
        return Event(site, text)


def _ordered_calls(body: list[ast.stmt]) -> Iterator[tuple[ast.Call, int, int | None]]:
    """Calls in the order Python evaluates them (arguments before the call, values before targets),
    with the loop depth and innermost loop line around each."""
    loops: list[int] = []

    def expr(node: ast.AST) -> Iterator[tuple[ast.Call, int, int | None]]:
        if isinstance(node, _SKIP):
            return
        if isinstance(node, ast.stmt):  # inside an except handler or a match case
            yield from stmt(node)
            return
        if isinstance(node, ast.Call):
            yield from expr(node.func)
            for arg in node.args:
                yield from expr(arg)
            for keyword in node.keywords:
                yield from expr(keyword.value)
            yield node, len(loops), loops[-1] if loops else None
            return
        if isinstance(node, _COMPREHENSIONS):
            generators = node.generators
            yield from expr(generators[0].iter)  # the first iterable is evaluated once, outside the loop
            loops.append(node.lineno)
            for index, generator in enumerate(generators):
                if index:
                    yield from expr(generator.iter)
                for condition in generator.ifs:
                    yield from expr(condition)
            if isinstance(node, ast.DictComp):
                yield from expr(node.key)
                yield from expr(node.value)
            else:
                yield from expr(node.elt)
            loops.pop()
            return
        for child in children(node):
            yield from expr(child)

    def stmt(node: ast.stmt) -> Iterator[tuple[ast.Call, int, int | None]]:
        if isinstance(node, _SKIP):
            for decorator in getattr(node, "decorator_list", []):
                yield from expr(decorator)
            return
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            if node.value is not None:
                yield from expr(node.value)
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                yield from expr(target)
            return
        if isinstance(node, _LOOPS):
            if isinstance(node, ast.While):
                loops.append(node.lineno)
                yield from expr(node.test)
            else:
                yield from expr(node.iter)
                loops.append(node.lineno)
            for inner in node.body:
                yield from stmt(inner)
            loops.pop()
            for inner in node.orelse:
                yield from stmt(inner)
            return
        for child in children(node):
            if isinstance(child, ast.stmt):
                yield from stmt(child)
            elif isinstance(child, ast.AST):
                yield from expr(child)

    for statement in body:
        yield from stmt(statement)
