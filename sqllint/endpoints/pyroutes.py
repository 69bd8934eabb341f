"""Flask and FastAPI endpoints: route decorators, blueprints/routers with their prefixes, add_url_rule.

Applications and routers are recognised by what constructed them (``Flask(...)``, ``Blueprint(...)``,
``FastAPI()``, ``APIRouter(prefix=...)``, imported from those packages), wherever they live: module level,
another module of the repository, or a local of an app factory (``def create_app(): app = Flask(...)``).
Prefixes come from the object itself and from every ``register_blueprint``/``include_router`` call.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqllint.endpoints.model import Endpoint, FunctionKey, MapNote
from sqllint.endpoints.pydepends import Dependencies
from sqllint.endpoints.pyindex import (
    ClassRef,
    ExternalRef,
    FunctionRef,
    PyClass,
    PyFunction,
    PyModule,
    PythonIndex,
    walk_shallow,
)
from sqllint.endpoints.pyresolve import Context, Resolver

FLASK_APPS = frozenset({"flask.Flask", "flask.app.Flask", "quart.Quart"})
FLASK_BLUEPRINTS = frozenset({"flask.Blueprint", "flask.blueprints.Blueprint", "quart.Blueprint"})
FASTAPI_APPS = frozenset({"fastapi.FastAPI", "fastapi.applications.FastAPI"})
FASTAPI_ROUTERS = frozenset({"fastapi.APIRouter", "fastapi.routing.APIRouter"})
RESTFUL_APIS = frozenset({"flask_restful.Api", "flask_restx.Api", "flask_restplus.Api"})  # Api(app_or_bp)
RESTX_NAMESPACES = frozenset({"flask_restx.Namespace", "flask_restplus.Namespace"})
FLASK_ROUTERS = FLASK_APPS | FLASK_BLUEPRINTS | RESTFUL_APIS | RESTX_NAMESPACES
HTTP_VERBS = ("get", "post", "put", "patch", "delete")
_REGISTRATION_WORDS = (b"register_blueprint", b"include_router", b"add_url_rule", b"add_api_route", b"add_resource",
                       b"add_namespace")
_ROUTE_DECORATORS = frozenset({"route", "api_route", *HTTP_VERBS})


@dataclass
class _Router:
    framework: str  # flask | fastapi
    is_app: bool
    prefix: str
    # (router it is mounted in, prefix given at the mount, FastAPI dependencies given at the mount)
    parents: list[tuple[tuple[str, int, int], str | None, tuple[FunctionKey, ...]]] = field(default_factory=list)
    dependencies: tuple[FunctionKey, ...] = ()  # FastAPI: APIRouter(dependencies=[…]), FastAPI(dependencies=[…])


def literal_str(node: ast.expr | None, ctx: Context, resolver: Resolver | None = None) -> str | None:
    """A string known statically: a literal, ``"a" + "b"``, or a module constant holding one."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = literal_str(node.left, ctx), literal_str(node.right, ctx)
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.JoinedStr):  # f"/api/{API_VERSION}/orders" with constants
        parts = [literal_str(v.value, ctx) if isinstance(v, ast.FormattedValue) and v.conversion == -1
                 and v.format_spec is None else literal_str(v, ctx) for v in node.values]
        return "".join(p for p in parts if p is not None) if None not in parts else None
    if isinstance(node, ast.Name) and (ctx.function is None or node.id not in _assigned(ctx.function)):
        values = ctx.module.globals.get(node.id, [])
        if len(values) == 1:
            return literal_str(values[0], Context(ctx.module))
        imported = ctx.module.imported_global(node.id) if not values else None
        if imported is not None:  # ``from app.core.config import API_PREFIX``
            return literal_str(imported[1], Context(imported[0]))
    return None


def literal_strings(node: ast.expr | None, ctx: Context) -> tuple[str, ...] | None:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        items = [literal_str(e, ctx) for e in node.elts]
        return tuple(i for i in items if i is not None) if all(i is not None for i in items) else None
    single = literal_str(node, ctx)
    return (single,) if single is not None else None


def _assigned(function: PyFunction) -> set[str]:
    return {t.id for n in walk_shallow(function.node.body) if isinstance(n, ast.Assign)
            for t in n.targets if isinstance(t, ast.Name)}


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def argument(call: ast.Call, position: int, name: str) -> ast.expr | None:
    found = keyword(call, name)
    if found is None and len(call.args) > position and not isinstance(call.args[position], ast.Starred):
        found = call.args[position]
    return found


