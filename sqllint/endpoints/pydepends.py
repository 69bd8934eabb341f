"""FastAPI dependencies: the functions FastAPI runs before a path operation, which often query the
database themselves (``current_user = Depends(get_current_user)`` reads the user on every request;
``article = Depends(get_article_by_slug_from_path)`` loads the article the handler works on).

Found in the decorator's ``dependencies=[Depends(f)]``, in the handler's parameters (``x = Depends(f)``,
``x: Annotated[T, Depends(f)]``), and, recursively, in the dependencies' own parameters — FastAPI solves
sub-dependencies first, in parameter order. A provider is a function of the repository, the closure a
factory call returns (``Depends(get_repository(ArticlesRepository))``), or a class (its ``__init__``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from sqllint.endpoints.model import FunctionKey
from sqllint.endpoints.pyindex import ClassRef, FunctionRef, PyFunction, walk_shallow
from sqllint.endpoints.pyresolve import Context, Resolver

MAX_DEPTH = 8


def _depends_calls(node: ast.expr | None) -> Iterator[ast.Call]:
    """``Depends(f)`` / ``fastapi.Depends(f)`` / ``Security(f)`` in an expression (a default, a list)."""
    if node is None:
        return
    for inner in ast.walk(node):
        if isinstance(inner, ast.Call):
            func = inner.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in ("Depends", "Security"):
                yield inner


class Dependencies:
    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver

    def of_route(self, function: PyFunction, decorator: ast.Call, ctx: Context) -> tuple[FunctionKey, ...]:
        """What FastAPI runs before ``function``: the decorator's dependencies, then its parameters'."""
        found: list[FunctionKey] = []
        for dependency in (d for k in decorator.keywords if k.arg == "dependencies" for d in _depends_calls(k.value)):
            self._add(dependency, ctx, found, 0)
        self._parameters(function, found, 0)
        own = FunctionKey(function.module.path, function.qualname)
        return tuple(k for k in dict.fromkeys(found) if k != own)

    def of_list(self, node: ast.expr | None, ctx: Context) -> tuple[FunctionKey, ...]:
        """``dependencies=[Depends(get_current_user)]`` of a router, an include_router or the application."""
        found: list[FunctionKey] = []
        for dependency in _depends_calls(node):
            self._add(dependency, ctx, found, 0)
        return tuple(found)

    def _parameters(self, function: PyFunction, found: list[FunctionKey], depth: int) -> None:
        args = function.node.args
        params = args.posonlyargs + args.args
        defaults: list[ast.expr | None] = [None] * (len(params) - len(args.defaults)) + list(args.defaults)
        pairs = list(zip(params, defaults)) + list(zip(args.kwonlyargs, args.kw_defaults))
        ctx = Context(function.module, function)
        for param, default in pairs:
            for dependency in [*_depends_calls(param.annotation), *_depends_calls(default)]:
                if not dependency.args and param.annotation is not None:  # x: Service = Depends()
                    self._provider(_annotated_type(param.annotation), ctx, found, depth)
                else:
                    self._add(dependency, ctx, found, depth)

    def _add(self, dependency: ast.Call, ctx: Context, found: list[FunctionKey], depth: int) -> None:
        provider = dependency.args[0] if dependency.args else next(
            (k.value for k in dependency.keywords if k.arg == "dependency"), None)
        if provider is not None:
            self._provider(provider, ctx, found, depth)

    def _provider(self, node: ast.expr | None, ctx: Context, found: list[FunctionKey], depth: int) -> None:
        if node is None or depth > MAX_DEPTH:
            return
        function: PyFunction | None = None
        if isinstance(node, ast.Call):  # a factory: get_repository(ArticlesRepository) returns the closure
            factory = self.resolver.resolve(node.func, ctx)
            function = self._returned(factory.function, node) if isinstance(factory, FunctionRef) else None
        else:
            ref = self.resolver.resolve(node, ctx)
            if isinstance(ref, FunctionRef):
                function = ref.function
            elif isinstance(ref, ClassRef):
                function = self.resolver.method(ref.cls, "__init__")
        if function is None:
            return
        key = FunctionKey(function.module.path, function.qualname)
        if key in found:
            return
        self._parameters(function, found, depth + 1)  # sub-dependencies are solved first
        found.append(key)

    def _returned(self, factory: PyFunction, call: ast.Call) -> PyFunction | None:
        """The function a dependency factory returns: its closure, or a module function
        (``return _get_current_user if required else _get_current_user_optional``: the branch the call's
        literal arguments or the parameter's default choose, else the first)."""
        ctx = Context(factory.module, factory)
        for node in walk_shallow(factory.node.body):
            if isinstance(node, ast.Return) and node.value is not None:
                value = node.value
                if isinstance(value, ast.IfExp):
                    chosen = _flag(value.test, factory, call)
                    value = value.orelse if chosen is False else value.body
                ref = self.resolver.resolve(value, ctx) if isinstance(value, (ast.Name, ast.Attribute)) else None
                if isinstance(ref, FunctionRef):
                    return ref.function
        return None


def _flag(test: ast.expr, factory: PyFunction, call: ast.Call) -> bool | None:
    """The truth of ``required`` in the factory's ``… if required else …`` for this call, when literal."""
    if not isinstance(test, ast.Name):
        return None
    args = factory.node.args
    params = args.posonlyargs + args.args
    values: dict[str, ast.expr] = dict(zip([a.arg for a in params][len(params) - len(args.defaults):], args.defaults))
    values.update((a.arg, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None)
    values.update(zip([a.arg for a in params], call.args))
    values.update((k.arg, k.value) for k in call.keywords if k.arg)
    given = values.get(test.id)
    return bool(given.value) if isinstance(given, ast.Constant) else None


def _annotated_type(annotation: ast.expr) -> ast.expr:
    """``Annotated[Service, Depends()]`` → ``Service``."""
    if isinstance(annotation, ast.Subscript) and isinstance(annotation.slice, ast.Tuple) and annotation.slice.elts:
        return annotation.slice.elts[0]
    return annotation
