"""Method-body walking for Java extraction: follow string building to the DB call that runs it.

Each method is walked once in statement order with an environment of abstract string values
(``pyvalues.Value``, as for Python): ``if (kw != null) sql.append(" AND …")`` makes ``kw`` an optional
part, so the call that runs ``sql`` yields the variants "kw absent" and "kw present". Loops
(``for``, enhanced ``for``, ``while``, ``do``, and lambdas passed to ``forEach``/``map``/… ) raise the
loop depth the N+1 rule reads. A call on a field, parameter or local whose type is a MyBatis mapper
known to the project index becomes the mapper statement's queries at the call site (``resolved_from``).
MyBatis-Plus wrappers are values too (``javawrapper``): a mapper / IService call given one runs their SQL.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqllint.extract.bound import CallArguments
from sqllint.extract.javaexpr import (
    ClassContext,
    Env,
    JavaExpressions,
    arguments_of,
    assigned_name,
    condition_label,
    inferred_type,
    parameter_names,
    simple_type,
)
from sqllint.extract.javawrapper import WRAPPER_METHODS, changed_in_lambda, escaped, is_wrapper, wrapper_value
from sqllint.extract.javawrapsql import WRAPPER_RUNNERS, WrapperCall, bare_call, call_of
from sqllint.extract.pyeval import union_values
from sqllint.extract.pyvalues import Value, branch, cap_alternatives
from sqllint.extract.pywalk import looks_like_sql
from sqllint.extract.tsutil import ArmWalking, field as child, line_of, named_children, short_label, text_of

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
# Methods whose lambda argument runs once per element: a call inside it runs in a loop.
LOOP_METHODS = frozenset(
    "forEach forEachOrdered map flatMap mapToObj mapToInt mapToLong mapToDouble filter peek anyMatch allMatch "
    "noneMatch replaceAll removeIf iterate generate".split()
)
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


@dataclass
class MethodWalker(JavaExpressions, ArmWalking):
    context: ClassContext
    scope: str
    cap: int
    emissions: list[Emission]
    walk_anonymous: Callable[[Node, str], None]  # an anonymous class body, walked as its own scope
    types: dict[str, str] = field(default_factory=dict)  # local / parameter name → declared simple type
    loops: list[int] = field(default_factory=list)
    prepared: dict[str, Emission] = field(default_factory=dict)  # PreparedStatement variable → its SQL
    returns: list[tuple[Value, Node]] = field(default_factory=list)  # string values the method returns
    branches: list[tuple[int, int, int]] = field(default_factory=list)  # (line, column, arm) being walked

    # --- statements -------------------------------------------------------------------------------
    def walk_statement(self, node: Node, env: Env) -> bool:
        kind = node.type
        if kind == "block":
            return self.walk_block(node, env)
        if kind == "local_variable_declaration":
            self._declare(node, env)
            return False
        if kind == "expression_statement":
            for expression in named_children(node):
                self._expression_statement(expression, env)
            return False
        if kind == "if_statement":
            return self._walk_if(node, env)
        if kind in ("for_statement", "enhanced_for_statement", "while_statement", "do_statement"):
            self._walk_loop(node, env)
            return False
        if kind in ("try_statement", "try_with_resources_statement"):
            return self._walk_try(node, env)
        if kind in ("return_statement", "throw_statement", "yield_statement"):
            self.scan(node, env)
            if kind == "return_statement" and not self.loops:
                returned = named_children(node)
                value = self.eval(returned[0], env) if returned else None
                if value is not None and not value.is_list:
                    self.returns.append((value, node))
            return True
        if kind in ("break_statement", "continue_statement"):
            return True
        if kind in ("labeled_statement", "synchronized_statement"):
            for part in named_children(node):
                if part.type == "block" or part.type.endswith("statement"):
                    self.walk_statement(part, env)
                else:
                    self.scan(part, env)
            return False
        if kind in ("switch_expression", "switch_statement"):
            self._walk_switch(node, env)
            return False
        if kind in ("class_declaration", "interface_declaration", "enum_declaration", "record_declaration",
                    "local_class_declaration"):
            return False  # a local class: its methods are walked as their own scopes
        self.scan(node, env)
        return False

    def _declare(self, node: Node, env: Env) -> None:
        type_node = child(node, "type")
        declared = simple_type(type_node)
        for declarator in node.children_by_field_name("declarator"):
            name_node, value_node = child(declarator, "name"), child(declarator, "value")
            if name_node is None:
                continue
            name = text_of(name_node)
            local_type = declared
            if value_node is not None:
                self.scan(value_node, env)
                if declared == "var":
                    local_type = inferred_type(value_node)
            if local_type:
                self.types[name] = local_type
            if value_node is not None:
                self._remember_prepared(name, value_node)
            value = self.eval(value_node, env) if value_node is not None else None
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value

    def _expression_statement(self, node: Node, env: Env) -> None:
        self.scan(node, env)
        if node.type == "assignment_expression":
            left, right = child(node, "left"), child(node, "right")
            operator = child(node, "operator")
            name = assigned_name(left)
            if name is None or right is None:
                return
            if operator is not None and operator.type == "+=":
                current = env.get(name)
                if current is not None:
                    env[name] = cap_alternatives(current + self.eval_or_hole(right, env), self.cap)
            else:
                value = self.eval(right, env)
                if value is None:
                    env.pop(name, None)
                else:
                    env[name] = value
        elif node.type == "method_invocation":
            if not self._wrapper_statement(node, env):
                self._builder_append(node, env)

    def eval(self, node: Node | None, env: Env) -> Value | None:
        """Strings as ``JavaExpressions`` reads them, and MyBatis-Plus wrappers (``javawrapper``)."""
        if node is not None and node.type in ("method_invocation", "object_creation_expression"):
            found = wrapper_value(self, node, env)
            if found is not None:
                return found
        return super().eval(node, env)

    def _wrapper_statement(self, node: Node, env: Env) -> bool:
        """``qw.eq("status", s);``: the chain changes the wrapper held by ``qw``."""
        root: Node | None = node
        while root is not None and root.type == "method_invocation":
            root = child(root, "object")
        name = assigned_name(root) if root is not None else None
        if name is None or not is_wrapper(env.get(name)):
            return False
        updated = self.eval(node, env)
        if is_wrapper(updated):
            env[name] = updated  # type: ignore[assignment]
        return True

    def _builder_append(self, node: Node, env: Env) -> None:
        """``sql.append(a).append(b)`` / ``joiner.add(x)``: extend the tracked builder's text."""
        chain: list[Node] = []
        current: Node | None = node
        while current is not None and current.type == "method_invocation":
            chain.append(current)
            current = child(current, "object")
        name = assigned_name(current) if current is not None else None
        if name is None or name not in env:
            return
        value = env[name]
        for call in reversed(chain):
            method = text_of(child(call, "name") or call)
            args = arguments_of(call)
            if method in ("append", "add") and len(args) == 1:
                value = value + self.eval_or_hole(args[0], env)
            elif method == "insert" and len(args) == 2 and text_of(args[0]) == "0":
                value = self.eval_or_hole(args[1], env) + value
            elif method in ("setLength", "delete", "deleteCharAt", "replace", "reverse", "setCharAt"):
                env.pop(name, None)  # edits the text in ways not followed: forget it rather than guess
                return
        env[name] = cap_alternatives(value, self.cap)

    def _walk_if(self, node: Node, env: Env) -> bool:
        condition = child(node, "condition")
        if condition is not None:
            self.scan(condition, env)
        label, positive = condition_label(condition) if condition is not None else ("condition", True)
        # An arm runs only where its test holds: `if (isCount) sql = "SELECT COUNT…"` earlier, then
        # `if (!isCount) run(sql)` runs only the other text (not the count query with the page query's arm).
        true_env, false_env = _narrowed(env, label, positive), _narrowed(env, label, not positive)
        # `if (c) return …;`: the rest of the block runs only on the other arm (until the block ends).
        leaves = self._walk_if_arms(node, true_env, false_env, env)
        if leaves is not None:
            return leaves
        present, absent = (true_env, false_env) if positive else (false_env, true_env)
        self._merge(env, present, absent, label)
        return False

    def _merge(self, env: Env, present: Env, absent: Env, label: str | None) -> None:
        for name in set(present) | set(absent):
            a, b = present.get(name), absent.get(name)
            if a is None or b is None:
                merged = None
            elif label is None:
                merged = union_values(a, b, self.cap)
            else:
                merged = branch(a, b, label, self.cap)
            if merged is None:
                env.pop(name, None)
            else:
                env[name] = merged

    def _walk_loop(self, node: Node, env: Env) -> None:
        body = child(node, "body")
        header = [c for c in named_children(node) if body is None or c != body]
        for part in header:
            if part.type == "local_variable_declaration":
                self._declare(part, env)
            else:
                self.scan(part, env)
        if node.type == "enhanced_for_statement":
            name_node, type_node = child(node, "name"), child(node, "type")
            if name_node is not None:
                env.pop(text_of(name_node), None)
                if type_node is not None:
                    self.types[text_of(name_node)] = simple_type(type_node)
        body_env = dict(env)
        self.loops.append(line_of(node))
        if body is not None:
            self.walk_statement(body, body_env)
        self.loops.pop()
        source = child(node, "value") or child(node, "condition")
        label = short_label(text_of(source)) if source is not None else "loop"
        self._merge(env, body_env, dict(env), label)  # zero iterations or some: an optional part

    def _walk_try(self, node: Node, env: Env) -> bool:
        leaves = False
        handlers = 0  # one catch clause at most runs; the try block may run with any of them
        for part in named_children(node):
            if part.type == "resource_specification":
                for resource in named_children(part):
                    self._declare_resource(resource, env)
            elif part.type == "block":
                leaves = self.walk_block(part, env)
            elif part.type == "catch_clause":
                self._walk_arm(node, handlers, child(part, "body"), dict(env))
                handlers += 1
            elif part.type == "finally_clause":
                for block in named_children(part):
                    self.walk_block(block, env)
        return leaves

    def _declare_resource(self, node: Node, env: Env) -> None:
        value_node, name_node = child(node, "value"), child(node, "name")
        if value_node is None:
            self.scan(node, env)
            return
        self.scan(value_node, env)
        if name_node is not None:
            self.types[text_of(name_node)] = simple_type(child(node, "type"))
            self._remember_prepared(text_of(name_node), value_node)

    def _remember_prepared(self, name: str, value_node: Node) -> None:
        if self.emissions and self.emissions[-1].node == value_node and self.emissions[-1].value is not None:
            self.prepared[name] = self.emissions[-1]

    def _walk_switch(self, node: Node, env: Env) -> None:
        condition = child(node, "condition")
        if condition is not None:
            self.scan(condition, env)
        body = child(node, "body")
        arm, where = 0, (line_of(node), node.start_point[1] + 1)
        for group in named_children(body) if body is not None else []:
            branch_env = dict(env)
            leaves = group.type == "switch_rule"  # `case X ->` never falls through
            self.branches.append((*where, arm))
            for part in named_children(group):
                if part.type == "switch_label":
                    continue
                if part.type == "block" or part.type.endswith("statement") or part.type.endswith("declaration"):
                    leaves = self.walk_statement(part, branch_env) or leaves
                else:
                    self.scan(part, branch_env)
            self.branches.pop()
            # A group that does not end in break/return falls into the next one: both share an arm.
            arm += 1 if leaves else 0

    # --- calls inside expressions --------------------------------------------------------------------
    def scan(self, node: Node, env: Env) -> None:
        """Find DB calls and mapper calls in an expression, in source order; lambdas and anonymous
        classes inside it are walked too (a lambda given to ``forEach``/``map`` counts as a loop)."""
        stack: list[tuple[Node, tuple[tuple[int, int, int], ...]]] = [(node, ())]
        while stack:
            current, arms = stack.pop()
            kind = current.type
            if kind == "ternary_expression":  # `c ? a() : b()`: one arm runs
                where = (line_of(current), current.start_point[1] + 1)
                for arm, name in reversed(list(enumerate(("consequence", "alternative")))):
                    part = child(current, name)
                    if part is not None:
                        stack.append((part, (*arms, (*where, arm))))
                condition = child(current, "condition")
                if condition is not None:
                    stack.append((condition, arms))
                continue
            if kind == "lambda_expression":
                self._walk_lambda(current, env, in_loop=False)
                continue
            if kind == "object_creation_expression":
                body = next((c for c in current.children if c.type == "class_body"), None)
                if body is not None:
                    self.walk_anonymous(body, self.scope)
            if kind == "class_body":
                continue
            if kind == "method_invocation":
                name_node = child(current, "name")
                name = text_of(name_node) if name_node is not None else ""
                start = len(self.emissions)
                self._call(current, name, env)
                for emission in self.emissions[start:]:
                    emission.branch = (*self.branches, *arms)
                if name in LOOP_METHODS:
                    for arg in arguments_of(current):
                        if arg.type == "lambda_expression":
                            self._walk_lambda(arg, env, in_loop=True, loop_line=line_of(current))
                    stack.extend((c, arms) for c in reversed([c for c in current.named_children
                                                              if c.type != "argument_list"]))
                    stack.extend((a, arms) for a in reversed([a for a in arguments_of(current)
                                                              if a.type != "lambda_expression"]))
                    continue
            if kind in ("string_literal", "identifier", "type_identifier", "field_identifier"):
                continue  # leaves: nothing to find below them
            stack.extend((c, arms) for c in reversed(current.named_children))

    def _walk_lambda(self, node: Node, env: Env, in_loop: bool, loop_line: int | None = None) -> None:
        body = child(node, "body")
        if body is None:
            return
        if in_loop:
            self.loops.append(loop_line or line_of(node))
        inner = dict(env)
        parameters = child(node, "parameters")
        if parameters is not None:
            for name in parameter_names(parameters):
                inner.pop(name, None)
        try:
            if body.type == "block":
                self.walk_block(body, inner)
            else:
                self.scan(body, inner)
        finally:
            if in_loop:
                self.loops.pop()
        changed_in_lambda(body, env)  # ids.forEach(id -> qw.or().eq("id", id)): not followed

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


def _narrowed(env: Env, part: str, present: bool) -> Env:
    """The environment inside an arm that runs only when ``part`` is present (or absent): values built
    differently on that part keep only the alternatives that agree; the others are left alone."""
    out = dict(env)
    for name, value in env.items():
        if value is None or part not in value.parts:
            continue
        kept = tuple(alt for alt in value.alts if (part in alt.on) == present)
        if kept and len(kept) < len(value.alts):
            out[name] = dataclasses.replace(value, alts=kept)
    return out
