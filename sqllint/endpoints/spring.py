"""Spring MVC endpoints and the Java call graph behind them (tree-sitter).

Controllers are classes annotated ``@RestController`` or ``@Controller``; a class-level
``@RequestMapping`` gives the prefix; methods annotated ``@GetMapping`` … ``@PatchMapping`` or
``@RequestMapping(method = …)`` are endpoints (``value``/``path`` may be arrays: one endpoint each).

Calls are resolved through the types the code declares: fields (constructor- or field-injected Spring
beans), parameters and locals; a call on an interface of the repository goes to its one implementation
(``OrderService`` → ``OrderServiceImpl``); ``this``/unqualified calls stay in the class. A MyBatis mapper
call needs no following: the Java extractor already put the mapper's SQL at the call site
(``Query.resolved_from``). Lambda bodies count as loops (``stream().map(x -> …)`` runs once per item),
as the Java extractor counts them.
"""

from __future__ import annotations

import re

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqllint.endpoints.model import CallSite, Endpoint, Event, FunctionKey, MapNote
from sqllint.endpoints.springannotations import annotation_strings as _strings, annotations_of as _annotations
from sqllint.endpoints.springannotations import attribute_value as _attribute, join_path as _join
from sqllint.extract.javacallees import bean_of, choose_bean
from sqllint.extract.javaexpr import simple_type
from sqllint.extract.javafile import bean_qualifier, constructor_qualifiers
from sqllint.extract.tsutil import column_of, field as child, line_of, named_children, parse, text_of
from sqllint.files import SourceFile, read_source

if TYPE_CHECKING:
    from tree_sitter import Node

CONTROLLERS = frozenset({"RestController", "Controller"})
VERB_MAPPINGS = {"GetMapping": "GET", "PostMapping": "POST", "PutMapping": "PUT", "DeleteMapping": "DELETE",
                 "PatchMapping": "PATCH"}
CLASS_TYPES = frozenset({"class_declaration", "interface_declaration", "enum_declaration", "record_declaration"})
METHOD_TYPES = frozenset({"method_declaration", "constructor_declaration"})
LOOPS = frozenset({"for_statement", "enhanced_for_statement", "while_statement", "do_statement", "lambda_expression"})
JAVA_PLATFORM = ("java.", "javax.", "jakarta.", "kotlin.")
_ACCESSOR = re.compile(r"^(get|set|is)[A-Z]\w*$")  # a bean's getters and setters run no SQL: no stop for them


@dataclass
class JavaMethod:
    key: FunctionKey
    node: Node
    owner: JavaClass
    params: dict[str, str]  # name → simple type


@dataclass
class JavaClass:
    name: str  # Outer.Inner within its file
    simple: str
    path: str
    package: str
    imports: dict[str, str]  # simple name → fully qualified
    node: Node
    is_interface: bool
    supertypes: list[str] = field(default_factory=list)  # simple names it extends / implements
    fields: dict[str, str] = field(default_factory=dict)  # field name → simple type
    qualifiers: dict[str, str] = field(default_factory=dict)  # field name → the bean its @Qualifier names
    methods: dict[str, list[JavaMethod]] = field(default_factory=dict)
    constants: dict[str, Node] = field(default_factory=dict)  # String fields with an initialiser


