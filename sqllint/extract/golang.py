"""Extract SQL from Go source with tree-sitter.

SQL is found where it reaches ``database/sql`` (``Query``, ``QueryRow``, ``Exec``, ``Prepare`` and their
``…Context`` forms, on a DB, Tx, Conn or Stmt), sqlx (``Select``, ``Get``, ``NamedExec``, ``NamedQuery``,
``MustExec``, ``Queryx``, ``QueryRowx``, …) or GORM's ``Raw``/``Exec``. The SQL argument is the first
argument that holds SQL text (after ``ctx`` and sqlx's destination). Values are followed through
locals, package and function constants, ``+``/``+=`` concatenation, ``strings.Builder`` writes and
``fmt.Sprintf`` (whose verbs splice text into the SQL: reported as interpolation); ``if`` branches become
optional parts, as in the Python and Java extractors. The scope is the function or ``(*Recv).Method``;
``for`` loops (all forms) raise the loop depth.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from sqllint.extract import ExtractOptions, FileExtraction, Problem
from sqllint.extract.gocalls import GoEmission
from sqllint.extract.gowalk import GoWalker
from sqllint.extract.pyrunners import CarriedRun, carried_loops
from sqllint.extract.pyvalues import Value
from sqllint.extract.pywalk import looks_like_sql
from sqllint.extract.emit import Site, queries_from_value
from sqllint.extract.tsutil import (
    capped_problem,
    column_of,
    comment_suppressions,
    expand_helper_calls,
    field as child,
    line_of,
    named_children,
    parse,
    suppressed_at,
    syntax_errors,
    syntax_problem_message,
    text_of,
)
from sqllint.files import decode_text
from sqllint.records import Query

if TYPE_CHECKING:
    from tree_sitter import Node

# Package constants worth sharing with the other files: SQL and the fragments it is built from.
_SQL_WORDS = re.compile(r"\b(?:SELECT|FROM|WHERE|JOIN|INSERT|UPDATE|DELETE|VALUES|ORDER BY|GROUP BY)\b", re.IGNORECASE)


def _scope_name(node: Node) -> str:
    name = text_of(child(node, "name") or node)
    receiver = child(node, "receiver")
    if receiver is None:
        return name
    declarations = named_children(receiver)
    type_node = child(declarations[0], "type") if declarations else None
    if type_node is None:
        return name
    if type_node.type == "pointer_type":
        inner = named_children(type_node)
        return f"(*{text_of(inner[0]).split('[')[0] if inner else '?'}).{name}"
    return f"{text_of(type_node).split('[')[0]}.{name}"


# --- extraction -------------------------------------------------------------------------------------

def extract_go(data: bytes, path: str, options: ExtractOptions) -> FileExtraction:
    result = FileExtraction()
    _text, undecodable = decode_text(data)
    if undecodable:
        result.problems.append(Problem("E003", 1, 1, undecodable))
    try:
        _extract(data, path, options, result)
    except RecursionError:
        result.problems.append(Problem("E002", 1, 1, "Go source nested too deeply to analyse; SQL in this file "
                                       "was not extracted"))
    except Exception as error:  # noqa: BLE001 - a bug here must cost one file, not the run
        result.problems.append(Problem("E005", 1, 1, f"the Go extractor failed on this file "
                                       f"({type(error).__name__}: {error}); its SQL was not checked"))
    return result


def _package_constants(root: Node) -> dict[str, Node]:
    constants: dict[str, Node] = {}
    for declaration in named_children(root):
        if declaration.type in ("const_declaration", "var_declaration"):
            # `var ( … )` groups its specs in a var_spec_list; `const ( … )` does not
            specs = [s for node in named_children(declaration)
                     for s in (named_children(node) if node.type == "var_spec_list" else [node])]
            for spec in specs:
                names, values = spec.children_by_field_name("name"), child(spec, "value")
                value_nodes = named_children(values) if values is not None else []
                if len(names) == len(value_nodes):
                    constants.update({text_of(n): v for n, v in zip(names, value_nodes)})
    return constants


def package_key(path: str, name: str) -> str:
    """How the project index names a package-level constant: the package is the file's directory."""
    return f"{posixpath.dirname(path)}|{name}"


