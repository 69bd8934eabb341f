"""SQL a module's function builds from its parameters, checked at each call with the caller's arguments.

``def _servant_query(cursor, where='', orderby='name', limit=0)`` appending ``" WHERE %s" % where`` or
``def count(table, where="1=1"): run(f"SELECT COUNT(*) FROM {table} WHERE {where}")`` cannot be read on
its own: the text depends on what each caller passes. At a call of such a function, its body is walked
again with the parameters bound to the caller's arguments (their text, or a hole named after the
caller's expression) and the defaults it leaves; ``if`` tests on a parameter bound to a constant
(``if where != '':``, ``if limit > 0:``) take the one arm they take at that call. What it runs is
reported at the call, where the SQL is written. When every use of a private or nested function is
such a call, its own reading (holes for its parameters, E004 when they break the statement) is dropped.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from sqllint.extract.pyeval import Env, FunctionInfo, dotted
from sqllint.extract.pyhelpers import named_like_sink, own_calls, reassigned_names
from sqllint.extract.pyreceivers import ReceiverTypes
from sqllint.extract.pyrunners import CarriedRun, carried_loops
from sqllint.extract.pysinks import Emitted, SinkScanner
from sqllint.extract.pyvalues import Value

_MAX_DEPTH = 2  # a call inside a function walked for its caller is specialised once more, no deeper
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
    ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
}
_UNKNOWN = object()


class _Text:
    """A parameter bound to text that is never empty (``where="deity = %d" % deity_id``): whatever its
    value, ``if where:`` and ``where != ''`` hold."""

    def __bool__(self) -> bool:
        return True


_TEXT = _Text()


class Specializer(SinkScanner):
    """Walks a local function again at each call whose arguments shape the SQL it runs."""

    path: str
    functions: dict[str, FunctionInfo]
    constants: dict[str, object]  # parameters bound to a caller's constant, in the walk under way
    runners: Mapping[str, tuple[str, tuple[CarriedRun, ...]]]  # other modules' functions, by callee text
    _current_function: FunctionInfo | None  # the function being walked (the walker sets it)

    def _init_specializer(self, module: ast.Module) -> None:
        self.constants = {}
        self._module = module
        self._depth = 0
        self._decisions = 0  # `if` tests decided so far by constants
        # Read on first need (a module calling none of its functions pays nothing): functions running SQL
        # → their parameters (None: runs none), those it never reassigns, and every use of each name.
        self._runners: dict[str, frozenset[str] | None] = {}
        self._stable: dict[str, frozenset[str]] = {}
        self._plain: dict[str, dict[tuple[int, int], frozenset[str] | None]] = {}
        self._plain_found: dict[str, list[Emitted]] = {}  # what that walk emitted in the function
        self._reading: set[str] = set()  # functions whose own reading is under way (_emits)
        self._specialized: dict[str, set[tuple[int, int]]] = {}
        self._receiver_types: ReceiverTypes | None = None

    def _runner(self, info: FunctionInfo) -> frozenset[str] | None:
        """The parameter names of a function that runs SQL (a DB call or a helper in its body, or a call of
        a function that runs some: of this module, or of another one it imports)."""
        if info.qualname not in self._runners:
            self._runners[info.qualname] = None  # while deciding: a recursive call runs nothing new
            parts = info.qualname.split(".")
            owner = parts[-2] if len(parts) >= 2 and parts[-2] in self.class_envs else None
            runs = any(named_like_sink(c.func.attr if isinstance(c.func, ast.Attribute) else getattr(c.func, "id", ""))
                       or self.helpers.resolve(c, owner) is not None or self._runs_sql(c, info, owner)
                       for c in own_calls(info.node))
            arguments = info.node.args
            names = frozenset(a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs])
            self._runners[info.qualname] = names if runs else None
            self._stable[info.qualname] = names - reassigned_names(info.node) if runs else frozenset()
        return self._runners[info.qualname]

    def _runs_sql(self, call: ast.Call, within: FunctionInfo, owner: str | None) -> bool:
        """A call in ``within`` of another module's function that runs SQL, or of one of this module's
        (through a typed receiver too)."""
        typed = self._receivers().method(call.func, within.node, owner)
        if self.runners and ((dotted(call.func) or "") in self.runners or (typed or "") in self.runners):
            return True
        local = self._local_function(call.func) or (self.functions.get(typed) if typed is not None else None)
        # A local function counts when its own reading runs some SQL: one named like a DB call that runs
        # none (sqlglot's _parse_select) would make nearly every function of such a module a "runner",
        # walked again at every call.
        return local is not None and self._runner(local) is not None and self._emits(local)

    def _emits(self, info: FunctionInfo) -> bool:
        """Whether the function's own reading runs SQL (a function whose reading is under way: no)."""
        if info.qualname in self._plain:
            return bool(self._plain_found[info.qualname])
        if info.qualname in self._reading or info.evaluating:
            return False
        self._reading.add(info.qualname)
        try:
            self._plain_sites(info)
        finally:
            self._reading.discard(info.qualname)
        return bool(self._plain_found[info.qualname])

    def _receivers(self) -> ReceiverTypes:
        """The module's receiver classes, read when a call first needs them."""
        if self._receiver_types is None:
            self._receiver_types = ReceiverTypes(self._module)
        return self._receiver_types

    def _walk_function(self, info: FunctionInfo, bindings: Env | None = None,
                       constants: dict[str, object] | None = None) -> None:
        raise NotImplementedError

    # --- at a call ------------------------------------------------------------------------------
    def _maybe_specialize(self, call: ast.Call, env: Env) -> None:
        info = self._local_function(call.func)
        if info is None:
            # A method called on a receiver whose class the code names (``repo: UserRepo``): this module's
            # class is walked as ``self.method()`` is; an imported one's runs are carried.
            current = self._current_function.node if self._current_function is not None else None
            typed = self._receivers().method(call.func, current, self.class_name)
            info = self.functions.get(typed) if typed is not None else None
            if info is None:
                self._carry_imported(call, typed)
                return
        if info.evaluating or self._depth >= _MAX_DEPTH or self._runner(info) is None \
                or self.helpers.signature(info.qualname) is not None:  # run(sql): a sink at the call already
            return
        bound = self._bind(info, call, env)
        if bound is None:
            return
        bindings, constants, known = bound
        plain = self._plain_sites(info)
        if not known and not _constant_defaults(info) and all(texts is None for texts in plain.values()):
            # Nothing the call passes (or leaves to a default) can shape the function's SQL: what runs is
            # its own reading, without walking it again at every call.
            for item in self._plain_found[info.qualname]:
                self._carry(item, info, call)
            return
        decided = self._decisions
        saved = len(self.emitted)
        returns, dict_returns = list(info.returns), list(info.dict_returns)
        self._depth += 1
        try:
            self._walk_function(info, bindings, constants)
        finally:
            self._depth -= 1
            info.returns[:], info.dict_returns[:] = returns, dict_returns
        found = self.emitted[saved:]
        del self.emitted[saved:]
        # Kept: what runs only with the caller's SQL (nothing ran there on its own), or SQL whose text the
        # caller's arguments change (a caller passing an unknown value changes nothing: no copy at the call).
        informed = known or decided != self._decisions  # the call passes text, or an `if` was decided
        kept = {id(e) for e in found if e.scope == info.qualname and (_position(e.node) not in plain or (
                informed and plain[_position(e.node)] is not None and _texts(e.value) != plain[_position(e.node)]))}
        if kept:
            self._specialized.setdefault(info.qualname, set()).add((call.lineno, call.col_offset))
        for item in found:
            if item.scope != info.qualname:
                continue
            if id(item) in kept:
                self._emit_at_call(item, call)
            else:
                self._carry(item, info, call)

    def _carry(self, item: Emitted, info: FunctionInfo, call: ast.Call) -> None:
        """The same SQL from every call: statement rules judge it where it is written. The call carries it for
        the caller's scope rules (run once per iteration of the caller's loop, a read the caller repeats),
        as a call of a mapper method carries the mapper's."""
        loops = self._carried_loops(item.loop_depth, item.value)
        if loops is not None:
            self._emit_at_call(replace(item, resolved_from=item.resolved_from or info.qualname,
                                       loop_depth=loops[0], loop_line=loops[1]), call, carried=True)

    def _carry_imported(self, call: ast.Call, typed: str | None = None) -> None:
        """A call of another module's function (``pyrunners``): what it runs, at the call, for the scope
        rules. ``typed``: the ``Class.method`` the call's receiver names (``repo.get`` → ``UserRepo.get``)."""
        callee = dotted(call.func)
        found = self.runners.get(typed or callee or "") if self.runners else None
        if found is None:
            return
        qualified, runs = found
        for run in runs:
            value = run.value()
            loops = self._carried_loops(run.loop_depth, value)
            if loops is None:
                continue
            self._emit(value, call, callee or "", self.scope, loops[0], loops[1],
                       resolved_from=run.resolved_from or qualified, origin=run.written)

    def _carried_loops(self, inner: int, value: Value) -> tuple[int, int | None] | None:
        """``pyrunners.carried_loops`` at this call."""
        return carried_loops(len(self.loops), self.loops[-1] if self.loops else None, inner, value)

    def _emit_at_call(self, item: Emitted, call: ast.Call, carried: bool = False) -> None:
        """The function's statement as run from this call: the call's place, scope, loops and arms; where it
        is written in the function tells it from the function's other statements (``Query.origin``).
        ``carried``: its loops are already the call's (``_carried_loops``)."""
        index = self.sequence.get(self.scope, 0)
        self.sequence[self.scope] = index + 1
        written = (self.path, getattr(item.node, "lineno", 0), getattr(item.node, "col_offset", 0) + 1)
        loop_depth, loop_line = (item.loop_depth, item.loop_line) if carried else (
            len(self.loops) + item.loop_depth, self.loops[-1] if self.loops else item.loop_line)
        self.emitted.append(replace(
            item, node=call, scope=self.scope, loop_depth=loop_depth, loop_line=loop_line, call=dotted(call.func),
            sequence=index, branch=tuple(self.branches) + item.branch, transaction=self.transaction + item.transaction,
            origin=(written, *item.origin)))

    def _bind(self, info: FunctionInfo, call: ast.Call, env: Env) -> tuple[Env, dict[str, object], bool] | None:
        """The function's parameters as this call passes them, and whether it passes any text or constant
        (None when the call spreads ``*args``)."""
        if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
            return None
        arguments = info.node.args
        positional = [*arguments.posonlyargs, *arguments.args]
        if isinstance(call.func, ast.Attribute) and positional and positional[0].arg in ("self", "cls"):
            positional = positional[1:]
        if len(call.args) > len(positional):
            return None
        passed: dict[str, ast.expr] = {p.arg: a for p, a in zip(positional, call.args)}
        passed.update({k.arg: k.value for k in call.keywords if k.arg})
        defaults = dict(zip([p.arg for p in positional][len(positional) - len(arguments.defaults):], arguments.defaults))
        defaults.update({a.arg: d for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults) if d is not None})
        bindings: Env = {}
        constants: dict[str, object] = {}
        stable = self._stable[info.qualname]
        known = False
        for name in [p.arg for p in positional] + [a.arg for a in arguments.kwonlyargs]:
            node = passed.get(name)
            if node is not None:
                value = self._eval(node, env)
                bindings[name] = value if value is not None else Value.hole(self._hole(node))
                known = known or value is not None or isinstance(node, ast.Constant)
            elif name in defaults:
                node = defaults[name]
                value = self._eval(node, {})
                if value is not None:
                    bindings[name] = value
            if node is not None and isinstance(node, ast.Constant) and name in stable:
                constants[name] = node.value
            elif name in stable and (bound := bindings.get(name)) is not None and not bound.is_list \
                    and all(any(isinstance(p, str) and p for p in alt.segments) for alt in bound.alts):
                constants[name] = _TEXT
        return bindings, constants, known

    def _plain_sites(self, info: FunctionInfo) -> dict[tuple[int, int], frozenset[str] | None]:
        """Where the function runs SQL when walked on its own, with its texts when that SQL holds a
        parameter (None when it does not depend on the arguments: it stays reported in the function)."""
        if info.qualname not in self._plain:
            saved = len(self.emitted)
            returns, dict_returns = list(info.returns), list(info.dict_returns)
            self._walk_function(info)
            info.returns[:], info.dict_returns[:] = returns, dict_returns
            found = self.emitted[saved:]
            del self.emitted[saved:]
            names = self._runners[info.qualname] or frozenset()
            plain: dict[tuple[int, int], frozenset[str] | None] = {}
            for item in found:
                if item.scope == info.qualname:
                    position = _position(item.node)
                    texts = _texts(item.value) if _holds_parameter(item.value, names) else None
                    plain[position] = None if texts is None or plain.get(position, texts) is None \
                        else texts | plain.get(position, texts)  # type: ignore[operator]
            self._plain[info.qualname] = plain
            self._plain_found[info.qualname] = [item for item in found if item.scope == info.qualname]
        return self._plain[info.qualname]

    # --- `if` on a parameter bound to a constant ----------------------------------------------------
    def _decide(self, test: ast.expr) -> bool | None:
        """True/False when the test only reads constants (parameters bound to one at this call)."""
        if not self.constants:
            return None
        result = self._constant(test)
        if result is _UNKNOWN:
            return None
        try:
            decided = bool(result)
        except Exception:  # noqa: BLE001 - a value whose truth cannot be taken decides nothing
            return None
        self._decisions += 1
        return decided

    def _constant(self, node: ast.expr) -> object:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self.constants.get(node.id, _UNKNOWN)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            inner = self._constant(node.operand)
            return _UNKNOWN if inner is _UNKNOWN else not inner
        if isinstance(node, ast.BoolOp):
            values = [self._constant(v) for v in node.values]
            if any(v is _UNKNOWN for v in values):
                return _UNKNOWN
            return all(values) if isinstance(node.op, ast.And) else any(values)
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
            left, right = self._constant(node.left), self._constant(node.comparators[0])
            if left is _UNKNOWN or right is _UNKNOWN:
                return _UNKNOWN
            if _TEXT in (left, right):  # only against '' or None: it is neither
                other = right if left is _TEXT else left
                if other in ("", None) and type(node.ops[0]) in (ast.Eq, ast.NotEq, ast.Is, ast.IsNot):
                    return type(node.ops[0]) in (ast.NotEq, ast.IsNot)
                return _UNKNOWN
            try:
                return _COMPARE[type(node.ops[0])](left, right)
            except TypeError:
                return _UNKNOWN
        return _UNKNOWN

    # --- after the module is walked ----------------------------------------------------------------
    def _drop_seen_readings(self) -> None:
        """A private or nested function whose every use was walked for its caller: its own reading
        (with holes for its parameters) is not a statement anything runs."""
        references = _references(self._module) if self._specialized else {}
        for qualname, calls in self._specialized.items():
            name = qualname.rsplit(".", 1)[-1]
            if not (name.startswith("_") or "<locals>" in qualname) or name.startswith("__"):
                continue
            if not references.get(name, set()) <= calls:
                continue
            names = self._runners[qualname] or frozenset()
            self.emitted = [e for e in self.emitted
                            if not (e.scope == qualname and _holds_parameter(e.value, names))]


