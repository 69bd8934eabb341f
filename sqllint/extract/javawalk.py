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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqllint.extract.javacalls import CallSites, Emission
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
from sqllint.extract.javawrapper import changed_in_lambda, is_wrapper, wrapper_value
from sqllint.extract.pyeval import union_values
from sqllint.extract.pyvalues import Value, branch, cap_alternatives
from sqllint.extract.tsutil import ArmWalking, field as child, line_of, named_children, short_label, text_of

if TYPE_CHECKING:
    from tree_sitter import Node

# Methods whose lambda argument runs once per element: a call inside it runs in a loop.
LOOP_METHODS = frozenset(
    "forEach forEachOrdered map flatMap mapToObj mapToInt mapToLong mapToDouble filter peek anyMatch allMatch "
    "noneMatch replaceAll removeIf iterate generate".split()
)

@dataclass
class MethodWalker(CallSites, JavaExpressions, ArmWalking):
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
