"""Expression evaluation for Go extraction: what string an expression holds.

``GoExpressions`` knows interpreted and raw string literals, locals, package and function constants
(and other files' package constants through the project index), ``+`` concatenation, ``fmt.Sprintf``,
``strings.TrimSpace``/``String()`` pass-throughs and sqlx ``Rebind``. Anything else spliced into SQL
text becomes a ``Hole`` (interpolation unless it is a number), or None when it is not a string.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from sqllint.extract.placeholders import Hole
from sqllint.extract.pyeval import ESCAPING_CALL
from sqllint.extract.pyvalues import Value, cap_alternatives
from sqllint.extract.tsutil import (ConditionGrammar, Label, field as child, flatten_binary, hole, line_of, named_children,
                                    printf, text_of)
from sqllint.extract.tsutil import condition_label as shared_condition_label
from sqllint.records import PlaceholderStyle

if TYPE_CHECKING:
    from tree_sitter import Node

BUILDER_TYPES = frozenset({"strings.Builder", "bytes.Buffer", "*strings.Builder", "*bytes.Buffer"})
NUMERIC_TYPES = frozenset("int int8 int16 int32 int64 uint uint8 uint16 uint32 uint64 float32 float64 bool".split())
PASS_THROUGH = frozenset({"TrimSpace", "String", "ToUpper", "ToLower"})
Env = dict[str, Value]


class GoExpressions:
    """Evaluation shared by the function walker; it supplies the fields below."""

    constants: dict[str, Node]
    constant_values: dict[str, Value | None]
    external: Mapping[str, Value]
    types: dict[str, str]
    cap: int
    packages: frozenset[str]

    def eval(self, node: Node | None, env: Env) -> Value | None:
        if node is None:
            return None
        kind = node.type
        if kind in ("interpreted_string_literal", "raw_string_literal"):
            return Value.text(go_string(node), line_of(node))
        if kind == "parenthesized_expression":
            inner = named_children(node)
            return self.eval(inner[0], env) if inner else None
        if kind == "identifier":
            name = text_of(node)
            if name in env:
                return env[name]
            return self.constant(name)
        if kind == "binary_expression":
            operator = child(node, "operator")
            if operator is None or operator.type != "+":
                return None
            operands = flatten_binary(node, "+")
            values = [self.eval(o, env) for o in operands]
            if all(v is None for v in values):
                return None
            total = Value.text("")
            for operand, value in zip(operands, values):
                total = total + (value if value is not None and not value.is_list
                                 else self._hole(operand, PlaceholderStyle.CONCAT_HOLE))
            return cap_alternatives(total, self.cap)
        if kind == "call_expression":
            return self._eval_call(node, env)
        if kind == "composite_literal":
            return self._eval_slice_literal(node, env)
        return None

    def _eval_slice_literal(self, node: Node, env: Env) -> Value | None:
        """``[]string{"a = ?", cond}``: a list of SQL fragments (a map or struct literal is not)."""
        type_node, body = child(node, "type"), child(node, "body")
        if type_node is None or body is None or not is_tracked_slice(text_of(type_node)):
            return None
        items = []
        for element in named_children(body):
            inner = named_children(element) if element.type in ("literal_element", "element") else [element]
            if len(inner) != 1 or element.type == "keyed_element":
                return None
            items.append(self.eval_or_hole(inner[0], env))
        return Value.list_of(items, line_of(node))

    def _eval_builtin(self, call: Node, name: str, args: list[Node], env: Env) -> Value | None:
        """``append(conds, "x = ?")`` and ``make([]string, 0, n)``: the slices conditions are gathered in."""
        if name == "make" and args and is_tracked_slice(text_of(args[0])):
            if len(args) >= 2 and text_of(args[1]) == "0":
                return Value.list_of([])
            # make([]string, len(ids)): n strings the loop after it fills (`marks[i] = "?"`); three
            # stand for "several", unknown until filled.
            return Value.list_of([self._hole(call, PlaceholderStyle.FSTRING_HOLE)] * 3) if len(args) == 2 else None
        if name != "append" or not args:
            return None
        current = self.eval(args[0], env)
        if current is None or not current.is_list:
            return None
        for arg in args[1:]:
            if arg.type == "variadic_argument":
                inner = named_children(arg)
                other = self.eval(inner[0], env) if inner else None
                if other is None or not other.is_list:
                    return None
                current = current.extend(other)
            else:
                current = current.append(self.eval_or_hole(arg, env))
        return cap_alternatives(current, self.cap)

    def _eval_call(self, node: Node, env: Env) -> Value | None:
        function, args = child(node, "function"), arguments_of(node)
        if function is not None and function.type == "identifier":
            return self._eval_builtin(node, text_of(function), args, env)
        if function is None or function.type != "selector_expression":
            return None
        operand, method = child(function, "operand"), text_of(child(function, "field") or function)
        owner = text_of(operand) if operand is not None else ""
        if owner == "strings" and method == "Repeat" and len(args) == 2:
            unit = self.eval(args[0], env)
            if unit is None or unit.is_list:
                return None
            count = int(text_of(args[1])) if args[1].type == "int_literal" else 3  # len(ids): "several"
            total = Value.text("")
            for _ in range(min(count, 3)):
                total = total + unit
            return total
        if owner == "strings" and method in _TRIMS and len(args) == 2:
            value, cut = self.eval(args[0], env), self.eval(args[1], env)
            if value is None or value.is_list or cut is None or len(cut.texts()) != 1:
                return None
            return _trimmed(value, method, cut.texts()[0])
        if owner == "strings" and method == "Join" and len(args) == 2:
            items, separator = self.eval(args[0], env), self.eval(args[1], env)
            if items is not None and items.is_list and separator is not None and not separator.is_list:
                return cap_alternatives(items.join(separator), self.cap)
            return None
        if owner == "fmt" and method == "Sprintf" and args:
            template = self.eval(args[0], env)
            return printf(template, [self._arg(a, env) for a in args[1:]]) if template is not None else None
        if method in PASS_THROUGH:
            target = args[0] if owner == "strings" and len(args) == 1 else operand if not args else None
            return self.eval(target, env) if target is not None else None
        if owner == "sqlx" and method == "Rebind" and len(args) == 2:
            return self.eval(args[1], env)
        if method == "Rebind" and len(args) == 1:
            return self.eval(args[0], env)
        return None

    def constant(self, name: str) -> Value | None:
        if name not in self.constants:
            return self.external.get(name)  # a constant of another file of the package (project index)
        if name not in self.constant_values:
            self.constant_values[name] = None  # defined through itself: unknown
            self.constant_values[name] = self.eval(self.constants[name], {})
        return self.constant_values[name]

    def _arg(self, node: Node, env: Env) -> Value | Hole:
        value = self.eval(node, env)
        if value is not None and not value.is_list:
            return value
        spliced = self._hole(node, PlaceholderStyle.FSTRING_HOLE).alts[0].segments[0]
        return spliced if isinstance(spliced, Hole) else Value.text(spliced)

    def eval_or_hole(self, node: Node, env: Env) -> Value:
        value = self.eval(node, env)
        return value if value is not None and not value.is_list else self._hole(node, PlaceholderStyle.CONCAT_HOLE)

    def _hole(self, node: Node, style: PlaceholderStyle) -> Value:
        if node.type in ("int_literal", "float_literal"):
            return Value.text(text_of(node))
        safe = False
        if node.type == "identifier":
            safe = self.types.get(text_of(node), "") in NUMERIC_TYPES
        elif node.type == "selector_expression":
            # fleet.AggregatedStatsTypeScheduledQuery: a name exported by an imported package (a constant
            # or package setting), not a request value; a local variable of that name hides the package
            operand = child(node, "operand")
            safe = operand is not None and operand.type == "identifier" and text_of(operand) in self.packages \
                and text_of(operand) not in self.types
        elif node.type == "call_expression":
            function = child(node, "function")
            name = text_of(function).rpartition(".")[2] if function is not None else ""
            safe = function is not None and (text_of(function) in ("strconv.Itoa", "strconv.FormatInt", "len")
                                             or bool(ESCAPING_CALL.search(name)))
        return hole(text_of(node), style, safe)


# --- helpers ----------------------------------------------------------------------------------------

_TRIMS = frozenset({"TrimSuffix", "TrimPrefix", "TrimRight", "TrimLeft"})


def _trimmed(value: Value, method: str, cut: str) -> Value:
    """strings.TrimSuffix(strings.Repeat("?,", n), ","): trim the literal ends of each alternative."""
    alts = []
    for alt in value.alts:
        segments = list(alt.segments)
        at_end = method in ("TrimSuffix", "TrimRight")
        index = -1 if at_end else 0
        if segments and isinstance(segments[index], str):
            text = segments[index]
            if method == "TrimSuffix" and text.endswith(cut):
                text = text[: len(text) - len(cut)]
            elif method == "TrimPrefix" and text.startswith(cut):
                text = text[len(cut):]
            elif method == "TrimRight":
                text = text.rstrip(cut)
            elif method == "TrimLeft":
                text = text.lstrip(cut)
            segments[index] = text
        alts.append(dataclasses.replace(alt, segments=tuple(s for s in segments if s != "")))
    return dataclasses.replace(value, alts=tuple(alts))

_GO_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v", "\\": "\\", '"': '"', "'": "'"}


def go_string(node: Node) -> str:
    if node.type == "raw_string_literal":
        return "".join(text_of(c) for c in node.children if c.type == "raw_string_literal_content").replace("\r", "")
    pieces = []
    for part in node.children:
        if part.type == "interpreted_string_literal_content":
            pieces.append(text_of(part))
        elif part.type == "escape_sequence":
            sequence = text_of(part)
            if sequence[1:2] in _GO_ESCAPES:
                pieces.append(_GO_ESCAPES[sequence[1]])
            elif sequence[1:2] in ("x", "u", "U"):
                try:
                    pieces.append(chr(int(sequence[2:], 16)))
                except ValueError:
                    pieces.append(sequence)
            else:
                try:
                    pieces.append(chr(int(sequence[1:], 8)))
                except ValueError:
                    pieces.append(sequence)
    return "".join(pieces)


# Slices followed like lists: SQL pieces gathered for strings.Join, and the arguments gathered beside
# them for db.Query(q, args...) (their values are bound to the statement's ? in order).
_TRACKED_SLICES = frozenset({"[]string", "[]interface{}", "[]any"})


def is_tracked_slice(type_text: str) -> bool:
    return "".join(type_text.split()) in _TRACKED_SLICES


def is_sqlx_in(node: Node) -> bool:
    function = child(node, "function") if node.type == "call_expression" else None
    return function is not None and text_of(function) in ("sqlx.In", "sqlx.Named") and bool(arguments_of(node))


def statements_of(node: Node) -> list[Node]:
    out = []
    for part in named_children(node):
        if part.type == "statement_list":
            out.extend(named_children(part))
        else:
            out.append(part)
    return out


def arguments_of(call: Node) -> list[Node]:
    arguments = child(call, "arguments")
    return named_children(arguments) if arguments is not None else []


def _go_call(node: Node, label: Callable[[Node], Label]) -> Label | None:
    """``len(conds) > 0``, ``strings.TrimSpace(kw) != ""``: the argument is what is tested."""
    if node.type != "call_expression":
        return None
    args = arguments_of(node)
    function = child(node, "function")
    if len(args) == 1 and function is not None and (text_of(function) == "len" or text_of(function).startswith("strings.")):
        return label(args[0])
    return None


def condition_label(node: Node) -> Label:
    """A short name for an ``if`` condition and whether its true branch means "present"."""
    return shared_condition_label(node, _GO_CONDITIONS)


def _is_empty(node: Node) -> bool:
    return node.type == "nil" or (node.type == "int_literal" and text_of(node) == "0") or (
        node.type in ("interpreted_string_literal", "raw_string_literal") and go_string(node) == "")


_GO_CONDITIONS = ConditionGrammar(wrappers=frozenset({"parenthesized_expression"}), member="selector_expression",
                                  is_empty=_is_empty, call=_go_call)