def index_go(data: bytes, path: str) -> dict[str, Value]:
    """The package-level SQL constants of one file, for the other files of its package."""
    try:
        root = parse(data, "go").root_node
        constants = _package_constants(root)
        reader = GoWalker(constants, {}, "", 32, [])
        found = {}
        for name in constants:
            value = reader.constant(name)
            if value is not None and _SQL_WORDS.search(" ".join(value.texts())):
                found[package_key(path, name)] = dataclasses.replace(value, origin=package_key(path, name))
        return found
    except Exception:  # noqa: BLE001 - the pre-pass must not end the run; the file's own check reports it
        return {}


def _extract(data: bytes, path: str, options: ExtractOptions, result: FileExtraction) -> None:
    root = parse(data, "go").root_node
    errors = syntax_errors(root)
    if errors:
        damaged = errors[0]
        result.problems.append(Problem("E002", line_of(damaged), column_of(damaged), syntax_problem_message("Go", errors)))
    suppressions = comment_suppressions(root, data, frozenset({"comment"})) if b"sqllint:" in data else {}
    constants = _package_constants(root)
    directory = posixpath.dirname(path)
    shared = getattr(options.project, "go_constants", None) or {}
    external = {key.partition("|")[2]: value for key, value in shared.items()
                if key.partition("|")[0] == directory and key.partition("|")[2] not in constants}
    constant_values: dict[str, Value | None] = {}
    emissions: list[GoEmission] = []
    declarations = [d for d in named_children(root) if d.type in ("function_declaration", "method_declaration")]
    imports = _imports(root)
    packages = frozenset(name for name, _path in imports)  # the names the file's imports are referred by
    functions = {text_of(child(d, "name") or d): _scope_name(d) for d in declarations if d.type == "function_declaration"}
    runners = _runners(imports, directory, functions, getattr(options.project, "go_runners", None) or {})
    for declaration in declarations:
        body = child(declaration, "body")
        if body is None:
            continue
        walker = GoWalker(constants, constant_values, _scope_name(declaration), options.max_variants, emissions,
                          external, {**functions, **_sibling_methods(declaration, declarations)}, packages=packages,
                          runners=runners)
        for parameters in (child(declaration, "receiver"), child(declaration, "parameters")):
            for parameter in named_children(parameters) if parameters is not None else []:
                type_node = child(parameter, "type")
                for name in parameter.children_by_field_name("name"):
                    walker.types[text_of(name)] = text_of(type_node) if type_node is not None else ""
        walker.walk_block(body, {})
    package = next((text_of(c) for node in named_children(root) if node.type == "package_clause"
                    for c in named_children(node)), "")
    unused = [name for name in constants if name not in constant_values]  # not reached from this file's code
    reader = GoWalker(constants, constant_values, package, options.max_variants, emissions)
    for name in unused:
        value = reader.constant(name)
        if value is not None and looks_like_sql(value, at_sink=False):
            # SQL kept in a constant for another file of the package: checked where it is defined.
            emissions.append(GoEmission(constants[name], package, 0, None, "const", value))
    sequence: dict[str, int] = {}
    ordered: list[tuple[GoEmission, Site, list[Query]]] = []
    for emission in emissions:
        if emission.node.has_error:
            continue
        node = emission.node
        line, end_line = line_of(node), node.end_point[0] + 1
        index = sequence.get(emission.scope, 0)
        sequence[emission.scope] = index + 1
        site = Site(path, line, column_of(node), end_line, "go", emission.scope, emission.loop_depth,
                    emission.loop_line, emission.call, index, suppressed_at(suppressions, line, end_line),
                    emission.branch, emission.arguments)
        queries: list[Query] = []
        if emission.carried is not None:  # another file's function: checked there; the scope rules read it here
            qualified, runs = emission.carried
            for run in runs:
                value = run.value()
                loops = carried_loops(site.loop_depth, site.loop_line, run.loop_depth, value)
                if loops is not None:
                    queries += queries_from_value(value, dataclasses.replace(
                        site, loop_depth=loops[0], loop_line=loops[1], origin=run.written,
                        resolved_from=run.resolved_from or qualified))
        elif emission.value is not None:
            queries = list(queries_from_value(emission.value, site))
            capped = capped_problem(emission.value, site, options.max_variants)
            if capped is not None:
                result.problems.append(capped)
            origin = emission.value.origin
            if origin is not None and origin in shared:  # runs another file's constant unchanged: checked there
                queries = [dataclasses.replace(q, resolved_from=origin) for q in queries]
        ordered.append((emission, site, queries))
    result.queries.extend(expand_helper_calls(ordered))


