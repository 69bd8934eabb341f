"""Go HTTP endpoints: where routes are registered, with their prefixes and handlers.

``net/http`` (``HandleFunc``/``Handle`` on ``http`` or a ``ServeMux``, Go 1.22 patterns such as
``"GET /orders/{id}"``, ``http.HandlerFunc(h)``), gorilla/mux (``.Methods("GET")``,
``PathPrefix("/api").Subrouter()``), gin and echo (``r.GET``, ``Group("/v1")``; echo's handler comes
before its middleware) and chi (``r.Get``, ``Method``, ``Route("/v1", func(r chi.Router) {…})``, ``Group``,
``With``). A registration counts when its file imports one of those packages and its path is a string
literal starting with ``/``; a handler factory (``s.handleOrders()``) is followed as the handler, the
closure it returns being in its body. Prefixes flow into the functions a router or group is handed to
(``users.Register(v1.Group("/users"))``, the way larger apps split their routes) and into a sub-router
built by a function and mounted (chi ``r.Mount("/admin", adminRouter())``), as into a router of the same
function mounted further down (``r.Mount("/api", api)``, ``root.Handle("/api/", http.StripPrefix("/api",
api))``, gorilla ``PathPrefix("/api").Handler(http.StripPrefix(…))``); another ``Mount`` is a note.
The calls are followed through ``goindex.GoIndex``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqllint.endpoints.goindex import GoFile, GoFunc, GoIndex, TypeRef
from sqllint.endpoints.gosyntax import call_args, call_method, string_value, walk
from sqllint.endpoints.model import Endpoint, FunctionKey, MapNote
from sqllint.extract.tsutil import field as child, line_of, named_children, text_of

if TYPE_CHECKING:
    from tree_sitter import Node

ROUTER_IMPORTS = (("net/http", "net/http"), ("github.com/gorilla/mux", "gorilla"), ("github.com/gin-gonic/gin", "gin"),
                  ("github.com/labstack/echo", "echo"), ("github.com/go-chi/chi", "chi"))
VERBS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_GO122 = re.compile(r"^(?P<method>[A-Z]+)\s+(?P<path>\S*/\S*)$")


# parameter types of a function that serves a request: net/http, gin, echo
_REQUEST_TYPES = ("http.ResponseWriter", "http.Request", "gin.Context", "echo.Context")
ROUTER_CONSTRUCTORS = frozenset({"Default", "New", "NewRouter", "NewServeMux", "NewMux"})
MOUNTED = "\0mounted"  # key of the prefixes map: where the routers a mounted function creates are mounted
MIDDLEWARE = "\0mw:"  # prefixes[MIDDLEWARE + router]: the repository middleware its routes run through
# prefixes[MOUNT_AT + router] = "parent\npath": a router of this function mounted in another one later on
# (chi ``r.Mount("/api", api)``, ``root.Handle("/api/", http.StripPrefix("/api", api))``)
MOUNT_AT = "\0at:"


@dataclass
class GoRoutes:
    index: GoIndex
    _delegated: set[FunctionKey] = field(default_factory=set)  # called with a router by another registration
    _stack: list[FunctionKey] = field(default_factory=list)
    _keys: dict[str, FunctionKey] = field(default_factory=dict)  # str(key) → key, for the middleware entries

    @staticmethod
    def routers(file: GoFile) -> set[str]:
        """The router packages a file imports."""
        return {name for path in file.imports.values() for prefix, name in ROUTER_IMPORTS if path.startswith(prefix)}

    def _registering(self) -> list[GoFunc]:
        return [f for f in self.index.declared if self.routers(f.file)]

    def endpoints(self) -> list[Endpoint]:
        """Every function of a router file is a root, except those another one hands a router (or a
        group) to: ``users.Register(v1.Group("/users"))`` registers their routes under ``/v1/users``."""
        by_root: list[tuple[FunctionKey, list[Endpoint]]] = []
        for func in self._registering():
            by_root.append((func.key, self._function_routes(func, self._router_params(func))))
        return list(dict.fromkeys(e for key, found in by_root if key not in self._delegated for e in found))

    def _function_routes(self, func: GoFunc, prefixes: dict[str, str]) -> list[Endpoint]:
        body = child(func.node, "body")
        if body is None or func.key in self._stack or len(self._stack) > 8:
            return []
        self._stack.append(func.key)
        try:
            return self._routes(func, body, {**prefixes, **_mount_points(body)}, self.index.locals_of(func, body))
        finally:
            self._stack.pop()

    def _router_params(self, func: GoFunc) -> dict[str, str]:
        """Parameters of a router type (``*gin.RouterGroup``, ``chi.Router``, ``*http.ServeMux`` …): no prefix
        of their own when the function is a root."""
        return {name: "" for name, (directory, kind) in func.params.items() if not directory and
                any(kind.startswith(path + ".") or kind.startswith(path + "/") for path, _ in ROUTER_IMPORTS)}

    def _delegation(self, func: GoFunc, call: Node, prefixes: dict[str, str],
                    locals_: dict[str, TypeRef]) -> list[Endpoint]:
        """A call of another registering function of the repository with a router or group argument."""
        callee = child(call, "function")
        if callee is None:
            return []
        target: GoFunc | None = None
        if callee.type == "identifier":
            target = self.index.funcs.get((func.file.directory, text_of(callee)))
        elif callee.type == "selector_expression":
            target = self.index.selector_target(func, callee, locals_)
        if target is None or not self.routers(target.file):
            return []
        names = [text_of(n) for d in named_children(child(target.node, "parameters") or target.node)
                 for n in d.children_by_field_name("name")]
        given = {name: prefix for name, arg in zip(names, call_args(call))
                 if (prefix := self._prefix_of(arg, prefixes)) is not None}
        if not given:
            return []
        self._delegated.add(target.key)
        return self._function_routes(target, {**self._router_params(target), **given})

    def _mounted(self, func: GoFunc, router: Node, prefix: str, locals_: dict[str, TypeRef]) -> list[Endpoint] | None:
        """chi ``r.Mount("/admin", adminRouter())``: the routes the function registers on the router it
        creates, under the mount point (None when the sub-router is not built by such a call)."""
        callee = child(router, "function") if router.type == "call_expression" else None
        target: GoFunc | None = None
        if callee is not None and callee.type == "identifier":
            target = self.index.funcs.get((func.file.directory, text_of(callee)))
        elif callee is not None and callee.type == "selector_expression":
            target = self.index.selector_target(func, callee, locals_)
        if target is None or not self.routers(target.file):
            return None
        self._delegated.add(target.key)
        return self._function_routes(target, {**self._router_params(target), MOUNTED: prefix})

    def _prefix_of(self, node: Node, prefixes: dict[str, str]) -> str | None:
        if node.type == "identifier":
            return prefixes.get(text_of(node))
        return self._group_prefix(node, prefixes)

    def _routes(self, func: GoFunc, body: Node, prefixes: dict[str, str], locals_: dict[str, TypeRef]) -> list[Endpoint]:
        found: list[Endpoint] = []
        for node in walk(body, skip_literals=True):
            if node.type in ("short_var_declaration", "assignment_statement"):
                left, right = named_children(child(node, "left") or node), named_children(child(node, "right") or node)
                for name, value in zip(left, right):
                    prefix = self._group_prefix(value, prefixes)
                    if prefix is None and value.type == "call_expression" and call_method(value) in ROUTER_CONSTRUCTORS:
                        prefix = prefixes.get(MOUNTED, "")  # r := gin.Default(), chi.NewRouter(), http.NewServeMux() …
                        if MOUNT_AT + text_of(name) in prefixes:  # mounted further down: under its mount point
                            parent, path = prefixes[MOUNT_AT + text_of(name)].split("\n", 1)
                            prefix = prefixes.get(parent, prefix).rstrip("/") + path
                    if prefix is not None:
                        prefixes[text_of(name)] = prefix
                        if value.type == "call_expression" and call_method(value) in ("Group", "Subrouter"):
                            # a group or sub-router runs its parent's middleware (gin: Group(path, mw…) adds more)
                            group = value if call_method(value) == "Group" else \
                                child(child(value, "function") or value, "operand") or value
                            own = call_args(value)[1:] if call_method(value) == "Group" else []
                            inherited = self._middleware(prefixes, _receiver_name(group))
                            self._set_middleware(prefixes, text_of(name),
                                                 inherited + self._resolve_all(func, own, locals_))
            elif node.type == "call_expression" and call_method(node) == "Use" and node.parent is not None \
                    and node.parent.type == "expression_statement":  # r.Use(app.authTokenMiddleware)
                receiver = _receiver_name(node)
                self._set_middleware(prefixes, receiver, self._middleware(prefixes, receiver)
                                     + self._resolve_all(func, call_args(node), locals_))
            elif node.type == "call_expression":
                found += self._registration(func, node, prefixes, locals_) or \
                    self._delegation(func, node, prefixes, locals_)
        return found

    def _middleware(self, prefixes: dict[str, str], router: str) -> tuple[FunctionKey, ...]:
        return tuple(self._keys[k] for k in prefixes.get(MIDDLEWARE + router, "").split("\n") if k)

    def _set_middleware(self, prefixes: dict[str, str], router: str, keys: tuple[FunctionKey, ...]) -> None:
        for key in keys:
            self._keys[str(key)] = key
        prefixes[MIDDLEWARE + router] = "\n".join(dict.fromkeys(str(k) for k in keys))

    def _resolve_all(self, func: GoFunc, nodes: list[Node], locals_: dict[str, TypeRef]) -> tuple[FunctionKey, ...]:
        """The middleware of the repository among ``nodes``: ``app.authTokenMiddleware``, ``AuthRequired()``,
        ``app.BasicAuthMiddleware()`` (a factory: the middleware is the closure in its body)."""
        found = []
        for node in nodes:
            target: GoFunc | None = None
            if node.type == "call_expression":
                target = self._callee(func, node, locals_)
            elif node.type == "identifier":
                target = self.index.funcs.get((func.file.directory, text_of(node)))
            elif node.type == "selector_expression":
                target = self.index.selector_target(func, node, locals_)
            if target is not None:
                found.append(target.key)
        return tuple(found)

    def _with(self, func: GoFunc, call: Node, locals_: dict[str, TypeRef]) -> tuple[FunctionKey, ...]:
        """chi's ``r.With(mw).Get(…)``: the middleware given to the With calls on the way to the router."""
        found: list[FunctionKey] = []
        function = child(call, "function")
        operand = child(function, "operand") if function is not None else None
        while operand is not None and operand.type == "call_expression" and call_method(operand) in ("With", "Use"):
            found[:0] = self._resolve_all(func, call_args(operand), locals_)
            inner = child(operand, "function")
            operand = child(inner, "operand") if inner is not None else None
        return tuple(found)

    @staticmethod
    def _group_prefix(value: Node, prefixes: dict[str, str]) -> str | None:
        """``r.Group("/v1")`` (gin, echo), ``r.PathPrefix("/api").Subrouter()`` (gorilla)."""
        call = value
        if call.type == "call_expression" and call_method(call) == "Subrouter":
            call = child(child(call, "function") or call, "operand") or call
        if call.type != "call_expression" or call_method(call) not in ("Group", "PathPrefix"):
            return None
        args = call_args(call)
        path = string_value(args[0]) if args else None
        if path is None:
            return None
        return prefixes.get(_receiver_name(call), "") + path

    def _registration(self, func: GoFunc, call: Node, prefixes: dict[str, str],
                      locals_: dict[str, TypeRef]) -> list[Endpoint]:
        name, args = call_method(call), call_args(call)
        receiver = _receiver_name(call)
        prefix = prefixes.get(receiver, "")
        routers = self.routers(func.file)
        if name in ("Route", "Group") and args and args[-1].type == "func_literal" and "chi" in routers:
            inner = dict(prefixes)
            path = string_value(args[0]) if name == "Route" and len(args) == 2 else ""
            params = self.index.params(func.file, args[-1])
            for param in params:
                inner[param] = prefix + (path or "")
                self._set_middleware(inner, param, self._middleware(prefixes, receiver))
            body = child(args[-1], "body")
            return self._routes(func, body, inner, {**locals_, **params}) if body is not None else []
        stripped = _strip_prefix(args[-1]) if name in ("Handle", "Handler") and args else None
        if stripped is not None:  # Handle("/api/", http.StripPrefix("/api", …)): the routes inside lack /api
            if stripped[1].type == "identifier" and MOUNT_AT + text_of(stripped[1]) in prefixes:
                return []  # a router of this function: its routes got the prefix where it was created
            mounted = self._mounted(func, stripped[1], prefix.rstrip("/") + stripped[0], locals_)
            if mounted is not None:
                return mounted
        if name == "Mount" and len(args) == 2 and args[1].type == "identifier" \
                and MOUNT_AT + text_of(args[1]) in prefixes:
            return []  # chi r.Mount("/api", api) of a router of this function: done where it was created
        if name == "Mount" and len(args) == 2 and string_value(args[0]) is not None:
            mounted = self._mounted(func, args[1], prefix + (string_value(args[0]) or ""), locals_)
            if mounted is not None:
                return mounted
            note = MapNote(func.file.path, line_of(call), f"router mounted at {string_value(args[0])!r}: "
                           "its routes are not mapped")
            if note not in self.index.notes:
                self.index.notes.append(note)
            return []
        methods: tuple[str, ...]
        around: list[Node] = []
        gin_handle = name == "Handle" and len(args) >= 3 and "gin" in routers  # Handle("GET", "/x", h)
        if name in ("HandleFunc", "Handle") and len(args) >= 2 and string_value(args[0]) is not None and not gin_handle:
            pattern = string_value(args[0]) or ""
            go122 = _GO122.match(pattern)
            methods, path = ((go122.group("method"),), go122.group("path")) if go122 else (("ANY",), pattern)
            if go122 is not None and not path.startswith("/"):
                path = "/" + path.split("/", 1)[1]  # a host in the pattern ("GET example.com/x")
            chained = _chained_methods(call)
            methods = chained or methods
            handler = args[-1]
        elif gin_handle and string_value(args[1]) is not None:
            methods, path, handler = ((_method_name(args[0]) or "ANY"),), string_value(args[1]) or "", args[-1]
        elif (name in VERBS or name == "Any") and len(args) >= 2 and routers & {"gin", "echo"}:
            methods, path = ((name,) if name != "Any" else ("ANY",)), string_value(args[0]) or ""
            handler = args[1] if "echo" in routers else args[-1]  # echo: (path, handler, middleware…)
            around = args[2:] if "echo" in routers else args[1:-1]  # gin: (path, middleware…, handler)
        elif name.upper() in VERBS and name[:1].isupper() and name[1:].islower() and len(args) >= 2 and "chi" in routers:
            methods, path, handler = (name.upper(),), string_value(args[0]) or "", args[-1]
        elif name in ("Method", "MethodFunc") and len(args) == 3 and "chi" in routers:
            methods, path, handler = ((_method_name(args[0]) or "ANY"),), string_value(args[1]) or "", args[-1]
        else:
            return []
        if not path.startswith("/"):
            return []
        framework = next((r for r in ("gin", "echo", "chi", "gorilla") if r in routers), "net/http")
        handler, wrappers = self._unwrap(func, handler, locals_)
        key = self._handler(func, handler, locals_)
        route = (prefix.rstrip("/") + path) if prefix else path
        note = None if key is not None else f"handler {text_of(handler)[:60]} is not a function of the repository"
        hooks = (self._middleware(prefixes, receiver) + self._with(func, call, locals_)
                 + self._resolve_all(func, around, locals_) + wrappers)
        return [Endpoint(methods, route, key, func.file.path, line_of(call), framework, note,
                         tuple(dict.fromkeys(h for h in hooks if h != key)), prefix=prefix.rstrip("/"))]

    def _unwrap(self, func: GoFunc, handler: Node, locals_: dict[str, TypeRef]) -> tuple[Node, tuple[FunctionKey, ...]]:
        """The handler inside middleware: ``dynamic.ThenFunc(app.home)`` (alice), ``handlers.LoggingHandler(out,
        h)``, ``app.requireAuthentication(app.home)``. A wrapper of the repository runs before the handler
        (a hook of the endpoint: its queries count); one from elsewhere is looked through."""
        hooks: list[FunctionKey] = []
        while handler.type == "call_expression" and call_method(handler) != "HandlerFunc":
            args = call_args(handler)
            inner = next((a for a in reversed(args) if self._handler_like(func, a, locals_)), None)
            if inner is None:
                break  # s.handleOrders(): a factory, followed as the handler
            wrapper = self._callee(func, handler, locals_)
            if wrapper is not None:
                hooks.append(wrapper.key)
            handler = inner
        return handler, tuple(dict.fromkeys(hooks))

    def _callee(self, func: GoFunc, call: Node, locals_: dict[str, TypeRef]) -> GoFunc | None:
        callee = child(call, "function")
        if callee is not None and callee.type == "identifier":
            return self.index.funcs.get((func.file.directory, text_of(callee)))
        if callee is not None and callee.type == "selector_expression":
            return self.index.selector_target(func, callee, locals_)
        return None

    def _handler_like(self, func: GoFunc, node: Node, locals_: dict[str, TypeRef]) -> bool:
        """A function of the repository that serves a request (its parameters say so), a literal, or
        another wrapped handler."""
        if node.type == "func_literal":
            return True
        if node.type == "call_expression":  # another wrapper, or a factory: s.handleOrders() returns the handler
            factory = self._callee(func, node, locals_)
            if factory is not None and any(r[1].endswith(("HandlerFunc", "Handler")) for r in factory.results):
                return True
            return any(self._handler_like(func, a, locals_) for a in call_args(node))
        target = None
        if node.type == "identifier":
            target = self.index.funcs.get((func.file.directory, text_of(node)))
        elif node.type == "selector_expression":
            target = self.index.selector_target(func, node, locals_)
        return target is not None and any(kind[1].endswith(_REQUEST_TYPES) for kind in target.params.values())

    def _handler(self, func: GoFunc, handler: Node, locals_: dict[str, TypeRef]) -> FunctionKey | None:
        while handler.type == "call_expression" and call_method(handler) == "HandlerFunc" and call_args(handler):
            handler = call_args(handler)[0]  # http.HandlerFunc(h)
        kind = self.index.type_of(func, handler, locals_)  # an http.Handler of the repository: its ServeHTTP
        serve = self.index.methods.get((kind[0], kind[1], "ServeHTTP")) if kind[0] else None
        if serve is not None:
            return serve.key
        if handler.type == "call_expression":  # s.handleOrders(): a factory whose returned closure serves
            handler = child(handler, "function") or handler
        if handler.type == "func_literal":
            return self.index.literal(func, handler)
        if handler.type == "identifier":
            target = self.index.funcs.get((func.file.directory, text_of(handler)))
            return target.key if target is not None else None
        if handler.type == "selector_expression":
            target = self.index.selector_target(func, handler, locals_)
            return target.key if target is not None else None
        return None


