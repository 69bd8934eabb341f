"""Calls into other classes of the project that run SQL: ``orderDao.findByUser(id)`` in a service.

A DAO method that runs ``jdbcTemplate.query("SELECT …")`` (or JDBC, ``createNativeQuery``, a MyBatis
mapper method, a MyBatis-Plus wrapper chain) runs that SQL wherever it is called. The project index walks
such classes once (``index_callees``) and keeps, per ``package.Class.method``, the runs of its body: the
SQL value (a wrapper's rendered with its variants: ``javawrapsql``) or the mapper statement, with the
loop depth inside the method. At a call site whose receiver is declared with that class (or an interface
it alone implements; of an interface several classes implement, the one Spring injects there when the
code says which: ``choose_bean``), the Java extractor puts those queries, marked
``resolved_from``, so the N+1 and mergeable-queries rules read them in the caller's method, as they read
mapper calls. One hop only: a call reaching SQL through two other classes is not followed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from typing import TYPE_CHECKING

from sqllint.extract.javafile import JavaFile, annotations_of, bean_qualifier, string_attribute
from sqllint.extract.javacalls import Emission
from sqllint.extract.javawrapsql import wrapper_sql
from sqllint.extract.pyvalues import Value
from sqllint.extract.tsutil import column_of, field as child, line_of, named_children, text_of
from sqllint.files import SourceFile, read_source

if TYPE_CHECKING:
    from tree_sitter import Node

    from sqllint.extract.project import ProjectIndex

# What a file must mention to be worth walking in the pre-pass: a JDBC-style call, or a mapper type.
JDBC_MARKERS = (b"JdbcTemplate", b"JdbcClient", b"prepareStatement", b"createStatement", b"createNativeQuery",
                b"createSQLQuery", b"executeQuery", b"executeUpdate", b"DSLContext")
_OVERLOAD = re.compile(r"\(.*\)$")
_TYPE_NAME = re.compile(rb"\b[A-Z]\w*")
_DECLARED = re.compile(rb"\b(?:class|interface|enum|record)\s+([A-Z]\w*)")
_IMPLEMENTS = re.compile(rb"\bimplements\s+([^{]+)\{")
_TEST_SOURCES = "/src/test/"  # Maven/Gradle test sources
_CALLED = re.compile(rb"\.\s*(\w+)\s*\(")  # `.name(`: a method no file calls so is not worth walking
STEREOTYPES = frozenset({"Service", "Component", "Repository", "Controller", "RestController"})


@dataclass(frozen=True)
class Bean:
    """A class implementing an interface, as Spring's autowiring tells it from the others."""

    owner: str  # class FQN
    names: frozenset[str]  # its bean name (@Service("x"), else the decapitalised class name), its @Qualifier
    primary: bool  # @Primary


@dataclass(frozen=True)
class Run:
    """What a called method runs: a SQL value, or a mapper statement (``namespace.id``)."""

    call: str  # the DB call inside the method, e.g. "jdbcTemplate.query"
    loop_depth: int  # loops around it inside the method
    value: Value | None = None
    statement: str | None = None
    # Where it is written: (path, line, column) of the method's call of a same-class helper, if any, down
    # to the DB or mapper call itself (``Query.origin``: tells a method's statements apart at its calls).
    origin: tuple[tuple[str, int, int], ...] = ()


