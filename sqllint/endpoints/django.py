"""Django endpoints: ``urlpatterns`` of the URLconfs (``path``, ``re_path``, ``url``, ``include``) → views.

The root URLconf is ``ROOT_URLCONF`` from a settings module of the repository; without one, every
URLconf that no other one includes is a root. Function views take the methods their decorators allow
(``require_GET``, ``require_http_methods([...])``, DRF's ``api_view([...])``), else ``ANY``; class-based
views give one endpoint per HTTP method they implement (``get``, ``post``, …, inherited ones too);
``as_view({"get": "list"})`` maps methods to actions.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterator

from sqllint.endpoints.drf import DrfRouters
from sqllint.endpoints.model import Endpoint, FunctionKey, MapNote
from sqllint.endpoints.pyindex import (
    ClassRef,
    ExternalRef,
    FunctionRef,
    InstanceRef,
    ModuleRef,
    PyClass,
    PyFunction,
    PyModule,
    PythonIndex,
)
from sqllint.endpoints.pyresolve import Context, Resolver
from sqllint.endpoints.pyroutes import HTTP_VERBS, argument, literal_str, literal_strings

_ROUTE_FUNCTIONS = frozenset({"path", "re_path", "url"})
_METHOD_DECORATORS = {"require_GET": ("GET",), "require_POST": ("POST",), "require_safe": ("GET", "HEAD")}
MAX_INCLUDE_DEPTH = 12


def _patterns(module: PyModule) -> list[ast.expr]:
    """Every list assigned or added to ``urlpatterns`` at module level, in order."""
    found: list[ast.expr] = []
    for node in module.tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "urlpatterns" for t in node.targets):
            found = list(_list_items(node.value))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "urlpatterns" \
                and node.value is not None:
            found = list(_list_items(node.value))
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and node.target.id == "urlpatterns":
            found += list(_list_items(node.value))
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) \
                and isinstance(node.value.func, ast.Attribute) and isinstance(node.value.func.value, ast.Name) \
                and node.value.func.value.id == "urlpatterns":
            if node.value.func.attr == "append" and node.value.args:
                found.append(node.value.args[0])
            elif node.value.func.attr == "extend" and node.value.args:
                found += list(_list_items(node.value.args[0]))
    return found


def _list_items(node: ast.expr) -> Iterator[ast.expr]:
    if isinstance(node, (ast.List, ast.Tuple)):
        yield from node.elts
    elif isinstance(node, ast.Attribute) and node.attr == "urls":  # a DRF router's patterns
        yield node
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        yield from _list_items(node.left)
        yield from _list_items(node.right)


def _is_urlconf(module: PyModule) -> bool:
    return "urlpatterns" in module.globals


class DjangoRoutes:
    def __init__(self, index: PythonIndex, resolver: Resolver) -> None:
        self.index = index
        self.resolver = resolver
        self.notes: list[MapNote] = []
        self.routers = DrfRouters(index, resolver)

    def find(self) -> list[Endpoint]:
        urlconfs = [m for m in self.index.modules if _is_urlconf(m)]
        if not urlconfs:
            return []
        roots = self._roots(urlconfs)
        endpoints: list[Endpoint] = []
        for root in roots:
            endpoints.extend(self._conf(root, "", 0))
        return endpoints

    def _roots(self, urlconfs: list[PyModule]) -> list[PyModule]:
        for module in self.index.modules:
            for value in module.globals.get("ROOT_URLCONF", []):
                name = literal_str(value, Context(module))
                found = self.index.module(name, near=module) if name else None
                if found is not None:
                    return [found]
        included: set[int] = set()
        for module in urlconfs:
            for pattern in _patterns(module):
                if isinstance(pattern, ast.Call) and len(pattern.args) > 1:
                    target = self._include_target(pattern.args[1], Context(module))
                    if isinstance(target, PyModule):
                        included.add(id(target))
        return [m for m in urlconfs if id(m) not in included]

    def _include_target(self, node: ast.expr, ctx: Context) -> PyModule | list[ast.expr] | None:
        """What ``include(...)`` names: a URLconf module or a list of patterns."""
        if not (isinstance(node, ast.Call) and _callee_name(node.func) == "include" and node.args):
            return None
        target = node.args[0]
        if isinstance(target, ast.Tuple) and target.elts:  # include((patterns, app_name))
            target = target.elts[0]
        if isinstance(target, ast.Attribute) and target.attr == "urls":  # include(router.urls)
            return [target]
        name = literal_str(target, ctx)
        if name is not None:
            return self.index.module(name, near=ctx.module)
        if isinstance(target, (ast.List, ast.BinOp)):
            return list(_list_items(target))
        ref = self.resolver.resolve(target, ctx)
        if isinstance(ref, ModuleRef):
            return ref.module
        return None

    def _conf(self, module: PyModule, prefix: str, depth: int) -> Iterator[Endpoint]:
        if depth > MAX_INCLUDE_DEPTH:
            self.notes.append(MapNote(module.path, 1, "include() nesting too deep (a cycle?): not followed further"))
            return
        yield from self._entries(_patterns(module), Context(module), prefix, depth)

    def _entries(self, patterns: list[ast.expr], ctx: Context, prefix: str, depth: int) -> Iterator[Endpoint]:
        for pattern in patterns:
            if isinstance(pattern, ast.Attribute) and pattern.attr == "urls":
                key = self.routers.router(pattern.value, ctx)
                if key is not None:
                    yield from _under(prefix, self.routers.endpoints(key, prefix))
                continue
            if not (isinstance(pattern, ast.Call) and _callee_name(pattern.func) in _ROUTE_FUNCTIONS):
                continue
            route = literal_str(argument(pattern, 0, "route"), ctx)
            if route is None:
                self.notes.append(MapNote(ctx.module.path, pattern.lineno, "URL pattern is computed at run time: "
                                                                           "not mapped"))
                continue
            regex = _callee_name(pattern.func) != "path"
            part = route.removeprefix("^").removesuffix("$") if regex else route
            full = prefix + part
            view = argument(pattern, 1, "view")
            if view is None:
                continue
            included = self._include_target(view, ctx)
            if isinstance(included, PyModule):
                yield from self._conf(included, full, depth + 1)
                continue
            if isinstance(included, list):
                yield from self._entries(included, ctx, full, depth + 1)
                continue
            yield from _under(prefix, self._views(view, ctx, "/" + full.lstrip("/"), pattern.lineno))

    def _generic(self, cls: PyClass, route: str, path: str, line: int) -> Iterator[Endpoint]:
        """A class that implements no HTTP method itself: a generic view of Django answers for it and calls
        the class's overrides (get_queryset, get_context_data, form_valid …), whose queries count."""
        generic = self._generic_base(cls, frozenset())
        if generic is None:
            bases = ", ".join(self.resolver.external_bases(cls)) or "its base classes"
            yield Endpoint(("ANY",), route, None, path, line, "django",
                           f"{cls.name} implements no HTTP method itself: {bases} (outside the repository)")
            return
        verbs, called = _GENERIC_VIEWS[generic]
        hooks = [m for name in called if (m := self.resolver.method(cls, name)) is not None]
        keys = [FunctionKey(m.module.path, m.qualname) for m in hooks]
        note = f"{generic}'s get/post" + (f", running {', '.join(m.node.name for m in hooks)} of the repository"
                                          if hooks else " (outside the repository)")
        # the last override called is the handler; the ones before it run first, as hooks do
        yield Endpoint(verbs, route, keys[-1] if keys else None, path, line, "django", note, tuple(keys[:-1]))

    def _generic_base(self, cls: PyClass, seen: frozenset[int]) -> str | None:
        if id(cls) in seen:
            return None
        for name in self.resolver.external_bases(cls):
            if name.rsplit(".", 1)[-1] in _GENERIC_VIEWS:
                return name.rsplit(".", 1)[-1]
        for base in self.resolver.bases(cls):
            found = self._generic_base(base, seen | {id(cls)})
            if found is not None:
                return found
        return None

    def _unwrapped(self, view: ast.expr, ctx: Context) -> ast.expr:
        """The view inside ``login_required(View.as_view())``, ``csrf_exempt(view)``,
        ``cache_page(60)(view)``: a wrapper from outside the repository around a view of the repository."""
        while isinstance(view, ast.Call) and view.args and not _is_as_view(view):
            wrapper = self.resolver.resolve(view.func, ctx) if not isinstance(view.func, ast.Call) else None
            inner = view.args[0]
            if not (isinstance(view.func, ast.Call) or isinstance(wrapper, ExternalRef)):
                break
            if not (_is_as_view(inner) or isinstance(self.resolver.resolve(inner, ctx), FunctionRef)
                    or isinstance(inner, ast.Call)):
                break
            view = inner
        return view

    def _views(self, view: ast.expr, ctx: Context, route: str, line: int) -> Iterator[Endpoint]:
        path = ctx.module.path
        view = self._unwrapped(view, ctx)
        if _is_as_view(view):
            assert isinstance(view, ast.Call) and isinstance(view.func, ast.Attribute)
            ref = self.resolver.resolve(view.func.value, ctx)
            if isinstance(ref, InstanceRef):  # views.ResetPasswordView().as_view(): the same view
                ref = ClassRef(ref.cls)
            if isinstance(ref, ExternalRef):
                yield Endpoint(("ANY",), route, None, path, line, "django",
                               f"view {ref.name}: outside the repository")
                return
            if not isinstance(ref, ClassRef):
                self.notes.append(MapNote(path, line, f"view of {route} is not evident: not followed"))
                return
            actions = view.args[0] if view.args and isinstance(view.args[0], ast.Dict) else None
            mapping = ([(literal_str(k, ctx), literal_str(v, ctx)) for k, v in zip(actions.keys, actions.values)
                        if k is not None] if actions else [(verb, verb) for verb in HTTP_VERBS])
            found = False
            for verb, action in mapping:
                method = self.resolver.handler_method(ref.cls, action) if verb and action else None
                if method is not None:
                    found = True
                    yield Endpoint((verb.upper(),), route, FunctionKey(method.module.path, method.qualname), path,
                                   line, "django")
            if not found:
                yield from self._generic(ref.cls, route, path, line)
            return
        ref = self.resolver.resolve(view, ctx)
        if isinstance(ref, FunctionRef):
            yield Endpoint(_function_methods(ref.function), route,
                           FunctionKey(ref.function.module.path, ref.function.qualname), path, line, "django")
        elif isinstance(ref, ExternalRef):
            yield Endpoint(("ANY",), route, None, path, line, "django", f"view {ref.name}: outside the repository")
        else:
            self.notes.append(MapNote(path, line, f"view of {route} is not evident: not followed"))


