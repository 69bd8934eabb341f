"""Method-body walking for Java extraction: follow string building to the DB call that runs it.

Each method is walked once in statement order with an environment of abstract string values
(``pyvalues.Value``, as for Python): ``if (kw != null) sql.append(" AND …")`` makes ``kw`` an optional
part, so the call that runs ``sql`` yields the variants "kw absent" and "kw present". Loops
(``for``, enhanced ``for``, ``while``, ``do``, and lambdas passed to ``forEach``/``map``/… ) raise the
loop depth the N+1 rule reads. A call on a field, parameter or local whose type is a MyBatis mapper
known to the project index becomes the mapper statement's queries at the call site (``resolved_from``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqllint.extract.placeholders import Hole
from sqllint.extract.pyeval import union_values
from sqllint.extract.pyvalues import Value, branch, cap_alternatives
from sqllint.extract.pywalk import looks_like_sql
from sqllint.extract.tsutil import field as child, flatten_binary, hole, line_of, column_of, named_children, printf, text_of
from sqllint.records import PlaceholderStyle

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
BUILDER_TYPES = frozenset({"StringBuilder", "StringBuffer", "StringJoiner"})
NUMERIC_TYPES = frozenset("int long short byte double float boolean char Integer Long Short Byte Double Float "
                          "Boolean BigDecimal BigInteger".split())
PASS_THROUGH = frozenset({"toString", "trim", "strip", "stripIndent", "intern", "toUpperCase", "toLowerCase"})
PRESENT_CALLS = frozenset({"isNotBlank", "isNotEmpty", "hasText", "hasLength", "nonNull", "notEmpty", "isPresent"})
ABSENT_CALLS = frozenset({"isBlank", "isEmpty", "isNull"})
Env = dict[str, Value]
QMARK_LIST = "?, ?, ?"  # what a "?"-list builder yields; the fingerprint collapses IN-list lengths
EXECUTE_PREPARED = frozenset({"executeQuery", "executeUpdate", "execute", "executeLargeUpdate"})


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


@dataclass
class ClassContext:
    """What a method body can see besides its locals: its class's fields and the file's constants."""

    name: str  # qualified within the file: Outer.Inner
    field_types: dict[str, str]
    lookup_constant: Callable[[str, str], Value | None]  # (class name, identifier or Class.NAME)
    resolve_mapper: Callable[[str], str | None]  # simple type name → mapper namespace
    methods: frozenset[str] = frozenset()  # the class's own method names (helpers called without a receiver)
    method_result: Callable[[str], Value | None] = lambda _name: None  # what a helper of the class returns


@dataclass
class MethodWalker:
    context: ClassContext
    scope: str
    cap: int
    emissions: list[Emission]
    walk_anonymous: Callable[[Node, str], None]  # an anonymous class body, walked as its own scope
    types: dict[str, str] = field(default_factory=dict)  # local / parameter name → declared simple type
    loops: list[int] = field(default_factory=list)
    prepared: dict[str, Emission] = field(default_factory=dict)  # PreparedStatement variable → its SQL
    returns: list[tuple[Value, Node]] = field(default_factory=list)  # string values the method returns

    # --- statements -------------------------------------------------------------------------------
    def walk_block(self, node: Node, env: Env) -> bool:
        """Walk a block's statements; True when it always leaves (return, throw, break, continue)."""
        for statement in named_children(node):
            if self.walk_statement(statement, env):
                return True
        return False

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
                    local_type = _inferred_type(value_node)
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
            name = _assigned_name(left)
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
            self._builder_append(node, env)

    def _builder_append(self, node: Node, env: Env) -> None:
        """``sql.append(a).append(b)`` / ``joiner.add(x)``: extend the tracked builder's text."""
        chain: list[Node] = []
        current: Node | None = node
        while current is not None and current.type == "method_invocation":
            chain.append(current)
            current = child(current, "object")
        name = _assigned_name(current) if current is not None else None
        if name is None or name not in env:
            return
        value = env[name]
        for call in reversed(chain):
            method = text_of(child(call, "name") or call)
            args = _arguments(call)
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
        true_env, false_env = dict(env), dict(env)
        consequence, alternative = child(node, "consequence"), child(node, "alternative")
        true_leaves = self.walk_statement(consequence, true_env) if consequence is not None else False
        false_leaves = self.walk_statement(alternative, false_env) if alternative is not None else False
        if true_leaves and false_leaves:
            return True
        if true_leaves or false_leaves:
            env.clear()
            env.update(false_env if true_leaves else true_env)
            return False
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
        label = _short(text_of(source)) if source is not None else "loop"
        self._merge(env, body_env, dict(env), label)  # zero iterations or some: an optional part

    def _walk_try(self, node: Node, env: Env) -> bool:
        leaves = False
        for part in named_children(node):
            if part.type == "resource_specification":
                for resource in named_children(part):
                    self._declare_resource(resource, env)
            elif part.type == "block":
                leaves = self.walk_block(part, env)
            elif part.type == "catch_clause":
                body = child(part, "body")
                if body is not None:
                    self.walk_block(body, dict(env))
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
        for group in named_children(body) if body is not None else []:
            branch_env = dict(env)
            for part in named_children(group):
                if part.type == "switch_label":
                    continue
                if part.type == "block" or part.type.endswith("statement") or part.type.endswith("declaration"):
                    self.walk_statement(part, branch_env)
                else:
                    self.scan(part, branch_env)

    # --- calls inside expressions --------------------------------------------------------------------
    def scan(self, node: Node, env: Env) -> None:
        """Find DB calls and mapper calls in an expression, in source order; lambdas and anonymous
        classes inside it are walked too (a lambda given to ``forEach``/``map`` counts as a loop)."""
        stack: list[Node] = [node]
        while stack:
            current = stack.pop()
            kind = current.type
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
                self._call(current, name, env)
                if name in LOOP_METHODS:
                    for arg in _arguments(current):
                        if arg.type == "lambda_expression":
                            self._walk_lambda(arg, env, in_loop=True, loop_line=line_of(current))
                    stack.extend(reversed([c for c in current.named_children if c.type != "argument_list"]))
                    stack.extend(reversed([a for a in _arguments(current) if a.type != "lambda_expression"]))
                    continue
            if kind in ("string_literal", "identifier", "type_identifier", "field_identifier"):
                continue  # leaves: nothing to find below them
            stack.extend(reversed(current.named_children))

    def _walk_lambda(self, node: Node, env: Env, in_loop: bool, loop_line: int | None = None) -> None:
        body = child(node, "body")
        if body is None:
            return
        if in_loop:
            self.loops.append(loop_line or line_of(node))
        inner = dict(env)
        parameters = child(node, "parameters")
        if parameters is not None:
            for name in _parameter_names(parameters):
                inner.pop(name, None)
        try:
            if body.type == "block":
                self.walk_block(body, inner)
            else:
                self.scan(body, inner)
        finally:
            if in_loop:
                self.loops.pop()

    def _call(self, node: Node, method: str, env: Env) -> None:
        receiver = child(node, "object")
        loop_line = self.loops[-1] if self.loops else None

        def call() -> str:
            return f"{text_of(receiver)}.{method}" if receiver is not None else method

        if (receiver is None or receiver.type == "this") and method in self.context.methods:
            self.emissions.append(Emission(node, self.scope, len(self.loops), loop_line, call(),
                                           helper=f"{self.context.name}.{method}"))
            return
        namespace = self._mapper_namespace(receiver) if receiver is not None else None
        if namespace is not None:
            self.emissions.append(Emission(node, self.scope, len(self.loops), loop_line, call(),
                                           mapper=(namespace, method)))
            return
        if method not in SQL_SINKS and method not in SESSION_METHODS:
            return
        args = _arguments(node)
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
        self.emissions.append(Emission(node, self.scope, len(self.loops), loop_line, call(), value=value))

    def _statement_id(self, node: Node, env: Env) -> str | None:
        value = self.eval(node, env)
        if value is None or len(value.alts) != 1 or value.parts:
            return None
        text = value.texts()[0]
        return text if "." in text and all(p.isidentifier() for p in text.split(".")) else None

    def _mapper_namespace(self, receiver: Node) -> str | None:
        if receiver.type not in ("identifier", "field_access"):
            return None
        name = _assigned_name(receiver)
        if name is None:
            return None
        declared = self.types.get(name) if receiver.type == "identifier" else None
        if declared is None:
            declared = self.context.field_types.get(name)
        return self.context.resolve_mapper(declared) if declared else None

    # --- expressions --------------------------------------------------------------------------------
    def eval(self, node: Node | None, env: Env) -> Value | None:
        """The string value of an expression, or None when it is not a string the walker follows."""
        if node is None:
            return None
        kind = node.type
        if kind == "string_literal":
            return Value.text(java_string(node), line_of(node))
        if kind == "parenthesized_expression":
            inner = named_children(node)
            return self.eval(inner[0], env) if inner else None
        if kind == "identifier":
            name = text_of(node)
            if name in env:
                return env[name]
            return self.context.lookup_constant(self.context.name, name)
        if kind == "field_access":
            owner, name_node = child(node, "object"), child(node, "field")
            if owner is None or name_node is None:
                return None
            if owner.type == "this":
                return env.get(text_of(name_node)) or self.context.lookup_constant(self.context.name, text_of(name_node))
            return self.context.lookup_constant(self.context.name, f"{text_of(owner)}.{text_of(name_node)}")
        if kind == "binary_expression":
            operator = child(node, "operator")
            if operator is None or operator.type != "+":
                return None
            operands = flatten_binary(node, "+")
            values = [self.eval(o, env) for o in operands]
            if not any(v is not None for v in values[:2]):
                return None  # arithmetic until a string joins in: not a string expression we follow
            total = Value.text("")
            for operand, value in zip(operands, values):
                total = total + (value if value is not None else self._hole(operand))
            return cap_alternatives(total, self.cap)
        if kind == "ternary_expression":
            condition = child(node, "condition")
            when_true, when_false = self.eval(child(node, "consequence"), env), self.eval(child(node, "alternative"), env)
            if when_true is None or when_false is None or condition is None:
                return None
            label, positive = condition_label(condition)
            present, absent = (when_true, when_false) if positive else (when_false, when_true)
            return branch(present, absent, label, self.cap)
        if kind == "object_creation_expression":
            type_name = simple_type(child(node, "type"))
            if type_name in BUILDER_TYPES:
                args = _arguments(node)
                if args and args[0].type not in ("decimal_integer_literal",) and type_name != "StringJoiner":
                    return self.eval_or_hole(args[0], env)
                return Value.text("")
            return None
        if kind == "method_invocation":
            return self._eval_call(node, env)
        if kind == "switch_expression":
            return self._eval_switch(node, env)
        return None

    def _eval_switch(self, node: Node, env: Env) -> Value | None:
        """``switch (sort) { case "name" -> "u.name"; default -> "u.id"; }``: any of its arms' strings."""
        body = child(node, "body")
        result: Value | None = None
        for rule in named_children(body) if body is not None else []:
            if rule.type != "switch_rule":
                return None  # old-style groups with yield: not followed
            arm = [c for c in named_children(rule) if c.type != "switch_label"]
            if not arm or arm[0].type == "throw_statement":
                continue
            inner = named_children(arm[0]) if arm[0].type == "expression_statement" else []
            value = self.eval(inner[0], env) if inner else None
            if value is None:
                return None
            result = value if result is None else union_values(result, value, self.cap)
        return result

    def _eval_call(self, node: Node, env: Env) -> Value | None:
        method = text_of(child(node, "name") or node)
        receiver = child(node, "object")
        args = _arguments(node)
        if (receiver is None or receiver.type == "this") and method in self.context.methods:
            return self.context.method_result(method)  # SQL built by a helper of the class
        if method in PASS_THROUGH and receiver is not None and not args:
            return self.eval(receiver, env)
        if method == "format" and receiver is not None and text_of(receiver) == "String" and args:
            template = self.eval(args[0], env)
            return printf(template, [self._arg(a, env) for a in args[1:]]) if template is not None else None
        if method == "formatted" and receiver is not None:
            template = self.eval(receiver, env)
            return printf(template, [self._arg(a, env) for a in args]) if template is not None else None
        if method == "concat" and receiver is not None and len(args) == 1:
            base = self.eval(receiver, env)
            return base + self.eval_or_hole(args[0], env) if base is not None else None
        if method in ("join", "joining", "repeat", "nCopies", "collect") and _only_marks(node):
            return Value.text(QMARK_LIST)  # "?, ?, ?" built for an IN list: bound values, not text
        if method == "join" and receiver is not None and text_of(receiver) == "String" and len(args) >= 2:
            separator = self.eval(args[0], env)
            items = [self.eval_or_hole(a, env) for a in args[1:]]
            if separator is None or any(a.type not in ("string_literal", "identifier", "field_access") for a in args[1:]):
                return None
            total = items[0]
            for item in items[1:]:
                total = total + separator + item
            return total
        return None

    def _arg(self, node: Node, env: Env) -> Value | Hole:
        """A format argument: its text when known, else a hole (``printf`` marks ``%d`` ones safe)."""
        value = self.eval(node, env)
        if value is not None:
            return value
        spliced = self._hole(node).alts[0].segments[0]
        if isinstance(spliced, Hole):
            return Hole(spliced.source, PlaceholderStyle.FSTRING_HOLE, spliced.safe)
        return Value.text(spliced)

    def eval_or_hole(self, node: Node, env: Env) -> Value:
        value = self.eval(node, env)
        return value if value is not None else self._hole(node)

    def _hole(self, node: Node) -> Value:
        if node.type in ("decimal_integer_literal", "decimal_floating_point_literal", "hex_integer_literal",
                         "true", "false", "null_literal", "character_literal"):
            return Value.text(text_of(node) if node.type != "character_literal" else text_of(node)[1:-1])
        safe = False
        if node.type == "identifier":
            declared = self.types.get(text_of(node)) or self.context.field_types.get(text_of(node))
            safe = declared in NUMERIC_TYPES
        elif node.type == "method_invocation":
            safe = text_of(child(node, "name") or node) in ("size", "length", "intValue", "longValue", "parseInt",
                                                              "parseLong", "count", "ordinal")
        return hole(text_of(node), PlaceholderStyle.CONCAT_HOLE, safe)


