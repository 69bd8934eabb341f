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
  mapper statement (XML, annotation, or MyBatis-Plus's BaseMapper: ``javamp``): its queries at the
  call site, for the mergeable-queries and N+1 rules. Likewise calls of another project class's method
  that runs SQL (a JdbcTemplate DAO, a service calling a mapper: ``javacallees``).

The enclosing ``Class.method`` is the scope. A file that does not parse completely is still mined
for what tree-sitter recovered; the damage is reported (E002).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqllint.extract import ExtractOptions, FileExtraction, Problem
from sqllint.extract.dynsql import Fragment, Text
from sqllint.extract.javafile import JavaClass, JavaFile, annotation_attribute
from sqllint.extract.javacalls import Emission
from sqllint.extract.javawrapsql import wrapper_queries
from sqllint.extract.mybatis import Statement, XmlRefused, parse_xml, to_nodes
from sqllint.extract.mybatis_checks import duplicate_problem
from sqllint.extract.mybatis_queries import statement_queries
from sqllint.extract.pyrunners import is_read
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
    suppressed_at,
    syntax_errors,
    syntax_problem_message,
    text_of,
)
from sqllint.files import decode_text
from sqllint.records import Query

if TYPE_CHECKING:
    from tree_sitter import Node

    from sqllint.extract.project import ProjectIndex


STATEMENT_ANNOTATIONS = {"Select": "select", "Insert": "insert", "Update": "update", "Delete": "delete"}
PROVIDER_ANNOTATIONS = frozenset({"SelectProvider", "InsertProvider", "UpdateProvider", "DeleteProvider"})
_COMMENTS = frozenset({"line_comment", "block_comment"})
# @Query annotations whose text is SQL whatever their attributes (JPA's is JPQL unless nativeQuery = true)
SQL_QUERY_ANNOTATIONS = ("org.springframework.data.jdbc.", "org.springframework.data.r2dbc.", "io.micronaut.data.")
# Constants worth sharing across files: SQL statements and the fragments they are built from.
_SQL_WORDS = re.compile(r"\b(?:SELECT|FROM|WHERE|JOIN|INSERT|UPDATE|DELETE|VALUES|ORDER BY|GROUP BY)\b", re.IGNORECASE)


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
            # One line per array element, each with its file line: E001 points into the script (else its line).
            script, lines = java.annotation_lines(info, annotation) or (text.strip(), [])
            leading = len(script) - len(script.lstrip())
            lines = lines[script.count("\n", 0, leading):]
            try:
                built = parse_xml(script.lstrip(), line_offset=0 if lines else line - 1)
            except XmlRefused as refused:
                if problems is not None:
                    where = lines[refused.line - 1] if 0 < refused.line <= len(lines) else refused.line
                    problems.append(Problem(refused.code, where, column, f"<script> in @{name} on {qualified}: "
                                            f"{refused}"))
                continue
            body = to_nodes(built.root.children, positions=lines or False) if built.root is not None else ()
        else:
            body = (Text(text),)
        end_line = annotation.end_point[0] + 1
        statements.append(Statement(java.namespace(info), method_name, STATEMENT_ANNOTATIONS[name], body,
                                    java.path, line, column, end_line, suppressed_at(suppressions, line, end_line)))
    return statements


def _native_statements(java: JavaFile) -> list[Statement]:
    """Spring Data repository methods annotated with native SQL, as statements other files' calls run
    (``orderRepository.findPaidByUser(id)`` in a loop is N+1 like a mapper call). Checked where they
    are written (``_native_query``); here only for the project index."""
    out: list[Statement] = []
    for info, method, annotation, name in java.annotated():
        if name != "Query" or not info.is_interface or not _is_native(java, annotation):
            continue
        value = java.annotation_sql(info, annotation)
        if value is None or len(value.alts) != 1 or value.parts or not looks_like_sql(value, at_sink=True):
            continue
        text = value.texts()[0]
        kind = text.split(None, 1)[0].lower() if text.strip() else ""
        if kind in STATEMENT_ANNOTATIONS.values() and not any(not isinstance(s, str) for s in value.alts[0].segments):
            out.append(Statement(java.namespace(info), text_of(child(method, "name") or method), kind, (Text(text),),
                                 java.path, line_of(annotation), column_of(annotation)))
    return out


