"""Expression evaluation for Java extraction: what string an expression holds.

``JavaExpressions`` knows string literals and text blocks, locals, ``static final`` constants (of any
class of the file, or of other files through the project index), ``+`` concatenation, ``String.format``
/ ``formatted``, ``concat``, ``String.join``, switch expressions, ``StringBuilder`` construction,
``"?"``-list builders and helper methods of the class. Anything else spliced into SQL text becomes a
``Hole`` (reported as interpolation unless it is a number), or None when it is not a string at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field as data_field
from typing import TYPE_CHECKING

from sqllint.extract.placeholders import Hole
from sqllint.extract.pyeval import union_values
from sqllint.extract.pyvalues import Value, brace_format, branch, cap_alternatives
from sqllint.extract.tsutil import (ConditionGrammar, Label, field as child, flatten_binary, hole, line_of, named_children,
                                    printf, text_of)
from sqllint.extract.tsutil import condition_label as shared_condition_label
from sqllint.records import PlaceholderStyle

if TYPE_CHECKING:
    from tree_sitter import Node

BUILDER_TYPES = frozenset({"StringBuilder", "StringBuffer", "StringJoiner"})
NUMERIC_TYPES = frozenset("int long short byte double float boolean char Integer Long Short Byte Double Float "
                          "Boolean BigDecimal BigInteger".split())
PASS_THROUGH = frozenset({"toString", "trim", "strip", "stripIndent", "intern", "toUpperCase", "toLowerCase"})
PRESENT_CALLS = frozenset({"isNotBlank", "isNotEmpty", "hasText", "hasLength", "nonNull", "notEmpty", "isPresent"})
ABSENT_CALLS = frozenset({"isBlank", "isEmpty", "isNull"})
QMARK_LIST = "?, ?, ?"  # what a "?"-list builder yields; the fingerprint collapses IN-list lengths
Env = dict[str, Value]


@dataclass
class ClassContext:
    """What a method body can see besides its locals: its class's fields and the file's constants."""

    name: str  # qualified within the file: Outer.Inner
    field_types: dict[str, str]
    lookup_constant: Callable[[str, str], Value | None]  # (class name, identifier or Class.NAME)
    resolve_mapper: Callable[[str], str | None]  # simple type name → mapper namespace
    methods: frozenset[str] = frozenset()  # the class's own method names (helpers called without a receiver)
    method_result: Callable[[str], Value | None] = lambda _name: None  # what a helper of the class returns
    # (declared type, method, (field name, its @Qualifier) for a field receiver) → "package.Class.method"
    # of another class's method that runs SQL
    resolve_callee: Callable[[str, str, tuple[str, str | None] | None], str | None] = lambda _t, _m, _b: None
    field_qualifiers: dict[str, str] = data_field(default_factory=dict)



class JavaExpressions:
    """Evaluation shared by the method walker; it supplies ``context``, ``cap`` and ``types``."""

    context: ClassContext
    cap: int
    types: dict[str, str]

    def eval(self, node: Node | None, env: Env) -> Value | None:
        """The string value of an expression, or None when it is not a string the walker follows."""
        if node is None:
            return None
        kind = node.type
        if kind == "string_literal":
            return Value.text(java_string(node), line_of(node))
        if kind == "parenthesized_expression":
            inner = named_children(node)
            return self.eval(inner[0], env) if inner else None
        if kind == "identifier":
            name = text_of(node)
            if name in env:
                return env[name]
            return self.context.lookup_constant(self.context.name, name)
        if kind == "field_access":
            owner, name_node = child(node, "object"), child(node, "field")
            if owner is None or name_node is None:
                return None
            if owner.type == "this":
                return env.get(text_of(name_node)) or self.context.lookup_constant(self.context.name, text_of(name_node))
            return self.context.lookup_constant(self.context.name, f"{text_of(owner)}.{text_of(name_node)}")
        if kind == "binary_expression":
            operator = child(node, "operator")
            if operator is None or operator.type != "+":
                return None
            operands = flatten_binary(node, "+")
            values = [self.eval(o, env) for o in operands]
            if not any(v is not None for v in values[:2]):
                return None  # arithmetic until a string joins in: not a string expression we follow
            total = Value.text("")
            for operand, value in zip(operands, values):
                total = total + (value if value is not None else self._hole(operand))
            return cap_alternatives(total, self.cap)
        if kind == "ternary_expression":
            condition = child(node, "condition")
            when_true, when_false = self.eval(child(node, "consequence"), env), self.eval(child(node, "alternative"), env)
            if when_true is None or when_false is None or condition is None:
                return None
            label, positive = condition_label(condition)
            present, absent = (when_true, when_false) if positive else (when_false, when_true)
            return branch(present, absent, label, self.cap)
        if kind == "object_creation_expression":
            type_name = simple_type(child(node, "type"))
            if type_name in BUILDER_TYPES:
                args = arguments_of(node)
                if args and args[0].type not in ("decimal_integer_literal",) and type_name != "StringJoiner":
                    return self.eval_or_hole(args[0], env)
                return Value.text("")
            return None
        if kind == "method_invocation":
            return self._eval_call(node, env)
        if kind == "switch_expression":
            return self._eval_switch(node, env)
        return None

    def _eval_switch(self, node: Node, env: Env) -> Value | None:
        """``switch (sort) { case "name" -> "u.name"; default -> "u.id"; }``: any of its arms' strings."""
        body = child(node, "body")
        result: Value | None = None
        for rule in named_children(body) if body is not None else []:
            if rule.type != "switch_rule":
                return None  # old-style groups with yield: not followed
            arm = [c for c in named_children(rule) if c.type != "switch_label"]
            if not arm or arm[0].type == "throw_statement":
                continue
            inner = named_children(arm[0]) if arm[0].type == "expression_statement" else []
            value = self.eval(inner[0], env) if inner else None
            if value is None:
                return None
            result = value if result is None else union_values(result, value, self.cap)
        return result

    def _eval_call(self, node: Node, env: Env) -> Value | None:
        method = text_of(child(node, "name") or node)
        receiver = child(node, "object")
        args = arguments_of(node)
        if (receiver is None or receiver.type == "this") and method in self.context.methods:
            return self.context.method_result(method)  # SQL built by a helper of the class
        if method in PASS_THROUGH and receiver is not None and not args:
            return self.eval(receiver, env)
        if method == "format" and receiver is not None and text_of(receiver) == "String" and args:
            template = self.eval(args[0], env)
            return printf(template, [self._arg(a, env) for a in args[1:]]) if template is not None else None
        if method == "format" and receiver is not None and text_of(receiver) == "MessageFormat" and args:
            template = self.eval(args[0], env)  # MessageFormat.format("… {0} …", value)
            return brace_format(template, [self._arg(a, env) for a in args[1:]], {}) if template is not None else None
        if method == "formatted" and receiver is not None:
            template = self.eval(receiver, env)
            return printf(template, [self._arg(a, env) for a in args]) if template is not None else None
        if method == "append" and receiver is not None and len(args) == 1 and receiver.type in (
                "object_creation_expression", "method_invocation", "parenthesized_expression"):
            base = self.eval(receiver, env)  # new StringBuilder("SELECT …").append(" LIMIT ").append(n)
            return base + self.eval_or_hole(args[0], env) if base is not None else None
        if method == "concat" and receiver is not None and len(args) == 1:
            base = self.eval(receiver, env)
            return base + self.eval_or_hole(args[0], env) if base is not None else None
        if method in ("join", "joining", "repeat", "nCopies", "collect") and _only_marks(node):
            return Value.text(QMARK_LIST)  # "?, ?, ?" built for an IN list: bound values, not text
        if method == "join" and receiver is not None and text_of(receiver) == "String" and len(args) >= 2:
            separator = self.eval(args[0], env)
            items = [self.eval_or_hole(a, env) for a in args[1:]]
            if separator is None or any(a.type not in ("string_literal", "identifier", "field_access") for a in args[1:]):
                return None
            total = items[0]
            for item in items[1:]:
                total = total + separator + item
            return total
        return None

    def _arg(self, node: Node, env: Env) -> Value | Hole:
        """A format argument: its text when known, else a hole (``printf`` marks ``%d`` ones safe)."""
        value = self.eval(node, env)
        if value is not None:
            return value
        spliced = self._hole(node).alts[0].segments[0]
        if isinstance(spliced, Hole):
            return Hole(spliced.source, PlaceholderStyle.FSTRING_HOLE, spliced.safe)
        return Value.text(spliced)

    def eval_or_hole(self, node: Node, env: Env) -> Value:
        value = self.eval(node, env)
        return value if value is not None else self._hole(node)

    def _hole(self, node: Node) -> Value:
        if node.type in ("decimal_integer_literal", "decimal_floating_point_literal", "hex_integer_literal",
                         "true", "false", "null_literal", "character_literal"):
            return Value.text(text_of(node) if node.type != "character_literal" else _unescape(text_of(node)[1:-1]))
        safe = False
        if node.type == "identifier":
            declared = self.types.get(text_of(node)) or self.context.field_types.get(text_of(node))
            safe = declared in NUMERIC_TYPES
        elif node.type == "method_invocation":
            safe = text_of(child(node, "name") or node) in ("size", "length", "intValue", "longValue", "parseInt",
                                                              "parseLong", "count", "ordinal")
        return hole(text_of(node), PlaceholderStyle.CONCAT_HOLE, safe)


