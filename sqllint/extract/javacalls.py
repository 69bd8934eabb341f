"""What a call in a Java method body does with SQL (``javawalk`` walks the body, this reads each call).

A JDBC / JdbcTemplate / JPA-native call given SQL, a MyBatis mapper or SqlSession call (the statement it
names), a MyBatis-Plus wrapper run by a mapper or IService call, a method of this class or of another
project class (its SQL runs here too), a PreparedStatement's setters: each becomes an ``Emission``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqllint.extract.bound import CallArguments
from sqllint.extract.javaexpr import ClassContext, Env, arguments_of, assigned_name, simple_type
from sqllint.extract.javawrapper import WRAPPER_METHODS, escaped, is_wrapper
from sqllint.extract.javawrapsql import WRAPPER_RUNNERS, WrapperCall, bare_call, call_of
from sqllint.extract.pyvalues import Value
from sqllint.extract.pywalk import looks_like_sql
from sqllint.extract.tsutil import field as child, named_children, text_of

if TYPE_CHECKING:
    from tree_sitter import Node

# The calls whose first argument is SQL: JDBC, Spring JdbcTemplate / NamedParameterJdbcTemplate /
# JdbcClient, JPA native queries. JPQL (createQuery) is not MySQL and is left alone.
SQL_SINKS = frozenset(
    "prepareStatement prepareCall executeQuery executeUpdate executeLargeUpdate execute addBatch "
    "query queryForObject queryForList queryForMap queryForRowSet queryForStream queryForLong queryForInt "
    "update batchUpdate createNativeQuery createSQLQuery createNativeMutationQuery sql "
    "fetch fetchOne fetchOptional fetchLazy resultQuery preparedQuery".split()  # Hibernate, jOOQ, Vert.x
)
# MyBatis SqlSession methods taking a statement id: sqlSession.selectList("com.x.OrderMapper.search", q)
SESSION_METHODS = frozenset("selectOne selectList selectMap selectCursor insert update delete".split())
# A project's own DB helpers (dao.queryForPage, executeSql, fetchRows): a SQL argument makes them a DB call.
WRAPPER_NAME = re.compile(r"sql|query|exec|select|fetch", re.IGNORECASE)
# JPA / Hibernate calls taking JPQL/HQL, which is not MySQL (createNativeQuery is SQL, above)
JPQL_CALLS = frozenset({"createQuery", "createNamedQuery", "createSelectionQuery", "createMutationQuery"})
EXECUTE_PREPARED = frozenset({"executeQuery", "executeUpdate", "execute", "executeLargeUpdate"})
# JdbcTemplate calls whose arguments after the SQL are the values of its ? (Object... args, or an
# Object[]), beside a RowMapper / result type / extractor.
BINDING_CALLS = frozenset("query queryForObject queryForList queryForMap queryForRowSet queryForStream queryForLong "
                          "queryForInt update".split())
# A RowMapper, ResultSetExtractor, RowCallbackHandler … passed beside the values: not a value.
_CALLBACK_NAME = re.compile(r"(?:mapper|extractor|handler|callback|creator|setter)s?$", re.IGNORECASE)


@dataclass
class Emission:
    """A DB call reached by a SQL value, or a mapper call resolved to a statement."""

    node: Node
    scope: str
    loop_depth: int
    loop_line: int | None
    call: str
    value: Value | None = None  # the SQL (JDBC, JdbcTemplate, …)
    mapper: tuple[str, str] | None = None  # (namespace, method) for a mapper call
    helper: str | None = None  # a method of the same class called here (its queries run here too)
    callee: str | None = None  # "package.Class.method" of another project class's method that runs SQL
    branch: tuple[tuple[int, int, int], ...] = ()  # the if/switch/ternary/catch arms it sits on (Query.branch)
    arguments: CallArguments | None = None  # values bound to the SQL's ? (JdbcTemplate's trailing args)
    wrapper: WrapperCall | None = None  # a MyBatis-Plus wrapper run by a mapper / IService call (javawrapper)
    # A PreparedStatement's ps.setString(1, "%" + kw + "%") by parameter index (None once an index is
    # set twice or by a computed index: the order is then unknown).
    set_by_index: dict[int, Value] | None = field(default_factory=dict)

    def call_arguments(self) -> CallArguments | None:
        """What the call binds to the SQL's ``?``: its trailing arguments, or the setters called on the
        statement it prepared (indices 1…n, each set once)."""
        if self.arguments is not None or not self.set_by_index:
            return self.arguments
        if sorted(self.set_by_index) != list(range(1, len(self.set_by_index) + 1)):
            return None
        return CallArguments(positional=Value.list_of([self.set_by_index[i] for i in sorted(self.set_by_index)]))


class CallSites:
    """The call handling of ``MethodWalker`` (a mixin: the walker holds the state it reads)."""

    context: ClassContext
    scope: str
    emissions: list[Emission]
    types: dict[str, str]
    loops: list[int]
    prepared: dict[str, Emission]

    if TYPE_CHECKING:  # JavaExpressions' (only declared here: a stub would shadow them in the MRO)
        def eval(self, node: Node | None, env: Env) -> Value | None: ...

        def eval_or_hole(self, node: Node, env: Env) -> Value: ...

    def _call(self, node: Node, method: str, env: Env) -> None:
        receiver = child(node, "object")
        loop_line = self.loops[-1] if self.loops else None

        def call() -> str:
            return f"{text_of(receiver)}.{method}" if receiver is not None else method

        if method not in WRAPPER_RUNNERS:
            escaped(node, env)  # a wrapper handed to another method (a helper of this class too) may gain conditions

        if (receiver is None or receiver.type == "this") and method in self.context.methods:
            value = self._sql_argument(node, env)
            if value is not None:  # a wrapper of the class given the SQL: queryList("SELECT …", args)
                self.emissions.append(Emission(node, self.scope, len(self.loops), loop_line, call(), value=value))
            else:
                self.emissions.append(Emission(node, self.scope, len(self.loops), loop_line, call(),
                                               helper=f"{self.context.name}.{method}"))
            return
        namespace = self._mapper_namespace(receiver) if receiver is not None else None
        wrapped = call_of(self, node, method, env, namespace)
        if wrapped is not None:  # userMapper.selectList(wrapper), userService.lambdaQuery()….list()
            self.emissions.append(Emission(node, self.scope, len(self.loops), loop_line, wrapped.call,
                                           mapper=(namespace, method) if namespace else None, wrapper=wrapped))
            return
        if receiver is not None and method in WRAPPER_METHODS and (WRAPPER_NAME.search(method) or method in SQL_SINKS) \
                and is_wrapper(self.eval(receiver, env)):
            return  # qw.inSql("user_id", "SELECT …"): part of the wrapper, not a DB call of its own
        if namespace is not None:
            self.emissions.append(Emission(node, self.scope, len(self.loops), loop_line, call(),
                                           mapper=(namespace, method)))
            return
        declared = self._receiver_type(receiver) if receiver is not None else None
        callee = self.context.resolve_callee(declared, method, self._receiver_bean(receiver)) if declared else None
        if callee is not None:  # orderDao.findByUser(id): the SQL that DAO method runs, run here
            self.emissions.append(Emission(node, self.scope, len(self.loops), loop_line, call(), callee=callee))
            return
        bare = bare_call(self, node, method)
        if bare is not None:  # userService.list(): every row
            self.emissions.append(Emission(node, self.scope, len(self.loops), loop_line, bare.call, wrapper=bare))
            return
        if method.startswith("set") and receiver is not None \
                and (target := self.prepared.get(text_of(receiver))) is not None:
            self._record_setter(target, arguments_of(node), env)  # ps.setString(1, "%" + kw + "%")
            return
        if method not in SQL_SINKS and method not in SESSION_METHODS:
            value = self._sql_argument(node, env) if WRAPPER_NAME.search(method) and method not in JPQL_CALLS else None
            if value is not None:  # a project's own DB helper: dao.queryForPage("SELECT …", params)
                self.emissions.append(Emission(node, self.scope, len(self.loops), loop_line, call(), value=value))
            return
        args = arguments_of(node)
        statement_id = self._statement_id(args[0], env) if args and method in SESSION_METHODS else None
        if statement_id is not None:  # the project index decides whether it names a mapped statement
            namespace, _dot, ident = statement_id.rpartition(".")
            self.emissions.append(Emission(node, self.scope, len(self.loops), loop_line, call(),
                                           mapper=(namespace, ident)))
            return
        if method not in SQL_SINKS:
            return
        if not args:
            prepared = self.prepared.get(text_of(receiver)) if receiver is not None and method in EXECUTE_PREPARED else None
            if prepared is not None and len(self.loops) > prepared.loop_depth:
                prepared.loop_depth, prepared.loop_line = len(self.loops), loop_line  # prepared once, run per item
            return
        value = self.eval(args[0], env)
        if value is None or not looks_like_sql(value, at_sink=True):
            return
        arguments = self._trailing_arguments(args[1:], env) if method in BINDING_CALLS else None
        self.emissions.append(Emission(node, self.scope, len(self.loops), loop_line, call(), value=value,
                                       arguments=arguments))

    def _trailing_arguments(self, args: list[Node], env: Env) -> CallArguments | None:
        """``query(sql, mapper, "%" + kw + "%", id)``, ``update(sql, new Object[]{a, b})``: the values."""
        values = [a for a in args if not self._callback(a)]
        if len(values) == 1 and values[0].type == "array_creation_expression":
            initializer = child(values[0], "value")
            if initializer is None:
                return None
            values = named_children(initializer)
        if not values:
            return None
        return CallArguments(positional=Value.list_of([self.eval_or_hole(v, env) for v in values]))

    @staticmethod
    def _callback(node: Node) -> bool:
        if node.type in ("lambda_expression", "method_reference", "class_literal"):
            return True
        if node.type == "object_creation_expression":
            return bool(_CALLBACK_NAME.search(simple_type(child(node, "type"))))
        return node.type in ("identifier", "field_access") and bool(_CALLBACK_NAME.search(text_of(node)))

    def _record_setter(self, target: Emission, args: list[Node], env: Env) -> None:
        if target.set_by_index is None or len(args) < 2:  # setFetchSize(100), setNull(i, type) …
            return
        index = args[0]
        if index.type != "decimal_integer_literal" or int(text_of(index)) in target.set_by_index:
            target.set_by_index = None  # setObject(i + 1, …) or set twice: the order is not known
            return
        target.set_by_index[int(text_of(index))] = self.eval_or_hole(args[1], env)

    def _sql_argument(self, node: Node, env: Env) -> Value | None:
        """The first of the first two arguments that holds SQL (verb and companion keyword), if any."""
        for arg in arguments_of(node)[:2]:
            if arg.type in ("lambda_expression", "method_reference", "class_literal"):
                continue
            value = self.eval(arg, env)
            if value is not None and not value.is_list and looks_like_sql(value, at_sink=True):
                return value
        return None

    def _statement_id(self, node: Node, env: Env) -> str | None:
        value = self.eval(node, env)
        if value is None or len(value.alts) != 1 or value.parts:
            return None
        text = value.texts()[0]
        return text if "." in text and all(p.isidentifier() for p in text.split(".")) else None

    def _mapper_namespace(self, receiver: Node) -> str | None:
        declared = self._receiver_type(receiver)
        return self.context.resolve_mapper(declared) if declared else None

    def _receiver_bean(self, receiver: Node | None) -> tuple[str, str | None] | None:
        """(field name, its @Qualifier) when the receiver is an injected field: what Spring wires by."""
        if receiver is None or receiver.type not in ("identifier", "field_access"):
            return None
        name = assigned_name(receiver)
        if name is None or (receiver.type == "identifier" and name in self.types) \
                or name not in self.context.field_types:
            return None  # a local or a parameter
        return name, self.context.field_qualifiers.get(name)

    def _receiver_type(self, receiver: Node) -> str | None:
        """The declared simple type of a local, parameter or field a method is called on."""
        if receiver.type not in ("identifier", "field_access"):
            return None
        name = assigned_name(receiver)
        if name is None:
            return None
        declared = self.types.get(name) if receiver.type == "identifier" else None
        return declared if declared is not None else self.context.field_types.get(name)
