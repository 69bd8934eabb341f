"""Where Python SQL runs: DB calls found in expressions, and what reaches them.

``SinkScanner`` is the part of the walker (``pywalk``) that looks at calls: a call named like a DB call
(``execute``, ``read_sql``, ``raw``, a project's ``run_query`` …) given SQL-looking text emits the
statement with where it runs (scope, loops, branch arms, transaction) and the parameters it binds;
``conn.commit()`` and ``cur.execute("COMMIT")`` count transaction boundaries.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from sqllint.extract.bound import CallArguments
from sqllint.extract.pybound import evaluate_arguments, params_node
from sqllint.extract.pynamed import NamedQuery, named_call
from sqllint.extract.pyhelpers import SQL_KEYWORD_ARGS, HelperFinder, HelperSink, imported_names, named_like_sink
from sqllint.extract.pyeval import (
    Env,
    ExpressionEvaluator,
    call_name,
    dict_entries,
    dotted,
)
from sqllint.extract.pyvalues import Value

# At a DB call, a verb with its companion keyword: "with spaces" passed to a tkinter select_set() is not SQL.
# Tools put hint comments between the keywords (`drop /* gh-ost */ table`): _GAP is blanks or comments.
_GAP = r"(?:\s|/\*.*?\*/)+"
_SQL_KEYWORDS_AT_SINK = re.compile(
    r"\s*(?:--[^\n]*\n|/\*.*?\*/|\(|\s)*(?:SELECT\b(?=.*\bFROM\b|\s+[\d'\"@*(`-]|\s+\w+\s*\()|INSERT\b.*\b(?:INTO|VALUES|SET)\b|UPDATE\b.*\bSET\b|"
    r"DELETE\b.*\bFROM\b|REPLACE\b.*\b(?:INTO|VALUES)\b|WITH\b.*\bAS\s*\(|"
    rf"(?:CREATE|ALTER|DROP|TRUNCATE){_GAP}(?:(?:TEMPORARY|UNIQUE|OR{_GAP}REPLACE){_GAP})?(?:TABLE|INDEX|VIEW|DATABASE|SCHEMA|"
    rf"PROCEDURE|FUNCTION|TRIGGER|EVENT|USER)\b|RENAME{_GAP}TABLE\b|(?:GRANT|REVOKE){_GAP}\w|CALL\s+\w|SHOW{_GAP}\w|"
    rf"SET{_GAP}(?:@|NAMES\b|SESSION\b|GLOBAL\b|\w+\s*=)|(?:LOCK|UNLOCK){_GAP}TABLES?\b)",
    re.IGNORECASE | re.DOTALL,
)
# Away from a DB call a string must look more surely like SQL: a verb and its companion keyword.
_SQL_CONSTANT = re.compile(
    r"\s*(?:--[^\n]*\n|/\*.*?\*/|\(|\s)*(?:SELECT\b.*\bFROM\b|INSERT\b.*\bINTO\s+[\w`\"{%].*\S|UPDATE\b.*\bSET\b|"
    r"DELETE\b.*\bFROM\b|REPLACE\b.*\bINTO\b|WITH\b.*\bSELECT\b)",
    re.IGNORECASE | re.DOTALL,
)


def looks_like_sql(value: Value, at_sink: bool) -> bool:
    pattern = _SQL_KEYWORDS_AT_SINK if at_sink else _SQL_CONSTANT
    return any(pattern.match(text) for text in value.texts())


@dataclass
class Emitted:
    value: Value
    node: ast.AST
    scope: str
    loop_depth: int
    loop_line: int | None
    call: str
    sequence: int
    branch: tuple[tuple[int, int, int], ...] = ()  # see Query.branch
    transaction: int = 0  # commit/rollback calls passed before it in its scope
    arguments: CallArguments | None = None  # the parameters the call binds to the statement's slots
    origin: tuple[tuple[str, int, int], ...] = ()  # see Query.origin (set at a call of a function walked for it)
    resolved_from: str | None = None  # a named query of a .sql file (aiosql, PugSQL): "path:name"


class SinkScanner(ExpressionEvaluator):
    """Finds the DB calls of the function being walked; the walker keeps the state it reads."""

    emitted: list[Emitted]
    sequence: dict[str, int]
    scope: str
    loops: list[int]
    loop_names: list[frozenset[str] | None]
    branches: list[tuple[int, int, int]]
    transaction: int
    helpers: HelperFinder  # the module's run(sql, params) functions, set by _find_helpers
    known_helpers: Mapping[str, HelperSink]
    named_sql: Mapping[str, tuple[NamedQuery, ...]]  # the project's named .sql queries (aiosql, PugSQL)
    named_receivers: frozenset[str]  # names this module may call them on (pynamed.receivers)

    # --- sinks ------------------------------------------------------------------------------------
    def _scan_calls(self, node: ast.expr, env: Env) -> None:
        """Find DB calls inside an expression (comprehensions count as loops)."""
        for call, depth_bonus, loop_line, arms in _calls_in(node):
            if _may_change_self(call):  # self.add_filters() may rewrite self.sql: forget what self holds
                for key in [k for k in env if k.startswith("self.")]:
                    del env[key]
            if isinstance(call.func, ast.Attribute) and call.func.attr in _TRANSACTION_ENDS and not call.args:
                self.transaction += 1  # conn.commit(), session.rollback()
            if depth_bonus:
                self.loops.extend([loop_line] * depth_bonus)
                self.loop_names.extend([None] * depth_bonus)
            self.branches.extend(arms)
            try:
                before = len(self.emitted)
                self._maybe_sink(call, env)
                if len(self.emitted) == before:
                    self._maybe_specialize(call, env)
            finally:
                if depth_bonus:
                    del self.loops[-depth_bonus:]
                    del self.loop_names[-depth_bonus:]
                if arms:
                    del self.branches[-len(arms):]

    def _maybe_sink(self, call: ast.Call, env: Env) -> None:
        if self.named_sql and (named := named_call(call, self.named_sql, self.named_receivers)):
            loop_line = self.loops[-1] if self.loops else None
            for query in named:  # checked in its .sql file; here the scope rules read the call
                self._emit(Value.text(query.raw, query.line), call, dotted(call.func), self.scope, len(self.loops),
                           loop_line, resolved_from=query.reference)
            return
        name = call_name(call.func)
        helper = self._helper(call)  # the project's own run(sql, params): where it takes the SQL
        if helper is not None and self._sink_at(call, name, helper.sql_node(call), helper, env):
            return
        if named_like_sink(name):  # (also a conn.query("SELECT …") the project's query(db, sql) is not)
            self._sink_at(call, name, call.args[0] if call.args else next(
                (k.value for k in call.keywords if k.arg in SQL_KEYWORD_ARGS), None), None, env)
        # text()/sql.SQL() only wrap SQL; it is reported where it runs or is returned

    def _sink_at(self, call: ast.Call, name: str, sql_node: ast.expr | None, helper: HelperSink | None,
                 env: Env) -> bool:
        """Emit the statement ``sql_node`` holds if it looks like SQL; whether it did (or was a COMMIT)."""
        if sql_node is None:
            return False
        if isinstance(sql_node, ast.Starred):  # execute(*query_with_args), query_with_args = (sql, params)
            spread = self._eval(sql_node.value, env)
            value = spread.first_items() if spread is not None and spread.is_list else None
        else:
            value = self._eval(sql_node, env)
        if value is not None and any(_TRANSACTION_SQL.match(text) for text in value.texts()):
            self.transaction += 1  # cur.execute("COMMIT")
            return True
        if value is None or value.is_list or not looks_like_sql(value, at_sink=True):
            return False
        info = self._local_function(sql_node.func) if isinstance(sql_node, ast.Call) else None
        if info is not None:
            info.called_at_sink = True
        callee = dotted(call.func)
        loop_line = self.loops[-1] if self.loops else None
        self._emit(value, call, callee, self.scope, len(self.loops), loop_line, self._arguments(call, name, env, helper))
        return True

    def _find_helpers(self, module: ast.Module) -> None:
        """Which of the module's functions run a parameter as SQL (``pyhelpers``); call once indexed."""
        self.helpers = HelperFinder({q: i.node for q, i in self.functions.items()}, frozenset(self.class_envs),
                                    self.known_helpers, imported_names(module) if self.known_helpers else frozenset())

    def _helper(self, call: ast.Call) -> HelperSink | None:
        """The project helper this call runs SQL through (its own ``run(sql, params)``), if it is one."""
        return self.helpers.resolve(call, self.class_name)

    def _arguments(self, call: ast.Call, name: str, env: Env, helper: HelperSink | None = None) -> CallArguments | None:
        node = helper.params_node(call) if helper is not None else params_node(call, name)
        if node is None:
            return None

        def tracked(dict_name: str) -> dict[str, Value]:  # params["kw"] = …: entries by constant key
            return {k: v for k, v in dict_entries(dict_name, env).items() if not v.is_list}

        loop_names = self.loop_names[-1] if self.loop_names else None
        return evaluate_arguments(node, lambda n: self._eval(n, env), tracked, loop_names)

    def _emit(self, value: Value, node: ast.AST, call: str, scope: str, depth: int, loop_line: int | None,
              arguments: CallArguments | None = None, resolved_from: str | None = None,
              origin: tuple[tuple[str, int, int], ...] = ()) -> None:
        index = self.sequence.get(scope, 0)
        self.sequence[scope] = index + 1
        branch = tuple(self.branches) if scope == self.scope else ()
        self.emitted.append(Emitted(value, node, scope, depth, loop_line, call, index, branch, self.transaction,
                                    arguments, origin, resolved_from))