# --- helpers ---------------------------------------------------------------------------------------

def java_string(node: Node) -> str:
    """The value of a string literal or text block (escapes decoded, text-block indentation removed)."""
    pieces: list[str] = []
    block = text_of(node).startswith('"""')
    for part in node.children:
        if part.type in ("string_fragment", "multiline_string_fragment"):
            pieces.append(text_of(part))
        elif part.type == "escape_sequence":
            pieces.append("\x01" + text_of(part) if block else _unescape(text_of(part)))
    text = "".join(pieces)
    if block:
        text = _strip_text_block(text)
        text = "".join(_unescape(p[:2]) + p[2:] if i else p for i, p in enumerate(text.split("\x01")))
    return text


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "s": " ", '"': '"', "'": "'", "\\": "\\", "\n": ""}


def _unescape(sequence: str) -> str:
    if len(sequence) < 2:
        return sequence
    if sequence[1] in _ESCAPES:
        return _ESCAPES[sequence[1]]
    if sequence[1] == "u":
        try:
            return chr(int(sequence.lstrip("\\u")[:4], 16))
        except ValueError:
            return sequence
    if sequence[1].isdigit():
        try:
            return chr(int(sequence[1:], 8))
        except ValueError:
            return sequence
    return sequence


def _strip_text_block(content: str) -> str:
    """Java's incidental-whitespace rule for text blocks (JLS 3.10.6), close enough for SQL."""
    lines = content.split("\n")[1:] if "\n" in content else [content]
    significant = [line for line in lines[:-1] if line.strip()] + [lines[-1]]
    indent = min((len(line) - len(line.lstrip()) for line in significant), default=0)
    return "\n".join(line[indent:].rstrip() for line in lines)


