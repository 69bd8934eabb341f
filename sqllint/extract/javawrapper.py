"""MyBatis-Plus query wrappers: the SQL a ``QueryWrapper`` / ``LambdaQueryWrapper`` chain sends.

``userMapper.selectList(new LambdaQueryWrapper<User>().eq(User::getStatus, s).like(kw != null,
User::getName, kw))`` runs ``SELECT <the entity's columns> FROM user WHERE status = ? AND name LIKE ?``
(``%kw%`` bound), and without ``kw`` the same query with one condition less. A condition-first overload
(``like(cond, …)``) and a wrapper call under ``if (…)`` are optional parts, exactly like MyBatis
``<if>``: the walker's variants and labels ("when kw is absent") apply unchanged.

How: while a method is walked, a wrapper is a *list value* (``pyvalues.Value``) whose first item is a
header and whose other items are clauses (a predicate with its bound values, ``or()``, a nested group,
ORDER BY, …). Being an ordinary value, the walker merges it across ``if`` arms, early returns and loops
as it merges SQL strings. At the mapper call (``selectList``, ``selectPage``, ``delete``, ``update(null,
w)``) or IService call (``list(w)``, ``lambdaQuery()…one()``) the clauses are rendered per variant on
the entity's table (``javamp.Entity``: ``@TableName``, ``@TableField`` columns, ``@TableLogic``).

Text MP splices verbatim is spliced here too: a string column, ``last(…)``, ``apply(…)``, ``inSql(…)``
or ``setSql(…)`` known only at run time is a hole in the SQL (S003, or E004 for a whole clause), and a
lambda column ``User::getCreateTime`` becomes ``create_time`` (or its ``@TableField`` name) when
rendered. Methods not modelled (``allEq``, ``exists``, ``func``, an entity given to the constructor …),
a wrapper handed to another method (which may add conditions) or changed inside a lambda stop the
model: the call gets no query and an E004 note, never SQL missing a condition.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from sqllint.extract.javaexpr import Env, arguments_of, condition_label, simple_type
from sqllint.extract.placeholders import Hole
from sqllint.extract.pyvalues import Alt, Segment, Value, branch, cap_alternatives
from sqllint.extract.tsutil import field as child, named_children, short_label, text_of
from sqllint.records import PlaceholderStyle

if TYPE_CHECKING:
    from tree_sitter import Node

HEADER = "\x01mybatis-plus"
# Ends the call name of every wrapper query; S011 knows it (the entity's every column is MP's default).
MP_CALL = " (MyBatis-Plus)"
SEP = "\x02"  # precedes each bound value inside a clause item
COLUMN = re.compile("\x03([^\x03\x04]*)\x04([^\x03]*)\x03")  # a lambda column, resolved when rendered
WRAPPER_TYPES = {"QueryWrapper": "query", "LambdaQueryWrapper": "query", "UpdateWrapper": "update",
                 "LambdaUpdateWrapper": "update", "MPJLambdaWrapper": "stop", "MPJQueryWrapper": "stop"}
FACTORIES = {"query": "query", "lambdaQuery": "query", "update": "update", "lambdaUpdate": "update",
             "emptyWrapper": "query"}
CHAIN_ROOTS = {"query": "query", "lambdaQuery": "query", "update": "update", "lambdaUpdate": "update"}
_COMPARE = {"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
_LIKE = {"like": ("LIKE", "%", "%"), "notLike": ("NOT LIKE", "%", "%"), "likeLeft": ("LIKE", "%", ""),
         "likeRight": ("LIKE", "", "%"), "notLikeLeft": ("NOT LIKE", "%", ""), "notLikeRight": ("NOT LIKE", "", "%")}
_FIXED = {**{m: 2 for m in (*_COMPARE, *_LIKE)}, "between": 3, "notBetween": 3, "isNull": 1, "isNotNull": 1,
          "set": 2, "inSql": 2, "notInSql": 2, "last": 1, "setSql": 1}
_VARARGS = frozenset({"in", "notIn", "orderByAsc", "orderByDesc", "groupBy", "apply", "having"})
_GROUPS = {"and": "AND", "or": "OR", "nested": "AND"}
# Wrapper methods that leave the SQL as it is; and those known to change it in ways not modelled.
_NEUTRAL = frozenset({"lambda", "clone", "getWrapper", "checkSqlInjection"})
_UNMODELLED = frozenset({"allEq", "exists", "notExists", "not", "func", "first", "comment", "setEntity",
                         "setEntityClass", "orderBy_", "eqSql", "gtSql", "geSql", "ltSql", "leSql", "selectAll",
                         "selectAs", "leftJoin", "rightJoin", "innerJoin", "clear", "setSqlSelect", "alias"})
WRAPPER_METHODS = frozenset({*_FIXED, *_VARARGS, *_GROUPS, *_NEUTRAL, *_UNMODELLED, "select", "orderBy"})


class Walker(Protocol):
    cap: int
    types: dict[str, str]

    def eval(self, node: Node | None, env: Env) -> Value | None: ...

    def eval_or_hole(self, node: Node, env: Env) -> Value: ...

    def _receiver_type(self, receiver: Node) -> str | None: ...


def is_wrapper(value: Value | None) -> bool:
    return value is not None and value.is_list and bool(value.alts) and all(
        a.items and a.items[0][:1] == (HEADER,) for a in value.alts)


def start(kind: str, entity: str) -> Value:
    return Value((Alt(items=((HEADER, kind, entity),)),), is_list=True)


def _add(state: Value, *segments: Segment) -> Value:
    return state.append(Value((Alt(tuple(segments)),)))


def _stop(state: Value, why: str) -> Value:
    return _add(state, "X", why)


# --- evaluation (during the walk) -------------------------------------------------------------------

def wrapper_value(w: Walker, node: Node, env: Env) -> Value | None:
    """The wrapper an expression builds, or None when it builds none."""
    if node.type == "object_creation_expression":
        type_node = child(node, "type")
        kind = WRAPPER_TYPES.get(simple_type(type_node))
        if kind is None:
            return None
        args = arguments_of(node)
        entity = _type_argument(type_node)
        if len(args) == 1 and args[0].type == "class_literal":  # new LambdaQueryWrapper<>(User.class)
            entity, args = simple_type(named_children(args[0])[0]), []
        state = start(kind, entity)
        if kind == "stop" or args:  # new QueryWrapper<>(entity): its non-null fields are conditions
            return _stop(state, f"`{short_label(text_of(node))}` (an entity's fields as conditions) is not modelled")
        return state
    if node.type != "method_invocation":
        return None
    method = text_of(child(node, "name") or node)
    if method not in WRAPPER_METHODS and method not in FACTORIES:
        return None  # the common case, decided before looking at the receiver
    receiver, args = child(node, "object"), arguments_of(node)
    if receiver is not None and receiver.type == "identifier" and text_of(receiver) == "Wrappers" \
            and method in FACTORIES:
        entity = _type_argument(child(node, "type_arguments"))
        if not entity and args and args[0].type == "class_literal":
            entity = simple_type(named_children(args[0])[0])
        return start(FACTORIES[method], entity) if not args or args[0].type == "class_literal" else \
            _stop(start(FACTORIES[method], entity), f"`Wrappers.{method}(entity)` is not modelled")
    if method in CHAIN_ROOTS and not args and service_receiver(w, receiver):
        return start(CHAIN_ROOTS[method], "")  # userService.lambdaQuery(): a chain ended by list()/one()/…
    if method not in WRAPPER_METHODS or receiver is None:
        return None
    state = w.eval(receiver, env)
    if not is_wrapper(state):
        return None
    assert state is not None
    return cap_alternatives(_apply(w, state, method, args, env), w.cap)


def service_receiver(w: Walker, receiver: Node | None) -> bool:
    """``this`` / no receiver (inside a ServiceImpl), or a field / local typed as some ``…Service``."""
    if receiver is None or receiver.type in ("this", "super"):
        return True
    declared = w._receiver_type(receiver) if receiver.type in ("identifier", "field_access") else None
    return bool(declared) and bool(re.search(r"Service(?:Impl)?$", declared or ""))


def _type_argument(node: Node | None) -> str:
    """``LambdaQueryWrapper<User>`` / ``<User>`` → ``User``; "" for a diamond or none."""
    if node is None:
        return ""
    arguments = node if node.type == "type_arguments" else next(
        (c for c in named_children(node) if c.type == "type_arguments"), None)
    found = named_children(arguments) if arguments is not None else []
    return simple_type(found[0]) if len(found) == 1 else ""


def _apply(w: Walker, state: Value, method: str, args: list[Node], env: Env) -> Value:
    if method in _NEUTRAL:
        return state
    if method in _UNMODELLED:
        return _stop(state, f"`{method}(…)` is not modelled")
    if method == "orderBy":  # orderBy(condition, isAsc, columns…)
        if len(args) < 3:
            return _stop(state, "`orderBy(…)` with no column is not modelled")
        if args[1].type in ("true", "false"):
            direction = "ASC" if args[1].type == "true" else "DESC"
            return _optional(w, state, args[0], lambda s: _order(w, s, direction, args[2:], env))
        return _optional(w, state, args[0], lambda s: _optional(  # isAsc known at run time: either order
            w, s, args[1], lambda t: _order(w, t, "ASC", args[2:], env), lambda t: _order(w, t, "DESC", args[2:], env)))
    fixed = _FIXED.get(method)
    has_condition = (len(args) == fixed + 1) if fixed is not None else (
        len(args) >= 2 and _is_condition(w, args[0]))
    if method in _GROUPS:
        has_condition = len(args) == 2
    if method == "or" and not args:
        return _add(state, "O")
    if method == "select":
        return _select(w, state, args, env)
    if fixed is not None and len(args) not in (fixed, fixed + 1):
        return _stop(state, f"`{method}(…)` with {len(args)} arguments is not modelled")
    if has_condition:
        return _optional(w, state, args[0], lambda s: _clause(w, s, method, args[1:], env))
    return _clause(w, state, method, args, env)


def _optional(w: Walker, state: Value, condition: Node, apply: Callable[[Value], Value],
              otherwise: Callable[[Value], Value] = lambda s: s) -> Value:
    """``like(kw != null, …)``: the clause is an optional part named after what the condition tests."""
    if condition.type == "true":
        return apply(state)
    if condition.type == "false":
        return otherwise(state)
    label, positive = condition_label(condition)
    holds, fails = apply(_narrow(state, label, positive)), otherwise(_narrow(state, label, not positive))
    present, absent = (holds, fails) if positive else (fails, holds)
    return branch(present, absent, label, w.cap) or state


def _narrow(state: Value, label: str, present: bool) -> Value:
    """The alternatives of ``state`` that agree with ``label`` being present (or absent)."""
    kept = tuple(a for a in state.alts if (label in a.on) == present)
    return dataclasses.replace(state, alts=kept) if label in state.parts and kept else state


def _clause(w: Walker, state: Value, method: str, args: list[Node], env: Env) -> Value:
    if method in _GROUPS:
        lam = args[-1] if args else None
        inner = _nested(w, lam, env) if lam is not None and lam.type == "lambda_expression" else None
        if inner is None:
            return _stop(state, f"`{method}(…)` is modelled only with a lambda returning the nested wrapper")
        stripped = Value(tuple(Alt(on=a.on, items=(a.items or ())[1:]) for a in inner.alts), inner.parts, is_list=True)
        return _add(_add(state, "(", _GROUPS[method]).extend(stripped), ")")
    if method in ("orderByAsc", "orderByDesc"):
        return _order(w, state, "ASC" if method == "orderByAsc" else "DESC", args, env)
    if method in ("last", "setSql"):  # text spliced into the SQL as MP does: a hole when not a literal
        return _add(state, "L" if method == "last" else "T", *_text(w, args[0], env)) if args else state
    columns = [_column(w, a, env) for a in args[:1]]
    column = columns[0] if columns else None
    if column is None:
        return _stop(state, f"`{method}(…)` on a column not known here is not modelled")
    values = args[1:]
    if method in _COMPARE and len(values) == 1:
        return _add(state, "W", *column, f" {_COMPARE[method]} ?", *_bound(w, values[0], env))
    if method in _LIKE and len(values) == 1:
        operator, before, after = _LIKE[method]
        value = _single(w.eval_or_hole(values[0], env), values[0])
        return _add(state, "W", *column, f" {operator} ?", SEP, *((before,) if before else ()), *value,
                    *((after,) if after else ()))
    if method in ("isNull", "isNotNull") and not values:
        return _add(state, "W", *column, " IS NULL" if method == "isNull" else " IS NOT NULL")
    if method in ("between", "notBetween") and len(values) == 2:
        word = " BETWEEN" if method == "between" else " NOT BETWEEN"
        return _add(state, "W", *column, f"{word} ? AND ?", *_bound(w, values[0], env), *_bound(w, values[1], env))
    if method in ("in", "notIn") and values:
        if len(values) == 1 and values[0].type == "method_invocation" and text_of(child(values[0], "name") or values[0]) \
                in ("of", "asList") and arguments_of(values[0]):
            values = arguments_of(values[0])  # in(col, List.of(1, 2)): its elements
        spread = len(values) == 1 and not _is_literal(values[0])  # a collection: one ? per element
        slots = 3 if spread else len(values)
        bound = [s for v in (values * 3 if spread else values) for s in _bound(w, v, env)]
        word = " IN" if method == "in" else " NOT IN"
        return _add(state, "W", *column, f"{word} ({', '.join('?' * slots)})", *bound)
    if method in ("inSql", "notInSql") and len(values) == 1:
        word = "IN" if method == "inSql" else "NOT IN"
        return _add(state, "W", *column, f" {word} (", *_text(w, values[0], env), ")")
    if method == "groupBy":
        more = [_column(w, a, env) for a in args[1:]]
        if any(m is None for m in more):
            return _stop(state, "`groupBy(…)` on a column not known here is not modelled")
        for found in (column, *more):
            state = _add(state, "G", *found)  # type: ignore[misc]
        return state
    if method == "set" and len(values) == 1:
        return _add(state, "T", *column, " = ?", *_bound(w, values[0], env))
    if method in ("apply", "having"):
        return _template(w, state, method, args, env)
    return _stop(state, f"`{method}(…)` in this form is not modelled")


def _template(w: Walker, state: Value, method: str, args: list[Node], env: Env) -> Value:
    """``apply("date_format(create_time, '%Y') = {0}", year)``: ``{i}`` are bound values."""
    text = _literal(w, args[0], env)
    if text is None:
        return _add(state, "W" if method == "apply" else "H", *_text(w, args[0], env)) if len(args) == 1 else \
            _stop(state, f"`{method}(…)` of a template not known here is not modelled")
    bound: list[Segment] = []
    for match in re.finditer(r"\{(\d+)\}", text):
        index = int(match.group(1)) + 1
        if index >= len(args):
            return _stop(state, f"`{method}(…)` with a missing value is not modelled")
        bound.extend(_bound(w, args[index], env))
    return _add(state, "W" if method == "apply" else "H", re.sub(r"\{\d+\}", "?", text), *bound)


def _order(w: Walker, state: Value, direction: str, args: list[Node], env: Env) -> Value:
    for arg in args:
        column = _column(w, arg, env)
        if column is None:
            return _stop(state, "an ORDER BY column not known here is not modelled")
        state = _add(state, "B", *column, f" {direction}")
    return state


def _select(w: Walker, state: Value, args: list[Node], env: Env) -> Value:
    columns = [_column(w, a, env) for a in args]
    if not columns or any(c is None for c in columns):
        return _stop(state, "`select(…)` of columns not known here is not modelled")
    segments: list[Segment] = []
    for index, column in enumerate(columns):
        segments.extend(((", ",) if index else ()) + tuple(column or ()))
    return _add(state, "S", *segments)


def _nested(w: Walker, lam: Node, env: Env) -> Value | None:
    """``w -> w.eq(…).or().eq(…)``: the nested wrapper the lambda's expression body builds."""
    parameters, body = child(lam, "parameters"), child(lam, "body")
    names = [text_of(parameters)] if parameters is not None and parameters.type == "identifier" else \
        [text_of(p) for p in named_children(parameters or lam) if p.type == "identifier"]
    if body is None or len(names) != 1 or body.type == "block":
        return None
    inner = dict(env)
    inner[names[0]] = start("nested", "")
    found = w.eval(body, inner)
    return found if is_wrapper(found) else None