# --- helpers ---------------------------------------------------------------------------------------

def java_string(node: Node) -> str:
    """The value of a string literal or text block (escapes decoded, text-block indentation removed)."""
    pieces: list[str] = []
    block = text_of(node).startswith('"""')
    for part in node.children:
        if part.type in ("string_fragment", "multiline_string_fragment"):
            pieces.append(text_of(part))
        elif part.type == "escape_sequence":
            pieces.append("\x01" + text_of(part) if block else _unescape(text_of(part)))
    text = "".join(pieces)
    if block:
        text = _strip_text_block(text)
        text = "".join(_unescape(p[:2]) + p[2:] if i else p for i, p in enumerate(text.split("\x01")))
    return text


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "s": " ", '"': '"', "'": "'", "\\": "\\", "\n": ""}


def _unescape(sequence: str) -> str:
    if len(sequence) < 2:
        return sequence
    if sequence[1] in _ESCAPES:
        return _ESCAPES[sequence[1]]
    if sequence[1] == "u":
        try:
            return chr(int(sequence.lstrip("\\u")[:4], 16))
        except ValueError:
            return sequence
    if sequence[1].isdigit():
        try:
            return chr(int(sequence[1:], 8))
        except ValueError:
            return sequence
    return sequence


def _strip_text_block(content: str) -> str:
    """Java's incidental-whitespace rule for text blocks (JLS 3.10.6), close enough for SQL."""
    lines = content.split("\n")[1:] if "\n" in content else [content]
    significant = [line for line in lines[:-1] if line.strip()] + [lines[-1]]
    indent = min((len(line) - len(line.lstrip()) for line in significant), default=0)
    return "\n".join(line[indent:].rstrip() for line in lines)


