"""Expression evaluation for Python extraction: what string (or list of strings) an expression holds.

``ExpressionEvaluator`` knows literals, names (function, class and module scope), f-strings, ``+``,
``%`` and ``str.format``, ``join`` over tracked lists, conditional expressions, SQLAlchemy ``text()``
and calls to helpers defined in the same module. Anything else becomes a ``Hole`` (a value spliced in
that the extractor cannot see) or None (not a string at all).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from sqllint.extract.placeholders import Hole
from sqllint.extract.pyvalues import Value, branch, brace_format, cap_alternatives, concat_pieces, percent_format
from sqllint.records import PlaceholderStyle

# Calls that hand back the SQL they were given: wrappers taking it as first argument (SQLAlchemy
# text(), psycopg sql.SQL(), textwrap.dedent) and methods returning the same statement or string.
WRAPPER_FUNCTIONS = frozenset({"text", "SQL", "dedent", "literal_column"})
PASS_THROUGH_METHODS = frozenset({"strip", "lstrip", "rstrip", "bindparams", "columns", "execution_options",
                                  "params", "compile"})
TRANSPARENT_CALLS = WRAPPER_FUNCTIONS | PASS_THROUGH_METHODS
Env = dict[str, Value]
# What the driver or framework escapes or quotes (connection.ops.quote_name, conn.escape_string,
# sql.EscapeName in Go) cannot break out of its literal or identifier: not an injection.
ESCAPING_CALL = re.compile(r"escape|quote(?!_plus)", re.IGNORECASE)

@dataclass
class FunctionInfo:
    node: ast.FunctionDef | ast.AsyncFunctionDef
    qualname: str
    returns: list[tuple[Value, ast.AST, int]] = field(default_factory=list)
    # What it returns when that is a dict tracked by constant keys (get_conditions() building
    # conditions["orders"] += " AND …"): its entries, one mapping per return statement.
    dict_returns: list[dict[str, Value]] = field(default_factory=list)
    called_at_sink: bool = False
    evaluating: bool = False
    # What calls of it evaluate to (it is walked without arguments, so once is enough): a module of small
    # functions calling each other walked them again at every call, exponentially (6.9 s for one file).
    result: tuple[Value | None] | None = None



def call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def dotted(node: ast.expr) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # pragma: no cover - unparse handles every expression ast.parse makes
        return "?"


def condition_label(test: ast.expr) -> tuple[str, bool]:
    """A short name for an ``if`` test and whether the true branch means "present"."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        label, positive = condition_label(test.operand)
        return label, not positive
    if isinstance(test, ast.Name):
        return test.id, True
    if isinstance(test, ast.Attribute):
        return test.attr, True
    if isinstance(test, ast.Subscript) and isinstance(test.slice, ast.Constant) and isinstance(test.slice.value, str):
        return test.slice.value, True
    if isinstance(test, ast.Call):
        name = call_name(test.func)
        if name == "get" and test.args and isinstance(test.args[0], ast.Constant):
            return str(test.args[0].value), True
        if name in ("len", "bool", "any") and len(test.args) == 1:
            return condition_label(test.args[0])
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        op, right = test.ops[0], test.comparators[0]
        if isinstance(right, ast.Constant) and right.value in (None, "", 0):
            label, positive = condition_label(test.left)
            negated = isinstance(op, (ast.Is, ast.Eq, ast.LtE))
            return label, positive != negated
    text = dotted(test)
    return (text if len(text) <= 40 else text[:37] + "..."), True



def union_values(a: Value, b: Value, cap: int) -> Value:
    if a == b:
        return a
    parts = a.parts + tuple(p for p in b.parts if p not in a.parts)
    alts = tuple(dict.fromkeys(a.alts + b.alts))
    return cap_alternatives(Value(alts, parts, a.is_list, a.line or b.line, a.capped or b.capped), cap)


def subscript_name(name: str, key: str) -> str:
    """The environment key of a dict entry tracked by constant key: ``QUERIES['by_id']``."""
    return f"{name}[{key!r}]"


def dict_entries(name: str, env: Env) -> dict[str, Value]:
    """The entries of the dict ``name`` tracked by constant key (``conditions['orders']``), by key."""
    prefix = f"{name}["
    return {ast.literal_eval(key[len(prefix):-1]): value for key, value in env.items()
            if key.startswith(prefix) and key.endswith("']")}