def join_route(prefix: str, rule: str, framework: str) -> str:
    if framework == "fastapi":
        return (prefix + rule) or "/"
    if not prefix:
        return rule or "/"
    return "/".join((prefix.rstrip("/"), rule.lstrip("/"))) if rule else prefix


def contexts(module: PyModule) -> Iterator[tuple[ast.AST, Context]]:
    """Every node of a module with the function context it sits in."""
    for node in walk_shallow(module.tree.body):
        yield node, Context(module)
    for function in module.functions.values():
        ctx = Context(module, function)
        for node in walk_shallow(function.node.body):
            yield node, ctx


class FlaskFastApiRoutes:
    def __init__(self, index: PythonIndex, resolver: Resolver) -> None:
        self.index = index
        self.resolver = resolver
        self.routers: dict[tuple[str, int, int], _Router] = {}
        self.notes: list[MapNote] = []
        self.dependencies = Dependencies(resolver)

    def _router(self, node: ast.expr, ctx: Context) -> tuple[tuple[str, int, int], _Router] | None:
        ref = self.resolver.resolve(node, ctx)
        if not isinstance(ref, ExternalRef) or ref.call is None or ref.module is None:
            return None
        name = ref.name.removesuffix("()")
        if name not in FLASK_ROUTERS | FASTAPI_APPS | FASTAPI_ROUTERS:
            return None
        key = (ref.module.path, ref.call.lineno, ref.call.col_offset)
        if key not in self.routers:
            framework = "flask" if name in FLASK_ROUTERS else "fastapi"
            home = Context(ref.module)
            if name in RESTX_NAMESPACES:  # Namespace("orders") is mounted at /orders unless path= says
                label = literal_str(argument(ref.call, 0, "name"), home)
                prefix = literal_str(keyword(ref.call, "path"), home) or (f"/{label}" if label else "")
            else:
                prefix_key = "prefix" if name in RESTFUL_APIS or framework == "fastapi" else "url_prefix"
                given = keyword(ref.call, prefix_key)
                prefix = literal_str(given, home) or ""
                if given is not None and literal_str(given, home) is None:
                    self._dynamic_prefix(ref.module.path, ref.call.lineno, given)
            self.routers[key] = _Router(framework, name in FLASK_APPS | FASTAPI_APPS, prefix)
            if framework == "fastapi":
                self.routers[key].dependencies = self.dependencies.of_list(keyword(ref.call, "dependencies"), home)
            if name in RESTFUL_APIS and ref.call.args:  # Api(blueprint): mounted where the blueprint is
                parent = self._router(ref.call.args[0], home)
                if parent is not None:
                    self.routers[key].parents.append((parent[0], None, ()))
        return key, self.routers[key]

    def find(self) -> list[Endpoint]:
        pending: list[tuple[tuple[str, int, int], Endpoint]] = []
        for module in self.index.modules:
            if not module.source or any(word in module.source for word in _REGISTRATION_WORDS):
                for node, ctx in contexts(module):
                    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                        self._registration(node, ctx)
                        pending.extend(self._add_rule(node, ctx))
            for function in module.functions.values():
                pending.extend(self._decorated(function))
            for cls in module.classes.values():
                pending.extend(self._resource_class(cls))
        hooks = self._hooks()
        endpoints = []
        for key, endpoint in pending:
            lineage = self._lineage(key, frozenset())
            # Flask runs the application's hooks (before_app_request too) first, then the blueprint's.
            applying = [(not everywhere, h) for owner, everywhere, h in hooks
                        if owner in lineage or (everywhere and endpoint.framework == "flask")]
            before = tuple(dict.fromkeys(h for _, h in sorted(applying, key=lambda pair: pair[0])))
            for prefix, dependencies in self._prefixes(key, frozenset()):  # FastAPI: the outer routers' first
                route = join_route(prefix, endpoint.route, endpoint.framework)
                run_first = tuple(dict.fromkeys(before + dependencies + endpoint.hooks))
                outer = prefix.rstrip("/") if route.startswith(prefix.rstrip("/")) else ""  # a selector may omit it
                endpoints.append(Endpoint(endpoint.methods, route, endpoint.handler, endpoint.path, endpoint.line,
                                          endpoint.framework, endpoint.note, run_first, prefix=outer))
        return endpoints

    def _hooks(self) -> list[tuple[tuple[str, int, int], bool, FunctionKey]]:
        """Flask's ``@app.before_request`` / ``@bp.before_request`` (that blueprint's routes) /
        ``@bp.before_app_request`` (every route): (router, applies everywhere, function)."""
        found = []
        for function in self.index.functions():
            for decorator in function.node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if not (isinstance(target, ast.Attribute) and target.attr in ("before_request", "before_app_request")):
                    continue
                outer = function.qualname.rsplit(".<locals>.", 1)[0] if ".<locals>." in function.qualname else None
                ctx = Context(function.module, function.module.functions.get(outer) if outer else None)
                router = self._router(target.value, ctx)
                if router is not None:
                    everywhere = target.attr == "before_app_request" or router[1].is_app
                    found.append((router[0], everywhere, FunctionKey(function.module.path, function.qualname)))
        return found

    def _lineage(self, key: tuple[str, int, int], seen: frozenset[tuple[str, int, int]]) -> set[tuple[str, int, int]]:
        """The router and every router it is mounted in."""
        found = {key}
        if key in seen:
            return found
        for parent, _override, _dependencies in self.routers[key].parents:
            found |= self._lineage(parent, seen | {key})
        return found

    def _prefixes(self, key: tuple[str, int, int], seen: frozenset[tuple[str, int, int]]
                  ) -> list[tuple[str, tuple[FunctionKey, ...]]]:
        """Each full prefix of the router's routes, with the FastAPI dependencies met on the way to it
        (the application's and the outer routers' first)."""
        router = self.routers[key]
        if not router.parents or key in seen:
            return [(router.prefix, router.dependencies)]
        found: dict[str, tuple[FunctionKey, ...]] = {}
        for parent, override, given in router.parents:
            for outer, dependencies in self._prefixes(parent, seen | {key}):
                if router.framework == "flask":
                    own = override if override is not None else router.prefix
                    prefix = join_route(outer, own, "flask") if own else outer
                else:
                    prefix = outer + (override or "") + router.prefix
                found.setdefault(prefix, dependencies + given + router.dependencies)
        return list(found.items())

    def _registration(self, call: ast.Call, ctx: Context) -> None:
        assert isinstance(call.func, ast.Attribute)
        if call.func.attr not in ("register_blueprint", "include_router", "add_namespace") or not call.args:
            return
        parent, child = self._router(call.func.value, ctx), self._router(call.args[0], ctx)
        if parent is None or child is None:
            return
        override_key = {"register_blueprint": "url_prefix", "include_router": "prefix", "add_namespace": "path"}
        override = keyword(call, override_key[call.func.attr])
        value = literal_str(override, ctx) if override is not None else None
        if override is not None and value is None:
            self._dynamic_prefix(ctx.module.path, call.lineno, override)
        given = self.dependencies.of_list(keyword(call, "dependencies"), ctx) if call.func.attr == "include_router" else ()
        child[1].parents.append((parent[0], value, given))

    def _dynamic_prefix(self, path: str, line: int, node: ast.expr) -> None:
        """A prefix known only at run time (``prefix=settings.api_prefix``): the routes are mapped
        without it, and the map says so."""
        self.notes.append(MapNote(path, line, f"prefix {ast.unparse(node)[:60]} is computed at run time: the routes "
                                              "under it are listed without it"))

    def _decorated(self, function: PyFunction) -> Iterator[tuple[tuple[str, int, int], Endpoint]]:
        if function.cls is not None:
            return
        outer = function.qualname.rsplit(".<locals>.", 1)[0] if ".<locals>." in function.qualname else None
        ctx = Context(function.module, function.module.functions.get(outer) if outer else None)
        for decorator in function.node.decorator_list:
            if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
                    and decorator.func.attr in _ROUTE_DECORATORS):
                continue
            router = self._router(decorator.func.value, ctx)
            if router is None:
                continue
            rule_node = argument(decorator, 0, "rule" if router[1].framework == "flask" else "path")
            rule = literal_str(rule_node, ctx)
            if rule is None:
                self.notes.append(MapNote(function.module.path, decorator.lineno,
                                          f"route of {function.qualname} is computed at run time: not mapped"))
                continue
            verb = decorator.func.attr
            if verb in HTTP_VERBS:
                methods: tuple[str, ...] = (verb.upper(),)
            else:
                methods = tuple(m.upper() for m in literal_strings(keyword(decorator, "methods"), ctx) or ("GET",))
            key = FunctionKey(function.module.path, function.qualname)
            hooks = self.dependencies.of_route(function, decorator, ctx) if router[1].framework == "fastapi" else ()
            yield router[0], Endpoint(methods, rule, key, function.module.path, decorator.lineno, router[1].framework,
                                      hooks=hooks)

    def _add_rule(self, call: ast.Call, ctx: Context) -> Iterator[tuple[tuple[str, int, int], Endpoint]]:
        """``app.add_url_rule(rule, endpoint, view_func, methods=…)`` / ``app.add_api_route(path, endpoint)``."""
        assert isinstance(call.func, ast.Attribute)
        if call.func.attr == "add_resource":
            yield from self._add_resource(call, ctx)
            return
        if call.func.attr not in ("add_url_rule", "add_api_route"):
            return
        router = self._router(call.func.value, ctx)
        if router is None:
            return
        flask = call.func.attr == "add_url_rule"
        rule = literal_str(argument(call, 0, "rule" if flask else "path"), ctx)
        view = argument(call, 2, "view_func") if flask else argument(call, 1, "endpoint")
        path = ctx.module.path
        if rule is None:
            self.notes.append(MapNote(path, call.lineno, f"dynamic route: the rule of {call.func.attr} is computed "
                                                         "at run time: not mapped"))
            return
        if view is None:
            return
        declared = literal_strings(keyword(call, "methods"), ctx)
        for methods, handler in self._views(view, ctx, declared):
            yield router[0], Endpoint(methods, rule, handler, path, call.lineno, router[1].framework)
        if not list(self._views(view, ctx, declared)):
            self.notes.append(MapNote(path, call.lineno, f"view of {call.func.attr}({rule!r}) is not code of the "
                                                         "repository or not evident: route not followed"))

    def _views(self, view: ast.expr, ctx: Context, declared: tuple[str, ...] | None
               ) -> Iterator[tuple[tuple[str, ...], FunctionKey]]:
        if isinstance(view, ast.Call) and isinstance(view.func, ast.Attribute) and view.func.attr == "as_view":
            ref = self.resolver.resolve(view.func.value, ctx)
            if isinstance(ref, ClassRef):  # a MethodView: one endpoint per HTTP method it implements
                for verb in HTTP_VERBS:
                    method = self.resolver.handler_method(ref.cls, verb)
                    if method is not None and (declared is None or verb.upper() in declared):
                        yield (verb.upper(),), FunctionKey(method.module.path, method.qualname)
            return
        ref = self.resolver.resolve(view, ctx)
        if isinstance(ref, FunctionRef):
            methods = tuple(m.upper() for m in declared) if declared else ("GET",)
            yield methods, FunctionKey(ref.function.module.path, ref.function.qualname)

    def _add_resource(self, call: ast.Call, ctx: Context) -> Iterator[tuple[tuple[str, int, int], Endpoint]]:
        """Flask-RESTful / flask-restx: ``api.add_resource(OrderResource, "/orders/<int:id>", ...)``."""
        assert isinstance(call.func, ast.Attribute)
        router = self._router(call.func.value, ctx)
        if router is None or not call.args:
            return
        resource = self.resolver.resolve(call.args[0], ctx)
        rules = [literal_str(arg, ctx) for arg in call.args[1:]]
        if not isinstance(resource, ClassRef) or not rules or None in rules:
            self.notes.append(MapNote(ctx.module.path, call.lineno, "add_resource with a resource or URL known only "
                                                                    "at run time: not mapped"))
            return
        for rule in rules:
            for methods, handler in self._class_methods(resource.cls):
                yield router[0], Endpoint(methods, rule or "/", handler, ctx.module.path, call.lineno, "flask")

    def _resource_class(self, cls: PyClass) -> Iterator[tuple[tuple[str, int, int], Endpoint]]:
        """flask-restx: ``@ns.route("/<int:id>")`` on a Resource class."""
        ctx = Context(cls.module)
        for decorator in cls.node.decorator_list:
            if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
                    and decorator.func.attr == "route"):
                continue
            router = self._router(decorator.func.value, ctx)
            rules = [literal_str(arg, ctx) for arg in decorator.args]
            if router is None or not rules or None in rules:
                continue
            for rule in rules:
                for methods, handler in self._class_methods(cls):
                    yield router[0], Endpoint(methods, rule or "/", handler, cls.module.path, decorator.lineno,
                                              "flask")

    def _class_methods(self, cls: PyClass) -> Iterator[tuple[tuple[str, ...], FunctionKey]]:
        for verb in HTTP_VERBS:
            method = self.resolver.handler_method(cls, verb)
            if method is not None:
                yield (verb.upper(),), FunctionKey(method.module.path, method.qualname)
