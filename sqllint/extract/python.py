"""Extract SQL from Python source with ``ast``: follow string building to the DB call that runs it.

Each function is walked once in statement order with an environment of abstract string values
(``pyvalues``). ``if`` branches become optional parts, so ``sql += " AND name LIKE %s"`` under
``if kw:`` yields the variants "kw absent" and "kw present". A query is emitted where a SQL-looking
value reaches a DB call (``execute``, ``read_sql``, ``text``, ``raw``, …) or is returned from a function
nobody in the file calls; SQL constants never used in their file are emitted where they are defined.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqllint.extract.placeholders import Hole, hole_marker, normalise, render_raw
from sqllint.extract.pyvalues import (
    Alt,
    Value,
    branch,
    brace_format,
    cap_alternatives,
    concat_pieces,
    percent_format,
)
from sqllint.extract.splitter import split_statements
from sqllint.records import PlaceholderStyle, Query, Variant
from sqllint.suppress import parse_suppressions

_SINK_NAMES = frozenset(
    "execute executemany executescript exec_driver_sql mogrify read_sql read_sql_query raw query "
    "fetch fetchrow fetchval fetch_all fetch_one fetch_val fetch_many select".split()
)
_SINK_PATTERN = re.compile(r"sql|query|^exec|^fetch|^select|^run_", re.IGNORECASE)
_TRANSPARENT_CALLS = frozenset({"text", "SQL", "dedent", "strip", "lstrip", "rstrip", "literal_column"})
_SQL_KEYWORDS_AT_SINK = re.compile(
    r"\s*(?:--[^\n]*\n|/\*.*?\*/|\(|\s)*(SELECT|INSERT|UPDATE|DELETE|REPLACE|WITH|CREATE|ALTER|DROP|"
    r"TRUNCATE|CALL|SHOW|SET|LOCK|UNLOCK|MERGE)\b",
    re.IGNORECASE | re.DOTALL,
)
# Away from a DB call a string must look more surely like SQL: a verb and its companion keyword.
_SQL_CONSTANT = re.compile(
    r"\s*(?:--[^\n]*\n|/\*.*?\*/|\(|\s)*(?:SELECT\b.*\bFROM\b|INSERT\b.*\b(?:INTO|VALUES)\b|UPDATE\b.*\bSET\b|"
    r"DELETE\b.*\bFROM\b|REPLACE\b.*\bINTO\b|WITH\b.*\bSELECT\b)",
    re.IGNORECASE | re.DOTALL,
)
_SQL_KEYWORD_ARGS = ("sql", "query", "statement", "stmt", "operation", "sql_query")


def looks_like_sql(value: Value, at_sink: bool) -> bool:
    pattern = _SQL_KEYWORDS_AT_SINK if at_sink else _SQL_CONSTANT
    return any(pattern.match(text) for text in value.texts())


@dataclass
class _Emitted:
    value: Value
    node: ast.AST
    scope: str
    loop_depth: int
    loop_line: int | None
    call: str
    sequence: int


@dataclass
class _FunctionInfo:
    node: ast.FunctionDef | ast.AsyncFunctionDef
    qualname: str
    returns: list[tuple[Value, ast.AST, int]] = field(default_factory=list)
    called_at_sink: bool = False
    evaluating: bool = False


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _dotted(node: ast.expr) -> str:
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
        name = _call_name(test.func)
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
    text = _dotted(test)
    return (text if len(text) <= 40 else text[:37] + "..."), True


def _terminates(body: list[ast.stmt]) -> bool:
    return bool(body) and isinstance(body[-1], (ast.Return, ast.Raise, ast.Continue, ast.Break))


Env = dict[str, Value]


class PythonExtractor:
    """Walks one module. Use ``extract_python`` instead of this class directly."""

    def __init__(self, tree: ast.Module, path: str, max_variants: int) -> None:
        self.tree = tree
        self.path = path
        self.cap = max_variants
        self.module_env: Env = {}
        self.class_envs: dict[str, Env] = {}
        self.functions: dict[str, _FunctionInfo] = {}
        self.emitted: list[_Emitted] = []
        self.consumed_constants: set[str] = set()
        self.constant_sites: dict[str, tuple[Value, ast.AST, str]] = {}
        self.sequence: dict[str, int] = {}
        # state of the function being walked
        self.scope = "<module>"
        self.class_name: str | None = None
        self.loops: list[int] = []

    # --- driver ---------------------------------------------------------------------------------
    def run(self) -> list[_Emitted]:
        self._index_functions(self.tree.body, prefix="", class_name=None)
        self._walk_block(self.tree.body, self.module_env, top_level=True)
        for info in list(self.functions.values()):
            self._walk_function(info)
        for info in self.functions.values():
            if info.called_at_sink:
                continue
            for value, node, depth in info.returns:
                if looks_like_sql(value, at_sink=False):
                    self._emit(value, node, "return", info.qualname, depth, None)
        for name, (value, node, scope) in self.constant_sites.items():
            if name not in self.consumed_constants and looks_like_sql(value, at_sink=False):
                self._emit(value, node, "constant", scope, 0, None)
        return self.emitted

    def _index_functions(self, body: list[ast.stmt], prefix: str, class_name: str | None) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                qualname = f"{prefix}{node.name}"
                self.functions[qualname] = _FunctionInfo(node, qualname)
                self._index_functions(node.body, f"{qualname}.<locals>.", class_name)
            elif isinstance(node, ast.ClassDef):
                env: Env = {}
                self.class_envs[node.name] = env
                for stmt in node.body:  # class-level constants: QUERY = "SELECT ..."
                    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                        value = self._eval(stmt.value, {})
                        if value is not None:
                            name = stmt.targets[0].id
                            env[name] = value
                            self.constant_sites[f"{node.name}.{name}"] = (value, stmt, node.name)
                self._index_functions(node.body, f"{prefix}{node.name}.", node.name)

    def _walk_function(self, info: _FunctionInfo) -> None:
        if info.evaluating:
            return
        info.evaluating = True
        saved = (self.scope, self.class_name, self.loops)
        self.scope = info.qualname
        parts = info.qualname.split(".")
        self.class_name = parts[-2] if len(parts) >= 2 and parts[-2] in self.class_envs else None
        self.loops = []
        info.returns.clear()
        self._current_function = info
        self._walk_block(info.node.body, {}, top_level=False)
        self.scope, self.class_name, self.loops = saved
        info.evaluating = False

    # --- statements -----------------------------------------------------------------------------
    def _walk_block(self, body: list[ast.stmt], env: Env, top_level: bool = False) -> bool:
        """Walk statements; return True when the block always leaves (return/raise/continue/break)."""
        for stmt in body:
            if self._walk_stmt(stmt, env, top_level):
                return True
        return False

    def _walk_stmt(self, stmt: ast.stmt, env: Env, top_level: bool) -> bool:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return False  # walked on their own, with their own scope
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            value_node = stmt.value
            if value_node is None:
                return False
            self._scan_calls(value_node, env)
            value = self._eval(value_node, env)
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                self._assign(target, value, env, stmt, top_level)
            return False
        if isinstance(stmt, ast.AugAssign):
            self._scan_calls(stmt.value, env)
            if isinstance(stmt.target, ast.Name) and isinstance(stmt.op, ast.Add):
                current = self._lookup(stmt.target.id, env)
                addition = self._eval(stmt.value, env)
                if current is not None and current.is_list:
                    env[stmt.target.id] = current.extend(addition) if addition is not None and addition.is_list else current
                elif current is not None:
                    env[stmt.target.id] = cap_alternatives(current + self._or_hole(addition, stmt.value), self.cap)
            return False
        if isinstance(stmt, ast.Expr):
            self._scan_calls(stmt.value, env)
            self._list_mutation(stmt.value, env)
            return False
        if isinstance(stmt, ast.If):
            return self._walk_if(stmt, env, top_level)
        if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
            self._walk_loop(stmt, env, top_level)
            return False
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                self._scan_calls(item.context_expr, env)
            return self._walk_block(stmt.body, env, top_level)
        if isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            leaves = self._walk_block(stmt.body, env, top_level)  # type: ignore[attr-defined]
            for handler in stmt.handlers:  # type: ignore[attr-defined]
                self._walk_block(handler.body, dict(env), top_level)
            self._walk_block(stmt.orelse, env, top_level)  # type: ignore[attr-defined]
            self._walk_block(stmt.finalbody, env, top_level)  # type: ignore[attr-defined]
            return leaves
        if isinstance(stmt, ast.Match):
            self._scan_calls(stmt.subject, env)
            for case in stmt.cases:
                self._walk_block(case.body, dict(env), top_level)
            return False
        if isinstance(stmt, ast.Return):
            if stmt.value is not None:
                self._scan_calls(stmt.value, env)
                value = self._eval(stmt.value, env)
                info = getattr(self, "_current_function", None)
                if value is not None and not value.is_list and info is not None and self.scope == info.qualname:
                    info.returns.append((value, stmt, len(self.loops)))
            return True
        if isinstance(stmt, (ast.Raise, ast.Continue, ast.Break)):
            return True
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.expr):
                self._scan_calls(child, env)
        return False

    def _assign(self, target: ast.expr, value: Value | None, env: Env, stmt: ast.stmt, top_level: bool) -> None:
        if isinstance(target, ast.Name):
            if value is None:
                env.pop(target.id, None)
                return
            env[target.id] = value
            if top_level:
                self.constant_sites[target.id] = (value, stmt, "<module>")
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                if isinstance(element, ast.Name):
                    env.pop(element.id, None)

    def _walk_if(self, stmt: ast.If, env: Env, top_level: bool) -> bool:
        self._scan_calls(stmt.test, env)
        label, positive = condition_label(stmt.test)
        list_test = self._list_emptiness_test(stmt.test, env)
        true_env, false_env = dict(env), dict(env)
        true_reachable = false_reachable = True
        if list_test is not None:  # `if conds:` decides per alternative; it adds no optional part
            name, non_empty_when_true = list_test
            true_value = self._filter_list(env[name], non_empty=non_empty_when_true)
            false_value = self._filter_list(env[name], non_empty=not non_empty_when_true)
            true_reachable, false_reachable = true_value is not None, false_value is not None
            if true_value is not None:
                true_env[name] = true_value
            if false_value is not None:
                false_env[name] = false_value
        true_leaves = self._walk_block(stmt.body, true_env, top_level) or not true_reachable
        false_leaves = self._walk_block(stmt.orelse, false_env, top_level) or not false_reachable
        if true_leaves and false_leaves:
            return True
        if true_leaves or false_leaves:
            env.clear()
            env.update(false_env if true_leaves else true_env)
            return False
        if list_test is not None:
            self._merge_envs(env, true_env, false_env, None)
        else:
            present, absent = (true_env, false_env) if positive else (false_env, true_env)
            self._merge_envs(env, present, absent, label)
        return False

    def _merge_envs(self, env: Env, present: Env, absent: Env, label: str | None) -> None:
        for name in set(present) | set(absent):
            a, b = present.get(name), absent.get(name)
            if label is None:
                merged = _union_values(a, b, self.cap) if a is not None and b is not None else None
            else:
                merged = branch(a, b, label, self.cap) if a is not None and b is not None else None
            if merged is None:
                env.pop(name, None)
            else:
                env[name] = merged

    def _walk_loop(self, stmt: ast.For | ast.AsyncFor | ast.While, env: Env, top_level: bool) -> None:
        if isinstance(stmt, ast.While):
            self._scan_calls(stmt.test, env)
            label = _dotted(stmt.test)
        else:
            self._scan_calls(stmt.iter, env)
            label = _dotted(stmt.iter)
            self._assign(stmt.target, None, env, stmt, False)
        body_env = dict(env)
        self.loops.append(stmt.lineno)
        self._walk_block(stmt.body, body_env, top_level)
        self.loops.pop()
        # After the loop: zero iterations or (at least) one; building SQL in a loop is an optional part.
        self._merge_envs(env, body_env, dict(env), label if len(label) <= 40 else label[:37] + "...")
        self._walk_block(stmt.orelse, env, top_level)

    # --- lists ------------------------------------------------------------------------------------
    def _list_mutation(self, node: ast.expr, env: Env) -> None:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            return
        owner = node.func.value
        if not isinstance(owner, ast.Name) or owner.id not in env or not env[owner.id].is_list:
            return
        current = env[owner.id]
        if node.func.attr == "append" and node.args:
            env[owner.id] = cap_alternatives(current.append(self._or_hole(self._eval(node.args[0], env), node.args[0])), self.cap)
        elif node.func.attr == "extend" and node.args:
            other = self._eval(node.args[0], env)
            if other is not None and other.is_list:
                env[owner.id] = cap_alternatives(current.extend(other), self.cap)
            else:
                env.pop(owner.id)

    def _list_emptiness_test(self, test: ast.expr, env: Env) -> tuple[str, bool] | None:
        negate = False
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            test, negate = test.operand, True
        if isinstance(test, ast.Call) and _call_name(test.func) == "len" and len(test.args) == 1:
            test = test.args[0]
        if isinstance(test, ast.Name) and test.id in env and env[test.id].is_list:
            return test.id, not negate
        return None

    @staticmethod
    def _filter_list(value: Value, non_empty: bool) -> Value | None:
        """The list's alternatives that are (non-)empty; None when there are none (branch unreachable)."""
        alts = tuple(a for a in value.alts if bool(a.items) == non_empty)
        return Value(alts, value.parts, is_list=True, line=value.line, capped=value.capped) if alts else None

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
            or (isinstance(node, ast.Call) and _call_name(node.func) in ("int", "float", "len", "bool"))
            or spec[-1:] in tuple("dfeEgGxXbon%")
        )
        return Hole(_dotted(node), PlaceholderStyle.FSTRING_HOLE, safe=safe)

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
                    spec = _dotted(part.format_spec)[2:-1] if part.format_spec is not None else ""
                    inner = self._eval(part.value, env) if part.conversion == -1 else None
                    pieces.append(inner if inner is not None and not inner.is_list else self._hole(part.value, spec))
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
            return self._eval_attribute(node)
        if isinstance(node, ast.Call):
            return self._eval_call(node, env)
        return None

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
        return results[0] if len(results) == 1 else _union_values(results[0], results[1], self.cap)

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
        name = _call_name(func)
        if isinstance(func, ast.Attribute):
            receiver = self._eval(func.value, env)
            if receiver is not None and not receiver.is_list:
                if name == "format":
                    positional = [self._arg(a, env) for a in node.args if not isinstance(a, ast.Starred)]
                    named = {k.arg: self._arg(k.value, env) for k in node.keywords if k.arg}
                    return brace_format(receiver, positional, named)
                if name == "join" and node.args:
                    return self._eval_join(receiver, node.args[0], env)
                if name in _TRANSPARENT_CALLS:
                    return receiver
                return None
        if name in _TRANSPARENT_CALLS and node.args:
            return self._eval(node.args[0], env)
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

    def _local_function(self, func: ast.expr) -> _FunctionInfo | None:
        if isinstance(func, ast.Name):
            return self.functions.get(func.id)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
            if self.class_name:
                return self.functions.get(f"{self.class_name}.{func.attr}")
        return None

    def _function_result(self, info: _FunctionInfo) -> Value | None:
        """The union of what a local helper returns (evaluated without its arguments)."""
        if info.evaluating:
            return None
        saved_emitted = len(self.emitted)
        self._walk_function(info)
        del self.emitted[saved_emitted:]  # its own sinks are reported when it is walked in its turn
        values = [v for v, _node, _depth in info.returns]
        if not values:
            return None
        result = values[0]
        for other in values[1:]:
            result = _union_values(result, other, self.cap)
        return result

    # --- sinks ------------------------------------------------------------------------------------
    def _scan_calls(self, node: ast.expr, env: Env) -> None:
        """Find DB calls inside an expression (comprehensions count as loops)."""
        for call, depth_bonus, loop_line in _calls_in(node):
            if depth_bonus:
                self.loops.extend([loop_line] * depth_bonus)
            try:
                self._maybe_sink(call, env)
            finally:
                if depth_bonus:
                    del self.loops[-depth_bonus:]

    def _maybe_sink(self, call: ast.Call, env: Env) -> None:
        name = _call_name(call.func)
        if not name or name in _TRANSPARENT_CALLS or not (name in _SINK_NAMES or _SINK_PATTERN.search(name)):
            return  # text()/sql.SQL() only wrap SQL; it is reported where it runs or is returned
        sql_node = call.args[0] if call.args else next(
            (k.value for k in call.keywords if k.arg in _SQL_KEYWORD_ARGS), None
        )
        if sql_node is None or isinstance(sql_node, ast.Starred):
            return
        value = self._eval(sql_node, env)
        if value is None or value.is_list or not looks_like_sql(value, at_sink=True):
            return
        info = self._local_function(sql_node.func) if isinstance(sql_node, ast.Call) else None
        if info is not None:
            info.called_at_sink = True
        callee = _dotted(call.func)
        loop_line = self.loops[-1] if self.loops else None
        self._emit(value, call, callee, self.scope, len(self.loops), loop_line)

    def _emit(self, value: Value, node: ast.AST, call: str, scope: str, depth: int, loop_line: int | None) -> None:
        index = self.sequence.get(scope, 0)
        self.sequence[scope] = index + 1
        self.emitted.append(_Emitted(value, node, scope, depth, loop_line, call, index))


