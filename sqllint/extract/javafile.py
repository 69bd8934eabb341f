"""One parsed Java file: package, imports, classes, their fields and constants, methods and annotations.

Constants are evaluated on first use (they may refer to each other, to constants of other classes in
the file, or, through the project index, of other files); methods are walked by ``javawalk``; a helper
method's returned SQL is evaluated once per file when a caller needs it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqllint.extract.javaexpr import ClassContext, simple_type
from sqllint.extract.javacalls import Emission
from sqllint.extract.javawalk import MethodWalker
from sqllint.extract.pyeval import union_values
from sqllint.extract.pyvalues import Value
from sqllint.extract.pywalk import looks_like_sql
from sqllint.extract.tsutil import field as child, named_children, parse, text_of

if TYPE_CHECKING:
    from tree_sitter import Node

CLASS_TYPES = frozenset({"class_declaration", "interface_declaration", "enum_declaration", "record_declaration",
                         "annotation_type_declaration"})
METHOD_TYPES = frozenset({"method_declaration", "constructor_declaration", "compact_constructor_declaration"})

@dataclass
class JavaClass:
    node: Node
    name: str  # Outer.Inner within the file
    is_interface: bool
    field_types: dict[str, str] = field(default_factory=dict)
    methods: frozenset[str] = frozenset()
    # the bean a field asks Spring for by name: @Qualifier("x") / @Resource(name = "x") on the field, or on
    # the constructor parameter assigned to it
    field_qualifiers: dict[str, str] = field(default_factory=dict)


class JavaFile:
    """One parsed file: package, imports, classes and their constants (evaluated on first use)."""

    def __init__(self, data: bytes, path: str, max_variants: int = 32,
                 external: Mapping[str, Value] | None = None) -> None:
        self.path = path
        self.cap = max_variants
        self.data = data
        self.root = parse(data, "java").root_node
        self.package = ""
        self.imports: dict[str, str] = {}  # simple type name → FQN
        self.static_imports: dict[str, str] = {}  # constant name → FQN of the constant
        self.static_wildcards: list[str] = []  # classes imported with ``import static a.B.*``
        self.external = external or {}  # SQL constants of other files (project index), by Class FQN.NAME
        # (declared type, method) → a project method that runs SQL (javacallees), set by the extractor
        self.resolve_callee: Callable[[str, str, tuple[str, str | None] | None], str | None] = \
            lambda _type, _method, _bean: None
        self.classes: list[JavaClass] = []
        self._constant_nodes: dict[str, Node] = {}
        self._keys_by_name: dict[str, list[str]] = {}  # NAME → the Class.NAME keys declaring it
        self._constants: dict[str, Value | None] = {}
        self.consumed: set[str] = set()
        self._results: dict[str, Value | None] = {}  # helper method results by Class.method
        self.helpers_used: set[str] = set()
        self.returned: list[tuple[str, str, str, list[tuple[Value, Node]]]] = []  # (class, method, scope, returns)
        self._main_emissions: list[Emission] | None = None
        for node in named_children(self.root):
            if node.type == "package_declaration":
                self.package = text_of(named_children(node)[-1]) if named_children(node) else ""
            elif node.type == "import_declaration":
                self._import(node)
            elif node.type in CLASS_TYPES:
                self._index_class(node, "")

    def _import(self, node: Node) -> None:
        names = [c for c in named_children(node) if c.type in ("scoped_identifier", "identifier")]
        if not names:
            return
        fqn = text_of(names[0])
        is_static = any(c.type == "static" for c in node.children)
        if any(c.type == "asterisk" for c in node.children):
            if is_static:
                self.static_wildcards.append(fqn)
        elif is_static:
            self.static_imports[fqn.rsplit(".", 1)[-1]] = fqn
        else:
            self.imports[fqn.rsplit(".", 1)[-1]] = fqn

    def _index_class(self, node: Node, outer: str) -> None:
        name_node = child(node, "name")
        name = f"{outer}{text_of(name_node)}" if name_node is not None else f"{outer}<anonymous>"
        info = JavaClass(node, name, node.type in ("interface_declaration", "annotation_type_declaration"))
        self.classes.append(info)
        body = child(node, "body")
        members = named_children(body) if body is not None else []
        info.methods = frozenset(text_of(child(m, "name") or m) for m in members if m.type == "method_declaration")
        for member in members:
            if member.type in ("field_declaration", "constant_declaration"):
                declared = simple_type(child(member, "type"))
                for declarator in member.children_by_field_name("declarator"):
                    field_name = child(declarator, "name")
                    if field_name is None:
                        continue
                    info.field_types[text_of(field_name)] = declared
                    qualifier = bean_qualifier(member)
                    if qualifier is not None:
                        info.field_qualifiers[text_of(field_name)] = qualifier
                    value = child(declarator, "value")
                    if value is not None and declared in ("String", "var", ""):
                        self._constant_nodes[f"{name}.{text_of(field_name)}"] = value
                        self._keys_by_name.setdefault(text_of(field_name), []).append(f"{name}.{text_of(field_name)}")
            elif member.type == "constructor_declaration":
                info.field_qualifiers.update(constructor_qualifiers(member))
            elif member.type in CLASS_TYPES:
                self._index_class(member, f"{name}.")
            elif member.type == "enum_body_declarations":
                for inner in named_children(member):
                    if inner.type in CLASS_TYPES:
                        self._index_class(inner, f"{name}.")

    # --- constants --------------------------------------------------------------------------------
    def lookup_constant(self, class_name: str, name: str) -> Value | None:
        for key in self._candidate_keys(class_name, name):
            if key in self._constant_nodes:
                self.consumed.add(key)
                return self._constant(key)
        return self._external_constant(name) if self.external else None

    def _external_constant(self, name: str) -> Value | None:
        """``OrderSql.BY_ID`` (imported or same package) or a statically imported ``BY_ID`` of another file."""
        owner, _dot, constant = name.rpartition(".")
        if owner:
            head, _dot, rest = owner.partition(".")
            fqns = [self.imports[head] + (f".{rest}" if rest else "")] if head in self.imports else []
            fqns += [f"{self.package}.{owner}" if self.package else owner, owner]
            candidates = [f"{fqn}.{constant}" for fqn in fqns]
        else:
            candidates = ([self.static_imports[name]] if name in self.static_imports else []) + \
                         [f"{fqn}.{name}" for fqn in self.static_wildcards]
        return next((self.external[c] for c in candidates if c in self.external), None)

    def _candidate_keys(self, class_name: str, name: str) -> Iterator[str]:
        scope = class_name
        while scope:  # the class, then its enclosing classes
            yield f"{scope}.{name}"
            scope = scope.rpartition(".")[0]
        matches = [k for k in self._keys_by_name.get(name.rpartition(".")[2], ()) if k == name or k.endswith(f".{name}")]
        if len(matches) == 1:  # Other.NAME / NAME of another class in the same file
            yield matches[0]

    def _constant(self, key: str) -> Value | None:
        if key in self._constants:
            return self._constants[key]
        self._constants[key] = None  # a constant defined through itself reads as unknown
        class_name = key.rpartition(".")[0]
        walker = self.walker(self._class(class_name), scope=class_name, emissions=[])
        self._constants[key] = walker.eval(self._constant_nodes[key], {})
        return self._constants[key]

    def unused_sql_returns(self) -> Iterator[tuple[str, Node, Value]]:
        """SQL a method builds and returns for callers in other files (a DAO helper, a MyBatis provider)."""
        for class_name, method, scope, returns in self.returned:
            if f"{class_name}.{method}" in self.helpers_used:
                continue  # reported where the caller runs it
            for value, node in returns:
                if looks_like_sql(value, at_sink=False):
                    yield scope, node, value

    def constant_keys(self) -> list[str]:
        return list(self._constant_nodes)

    def unused_sql_constants(self) -> Iterator[tuple[str, Node, Value]]:
        for key, node in self._constant_nodes.items():
            if key in self.consumed:
                continue
            value = self._constant(key)
            if value is not None and not value.is_list and looks_like_sql(value, at_sink=False):
                yield key, node, value

    def _class(self, name: str) -> JavaClass:
        return next(c for c in self.classes if c.name == name)

    # --- walking ------------------------------------------------------------------------------------
    def walker(self, info: JavaClass, scope: str, emissions: list[Emission],
               resolve_mapper: Callable[[str], str | None] = lambda _name: None) -> MethodWalker:
        context = ClassContext(info.name, info.field_types, self.lookup_constant, resolve_mapper, info.methods,
                               lambda method: self.method_result(info, method, resolve_mapper), self.resolve_callee,
                               info.field_qualifiers)
        return MethodWalker(context, scope, self.cap, emissions,
                            lambda body, outer: self._walk_anonymous(body, outer, info, emissions, resolve_mapper))

    def walk_methods(self, resolve_mapper: Callable[[str], str | None],
                     only: Callable[[str], bool] | None = None) -> list[Emission]:
        """What every method runs; with ``only``, just the methods whose name it accepts and the helpers
        of their class they call (the project pre-pass needs no method that no other file calls)."""
        emissions: list[Emission] = []
        self._main_emissions = emissions
        methods: list[tuple[JavaClass, Node, list[str]]] = []  # (class, method, its class's method names)
        for info in self.classes:
            body = child(info.node, "body")
            members = named_children(body) if body is not None else []
            names = [text_of(child(m, "name") or m) for m in members if m.type in METHOD_TYPES]
            for member in members:
                if member.type in METHOD_TYPES:
                    methods.append((info, member, names))
                elif member.type == "enum_body_declarations":
                    methods += [(info, inner, names) for inner in named_children(member) if inner.type in METHOD_TYPES]
        keys = [f"{info.name}.{text_of(child(m, 'name') or m)}" for info, m, _names in methods]
        wanted = set(range(len(methods))) if only is None else \
            {i for i, key in enumerate(keys) if only(key.rpartition(".")[2])}
        walked: set[int] = set()
        while wanted - walked:
            start = len(emissions)
            for i in sorted(wanted - walked):
                walked.add(i)
                info, member, names = methods[i]
                self._walk_method(member, info, names, info.name, emissions, resolve_mapper)
            helpers = {e.helper for e in emissions[start:] if e.helper is not None}
            wanted |= {i for i, key in enumerate(keys) if key in helpers}
        return emissions

    def method_result(self, info: JavaClass, method: str, resolve_mapper: Callable[[str], str | None]) -> Value | None:
        """The strings a helper method returns (all its returns together), walked once per file."""
        key = f"{info.name}.{method}"
        self.helpers_used.add(key)
        if key in self._results:
            return self._results[key]
        self._results[key] = None  # a helper reached through itself reads as unknown
        body = child(info.node, "body")
        members = [m for m in named_children(body) if m.type == "method_declaration"] if body is not None else []
        found = [m for m in members if text_of(child(m, "name") or m) == method]
        if len(found) != 1:
            return None  # overloaded (or not found): which one runs is not known here
        walker = self._walk_method(found[0], info, [method], info.name, [], resolve_mapper)
        result: Value | None = None
        for value, _node in walker.returns if walker is not None else []:
            result = value if result is None else union_values(result, value, self.cap)
        self._results[key] = result
        return result

    def _walk_method(self, node: Node, info: JavaClass, sibling_names: list[str], prefix: str,
                     emissions: list[Emission], resolve_mapper: Callable[[str], str | None]) -> MethodWalker | None:
        body = child(node, "body")
        if body is None:
            return None
        name = text_of(child(node, "name") or node)
        parameters = child(node, "parameters")
        scope = f"{prefix}.{name}"
        if sibling_names.count(name) > 1:  # overloads: tell them apart by their parameter types
            types = [simple_type(child(p, "type")) for p in named_children(parameters)] if parameters else []
            scope += f"({', '.join(types)})"
        walker = self.walker(info, scope, emissions, resolve_mapper)
        for parameter in named_children(parameters) if parameters is not None else []:
            parameter_name = child(parameter, "name")
            if parameter_name is not None:
                walker.types[text_of(parameter_name)] = simple_type(child(parameter, "type"))
        walker.walk_block(body, {})
        if prefix == info.name and emissions is self._main_emissions:
            self.returned.append((info.name, name, scope, walker.returns))
        return walker

    def _walk_anonymous(self, body: Node, outer: str, info: JavaClass, emissions: list[Emission],
                        resolve_mapper: Callable[[str], str | None]) -> None:
        members = [m for m in named_children(body) if m.type in METHOD_TYPES]
        names = [text_of(child(m, "name") or m) for m in members]
        for member in members:
            self._walk_method(member, info, names, outer, emissions, resolve_mapper)

    # --- annotations ----------------------------------------------------------------------------------
    def annotated(self) -> Iterator[tuple[JavaClass, Node, Node, str]]:
        """(class, method, annotation, annotation name) for every annotation on a method."""
        for info in self.classes:
            body = child(info.node, "body")
            for member in named_children(body) if body is not None else []:
                if member.type != "method_declaration":
                    continue
                modifiers = next((c for c in member.children if c.type == "modifiers"), None)
                for annotation in named_children(modifiers) if modifiers is not None else []:
                    if annotation.type in ("annotation", "marker_annotation"):
                        name = text_of(child(annotation, "name") or annotation).rsplit(".", 1)[-1]
                        yield info, member, annotation, name

    def annotation_sql(self, info: JavaClass, annotation: Node, attribute: str = "value") -> Value | None:
        """The string an annotation attribute holds; arrays are joined with spaces (MyBatis's rule)."""
        target = annotation_attribute(annotation, attribute)
        if target is None:
            return None
        walker = self.walker(info, info.name, [])
        items = named_children(target) if target.type == "element_value_array_initializer" else [target]
        total: Value | None = None
        for item in items:
            value = walker.eval(item, {})
            if value is None:
                value = walker.eval_or_hole(item, {})
            total = value if total is None else total + Value.text(" ") + value
        return total

    def annotation_lines(self, info: JavaClass, annotation: Node, attribute: str = "value") -> tuple[str, list[int]] | None:
        """The attribute's text with one line per array element (or per line of a text block) and the file
        line each comes from, for a ``<script>``'s positions; None when an element is not a plain constant
        string. Lines instead of MyBatis's spaces between elements: the same SQL to every parser."""
        target = annotation_attribute(annotation, attribute)
        if target is None:
            return None
        walker = self.walker(info, info.name, [])
        items = named_children(target) if target.type == "element_value_array_initializer" else [target]
        texts: list[str] = []
        lines: list[int] = []
        for item in items:
            value = walker.eval(item, {})
            if value is None or len(value.alts) != 1 or value.parts or any(not isinstance(s, str)
                                                                           for s in value.alts[0].segments):
                return None
            text = value.texts()[0]
            first = item.start_point[0] + 1 + (1 if text_of(item).startswith('"""') else 0)
            parts = text.split("\n")
            texts += parts
            lines += [first + offset for offset in range(len(parts))] if len(items) > 1 or len(parts) > 1 else [first]
        return "\n".join(texts), lines

    def namespace(self, info: JavaClass) -> str:
        return f"{self.package}.{info.name}" if self.package else info.name


def annotation_attribute(annotation: Node, attribute: str) -> Node | None:
    arguments = child(annotation, "arguments")
    if arguments is None:
        return None
    values = named_children(arguments)
    for value in values:
        if value.type == "element_value_pair":
            key = child(value, "key")
            if key is not None and text_of(key) == attribute:
                return child(value, "value")
        elif attribute == "value":
            return value
    return None


def annotations_of(node: Node) -> list[tuple[str, Node]]:
    """(simple name, annotation) of the annotations among a declaration's modifiers."""
    modifiers = next((c for c in node.children if c.type == "modifiers"), None)
    found = []
    for item in named_children(modifiers) if modifiers is not None else []:
        if item.type in ("annotation", "marker_annotation"):
            found.append((text_of(child(item, "name") or item).rsplit(".", 1)[-1], item))
    return found


def string_attribute(annotation: Node, attribute: str) -> str | None:
    """A plain string literal given to an annotation attribute (``@Service("alipay")``), else None."""
    value = annotation_attribute(annotation, attribute)
    return text_of(value)[1:-1] if value is not None and value.type == "string_literal" else None


def bean_qualifier(declaration: Node) -> str | None:
    """The bean name an injection point asks for: ``@Qualifier("x")``, ``@Resource(name = "x")``."""
    for name, annotation in annotations_of(declaration):
        if name == "Qualifier":
            return string_attribute(annotation, "value")
        if name == "Resource":
            return string_attribute(annotation, "name")
    return None


def constructor_qualifiers(constructor: Node) -> dict[str, str]:
    """``Service(@Qualifier("x") OrderDao dao) { this.dao = dao; }``: field → the qualifier of its parameter."""
    parameters = child(constructor, "parameters")
    asked = {}
    for parameter in named_children(parameters) if parameters is not None else []:
        qualifier = bean_qualifier(parameter)
        name = child(parameter, "name")
        if qualifier is not None and name is not None:
            asked[text_of(name)] = qualifier
    body = child(constructor, "body")
    if not asked or body is None:
        return {}
    out = {}
    for statement in named_children(body):
        assignment = named_children(statement)[0] if statement.type == "expression_statement" \
            and named_children(statement) else None
        if assignment is None or assignment.type != "assignment_expression":
            continue
        left, right = child(assignment, "left"), child(assignment, "right")
        if left is None or right is None or right.type != "identifier" or text_of(right) not in asked:
            continue
        target = child(left, "field") if left.type == "field_access" else left
        if target is not None and target.type == "identifier":
            out[text_of(target)] = asked[text_of(right)]
    return out