def index_callees(data: bytes, path: str, resolve_mapper: Callable[[JavaFile, str], str | None],
                  has_statement: Callable[[str], bool], external: Mapping[str, Value] | None = None,
                  called: Callable[[str], bool] | None = None, project: ProjectIndex | None = None
                  ) -> tuple[dict[str, tuple[Run, ...]], dict[str, list[Bean]]]:
    """(runs by ``package.Class.method``, implemented interface FQN → the file's classes implementing it);
    with ``called``, only of the methods whose name it accepts (the others are not walked). ``project``'s
    MyBatis-Plus entities render the wrapper queries (without it they are left out)."""
    java = JavaFile(data, path, external=external)
    emissions = java.walk_methods(lambda simple: resolve_mapper(java, simple), called)
    by_scope: dict[str, list[Emission]] = {}
    for emission in emissions:
        by_scope.setdefault(emission.scope, []).append(emission)

    def runs(scope: str, visiting: frozenset[str]) -> list[Run]:
        out: list[Run] = []
        for emission in by_scope.get(scope, ()):
            at = ((path, line_of(emission.node), column_of(emission.node)),)
            if emission.value is not None:
                out.append(Run(emission.call, emission.loop_depth, value=emission.value, origin=at))
            elif emission.mapper is not None and has_statement(".".join(emission.mapper)):
                out.append(Run(emission.call, emission.loop_depth, statement=".".join(emission.mapper), origin=at))
            elif emission.wrapper is not None and project is not None and not isinstance(
                    sql := wrapper_sql(emission.wrapper, emission.scope, project, java.imports, java.package), str):
                # its SQL only, as the other runs: the values it binds are the method's parameters, not the caller's
                out.append(Run(emission.call, emission.loop_depth, value=sql[0], origin=at))
            elif emission.helper is not None and emission.helper not in visiting:
                out.extend(Run(f"{emission.call} → {r.call}", emission.loop_depth + r.loop_depth, r.value, r.statement,
                               at + r.origin)
                           for r in runs(emission.helper, visiting | {scope}))
        return out

    prefix = f"{java.package}." if java.package else ""
    found: dict[str, list[Run]] = {}
    for scope in by_scope:
        owner, _dot, method = _OVERLOAD.sub("", scope).rpartition(".")
        if not owner or not any(c.name == owner and not c.is_interface for c in java.classes):
            continue  # an anonymous class's callback, or a mapper interface (its statements are indexed)
        collected = runs(scope, frozenset())
        if collected:
            found.setdefault(f"{prefix}{owner}.{method}", []).extend(collected)
    return {k: tuple(v) for k, v in found.items()}, implementations(java)


def implementations(java: JavaFile) -> dict[str, list[Bean]]:
    """Interface FQN → the classes of the file that implement it (candidates for its injection). An
    abstract one stands for its subclasses, which inherit what its methods run (a template method)."""
    prefix = f"{java.package}." if java.package else ""
    out: dict[str, list[Bean]] = {}
    for info in java.classes:
        if info.is_interface:
            continue
        bean = bean_of(info.node, info.name.rsplit(".", 1)[-1], f"{prefix}{info.name}")
        for interface in _interfaces(info.node):
            out.setdefault(java.imports.get(interface) or f"{prefix}{interface}", []).append(bean)
    return out


def bean_of(node: Node, simple: str, owner: str) -> Bean:
    """The class declared by ``node`` as a candidate for injection (``owner`` is its FQN)."""
    # java.beans.Introspector.decapitalize, which Spring's default bean names follow: "URLDao" stays
    names = {simple if simple[1:2].isupper() else simple[:1].lower() + simple[1:]}
    primary = False
    for name, annotation in annotations_of(node):
        if name in STEREOTYPES and (given := string_attribute(annotation, "value")):
            names = {given}
        primary = primary or name == "Primary"
    qualifier = bean_qualifier(node)
    return Bean(owner, frozenset(names | ({qualifier} if qualifier else set())), primary)


def choose_bean(beans: tuple[Bean, ...], wiring: tuple[str, str | None] | None) -> str | None:
    """The class Spring injects at a field of an interface several classes implement, as its autowiring
    decides: the @Qualifier names a bean, else the one @Primary bean, else the bean named like the field
    (``wiring`` is None for a parameter or a local: only @Primary can tell then). None when the code does
    not say: which one runs is not guessed."""
    name, qualifier = wiring if wiring is not None else (None, None)
    pool = [b for b in beans if qualifier in b.names] if qualifier else list(beans)
    primary = [b for b in pool if b.primary]
    named = [b for b in pool if name in b.names]
    for chosen in (pool, primary, named):
        if len(chosen) == 1:
            return chosen[0].owner
    return None


def _implemented(data: bytes) -> frozenset[bytes]:
    """The capitalised names in a file's ``implements`` clauses (a filter: the parse decides)."""
    return frozenset(name for clause in _IMPLEMENTS.findall(data) for name in _TYPE_NAME.findall(clause))


def _interfaces(node: object) -> list[str]:
    """Simple names of the interfaces a class declares it implements."""
    clause = child(node, "interfaces")  # type: ignore[arg-type]
    if clause is None:
        return []
    names: list[str] = []
    for part in named_children(clause):
        for item in named_children(part) if part.type == "type_list" else [part]:
            if item.type in ("type_identifier", "scoped_type_identifier", "generic_type"):
                names.append(text_of(item).split("<")[0].rsplit(".", 1)[-1])
    return names


