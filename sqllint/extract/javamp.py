"""MyBatis-Plus mappers: the statements ``BaseMapper`` gives an interface that declares none of them.

``interface OrderMapper extends BaseMapper<OrderDO>`` has ``selectById``, ``selectBatchIds``,
``deleteById`` … without a line of SQL in the project; MyBatis-Plus builds them at start-up from the
entity (``@TableName("t_order")``, the ``@TableId`` field, else ``id``). Services call them in loops like
any mapper method (``for (Long id : ids) orderMapper.selectById(id)``: N+1), so the project index
registers those statements for the interfaces it finds, unless XML or an annotation maps the same id
(MyBatis-Plus skips injecting it then, and so does this). Only the key-based methods are statements
here; a call given a wrapper (``selectList(queryWrapper)``) runs what the wrapper chain builds
(``javawrapper``), for which the entity's columns, ``@TableField`` names and ``@TableLogic`` column are
read here too, and ``IService<E>`` / ``ServiceImpl<M, E>`` types are mapped to their entity.

Spring Data repositories get the same for ``findById``/``existsById``/``findAllById``/``deleteById``
(``interface OrderRepository extends JpaRepository<Order, Long>``; the table from ``@Table(name = …)`` on
the ``@Entity``, else its name in snake case as Spring Boot's naming strategy does; the ``@Id`` column).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqllint.extract.dynsql import Text
from sqllint.extract.mybatis import Statement
from sqllint.extract.tsutil import field as child, line_of, named_children, parse, text_of

# Base interfaces whose first type argument is the entity: MyBatis-Plus's own, MPJ's, and the
# project-local extensions frameworks ship (RuoYi-Vue-Plus BaseMapperPlus, yudao BaseMapperX); Spring
# Data's repositories (the second argument is the id type).
_BASE = re.compile(r"^(?:MPJ)?BaseMapper(?:X|Plus)?$")
_SERVICE = re.compile(r"^(?:I|MPJ)?Service$|^IService(?:X|Plus)?$")
_SERVICE_IMPL = re.compile(r"^(?:MPJ)?(?:Base)?ServiceImpl(?:X|Plus)?$")
_REPOSITORY = re.compile(r"^(?:Jpa|Crud|ListCrud|PagingAndSorting|ListPagingAndSorting)Repository$")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@dataclass(frozen=True)
class Entity:
    table: str
    key: str = "id"
    # MyBatis-Plus entities: (field, column) of each mapped field in declaration order (what a wrapper
    # query without select() lists), and the @TableLogic column every wrapper statement filters on.
    columns: tuple[tuple[str, str], ...] = ()
    logic: str = ""


@dataclass
class MpIndex:
    """What the pre-pass learnt from one file: mapper FQN → (entity FQN, line), entity FQN → table."""

    mappers: dict[str, tuple[str, str, int, str]]  # mapper FQN → (entity FQN, path, line, "mp" | "jpa")
    entities: dict[str, Entity]
    # IService<E> interfaces and ServiceImpl<M, E> classes → entity FQN (their wrapper calls: javawrapper)
    services: dict[str, str] = field(default_factory=dict)


def snake(name: str) -> str:
    """MyBatis-Plus's default table/column naming: ``OrderItem`` → ``order_item``."""
    return _CAMEL.sub("_", name).lower()


def index_mp(data: bytes, path: str) -> MpIndex:
    root = parse(data, "java").root_node
    package, imports = "", {}
    found = MpIndex({}, {})
    for node in named_children(root):
        if node.type == "package_declaration" and named_children(node):
            package = text_of(named_children(node)[-1])
        elif node.type == "import_declaration":
            names = [c for c in named_children(node) if c.type == "scoped_identifier"]
            if names and not any(c.type == "asterisk" for c in node.children):
                imports[text_of(names[0]).rsplit(".", 1)[-1]] = text_of(names[0])

    def qualified(simple: str) -> str:
        return imports.get(simple) or (f"{package}.{simple}" if package else simple)

    for node in named_children(root):
        name = child(node, "name")
        if name is None:
            continue
        if node.type == "interface_declaration":
            based = _base_entity(node)
            if based and based[1] == "service":
                found.services[qualified(text_of(name))] = qualified(based[0])
            elif based:
                entity, kind = based
                found.mappers[qualified(text_of(name))] = (qualified(entity), path, line_of(node), kind)
        elif node.type == "class_declaration":
            table = _annotation_value(node, "TableName")
            implemented = _service_impl_entity(node)
            if implemented is not None:
                found.services[qualified(text_of(name))] = qualified(implemented)
            if table is not None or _mp_fields(node):  # MP's default naming needs no @TableName
                columns, logic = _mp_columns(node)
                found.entities[qualified(text_of(name))] = Entity(table or snake(text_of(name)), _key_column(node),
                                                                  columns, logic)
            elif _annotation_value(node, "Entity") is not None:  # JPA: @Table(name = …), else the naming strategy's
                table = _annotation_value(node, "Table")
                found.entities[qualified(text_of(name))] = Entity(table or snake(text_of(name)),
                                                                  _key_column(node, "Id"))
    return found


