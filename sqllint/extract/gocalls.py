"""The DB calls of a Go function body: where SQL reaches ``database/sql``, sqlx or GORM, a project's own DB
helper, a function of the same file, or one of another file or package (``GoCalls``, mixed into
``gowalk.GoWalker``), and what each becomes (``GoEmission``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqllint.extract.bound import CallArguments
from sqllint.extract.goexpr import Env, arguments_of
from sqllint.extract.pyrunners import CarriedRun
from sqllint.extract.pyvalues import Value, cap_alternatives
from sqllint.extract.pywalk import looks_like_sql
from sqllint.extract.tsutil import field as child, named_children, text_of

if TYPE_CHECKING:
    from tree_sitter import Node

# A project's own DB helpers (QueryRows, execSQL, selectOne): a SQL argument makes them a DB call.
WRAPPER_NAME = re.compile(r"sql|query|exec|select", re.IGNORECASE)
SQL_CALLS = frozenset(
    "Query QueryRow Exec Prepare QueryContext QueryRowContext ExecContext PrepareContext "
    "Select Get NamedExec NamedQuery MustExec Queryx QueryRowx Preparex PrepareNamed SelectContext GetContext "
    "NamedExecContext NamedQueryContext MustExecContext QueryxContext QueryRowxContext PreparexContext "
    "PrepareNamedContext Raw".split()
)


@dataclass
class GoEmission:
    node: Node
    scope: str
    loop_depth: int
    loop_line: int | None
    call: str
    value: Value | None = None  # the SQL, for a DB call
    helper: str | None = None  # the scope of a function of the same file called here
    branch: tuple[tuple[int, int, int], ...] = ()  # the if/switch/select arms it sits on (Query.branch)
    arguments: CallArguments | None = None  # the values passed after the SQL (bound to its ? slots)
    # A function of another file of the project called here: its qualified name and what it runs (pyrunners)
    carried: tuple[str, tuple[CarriedRun, ...]] | None = None


class GoCalls:
    """What a call in the walked body runs; the walker keeps the state read here."""

    scope: str
    cap: int
    emissions: list[GoEmission]
    helpers: Mapping[str, str]
    runners: Mapping[str, tuple[str, tuple[CarriedRun, ...]]]
    loops: list[int]
    prepared: dict[str, GoEmission]

    def eval(self, node: Node, env: Env) -> Value | None:
        raise NotImplementedError

    def eval_or_hole(self, node: Node, env: Env) -> Value:
        raise NotImplementedError

    def _call(self, node: Node, env: Env) -> None:
        function = child(node, "function")
        if function is None:
            return
        loop_line = self.loops[-1] if self.loops else None
        if function.type in ("identifier", "selector_expression") and text_of(function) in self.helpers:
            found = self._sql_position(node, env)
            if found is not None:  # a helper of the file given the SQL: r.exec(ctx, "UPDATE …")
                self.emissions.append(GoEmission(node, self.scope, len(self.loops), loop_line, text_of(function),
                                                 found[1], arguments=self._arguments(node, found[0], env)))
            else:
                self.emissions.append(GoEmission(node, self.scope, len(self.loops), loop_line, text_of(function),
                                                 helper=self.helpers[text_of(function)]))
            return
        name = text_of(child(function, "field") or function) if function.type == "selector_expression" \
            else text_of(function) if function.type == "identifier" else ""
        callee = text_of(function) if function.type in ("identifier", "selector_expression") else ""
        if callee in self.runners:  # another file's function: what it runs, carried to this call
            self.emissions.append(GoEmission(node, self.scope, len(self.loops), loop_line, callee,
                                             carried=self.runners[callee]))
            return
        if name not in SQL_CALLS:
            found = self._sql_position(node, env) if WRAPPER_NAME.search(name) else None
            if found is not None:  # a project's own DB helper: store.QueryRows(ctx, db, "SELECT …")
                self.emissions.append(GoEmission(node, self.scope, len(self.loops), loop_line, text_of(function),
                                                 found[1], arguments=self._arguments(node, found[0], env)))
            return
        if function.type != "selector_expression":
            return
        operand = child(function, "operand")
        prepared = self.prepared.get(text_of(operand)) if operand is not None else None
        if prepared is not None:  # stmt.Exec(args…): runs what was prepared, once per iteration in a loop
            if len(self.loops) > prepared.loop_depth:
                prepared.loop_depth, prepared.loop_line = len(self.loops), self.loops[-1]
            return
        found = self._sql_position(node, env)
        if found is not None:
            self.emissions.append(GoEmission(node, self.scope, len(self.loops), loop_line, text_of(function),
                                             found[1], arguments=self._arguments(node, found[0], env)))

    def _sql_position(self, node: Node, env: Env) -> tuple[int, Value] | None:
        """The index and value of the first argument that holds SQL among the first five: ctx, sqlx's
        destination, and in a project's own wrapper a transaction and a metric label
        (``a.QueryRowContext(ctx, tx, "count", q)``)."""
        for index, arg in enumerate(arguments_of(node)[:5]):
            value = self.eval(arg, env)
            if value is not None and looks_like_sql(value, at_sink=True):
                return index, value
        return None

    def _arguments(self, node: Node, sql_index: int, env: Env) -> CallArguments | None:
        """The values after the SQL (``db.Query(q, "%"+kw+"%", id)``, ``args...``), bound to its ``?`` in order."""
        rest = arguments_of(node)[sql_index + 1:]
        if not rest:
            return None
        values = Value.list_of([])
        for arg in rest:
            if arg.type == "variadic_argument":  # args...: the slice built with append
                inner = named_children(arg)
                spread = self.eval(inner[0], env) if inner else None
                if spread is None or not spread.is_list:
                    return None
                values = values.extend(spread)
            else:
                values = values.append(self.eval_or_hole(arg, env))
        return CallArguments(positional=cap_alternatives(values, self.cap))