def simple_type(node: Node | None) -> str:
    """``java.util.List<Order>`` → ``List``; ``OrderMapper`` → ``OrderMapper``."""
    if node is None:
        return ""
    if node.type == "generic_type":
        return simple_type(named_children(node)[0]) if named_children(node) else ""
    if node.type == "scoped_type_identifier":
        return text_of(node).rsplit(".", 1)[-1]
    if node.type == "array_type":
        return ""
    return text_of(node)


def _inferred_type(value: Node) -> str:
    """``var m = session.getMapper(OrderMapper.class)`` / ``var sb = new StringBuilder()``."""
    if value.type == "object_creation_expression":
        return simple_type(child(value, "type"))
    if value.type == "method_invocation" and text_of(child(value, "name") or value) == "getMapper":
        args = _arguments(value)
        if args and args[0].type == "class_literal":
            return simple_type(named_children(args[0])[0])
    return ""


def _assigned_name(node: Node | None) -> str | None:
    if node is None:
        return None
    if node.type == "identifier":
        return text_of(node)
    if node.type == "field_access":
        owner, name = child(node, "object"), child(node, "field")
        if owner is not None and owner.type == "this" and name is not None:
            return text_of(name)
    return None


def _arguments(call: Node) -> list[Node]:
    arguments = child(call, "arguments")
    return named_children(arguments) if arguments is not None else []