def _runners(imports: list[tuple[str, str]], directory: str, own: dict[str, str],
             project: Mapping[str, Mapping[str, tuple[CarriedRun, ...]]]) -> dict[str, tuple[str, tuple[CarriedRun, ...]]]:
    """What the functions of the package's other files (``GetUser``) and of imported project packages
    (``store.GetUser``) run, by the callee's text; an import path is matched to the one project directory
    sharing the most trailing segments with it."""
    if not project:
        return {}
    found: dict[str, tuple[str, tuple[CarriedRun, ...]]] = {}
    for name, runs in project.get(directory, {}).items():
        if name not in own and "." not in name:  # a function of another file of this package
            found[name] = (f"{directory}.{name}" if directory else name, runs)
    for alias, path in imports:
        segments = path.split("/")
        shared = {d: _common_tail(d.split("/"), segments) for d in project if d and d != directory}
        best = max(shared.values(), default=0)
        matches = [d for d, count in shared.items() if count == best]
        if best == 0 or len(matches) != 1:
            continue
        for name, runs in project[matches[0]].items():
            if "." not in name:  # package functions; methods are called on values
                found[f"{alias}.{name}"] = (f"{path}.{name}", runs)
    return found


def _common_tail(a: list[str], b: list[str]) -> int:
    count = 0
    while count < min(len(a), len(b)) and a[-1 - count] == b[-1 - count]:
        count += 1
    return count


def _imports(root: Node) -> list[tuple[str, str]]:
    """(name the file uses, import path) of each import that is not blank or dot-imported: the alias, else
    the path's last element (not a /vN)."""
    found = []
    for declaration in named_children(root):
        if declaration.type != "import_declaration":
            continue
        for spec in (s for node in named_children(declaration)
                     for s in (named_children(node) if node.type == "import_spec_list" else [node])):
            alias, path = child(spec, "name"), child(spec, "path")
            if path is None:
                continue
            text = text_of(path).strip('"`')
            if alias is not None:
                if alias.type == "package_identifier":
                    found.append((text_of(alias), text))
                continue
            parts = text.split("/")
            while parts and re.fullmatch(r"v\d+", parts[-1]):
                parts.pop()
            if parts:
                found.append((re.sub(r"\.v\d+$", "", parts[-1]).replace("-", "_"), text))
    return found


def _sibling_methods(declaration: Node, declarations: list[Node]) -> dict[str, str]:
    """``s.loadItems`` inside a method whose receiver is ``s``: the methods of the same receiver type."""
    receiver = child(declaration, "receiver")
    parameters = named_children(receiver) if receiver is not None else []
    names = parameters[0].children_by_field_name("name") if parameters else []
    if not names:
        return {}
    own_type = _scope_name(declaration).rpartition(".")[0]
    return {f"{text_of(names[0])}.{text_of(child(d, 'name') or d)}": _scope_name(d) for d in declarations
            if d.type == "method_declaration" and _scope_name(d).rpartition(".")[0] == own_type}
