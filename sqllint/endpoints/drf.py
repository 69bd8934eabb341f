"""Django REST framework routers: ``router.register("orders", OrderViewSet)`` → one endpoint per action.

A ViewSet's standard actions map to methods and paths as DRF's routers map them (``list``/``create`` on
the collection, ``retrieve``/``update``/``partial_update``/``destroy`` on ``<lookup>/``); ``@action``
methods add their own (``detail``, ``methods``, ``url_path``). Only actions the class (or a base class of
the repository) implements become endpoints with a handler; a ViewSet that implements none is listed
with the library class it relies on.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from sqllint.endpoints.model import Endpoint, FunctionKey
from sqllint.endpoints.pyindex import ClassRef, ExternalRef, PyClass, PythonIndex
from sqllint.endpoints.pyresolve import Context, Resolver
from sqllint.endpoints.pyroutes import argument, contexts, keyword, literal_str, literal_strings

ACTIONS = (("list", "GET", False), ("create", "POST", False), ("retrieve", "GET", True), ("update", "PUT", True),
           ("partial_update", "PATCH", True), ("destroy", "DELETE", True))
RouterKey = tuple[str, int, int]
# actions rest_framework's classes provide, by the last part of their name
LIBRARY_ACTIONS = {"ModelViewSet": {a for a, _, _ in ACTIONS}, "ReadOnlyModelViewSet": {"list", "retrieve"},
                   "ListModelMixin": {"list"}, "CreateModelMixin": {"create"}, "RetrieveModelMixin": {"retrieve"},
                   "UpdateModelMixin": {"update", "partial_update"}, "DestroyModelMixin": {"destroy"}}
# the methods a library action calls, which a ViewSet of the repository overrides to do its own reading
_LOOKUP = ("get_queryset", "filter_queryset", "get_object")
ACTION_HOOKS = {"list": ("get_queryset", "filter_queryset"), "retrieve": _LOOKUP, "create": ("perform_create",),
                "update": (*_LOOKUP, "perform_update"), "partial_update": (*_LOOKUP, "perform_update"),
                "destroy": (*_LOOKUP, "perform_destroy")}


class DrfRouters:
    def __init__(self, index: PythonIndex, resolver: Resolver) -> None:
        self.resolver = resolver
        self.registrations: dict[RouterKey, list[tuple[str, ast.expr, Context, int]]] = {}
        for module in index.modules:
            if b".register(" not in module.source and module.source:
                continue
            for node, ctx in contexts(module):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "register":
                    key = self.router(node.func.value, ctx)
                    prefix = literal_str(argument(node, 0, "prefix"), ctx)
                    viewset = argument(node, 1, "viewset")
                    if key is not None and prefix is not None and viewset is not None:
                        self.registrations.setdefault(key, []).append((prefix, viewset, ctx, node.lineno))

    def router(self, node: ast.expr, ctx: Context) -> RouterKey | None:
        ref = self.resolver.resolve(node, ctx)
        if not isinstance(ref, ExternalRef) or ref.call is None or ref.module is None:
            return None
        if not ref.name.removesuffix("()").rsplit(".", 1)[-1].endswith("Router"):
            return None
        return (ref.module.path, ref.call.lineno, ref.call.col_offset)

    def endpoints(self, key: RouterKey, prefix: str) -> Iterator[Endpoint]:
        for register_prefix, viewset, ctx, line in self.registrations.get(key, []):
            base = "/" + "/".join(p.strip("/") for p in (prefix, register_prefix) if p.strip("/")) + "/"
            ref = self.resolver.resolve(viewset, ctx)
            if not isinstance(ref, ClassRef):
                name = ref.name if isinstance(ref, ExternalRef) else ast.unparse(viewset)
                yield Endpoint(("ANY",), base, None, ctx.module.path, line, "django",
                               f"viewset {name}: outside the repository or not evident")
                continue
            found = list(self._actions(ref.cls, base, ctx.module.path, line))
            if found:
                yield from found
            else:
                bases = ", ".join(self.resolver.external_bases(ref.cls)) or "its base classes"
                yield Endpoint(("ANY",), base, None, ctx.module.path, line, "django",
                               f"{ref.cls.name} implements no action itself: {bases} (outside the repository)")

    def _library_actions(self, cls: PyClass, seen: frozenset[int]) -> dict[str, str]:
        """Action → the rest_framework class providing it, over the class and its bases of the repository."""
        found: dict[str, str] = {}
        if id(cls) in seen:
            return found
        for name in self.resolver.external_bases(cls):
            for action in LIBRARY_ACTIONS.get(name.rsplit(".", 1)[-1], ()):
                found.setdefault(action, name.rsplit(".", 1)[-1])
        for base in self.resolver.bases(cls):
            for action, name in self._library_actions(base, seen | {id(cls)}).items():
                found.setdefault(action, name)
        return found

    def _actions(self, cls: PyClass, base: str, path: str, line: int) -> Iterator[Endpoint]:
        lookup = "pk"
        for value, _method, is_annotation in cls.attributes.get("lookup_field", []):
            lookup = (None if is_annotation else literal_str(value, Context(cls.module))) or lookup
        detail_path = f"{base}<{lookup}>/"
        provided = self._library_actions(cls, frozenset())
        for action, verb, detail in ACTIONS:
            method = self.resolver.method(cls, action)
            if method is not None:
                yield Endpoint((verb,), detail_path if detail else base, FunctionKey(method.module.path, method.qualname),
                               path, line, "django")
            elif action in provided:  # ModelViewSet.list …: DRF's code, calling the repository's overrides
                hooks = [m for name in ACTION_HOOKS[action] if (m := self.resolver.method(cls, name)) is not None]
                keys = [FunctionKey(m.module.path, m.qualname) for m in hooks]
                note = (f"{action} is {provided[action]}'s" + (f", running {', '.join(m.node.name for m in hooks)} of "
                                                               "the repository" if hooks else " (outside the repository)"))
                # the last override called is the handler; the ones before it run first, as hooks do
                yield Endpoint((verb,), detail_path if detail else base, keys[-1] if keys else None, path, line,
                               "django", note, tuple(keys[:-1]))
        for name, method in cls.methods.items():
            for decorator in method.node.decorator_list:
                if not (isinstance(decorator, ast.Call) and getattr(decorator.func, "id", getattr(decorator.func, "attr", ""))
                        == "action"):
                    continue
                ctx = Context(cls.module)
                detail = keyword(decorator, "detail")
                url_path = literal_str(keyword(decorator, "url_path"), ctx) or name
                methods = literal_strings(keyword(decorator, "methods"), ctx) or ("get",)
                on_detail = isinstance(detail, ast.Constant) and detail.value is True
                yield Endpoint(tuple(m.upper() for m in methods), f"{detail_path if on_detail else base}{url_path}/",
                               FunctionKey(method.module.path, method.qualname), path, line, "django")