class SpringIndex:
    def __init__(self) -> None:
        self.classes: dict[str, list[JavaClass]] = {}  # simple name → classes
        self.methods: dict[FunctionKey, JavaMethod] = {}
        self._events: dict[FunctionKey, list[Event]] = {}
        self.notes: list[MapNote] = []

    @property
    def functions(self) -> set[FunctionKey]:
        return set(self.methods)

    @classmethod
    def build(cls, files: list[SourceFile], max_size: int, notes: list[MapNote]) -> SpringIndex:
        index = cls()
        for source in files:
            read = read_source(source.absolute, max_size)
            if read.data is None:
                continue
            tree = parse(read.data, "java")
            if tree.root_node.has_error:
                notes.append(MapNote(source.path, 1, "Java syntax error: what tree-sitter recovered is mapped"))
            index._add_file(source.path, tree.root_node)
        index.notes = notes
        return index

    # --- indexing ---------------------------------------------------------------------------------------
    def _add_file(self, path: str, root: Node) -> None:
        package, imports = "", {}
        for node in named_children(root):
            if node.type == "package_declaration":
                names = [c for c in named_children(node) if c.type in ("scoped_identifier", "identifier")]
                package = text_of(names[0]) if names else ""
            elif node.type == "import_declaration":
                text = text_of(node).removeprefix("import").removesuffix(";").strip()
                if not text.startswith("static ") and not text.endswith("*"):
                    imports[text.rsplit(".", 1)[-1]] = text
        for node in named_children(root):
            if node.type in CLASS_TYPES:
                self._add_class(path, package, imports, node, "")

    def _add_class(self, path: str, package: str, imports: dict[str, str], node: Node, outer: str) -> None:
        simple = text_of(child(node, "name") or node)
        name = f"{outer}.{simple}" if outer else simple
        info = JavaClass(name, simple, path, package, imports, node, node.type == "interface_declaration")
        for kind in ("superclass", "interfaces"):
            holder = child(node, kind)
            if holder is not None:
                for item in _walk(holder):
                    if item.type == "type_identifier":
                        info.supertypes.append(text_of(item))
        extends = next((c for c in node.children if c.type == "extends_interfaces"), None)
        if extends is not None:
            info.supertypes += [text_of(t) for t in _walk(extends) if t.type == "type_identifier"]
        self.classes.setdefault(simple, []).append(info)
        body = child(node, "body")
        members = named_children(body) if body is not None else []
        names = [text_of(child(m, "name") or m) for m in members if m.type in METHOD_TYPES]
        for member in members:
            if member.type == "field_declaration":
                kind = simple_type(child(member, "type"))
                qualifier = bean_qualifier(member)
                for declarator in member.children:
                    if declarator.type == "variable_declarator":
                        info.fields[text_of(child(declarator, "name") or declarator)] = kind
                        if qualifier is not None:
                            info.qualifiers[text_of(child(declarator, "name") or declarator)] = qualifier
                        value = child(declarator, "value")
                        if kind == "String" and value is not None:
                            info.constants[text_of(child(declarator, "name") or declarator)] = value
            elif member.type in METHOD_TYPES:
                if member.type == "constructor_declaration":
                    info.qualifiers.update(constructor_qualifiers(member))
                method_name = text_of(child(member, "name") or member)
                parameters = child(member, "parameters")
                params = {text_of(child(p, "name") or p): simple_type(child(p, "type"))
                          for p in (named_children(parameters) if parameters is not None else [])
                          if p.type in ("formal_parameter", "spread_parameter")}
                scope = f"{name}.{method_name}"
                if names.count(method_name) > 1:
                    scope += f"({', '.join(params.values())})"
                method = JavaMethod(FunctionKey(path, scope), member, info, params)
                info.methods.setdefault(method_name, []).append(method)
                self.methods[method.key] = method
            elif member.type in CLASS_TYPES:
                self._add_class(path, package, imports, member, name)

    # --- endpoints ----------------------------------------------------------------------------------------
    def endpoints(self) -> list[Endpoint]:
        found = []
        for classes in self.classes.values():
            for info in classes:
                annotations = dict(_annotations(info.node))
                if not CONTROLLERS & set(annotations):
                    continue
                # @ModelAttribute methods run before every handler of the controller
                hooks = tuple(m.key for ms in info.methods.values() for m in ms
                              if "ModelAttribute" in dict(_annotations(m.node)))
                for declaring, method in self._mapped(info, frozenset()):
                    # the class's own @RequestMapping, else the one of the interface declaring the mapping
                    owner = info if "RequestMapping" in annotations else declaring
                    mapping = dict(_annotations(owner.node)).get("RequestMapping")
                    prefixes = (_strings(_attribute(mapping, "value", "path"), self._constant_reader(owner))
                                if mapping is not None else None) or [""]
                    handler = self._override(info, method) or method
                    found += self._method_endpoints(declaring, method, prefixes, hooks, handler.key)
        return found

    def _mapped(self, info: JavaClass, seen: frozenset[str]) -> Iterator[tuple[JavaClass, JavaMethod]]:
        """The methods with a mapping annotation: the class's own, then those it inherits from a base
        controller or implements from an interface of the repository (``class OrderController implements
        OrderApi``, the OpenAPI generator's layout) unless it maps them again itself."""
        own = {(m.key.qualname.rsplit(".", 1)[-1].split("(")[0], len(m.params))
               for ms in info.methods.values() for m in ms if _is_mapped(m)}
        for methods in info.methods.values():
            yield from ((info, m) for m in methods if _is_mapped(m))
        for parent in dict.fromkeys(info.supertypes):
            base = self._class(parent, info)
            if base is None or base.simple in seen or base is info:
                continue
            for declaring, method in self._mapped(base, seen | {info.simple}):
                name = method.key.qualname.rsplit(".", 1)[-1].split("(")[0]
                if (name, len(method.params)) not in own:
                    yield declaring, method

    @staticmethod
    def _override(info: JavaClass, method: JavaMethod) -> JavaMethod | None:
        """The class's implementation of an inherited mapped method (same name and arity, with a body)."""
        name = method.key.qualname.rsplit(".", 1)[-1].split("(")[0]
        return next((m for m in info.methods.get(name, []) if len(m.params) == len(method.params)
                     and child(m.node, "body") is not None), None)

    def _method_endpoints(self, info: JavaClass, method: JavaMethod, prefixes: list[str],
                          hooks: tuple[FunctionKey, ...] = (), handler: FunctionKey | None = None) -> Iterator[Endpoint]:
        for name, annotation in _annotations(method.node):
            if name in VERB_MAPPINGS:
                verbs: tuple[str, ...] = (VERB_MAPPINGS[name],)
            elif name == "RequestMapping":
                value = _attribute(annotation, "method")
                words = [text_of(w).rsplit(".", 1)[-1] for w in (_walk(value) if value is not None else [])
                         if w.type == "identifier" and text_of(w) != "RequestMethod"]
                verbs = tuple(dict.fromkeys(words)) or ("ANY",)
            else:
                continue
            paths = _strings(_attribute(annotation, "value", "path"), self._constant_reader(info))
            if paths is None and _attribute(annotation, "value", "path") is not None:
                self.notes.append(MapNote(info.path, line_of(annotation), f"the path of {method.key.qualname} is "
                                                                         "not a literal: not mapped"))
                continue
            placeholders = sorted({m for p in [*prefixes, *(paths or [])] for m in re.findall(r"\$\{[^{}]*\}", p)})
            if placeholders:
                note = MapNote(info.path, line_of(annotation), f"the path of {method.key.qualname} uses "
                               f"{', '.join(placeholders)} (a property of the application's configuration): listed "
                               "as written; a concrete URL matches it with any value there")
                if note not in self.notes:
                    self.notes.append(note)
            for prefix in prefixes:
                for path in paths or [""]:
                    yield Endpoint(verbs, _join(prefix, path), handler or method.key, info.path, line_of(annotation),
                                   "spring", hooks=hooks)

    def _constant_reader(self, info: JavaClass, depth: int = 0) -> Callable[[Node], str | None]:
        """Reads ``NAME`` (this class) and ``Paths.NAME`` (a class of the repository) string constants."""

        def read(node: Node) -> str | None:
            if depth > 8:
                return None
            if node.type == "identifier":
                owner, name = info, text_of(node)
            else:
                target = child(node, "object")
                owner = self._class(text_of(target).rsplit(".", 1)[-1], info) if target is not None else None
                name = text_of(child(node, "field") or node)
            value = owner.constants.get(name) if owner is not None else None
            if value is None or owner is None:
                return None
            found = _strings(value, self._constant_reader(owner, depth + 1))
            return found[0] if found and len(found) == 1 else None

        return read

    # --- calls --------------------------------------------------------------------------------------------
    def events(self, key: FunctionKey) -> list[Event]:
        if key not in self._events:
            method = self.methods.get(key)
            self._events[key] = list(self._method_events(method)) if method is not None else []
        return self._events[key]

    def _method_events(self, method: JavaMethod) -> Iterator[Event]:
        body = child(method.node, "body")
        if body is None:
            return
        locals_: dict[str, str] = dict(method.params)
        for node in _walk(body):
            if node.type in ("local_variable_declaration", "resource"):
                kind = simple_type(child(node, "type"))
                for declarator in [node] if node.type == "resource" else node.children:
                    if declarator.type in ("variable_declarator", "resource"):
                        name = child(declarator, "name")
                        value = child(declarator, "value")
                        inferred = simple_type(child(value, "type")) if kind == "var" and value is not None \
                            and value.type == "object_creation_expression" else kind
                        if name is not None:
                            locals_[text_of(name)] = inferred
            elif node.type in ("enhanced_for_statement", "catch_formal_parameter") and child(node, "name") is not None:
                locals_[text_of(child(node, "name"))] = simple_type(child(node, "type"))
        for call, depth, loop_line in _ordered_calls(body):
            site = CallSite(method.owner.path, line_of(call), column_of(call), depth, loop_line)
            yield self._event(call, site, method, locals_)

    def _event(self, call: Node, site: CallSite, method: JavaMethod, locals_: dict[str, str]) -> Event:
        name = text_of(child(call, "name") or call)
        receiver = child(call, "object")
        text = f"{text_of(receiver)}.{name}" if receiver is not None else name
        wiring: tuple[str, str | None] | None = None
        if receiver is None or receiver.type == "this":
            owner: JavaClass | None = method.owner
        elif receiver.type == "identifier" or (receiver.type == "field_access" and
                                               child(receiver, "object") is not None and
                                               child(receiver, "object").type == "this"):  # type: ignore[union-attr]
            variable = text_of(child(receiver, "field") if receiver.type == "field_access" else receiver)
            kind = locals_.get(variable) if receiver.type == "identifier" else None
            if kind is None and variable in method.owner.fields:  # an injected field: Spring wires it by these
                wiring = (variable, method.owner.qualifiers.get(variable))
            kind = kind or method.owner.fields.get(variable)
            if kind is None and receiver.type == "identifier" and variable[:1].isupper():
                kind = variable  # a static call: OrderUtil.format(…)
            if not kind:
                return Event(site, text)
            owner = self._class(kind, method.owner)
            if owner is None:
                qualified = method.owner.imports.get(kind)
                arguments = child(call, "arguments")
                arity = len(named_children(arguments)) if arguments is not None else 0
                accessor = _ACCESSOR.match(name) is not None and arity == (1 if name.startswith("set") else 0)
                if qualified and not qualified.startswith(JAVA_PLATFORM) and not accessor:
                    own = ".".join(method.owner.package.split(".")[:3])
                    reason = (f"not in the scanned files (a class of the application's package {own}: scan the module "
                              "that defines it)" if own and qualified.startswith(own + ".") else "outside the repository")
                    return Event(site, f"{qualified}.{name}", stop=reason)
                return Event(site, text)
        else:
            return Event(site, text)
        arguments = child(call, "arguments")
        count = len(named_children(arguments)) if arguments is not None else 0
        target = self._method(owner, name, count)
        implementations = [c for cs in self.classes.values() for c in cs if owner.simple in c.supertypes
                           and not c.is_interface and "/src/test/" not in f"/{c.path}"] if target is None else []
        if target is None and owner.is_interface and len(implementations) > 1:
            chosen = choose_bean(tuple(bean_of(c.node, c.simple, f"{c.package}.{c.name}") for c in implementations),
                                 wiring)  # @Qualifier, @Primary, the field's name: what Spring injects
            injected = next((c for c in implementations if f"{c.package}.{c.name}" == chosen), None)
            if injected is None:
                names = ", ".join(sorted(c.name for c in implementations)[:3])
                return Event(site, f"{owner.name}.{name}", stop=f"{len(implementations)} implementations in the "
                             f"repository ({names}) and no @Qualifier, @Primary or bean named like the field: which "
                             "one runs is decided at run time")
            target = self._method(injected, name, count)
        if target is None and owner.is_interface and owner is not method.owner:
            # Spring Data repositories, Feign clients, MyBatis mappers: the body is generated at run time.
            # (A mapper call whose SQL the extractor found is a query at this very site; the chain drops
            # this stop then.)
            return Event(site, f"{owner.name}.{name}", stop="interface without an implementation in the repository "
                         "(generated at run time: Spring Data, a client proxy, a mapper)")
        return Event(site, text, target=target.key if target is not None else None)

    def _class(self, simple: str, near: JavaClass) -> JavaClass | None:
        candidates = self.classes.get(simple, [])
        if len(candidates) > 1:
            wanted = near.imports.get(simple, f"{near.package}.{simple}")
            candidates = [c for c in candidates if f"{c.package}.{c.name}" == wanted] or candidates[:1]
        return candidates[0] if candidates else None

    def _method(self, owner: JavaClass, name: str, count: int, seen: frozenset[str] = frozenset()) -> JavaMethod | None:
        if owner.name in seen:
            return None
        candidates = owner.methods.get(name, [])
        concrete = [m for m in candidates if child(m.node, "body") is not None]
        chosen = [m for m in concrete if len(m.params) == count] or concrete
        if chosen:
            return chosen[0]
        if owner.is_interface or candidates:  # an interface (or abstract method): its one implementation
            implementations = [c for cs in self.classes.values() for c in cs if owner.simple in c.supertypes
                               and not c.is_interface]
            if len(implementations) == 1:
                return self._method(implementations[0], name, count, seen | {owner.name})
            return None
        for parent in owner.supertypes:  # inherited from a superclass of the repository
            base = self._class(parent, owner)
            if base is not None:
                found = self._method(base, name, count, seen | {owner.name})
                if found is not None:
                    return found
        return None


def _is_mapped(method: JavaMethod) -> bool:
    return any(name in VERB_MAPPINGS or name == "RequestMapping" for name, _ in _annotations(method.node))


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def _ordered_calls(body: Node) -> Iterator[tuple[Node, int, int | None]]:
    """Method invocations in evaluation order (receiver and arguments first), with the loops around each."""
    loops: list[int] = []

    def visit(node: Node) -> Iterator[tuple[Node, int, int | None]]:
        if node.type in ("class_body", "class_declaration"):  # anonymous and local classes: their own scope
            return
        loop = node.type in LOOPS
        if loop and node.type in ("for_statement", "enhanced_for_statement"):
            header = [c for c in node.children if c.type != "block" and c is not child(node, "body")]
            for part in header:  # the iterable / initialiser runs once
                yield from visit(part)
            loops.append(line_of(node))
            inner = child(node, "body")
            if inner is not None:
                yield from visit(inner)
            loops.pop()
            return
        if loop:
            loops.append(line_of(node))
        for part in node.children:
            yield from visit(part)
        if node.type == "method_invocation":
            yield node, len(loops), loops[-1] if loops else None
        if loop:
            loops.pop()

    yield from visit(body)
