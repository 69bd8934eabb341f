"""What a Python expression refers to, within one function or at module level (see ``pyindex``)."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from sqllint.endpoints.pyindex import (
    BUILTINS,
    ClassRef,
    ExternalRef,
    FunctionRef,
    InstanceRef,
    ModuleRef,
    PyClass,
    PyFunction,
    PyModule,
    PythonIndex,
    Ref,
    walk_shallow,
)
from sqllint.extract.pyreceivers import annotation_expression

_WRAPPERS = frozenset({"Optional", "Annotated", "Union", "Final", "ClassVar", "Type", "type"})


@dataclass(frozen=True)
class Context:
    module: PyModule
    function: PyFunction | None = None


class Resolver:
    def __init__(self, index: PythonIndex) -> None:
        self.index = index
        self._active: set[tuple[int, int]] = set()  # (id of expression, id of context) being resolved
        # Answers, by (expression, context): a module global such as ``service = OrderService(Dao())`` is
        # asked about once per call through it. Trees and contexts live as long as the resolver.
        self._known: dict[tuple[int, int], Ref | None] = {}
        self._cuts = 0  # how many times the cycle guard answered None

    # --- entry points ---------------------------------------------------------------------------------
    def resolve(self, node: ast.expr, ctx: Context) -> Ref | None:
        key = (id(node), id(ctx.function) if ctx.function else id(ctx.module))
        if key in self._known:
            return self._known[key]
        if key in self._active:  # ``x = x.next`` and friends
            self._cuts += 1
            return None
        self._active.add(key)
        cuts = self._cuts
        try:
            found = self._resolve(node, ctx)
        finally:
            self._active.discard(key)
        if cuts == self._cuts:  # an answer that met a cycle may be partial: keep only complete ones
            self._known[key] = found
        return found

    def annotation(self, node: ast.expr | None, ctx: Context) -> Ref | None:
        """The class an annotation names, as an instance."""
        node = annotation_expression(node)
        if node is None:
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):  # ``Dao | None``
            return self.annotation(node.left, ctx) or self.annotation(node.right, ctx)
        if isinstance(node, ast.Subscript):
            base = node.value.attr if isinstance(node.value, ast.Attribute) else getattr(node.value, "id", "")
            if base in _WRAPPERS:
                inner = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
                for item in inner[:1] if base == "Annotated" else inner:
                    found = self.annotation(item, ctx)
                    if found is not None:
                        return found
            return None
        ref = self.resolve(node, ctx)
        if isinstance(ref, ClassRef):
            return InstanceRef(ref.cls)
        if isinstance(ref, ExternalRef):
            return ExternalRef(ref.name + "()")
        return None

    def method(self, cls: PyClass, name: str, seen: frozenset[int] = frozenset()) -> PyFunction | None:
        """A method by name on a class of the repository or its bases (in declaration order)."""
        if id(cls) in seen:
            return None
        if name in cls.methods:
            return cls.methods[name]
        for base in self.bases(cls):
            found = self.method(base, name, seen | {id(cls)})
            if found is not None:
                return found
        return None

    def bases(self, cls: PyClass) -> list[PyClass]:
        found = []
        for base in cls.node.bases:
            ref = self.resolve(base, Context(cls.module))
            if isinstance(ref, ClassRef) and ref.cls is not cls:
                found.append(ref.cls)
        return found

    def handler_method(self, cls: PyClass, name: str) -> PyFunction | None:
        """``method``, but not a base class's placeholder (``def post(self): raise NotImplementedError``): a
        resource base class declares every verb, and a subclass answers only those it overrides."""
        found = self.method(cls, name)
        return None if found is None or _placeholder(found) else found

    def external_bases(self, cls: PyClass) -> list[str]:
        names = []
        for base in cls.node.bases:
            ref = self.resolve(base, Context(cls.module))
            if isinstance(ref, ExternalRef):
                names.append(ref.name)
        return names

    # --- resolution ------------------------------------------------------------------------------------
    def _resolve(self, node: ast.expr, ctx: Context) -> Ref | None:
        if isinstance(node, ast.Name):
            return self._name(node.id, ctx)
        if isinstance(node, ast.Attribute):
            if _is_super_call(node.value) and ctx.function is not None and ctx.function.cls is not None:
                for base in self.bases(ctx.function.cls):
                    found = self.method(base, node.attr)
                    if found is not None:
                        return FunctionRef(found)
                return None
            base = self.resolve(node.value, ctx)
            return self.attribute(base, node.attr) if base is not None else None
        if isinstance(node, ast.Call):
            return self._call_result(node, ctx)
        if isinstance(node, ast.Await):
            return self.resolve(node.value, ctx)
        return None

    def attribute(self, base: Ref, name: str) -> Ref | None:
        if isinstance(base, ModuleRef):
            return self._module_member(base.module, name)
        if isinstance(base, ExternalRef):
            return ExternalRef(f"{base.name}.{name}")
        if isinstance(base, (ClassRef, InstanceRef)):
            method = self.method(base.cls, name)
            if method is not None and isinstance(base, InstanceRef) and _is_property(method):
                return self.returns(method)  # ``self.repo`` where ``repo`` is a @property / @cached_property
            if method is not None:
                return FunctionRef(method)
            return self._class_attribute(base.cls, name)
        return None

    def _class_attribute(self, cls: PyClass, name: str, seen: frozenset[int] = frozenset()) -> Ref | None:
        if id(cls) in seen:
            return None
        for value, method, is_annotation in cls.attribute_values(name):
            ctx = Context(cls.module, method)
            found = self.annotation(value, ctx) if is_annotation else self.resolve(value, ctx)
            if found is not None:
                return found
        for base in self.bases(cls):
            found = self._class_attribute(base, name, seen | {id(cls)})
            if found is not None:
                return found
        return None

    def _call_result(self, node: ast.Call, ctx: Context) -> Ref | None:
        """What a call returns, when evident: an instance of a class, an external object."""
        callee = self.resolve(node.func, ctx)
        if isinstance(callee, ClassRef):
            return InstanceRef(callee.cls)
        if isinstance(callee, ExternalRef):
            return ExternalRef(callee.name + "()", node, ctx.module)
        if isinstance(callee, FunctionRef):
            return self.returns(callee.function)
        return None

    def returns(self, function: PyFunction) -> Ref | None:
        ctx = Context(function.module, function)
        found = self.annotation(function.node.returns, ctx)
        if found is not None:
            return found
        for node in walk_shallow(function.node.body):  # ``return OrderService(Dao())``: a factory
            if isinstance(node, ast.Return) and isinstance(node.value, ast.Call):
                result = self.resolve(node.value, ctx)
                if isinstance(result, InstanceRef):
                    return result
        return None

    def _name(self, name: str, ctx: Context) -> Ref | None:
        function = ctx.function
        if function is not None:
            local = self._local(function, name, ctx)
            if local is not None:
                return local
            if name in self.locals_of(function):  # a local of unknown type shadows the module's name
                return None
        return self._module_member(ctx.module, name, local_only=False)

    def _local(self, function: PyFunction, name: str, ctx: Context) -> Ref | None:
        if name in function._nested:
            return FunctionRef(function._nested[name])
        args = function.node.args
        params = args.posonlyargs + args.args
        if function.cls is not None and params and params[0].arg == name:
            if function.kind == "instance":
                return InstanceRef(function.cls)
            if function.kind == "class":
                return ClassRef(function.cls)
        defaults = dict(zip([a.arg for a in params][len(params) - len(args.defaults):], args.defaults))
        defaults.update((a.arg, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None)
        for arg in params + args.kwonlyargs:
            if arg.arg == name:
                return self.annotation(arg.annotation, ctx) or self._injected(defaults.get(name), ctx)
        for value in self.locals_of(function).get(name, []):
            if isinstance(value, _Import):
                found = self._imported(function.module, value.level, value.module, value.name)
            elif isinstance(value, _Annotation):
                found = self.annotation(value.annotation, ctx)
            else:
                found = self.resolve(value, ctx)
            if found is not None:
                return found
        return None

    def _injected(self, default: ast.expr | None, ctx: Context) -> Ref | None:
        """FastAPI's ``service=Depends(get_service)``: what the dependency returns."""
        if not (isinstance(default, ast.Call) and default.args and isinstance(default.func, (ast.Name, ast.Attribute))):
            return None
        name = default.func.id if isinstance(default.func, ast.Name) else default.func.attr
        if name != "Depends":
            return None
        provider = self.resolve(default.args[0], ctx)
        if isinstance(provider, FunctionRef):
            return self.returns(provider.function)
        return InstanceRef(provider.cls) if isinstance(provider, ClassRef) else None

    def locals_of(self, function: PyFunction) -> dict[str, list[ast.expr | _Annotation | _Import]]:
        if function._locals is None:
            found: dict[str, list[ast.expr | _Annotation | _Import]] = {}
            for node in walk_shallow(function.node.body):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            found.setdefault(target.id, []).append(node.value)
                elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                    found.setdefault(node.target.id, []).insert(0, _Annotation(node.annotation))
                elif isinstance(node, (ast.Import, ast.ImportFrom)):  # imports inside the function
                    for alias in node.names:
                        if isinstance(node, ast.ImportFrom) and alias.name != "*":
                            found.setdefault(alias.asname or alias.name, []).append(
                                _Import(node.level, node.module or "", alias.name))
                        elif isinstance(node, ast.Import):
                            bound = alias.asname or alias.name.split(".", 1)[0]
                            found.setdefault(bound, []).append(_Import(0, alias.name if alias.asname else bound, None))
                elif isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name):
                    found.setdefault(node.optional_vars.id, []).append(node.context_expr)
                elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                    for target in ast.walk(node.target):
                        if isinstance(target, ast.Name):
                            found.setdefault(target.id, [])
            function._locals = found
        return function._locals

    def _module_member(self, module: PyModule, name: str, local_only: bool = False) -> Ref | None:
        if name in module.functions and "." not in name:
            return FunctionRef(module.functions[name])
        if name in module.classes:
            return ClassRef(module.classes[name])
        if name in module.imports:
            return self._imported(module, *module.imports[name])
        if name in module.globals:
            for value in module.globals[name]:
                found = self.resolve(value, Context(module))
                if found is not None:
                    return found
            return None
        # a submodule of a package (``import shop`` then ``shop.orders``)
        if module.absolute.name == "__init__.py":
            sub = self.index.relative_module(module, 1, name)
            if sub is not None:
                return ModuleRef(sub)
        if not local_only and name in BUILTINS:
            return None
        return None

    def _imported(self, module: PyModule, level: int, source: str, name: str | None) -> Ref | None:
        if level:
            target = self.index.relative_module(module, level, source)
            if target is None:
                return None
        else:
            target = self.index.module(source, near=module)
            if target is None:
                return ExternalRef(f"{source}.{name}" if name else source)
        if name is None:
            return ModuleRef(target)
        member = self._module_member(target, name, local_only=True)
        if member is not None:
            return member
        sub = self.index.relative_module(target, 1, name) if target.absolute.name == "__init__.py" else None
        if sub is None and not level:
            sub = self.index.module(f"{source}.{name}", near=module)
        return ModuleRef(sub) if sub is not None else None


class _Annotation:
    """An annotated local (``dao: OrderDao = make()``): its annotation is the evidence."""

    __slots__ = ("annotation",)

    def __init__(self, annotation: ast.expr) -> None:
        self.annotation = annotation


class _Import:
    """A name bound by an import inside a function (``from flaskr import blog`` in an app factory)."""

    __slots__ = ("level", "module", "name")

    def __init__(self, level: int, module: str, name: str | None) -> None:
        self.level, self.module, self.name = level, module, name


def _is_property(function: PyFunction) -> bool:
    for decorator in function.node.decorator_list:
        name = decorator.attr if isinstance(decorator, ast.Attribute) else getattr(decorator, "id", "")
        if name in ("property", "cached_property"):
            return True
    return False


def _placeholder(function: PyFunction) -> bool:
    """A body that only raises NotImplementedError (after an optional docstring)."""
    body = [n for n in function.node.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    exc = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def _is_super_call(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"
