"""Go HTTP endpoints and the Go call graph their chains follow.

Routes: ``net/http`` (``HandleFunc``/``Handle`` on ``http`` or a ``ServeMux``, Go 1.22 patterns such as
``"GET /orders/{id}"``), gorilla/mux (``.Methods("GET")``, ``PathPrefix("/api").Subrouter()``), gin and
echo (``r.GET``, ``Group("/v1")``) and chi (``r.Get``, ``Route("/v1", func(r chi.Router) {…})``,
``Group``). A registration counts when its file imports one of those packages and its path is a string
literal starting with ``/``; ``Mount`` of a sub-router and non-literal paths become notes.

Calls are resolved with the types the code states: parameters and receivers, ``x := &T{…}``,
``x := NewT(…)`` (the function's first result), ``var x T``, struct fields, package-qualified calls into
the module (``go.mod``). A method whose receiver type is unknown is followed when exactly one method of
that name exists in the repository. Calls into the standard library are not followed quietly; calls
into other modules end the branch with a stop that says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqllint.endpoints.model import CallSite, Endpoint, Event, FunctionKey, MapNote
from sqllint.extract.golang import _scope_name as go_scope_name
from sqllint.extract.tsutil import column_of, field as child, line_of, named_children, parse, text_of
from sqllint.files import SourceFile, read_source

if TYPE_CHECKING:
    from tree_sitter import Node

ROUTER_IMPORTS = (("net/http", "net/http"), ("github.com/gorilla/mux", "gorilla"), ("github.com/gin-gonic/gin", "gin"),
                  ("github.com/labstack/echo", "echo"), ("github.com/go-chi/chi", "chi"))
VERBS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_GO122 = re.compile(r"^(?P<method>[A-Z]+)\s+(?P<path>\S*/\S*)$")

# (package directory, type name) of a type of the repository; ("", "import/path.Name") of another module's
TypeRef = tuple[str, str]


@dataclass
class GoFile:
    path: str
    directory: str
    imports: dict[str, str]  # alias → import path
    routers: set[str]  # router frameworks the file imports


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
    registrations: list[tuple[GoFunc, Node]] = field(default_factory=list)  # functions of router files
    notes: list[MapNote] = field(default_factory=list)
    _events: dict[FunctionKey, list[Event]] = field(default_factory=dict)

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
        module = _module_of(source.absolute.parent)
        if module is not None:
            self.modules[module[0]] = module[1]
        imports: dict[str, str] = {}
        for spec in (n for n in _walk(root) if n.type == "import_spec"):
            path = text_of(child(spec, "path") or spec).strip('"`')
            alias = child(spec, "name")
            imports[text_of(alias) if alias is not None else path.rsplit("/", 1)[-1]] = path
        routers = {name for path in imports.values() for prefix, name in ROUTER_IMPORTS if path.startswith(prefix)}
        file = GoFile(source.path, directory, imports, routers)
        for node in named_children(root):
            if node.type == "type_declaration":
                for spec in (s for s in named_children(node) if s.type == "type_spec"):
                    self._add_struct(file, spec)
        for node in named_children(root):
            if node.type in ("function_declaration", "method_declaration"):
                func = GoFunc(FunctionKey(source.path, go_scope_name(node)), node, file, self._params(file, node),
                              self._results(file, node))
                self.graph[func.key] = func
                name = text_of(child(node, "name") or node)
                receiver = self._receiver(file, node)
                if receiver is None:
                    self.funcs[(directory, name)] = func
                else:
                    func.params.update(receiver[1])
                    self.methods[(directory, receiver[0], name)] = func
                    self.by_name.setdefault(name, []).append(func)
                if routers:
                    self.registrations.append((func, node))

    def _add_struct(self, file: GoFile, spec: Node) -> None:
        kind = child(spec, "type")
        if kind is None or kind.type != "struct_type":
            return
        members: dict[str, TypeRef] = {}
        for declaration in (n for n in _walk(kind) if n.type == "field_declaration"):
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

    def _params(self, file: GoFile, node: Node) -> dict[str, TypeRef]:
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

    # --- endpoints ------------------------------------------------------------------------------------------
    def endpoints(self) -> list[Endpoint]:
        found: list[Endpoint] = []
        for func, node in self.registrations:
            body = child(node, "body")
            if body is not None:
                found += self._routes(func, body, {}, self._locals(func, body))
        return found

    def _routes(self, func: GoFunc, body: Node, prefixes: dict[str, str], locals_: dict[str, TypeRef]) -> list[Endpoint]:
        found: list[Endpoint] = []
        for node in _walk(body, skip_literals=True):
            if node.type in ("short_var_declaration", "assignment_statement"):
                left, right = named_children(child(node, "left") or node), named_children(child(node, "right") or node)
                for name, value in zip(left, right):
                    prefix = self._group_prefix(value, prefixes)
                    if prefix is not None:
                        prefixes[text_of(name)] = prefix
            elif node.type == "call_expression":
                found += self._registration(func, node, prefixes, locals_)
        return found

    @staticmethod
    def _group_prefix(value: Node, prefixes: dict[str, str]) -> str | None:
        """``r.Group("/v1")`` (gin, echo), ``r.PathPrefix("/api").Subrouter()`` (gorilla)."""
        call = value
        if call.type == "call_expression" and _method(call) == "Subrouter":
            call = child(child(call, "function") or call, "operand") or call
        if call.type != "call_expression" or _method(call) not in ("Group", "PathPrefix"):
            return None
        args = _args(call)
        path = _string(args[0]) if args else None
        if path is None:
            return None
        return prefixes.get(_receiver_name(call), "") + path

    def _registration(self, func: GoFunc, call: Node, prefixes: dict[str, str],
                      locals_: dict[str, TypeRef]) -> list[Endpoint]:
        name, args = _method(call), _args(call)
        receiver = _receiver_name(call)
        prefix = prefixes.get(receiver, "")
        routers = func.file.routers
        if name in ("Route", "Group") and args and args[-1].type == "func_literal" and "chi" in routers:
            inner = dict(prefixes)
            path = _string(args[0]) if name == "Route" and len(args) == 2 else ""
            params = self._params(func.file, args[-1])
            for param in params:
                inner[param] = prefix + (path or "")
            body = child(args[-1], "body")
            return self._routes(func, body, inner, {**locals_, **params}) if body is not None else []
        if name == "Mount" and args and _string(args[0]) is not None:
            self.notes.append(MapNote(func.file.path, line_of(call), f"router mounted at {_string(args[0])!r}: "
                                      "its routes are not mapped"))
            return []
        methods: tuple[str, ...]
        gin_handle = name == "Handle" and len(args) >= 3 and "gin" in routers  # Handle("GET", "/x", h)
        if name in ("HandleFunc", "Handle") and len(args) >= 2 and _string(args[0]) is not None and not gin_handle:
            pattern = _string(args[0]) or ""
            go122 = _GO122.match(pattern)
            methods, path = ((go122.group("method"),), go122.group("path")) if go122 else (("ANY",), pattern)
            if go122 is not None and not path.startswith("/"):
                path = "/" + path.split("/", 1)[1]  # a host in the pattern ("GET example.com/x")
            chained = _chained_methods(call)
            methods = chained or methods
            handler = args[-1]
        elif gin_handle and _string(args[1]) is not None:
            methods, path, handler = ((_method_name(args[0]) or "ANY"),), _string(args[1]) or "", args[-1]
        elif (name in VERBS or name == "Any") and len(args) >= 2 and routers & {"gin", "echo"}:
            methods, path = ((name,) if name != "Any" else ("ANY",)), _string(args[0]) or ""
            handler = args[1] if "echo" in routers else args[-1]  # echo: (path, handler, middleware…)
        elif name.upper() in VERBS and name[:1].isupper() and name[1:].islower() and len(args) >= 2 and "chi" in routers:
            methods, path, handler = (name.upper(),), _string(args[0]) or "", args[-1]
        elif name in ("Method", "MethodFunc") and len(args) == 3 and "chi" in routers:
            methods, path, handler = ((_method_name(args[0]) or "ANY"),), _string(args[1]) or "", args[-1]
        else:
            return []
        if not path.startswith("/"):
            return []
        framework = next((r for r in ("gin", "echo", "chi", "gorilla") if r in routers), "net/http")
        key = self._handler(func, handler, locals_)
        route = (prefix.rstrip("/") + path) if prefix else path
        note = None if key is not None else f"handler {text_of(handler)[:60]} is not a function of the repository"
        return [Endpoint(methods, route, key, func.file.path, line_of(call), framework, note)]

    def _handler(self, func: GoFunc, handler: Node, locals_: dict[str, TypeRef]) -> FunctionKey | None:
        while handler.type == "call_expression" and _method(handler) == "HandlerFunc" and _args(handler):
            handler = _args(handler)[0]  # http.HandlerFunc(h)
        if handler.type == "call_expression":  # s.handleOrders(): a factory whose returned closure serves
            handler = child(handler, "function") or handler
        if handler.type == "func_literal":
            return self._literal(func, handler)
        if handler.type == "identifier":
            target = self.funcs.get((func.file.directory, text_of(handler)))
            return target.key if target is not None else None
        if handler.type == "selector_expression":
            target = self._selector_target(func, handler, locals_)
            return target.key if target is not None else None
        return None

    def _literal(self, func: GoFunc, node: Node) -> FunctionKey:
        """A handler written in place: its own function of the graph (the queries in it belong to the
        enclosing function for the extractor, so the chain follows only its calls)."""
        key = FunctionKey(func.key.path, f"{func.key.qualname}.func@{line_of(node)}")
        self.graph.setdefault(key, GoFunc(key, node, func.file, {**func.params, **self._params(func.file, node)}, []))
        return key

    # --- call graph -----------------------------------------------------------------------------------------
    def events(self, key: FunctionKey) -> list[Event]:
        if key not in self._events:
            func = self.graph.get(key)
            body = child(func.node, "body") if func is not None else None
            self._events[key] = list(self._func_events(func, body)) if func is not None and body is not None else []
        return self._events[key]

    def _func_events(self, func: GoFunc, body: Node) -> Iterator[Event]:
        locals_ = self._locals(func, body)
        for call, depth, loop_line in _ordered_calls(body):
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
            return Event(site, text, stop=None if _standard(path) else f"outside the repository ({path})")
        kind = self._type_of(func, operand, locals_) if operand is not None else ("", "")
        if kind[1] and not kind[0] and "." in kind[1]:
            package = kind[1].rsplit(".", 1)[0]
            return Event(site, text, stop=None if _standard(package) else f"outside the repository ({package})")
        target = self._selector_target(func, callee, locals_, kind)
        return Event(site, text, target=target.key if target is not None else None)

    def _selector_target(self, func: GoFunc, callee: Node, locals_: dict[str, TypeRef],
                         kind: TypeRef | None = None) -> GoFunc | None:
        name = text_of(child(callee, "field") or callee)
        operand = child(callee, "operand")
        if operand is not None and operand.type == "identifier" and text_of(operand) in func.file.imports \
                and text_of(operand) not in locals_:
            directory = self.package_dir(func.file.imports[text_of(operand)])
            return self.funcs.get((directory, name)) if directory is not None else None
        if kind is None:
            kind = self._type_of(func, operand, locals_) if operand is not None else ("", "")
        if kind[0]:
            found = self.methods.get((kind[0], kind[1], name))
            if found is not None:
                return found
        candidates = self.by_name.get(name, [])  # an interface, or a type the code does not state
        return candidates[0] if len(candidates) == 1 else None

    def _type_of(self, func: GoFunc, node: Node, locals_: dict[str, TypeRef]) -> TypeRef:
        if node.type == "identifier":
            return locals_.get(text_of(node), ("", ""))
        if node.type == "selector_expression":
            outer = self._type_of(func, child(node, "operand") or node, locals_)
            return self.fields.get(outer, {}).get(text_of(child(node, "field") or node), ("", ""))
        if node.type in ("unary_expression", "parenthesized_expression"):
            inner = child(node, "operand") or (named_children(node)[0] if named_children(node) else None)
            return self._type_of(func, inner, locals_) if inner is not None else ("", "")
        if node.type == "composite_literal":
            return self.type_ref(func.file, child(node, "type"))
        if node.type == "call_expression":
            callee = child(node, "function")
            target = None
            if callee is not None and callee.type == "identifier":
                target = self.funcs.get((func.file.directory, text_of(callee)))
            elif callee is not None and callee.type == "selector_expression":
                target = self._selector_target(func, callee, locals_)
            return target.results[0] if target is not None and target.results else ("", "")
        return ("", "")

    def _locals(self, func: GoFunc, body: Node) -> dict[str, TypeRef]:
        """Variables whose type the code states or makes obvious, in source order."""
        locals_ = dict(func.params)
        for node in _walk(body):
            if node.type in ("short_var_declaration", "assignment_statement"):
                left, right = named_children(child(node, "left") or node), named_children(child(node, "right") or node)
                if len(left) == len(right):
                    for name, value in zip(left, right):
                        ref = self._type_of(func, value, locals_)
                        if ref[1] and name.type == "identifier":
                            locals_[text_of(name)] = ref
            elif node.type == "var_spec" and child(node, "type") is not None:
                ref = self.type_ref(func.file, child(node, "type"))
                for name in node.children_by_field_name("name"):
                    locals_[text_of(name)] = ref
            elif node.type == "func_literal":
                locals_.update(self._params(func.file, node))
        return locals_


# --- helpers ---------------------------------------------------------------------------------------------------

@lru_cache(maxsize=256)
def _module_of(directory: Path) -> tuple[str, str] | None:
    """(module root, module path) from the nearest go.mod at or above ``directory``."""
    for folder in (directory, *directory.parents):
        mod = folder / "go.mod"
        if mod.is_file():
            for line in mod.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.startswith("module "):
                    return str(folder), line.split()[1].strip('"')
            return None
    return None


def _standard(path: str) -> bool:
    return "." not in path.split("/", 1)[0]


def _walk(node: Node, skip_literals: bool = False) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if skip_literals and current.type == "func_literal" and current is not node:
            continue  # registrations inside a chi Route/Group literal are walked with their own prefix
        stack.extend(reversed(current.children))


def _method(call: Node) -> str:
    function = child(call, "function")
    if function is not None and function.type == "selector_expression":
        return text_of(child(function, "field") or function)
    return ""


def _receiver_name(call: Node) -> str:
    """The router variable a call is made on; through chi's ``r.With(mw).Get(…)`` and ``r.Use``."""
    function = child(call, "function")
    operand = child(function, "operand") if function is not None else None
    while operand is not None and operand.type == "call_expression" and _method(operand) in ("With", "Use"):
        inner = child(operand, "function")
        operand = child(inner, "operand") if inner is not None else None
    return text_of(operand) if operand is not None else ""


