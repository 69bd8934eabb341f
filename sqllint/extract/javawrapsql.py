"""MyBatis-Plus calls that run a wrapper (``javawrapper``), and the SQL they send, per variant.

The calls: a mapper method given a wrapper or ``null`` (``selectList``, ``selectOne``, ``selectCount``,
``selectPage``, ``selectMaps``, ``selectObjs``, ``exists``, ``delete``, ``update``), an IService method
given one (``list``, ``page``, ``count``, ``getOne``, ``remove``, ``update`` …) or none (``list()`` /
``count()``: every row), and the terminal of a ``lambdaQuery()`` / ``query()`` / ``lambdaUpdate()``
chain (``list()``, ``one()``, ``count()``, ``page(p)``, ``remove()``, ``update()``). The table is the
entity's of the mapper / service / ServiceImpl (the project index), else the wrapper's own entity type.

The statement follows MP's injected methods: ``SELECT <columns> FROM <table> WHERE … GROUP BY … HAVING …
ORDER BY … <last>``; ``selectCount`` → ``SELECT COUNT(*)``; ``selectPage`` → the page query with the
pagination interceptor's ``LIMIT ?, ?`` (its separate COUNT query is not modelled); ``delete`` →
``DELETE`` (an ``UPDATE … SET <logic> = 1`` when the entity has ``@TableLogic``, whose ``<logic> = 0``
also leads every WHERE); ``update(null, w)`` → ``UPDATE … SET <set()/setSql()>``.

Without ``select()`` MP lists every mapped column of the entity; that list is rendered when the entity
class is in the project (so the plan is the one MP gets), else ``*``. Either way it is the ORM filling
whole entities, not a ``SELECT *`` someone wrote: S011 does not report these calls (``MP_CALL``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqllint.extract.bound import CallArguments
from sqllint.extract.emit import Site, queries_from_value
from sqllint.extract.javamp import Entity, snake
from sqllint.extract.javaexpr import Env, arguments_of
from sqllint.extract.javawrapper import (COLUMN, SEP, CHAIN_ROOTS, MP_CALL, Walker, is_wrapper, service_receiver,
                                         start)
from sqllint.extract.placeholders import Hole
from sqllint.extract.pyvalues import Alt, Segment, Value
from sqllint.extract.tsutil import field as child, short_label, text_of

if TYPE_CHECKING:
    from tree_sitter import Node

    from sqllint.extract.project import ProjectIndex
    from sqllint.records import Query

Bounds = list[tuple[Segment, ...]]
# What a mapper / IService method runs with a wrapper: the statement shape, and which argument is it.
MAPPER_METHODS = {"selectList": "select", "selectOne": "select", "selectCount": "count", "selectPage": "page",
                  "selectMaps": "select", "selectMapsPage": "page", "selectObjs": "select", "exists": "count",
                  "delete": "delete", "update": "update"}
SERVICE_METHODS = {"list": "select", "listMaps": "select", "listObjs": "select", "page": "page", "pageMaps": "page",
                   "count": "count", "getOne": "select", "getMap": "select", "getObj": "select", "one": "select",
                   "remove": "delete", "update": "update", "exists": "count"}
# IService methods that read every row when called without a wrapper
BARE_SERVICE_METHODS = frozenset({"list", "listMaps", "listObjs", "count", "page", "pageMaps"})
CHAIN_TERMINALS = {"list": "select", "one": "select", "oneOpt": "select", "count": "count", "exists": "count",
                   "page": "page", "remove": "delete", "update": "update"}
WRAPPER_RUNNERS = frozenset({*MAPPER_METHODS, *SERVICE_METHODS, *CHAIN_TERMINALS})


@dataclass(frozen=True)
class WrapperCall:
    """A mapper / IService call that runs a wrapper: what it runs and on whose entity."""

    state: Value  # the wrapper (list value, see the module docstring)
    shape: str  # select | count | page | delete | update
    owner: tuple[str, str]  # ("mapper", namespace) | ("type", simple type) | ("self", "") (this class's)
    entity_given: bool = False  # update(entity, w): the SET list comes from the entity's non-null fields
    call: str = ""  # as findings name it: ``userMapper.selectList (MyBatis-Plus)``


def call_of(w: Walker, node: Node, method: str, env: Env, namespace: str | None) -> WrapperCall | None:
    """A mapper call given a wrapper (or ``null``), an IService call given one, or a chain's terminal."""
    receiver, args = child(node, "object"), arguments_of(node)
    if method in CHAIN_TERMINALS and receiver is not None and receiver.type == "method_invocation":
        root = receiver  # userService.lambdaQuery().eq(…).list(): down to lambdaQuery()
        while (inner := child(root, "object")) is not None and inner.type == "method_invocation":
            root = inner
        root_receiver = child(root, "object")
        if text_of(child(root, "name") or root) in CHAIN_ROOTS and not arguments_of(root) \
                and service_receiver(w, root_receiver):
            state = w.eval(receiver, env)
            if state is not None and is_wrapper(state):
                head = f"{text_of(root_receiver)}." if root_receiver is not None else ""
                return WrapperCall(state, CHAIN_TERMINALS[method], _owner(w, root_receiver, None),
                                   method == "update" and bool(args),
                                   f"{head}{text_of(child(root, 'name') or root)}()….{method}(){MP_CALL}")
        return None
    shapes = MAPPER_METHODS if namespace is not None else {**SERVICE_METHODS, **MAPPER_METHODS}
    if method not in shapes or not args:
        return None
    for index, arg in enumerate(args):
        state = w.eval(arg, env) if arg.type != "null_literal" else None
        if arg.type == "null_literal" and index == len(args) - 1 and method in MAPPER_METHODS and method != "update" \
                and (namespace is not None or _owner(w, receiver, None) == ("self", "")):
            state = start("query", "")  # selectList(null): no condition at all
        if is_wrapper(state):
            assert state is not None
            given = method == "update" and index > 0 and args[0].type != "null_literal"
            return WrapperCall(state, shapes[method], _owner(w, receiver, namespace), given,
                               f"{_name(receiver)}{method}{MP_CALL}")
    return None


