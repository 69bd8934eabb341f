"""Extract SQL from Java source with tree-sitter.

What is found:
- MyBatis statement annotations on mapper interfaces (``@Select/@Insert/@Update/@Delete``: one string,
  a string array joined with spaces as MyBatis does, concatenations of constants, text blocks, and
  ``<script>`` dynamic SQL expanded into variants by the MyBatis machinery); ``@…Provider`` annotations
  are noted as not analysed. Spring Data ``@Query(nativeQuery = true)``.
- SQL reaching JDBC, ``JdbcTemplate``/``NamedParameterJdbcTemplate``/``JdbcClient`` and JPA
  ``createNativeQuery`` calls, followed through locals, ``static final`` constants (of any class in the
  file), concatenation, ``String.format``, and ``StringBuilder`` appends, conditional ones becoming
  variants (``javawalk``). SQL constants no call in the file uses are reported where they are defined.
- Calls of mapper methods (``orderMapper.selectById(id)``) resolved through the project index to the
  mapper statement: its queries at the call site, for the mergeable-queries and N+1 rules.

The enclosing ``Class.method`` is the scope. A file that does not parse completely is still mined
for what tree-sitter recovered; the damage is reported (E002).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqllint.extract import ExtractOptions, FileExtraction, Problem
from sqllint.extract.dynsql import Fragment, Text
from sqllint.extract.javawalk import ClassContext, Emission, MethodWalker, simple_type
from sqllint.extract.mybatis import Statement, XmlRefused, parse_xml, statement_queries, to_nodes
from sqllint.extract.pyeval import union_values
from sqllint.extract.pywalk import looks_like_sql
from sqllint.extract.tsutil import (
    Site,
    column_of,
    comment_suppressions,
    field as child,
    first_error,
    line_of,
    named_children,
    parse,
    queries_from_value,
    suppressed_at,
    syntax_problem_message,
    text_of,
)
from sqllint.extract.pyvalues import Value
from sqllint.files import decode_text
from sqllint.records import Query

if TYPE_CHECKING:
    from tree_sitter import Node


STATEMENT_ANNOTATIONS = {"Select": "select", "Insert": "insert", "Update": "update", "Delete": "delete"}
PROVIDER_ANNOTATIONS = frozenset({"SelectProvider", "InsertProvider", "UpdateProvider", "DeleteProvider"})
CLASS_TYPES = frozenset({"class_declaration", "interface_declaration", "enum_declaration", "record_declaration",
                         "annotation_type_declaration"})
METHOD_TYPES = frozenset({"method_declaration", "constructor_declaration", "compact_constructor_declaration"})
_COMMENTS = frozenset({"line_comment", "block_comment"})
# Constants worth sharing across files: SQL statements and the fragments they are built from.
_SQL_WORDS = re.compile(r"\b(?:SELECT|FROM|WHERE|JOIN|INSERT|UPDATE|DELETE|VALUES|ORDER BY|GROUP BY)\b", re.IGNORECASE)


@dataclass
class _Class:
    node: Node
    name: str  # Outer.Inner within the file
    is_interface: bool
    field_types: dict[str, str] = field(default_factory=dict)
    methods: frozenset[str] = frozenset()


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
        self.classes: list[_Class] = []
        self._constant_nodes: dict[str, Node] = {}
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
        info = _Class(node, name, node.type in ("interface_declaration", "annotation_type_declaration"))
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
                    value = child(declarator, "value")
                    if value is not None and declared in ("String", "var", ""):
                        self._constant_nodes[f"{name}.{text_of(field_name)}"] = value
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
        matches = [k for k in self._constant_nodes if k == name or k.endswith(f".{name}")]
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

    def _class(self, name: str) -> _Class:
        return next(c for c in self.classes if c.name == name)

    # --- walking ------------------------------------------------------------------------------------
    def walker(self, info: _Class, scope: str, emissions: list[Emission],
               resolve_mapper: Callable[[str], str | None] = lambda _name: None) -> MethodWalker:
        context = ClassContext(info.name, info.field_types, self.lookup_constant, resolve_mapper, info.methods,
                               lambda method: self.method_result(info, method, resolve_mapper))
        return MethodWalker(context, scope, self.cap, emissions,
                            lambda body, outer: self._walk_anonymous(body, outer, info, emissions, resolve_mapper))

    def walk_methods(self, resolve_mapper: Callable[[str], str | None]) -> list[Emission]:
        emissions: list[Emission] = []
        self._main_emissions = emissions
        for info in self.classes:
            body = child(info.node, "body")
            members = named_children(body) if body is not None else []
            names = [text_of(child(m, "name") or m) for m in members if m.type in METHOD_TYPES]
            for member in members:
                if member.type in METHOD_TYPES:
                    self._walk_method(member, info, names, info.name, emissions, resolve_mapper)
                elif member.type == "enum_body_declarations":
                    for inner in named_children(member):
                        if inner.type in METHOD_TYPES:
                            self._walk_method(inner, info, names, info.name, emissions, resolve_mapper)
        return emissions

    def method_result(self, info: _Class, method: str, resolve_mapper: Callable[[str], str | None]) -> Value | None:
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

    def _walk_method(self, node: Node, info: _Class, sibling_names: list[str], prefix: str,
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

    def _walk_anonymous(self, body: Node, outer: str, info: _Class, emissions: list[Emission],
                        resolve_mapper: Callable[[str], str | None]) -> None:
        members = [m for m in named_children(body) if m.type in METHOD_TYPES]
        names = [text_of(child(m, "name") or m) for m in members]
        for member in members:
            self._walk_method(member, info, names, outer, emissions, resolve_mapper)

    # --- annotations ----------------------------------------------------------------------------------
    def annotated(self) -> Iterator[tuple[_Class, Node, Node, str]]:
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

    def annotation_sql(self, info: _Class, annotation: Node, attribute: str = "value") -> Value | None:
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

    def namespace(self, info: _Class) -> str:
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


# --- MyBatis annotated statements ------------------------------------------------------------------

def _statements(java: JavaFile, problems: list[Problem] | None,
                suppressions: dict[int, frozenset[str]]) -> list[Statement]:
    statements: list[Statement] = []
    for info, method, annotation, name in java.annotated():
        line, column = line_of(annotation), column_of(annotation)
        method_name = text_of(child(method, "name") or method)
        qualified = f"{java.namespace(info)}.{method_name}"
        if name in PROVIDER_ANNOTATIONS:
            if problems is not None:
                problems.append(Problem("E004", line, column, f"@{name} builds the SQL of {qualified} in Java code "
                                        "at run time; it was not analysed"))
            continue
        if name not in STATEMENT_ANNOTATIONS or not info.is_interface:
            continue
        value = java.annotation_sql(info, annotation)
        if value is None:
            continue
        holes = [str(s.source) for alt in value.alts for s in alt.segments if not isinstance(s, str)]
        if holes:
            if problems is not None:
                problems.append(Problem("E004", line, column, f"@{name} on {qualified} uses "
                                        f"{', '.join(f'`{h}`' for h in dict.fromkeys(holes))}, defined in "
                                        "another file: the statement was not checked"))
            continue
        text = value.texts()[0]
        if text.strip().startswith("<script>"):
            try:
                built = parse_xml(text.strip(), line_offset=line - 1)
            except XmlRefused as refused:
                if problems is not None:
                    problems.append(Problem(refused.code, refused.line, column, f"<script> in @{name} on {qualified}: "
                                            f"{refused}"))
                continue
            body = to_nodes(built.root.children) if built.root is not None else ()
        else:
            body = (Text(text),)
        end_line = annotation.end_point[0] + 1
        statements.append(Statement(java.namespace(info), method_name, STATEMENT_ANNOTATIONS[name], body,
                                    java.path, line, column, end_line, suppressed_at(suppressions, line, end_line)))
    return statements


def annotated_statements(data: bytes, path: str) -> list[Statement]:
    """The MyBatis statements annotated on the mapper interfaces of one file (for the project index)."""
    return index_java(data, path)[0]


def index_java(data: bytes, path: str) -> tuple[list[Statement], dict[str, Value]]:
    """What other files need from this one (one parse): its annotated mapper statements, and its SQL
    constants by ``Class FQN.NAME`` (a DAO running ``OrderSql.BY_ID`` defined in ``OrderSql.java``)."""
    try:
        java = JavaFile(data, path)
        constants = {}
        for key in java.constant_keys():
            value = java.lookup_constant(key.rpartition(".")[0], key.rpartition(".")[2])
            if value is not None and not value.is_list and _SQL_WORDS.search(" ".join(value.texts())):
                qualified = f"{java.package}.{key}" if java.package else key
                constants[qualified] = dataclasses.replace(value, origin=qualified)
        return _statements(java, None, {}), constants
    except RecursionError:
        return [], {}


# --- extraction -------------------------------------------------------------------------------------

def extract_java(data: bytes, path: str, options: ExtractOptions) -> FileExtraction:
    result = FileExtraction()
    _text, undecodable = decode_text(data)
    if undecodable:
        result.problems.append(Problem("E003", 1, 1, undecodable))
    try:
        external = getattr(options.project, "constants", None) if options.project is not None else None
        java = JavaFile(data, path, options.max_variants, external)
        _extract(java, options, result)
    except RecursionError:
        result.problems.append(Problem("E002", 1, 1, "Java source nested too deeply to analyse; SQL in this "
                                       "file was not extracted"))
    return result


def _extract(java: JavaFile, options: ExtractOptions, result: FileExtraction) -> None:
    damaged = first_error(java.root)
    if damaged is not None:
        result.problems.append(Problem("E002", line_of(damaged), column_of(damaged),
                                       syntax_problem_message("Java", damaged)))
    suppressions = comment_suppressions(java.root, java.data, _COMMENTS) if b"sqllint:" in java.data else {}
    project = options.project
    fragments = dict(project.fragments) if project is not None else {}
    local_namespaces: dict[str, str] = {}
    sequence: dict[str, int] = {}

    def next_sequence(scope: str) -> int:
        sequence[scope] = sequence.get(scope, -1) + 1
        return sequence[scope]

    local_statements: dict[str, Statement] = {}
    for statement in _statements(java, result.problems, suppressions):
        local_statements[statement.qualified] = statement
        local_namespaces[statement.namespace.rsplit(".", 1)[-1]] = statement.namespace
        site = Query(path=java.path, line=statement.line, column=statement.column, end_line=statement.end_line,
                     language="java", raw="", text="", scope=statement.qualified, call=f"@{statement.kind.title()}",
                     sequence=next_sequence(statement.qualified), suppressed=statement.suppressed)
        queries, problems = statement_queries(statement, fragments, options.max_variants, site)
        result.queries.extend(queries)
        result.problems.extend(problems)
    for info, method, annotation, name in java.annotated():
        if name == "Query":
            _native_query(java, info, method, annotation, suppressions, next_sequence, result)

    def resolve_mapper(simple: str) -> str | None:
        if project is not None:
            found = project.resolve_type(simple, java.imports, java.package)
            if found is not None:
                return found
        return local_namespaces.get(simple)

    ordered: list[tuple[Emission, Site, list[Query]]] = []
    for emission in java.walk_methods(resolve_mapper):
        if emission.node.has_error:
            continue  # the call itself is damaged: E002 above covers it
        node = emission.node
        line, end_line = line_of(node), node.end_point[0] + 1
        site = Site(java.path, line, column_of(node), end_line, "java", emission.scope, emission.loop_depth,
                    emission.loop_line, emission.call, next_sequence(emission.scope),
                    suppressed_at(suppressions, line, end_line))
        queries: list[Query] = []
        if emission.value is not None:
            queries = list(queries_from_value(emission.value, site))
            origin = emission.value.origin
            if origin is not None and origin in java.external:  # checked where the constant is defined
                queries = [dataclasses.replace(q, resolved_from=origin) for q in queries]
        elif emission.mapper is not None:
            namespace, method = emission.mapper
            statement = project.statement(namespace, method) if project is not None else None
            statement = statement or local_statements.get(f"{namespace}.{method}")
            if statement is not None:  # else not a mapped statement (a default method, a BaseMapper method, …)
                queries = _resolved(statement, site, options, fragments)
        ordered.append((emission, site, queries))
    for emission, site, queries in ordered:
        if emission.helper is not None and emission.loop_depth > 0:
            queries = [_relocated(q, site) for q in _runs(emission.helper, ordered, frozenset())]
        result.queries.extend(queries)
    for scope, node, value in java.unused_sql_returns():
        line = line_of(node)
        site = Site(java.path, line, column_of(node), node.end_point[0] + 1, "java", scope, 0, None, "return",
                    next_sequence(scope), suppressed_at(suppressions, line, node.end_point[0] + 1))
        result.queries.extend(queries_from_value(value, site))
    for key, node, value in java.unused_sql_constants():
        line = line_of(node)
        site = Site(java.path, line, column_of(node), node.end_point[0] + 1, "java", key.rpartition(".")[0], 0, None,
                    "constant", next_sequence(key), suppressed_at(suppressions, line, node.end_point[0] + 1))
        result.queries.extend(queries_from_value(value, site))


def _resolved(statement: Statement, site: Site, options: ExtractOptions, fragments: dict[str, Fragment]) -> list[Query]:
    """The mapper statement's queries at the call site, marked as defined elsewhere."""
    template = Query(path=site.path, line=site.line, column=site.column, end_line=site.end_line, language="java",
                     raw="", text="", scope=site.scope, loop_depth=site.loop_depth, loop_line=site.loop_line,
                     call=site.call, sequence=site.sequence, suppressed=site.suppressed,
                     resolved_from=statement.qualified)
    queries, _problems = statement_queries(statement, fragments, options.max_variants, template, report_cap=False)
    # Problems and clauses the extractor cannot see are reported where the statement is defined.
    return [q for q in queries if not any(p.fragment for p in q.placeholders)]