def _is_native(java: JavaFile, annotation: Node) -> bool:
    native = annotation_attribute(annotation, "nativeQuery")
    return java.imports.get("Query", "").startswith(SQL_QUERY_ANNOTATIONS) or (
        native is not None and text_of(native) == "true")


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
        return _statements(java, None, {}) + _native_statements(java), constants
    except Exception:  # noqa: BLE001 - the pre-pass must not end the run; the file's own check reports it
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
    except Exception as error:  # noqa: BLE001 - a bug here must cost one file, not the run
        result.problems.append(Problem("E005", 1, 1, f"the Java extractor failed on this file "
                                       f"({type(error).__name__}: {error}); its SQL was not checked"))
    return result


def _extract(java: JavaFile, options: ExtractOptions, result: FileExtraction) -> None:
    errors = syntax_errors(java.root)
    if errors:
        damaged = errors[0]
        result.problems.append(Problem("E002", line_of(damaged), column_of(damaged),
                                       syntax_problem_message("Java", errors)))
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
        first = local_statements.get(statement.qualified)
        if first is not None and "E023" not in statement.suppressed:  # overloads of one mapper method
            result.problems.append(Problem("E023", statement.line, statement.column, f"statement "
                                           f"`{statement.qualified}` is also mapped on line {first.line}: overloaded "
                                           "mapper methods share one statement id and MyBatis refuses to start"))
        elif project is not None and "E023" not in statement.suppressed:
            duplicate = duplicate_problem(statement, project.statement(statement.namespace, statement.id))
            if duplicate is not None:
                result.problems.append(duplicate)
        local_statements.setdefault(statement.qualified, statement)
        local_namespaces[statement.namespace.rsplit(".", 1)[-1]] = statement.namespace
        site = Query(path=java.path, line=statement.line, column=statement.column, end_line=statement.end_line,
                     language="java", raw="", text="", scope=statement.qualified, call=f"@{statement.kind.title()}",
                     sequence=next_sequence(statement.qualified), suppressed=statement.suppressed,
                     paged_at_run_time=bool(project is not None and project.paging_plugin))
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

    if project is not None and project.callees:
        java.resolve_callee = lambda simple, method, wiring: project.resolve_callee(simple, method, java.imports,
                                                                                    java.package, wiring)
    ordered: list[tuple[Emission, Site, list[Query]]] = []
    for emission in java.walk_methods(resolve_mapper):
        if emission.node.has_error:
            continue  # the call itself is damaged: E002 above covers it
        node = emission.node
        line, end_line = line_of(node), node.end_point[0] + 1
        site = Site(java.path, line, column_of(node), end_line, "java", emission.scope, emission.loop_depth,
                    emission.loop_line, emission.call, next_sequence(emission.scope),
                    suppressed_at(suppressions, line, end_line), emission.branch, emission.call_arguments())
        queries: list[Query] = []
        if emission.value is not None:
            queries = list(queries_from_value(emission.value, site))
            capped = capped_problem(emission.value, site, options.max_variants)
            if capped is not None:
                result.problems.append(capped)
            origin = emission.value.origin
            if origin is not None and origin in java.external:  # checked where the constant is defined
                queries = [dataclasses.replace(q, resolved_from=origin) for q in queries]
        elif emission.mapper is not None:
            namespace, method = emission.mapper
            statement = project.statement(namespace, method) if project is not None else None
            statement = statement or local_statements.get(f"{namespace}.{method}")
            if statement is not None:  # else not a mapped statement (a default method, a BaseMapper method, …)
                queries = _resolved(statement, site, options, fragments)
            elif emission.wrapper is not None:
                queries = _wrapper(emission, site, java, project, result.problems)
        elif emission.wrapper is not None:
            queries = _wrapper(emission, site, java, project, result.problems)
        elif emission.callee is not None and project is not None:
            queries = _callee_queries(emission.callee, project, site, options, fragments)
        ordered.append((emission, site, queries))
    result.queries.extend(expand_helper_calls(ordered))
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