# Django's generic views: the HTTP methods they answer and the methods of a subclass they call, in order
_GENERIC_VIEWS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "TemplateView": (("GET",), ("get_context_data",)),
    "ListView": (("GET",), ("get_queryset", "get_context_data")),
    "DetailView": (("GET",), ("get_queryset", "get_object", "get_context_data")),
    "CreateView": (("GET", "POST"), ("get_context_data", "form_valid")),
    "UpdateView": (("GET", "POST"), ("get_queryset", "get_object", "get_context_data", "form_valid")),
    "DeleteView": (("GET", "POST"), ("get_queryset", "get_object", "get_context_data", "form_valid", "delete")),
    "FormView": (("GET", "POST"), ("get_context_data", "form_valid")),
}


def _under(prefix: str, endpoints: Iterator[Endpoint]) -> Iterator[Endpoint]:
    """The endpoints with the include() prefix they are under recorded (a selector may leave it out)."""
    outer = "/" + prefix.strip("/")
    for endpoint in endpoints:
        yield dataclasses.replace(endpoint, prefix=outer) if outer != "/" and endpoint.route.startswith(outer) \
            else endpoint


def _is_as_view(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "as_view"


def _callee_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _function_methods(function: PyFunction) -> tuple[str, ...]:
    ctx = Context(function.module)
    for decorator in function.node.decorator_list:
        name = _callee_name(decorator.func if isinstance(decorator, ast.Call) else decorator)
        if name in _METHOD_DECORATORS:
            return _METHOD_DECORATORS[name]
        if isinstance(decorator, ast.Call) and name in ("require_http_methods", "api_view") and decorator.args:
            methods = literal_strings(decorator.args[0], ctx)
            if methods:
                return tuple(m.upper() for m in methods)
    return ("ANY",)
