"""What the Python modules of a repository define and import, and what a name or call refers to.

Resolution is static and deliberately modest: module functions, imported names (``from a.b import f``,
``import a.b as m``, relative imports), classes of the repository and the methods of instances whose type
is evident — a constructor call (``dao = OrderDao()``), an annotation (``dao: OrderDao``, ``Optional[…]``,
``Annotated[…]``), a function's return annotation or its ``return Cls(...)``, ``self`` and attributes set
in ``__init__`` (``self.dao = dao`` with ``dao: OrderDao``). Anything else is unresolved, never guessed.
"""

from __future__ import annotations

import ast
import builtins
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

BUILTINS = frozenset(dir(builtins))
_INITIALISERS = ("__init__", "__post_init__", "setup", "setUp")
STDLIB = frozenset(getattr(sys, "stdlib_module_names", ()))


@dataclass
class PyFunction:
    qualname: str
    module: PyModule
    node: ast.FunctionDef | ast.AsyncFunctionDef
    cls: PyClass | None = None
    _locals: dict[str, list] | None = None  # name → assigned expressions (pyresolve)
    _nested: dict[str, PyFunction] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        names = {d.id for d in self.node.decorator_list if isinstance(d, ast.Name)}
        return "static" if "staticmethod" in names else "class" if "classmethod" in names else "instance"


@dataclass
class PyClass:
    name: str
    qualname: str
    module: PyModule
    node: ast.ClassDef
    methods: dict[str, PyFunction] = field(default_factory=dict)
    # attribute → (expression or annotation, the method it was set in, is_annotation); the ``self.x = …``
    # ones are added on first use (``self_attributes``): most classes are never asked about
    attributes: dict[str, list[tuple[ast.expr, PyFunction | None, bool]]] = field(default_factory=dict)
    _scanned: set[str] = field(default_factory=set)  # methods already scanned for ``self.x = …``

    def attribute_values(self, name: str) -> list[tuple[ast.expr, PyFunction | None, bool]]:
        """What ``self.<name>`` is set to: class body, then ``__init__``, then the other methods."""
        for method_name in _INITIALISERS + tuple(self.methods):
            if name in self.attributes:
                break
            method = self.methods.get(method_name)
            if method is not None and method_name not in self._scanned:
                self._scanned.add(method_name)
                _self_attributes(method, self)
        return self.attributes.get(name, [])


@dataclass
class PyModule:
    name: str  # dotted, from the package layout (``__init__.py`` files)
    path: str  # display path (what Query.path holds)
    absolute: Path
    tree: ast.Module
    functions: dict[str, PyFunction] = field(default_factory=dict)  # every def, by qualname
    classes: dict[str, PyClass] = field(default_factory=dict)  # top-level classes by name
    imports: dict[str, tuple[int, str, str | None]] = field(default_factory=dict)  # alias → (level, module, name)
    globals: dict[str, list[ast.expr]] = field(default_factory=dict)
    source: bytes = b""  # for cheap "does this module mention X" checks before walking its tree
    index: PythonIndex | None = field(default=None, repr=False, compare=False)  # the index it belongs to

    def imported_global(self, name: str, depth: int = 0) -> tuple[PyModule, ast.expr] | None:
        """The one value a name imported from another module of the repository is bound to there
        (``from app.core.config import API_PREFIX``, ``API_PREFIX = "/api"`` in that module)."""
        if self.index is None or name not in self.imports:
            return None
        level, source, member = self.imports[name]
        target = (self.index.relative_module(self, level, source) if level
                  else self.index.module(source, near=self))
        if target is None or member is None or target is self or depth > 4:
            return None
        values = target.globals.get(member, [])
        if len(values) == 1:
            return target, values[0]
        return target.imported_global(member, depth + 1) if member in target.imports else None  # re-exported


# --- what a name refers to ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ModuleRef:
    module: PyModule


@dataclass(frozen=True)
class ClassRef:
    cls: PyClass


@dataclass(frozen=True)
class InstanceRef:
    cls: PyClass


@dataclass(frozen=True)
class FunctionRef:
    function: PyFunction


@dataclass(frozen=True)
class ExternalRef:
    """Something outside the repository, by the dotted name it was imported as (``requests.get``)."""

    name: str
    call: ast.Call | None = None  # set on an object constructed by an external call (``Flask(__name__)``)
    module: PyModule | None = None  # where that call sits

    @property
    def top(self) -> str:
        return self.name.split(".", 1)[0]


Ref = ModuleRef | ClassRef | InstanceRef | FunctionRef | ExternalRef


def module_name(absolute: Path) -> str:
    """Dotted name from the package layout: parents with ``__init__.py`` are packages."""
    parts = [] if absolute.stem == "__init__" else [absolute.stem]
    directory = absolute.parent
    while (directory / "__init__.py").exists() and directory.parent != directory:
        parts.insert(0, directory.name)
        directory = directory.parent
    return ".".join(parts) or absolute.stem