def simple_type(node: Node | None) -> str:
    """``java.util.List<Order>`` → ``List``; ``OrderMapper`` → ``OrderMapper``."""
    if node is None:
        return ""
    if node.type == "generic_type":
        return simple_type(named_children(node)[0]) if named_children(node) else ""
    if node.type == "scoped_type_identifier":
        return text_of(node).rsplit(".", 1)[-1]
    if node.type == "array_type":
        return ""
    return text_of(node)


def inferred_type(value: Node) -> str:
    """``var m = session.getMapper(OrderMapper.class)`` / ``var sb = new StringBuilder()``."""
    if value.type == "object_creation_expression":
        return simple_type(child(value, "type"))
    if value.type == "method_invocation" and text_of(child(value, "name") or value) == "getMapper":
        args = arguments_of(value)
        if args and args[0].type == "class_literal":
            return simple_type(named_children(args[0])[0])
    return ""


def assigned_name(node: Node | None) -> str | None:
    if node is None:
        return None
    if node.type == "identifier":
        return text_of(node)
    if node.type == "field_access":
        owner, name = child(node, "object"), child(node, "field")
        if owner is not None and owner.type == "this" and name is not None:
            return text_of(name)
    return None


def arguments_of(call: Node) -> list[Node]:
    arguments = child(call, "arguments")
    return named_children(arguments) if arguments is not None else []


def parameter_names(node: Node) -> list[str]:
    if node.type == "identifier":
        return [text_of(node)]
    names = []
    for part in named_children(node):
        if part.type == "identifier":
            names.append(text_of(part))
        else:
            name = child(part, "name")
            if name is not None:
                names.append(text_of(name))
    return names


def _java_call(node: Node, label: Callable[[Node], Label]) -> Label | None:
    """Presence tests written as calls: ``StringUtils.isNotBlank(kw)``, ``params.get("userId")``,
    ``q.getKeyword()``, ``kw.trim()``, a record accessor ``query.keyword()``."""
    if node.type != "method_invocation":
        return None
    method = text_of(child(node, "name") or node)
    receiver, args = child(node, "object"), arguments_of(node)
    if method in PRESENT_CALLS or method in ABSENT_CALLS:
        subject = args[0] if len(args) == 1 else receiver if not args else None
        if subject is not None:
            name, positive = label(subject)
            return name, positive == (method in PRESENT_CALLS)
    if method in ("get", "containsKey") and len(args) == 1 and args[0].type == "string_literal":
        return java_string(args[0]), True  # params.get("userId") != null
    if not args and receiver is not None and method in ("size", "length", "trim", "strip"):
        return label(receiver)
    if not args and receiver is not None:
        if method.startswith("get") and len(method) > 3 and method[3].isupper():
            return method[3].lower() + method[4:], True
        if method.startswith("is") and len(method) > 2 and method[2].isupper():
            return method[2].lower() + method[3:], True
        if method.isidentifier() and method[0].islower():
            return method, True  # a record accessor: query.keyword()
    return None


def condition_label(node: Node) -> Label:
    """A short name for an ``if`` test and whether its true branch means "present"."""
    return shared_condition_label(node, _JAVA_CONDITIONS)


def _only_marks(node: Node) -> bool:
    """True when every string literal inside ``node`` is a ``?`` (or a separator) and one is a ``?``:
    ``String.join(",", Collections.nCopies(ids.size(), "?"))`` and its variations."""
    marks = 0
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "string_literal":
            value = java_string(current).strip()
            if value.strip(",").strip() == "?":
                marks += 1
            elif value not in (",", ""):
                return False
            continue
        stack.extend(current.children)
    return marks > 0


def _is_empty_literal(node: Node) -> bool:
    if node.type == "null_literal" or (node.type == "decimal_integer_literal" and text_of(node) == "0"):
        return True
    return node.type == "string_literal" and text_of(node) == '""'


_JAVA_CONDITIONS = ConditionGrammar(wrappers=frozenset({"parenthesized_expression", "condition"}), member="field_access",
                                    is_empty=_is_empty_literal, call=_java_call)