def _constant_defaults(info: FunctionInfo) -> bool:
    """Whether a parameter defaults to a constant (an ``if`` on it is decided at a call that omits it)."""
    arguments = info.node.args
    return any(isinstance(d, ast.Constant) for d in [*arguments.defaults, *arguments.kw_defaults] if d is not None)


def _position(node: ast.AST) -> tuple[int, int]:
    return getattr(node, "lineno", 0), getattr(node, "col_offset", 0)


def _texts(value: Value) -> frozenset[str]:
    """The statement's alternatives with their holes marked (an unknown argument stays an unknown)."""
    return frozenset("".join(s if isinstance(s, str) else "\0" for s in alt.segments) for alt in value.alts)


def _holds_parameter(value: Value, names: frozenset[str]) -> bool:
    return any(not isinstance(s, str) and s.source.split(".", 1)[0].split("[", 1)[0] in names
               for alt in value.alts for s in alt.segments)


def _references(module: ast.Module) -> dict[str, set[tuple[int, int]]]:
    """Every use of each name (``_query``, ``self._query``) in the module, by position: the call's
    position when it is called, its own when it is passed on (then it is not only called here)."""
    found: dict[str, set[tuple[int, int]]] = {}
    called: set[int] = set()
    for node in ast.walk(module):
        if isinstance(node, ast.Call):
            called.add(id(node.func))
            name = node.func.id if isinstance(node.func, ast.Name) else \
                node.func.attr if isinstance(node.func, ast.Attribute) else None
            if name is not None:
                found.setdefault(name, set()).add((node.lineno, node.col_offset))
    for node in ast.walk(module):
        if id(node) in called:
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            found.setdefault(node.id, set()).add((-node.lineno, node.col_offset))
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            found.setdefault(node.attr, set()).add((-node.lineno, node.col_offset))
    return found