def link_interfaces(callees: dict[str, tuple[Run, ...]], implements: Mapping[str, list[Bean]]) -> None:
    """``OrderDao.findByUser`` runs what ``OrderDaoImpl.findByUser`` runs, when one class implements it.
    (With several, ``choose_bean`` picks at each call what the code tells Spring to inject.)"""
    for interface, beans in implements.items():
        if len({b.owner for b in beans}) != 1:
            continue
        owner = beans[0].owner
        for key, value in list(callees.items()):
            if key.startswith(f"{owner}.") and "." not in key[len(owner) + 1:]:
                callees.setdefault(f"{interface}.{key[len(owner) + 1:]}", value)


def callee_index(sources: list[SourceFile], project: ProjectIndex, max_file_size: int
                 ) -> tuple[dict[str, tuple[Run, ...]], dict[str, tuple[str, ...]], dict[str, tuple[Bean, ...]]]:
    """The project pre-pass: runs of every method of the Java classes that run SQL or call mappers, the
    simple names of those classes, and the beans of each interface that several classes implement."""
    # MyBatis mappers, and MyBatis-Plus mappers and services (IService / ServiceImpl) running wrappers
    mapper_names = frozenset(name.encode() for name in (*project.by_simple_name,
                                                        *(t.rsplit(".", 1)[-1] for t in project.mp_types)))
    callees: dict[str, tuple[Run, ...]] = {}
    implements: dict[str, list[Bean]] = {}

    def resolve_mapper(java: JavaFile, simple: str) -> str | None:
        return project.resolve_type(simple, java.imports, java.package)

    # Only classes another file mentions can be called from there: the walk (as costly as extracting
    # the file) is spared for the rest. One pass over each file's capitalised words decides.
    candidates: list[tuple[SourceFile, bytes, frozenset[bytes]]] = []
    others: list[tuple[SourceFile, frozenset[bytes]]] = []  # (file, the names it implements): read again if needed
    mentioned: dict[bytes, int] = {}  # capitalised word → how many files mention it
    called: set[str] = set()  # names of methods called on a receiver somewhere: `orderDao.findByUser(`
    for source in sources:
        data = read_source(source.absolute, max_file_size).data
        if data is None:
            continue
        words = frozenset(_TYPE_NAME.findall(data))
        for word in words:
            mentioned[word] = mentioned.get(word, 0) + 1
        called.update(name.decode() for name in _CALLED.findall(data))
        if _TEST_SOURCES in f"/{source.path}":
            continue  # test doubles are no beans of the application: they neither run its SQL nor compete
        if any(m in data for m in JDBC_MARKERS) or not mapper_names.isdisjoint(words):
            candidates.append((source, data, words))
        elif b"implements" in data:
            others.append((source, _implemented(data)))
    walked: set[str] = set()
    for source, data, words in candidates:
        declared = set(_DECLARED.findall(data)) | _implemented(data)
        if not any(mentioned.get(name, 0) > (1 if name in words else 0) for name in declared):
            continue  # nothing else in the project names this class (or the interface it implements)
        try:
            found, interfaces = index_callees(data, source.path, resolve_mapper, project.statements.__contains__,
                                              project.constants, called.__contains__, project)
        except Exception:  # noqa: BLE001 - the pre-pass must not end the run; the file's own check reports it
            continue
        walked.add(source.path)
        for key, runs in found.items():
            callees.setdefault(key, runs)
        for interface, beans in interfaces.items():
            implements.setdefault(interface, []).extend(beans)
    # The interfaces whose calls can run SQL: any other class implementing one competes for its injection.
    wanted = {i.rsplit(".", 1)[-1].encode() for i, beans in implements.items()
              if any(k.startswith(f"{b.owner}.") for b in beans for k in callees)}
    for source, names in [*others, *((c[0], _implemented(c[1])) for c in candidates if c[0].path not in walked)]:
        data = read_source(source.absolute, max_file_size).data if not wanted.isdisjoint(names) else None
        if data is None:
            continue
        try:
            interfaces = implementations(JavaFile(data, source.path))
        except Exception:  # noqa: BLE001 - as above
            continue
        for interface, beans in interfaces.items():
            implements.setdefault(interface, []).extend(beans)
    link_interfaces(callees, implements)
    types: dict[str, list[str]] = {}
    for owner in sorted({key.rpartition(".")[0] for key in callees}):
        types.setdefault(owner.rsplit(".", 1)[-1], []).append(owner)
    several = {i: tuple(beans) for i, beans in implements.items() if len({b.owner for b in beans}) > 1
               and any(k.startswith(f"{b.owner}.") for b in beans for k in callees)}
    return callees, {k: tuple(v) for k, v in types.items()}, several