def _wrapper(emission: Emission, site: Site, java: JavaFile, project: ProjectIndex | None,
             problems: list[Problem]) -> list[Query]:
    """A MyBatis-Plus wrapper call's queries (``javawrapsql``); an E004 note when it cannot be built."""
    assert emission.wrapper is not None
    queries, why = wrapper_queries(emission.wrapper, site, project, java.imports, java.package)
    if why is not None and "E004" not in site.suppressed and "*" not in site.suppressed:
        problems.append(Problem("E004", site.line, site.column, f"`{emission.wrapper.call}`: {why}, so the "
                                "query its wrapper builds was not checked"))
    return queries


def _resolved(statement: Statement, site: Site, options: ExtractOptions, fragments: dict[str, Fragment]) -> list[Query]:
    """The mapper statement's queries at the call site, marked as defined elsewhere."""
    template = Query(path=site.path, line=site.line, column=site.column, end_line=site.end_line, language="java",
                     raw="", text="", scope=site.scope, loop_depth=site.loop_depth, loop_line=site.loop_line,
                     call=site.call, sequence=site.sequence, suppressed=site.suppressed,
                     resolved_from=statement.qualified, branch=site.branch, origin=site.origin)
    queries, _problems = statement_queries(statement, fragments, options.max_variants, template, report_cap=False)
    # Problems and clauses the extractor cannot see are reported where the statement is defined.
    queries = [q for q in queries if not any(p.fragment for p in q.placeholders)]
    # A call passes its parameter object (`selectByExample(example)`): the variants where MyBatis
    # Generator's `_parameter != null` is false are the definition's business, not this call's. Two calls
    # with different examples would otherwise "read the table by the same key (no condition)".
    given = [q for q in queries if q.variant is None or "_parameter" not in q.variant.parts
             or "_parameter" in q.variant.on]
    return given or queries


def _callee_queries(key: str, project: ProjectIndex, site: Site, options: ExtractOptions,
                    fragments: dict[str, Fragment]) -> list[Query]:
    """What another class's method runs (``orderDao.findByUser(id)``), at the call site; the call reads
    ``orderDao.findByUser → jdbcTemplate.query``.

    A loop inside the method is the method's own N+1, reported there: the caller runs the method once, so
    at a call outside the caller's loops the reads of that loop are left out (neither N+1 here nor one read
    to merge with another); its writes stay, unlooped, since a later read of their table sees them. At a
    call inside a loop of the caller everything the method runs is run per iteration: N+1 here too."""
    out: list[Query] = []
    for run in project.callees.get(key, ()):
        in_own_loop = run.loop_depth > 0 and site.loop_depth == 0
        depth = site.loop_depth + run.loop_depth if site.loop_depth else 0
        inner = dataclasses.replace(site, loop_depth=depth, call=f"{site.call} → {run.call}", origin=run.origin,
                                    arguments=None)  # the caller's arguments are the method's, not the SQL's
        if run.value is not None:
            queries = list(queries_from_value(run.value, inner))
        else:
            statement = project.statements.get(run.statement or "")
            queries = _resolved(statement, inner, options, fragments) if statement is not None else []
        if in_own_loop:
            queries = [q for q in queries if not is_read(q.text)]
        out.extend(dataclasses.replace(q, resolved_from=key) if run.value is not None else q for q in queries)
    return out


def _native_query(java: JavaFile, info: JavaClass, method: Node, annotation: Node, suppressions: dict[int, frozenset[str]],
                  next_sequence: Callable[[str], int], result: FileExtraction) -> None:
    """Spring Data ``@Query``: SQL for JDBC/R2DBC repositories and Micronaut Data, and for JPA with
    ``nativeQuery = true``; JPA's default is JPQL, which is not MySQL."""
    if not _is_native(java, annotation):
        return
    scope = f"{info.name}.{text_of(child(method, 'name') or method)}"
    # The paging count query is native SQL too (Page<T> results run it beside the main query).
    for attribute in ("value", "countQuery"):
        node = annotation if attribute == "value" else annotation_attribute(annotation, attribute)
        value = java.annotation_sql(info, annotation, attribute) if node is not None else None
        if value is None or not looks_like_sql(value, at_sink=True):
            continue
        line, end_line = line_of(node), node.end_point[0] + 1
        call = "@Query" if attribute == "value" else f"@Query {attribute}"
        site = Site(java.path, line, column_of(node), end_line, "java", scope, 0, None, call,
                    next_sequence(scope), suppressed_at(suppressions, line, end_line))
        result.queries.extend(queries_from_value(value, site))

