"""The class of a call's receiver, where the code says it: ``repo.get(uid)`` with ``repo: UserRepo``.

A service holding a repository (``self.repo = UserRepo(conn)``, or ``def __init__(self, repo: UserRepo)``
and ``self.repo = repo``), a parameter annotated with a class, a local ``repo = UserRepo(conn)`` or a
module-level ``service = OrderService()``: a call of a method on it runs that class's method. Knowing the
class lets the extractor carry what the method runs to the call (``pyspecial``, ``pyrunners``), as it does
for ``self.method()``. Only what is written counts: an annotation, or a constructor call of a name that
reads like a class (CapWords); no inference beyond that.
"""

from __future__ import annotations

import ast

from sqllint.extract.pyeval import dotted


def annotation_expression(node: ast.expr | None) -> ast.expr | None:
    """A string annotation's expression (``"UserRepo"`` → ``UserRepo``; None when it does not parse); any
    other annotation as it is."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return None
    return node


def _class_name(node: ast.expr | None) -> str | None:
    """The class an annotation or a constructor's callee names: ``UserRepo``, ``dao.UserRepo``,
    ``"UserRepo"``, ``Optional[UserRepo]``, ``UserRepo | None``, ``Annotated[UserRepo, …]``. (The endpoint
    call graph resolves annotations to its own classes: ``endpoints.pyresolve.annotation``.)"""
    node = annotation_expression(node)
    if node is None:
        return None
    if isinstance(node, ast.Subscript) and dotted(node.value) in ("Optional", "typing.Optional"):
        return _class_name(node.slice)
    if isinstance(node, ast.Subscript) and dotted(node.value) in ("Annotated", "typing.Annotated") \
            and isinstance(node.slice, ast.Tuple) and node.slice.elts:  # FastAPI: Annotated[Svc, Depends(…)]
        return _class_name(node.slice.elts[0])
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        sides = [side for side in (node.left, node.right) if not (isinstance(side, ast.Constant) and side.value is None)]
        return _class_name(sides[0]) if len(sides) == 1 else None
    name = dotted(node) if isinstance(node, (ast.Name, ast.Attribute)) else None
    return name if name and name.rsplit(".", 1)[-1][:1].isupper() else None


def _constructed(value: ast.expr | None) -> str | None:
    return _class_name(value.func) if isinstance(value, ast.Call) else None


def _assigned(statement: ast.stmt) -> list[tuple[ast.expr, str | None, ast.expr | None]]:
    """(target, annotated class, value) of an assignment statement."""
    if isinstance(statement, ast.Assign):
        return [(target, None, statement.value) for target in statement.targets]
    if isinstance(statement, ast.AnnAssign):
        return [(statement.target, _class_name(statement.annotation), statement.value)]
    return []


def _parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, str]:
    arguments = function.args
    found = {}
    for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
        if (name := _class_name(argument.annotation)) is not None:
            found[argument.arg] = name
    return found


class ReceiverTypes:
    """Receiver classes of one module: its module-level instances, each class's ``self.x`` attributes,
    and each function's annotated parameters and constructed locals (read once per function)."""

    def __init__(self, module: ast.Module) -> None:
        self.module_names: dict[str, str] = {}
        for statement in module.body:
            for target, annotated, value in _assigned(statement):
                if isinstance(target, ast.Name) and (name := annotated or _constructed(value)) is not None:
                    self.module_names[target.id] = name
        self.attributes: dict[str, dict[str, str]] = {}
        for node in module.body:
            if isinstance(node, ast.ClassDef):
                self.attributes[node.name] = self._attributes(node)
        self._locals: dict[int, dict[str, str]] = {}

    @staticmethod
    def _attributes(cls: ast.ClassDef) -> dict[str, str]:
        """``self.repo = UserRepo(…)``, ``self.repo = repo`` (``repo: UserRepo``), ``self.repo: UserRepo``
        in any method, and class-level ``repo: UserRepo``."""
        found: dict[str, str] = {}
        for item in cls.body:
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) \
                    and (name := _class_name(item.annotation)) is not None:
                found[item.target.id] = name
            if not isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            parameters = _parameters(item)
            for statement in ast.walk(item):
                for target, annotated, value in _assigned(statement) if isinstance(statement, ast.stmt) else []:
                    if not (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                            and target.value.id == "self"):
                        continue
                    name = annotated or _constructed(value) or (
                        parameters.get(value.id) if isinstance(value, ast.Name) else None)
                    if name is not None:
                        found.setdefault(target.attr, name)
        return found

    def _function_names(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, str]:
        if id(function) not in self._locals:
            found = _parameters(function)
            for statement in ast.walk(function):
                for target, annotated, value in _assigned(statement) if isinstance(statement, ast.stmt) else []:
                    if isinstance(target, ast.Name) and (name := annotated or _constructed(value)) is not None:
                        found.setdefault(target.id, name)
            self._locals[id(function)] = found
        return self._locals[id(function)]

    def method(self, func: ast.expr, function: ast.FunctionDef | ast.AsyncFunctionDef | None,
               class_name: str | None) -> str | None:
        """``Class.method`` that ``func`` (a call's callee) names through its receiver, or None."""
        if not isinstance(func, ast.Attribute):
            return None
        receiver = func.value
        name = None
        if isinstance(receiver, ast.Name) and receiver.id not in ("self", "cls"):
            name = (self._function_names(function).get(receiver.id) if function is not None else None) \
                or self.module_names.get(receiver.id)
        elif isinstance(receiver, ast.Attribute) and isinstance(receiver.value, ast.Name) \
                and receiver.value.id == "self" and class_name is not None:
            name = self.attributes.get(class_name, {}).get(receiver.attr)
        return f"{name}.{func.attr}" if name is not None else None