def _parameter_names(node: Node) -> list[str]:
    if node.type == "identifier":
        return [text_of(node)]
    names = []
    for part in named_children(node):
        if part.type == "identifier":
            names.append(text_of(part))
        else:
            name = child(part, "name")
            if name is not None:
                names.append(text_of(name))
    return names


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 40 else flat[:37] + "..."


def condition_label(node: Node) -> tuple[str, bool]:
    """A short name for an ``if`` test and whether its true branch means "present"."""
    kind = node.type
    if kind in ("parenthesized_expression", "condition"):
        inner = named_children(node)
        return condition_label(inner[0]) if inner else (_short(text_of(node)), True)
    if kind == "unary_expression" and (op := child(node, "operator")) is not None and op.type == "!":
        operand = child(node, "operand")
        if operand is not None:
            label, positive = condition_label(operand)
            return label, not positive
    if kind == "binary_expression" and (op := child(node, "operator")) is not None:
        left, right = child(node, "left"), child(node, "right")
        if op.type in ("&&", "||") and left is not None and right is not None:
            (a, positive), (b, _) = condition_label(left), condition_label(right)
            return (a if a == b else _short(f"{a}/{b}")), positive
        if op.type in ("!=", "==", ">", "<=") and left is not None and right is not None:
            subject, other = (left, right) if _is_empty_literal(right) else (right, left)
            if _is_empty_literal(other):
                label, positive = condition_label(subject)
                return label, positive == (op.type in ("!=", ">"))
    if kind == "method_invocation":
        method = text_of(child(node, "name") or node)
        receiver, args = child(node, "object"), _arguments(node)
        if method in PRESENT_CALLS or method in ABSENT_CALLS:
            subject = args[0] if len(args) == 1 else receiver if not args else None
            if subject is not None:
                label, positive = condition_label(subject)
                return label, positive == (method in PRESENT_CALLS)
        if method in ("get", "containsKey") and len(args) == 1 and args[0].type == "string_literal":
            return java_string(args[0]), True  # params.get("userId") != null
        if not args and receiver is not None and method in ("size", "length", "trim", "strip"):
            return condition_label(receiver)
        if not args and receiver is not None:
            if method.startswith("get") and len(method) > 3 and method[3].isupper():
                return method[3].lower() + method[4:], True
            if method.startswith("is") and len(method) > 2 and method[2].isupper():
                return method[2].lower() + method[3:], True
            if method.isidentifier() and method[0].islower():
                return method, True  # a record accessor: query.keyword()
    if kind == "identifier":
        return text_of(node), True
    if kind == "field_access":
        name = child(node, "field")
        return (text_of(name) if name is not None else _short(text_of(node))), True
    return _short(text_of(node)), True


def _only_marks(node: Node) -> bool:
    """True when every string literal inside ``node`` is a ``?`` (or a separator) and one is a ``?``:
    ``String.join(",", Collections.nCopies(ids.size(), "?"))`` and its variations."""
    marks = 0
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "string_literal":
            value = java_string(current).strip()
            if value.strip(",").strip() == "?":
                marks += 1
            elif value not in (",", ""):
                return False
            continue
        stack.extend(current.children)
    return marks > 0


def _is_empty_literal(node: Node) -> bool:
    if node.type == "null_literal" or (node.type == "decimal_integer_literal" and text_of(node) == "0"):
        return True
    return node.type == "string_literal" and text_of(node) == '""'