def _runs(scope: str, ordered: list[tuple[Emission, Site, list[Query]]], visiting: frozenset[str]) -> list[Query]:
    """Every query a method runs, including those of the same-class helpers it calls (cycles cut)."""
    if scope in visiting:
        return []
    out: list[Query] = []
    for emission, site, queries in ordered:
        if emission.scope != scope:
            continue
        if emission.helper is not None:
            out.extend(_relocated(q, site) for q in _runs(emission.helper, ordered, visiting | {scope}))
        else:
            out.extend(queries)
    return out


def _relocated(query: Query, site: Site) -> Query:
    """A helper's query seen from the call of the helper (inside a loop: the N+1 rule reads it there)."""
    return dataclasses.replace(
        query, path=site.path, line=site.line, column=site.column, end_line=site.end_line, scope=site.scope,
        loop_depth=site.loop_depth + query.loop_depth, loop_line=site.loop_line, call=f"{site.call} → {query.call}",
        sequence=site.sequence, suppressed=site.suppressed, resolved_from=query.resolved_from or query.scope)


def _native_query(java: JavaFile, info: _Class, method: Node, annotation: Node, suppressions: dict[int, frozenset[str]],
                  next_sequence: Callable[[str], int], result: FileExtraction) -> None:
    """Spring Data ``@Query(value = "…", nativeQuery = true)``; JPQL (the default) is not MySQL."""
    native = annotation_attribute(annotation, "nativeQuery")
    if native is None or text_of(native) != "true":
        return
    value = java.annotation_sql(info, annotation)
    if value is None or not looks_like_sql(value, at_sink=True):
        return
    scope = f"{info.name}.{text_of(child(method, 'name') or method)}"
    line, end_line = line_of(annotation), annotation.end_point[0] + 1
    site = Site(java.path, line, column_of(annotation), end_line, "java", scope, 0, None, "@Query",
                next_sequence(scope), suppressed_at(suppressions, line, end_line))
    result.queries.extend(queries_from_value(value, site))

