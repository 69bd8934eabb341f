"""A project-level pre-pass: what one file's SQL needs to know about the others.

MyBatis splits a statement across files: ``<include refid="other.ns.columns">`` pulls a fragment from
another mapper, and a Java service runs ``orderMapper.listOrders(q)`` whose SQL lives in
``OrderMapper.xml`` (or in an ``@Select`` on the ``OrderMapper`` interface). The engine builds this
index once, before checking files, and hands it to every extractor through ``ExtractOptions``; it is a
plain frozen dataclass of dicts so that worker processes receive it pickled.

Only files that can hold mapper statements or shared SQL are read here: XML containing ``<mapper``,
Java containing a MyBatis statement annotation or a ``static final String`` (a DAO in one file running
``OrderSql.BY_ID`` from another), Go declaring package-level constants (shared by a package's files), Python passing a parameter into a DB call (a
``run(sql, params)`` helper other modules import: ``pyhelpers``). Parsed mapper files are kept so the XML extractor does not
parse them twice.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqllint.extract.pyhelperindex import HelperSource, ProjectHelpers, helpers_of, may_define_helper, module_name
from sqllint.extract.pyrunners import CarriedRun, ProjectRunners, imported_modules, module_runs, runs_sql, sql_callees
from sqllint.extract.pynamed import MARKERS as NAMED_MARKERS
from sqllint.extract.pynamed import NamedQuery
from sqllint.extract.pyvalues import Value
from sqllint.files import SourceFile, read_source

if TYPE_CHECKING:
    from sqllint.extract.dynsql import Fragment
    from sqllint.extract.mybatis import MapperFile, Statement
    from sqllint.cache import ContentMemo
    from sqllint.extract.javacallees import Bean, Run

_GO_CALLED = re.compile(rb"\b([A-Za-z_]\w*)\s*\(")
_GO_FUNCTION = re.compile(rb"^func\s+([A-Za-z_]\w*)\s*[\[(]", re.MULTILINE)  # package functions, not methods
_JAVA_MARKERS = (b"@Select", b"@Insert", b"@Update", b"@Delete", b"@Query")  # @Query: Spring Data native SQL
# MyBatis-Plus mappers and entities, Spring Data repositories and JPA entities (javamp)
_MP_MARKERS = (b"BaseMapper", b"@TableName", b"Repository<", b"@Entity", b"@TableId", b"@TableField", b"Service<",
               b"ServiceImpl<")
_PAGING_MARKERS = (b"PageHelper", b"PageMethod.startPage", b"PaginationInnerInterceptor", b"PaginationInterceptor")
_JAVA_CONSTANT_MARKERS = (b"static final String", b"final static String")  # SQL kept in constants
# Files worth parsing for shared SQL constants must at least say a statement verb somewhere.
_SQL_BYTES = re.compile(rb"\b(?:SELECT|INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ProjectIndex:
    mappers: Mapping[str, MapperFile] = field(default_factory=dict)  # parsed mapper XML by display path
    fragments: Mapping[str, Fragment] = field(default_factory=dict)  # <sql> by namespace.id
    statements: Mapping[str, Statement] = field(default_factory=dict)  # by namespace.id / Interface FQN.method
    # simple interface name → namespaces ending with it, for services that import with a wildcard
    by_simple_name: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    namespaces: frozenset[str] = frozenset()
    digest: str = ""  # of every indexed file's path and content: cached results depend on all of them
    # SQL constants of Java classes by "Class FQN.NAME", for code in other files that runs them
    constants: Mapping[str, Value] = field(default_factory=dict)
    # Go package-level SQL constants by "directory|name": a package's files share them
    go_constants: Mapping[str, Value] = field(default_factory=dict)
    # What methods of the project's Java classes run (a DAO's JdbcTemplate SQL, a service's mapper call),
    # by "package.Class.method" (and "package.Interface.method" for an interface one class implements)
    callees: Mapping[str, tuple[Run, ...]] = field(default_factory=dict)
    callee_types: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # simple name → those FQNs
    # Python functions that run a parameter as SQL (a project's run(sql, params)), by name, for other modules
    python_helpers: ProjectHelpers = field(default_factory=ProjectHelpers)
    # interface FQN → its implementations, where several are and one runs SQL: Spring's hints pick one
    beans: Mapping[str, tuple[Bean, ...]] = field(default_factory=dict)
    # MyBatis-Plus: entity FQN → javamp.Entity, and mapper / IService / ServiceImpl FQN → its entity FQN
    # (what a wrapper call reads: javawrapper)
    mp_entities: Mapping[str, object] = field(default_factory=dict)
    mp_types: Mapping[str, str] = field(default_factory=dict)
    # Some Java file uses a pagination plugin (PageHelper.startPage, MyBatis-Plus's interceptor), which
    # adds LIMIT to mapper statements at run time: S016 cannot tell which statements it pages.
    paging_plugin: bool = False
    # Every mapper's <resultMap>s by namespace.id → (what they extend, their nested selects): a statement's
    # resultMap may live in another mapper file (mybatis_nested)
    result_maps: Mapping[str, tuple[str, tuple]] = field(default_factory=dict)
    # Named queries of the project's .sql files (``-- name: get-user``), by the name Python code calls them
    # (aiosql, PugSQL: pynamed); only read when some Python file uses one of those libraries.
    named_sql: Mapping[str, tuple[NamedQuery, ...]] = field(default_factory=dict)
    # What the functions of Python modules other modules import run (pyrunners), for their callers
    python_runners: ProjectRunners = field(default_factory=ProjectRunners)
    # What Go functions run, by package directory then function name, for the package's other files and
    # for the packages importing it
    go_runners: Mapping[str, Mapping[str, tuple[CarriedRun, ...]]] = field(default_factory=dict)

    def python_digest(self, imported: set[str] | None = None) -> str:
        """What a Python file's SQL depends on beyond its own text: other modules' helpers, named queries,
        and what the functions of the modules it imports run (``imported``: ``pyrunners.imported_modules``
        of the file; None: every module's)."""
        if not (self.python_helpers or self.named_sql or self.python_runners):
            return ""
        return (self.python_helpers.digest_text() + _named_digest(self.named_sql)
                + self.python_runners.digest_text(imported))

    def resolve_type(self, simple: str, imports: Mapping[str, str], package: str) -> str | None:
        """The mapper namespace a Java type name refers to, or None when it is not a known mapper."""
        if simple in imports:
            fqn = imports[simple]
            return fqn if fqn in self.namespaces else None
        candidates = self.by_simple_name.get(simple, ())
        same_package = f"{package}.{simple}" if package else simple
        if same_package in candidates:
            return same_package
        return candidates[0] if len(candidates) == 1 else None

    def statement(self, namespace: str, method: str) -> Statement | None:
        return self.statements.get(f"{namespace}.{method}")

    def resolve_callee(self, simple: str, method: str, imports: Mapping[str, str], package: str,
                       wiring: tuple[str, str | None] | None = None) -> str | None:
        """``package.Class.method`` of a project method that runs SQL, called on a receiver declared
        with type ``simple`` in a file with these imports; None when it is not one. ``wiring`` (field
        name, @Qualifier) of an injected field picks among an interface's implementations."""
        same = f"{package}.{simple}" if package else simple
        if simple in imports:
            candidates = [imports[simple]]
        else:
            known = self.callee_types.get(simple, ())
            candidates = [same] if same in known or same in self.beans else list(known) if len(known) == 1 else []
        if candidates and candidates[0] in self.beans:
            from sqllint.extract.javacallees import choose_bean

            chosen = choose_bean(self.beans[candidates[0]], wiring)
            candidates = [chosen] if chosen is not None else []
        key = f"{candidates[0]}.{method}" if candidates else None
        return key if key is not None and key in self.callees else None


def build_index(files: Iterable[SourceFile], max_file_size: int, callees: bool = True,
                memo: ContentMemo | None = None) -> ProjectIndex:
    """The index of ``files``; without ``callees`` the Java callee pre-pass is left to ``with_callees``
    (a run whose Java files are all cached never needs it). ``memo`` remembers, by content, which Python
    files may define a helper, so a warm run does not scan them all again."""
    mappers: dict[str, MapperFile] = {}
    fragments: dict[str, Fragment] = {}
    statements: dict[str, Statement] = {}
    constants: dict[str, Value] = {}
    go_constants: dict[str, Value] = {}
    digest = hashlib.blake2b(digest_size=16)
    java_sources: list[SourceFile] = []  # read again once every mapper statement is known
    mp_mappers: dict[str, tuple[str, str, int, str]] = {}  # MyBatis-Plus mapper / repository → entity …
    mp_entities: dict = {}  # entity FQN → javamp.Entity
    mp_types: dict[str, str] = {}  # mapper / service FQN → entity FQN
    paging_plugin = False
    result_maps: dict[str, tuple[str, tuple]] = {}  # namespace.id → (extends, nested selects), every mapper's
    python_sources: list[HelperSource] = []  # the files that may define a helper (read again if needed)
    # Python files that may run SQL: a content digest, and what they call with SQL (pyrunners.sql_callees)
    runner_sources: list[tuple[SourceFile, bytes, frozenset[bytes]]] = []
    # Go files with SQL words: a content digest and the package functions they define
    go_sources: list[tuple[SourceFile, bytes, frozenset[bytes]]] = []
    go_named_in: dict[bytes, str] = {}  # an identifier followed by "(" → the first Go file with it
    go_named_twice: set[bytes] = set()  # … and those two or more files have (defined in one, called in another)
    imported: set[str] = set()  # dotted names the Python files' import lines may refer to
    sql_sources: list[SourceFile] = []  # read only if some Python file loads named queries (aiosql, PugSQL)
    loads_named = False
    for source in files:
        if source.language == "sql":
            sql_sources.append(source)
            continue
        if source.language not in ("xml", "java", "go", "python"):
            continue
        data = read_source(source.absolute, max_file_size).data
        if data is None:
            continue
        if source.language == "python":
            loads_named = loads_named or any(marker in data for marker in NAMED_MARKERS)
            content = hashlib.blake2b(data, digest_size=16).digest()
            maybe = memo.get(data, may_define_helper, content) if memo is not None else may_define_helper(data)
            if maybe:
                python_sources.append(HelperSource(source.path, source.absolute, content))
            if (callees := sql_callees(data)) is not None:  # whether they run SQL: once helpers are known
                runner_sources.append((source, content, callees))
            if b"import" in data:
                imported |= imported_modules(data, source.path)
            continue
        digest.update(f"{source.path}|{len(data)}|".encode() + hashlib.blake2b(data, digest_size=16).digest())
        if source.language == "java":
            java_sources.append(source)
            paging_plugin = paging_plugin or any(marker in data for marker in _PAGING_MARKERS)
            if any(m in data for m in _MP_MARKERS):
                from sqllint.extract.javamp import index_mp  # MyBatis-Plus mappers and entities

                try:
                    found = index_mp(data, source.path)
                except Exception:  # noqa: BLE001 - the pre-pass must not end the run
                    found = None
                if found is not None:
                    mp_mappers.update(found.mappers)
                    mp_entities.update(found.entities)
                    mp_types.update(found.services)
        if source.language == "xml" and _mybatis().looks_like_mapper(data):
            mapper = _mybatis().parse_mapper(data, source.path)
            if mapper is None:
                continue
            mappers[source.path] = mapper
            fragments.update(mapper.fragments)
            result_maps.update(mapper.result_maps)
            for statement in mapper.statements:
                if statement.namespace:
                    statements.setdefault(statement.qualified, statement)
        elif source.language == "java" and (any(m in data for m in _JAVA_MARKERS) or (
                any(m in data for m in _JAVA_CONSTANT_MARKERS) and _SQL_BYTES.search(data))):
            from sqllint.extract.java import index_java  # tree-sitter only when Java is present

            annotated, sql_constants = index_java(data, source.path)
            for statement in annotated:
                statements.setdefault(statement.qualified, statement)
            for key, value in sql_constants.items():
                constants.setdefault(key, value)
        if source.language == "go":
            for name in set(_GO_CALLED.findall(data)):  # which files mention each name followed by "("
                if name not in go_named_twice and go_named_in.setdefault(name, source.path) != source.path:
                    go_named_twice.add(name)
        if source.language == "go" and _SQL_BYTES.search(data):
            go_sources.append((source, hashlib.blake2b(data, digest_size=16).digest(),
                               frozenset(_GO_FUNCTION.findall(data))))
            if b"const" in data or b"var" in data:
                from sqllint.extract.golang import index_go

                go_constants.update(index_go(data, source.path))
    if mp_mappers:
        from sqllint.extract.javamp import Entity, mp_statements, snake

        for mapper, (entity, path, line, kind) in mp_mappers.items():
            table = mp_entities.get(entity) or Entity(snake(entity.rsplit(".", 1)[-1]))
            if kind == "mp":
                mp_types[mapper] = entity
            for statement in mp_statements(mapper, table, path, line, kind):
                statements.setdefault(statement.qualified, statement)  # XML or an annotation wins
    simple: dict[str, list[str]] = {}
    for namespace in sorted({s.namespace for s in statements.values() if s.namespace}):
        simple.setdefault(namespace.rsplit(".", 1)[-1], []).append(namespace)
    helpers = helpers_of(python_sources, max_file_size, memo) if python_sources else ProjectHelpers()
    named = _named_sql(sql_sources, max_file_size) if loads_named else {}
    index = ProjectIndex(mappers, fragments, statements, {k: tuple(v) for k, v in simple.items()},
                         frozenset(n for names in simple.values() for n in names), digest.hexdigest(), constants,
                         go_constants, python_helpers=helpers, mp_entities=mp_entities, mp_types=mp_types,
                         paging_plugin=paging_plugin, result_maps=result_maps, named_sql=named,
                         python_runners=_python_runners(runner_sources, imported, helpers, named, max_file_size, memo)
                         if runner_sources and imported else ProjectRunners(),
                         # only files defining a function some other file calls are read again
                         go_runners=_go_runners([(source, content) for source, content, functions in go_sources
                                                 if functions & go_named_twice], go_constants, max_file_size, memo))
    return with_callees(index, java_sources, max_file_size) if callees else index


def with_callees(index: ProjectIndex, files: Iterable[SourceFile], max_file_size: int) -> ProjectIndex:
    """``index`` with what the project's Java methods run (``javacallees``), for calls from other classes."""
    java_sources = [f for f in files if f.language == "java"]
    if not java_sources:
        return index
    from dataclasses import replace

    from sqllint.extract.javacallees import callee_index  # tree-sitter only when Java is present

    callees, types, beans = callee_index(java_sources, index, max_file_size)
    return replace(index, callees=callees, callee_types=types, beans=beans) if callees else index


def _named_digest(named: Mapping[str, tuple[NamedQuery, ...]]) -> str:
    return repr(sorted((name, [(q.path, q.raw) for q in queries]) for name, queries in named.items()))


def _python_runners(sources: list[tuple[SourceFile, bytes, frozenset[bytes]]], imported: set[str], helpers: ProjectHelpers,
                    named: Mapping[str, tuple[NamedQuery, ...]], max_file_size: int,
                    memo: ContentMemo | None) -> ProjectRunners:
    """What the functions of the modules some module imports run (``pyrunners``). Each module is extracted
    as a check would (with the project's helpers and named queries); ``memo`` remembers the answer by
    the module's content and that context, so a warm run extracts none again."""
    from sqllint.extract.python import extract_python

    context = hashlib.blake2b((helpers.digest_text() + _named_digest(named)).encode(), digest_size=16).digest()
    helper_names = frozenset(name.rsplit(".", 1)[-1].encode() for name in [
        *helpers.by_name, *(name for functions in helpers.by_module.values() for name in functions)])
    by_module: dict[str, dict[str, tuple[CarriedRun, ...]]] = {}
    for source, content, callees in sources:
        module = module_name(source.path)
        parts = module.split(".")
        if not runs_sql(callees, helper_names) or not any(".".join(parts[i:]) in imported for i in range(len(parts))):
            continue  # runs no SQL, or no module imports it (by any suffix of its name)

        def compute(_key: bytes, source: SourceFile = source) -> dict[str, Any]:
            data = read_source(source.absolute, max_file_size).data
            if data is None:
                return {}
            try:
                queries = extract_python(data, source.path, known_helpers=helpers or None,
                                         named_sql=named or None).queries
            except Exception:  # noqa: BLE001 - the pre-pass must not end the run (the file's own check reports it)
                return {}
            return {name: [run.to_json() for run in runs] for name, runs in module_runs(queries).items()}

        key = b"runners\n" + source.path.encode() + b"\n" + content + context
        found = memo.get(key, compute) if memo is not None else compute(key)
        if found:
            by_module[module] = {name: tuple(CarriedRun.from_json(run) for run in runs) for name, runs in found.items()}
    return ProjectRunners(by_module)


def _go_runners(sources: list[tuple[SourceFile, bytes]], constants: Mapping[str, Value], max_file_size: int,
                memo: ContentMemo | None) -> dict[str, dict[str, tuple[CarriedRun, ...]]]:
    """What each Go function runs, by package directory (``pyrunners.module_runs`` of each file's
    extraction, with the package's shared constants); ``memo`` remembers it by the file's content and
    its package's constants."""
    import posixpath

    from sqllint.extract import ExtractOptions
    from sqllint.extract.golang import extract_go

    options = ExtractOptions(project=ProjectIndex(go_constants=constants))
    by_directory: dict[str, dict[str, tuple[CarriedRun, ...]]] = {}
    for source, content in sources:
        directory = posixpath.dirname(source.path)
        package = sorted((key, value.texts()) for key, value in constants.items() if key.startswith(directory + "|"))
        context = hashlib.blake2b(repr(package).encode(), digest_size=16).digest()

        def compute(_key: bytes, source: SourceFile = source) -> dict[str, Any]:
            data = read_source(source.absolute, max_file_size).data
            if data is None:
                return {}
            queries = extract_go(data, source.path, options).queries
            return {name: [run.to_json() for run in runs] for name, runs in module_runs(queries).items()}

        key = b"go-runners\n" + source.path.encode() + b"\n" + content + context
        found = memo.get(key, compute) if memo is not None else compute(key)
        for name, runs in found.items():
            by_directory.setdefault(directory, {})[name] = tuple(CarriedRun.from_json(run) for run in runs)
    return by_directory


def _named_sql(sources: list[SourceFile], max_file_size: int) -> dict[str, tuple[NamedQuery, ...]]:
    from sqllint.extract.sqlfile import extract_sql

    found: dict[str, list[NamedQuery]] = {}
    for source in sources:
        data = read_source(source.absolute, max_file_size).data
        if data is None or (b"name:" not in data and b":name" not in data):
            continue
        for query in extract_sql(data.decode("utf-8", "replace"), source.path):
            if query.scope is not None:
                found.setdefault(query.scope, []).append(NamedQuery(source.path, query.scope, query.raw, query.line))
    return {name: tuple(queries) for name, queries in found.items()}


def _mybatis():  # type: ignore[no-untyped-def]
    """The MyBatis parser, imported when a project has XML: a Python-only run does not pay for it."""
    from sqllint.extract import mybatis

    return mybatis