def _calls_in(node: ast.expr) -> Iterator[tuple[ast.Call, int, int]]:
    """Calls inside an expression, innermost last, with how many comprehensions enclose them."""
    stack: list[tuple[ast.AST, int, int]] = [(node, 0, 0)]
    while stack:
        current, depth, loop_line = stack.pop()
        if isinstance(current, (ast.Lambda,)):
            continue
        if isinstance(current, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            for generator in current.generators:
                stack.append((generator.iter, depth, loop_line))
            inner = depth + 1
            line = current.lineno
            elements = [current.key, current.value] if isinstance(current, ast.DictComp) else [current.elt]
            for element in elements:
                stack.append((element, inner, line))
            for generator in current.generators:
                for condition in generator.ifs:
                    stack.append((condition, inner, line))
            continue
        if isinstance(current, ast.Call):
            yield current, depth, loop_line
        for child in ast.iter_child_nodes(current):
            stack.append((child, depth, loop_line))


def _union_values(a: Value, b: Value, cap: int) -> Value:
    if a == b:
        return a
    parts = a.parts + tuple(p for p in b.parts if p not in a.parts)
    alts = tuple(dict.fromkeys(a.alts + b.alts))
    return cap_alternatives(Value(alts, parts, a.is_list, a.line or b.line, a.capped or b.capped), cap)


# --- the extractor entry point ---------------------------------------------------------------------


@dataclass(frozen=True)
class PythonExtraction:
    queries: list[Query]
    syntax_error: tuple[str, int, int] | None = None  # (message, line, column)


def extract_python(source: bytes, path: str, max_variants: int = 32) -> PythonExtraction:
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError) as error:  # ValueError: source contains NUL bytes
        line = getattr(error, "lineno", None) or 1
        column = getattr(error, "offset", None) or 1
        message = getattr(error, "msg", None) or str(error)
        return PythonExtraction([], (message, line, column))
    emitted = PythonExtractor(tree, path, max_variants).run()
    suppressions = _comment_suppressions(source) if b"sqllint:" in source else {}
    queries: list[Query] = []
    for item in emitted:
        queries.extend(_queries_for(item, path, suppressions))
    return PythonExtraction(queries)