def _may_change_self(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
        return True
    return any(isinstance(a, ast.Name) and a.id == "self" for a in [*call.args, *(k.value for k in call.keywords)])


_TRANSACTION_ENDS = frozenset({"commit", "rollback"})
_TRANSACTION_SQL = re.compile(r"\s*(?:COMMIT|ROLLBACK|BEGIN|START\s+TRANSACTION)\b(?!\s+TO\b)", re.IGNORECASE)
Arms = tuple[tuple[int, int, int], ...]


def _calls_in(node: ast.expr) -> Iterator[tuple[ast.Call, int, int, Arms]]:
    """Calls inside an expression, innermost last, with how many comprehensions enclose them and the
    ternary arms they sit on."""
    stack: list[tuple[ast.AST, int, int, Arms]] = [(node, 0, 0, ())]
    while stack:
        current, depth, loop_line, arms = stack.pop()
        if isinstance(current, (ast.Lambda,)):
            continue
        if isinstance(current, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            for generator in current.generators:
                stack.append((generator.iter, depth, loop_line, arms))
            inner = depth + 1
            line = current.lineno
            elements = [current.key, current.value] if isinstance(current, ast.DictComp) else [current.elt]
            for element in elements:
                stack.append((element, inner, line, arms))
            for generator in current.generators:
                for condition in generator.ifs:
                    stack.append((condition, inner, line, arms))
            continue
        if isinstance(current, ast.IfExp):  # `a() if c else b()`: one arm runs
            where = (current.lineno, current.col_offset + 1)
            stack.append((current.orelse, depth, loop_line, (*arms, (*where, 1))))
            stack.append((current.body, depth, loop_line, (*arms, (*where, 0))))
            stack.append((current.test, depth, loop_line, arms))
            continue
        if isinstance(current, ast.Call):
            yield current, depth, loop_line, arms
        for child in ast.iter_child_nodes(current):
            stack.append((child, depth, loop_line, arms))
