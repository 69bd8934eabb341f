"""Words for a MyBatis ``<if test>`` / ``<when test>``: which parameter it asks about, and whether the
test is true when that parameter is given.

OGNL tests are close enough to Python expressions that, once the OGNL spellings are swapped for
Python's (``&&`` → ``and``, ``neq`` → ``!=``, ``null`` → ``None``, ``@StringUtils@isNotBlank(x)`` →
``isNotBlank(x)``), ``ast`` parses them and the Python extractor's own labelling (``condition_label``)
names them: ``keyword != null and keyword != ''`` → (``keyword``, present), ``status == null`` →
(``status``, absent), ``!onlyActive`` → (``onlyActive``, absent). A test that is not a presence test
(``type == 'A'``) is named by its own text, so dynamic-SQL variants read the same whatever the host
language (``when keyword, status are absent``).
"""

from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Iterable
from functools import lru_cache

from sqllint.extract.pyeval import condition_label

LABEL_LIMIT = 40

# One OGNL lexeme at a time; anything else makes the test unlabelled (named by its text).
_LEXEME = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<static>@[\w.$]*@)
      | (?P<number>\d+(?:\.\d+)?)[lLdDfFbBhH]?
      | (?P<name>[A-Za-z_][\w]*)
      | (?P<op>==|!=|>=|<=|&&|\|\||[()<>!.,\[\]+\-*/%])
    )""",
    re.VERBOSE,
)
_WORDS = {"and": "and", "or": "or", "not": "not", "eq": "==", "neq": "!=", "gt": ">", "gte": ">=",
          "lt": "<", "lte": "<=", "null": "None", "true": "True", "false": "False", "in": "in",
          "instanceof": "is"}
_OPERATORS = {"&&": "and", "||": "or", "!": "not"}
_PRESENT_CALLS = frozenset({"isNotEmpty", "isNotBlank", "nonNull", "isNotNull", "hasText", "hasLength",
                            "notEmpty", "notBlank", "isNotNullOrEmpty"})
_ABSENT_CALLS = frozenset({"isEmpty", "isBlank", "isNull", "isNullOrEmpty"})
_SIZE_METHODS = frozenset({"size", "length", "count"})
_RENAMED = "sqllint_kw_"  # OGNL names that are Python keywords (``from``, ``class``) get this prefix


def _to_python(test: str) -> str | None:
    out: list[str] = []
    position = 0
    text = test.rstrip()
    while position < len(text):
        match = _LEXEME.match(text, position)
        if match is None:
            return None
        position = match.end()
        kind = match.lastgroup
        token = match.group(kind or 0)
        if kind == "name":
            lowered = token.lower() if token.lower() in ("and", "or", "not") else token
            if lowered in _WORDS:
                token = _WORDS[lowered]
            elif keyword.iskeyword(token) or keyword.issoftkeyword(token):
                token = _RENAMED + token
        elif kind == "op":
            token = _OPERATORS.get(token, token)
        elif kind == "static":
            continue  # @org.apache.commons.lang3.StringUtils@isNotBlank(x) → isNotBlank(x)
        out.append(token)
    return " ".join(out)


def _name_of(node: ast.expr) -> str | None:
    """The parameter a presence test is about: ``keyword``, ``query.keyword`` (``short_names`` shortens
    it for display when nothing else in the statement ends the same way)."""
    if isinstance(node, ast.Name):
        return node.id.removeprefix(_RENAMED)
    if isinstance(node, ast.Attribute):
        owner = _name_of(node.value) if isinstance(node.value, (ast.Name, ast.Attribute)) else None
        attr = node.attr.removeprefix(_RENAMED)
        return f"{owner}.{attr}" if owner else attr
    if isinstance(node, ast.Subscript):
        label, _ = condition_label(node)
        return label if label.isidentifier() else None
    return None


def _presence(node: ast.expr) -> tuple[str, bool] | None:
    """(parameter, true-when-present) for the presence tests teams write; None for anything else."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _presence(node.operand)
        return (inner[0], not inner[1]) if inner else None
    if isinstance(node, ast.BoolOp):
        found = [_presence(value) for value in node.values]
        if any(item is None for item in found) or len({item[1] for item in found if item}) != 1:
            return None
        names = list(dict.fromkeys(item[0] for item in found if item))
        # `query != null and query.keyword != ''`: the guard on query only makes way for its field
        names = [n for n in names if not any(other.startswith(n + ".") for other in names)]
        return "/".join(names), bool(found[0] and found[0][1])
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and not node.args:  # list.size(), name.isEmpty()
            owner = _name_of(func.value)
            if owner and func.attr in _SIZE_METHODS:
                return owner, True
            if owner and func.attr in ("isEmpty", "isBlank"):
                return owner, False
            if owner and func.attr in ("isPresent",):
                return owner, True
        if isinstance(func, ast.Name) and len(node.args) == 1:  # @StringUtils@isNotBlank(x)
            argument = _name_of(node.args[0])
            if argument and func.id in _PRESENT_CALLS:
                return argument, True
            if argument and func.id in _ABSENT_CALLS:
                return argument, False
        return None
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left, right, op = node.left, node.comparators[0], node.ops[0]
        if isinstance(left, ast.Constant) and not isinstance(right, ast.Constant):  # null != x
            left, right = right, left
            op = {ast.Gt: ast.Lt(), ast.Lt: ast.Gt(), ast.GtE: ast.LtE(), ast.LtE: ast.GtE()}.get(type(op), op)
        if not (isinstance(right, ast.Constant) and (right.value in (None, "", 0) or right.value is True)):
            return None
        while (isinstance(left, ast.Call) and isinstance(left.func, ast.Attribute) and not left.args
               and left.func.attr in _STRING_METHODS):
            left = left.func.value  # startTime.trim() != '': still a test of startTime
        inner = _presence(left)
        if inner is None:
            return None
        if right.value is True or right.value is False:  # flag == true, flag != false
            same = isinstance(op, (ast.Eq, ast.Is)) == (right.value is True)
            return inner if same else (inner[0], not inner[1])
        if isinstance(op, (ast.NotEq, ast.Gt, ast.IsNot)):
            return inner
        if isinstance(op, (ast.Eq, ast.LtE, ast.Is)):
            return inner[0], not inner[1]
        return None
    if isinstance(node, ast.Attribute) and node.attr in _SIZE_METHODS | {"empty"}:  # OGNL list.size, list.empty
        owner = _name_of(node.value)
        return (owner, node.attr != "empty") if owner else None
    name = _name_of(node)
    if name is not None:  # a bare flag or value: reuse the Python extractor's reading of it
        return name, condition_label(node)[1]
    return None