# --- helpers ---------------------------------------------------------------------------------------------------

def _receiver_name(call: Node) -> str:
    """The router variable a call is made on; through chi's ``r.With(mw).Get(…)`` and ``r.Use``."""
    function = child(call, "function")
    operand = child(function, "operand") if function is not None else None
    while operand is not None and operand.type == "call_expression" and call_method(operand) in ("With", "Use"):
        inner = child(operand, "function")
        operand = child(inner, "operand") if inner is not None else None
    return text_of(operand) if operand is not None else ""


def _strip_prefix(node: Node) -> tuple[str, Node] | None:
    """``http.StripPrefix("/api", handler)``: (the prefix, the handler)."""
    args = call_args(node) if node.type == "call_expression" and call_method(node) == "StripPrefix" else []
    path = string_value(args[0]) if len(args) == 2 else None
    return (path, args[1]) if path is not None else None


def _mount_points(body: Node) -> dict[str, str]:
    """Routers of a function that it mounts under a path: chi ``r.Mount("/api", api)``, net/http and
    gorilla ``Handle("/api/", http.StripPrefix("/api", api))``; as ``MOUNT_AT`` entries of the prefixes."""
    found, created = {}, set()
    for node in walk(body, skip_literals=True):
        if node.type in ("short_var_declaration", "assignment_statement"):
            left, right = named_children(child(node, "left") or node), named_children(child(node, "right") or node)
            created |= {text_of(n) for n, v in zip(left, right)
                        if v.type == "call_expression" and call_method(v) in ROUTER_CONSTRUCTORS}
        if node.type != "call_expression":
            continue
        name, args = call_method(node), call_args(node)
        mount: tuple[str | None, Node] | None = None
        if name == "Mount" and len(args) == 2:
            mount = (string_value(args[0]), args[1])
        elif name in ("Handle", "Handler") and args:
            mount = _strip_prefix(args[-1])
        if mount is not None and mount[0] is not None and mount[1].type == "identifier":
            found[text_of(mount[1])] = f"{_receiver_name(node)}\n{mount[0].rstrip('/')}"
    return {MOUNT_AT + name: at for name, at in found.items() if name in created}  # not a parameter's router


def _chained_methods(call: Node) -> tuple[str, ...]:
    """gorilla/mux: ``r.HandleFunc("/x", h).Methods("GET", "POST")``."""
    parent = call.parent
    if parent is not None and parent.type == "selector_expression" and text_of(child(parent, "field") or parent) == "Methods":
        outer = parent.parent
        if outer is not None and outer.type == "call_expression":
            return tuple(m for m in (_method_name(a) for a in call_args(outer)) if m)
    return ()


def _method_name(node: Node) -> str | None:
    """``"GET"`` or ``http.MethodGet``."""
    literal = string_value(node)
    if literal is not None:
        return literal.upper()
    if node.type == "selector_expression" and text_of(child(node, "field") or node).startswith("Method"):
        return text_of(child(node, "field") or node).removeprefix("Method").upper() or None
    return None