def bare_call(w: Walker, node: Node, method: str) -> WrapperCall | None:
    """``userService.list()`` / ``count()`` with no wrapper: every row of the entity's table."""
    receiver = child(node, "object")
    if method not in BARE_SERVICE_METHODS or (arguments_of(node) and method not in ("page", "pageMaps")) \
            or len(arguments_of(node)) > 1 or receiver is None or not service_receiver(w, receiver):
        return None
    return WrapperCall(start("query", ""), SERVICE_METHODS[method], _owner(w, receiver, None), False,
                       f"{_name(receiver)}{method}{MP_CALL}")


def _name(receiver: Node | None) -> str:
    return f"{short_label(text_of(receiver))}." if receiver is not None else ""


def _owner(w: Walker, receiver: Node | None, namespace: str | None) -> tuple[str, str]:
    if namespace is not None:
        return ("mapper", namespace)
    if receiver is None or receiver.type in ("this", "super") or text_of(receiver) in (
            "baseMapper", "this.baseMapper", "getBaseMapper()"):
        return ("self", "")
    declared = w._receiver_type(receiver) if receiver.type in ("identifier", "field_access") else None
    return ("type", declared or "")


def wrapper_queries(call: WrapperCall, site: Site, project: ProjectIndex | None, imports: Mapping[str, str],
                    package: str) -> tuple[list[Query], str | None]:
    """The call's queries (one per variant), or none and why they could not be built."""
    rendered = wrapper_sql(call, site.scope or "", project, imports, package)
    if isinstance(rendered, str):
        return [], rendered
    value, arguments = rendered
    return list(queries_from_value(value, dataclasses.replace(site, arguments=arguments))), None