def _column(w: Walker, node: Node, env: Env) -> tuple[Segment, ...] | None:
    """A lambda column (``User::getCreateTime``), a known string (``"create_time"``) or, spliced as MP
    does, a string only known at run time (a hole: interpolation)."""
    if node.type == "method_reference":
        parts = [c for c in named_children(node) if c.type in ("identifier", "type_identifier")]
        if len(parts) != 2:
            return None
        getter = text_of(parts[1])
        prefix = 3 if getter.startswith("get") else 2 if getter.startswith("is") else 0
        name = getter[prefix:] if prefix and len(getter) > prefix else getter
        return (f"\x03{text_of(parts[0]).rsplit('.', 1)[-1]}\x04{name[:1].lower() + name[1:]}\x03",)
    value = w.eval(node, env)
    if value is not None and len(value.alts) == 1 and not value.is_list:
        return tuple(s for s in value.alts[0].segments)
    if value is not None:
        return None  # one of several texts (flag ? "a" : "b"): not spliced blindly, not guessed either
    if node.type not in ("identifier", "field_access", "method_invocation", "ternary_expression", "binary_expression"):
        return None  # select(User.class, predicate), a lambda, null …: not a column
    return (Hole(short_label(text_of(node)), PlaceholderStyle.CONCAT_HOLE),)