_DOTTED = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+")


def short_names(names: Iterable[str]) -> dict[str, str]:
    """Each parameter path by its shortest tail that no other path of the statement ends with, as the
    Python extractor names ``query.keyword`` ``keyword``: ``{query.keyword, query.status}`` → keyword,
    status; ``{name, filter.name}`` → name, filter.name. Combined labels (``a/b``) per component."""
    components = {c for name in names for c in name.split("/")}

    def short(component: str) -> str:
        if not _DOTTED.fullmatch(component):
            return component
        segments = component.split(".")
        for size in range(1, len(segments)):
            tail = ".".join(segments[-size:])
            if not any(other != component and (other == tail or other.endswith("." + tail)) for other in components):
                return tail
        return component

    return {name: "/".join(dict.fromkeys(short(c) for c in name.split("/"))) for name in names}


_COMPARE = {ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b, ast.Lt: lambda a, b: a < b,
            ast.Gt: lambda a, b: a > b, ast.LtE: lambda a, b: a <= b, ast.GtE: lambda a, b: a >= b}


def _constant(node: ast.expr) -> object:
    """The value of a test made of literals only (``true``, ``1 == 1``); raises ValueError otherwise."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return not _constant(node.operand)
    if isinstance(node, ast.BoolOp):
        values = [bool(_constant(v)) for v in node.values]
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
        try:
            return _COMPARE[type(node.ops[0])](_constant(node.left), _constant(node.comparators[0]))
        except TypeError:
            raise ValueError("incomparable") from None
    raise ValueError("not a constant")


@lru_cache(maxsize=8192)
def constant_test(test: str) -> bool | None:
    """True/False for a test that does not depend on the parameters (``<if test="true">``), else None."""
    source = _to_python(test)
    try:
        return bool(_constant(ast.parse(source, mode="eval").body)) if source else None
    except (SyntaxError, ValueError, RecursionError):
        return None


@lru_cache(maxsize=8192)  # a pure function of the text; mappers repeat the same tests everywhere
def test_label(test: str) -> tuple[str, bool]:
    """(label, true-when-present) for an OGNL test; the test's own text when it is not a presence test."""
    source = _to_python(test)
    if source:
        try:
            tree = ast.parse(source, mode="eval")
        except (SyntaxError, ValueError):
            tree = None
        if tree is not None:
            found = _presence(tree.body)
            if found is not None:
                return found
    text = " ".join(test.split())
    return (text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 3] + "..."), True


