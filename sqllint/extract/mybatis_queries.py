"""MyBatis statements → queries: each mapped statement expanded into one Query per variant (``dynsql``),
at its element; the nested selects its result map runs once per row; the statements of a mapper file.
``mybatis`` reads the XML into statements.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from sqllint.extract import ExtractOptions, FileExtraction, Problem
from sqllint.extract.dynsql import Fragment, IncludeError, expand, iter_text
from sqllint.extract.dynsql_includes import resolve_includes
from sqllint.extract.mybatis import MapperFile, Statement, apply_binds, looks_like_mapper, parse_mapper
from sqllint.extract.mybatis_checks import duplicate_problem, optional_framework_clauses, parameter_given, quoted_parameters
from sqllint.extract.mybatis_nested import NestedSelect, nested_selects
from sqllint.extract.mybatis_text import LineMap, VariantText, own_texts
from sqllint.records import Query

if TYPE_CHECKING:
    from sqllint.extract.project import ProjectIndex


def statement_queries(statement: Statement, fragments: Mapping[str, Fragment], cap: int, site: Query,
                      report_cap: bool = True) -> tuple[list[Query], list[Problem]]:
    """One Query per variant, placed at ``site`` (a template carrying location, scope and loop)."""
    try:
        body = resolve_includes(statement.body, statement.namespace, fragments)
    except IncludeError as error:
        line, where = error.line, ""
        if error.path is not None:  # the broken <include> sits in a <sql> fragment: say where
            line, where = statement.line, f" (in a <sql> fragment, {error.path}:{error.line})"
        return [], [Problem("E021", line, 1, f"{error}{where}: statement {statement.qualified} was not checked")]
    if statement.binds:
        body = apply_binds(body, statement.binds)
    if statement.kind == "select" and "${" in "".join(iter_text(body)):
        body = optional_framework_clauses(body)
    elif statement.kind in ("update", "delete"):
        body = parameter_given(body)
    expansion = expand(body, cap)
    problems = list(quoted_parameters(statement, fragments)) if report_cap else []
    if expansion.capped and report_cap:
        problems.append(Problem("E022", statement.line, statement.column,
                                f"{statement.qualified} has {len(expansion.parts)} optional parts; only the first "
                                f"{len(expansion.variants)} variants were checked (max-variants = {cap})"))
    queries = []
    to_sql = VariantText(body)
    # Lines only where the statement is written (not at a Java call site that runs it).
    line_map = LineMap(own_texts(statement.body, fragments, statement.namespace, statement.path)) \
        if site.path == statement.path and site.resolved_from is None else None
    base = dict(site.__dict__)  # Query(**…) is several times cheaper than dataclasses.replace per variant
    for variant, raw in expansion.variants:
        if statement.callable and raw.startswith("{") and raw.endswith("}"):
            raw = raw[1:-1].strip()  # {call p(?)} → call p(?), which MySQL itself accepts
        text, placeholders = to_sql(raw)
        text = text.strip()
        lines = line_map(raw) if line_map is not None and text.count("\n") == raw.count("\n") else ()
        queries.append(Query(**{**base, "raw": raw, "text": text, "placeholders": placeholders,
                                "variant": variant, "line_map": lines}))
    return queries, problems


def extract_mybatis(data: bytes, path: str, options: ExtractOptions) -> FileExtraction:
    if not looks_like_mapper(data):
        return FileExtraction()
    project: ProjectIndex | None = options.project
    mapper = project.mappers.get(path) if project is not None else None
    if mapper is None:
        mapper = parse_mapper(data, path)
    if mapper is None:
        return FileExtraction()
    # This file's own fragments first, then every mapper's (a ChainMap: nothing is copied per file).
    fragments: Mapping[str, Fragment] = ChainMap(dict(mapper.fragments), project.fragments if project else {})
    result = FileExtraction(problems=list(mapper.problems))
    for sequence, statement in enumerate(mapper.statements):
        if project is not None and "E023" not in statement.suppressed:
            duplicate = duplicate_problem(statement, project.statement(statement.namespace, statement.id))
            if duplicate is not None:
                result.problems.append(duplicate)
        site = Query(path=path, line=statement.line, column=statement.column, end_line=statement.end_line,
                     language="xml", raw="", text="", scope=statement.qualified, call=statement.kind,
                     sequence=sequence, suppressed=statement.suppressed,
                     paged_at_run_time=bool(project is not None and project.paging_plugin))
        try:
            queries, problems = statement_queries(statement, fragments, options.max_variants, site)
        except RecursionError:  # includes × nesting deeper than the interpreter's stack
            queries, problems = [], [Problem("E021", statement.line, statement.column, f"{statement.qualified} "
                                             "nests includes and elements too deeply to expand; not checked")]
        result.queries.extend(queries)
        result.problems.extend(problems)
        nested = statement.nested
        if project is not None and project.result_maps and statement.result_map:  # maps of other mapper files
            nested = nested_selects(statement.result_map, dict(mapper_maps(mapper)), statement.namespace,
                                    project.result_maps)
        for select in nested:  # one of another file's maps is reported on the statement (it has no line here)
            result.queries.extend(_nested_queries(statement, select, mapper, project, fragments, options, sequence,
                                                  here=select.path in ("", statement.path)))
    return result


def mapper_maps(mapper: MapperFile) -> Iterator[tuple[str, tuple[str, tuple[NestedSelect, ...]]]]:
    """The file's own result maps by bare id (as ``nested_selects`` reads same-file maps)."""
    return ((key.rsplit(".", 1)[-1], entry) for key, entry in mapper.result_maps)


def _nested_queries(statement: Statement, nested: NestedSelect, mapper: MapperFile, project: ProjectIndex | None,
                    fragments: Mapping[str, Fragment], options: ExtractOptions, sequence: int,
                    here: bool = True) -> list[Query]:
    """The nested statement's queries in the outer statement's scope, once per row of it (loop depth 1)."""
    target = project.statements.get(nested.select) if project is not None else None
    target = target or next((s for s in mapper.statements if s.qualified == nested.select), None)
    if target is None:
        return []
    call = f"<{nested.tag} property=\"{nested.property}\" select> for each row of {statement.id}"
    if not here:
        call += f" (result map {statement.result_map})"
    line, column = (nested.line, nested.column) if here else (statement.line, statement.column)
    # At the statement, a nested select of another file's map is told from the statement by where it is written
    origin = () if here else ((nested.path, nested.line, nested.column),)
    site = Query(path=statement.path, line=line, column=column, language="xml", raw="", text="", origin=origin,
                 scope=statement.qualified, loop_depth=1, loop_line=statement.line, call=call, sequence=sequence,
                 suppressed=statement.suppressed, resolved_from=target.qualified)
    try:
        queries, _problems = statement_queries(target, fragments, options.max_variants, site, report_cap=False)
    except RecursionError:
        return []
    return [q for q in queries if not any(p.fragment for p in q.placeholders)]
