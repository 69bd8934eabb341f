"""Function-body walking for Go extraction: follow string building to the DB call that runs it.

Each function is walked once in statement order with an environment of abstract string values
(``pyvalues.Value``, as for Python and Java): ``if kw != "" { sb.WriteString(" AND …") }`` makes ``kw``
an optional part. ``for`` loops (all forms) raise the loop depth the N+1 rule reads; function literals
are walked where they are written; a statement prepared once and run in a loop counts as run in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqllint.extract.gocalls import GoCalls, GoEmission
from sqllint.extract.goexpr import (
    BUILDER_TYPES,
    Env,
    GoExpressions,
    arguments_of,
    condition_label,
    is_sqlx_in,
    is_tracked_slice,
    statements_of,
)
from sqllint.extract.pyeval import ExpressionEvaluator, union_values
from sqllint.extract.pyrunners import CarriedRun
from sqllint.extract.pyvalues import Value, branch, cap_alternatives
from sqllint.extract.tsutil import ArmWalking, field as child, line_of, named_children, printf, short_label, text_of

if TYPE_CHECKING:
    from tree_sitter import Node

_filter_list = ExpressionEvaluator._filter_list  # the list's (non-)empty alternatives, or None

@dataclass
class GoWalker(GoExpressions, ArmWalking, GoCalls):
    """Walks one function body; constants are shared by the file."""

    constants: dict[str, Node]
    constant_values: dict[str, Value | None]
    scope: str
    cap: int
    emissions: list[GoEmission]
    external: Mapping[str, Value] = field(default_factory=dict)  # other files' package constants by name
    # functions of the file by name, and methods by (receiver variable of this method, name): their scopes
    helpers: Mapping[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    loops: list[int] = field(default_factory=list)
    prepared: dict[str, GoEmission] = field(default_factory=dict)  # statement variable → the SQL it prepared
    branches: list[tuple[int, int, int]] = field(default_factory=list)  # (line, column, arm) being walked
    packages: frozenset[str] = frozenset()  # names the file's imports are used by (fmt, fleet, sqlx)
    # Functions of the package's other files and of imported project packages, by the callee's text
    # (``GetUser``, ``store.GetUser``): their qualified names and what they run
    runners: Mapping[str, tuple[str, tuple[CarriedRun, ...]]] = field(default_factory=dict)

    # --- statements -----------------------------------------------------------------------------------
    block_kinds = frozenset({"block", "statement_list"})

    def block_statements(self, node: Node) -> list[Node]:
        return statements_of(node)

    def walk_statement(self, node: Node, env: Env) -> bool:
        kind = node.type
        if kind in ("block", "statement_list"):
            return self.walk_block(node, env)
        if kind == "short_var_declaration":
            self._assign(child(node, "left"), child(node, "right"), "=", env)
            return False
        if kind == "assignment_statement":
            operator = child(node, "operator")
            self._assign(child(node, "left"), child(node, "right"), operator.type if operator else "=", env)
            return False
        if kind in ("var_declaration", "const_declaration"):
            for spec in named_children(node):
                for inner in named_children(spec) if spec.type == "var_spec_list" else [spec]:
                    self._declare(inner, env)
            return False
        if kind == "expression_statement":
            for expression in named_children(node):
                self.scan(expression, env)
                self._builder_write(expression, env)
            return False
        if kind == "if_statement":
            return self._walk_if(node, env)
        if kind == "for_statement":
            self._walk_loop(node, env)
            return False
        if kind in ("expression_switch_statement", "type_switch_statement", "select_statement"):
            arm = 0  # one case runs; a case ending in `fallthrough` shares its arm with the next
            for part in named_children(node):
                if part.type in ("expression_case", "default_case", "type_case", "communication_case"):
                    branch_env = dict(env)
                    falls_through = False
                    self.branches.append((line_of(node), node.start_point[1] + 1, arm))
                    for inner in named_children(part):
                        if inner.type == "statement_list":
                            self.walk_block(inner, branch_env)
                            statements = statements_of(inner)
                            falls_through = bool(statements) and statements[-1].type == "fallthrough_statement"
                        else:
                            self.scan(inner, branch_env)
                    self.branches.pop()
                    arm += 0 if falls_through else 1
                else:
                    self.scan(part, env)
            return False
        if kind == "labeled_statement":
            for part in named_children(node):
                if part.type != "label_name":
                    self.walk_statement(part, env)
            return False
        if kind == "return_statement":
            self.scan(node, env)
            return True
        if kind in ("break_statement", "continue_statement", "goto_statement"):
            return True
        self.scan(node, env)
        return False

    def _assign(self, left: Node | None, right: Node | None, operator: str, env: Env) -> None:
        if left is None or right is None:
            return
        self.scan(right, env)
        targets, values = named_children(left), named_children(right)
        if targets and values and targets[0].type == "identifier" and self.emissions \
                and self.emissions[-1].node == values[0] and self.emissions[-1].call.rpartition(".")[2].startswith("Prepare"):
            self.prepared[text_of(targets[0])] = self.emissions[-1]
        for index, target in enumerate(targets):
            if target.type != "identifier":
                continue
            name = text_of(target)
            value_node = values[index] if len(values) == len(targets) else None
            if index == 0 and len(values) == 1 and len(targets) > 1 and is_sqlx_in(values[0]):
                value_node = arguments_of(values[0])[0]  # query, args, err := sqlx.In("… IN (?)", ids)
            if operator == "+=":
                current = env.get(name)
                if current is not None and value_node is not None:
                    env[name] = cap_alternatives(current + self.eval_or_hole(value_node, env), self.cap)
                continue
            value = self.eval(value_node, env) if value_node is not None else None
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value

    def _declare(self, spec: Node, env: Env) -> None:
        names = spec.children_by_field_name("name")
        type_node, value_list = child(spec, "type"), child(spec, "value")
        declared = text_of(type_node) if type_node is not None else ""
        values = named_children(value_list) if value_list is not None else []
        if value_list is not None:
            self.scan(value_list, env)
        for index, name_node in enumerate(names):
            name = text_of(name_node)
            if declared:
                self.types[name] = declared
            value = self.eval(values[index], env) if index < len(values) and len(values) == len(names) else None
            if value is None and not values and declared in BUILDER_TYPES:
                value = Value.text("")
            if value is None and not values and is_tracked_slice(declared):
                value = Value.list_of([])  # var conds []string, var args []any: appended to below
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value

    def _builder_write(self, node: Node, env: Env) -> None:
        """``sb.WriteString(" AND …")`` / ``fmt.Fprintf(&sb, …)``: extend the tracked builder."""
        if node.type != "call_expression":
            return
        function, args = child(node, "function"), arguments_of(node)
        if function is None or function.type != "selector_expression":
            return
        operand, method = child(function, "operand"), text_of(child(function, "field") or function)
        if method in ("WriteString", "WriteByte", "WriteRune", "Write") and operand is not None \
                and operand.type == "identifier" and text_of(operand) in env and len(args) == 1:
            name = text_of(operand)
            env[name] = cap_alternatives(env[name] + self.eval_or_hole(args[0], env), self.cap)
        elif method == "Fprintf" and operand is not None and text_of(operand) == "fmt" and len(args) >= 2:
            target = args[0]
            name = text_of(target).lstrip("&")
            template = self.eval(args[1], env)
            if name in env and template is not None:
                added = printf(template, [self._arg(a, env) for a in args[2:]])
                env[name] = cap_alternatives(env[name] + added, self.cap)

    def _walk_if(self, node: Node, env: Env) -> bool:
        initializer = child(node, "initializer")
        if initializer is not None:
            self.walk_statement(initializer, env)
        condition = child(node, "condition")
        if condition is not None:
            self.scan(condition, env)
        label, positive = condition_label(condition) if condition is not None else ("condition", True)
        true_env, false_env = dict(env), dict(env)
        list_test = self._list_emptiness_test(condition, env) if condition is not None else None
        true_reachable = false_reachable = True
        if list_test is not None:  # `if len(conds) > 0`: decided per alternative, no optional part
            name, non_empty_when_true = list_test
            for arm_env, non_empty in ((true_env, non_empty_when_true), (false_env, not non_empty_when_true)):
                narrowed = _filter_list(env[name], non_empty)
                if narrowed is None:
                    if arm_env is true_env:
                        true_reachable = False
                    else:
                        false_reachable = False
                else:
                    arm_env[name] = narrowed
        # `if err != nil { return … }`: the rest of the block runs only on the other arm.
        leaves = self._walk_if_arms(node, true_env, false_env, env, (true_reachable, false_reachable))
        if leaves is not None:
            return leaves
        if list_test is not None:
            self._merge(env, true_env, false_env, None)
            return False
        present, absent = (true_env, false_env) if positive else (false_env, true_env)
        self._merge(env, present, absent, label)
        return False

    def _list_emptiness_test(self, condition: Node, env: Env) -> tuple[str, bool] | None:
        """``len(conds) > 0`` / ``len(conds) == 0`` / ``!= 0`` on a tracked slice: (name, non-empty when true)."""
        if condition.type == "parenthesized_expression":
            inner = named_children(condition)
            return self._list_emptiness_test(inner[0], env) if len(inner) == 1 else None
        operator = child(condition, "operator") if condition.type == "binary_expression" else None
        left, right = child(condition, "left"), child(condition, "right")
        if operator is None or left is None or right is None or text_of(right) != "0":
            return None
        if operator.type not in (">", "!=", "==", "<=") or left.type != "call_expression":
            return None
        function, args = child(left, "function"), arguments_of(left)
        if function is None or text_of(function) != "len" or len(args) != 1 or args[0].type != "identifier":
            return None
        name = text_of(args[0])
        if name not in env or not env[name].is_list:
            return None
        return name, operator.type in (">", "!=")

    def _merge(self, env: Env, present: Env, absent: Env, label: str | None) -> None:
        for name in set(present) | set(absent):
            a, b = present.get(name), absent.get(name)
            merged = None
            if a is not None and b is not None:
                merged = branch(a, b, label, self.cap) if label else union_values(a, b, self.cap)
            if merged is None:
                env.pop(name, None)
            else:
                env[name] = merged

    def _walk_loop(self, node: Node, env: Env) -> None:
        body = child(node, "body")
        label = "loop"
        for part in named_children(node):
            if body is not None and part == body:
                continue
            if part.type == "for_clause":
                initializer = child(part, "initializer")
                if initializer is not None:
                    self.walk_statement(initializer, env)
                label = text_of(child(part, "condition") or part)
            elif part.type == "range_clause":
                right = child(part, "right")
                if right is not None:
                    self.scan(right, env)
                    label = text_of(right)
                left = child(part, "left")
                targets = named_children(left) if left is not None else []
                for target in targets:
                    env.pop(text_of(target), None)
                over = self.eval(right, env) if right is not None else None
                items = over.elements() if over is not None and over.is_list else None
                if len(targets) == 2 and targets[1].type == "identifier" and items is not None:
                    env[text_of(targets[1])] = items  # for _, stmt := range schema: each statement
            else:
                self.scan(part, env)
                label = text_of(part)
        body_env = dict(env)
        self.loops.append(line_of(node))
        if body is not None:
            self.walk_block(body, body_env)
        self.loops.pop()
        self._merge(env, body_env, dict(env), short_label(label))
        for name, value in self._filled_slices(node, body, body_env).items():
            env[name] = value

    def _filled_slices(self, node: Node, body: Node | None, body_env: Env) -> dict[str, Value]:
        """``for i := range ids { marks[i] = "?" }``: every element of marks is "?" after the loop, however
        many times it ran (marks was made as long as the ranged slice: the Go IN-list idiom)."""
        clause = next((p for p in named_children(node) if p.type == "range_clause"), None)
        left = child(clause, "left") if clause is not None else None
        keys = named_children(left) if left is not None else []
        if body is None or not keys or keys[0].type != "identifier":
            return {}
        index = text_of(keys[0])
        filled = {}
        for statement in statements_of(body):
            if statement.type != "assignment_statement":
                continue
            targets, values = named_children(child(statement, "left")), named_children(child(statement, "right"))
            if len(targets) != 1 or len(values) != 1 or targets[0].type != "index_expression":
                continue
            operand, position = child(targets[0], "operand"), child(targets[0], "index")
            if operand is None or position is None or text_of(position) != index or operand.type != "identifier":
                continue
            value = self.eval(values[0], body_env)
            if value is not None and not value.is_list and text_of(operand) in body_env \
                    and body_env[text_of(operand)].is_list:
                filled[text_of(operand)] = Value.list_of([value] * 3)
        return filled

    # --- calls --------------------------------------------------------------------------------------
    def scan(self, node: Node, env: Env) -> None:
        """DB calls in an expression, in source order; function literals are walked inline."""
        stack = [node]
        while stack:
            current = stack.pop()
            if current.type == "func_literal":
                body = child(current, "body")
                if body is not None:
                    self.walk_block(body, dict(env))
                continue
            if current.type == "call_expression":
                start = len(self.emissions)
                self._call(current, env)
                for emission in self.emissions[start:]:
                    emission.branch = tuple(self.branches)
            elif current.type in ("interpreted_string_literal", "raw_string_literal", "identifier", "field_identifier"):
                continue  # leaves: nothing to find below them
            stack.extend(reversed(current.named_children))