def _queries_for(item: _Emitted, path: str, suppressions: dict[int, frozenset[str]]) -> Iterator[Query]:
    node = item.node
    line, column = getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1
    end_line = getattr(node, "end_lineno", line) or line
    suppressed = frozenset().union(*(suppressions.get(n, frozenset()) for n in range(line, end_line + 1)))
    suppressed |= suppressions.get(0, frozenset())  # whole-file
    value = item.value
    seen: set[str] = set()
    for alt in sorted(value.alts, key=lambda a: len(a.on)):  # "every optional part absent" first
        text, holes = _render(alt)
        if text in seen:
            continue
        seen.add(text)
        variant = Variant(value.parts, alt.on) if value.parts else None
        statements = split_statements(text) if ";" in text else None
        texts = [s.text for s in statements] if statements and len(statements) > 1 else [text]
        for statement_text in texts:
            normalised, placeholders = normalise(statement_text, holes)
            yield Query(
                path=path, line=line, column=column, end_line=end_line, language="python",
                raw=render_raw(statement_text, holes).strip(), text=normalised.strip(),
                placeholders=placeholders, scope=item.scope, loop_depth=item.loop_depth,
                loop_line=item.loop_line, variant=variant, call=item.call, sequence=item.sequence,
                suppressed=suppressed,
            )


def _render(alt: Alt) -> tuple[str, list[Hole]]:
    holes: list[Hole] = []
    out: list[str] = []
    for segment in alt.segments:
        if isinstance(segment, Hole):
            out.append(hole_marker(len(holes)))
            holes.append(segment)
        else:
            out.append(segment)
    return "".join(out), holes


def _comment_suppressions(source: bytes) -> dict[int, frozenset[str]]:
    """``# sqllint: ignore[S001]`` by line; line 0 holds whole-file ``ignore-file`` codes."""
    found: dict[int, frozenset[str]] = {}
    try:
        for token in tokenize.tokenize(io.BytesIO(source).readline):
            if token.type == tokenize.COMMENT and "sqllint:" in token.string:
                codes, whole_file = parse_suppressions(token.string)
                key = 0 if whole_file else token.start[0]
                found[key] = found.get(key, frozenset()) | codes
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError):
        pass
    return found