def wrapper_sql(call: WrapperCall, scope: str, project: ProjectIndex | None, imports: Mapping[str, str],
                package: str) -> tuple[Value, CallArguments] | str:
    """The SQL the call runs (a value with the wrapper's variants) and its bound values; else why it
    cannot be built. Also what a method of another class runs at its callers (``javacallees``)."""
    entities: Mapping[str, Entity] = project.mp_entities if project is not None else {}  # type: ignore[assignment]
    types: Mapping[str, str] = project.mp_types if project is not None else {}
    if call.entity_given:
        return "update(entity, wrapper) sets the entity's non-null fields, which are not known here"
    entity = _entity(call, scope, imports, package, entities, types)
    if entity is None:
        return "its entity (the table) is not known"

    def column(match: object) -> str:
        owner, name = match.group(1), match.group(2)  # type: ignore[attr-defined]
        fqn = _resolve(owner, imports, package, entities)
        known = dict(entities[fqn].columns) if fqn is not None else {}
        return known.get(name) or snake(name)

    sql_alts, arg_alts = [], []
    for alt in call.state.alts:
        items = (alt.items or ())[1:]
        stopped = next((str(i[1]) for i in items if i[0] == "X"), None)
        if stopped is not None:
            return stopped
        rendered = _statement(items, call.shape, entity)
        if isinstance(rendered, str):
            return rendered
        segments, bounds = rendered
        resolved = tuple(COLUMN.sub(column, s) if isinstance(s, str) else s for s in segments)
        sql_alts.append(Alt(_merged(resolved), alt.on))
        arg_alts.append(Alt(on=alt.on, items=tuple(bounds)))
    value = Value(tuple(sql_alts), call.state.parts, capped=call.state.capped)
    return value, CallArguments(positional=Value(tuple(arg_alts), call.state.parts, is_list=True))


def _entity(call: WrapperCall, scope: str, imports: Mapping[str, str], package: str, entities: Mapping[str, Entity],
            types: Mapping[str, str]) -> Entity | None:
    """The mapper's / service's entity; else the wrapper's own (``LambdaQueryWrapper<User>``, ``User::getX``)."""
    kind, ref = call.owner
    fqn: str | None = None
    if kind == "mapper":
        fqn = types.get(ref)
    elif kind == "type" and ref:
        owner = _resolve(ref, imports, package, types)
        fqn = types.get(owner) if owner is not None else None
    elif kind == "self" and "." in scope:
        owner = scope.rsplit(".", 1)[0]
        fqn = types.get(f"{package}.{owner}" if package else owner)
    if fqn is None:
        hint = _hint(call.state)
        if not hint:
            return None
        fqn = _resolve(hint, imports, package, entities) or hint
    return entities.get(fqn) or Entity(snake(fqn.rsplit(".", 1)[-1]))


def _hint(state: Value) -> str:
    for alt in state.alts:
        header = (alt.items or ((),))[0]
        if len(header) > 2 and header[2]:
            return str(header[2])
        for item in (alt.items or ())[1:]:
            for segment in item:
                if isinstance(segment, str) and (match := COLUMN.search(segment)):
                    return match.group(1)
    return ""


def _resolve(simple: str, imports: Mapping[str, str], package: str, known: Mapping[str, object]) -> str | None:
    """The FQN among ``known`` a simple type name of this file means."""
    if simple in imports:
        return imports[simple] if imports[simple] in known else None
    same = f"{package}.{simple}" if package else simple
    if same in known:
        return same
    matches = [k for k in known if k == simple or k.endswith(f".{simple}")]
    return matches[0] if len(matches) == 1 else None