def _text(w: Walker, node: Node, env: Env) -> tuple[Segment, ...]:
    """SQL text a wrapper splices verbatim (``last(…)``, ``inSql``): its segments, holes where unknown."""
    value = w.eval(node, env)
    if value is not None and not value.is_list and len(value.alts) == 1 and value.alts[0].segments:
        return value.alts[0].segments
    return (Hole(short_label(text_of(node)), PlaceholderStyle.CONCAT_HOLE),)


def _literal(w: Walker, node: Node, env: Env) -> str | None:
    value = w.eval(node, env)
    if value is None or value.is_list or len(value.alts) != 1 or any(not isinstance(s, str) for s in value.alts[0].segments):
        return None
    return "".join(value.alts[0].segments)  # type: ignore[arg-type]


def _bound(w: Walker, node: Node, env: Env) -> tuple[Segment, ...]:
    return (SEP, *_single(w.eval_or_hole(node, env), node))


def _single(value: Value, node: Node) -> tuple[Segment, ...]:
    """A bound value's segments; one opaque hole when it may hold several texts."""
    if len(value.alts) == 1 and not value.is_list and value.alts[0].segments:
        return value.alts[0].segments
    return (Hole(short_label(text_of(node)), PlaceholderStyle.CONCAT_HOLE),)