def self_attribute(name: str) -> str:
    """The environment key of ``self.<name>`` assigned in the method being walked."""
    return f"self.{name}"


def any_entry(name: str) -> str:
    """The environment key of "some entry" of a dict whose entries are all text: ``ORDER_BY[sort]``."""
    return f"{name}[*]"


class ExpressionEvaluator:
    """Evaluates expressions against an environment; the walker subclass supplies helper results."""

    def __init__(self, max_variants: int) -> None:
        self.cap = max_variants
        self.module_env: Env = {}
        self.class_envs: dict[str, Env] = {}
        self.functions: dict[str, FunctionInfo] = {}
        self.consumed_constants: set[str] = set()
        self.class_name: str | None = None

    def _function_result(self, info: FunctionInfo) -> Value | None:
        raise NotImplementedError

    def _list_emptiness_test(self, test: ast.expr, env: Env) -> tuple[str, bool] | None:
        negate = False
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            test, negate = test.operand, True
        if isinstance(test, ast.Call) and call_name(test.func) == "len" and len(test.args) == 1:
            test = test.args[0]
        if isinstance(test, ast.Name) and test.id in env and env[test.id].is_list:
            return test.id, not negate
        return None

    @staticmethod
    def _filter_list(value: Value, non_empty: bool) -> Value | None:
        """The list's alternatives that are (non-)empty; None when there are none (branch unreachable)."""
        alts = tuple(a for a in value.alts if bool(a.items) == non_empty)
        return Value(alts, value.parts, is_list=True, line=value.line, capped=value.capped) if alts else None

    def parameter_defaults(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> Env:
        """Parameters with a text default (``conditions=""``): the caller's text (unknown) or the default,
        an optional part named after the parameter, so the statement as called without it is checked.

        Not for a parameter the function tests (``if where != '': sql += " WHERE %s" % where``): an arm
        of the test would glue the default to text written for the caller's value."""
        arguments = node.args
        positional = [*arguments.posonlyargs, *arguments.args]
        pairs = [*zip(positional[len(positional) - len(arguments.defaults):], arguments.defaults),
                 *((a, d) for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults) if d is not None)]
        tested = {n.id for test in _tests_in(node) for n in ast.walk(test) if isinstance(n, ast.Name)}
        env: Env = {}
        for argument, default in pairs:
            if isinstance(default, ast.Constant) and isinstance(default.value, str) and argument.arg not in tested:
                given = Value.hole(self._hole(ast.Name(argument.arg, ast.Load())))
                merged = branch(given, Value.text(default.value, default.lineno), argument.arg, self.cap)
                if merged is not None:
                    env[argument.arg] = merged
        return env

    # --- expressions ------------------------------------------------------------------------------
    def _lookup(self, name: str, env: Env) -> Value | None:
        if name in env:
            return env[name]
        if name in self.module_env and env is not self.module_env:
            self.consumed_constants.add(name)
            return self.module_env[name]
        return None

    def _or_hole(self, value: Value | None, node: ast.expr) -> Value:
        return value if value is not None and not value.is_list else Value.hole(self._hole(node))

    def _hole(self, node: ast.expr, spec: str = "") -> Hole:
        safe = (
            (isinstance(node, ast.Constant) and isinstance(node.value, (int, float)))
            or (isinstance(node, ast.Call) and call_name(node.func) in ("int", "float", "len", "bool"))
            or (isinstance(node, ast.Call) and bool(ESCAPING_CALL.search(call_name(node.func))))
            or spec[-1:] in tuple("dfeEgGxXbon%")
        )
        return Hole(dotted(node), PlaceholderStyle.FSTRING_HOLE, safe=safe)

    def _eval(self, node: ast.expr, env: Env) -> Value | None:
        if isinstance(node, ast.Constant):
            return Value.text(node.value, getattr(node, "lineno", 0)) if isinstance(node.value, str) else None
        if isinstance(node, ast.Name):
            return self._lookup(node.id, env)
        if isinstance(node, ast.JoinedStr):
            pieces: list = []
            for part in node.values:
                if isinstance(part, ast.Constant):
                    pieces.append(str(part.value))
                elif isinstance(part, ast.FormattedValue):
                    spec = dotted(part.format_spec)[2:-1] if part.format_spec is not None else ""
                    inner = self._eval(part.value, env) if part.conversion == -1 else None
                    hole = self._hole(part.value, spec)
                    if part.conversion == ord("r"):  # {x!r}: a quoted literal, a value wherever it stands
                        hole = Hole(hole.source, hole.style, safe=hole.safe, literal=True)
                    pieces.append(inner if inner is not None and not inner.is_list else hole)
            value = concat_pieces(pieces)
            return Value(value.alts, value.parts, line=node.lineno, capped=value.capped)
        if isinstance(node, ast.BinOp):
            return self._eval_binop(node, env)
        if isinstance(node, ast.IfExp):
            list_test = self._list_emptiness_test(node.test, env)
            if list_test is not None:
                return self._eval_list_ifexp(node, env, *list_test)
            label, positive = condition_label(node.test)
            body, orelse = self._eval(node.body, env), self._eval(node.orelse, env)
            if body is None or orelse is None:
                return None
            present, absent = (body, orelse) if positive else (orelse, body)
            return branch(present, absent, label, self.cap)
        if isinstance(node, (ast.List, ast.Tuple)):
            items = [self._or_hole(self._eval(e, env), e) for e in node.elts if not isinstance(e, ast.Starred)]
            return Value.list_of(items, getattr(node, "lineno", 0))
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id == "self" \
                    and (assigned := env.get(self_attribute(node.attr))) is not None:
                return assigned  # self.conditions set earlier in this method
            return self._eval_attribute(node)
        if isinstance(node, ast.Call):
            return self._eval_call(node, env)
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) \
                and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
            return self._lookup(subscript_name(node.value.id, node.slice.value), env)
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and not isinstance(node.slice, ast.Slice):
            return self._dict_choices(node.value.id, env)  # ORDER_BY[sort]: one of the dict's texts
        return None

    def _dict_choices(self, name: str, env: Env) -> Value | None:
        """Any entry of a dict literal whose values are all text (a fixed allow-list such as a sort map)."""
        choices = self._lookup(any_entry(name), env)
        if choices is not None and name in {k.partition("[")[0] for k in self.module_env}:
            self.consumed_constants.update(k for k in self.module_env if k.startswith(f"{name}["))
        return choices

    def _eval_list_ifexp(self, node: ast.IfExp, env: Env, name: str, non_empty_when_true: bool) -> Value | None:
        """``a if conds else b``: ``a`` for the non-empty alternatives of ``conds``, ``b`` for the others."""
        results = []
        for branch_node, non_empty in ((node.body, non_empty_when_true), (node.orelse, not non_empty_when_true)):
            narrowed = self._filter_list(env[name], non_empty)
            if narrowed is None:
                continue
            value = self._eval(branch_node, {**env, name: narrowed})
            if value is None:
                return None
            results.append(value)
        if not results:
            return None
        return results[0] if len(results) == 1 else union_values(results[0], results[1], self.cap)

    def _eval_attribute(self, node: ast.Attribute) -> Value | None:
        owner = node.value
        if isinstance(owner, ast.Name):
            class_name = self.class_name if owner.id in ("self", "cls") else owner.id
            env = self.class_envs.get(class_name or "")
            if env is not None and node.attr in env:
                self.consumed_constants.add(f"{class_name}.{node.attr}")
                return env[node.attr]
        return None

    def _eval_binop(self, node: ast.BinOp, env: Env) -> Value | None:
        left = self._eval(node.left, env)
        if isinstance(node.op, ast.Add):
            right = self._eval(node.right, env)
            if left is None and right is None:
                return None
            if (left is not None and left.is_list) or (right is not None and right.is_list):
                return left.extend(right) if left is not None and right is not None and left.is_list and right.is_list else None
            return cap_alternatives(self._or_hole(left, node.left) + self._or_hole(right, node.right), self.cap)
        if isinstance(node.op, ast.Mod) and left is not None and not left.is_list:
            args = node.right
            if isinstance(args, ast.Tuple):
                positional = [self._arg(e, env) for e in args.elts]
                return percent_format(left, positional, {})
            if isinstance(args, ast.Dict):
                named = {k.value: self._arg(v, env) for k, v in zip(args.keys, args.values)
                         if isinstance(k, ast.Constant) and isinstance(k.value, str)}
                return percent_format(left, [], named)
            return percent_format(left, [self._arg(args, env)], {})
        if isinstance(node.op, ast.Mult) and left is not None and left.is_list:
            # ["%s"] * len(ids): a placeholder list of unknown length; three stand for "several".
            return left.extend(left).extend(left)
        return None

    def _arg(self, node: ast.expr, env: Env) -> Value | Hole:
        value = self._eval(node, env)
        return value if value is not None and not value.is_list else self._hole(node)

    def _eval_call(self, node: ast.Call, env: Env) -> Value | None:
        func = node.func
        name = call_name(func)
        if name == "get" and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and node.args:
            key = node.args[0]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                entry = self._lookup(subscript_name(func.value.id, key.value), env)
                if entry is not None:  # conditions.get("orders", ""), QUERIES.get("by_id") on a tracked dict
                    return entry
            else:  # SORTS.get(request_arg, "id DESC"): one of the dict's texts, or the default
                choices = self._dict_choices(func.value.id, env)
                default = self._eval(node.args[1], env) if len(node.args) > 1 else None
                if choices is not None and default is not None and not default.is_list:
                    return union_values(choices, default, self.cap)
                if choices is not None and len(node.args) == 1:
                    return choices
        if isinstance(func, ast.Attribute):
            receiver = self._eval(func.value, env)
            if receiver is not None and not receiver.is_list:
                if name == "format":
                    positional = [self._arg(a, env) for a in node.args if not isinstance(a, ast.Starred)]
                    named = {k.arg: self._arg(k.value, env) for k in node.keywords if k.arg}
                    return brace_format(receiver, positional, named)
                if name == "join" and node.args:
                    return self._eval_join(receiver, node.args[0], env)
                if name in PASS_THROUGH_METHODS:
                    return receiver
                return None
        if name in WRAPPER_FUNCTIONS and node.args:
            return self._eval(node.args[0], env)
        if name in ("tuple", "list") and isinstance(func, ast.Name) and len(node.args) == 1:
            inner = self._eval(node.args[0], env)  # tuple(params): the list it copies
            return inner if inner is not None and inner.is_list else None
        if name == "str" and node.args:
            inner = self._eval(node.args[0], env)
            return inner if inner is not None and not inner.is_list else None
        info = self._local_function(func)
        if info is not None:
            return self._function_result(info)
        return None

    def _eval_join(self, separator: Value, arg: ast.expr, env: Env) -> Value | None:
        items = self._eval(arg, env)
        if items is not None and items.is_list:
            return items.join(separator)
        if isinstance(arg, (ast.GeneratorExp, ast.ListComp)):
            element = self._eval(arg.elt, env)
            if element is not None and not element.is_list and not any(isinstance(s, Hole) for a in element.alts for s in a.segments):
                return Value.list_of([element] * 3).join(separator)  # ", ".join("%s" for _ in ids)
        return Value.hole(self._hole(arg))

    def _local_function(self, func: ast.expr) -> FunctionInfo | None:
        if isinstance(func, ast.Name):
            return self.functions.get(func.id)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
            if self.class_name:
                return self.functions.get(f"{self.class_name}.{func.attr}")
        return None


def target_key(target: ast.expr) -> str | None:
    """The environment key an assignment target writes: a name, a dict entry by constant key, or an
    attribute of ``self`` (``self.conditions = self.get_conditions()``, read later in the same method)."""
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
        return self_attribute(target.attr)
    if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) \
            and isinstance(target.slice, ast.Constant) and isinstance(target.slice.value, str):
        return subscript_name(target.value.id, target.slice.value)
    return None


def _tests_in(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.expr]:
    """The conditions the function decides on: if/while/ternary/comprehension tests, and/or operands."""
    found: list[ast.expr] = []
    for node in ast.walk(function):
        if isinstance(node, (ast.If, ast.While, ast.IfExp, ast.Assert)):
            found.append(node.test)
        elif isinstance(node, ast.comprehension):
            found.extend(node.ifs)
        elif isinstance(node, ast.BoolOp):
            found.extend(node.values)
        elif isinstance(node, ast.Match):
            found.append(node.subject)
    return found