class PythonIndex:
    """Every parsed module of the repository, with lookups by dotted name and by file."""

    def __init__(self) -> None:
        self.modules: list[PyModule] = []
        self.by_name: dict[str, list[PyModule]] = {}
        self.by_file: dict[Path, PyModule] = {}
        self.callable_names: set[str] = set()  # every def name: an unresolved call to one is worth a note

    def add(self, path: str, absolute: Path, tree: ast.Module, source: bytes = b"") -> PyModule:
        module = PyModule(module_name(absolute), path, absolute, tree, source=source, index=self)
        self.modules.append(module)
        self.by_file[absolute.resolve()] = module
        # Registered under every dotted suffix of its path too: namespace packages and src/ layouts
        # import by names that the __init__.py files alone do not give.
        dotted = [p for p in absolute.with_suffix("").parts]
        if dotted and dotted[-1] == "__init__":
            dotted = dotted[:-1]
        names = {module.name} | {".".join(dotted[i:]) for i in range(max(0, len(dotted) - 4), len(dotted))}
        for name in names:
            self.by_name.setdefault(name, []).append(module)
        _Indexer(self, module).run()
        return module

    def module(self, name: str, near: PyModule | None = None) -> PyModule | None:
        found = self.by_name.get(name, [])
        if len(found) > 1:  # the package-derived name wins, then the module nearest the importer
            exact = [m for m in found if m.name == name]
            found = exact or found
            if near is not None and len(found) > 1:
                found = sorted(found, key=lambda m: -_common_prefix(m.absolute, near.absolute))
        return found[0] if found else None

    def relative_module(self, importer: PyModule, level: int, name: str) -> PyModule | None:
        base = importer.absolute.parent
        for _ in range(level - 1):
            base = base.parent
        target = base.joinpath(*name.split(".")) if name else base
        for candidate in (target.with_suffix(".py"), target / "__init__.py"):
            found = self.by_file.get(candidate.resolve())
            if found is not None:
                return found
        return None

    def functions(self) -> Iterator[PyFunction]:
        for module in self.modules:
            yield from module.functions.values()


def _common_prefix(a: Path, b: Path) -> int:
    count = 0
    for x, y in zip(a.parts, b.parts):
        if x != y:
            break
        count += 1
    return count


class _Indexer:
    def __init__(self, index: PythonIndex, module: PyModule) -> None:
        self.index = index
        self.module = module

    def run(self) -> None:
        self._body(self.module.tree.body, "", None, top=True)

    def _body(self, body: list[ast.stmt], prefix: str, cls: PyClass | None, top: bool,
              outer: PyFunction | None = None) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                function = PyFunction(f"{prefix}{node.name}", self.module, node, cls)
                self.module.functions[function.qualname] = function
                self.index.callable_names.add(node.name)
                if cls is not None:
                    cls.methods[node.name] = function
                if outer is not None:
                    outer._nested[node.name] = function
                self._body(node.body, f"{function.qualname}.<locals>.", None, top=False, outer=function)
            elif isinstance(node, ast.ClassDef):
                inner = PyClass(node.name, f"{prefix}{node.name}", self.module, node)
                if top:
                    self.module.classes[node.name] = inner
                for stmt in node.body:  # class-level attributes: ``dao: OrderDao``, ``dao = OrderDao()``
                    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                        inner.attributes.setdefault(stmt.target.id, []).append((stmt.annotation, None, True))
                    elif isinstance(stmt, ast.Assign):
                        for target in stmt.targets:
                            if isinstance(target, ast.Name):
                                inner.attributes.setdefault(target.id, []).append((stmt.value, None, False))
                self._body(node.body, f"{prefix}{node.name}.", inner, top=False)
            elif top:
                self._top_level(node)

    def _top_level(self, node: ast.stmt) -> None:
        module = self.module
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    module.imports[alias.asname] = (0, alias.name, None)
                else:  # ``import a.b`` binds ``a``
                    top = alias.name.split(".", 1)[0]
                    module.imports[top] = (0, top, None)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name != "*":
                    module.imports[alias.asname or alias.name] = (node.level, node.module or "", alias.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    module.globals.setdefault(target.id, []).append(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            module.globals.setdefault(node.target.id, []).append(node.annotation)
            if node.value is not None:
                module.globals[node.target.id].append(node.value)
        elif isinstance(node, (ast.If, ast.Try)):  # ``try: import x except ImportError: …``, TYPE_CHECKING
            for block in (node.body, getattr(node, "orelse", []), *(h.body for h in getattr(node, "handlers", []))):
                for stmt in block:
                    self._top_level(stmt)



def _self_attributes(method: PyFunction, cls: PyClass) -> None:
    """``self.x = …`` and ``self.x: T = …`` anywhere in a method (``__init__`` mostly)."""
    args = method.node.args.posonlyargs + method.node.args.args
    if not args or method.kind != "instance":
        return
    me = args[0].arg
    for node in _walk_shallow(method.node.body):
        targets: list[tuple[ast.expr, ast.expr, bool]] = []
        if isinstance(node, ast.Assign):
            targets = [(t, node.value, False) for t in node.targets]
        elif isinstance(node, ast.AnnAssign):
            targets = [(node.target, node.annotation, True)]
        for target, value, is_annotation in targets:
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == me:
                cls.attributes.setdefault(target.attr, []).append((value, method, is_annotation))


def children(node: ast.AST) -> list[ast.AST]:
    """The node's children in field order (``ast.iter_child_nodes`` without its generator overhead)."""
    found: list[ast.AST] = []
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            found.append(value)
        elif isinstance(value, list):
            found.extend(item for item in value if isinstance(item, ast.AST))
    return found


_NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _walk_shallow(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Every node of a function body in pre-order, without entering nested functions, classes or lambdas."""
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child for child in reversed(children(node)) if not isinstance(child, _NESTED_SCOPES))


def walk_shallow(body: list[ast.stmt]) -> Iterator[ast.AST]:
    return _walk_shallow(body)