def _base_entity(node: object) -> tuple[str, str] | None:
    """``extends BaseMapper<OrderDO>`` → (``OrderDO``, "mp"); ``extends JpaRepository<Order, Long>`` →
    (``Order``, "jpa")."""
    for part in named_children(node):  # type: ignore[arg-type]
        if part.type != "extends_interfaces":
            continue
        for listed in named_children(part):
            for item in named_children(listed) if listed.type == "type_list" else [listed]:
                if item.type != "generic_type":
                    continue
                base, *rest = named_children(item)
                arguments = [a for r in rest if r.type == "type_arguments" for a in named_children(r)]
                simple = text_of(base).rsplit(".", 1)[-1]
                if _BASE.match(simple) and len(arguments) == 1:
                    return text_of(arguments[0]).rsplit(".", 1)[-1], "mp"
                if _REPOSITORY.match(simple) and len(arguments) == 2:
                    return text_of(arguments[0]).rsplit(".", 1)[-1], "jpa"
                if _SERVICE.match(simple) and len(arguments) == 1:
                    return text_of(arguments[0]).rsplit(".", 1)[-1], "service"
    return None


def _service_impl_entity(node: object) -> str | None:
    """``class UserServiceImpl extends ServiceImpl<UserMapper, User>`` → ``User``."""
    superclass = child(node, "superclass")  # type: ignore[arg-type]
    for item in named_children(superclass) if superclass is not None else []:
        if item.type != "generic_type":
            continue
        base, *rest = named_children(item)
        arguments = [a for r in rest if r.type == "type_arguments" for a in named_children(r)]
        if _SERVICE_IMPL.match(text_of(base).rsplit(".", 1)[-1]) and len(arguments) == 2:
            return text_of(arguments[1]).rsplit(".", 1)[-1]
    return None


def _fields(node: object) -> list[object]:
    body = child(node, "body")  # type: ignore[arg-type]
    return [m for m in named_children(body) if m.type == "field_declaration"] if body is not None else []


def _mp_fields(node: object) -> bool:
    return any(_annotation_value(f, a) is not None for f in _fields(node) for a in ("TableId", "TableField"))


def _mp_columns(node: object) -> tuple[tuple[tuple[str, str], ...], str]:
    """Each mapped field's column (``@TableField("col")`` / ``@TableId("col")``, else snake case), skipping
    static and transient fields and ``@TableField(exist = false)``; and the ``@TableLogic`` column."""
    columns: list[tuple[str, str]] = []
    logic = ""
    for member in _fields(node):
        modifiers = next((c for c in member.children if c.type == "modifiers"), None)  # type: ignore[attr-defined]
        words = text_of(modifiers).split() if modifiers is not None else []
        declarator = child(member, "declarator")  # type: ignore[arg-type]
        name = child(declarator, "name") if declarator is not None else None
        if "static" in words or "transient" in words or name is None:
            continue
        if re.search(r"@TableField\s*\([^)]*exist\s*=\s*false", text_of(modifiers) if modifiers is not None else ""):
            continue
        column = _annotation_value(member, "TableField") or _annotation_value(member, "TableId") or snake(text_of(name))
        columns.append((text_of(name), column))
        if _annotation_value(member, "TableLogic") is not None:
            logic = column
    return tuple(columns), logic


def _annotation_value(node: object, name: str) -> str | None:
    """The string of ``@Name("x")`` / ``@Name(value = "x")`` on a declaration; "" when it has none."""
    modifiers = next((c for c in node.children if c.type == "modifiers"), None)  # type: ignore[attr-defined]
    for annotation in named_children(modifiers) if modifiers is not None else []:
        if annotation.type not in ("annotation", "marker_annotation"):
            continue
        if text_of(child(annotation, "name") or annotation).rsplit(".", 1)[-1] != name:
            continue
        match = re.search(r'(?:^|[(,]\s*(?:(?:value|name)\s*=\s*)?)"([^"]+)"', text_of(annotation)[len(name) + 1:])
        return match.group(1).strip("`") if match else ""
    return None


def _key_column(node: object, marker: str = "TableId") -> str:
    """The key field's column (``@TableId("…")`` / ``@Column(name = "…")`` beside ``@Id``, else the field
    name in snake case); ``id`` without one."""
    body = child(node, "body")  # type: ignore[arg-type]
    for member in named_children(body) if body is not None else []:
        if member.type != "field_declaration":
            continue
        column = _annotation_value(member, marker)
        if column is None:
            continue
        if marker == "Id":
            column = _annotation_value(member, "Column") or ""
        if column:
            return column
        declarator = child(member, "declarator")
        field_name = child(declarator, "name") if declarator is not None else None
        return snake(text_of(field_name)) if field_name is not None else "id"
    return "id"


def mp_statements(mapper: str, entity: Entity, path: str, line: int, kind: str = "mp") -> list[Statement]:
    """The key-based statements MyBatis-Plus injects (or Spring Data JPA implements), as the SQL run."""
    table, key = entity.table, entity.key
    by_key = f"SELECT * FROM {table} WHERE {key} = #{{id}}"
    by_keys = f"SELECT * FROM {table} WHERE {key} IN (#{{ids[0]}}, #{{ids[1]}}, #{{ids[2]}})"
    delete = f"DELETE FROM {table} WHERE {key} = #{{id}}"
    if kind == "jpa":
        sqls = {"findById": ("select", by_key), "existsById": ("select", f"SELECT 1 FROM {table} WHERE {key} = #{{id}}"),
                "findAllById": ("select", by_keys), "deleteById": ("delete", delete)}
    else:
        sqls = {"selectById": ("select", by_key), "selectBatchIds": ("select", by_keys),
                "selectByIds": ("select", by_keys), "deleteById": ("delete", delete)}
    return [Statement(mapper, method, kind, (Text(sql),), path, line) for method, (kind, sql) in sqls.items()]