def _is_literal(node: Node) -> bool:
    return node.type.endswith("literal") or node.type in ("true", "false")


def _is_condition(w: Walker, node: Node) -> bool:
    """Whether a leading argument is a boolean: a comparison, ``!x``, a presence test, a boolean local."""
    if node.type in ("true", "false", "instanceof_expression"):
        return True
    if node.type == "binary_expression":
        operator = child(node, "operator")
        return operator is not None and operator.type in ("==", "!=", "<", ">", "<=", ">=", "&&", "||")
    if node.type == "unary_expression":
        return text_of(node).startswith("!")
    if node.type == "parenthesized_expression":
        inner = named_children(node)
        return bool(inner) and _is_condition(w, inner[0])
    if node.type == "method_invocation":
        name = text_of(child(node, "name") or node)
        return bool(re.match(r"(?:is|has|non|not|contains|equals|exists|can|should|any|all)(?:[A-Z]|$)", name))
    if node.type == "identifier":
        return w.types.get(text_of(node)) in ("boolean", "Boolean")
    return False


# --- rendering (at the call) ------------------------------------------------------------------------

def escaped(node: Node, env: Env) -> None:
    """A wrapper passed to a method that is not a mapper or service call (``filters.apply(qw, q)``) may
    gain conditions there: later calls running it are not modelled rather than modelled without them."""
    for arg in arguments_of(node):
        if arg.type == "identifier" and is_wrapper(env.get(text_of(arg))):
            name = text_of(arg)
            env[name] = _stop(env[name], f"`{name}` is handed to `{short_label(text_of(child(node, 'name') or node))}(…)`, "
                                     "which may add conditions")


def changed_in_lambda(body: Node, env: Env) -> None:
    """A wrapper of the enclosing method changed inside a lambda (``ids.forEach(id -> qw.eq(…))``): how
    often is not known, so what it runs is not modelled."""
    stack = [body]
    while stack:
        node = stack.pop()
        if node.type == "method_invocation" and text_of(child(node, "name") or node) in WRAPPER_METHODS:
            root: Node | None = node
            while root is not None and root.type == "method_invocation":
                root = child(root, "object")
            name = text_of(root) if root is not None and root.type == "identifier" else ""
            if name and is_wrapper(env.get(name)):
                env[name] = _stop(env[name], f"`{name}` is changed inside a lambda, which is not modelled")
                continue
        stack.extend(node.named_children)