def _statement(items: tuple[tuple[Segment, ...], ...], shape: str, entity: Entity) -> tuple[list[Segment], Bounds] | str:
    where, where_bounds = _where([i for i in items if i[0] in ("W", "O", "(", ")")])
    if entity.logic:
        logic: list[Segment] = [f"{entity.logic} = 0"]
        where = logic + ([" AND (", *where, ")"] if where else [])
    clause = lambda tag: [i[1:] for i in items if i[0] == tag]  # noqa: E731
    out: list[Segment] = []
    bounds: Bounds = []

    def tail(order: bool = True) -> None:
        nonlocal out
        if where:
            out += [" WHERE ", *where]
            bounds.extend(where_bounds)
        groups = clause("G")
        if groups:
            out += [" GROUP BY ", *_joined(groups, ", ")]
        having = [_split(h) for h in clause("H")]
        if having:
            out.append(" HAVING ")
            for index, (sql, found) in enumerate(having):
                out += ([" AND "] if index else []) + sql
                bounds.extend(found)
        orders = clause("B")
        if order and orders:
            out += [" ORDER BY ", *_joined(orders, ", ")]

    table = entity.table
    last = clause("L")
    if shape in ("select", "page", "count"):
        selected = clause("S")
        columns: list[Segment] = list(selected[-1]) if selected else \
            [", ".join(c for _f, c in entity.columns) or "*"]
        out = ["SELECT COUNT(*)" if shape == "count" else "SELECT ", *([] if shape == "count" else columns),
               f" FROM {table}"]
        tail()
        if shape == "page":
            out.append(" LIMIT ?, ?")
            bounds += [(Hole("page offset"),), (Hole("page size"),)]
    elif shape == "delete":
        out = [f"UPDATE {table} SET {entity.logic} = 1"] if entity.logic else [f"DELETE FROM {table}"]
        tail(order=False)
    else:
        sets = [_split(s) for s in clause("T")]
        if not sets:
            return "an update with no set(…) / setSql(…) takes its SET list from an entity not known here"
        out = [f"UPDATE {table} SET "]
        for index, (sql, found) in enumerate(sets):
            out += ([", "] if index else []) + sql
            bounds.extend(found)
        tail(order=False)
    if last:
        out += [" ", *last[-1]]  # MP keeps the last last()
    return out, bounds


def _where(items: list[tuple[Segment, ...]]) -> tuple[list[Segment], Bounds]:
    """Predicates joined by AND (OR after ``or()``), nested groups parenthesised; empty groups dropped."""
    levels: list[list[tuple[str, list[Segment], Bounds]]] = [[]]
    joins: list[str] = []
    pending_or = False
    for item in items:
        tag = item[0]
        if tag == "W":
            sql, found = _split(item[1:])
            levels[-1].append(("OR" if pending_or else "AND", sql, found))
            pending_or = False
        elif tag == "O":
            pending_or = True
        elif tag == "(":
            levels.append([])
            joins.append("OR" if item[1] == "OR" or pending_or else "AND")
            pending_or = False
        elif tag == ")" and len(levels) > 1:
            inner, join = levels.pop(), joins.pop()
            if inner:
                sql, found = _join(inner)
                levels[-1].append((join, ["(", *sql, ")"], found))
    return _join(levels[0])


def _join(entries: list[tuple[str, list[Segment], Bounds]]) -> tuple[list[Segment], Bounds]:
    out: list[Segment] = []
    bounds: Bounds = []
    for index, (join, sql, found) in enumerate(entries):
        out += ([f" {join} "] if index else []) + sql
        bounds += found
    return out, bounds


def _split(segments: tuple[Segment, ...]) -> tuple[list[Segment], Bounds]:
    """A clause's SQL segments, then its bound values (each after a ``SEP``)."""
    sql: list[Segment] = []
    bounds: Bounds = []
    current: list[Segment] | None = None
    for segment in segments:
        if segment == SEP:
            if current is not None:
                bounds.append(tuple(current))
            current = []
        elif current is None:
            sql.append(segment)
        else:
            current.append(segment)
    if current is not None:
        bounds.append(tuple(current))
    return sql, bounds


def _joined(parts: list[tuple[Segment, ...]], separator: str) -> list[Segment]:
    out: list[Segment] = []
    for index, part in enumerate(parts):
        out += ([separator] if index else []) + list(part)
    return out


def _merged(segments: tuple[Segment, ...]) -> tuple[Segment, ...]:
    out: list[Segment] = []
    for segment in segments:
        if isinstance(segment, str) and out and isinstance(out[-1], str):
            out[-1] += segment
        elif segment != "":
            out.append(segment)
    return tuple(out)