def _args(call: Node) -> list[Node]:
    arguments = child(call, "arguments")
    return [a for a in named_children(arguments) if a.type != "comment"] if arguments is not None else []


def _string(node: Node) -> str | None:
    if node.type in ("interpreted_string_literal", "raw_string_literal"):
        return text_of(node)[1:-1]
    return None


def _chained_methods(call: Node) -> tuple[str, ...]:
    """gorilla/mux: ``r.HandleFunc("/x", h).Methods("GET", "POST")``."""
    parent = call.parent
    if parent is not None and parent.type == "selector_expression" and text_of(child(parent, "field") or parent) == "Methods":
        outer = parent.parent
        if outer is not None and outer.type == "call_expression":
            return tuple(m for m in (_method_name(a) for a in _args(outer)) if m)
    return ()


def _method_name(node: Node) -> str | None:
    """``"GET"`` or ``http.MethodGet``."""
    literal = _string(node)
    if literal is not None:
        return literal.upper()
    if node.type == "selector_expression" and text_of(child(node, "field") or node).startswith("Method"):
        return text_of(child(node, "field") or node).removeprefix("Method").upper() or None
    return None


def _ordered_calls(body: Node) -> Iterator[tuple[Node, int, int | None]]:
    """Calls in evaluation order (operands and arguments first), with the ``for`` loops around each; the
    range expression or init clause of a loop runs once."""
    loops: list[int] = []

    def visit(node: Node) -> Iterator[tuple[Node, int, int | None]]:
        if node.type == "for_statement":
            for part in node.children:
                if part.type in ("range_clause", "for_clause"):
                    yield from visit(part)
            loops.append(line_of(node))
            inner = child(node, "body")
            if inner is not None:
                yield from visit(inner)
            loops.pop()
            return
        for part in node.children:
            yield from visit(part)
        if node.type == "call_expression":
            yield node, len(loops), loops[-1] if loops else None

    yield from visit(body)