# A test as a formula over parameters' presence: ("atom", name, true-when-present), ("not", f),
# ("and" | "or", (f, …)).
Formula = tuple


def _formula(node: ast.expr) -> Formula | None:
    if isinstance(node, ast.BoolOp):
        parts = tuple(_formula(value) for value in node.values)
        if any(part is None for part in parts):
            return None
        return ("and" if isinstance(node.op, ast.And) else "or", parts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not) and isinstance(node.operand, ast.BoolOp):
        inner = _formula(node.operand)
        return ("not", inner) if inner is not None else None
    found = _presence(node)
    return ("atom", found[0], found[1]) if found is not None and "/" not in found[0] else None


def formula_atoms(formula: Formula) -> list[tuple[str, bool]]:
    if formula[0] == "atom":
        return [(formula[1], formula[2])]
    if formula[0] == "not":
        return [(name, not present) for name, present in formula_atoms(formula[1])]
    return [atom for part in formula[1] for atom in formula_atoms(part)]


def evaluate(formula: Formula, present: frozenset[str]) -> bool:
    kind = formula[0]
    if kind == "atom":
        return (formula[1] in present) == formula[2]
    if kind == "not":
        return not evaluate(formula[1], present)
    values = (evaluate(part, present) for part in formula[1])
    return all(values) if kind == "and" else any(values)


@lru_cache(maxsize=8192)
def test_formula(test: str) -> Formula | None:
    """A test combining presence tests of two or more parameters (``orgCode == null and tenantId != null``)
    as a formula over their presence; None for anything else."""
    source = _to_python(test)
    try:
        tree = ast.parse(source, mode="eval").body if source else None
    except (SyntaxError, ValueError, RecursionError):
        return None
    if not isinstance(tree, (ast.BoolOp, ast.UnaryOp)):
        return None
    formula = _formula(tree)
    if formula is None or len({name for name, _ in formula_atoms(formula)}) < 2:
        return None
    return formula


def mixed(formula: Formula) -> bool:
    """Whether the formula asks for some parameters present and others absent (so no single part can
    stand for it: ``a == null and b != null``)."""
    return len({present for _, present in formula_atoms(formula)}) > 1


def rename(formula: Formula, names: dict[str, str]) -> Formula:
    if formula[0] == "atom":
        return ("atom", names.get(formula[1], formula[1]), formula[2])
    if formula[0] == "not":
        return ("not", rename(formula[1], names))
    return (formula[0], tuple(rename(part, names) for part in formula[1]))


_STRING_METHODS = frozenset({"trim", "strip", "toLowerCase", "toUpperCase", "toString"})


def _concat_operands(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _concat_operands(node.left) + _concat_operands(node.right)
    return [node]


def bind_sql(value: str) -> str | None:
    """SQL for a ``<bind value>`` that builds a string from literals and parameters, so that what the
    database sees stays visible: ``'%' + keyword + '%'`` → ``CONCAT('%', #{keyword}, '%')``;
    ``name.trim()`` → ``#{name}``. None for anything else (the bound name stays a plain parameter)."""
    source = _to_python(value)
    try:
        tree = ast.parse(source, mode="eval").body if source else None
    except (SyntaxError, ValueError, RecursionError):
        return None
    if tree is None:
        return None
    pieces: list[str] = []
    for operand in _concat_operands(tree):
        while (isinstance(operand, ast.Call) and isinstance(operand.func, ast.Attribute) and not operand.args
               and operand.func.attr in _STRING_METHODS):
            operand = operand.func.value  # keyword.trim(), name.toLowerCase(): still that parameter
        if isinstance(operand, ast.Constant) and isinstance(operand.value, str):
            pieces.append("'" + operand.value.replace("'", "''") + "'")
        elif (name := _name_of(operand)) is not None:
            pieces.append(f"#{{{name}}}")
        else:
            return None
    if len(pieces) == 1:
        return pieces[0] if pieces[0].startswith("#") else None
    return f"CONCAT({', '.join(pieces)})"
