"""Statement walking for Python extraction: follow string building to the DB call that runs it.

Each function is walked once in statement order with an environment of abstract string values
(``pyvalues``). ``if`` branches become optional parts, so ``sql += " AND name LIKE %s"`` under
``if kw:`` yields the variants "kw absent" and "kw present" (what each assignment or list mutation
does to the environment is ``pyassign``'s). A query is emitted where a SQL-looking
value reaches a DB call (``execute``, ``read_sql``, ``raw``, …), or the module's own function that runs it
(``run(sql, params)``: ``pyhelpers``; SQL a function builds from its parameters: ``pyspecial``), or is
returned from a function nobody in the file calls; SQL constants never used in their file are emitted
where they are defined.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping

from sqllint.extract.pyassign import Assigner
from sqllint.extract.pybound import assigned_in
from sqllint.extract.pyeval import (
    Env,
    FunctionInfo,
    any_entry,
    condition_label,
    dict_entries,
    dotted,
    target_key,
    union_values,
)
from sqllint.extract.pyhelpers import HelperSink
from sqllint.extract.pynamed import NamedQuery, receivers
from sqllint.extract.pyrunners import CarriedRun
from sqllint.extract.pysinks import Emitted, looks_like_sql
from sqllint.extract.pyvalues import Value, brace_format, branch, cap_alternatives

__all__ = ["Emitted", "PythonExtractor", "looks_like_sql"]


class PythonExtractor(Assigner):
    """Walks one module. Use ``extract_python`` instead of this class directly."""

    def __init__(self, tree: ast.Module, path: str, max_variants: int,
                 known_helpers: Mapping[str, HelperSink] | None = None,
                 named_sql: Mapping[str, tuple[NamedQuery, ...]] | None = None,
                 declarations: ast.Module | None = None,
                 runners: Mapping[str, tuple[str, tuple[CarriedRun, ...]]] | None = None) -> None:
        super().__init__(max_variants)
        self.tree = tree
        self.path = path
        self.emitted: list[Emitted] = []
        self.constant_sites: dict[str, tuple[Value, ast.AST, str]] = {}
        self.sequence: dict[str, int] = {}
        # state of the function being walked
        self.scope = "<module>"
        self.loops: list[int] = []
        # per enclosing loop, the names it assigns or mutates (None for a comprehension's)
        self.loop_names: list[frozenset[str] | None] = []
        # (line, column, arm) of the if/match/ternary/except arms being walked, outermost first
        self.branches: list[tuple[int, int, int]] = []
        self.transaction = 0  # commit/rollback calls passed so far in the function being walked
        self._current_function: FunctionInfo | None = None
        self.known_helpers: Mapping[str, HelperSink] = known_helpers or {}  # other modules' run(sql) by name
        self.named_sql: Mapping[str, tuple[NamedQuery, ...]] = named_sql or {}
        # other modules' functions this module imports, by callee text → (dotted name, what they run)
        self.runners: Mapping[str, tuple[str, tuple[CarriedRun, ...]]] = runners or {}
        # the module's imports (and assignments, for named queries), when the caller collected them
        self.declarations = declarations
        self.named_receivers: frozenset[str] = receivers(declarations or tree) if named_sql else frozenset()

    # --- driver ---------------------------------------------------------------------------------
    def run(self) -> list[Emitted]:
        class_constants: list[tuple[ast.ClassDef, ast.Assign]] = []
        self._index_functions(self.tree.body, prefix="", class_name=None, class_constants=class_constants)
        self._find_helpers(self.declarations or self.tree)
        self._init_specializer(self.tree)
        # Read once every function is indexed: X = " ".join(columns()) walks the function it calls.
        for cls, stmt in class_constants:
            value = self._eval(stmt.value, {})
            if value is not None:
                name = stmt.targets[0].id  # type: ignore[attr-defined]
                self.class_envs[cls.name][name] = value
                self.constant_sites[f"{cls.name}.{name}"] = (value, stmt, cls.name)
        self._walk_block(self.tree.body, self.module_env, top_level=True)
        for info in list(self.functions.values()):
            self._walk_function(info)
        for info in self.functions.values():
            if info.called_at_sink:
                continue
            for value, node, depth in info.returns:
                if not value.is_list and looks_like_sql(value, at_sink=False):
                    self._emit(_as_template(value), node, "return", info.qualname, depth, None)
        for name, (value, node, scope) in self.constant_sites.items():
            if name not in self.consumed_constants and looks_like_sql(value, at_sink=False):
                self._emit(_as_template(value), node, "constant", scope, 0, None)
        self._drop_seen_readings()
        return self.emitted

    def _index_functions(self, body: list[ast.stmt], prefix: str, class_name: str | None,
                         class_constants: list[tuple[ast.ClassDef, ast.Assign]]) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                qualname = f"{prefix}{node.name}"
                self.functions[qualname] = FunctionInfo(node, qualname)
                self._index_functions(node.body, f"{qualname}.<locals>.", class_name, class_constants)
            elif isinstance(node, ast.ClassDef):
                self.class_envs[node.name] = {}
                class_constants.extend((node, stmt) for stmt in node.body  # class-level QUERY = "SELECT ..."
                                       if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                                       and isinstance(stmt.targets[0], ast.Name))
                self._index_functions(node.body, f"{prefix}{node.name}.", node.name, class_constants)

    def _walk_function(self, info: FunctionInfo, bindings: Env | None = None,
                       constants: dict[str, object] | None = None) -> None:
        """Walk a function on its own, or with its parameters bound as one call passes them."""
        if info.evaluating:
            return
        info.evaluating = True
        saved = (self.scope, self.class_name, self.loops, self.loop_names, self.branches, self.transaction,
                 self.constants)
        self.constants = constants or {}
        self.scope = info.qualname
        parts = info.qualname.split(".")
        self.class_name = parts[-2] if len(parts) >= 2 and parts[-2] in self.class_envs else None
        self.loops, self.loop_names, self.branches, self.transaction = [], [], [], 0
        info.returns.clear()
        info.dict_returns.clear()
        self._current_function = info
        self._walk_block(info.node.body, {**self.parameter_defaults(info.node), **(bindings or {})}, top_level=False)
        self.scope, self.class_name, self.loops, self.loop_names, self.branches, self.transaction, \
            self.constants = saved
        info.evaluating = False

    # --- statements -----------------------------------------------------------------------------
    def _walk_block(self, body: list[ast.stmt], env: Env, top_level: bool = False) -> bool:
        """Walk statements; return True when the block always leaves (return/raise/continue/break)."""
        depth = len(self.branches)  # an early return inside puts the rest of the block on an arm
        try:
            for stmt in body:
                if self._walk_stmt(stmt, env, top_level):
                    return True
            return False
        finally:
            del self.branches[depth:]

    def _walk_arm(self, construct: ast.AST, arm: int, body: list[ast.stmt], env: Env,
                  top_level: bool) -> tuple[bool, list[tuple[int, int, int]]]:
        """Walk one arm; return whether it always leaves, and the arms that code after it runs on when it
        does not (``if a: return`` inside it: the rest of the arm, and beyond, runs only when not ``a``)."""
        depth = len(self.branches)
        self.branches.append((construct.lineno, construct.col_offset + 1, arm))
        try:
            for stmt in body:
                if self._walk_stmt(stmt, env, top_level):
                    return True, []
            return False, self.branches[depth + 1:]
        finally:
            del self.branches[depth:]

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
            key = target_key(stmt.target)  # sql += …, or conditions["orders"] += … on a tracked dict
            if isinstance(stmt.target, ast.Subscript) and isinstance(stmt.target.value, ast.Name):
                env.pop(any_entry(stmt.target.value.id), None)
            if key is not None and isinstance(stmt.op, ast.Add):
                current = self._lookup(key, env)
                addition = self._eval(stmt.value, env)
                if current is not None and current.is_list:
                    env[key] = current.extend(addition) if addition is not None and addition.is_list else current
                elif current is not None:
                    env[key] = cap_alternatives(current + self._or_hole(addition, stmt.value), self.cap)
            elif key is not None:
                env.pop(key, None)
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
            # One handler at most runs, and the else arm only when none did; the body may run with either.
            handlers = stmt.handlers  # type: ignore[attr-defined]
            for index, handler in enumerate(handlers):
                self._walk_arm(stmt, index, handler.body, dict(env), top_level)
            self._walk_arm(stmt, len(handlers), stmt.orelse, env, top_level)  # type: ignore[attr-defined]
            self._walk_block(stmt.finalbody, env, top_level)  # type: ignore[attr-defined]
            return leaves
        if isinstance(stmt, ast.Match):
            self._scan_calls(stmt.subject, env)
            for index, case in enumerate(stmt.cases):
                self._walk_arm(stmt, index, case.body, dict(env), top_level)
            return False
        if isinstance(stmt, ast.Return):
            if stmt.value is not None:
                self._scan_calls(stmt.value, env)
                value = self._eval(stmt.value, env)
                info = self._current_function
                if info is not None and self.scope == info.qualname:
                    if value is not None:
                        info.returns.append((value, stmt, len(self.loops)))
                    elif isinstance(stmt.value, ast.Name) and (entries := dict_entries(stmt.value.id, env)):
                        info.dict_returns.append(entries)
            return True
        if isinstance(stmt, (ast.Raise, ast.Continue, ast.Break)):
            return True
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.expr):
                self._scan_calls(child, env)
        return False

    def _walk_if(self, stmt: ast.If, env: Env, top_level: bool) -> bool:
        self._scan_calls(stmt.test, env)
        if (decided := self._decide(stmt.test)) is not None:  # `if where != '':` with where bound to ''
            return self._walk_block(stmt.body if decided else stmt.orelse, env, top_level)
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
        true_leaves, true_tail = self._walk_arm(stmt, 0, stmt.body, true_env, top_level)
        false_leaves, false_tail = self._walk_arm(stmt, 1, stmt.orelse, false_env, top_level)
        true_leaves, false_leaves = true_leaves or not true_reachable, false_leaves or not false_reachable
        if true_leaves and false_leaves:
            return True
        if true_leaves or false_leaves:
            # `if c: …; return`: the rest of the block runs only on the other arm (until the block ends),
            # and only where that arm went on (`elif d: return` inside it: only when not d either).
            self.branches.append((stmt.lineno, stmt.col_offset + 1, 1 if true_leaves else 0))
            self.branches.extend(false_tail if true_leaves else true_tail)
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
                merged = union_values(a, b, self.cap) if a is not None and b is not None else None
            else:
                merged = branch(a, b, label, self.cap) if a is not None and b is not None else None
            if merged is None:
                env.pop(name, None)
            else:
                env[name] = merged

    def _walk_loop(self, stmt: ast.For | ast.AsyncFor | ast.While, env: Env, top_level: bool) -> None:
        if isinstance(stmt, ast.While):
            self._scan_calls(stmt.test, env)
            label = dotted(stmt.test)
        else:
            self._scan_calls(stmt.iter, env)
            label = dotted(stmt.iter)
            self._assign(stmt.target, None, env, stmt, False)
            over = self._eval(stmt.iter, env)
            items = over.elements() if over is not None and over.is_list else None
            if isinstance(stmt.target, ast.Name) and items is not None:
                env[stmt.target.id] = items  # for statement in SCHEMA: each statement in turn
        body_env = dict(env)
        self.loops.append(stmt.lineno)
        self.loop_names.append(assigned_in(stmt))
        self._walk_block(stmt.body, body_env, top_level)
        self.loops.pop()
        self.loop_names.pop()
        # After the loop: zero iterations or (at least) one; building SQL in a loop is an optional part.
        self._merge_envs(env, body_env, dict(env), label if len(label) <= 40 else label[:37] + "...")
        self._walk_block(stmt.orelse, env, top_level)

    def _function_result(self, info: FunctionInfo) -> Value | None:
        """The union of what a local helper returns (evaluated without its arguments)."""
        if info.evaluating:
            return None
        if info.result is not None:
            return info.result[0]
        saved_emitted = len(self.emitted)
        self._walk_function(info)
        del self.emitted[saved_emitted:]  # its own sinks are reported when it is walked in its turn
        values = [v for v, _node, _depth in info.returns]
        result = None
        if values and len({v.is_list for v in values}) == 1:
            result = values[0]
            for other in values[1:]:
                result = union_values(result, other, self.cap)
        info.result = (result,)
        return result


_FORMAT_FIELD = re.compile(r"\{[A-Za-z_0-9.]*\}")


def _as_template(value: Value) -> Value:
    """SQL kept in a constant or returned with ``{name}`` fields is formatted elsewhere: fields are holes."""
    if any(_FORMAT_FIELD.search(text) for text in value.texts()):
        return brace_format(value, [], {})
    return value
