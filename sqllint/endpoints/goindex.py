"""The Go call graph the endpoint chains follow (``goroutes`` finds the routes).

Calls are resolved with the types the code states: parameters and receivers, ``x := &T{…}``,
``x := NewT(…)`` (the function's first result), ``var x T``, struct fields, package-qualified calls into
the module (``go.mod``). A method whose receiver type is unknown is followed when exactly one method of
that name exists in the repository. Calls into the standard library are not followed quietly; calls
into other modules end the branch with a stop that says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqllint.endpoints.gosyntax import call_args, module_of, ordered_calls, standard, walk
from sqllint.endpoints.gowiring import Wiring
from sqllint.endpoints.model import CallSite, Event, FunctionKey, MapNote
from sqllint.extract.golang import _scope_name as go_scope_name
from sqllint.extract.tsutil import column_of, field as child, line_of, named_children, parse, text_of
from sqllint.files import SourceFile, read_source

if TYPE_CHECKING:
    from tree_sitter import Node

# (package directory, type name) of a type of the repository; ("", "import/path.Name") of another module's
TypeRef = tuple[str, str]


@dataclass
class GoFile:
    path: str
    directory: str
    imports: dict[str, str]  # alias → import path


@dataclass
class GoFunc:
    key: FunctionKey
    node: Node
    file: GoFile
    params: dict[str, TypeRef]
    results: list[TypeRef]


@dataclass
class GoIndex:
    modules: dict[str, str] = field(default_factory=dict)  # module root directory → module path
    funcs: dict[tuple[str, str], GoFunc] = field(default_factory=dict)  # (directory, name)
    methods: dict[tuple[str, str, str], GoFunc] = field(default_factory=dict)  # (directory, type, name)
    by_name: dict[str, list[GoFunc]] = field(default_factory=dict)  # method name → methods
    fields: dict[TypeRef, dict[str, TypeRef]] = field(default_factory=dict)
    graph: dict[FunctionKey, GoFunc] = field(default_factory=dict)  # every function, literals included
    declared: list[GoFunc] = field(default_factory=list)  # functions and methods as declared, in file order
    # package-level ``var name = new(T)`` / ``= &T{}`` / ``var name T``: (directory, name) → (file, spec)
    globals: dict[tuple[str, str], tuple[GoFile, Node]] = field(default_factory=dict)
    notes: list[MapNote] = field(default_factory=list)
    _events: dict[FunctionKey, list[Event]] = field(default_factory=dict)
    _wiring: Wiring | None = None
    _locals: dict[tuple[FunctionKey, int, int], dict[str, TypeRef]] = field(default_factory=dict)
    _returning: dict[FunctionKey, TypeRef | None] = field(default_factory=dict)
    _typed: set[TypeRef] = field(default_factory=set)  # types with at least one method

    @property
    def functions(self) -> set[FunctionKey]:
        return set(self.graph)

    @classmethod
    def build(cls, files: list[SourceFile], max_size: int, notes: list[MapNote]) -> GoIndex:
        index = cls(notes=notes)
        for source in files:
            read = read_source(source.absolute, max_size)
            if read.data is None:
                continue
            tree = parse(read.data, "go")
            if tree.root_node.has_error:
                notes.append(MapNote(source.path, 1, "Go syntax error: what tree-sitter recovered is mapped"))
            index._add_file(source, tree.root_node)
        return index

    # --- indexing -----------------------------------------------------------------------------------------
    def _add_file(self, source: SourceFile, root: Node) -> None:
        directory = str(source.absolute.parent)
        module = module_of(source.absolute.parent)
        if module is not None:
            self.modules[module[0]] = module[1]
        imports: dict[str, str] = {}
        for spec in (n for n in walk(root) if n.type == "import_spec"):
            path = text_of(child(spec, "path") or spec).strip('"`')
            alias = child(spec, "name")
            imports[text_of(alias) if alias is not None else path.rsplit("/", 1)[-1]] = path
        file = GoFile(source.path, directory, imports)
        for node in named_children(root):
            if node.type == "type_declaration":
                for spec in (s for s in named_children(node) if s.type == "type_spec"):
                    self._add_struct(file, spec)
            elif node.type == "var_declaration":  # typed when first asked: the types may be in later files
                for spec in (s for s in walk(node) if s.type == "var_spec"):
                    for name in spec.children_by_field_name("name"):
                        self.globals[(directory, text_of(name))] = (file, spec)
        for node in named_children(root):
            if node.type in ("function_declaration", "method_declaration"):
                func = GoFunc(FunctionKey(source.path, go_scope_name(node)), node, file, self.params(file, node),
                              self._results(file, node))
                self.graph[func.key] = func
                name = text_of(child(node, "name") or node)
                receiver = self._receiver(file, node)
                if receiver is None:
                    self.funcs[(directory, name)] = func
                else:
                    func.params.update(receiver[1])
                    self.methods[(directory, receiver[0], name)] = func
                    self._typed.add((directory, receiver[0]))
                    self.by_name.setdefault(name, []).append(func)
                self.declared.append(func)

    def _add_struct(self, file: GoFile, spec: Node) -> None:
        kind = child(spec, "type")
        if kind is None or kind.type != "struct_type":
            return
        members: dict[str, TypeRef] = {}
        for declaration in (n for n in walk(kind) if n.type == "field_declaration"):
            ref = self.type_ref(file, child(declaration, "type"))
            for name in declaration.children_by_field_name("name"):
                members[text_of(name)] = ref
            if not declaration.children_by_field_name("name") and ref[1]:
                members[ref[1]] = ref  # an embedded field is named after its type
        self.fields[(file.directory, text_of(child(spec, "name") or spec))] = members

    def _receiver(self, file: GoFile, node: Node) -> tuple[str, dict[str, TypeRef]] | None:
        receiver = child(node, "receiver")
        if receiver is None:
            return None
        declarations = named_children(receiver)
        if not declarations:
            return None
        ref = self.type_ref(file, child(declarations[0], "type"))
        names = {text_of(n): ref for n in declarations[0].children_by_field_name("name")}
        return ref[1], names

    def params(self, file: GoFile, node: Node) -> dict[str, TypeRef]:
        params = child(node, "parameters")
        found: dict[str, TypeRef] = {}
        for declaration in named_children(params) if params is not None else []:
            ref = self.type_ref(file, child(declaration, "type"))
            for name in declaration.children_by_field_name("name"):
                found[text_of(name)] = ref
        return found

    def _results(self, file: GoFile, node: Node) -> list[TypeRef]:
        result = child(node, "result")
        if result is None:
            return []
        if result.type == "parameter_list":
            return [self.type_ref(file, child(d, "type")) for d in named_children(result)]
        return [self.type_ref(file, result)]

    def type_ref(self, file: GoFile, node: Node | None) -> TypeRef:
        """``*store.Store`` → (the store package's directory, "Store"); a type of another module → ("", …)."""
        while node is not None and node.type in ("pointer_type", "parenthesized_type", "generic_type"):
            inner = named_children(node)
            node = child(node, "type") or (inner[0] if inner else None)
        if node is None:
            return ("", "")
        if node.type == "type_identifier":
            return (file.directory, text_of(node))
        if node.type == "qualified_type":
            package = child(node, "package")
            name = text_of(child(node, "name") or node)
            path = file.imports.get(text_of(package) if package is not None else "", "")
            directory = self.package_dir(path)
            return (directory, name) if directory is not None else ("", f"{path}.{name}")
        return ("", "")

    def package_dir(self, import_path: str) -> str | None:
        for root, module in self.modules.items():
            if import_path == module or import_path.startswith(module + "/"):
                return str(Path(root, import_path[len(module):].lstrip("/")))
        return None

    def literal(self, func: GoFunc, node: Node) -> FunctionKey:
        """A handler written in place: its own function of the graph (the queries in it belong to the
        enclosing function for the extractor, so the chain follows only its calls)."""
        key = FunctionKey(func.key.path, f"{func.key.qualname}.func@{line_of(node)}")
        self.graph.setdefault(key, GoFunc(key, node, func.file, {**func.params, **self.params(func.file, node)}, []))
        return key

    # --- call graph -----------------------------------------------------------------------------------------
    def events(self, key: FunctionKey) -> list[Event]:
        if key not in self._events:
            func = self.graph.get(key)
            body = child(func.node, "body") if func is not None else None
            self._events[key] = list(self._func_events(func, body)) if func is not None and body is not None else []
        return self._events[key]

    def _func_events(self, func: GoFunc, body: Node) -> Iterator[Event]:
        locals_ = self.locals_of(func, body)
        for call, depth, loop_line in ordered_calls(body):
            site = CallSite(func.file.path, line_of(call), column_of(call), depth, loop_line)
            callee = child(call, "function")
            text = text_of(callee) if callee is not None else "?"
            if callee is None:
                continue
            if callee.type == "identifier":
                target = self.funcs.get((func.file.directory, text))
                yield Event(site, text, target=target.key if target is not None else None)
            elif callee.type == "selector_expression":
                yield self._selector_event(func, callee, site, locals_)

    def _selector_event(self, func: GoFunc, callee: Node, site: CallSite, locals_: dict[str, TypeRef]) -> Event:
        text = text_of(callee)
        operand = child(callee, "operand")
        if operand is not None and operand.type == "identifier" and text_of(operand) in func.file.imports \
                and text_of(operand) not in locals_:
            path = func.file.imports[text_of(operand)]
            directory = self.package_dir(path)
            if directory is not None:
                target = self.funcs.get((directory, text_of(child(callee, "field") or callee)))
                return Event(site, text, target=target.key if target is not None else None)
            return Event(site, text, stop=None if standard(path) else f"outside the repository ({path})")
        kind = self.type_of(func, operand, locals_) if operand is not None else ("", "")
        if kind[1] and not kind[0] and "." in kind[1]:
            package = kind[1].rsplit(".", 1)[0]
            return Event(site, text, stop=None if standard(package) else f"outside the repository ({package})")
        target = self.selector_target(func, callee, locals_, kind)
        return Event(site, text, target=target.key if target is not None else None)

    def has_methods(self, kind: TypeRef) -> bool:
        return kind in self._typed

    def selector_target(self, func: GoFunc, callee: Node, locals_: dict[str, TypeRef],
                        kind: TypeRef | None = None, wired: bool = True) -> GoFunc | None:
        name = text_of(child(callee, "field") or callee)
        operand = child(callee, "operand")
        if operand is not None and operand.type == "identifier" and text_of(operand) in func.file.imports \
                and text_of(operand) not in locals_:
            directory = self.package_dir(func.file.imports[text_of(operand)])
            return self.funcs.get((directory, name)) if directory is not None else None
        if kind is None:
            kind = self.type_of(func, operand, locals_) if operand is not None else ("", "")
        if kind[0]:
            found = self.methods.get((kind[0], kind[1], name))
            if found is not None:
                return found
        if wired and operand is not None and operand.type == "selector_expression":  # a.Service.Fetch
            owner = self.type_of(func, child(operand, "operand") or operand, locals_)
            if owner[0]:
                self._wiring = self._wiring or Wiring(self)
                held = self._wiring.field_types(owner, text_of(child(operand, "field") or operand))
                targets = {m.key: m for t in held if (m := self.methods.get((t[0], t[1], name))) is not None}
                real = [m for m in targets.values() if not _test_double(m)]  # NewMockStore() wires a mock too
                if len(targets) == 1 or len(real) == 1:
                    return real[0] if len(real) == 1 else next(iter(targets.values()))
        candidates = self.by_name.get(name, [])  # an interface, or a type the code does not state
        return candidates[0] if len(candidates) == 1 else None

    def type_of(self, func: GoFunc, node: Node, locals_: dict[str, TypeRef]) -> TypeRef:
        if node.type == "identifier":
            name = text_of(node)
            return locals_[name] if name in locals_ else self.global_type(func.file.directory, name)
        if node.type == "selector_expression":
            outer = self.type_of(func, child(node, "operand") or node, locals_)
            return self.fields.get(outer, {}).get(text_of(child(node, "field") or node), ("", ""))
        if node.type in ("unary_expression", "parenthesized_expression"):
            inner = child(node, "operand") or (named_children(node)[0] if named_children(node) else None)
            return self.type_of(func, inner, locals_) if inner is not None else ("", "")
        if node.type == "composite_literal":
            return self.type_ref(func.file, child(node, "type"))
        if node.type == "call_expression":
            callee = child(node, "function")
            args = call_args(node)
            if callee is not None and text_of(callee) == "new" and len(args) == 1:  # new(T): a *T
                return self.type_ref(func.file, args[0]) if args[0].type != "identifier" else \
                    (func.file.directory, text_of(args[0]))
            target = None
            if callee is not None and callee.type == "identifier":
                target = self.funcs.get((func.file.directory, text_of(callee)))
            elif callee is not None and callee.type == "selector_expression":
                target = self.selector_target(func, callee, locals_)
            if target is None or not target.results:
                return ("", "")
            result = target.results[0]
            if result[0] and not self.has_methods(result):  # func NewRepo(db) Repository { return &repo{db} }
                return self._returned(target) or result
            return result
        return ("", "")

    def _returned(self, func: GoFunc) -> TypeRef | None:
        """The one concrete type of the repository a constructor declared to return an interface returns
        (``return &userRepository{db}``)."""
        if func.key in self._returning:
            return self._returning[func.key]
        self._returning[func.key] = None  # a guard against constructors returning each other
        body = child(func.node, "body")
        found: set[TypeRef] = set()
        for node in walk(body) if body is not None else []:
            if node.type == "return_statement":
                values = named_children(named_children(node)[0]) if named_children(node) else []
                if values and values[0].type != "nil":
                    kind = self.type_of(func, values[0], self.locals_of(func, body))  # type: ignore[arg-type]
                    if kind[0] and self.has_methods(kind):
                        found.add(kind)
        self._returning[func.key] = found.pop() if len(found) == 1 else None
        return self._returning[func.key]

    def global_type(self, directory: str, name: str) -> TypeRef:
        """The type of a package-level variable (``var articleModel = new(models.ArticleModel)``, the way
        gin and echo apps often hold their models and services)."""
        found = self.globals.get((directory, name))
        if found is None:
            return ("", "")
        file, spec = found
        del self.globals[(directory, name)]  # a guard against ``var a = b; var b = a``
        try:
            declared = child(spec, "type")
            if declared is not None:
                return self.type_ref(file, declared)
            values = named_children(child(spec, "value") or spec)
            names = spec.children_by_field_name("name")
            at = next((i for i, n in enumerate(names) if text_of(n) == name), 0)
            if len(values) != len(names) or child(spec, "value") is None:
                return ("", "")
            holder = GoFunc(FunctionKey(file.path, name), spec, file, {}, [])
            return self.type_of(holder, values[at], {})
        finally:
            self.globals[(directory, name)] = found

    def locals_of(self, func: GoFunc, body: Node) -> dict[str, TypeRef]:
        """Variables whose type the code states or makes obvious, in source order (once per function:
        the wiring asks again for every constructor call it follows)."""
        key = (func.key, body.start_byte, body.end_byte)
        if key not in self._locals:
            self._locals[key] = self._compute_locals(func, body)
        return dict(self._locals[key])

    def _compute_locals(self, func: GoFunc, body: Node) -> dict[str, TypeRef]:
        locals_ = dict(func.params)
        for node in walk(body):
            if node.type in ("short_var_declaration", "assignment_statement"):
                left, right = named_children(child(node, "left") or node), named_children(child(node, "right") or node)
                if len(left) == len(right):
                    for name, value in zip(left, right):
                        ref = self.type_of(func, value, locals_)
                        if ref[1] and name.type == "identifier":
                            locals_[text_of(name)] = ref
            elif node.type == "var_spec" and child(node, "type") is not None:
                ref = self.type_ref(func.file, child(node, "type"))
                for name in node.children_by_field_name("name"):
                    locals_[text_of(name)] = ref
            elif node.type == "func_literal":
                locals_.update(self.params(func.file, node))
        return locals_


# --- helpers ---------------------------------------------------------------------------------------------------

def _test_double(func: GoFunc) -> bool:
    """A mock, fake or stub kept beside the real code (mocks.go, mocks/, MockUserStore)."""
    owner = func.key.qualname.lstrip("(*").split(")", 1)[0].split(".", 1)[0]
    path = func.key.path.replace("\\", "/").lower()
    return owner.startswith(("Mock", "Fake", "Stub", "mock", "fake", "stub")) or "/mock" in path \
        or path.startswith("mock") or path.endswith(("_mock.go", "mocks.go", "mock.go"))
