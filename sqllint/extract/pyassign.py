"""Environment updates for Python extraction: what an assignment or a list mutation does to tracked values.

``sql = …``, ``where, params = [...], []``, ``QUERIES = {"by_id": "SELECT …"}``, ``conditions["orders"] = …``,
``conditions = get_conditions(filters)`` and ``parts.append(…)`` each change the environment the walker
(``pywalk``) carries through a function. Kept apart from the walker: these say how one statement changes
the values; the walker decides the order, the branches and the loops they are applied in.
"""

from __future__ import annotations

import ast

from sqllint.extract.pyeval import Env, any_entry, subscript_name, target_key, union_values
from sqllint.extract.pyspecial import Specializer
from sqllint.extract.pyvalues import Alt, Value, cap_alternatives


class Assigner(Specializer):
    """Applies assignments and list mutations to an environment; ``PythonExtractor`` walks the statements."""

    constant_sites: dict[str, tuple[Value, ast.AST, str]]  # module-level SQL constants, set by the walker

    def _assign(self, target: ast.expr, value: Value | None, env: Env, stmt: ast.stmt, top_level: bool) -> None:
        if isinstance(target, ast.Name) and isinstance(getattr(stmt, "value", None), ast.Dict):
            self._assign_dict(target.id, stmt.value, env, stmt, top_level)  # type: ignore[union-attr]
            return
        source = getattr(stmt, "value", None)
        if isinstance(target, ast.Name) and value is None and isinstance(source, ast.Call) \
                and (info := self._local_function(source.func)) is not None and info.dict_returns:
            self._assign_entries(target.id, info.dict_returns, env)  # conditions = get_conditions(filters)
            return
        if isinstance(target, ast.Name):
            if value is None:
                env.pop(target.id, None)
                return
            env[target.id] = value
            if top_level:
                self.constant_sites[target.id] = (value, stmt, "<module>")
        elif isinstance(target, (ast.Tuple, ast.List)):
            source = getattr(stmt, "value", None)
            if isinstance(source, (ast.Tuple, ast.List)) and len(source.elts) == len(target.elts) \
                    and not any(isinstance(e, ast.Starred) for e in [*source.elts, *target.elts]):
                # where, params = ["deleted = 0"], []: each name its own value (all read before any is set)
                values = [self._eval(e, env) for e in source.elts]
                for element, node, item in zip(target.elts, source.elts, values):
                    if isinstance(element, ast.Name) and isinstance(node, ast.Dict):
                        self._assign_dict(element.id, node, env, stmt, top_level)
                    else:
                        self._assign(element, item, env, stmt, top_level)
                return
            if value is not None and value.is_list and not any(isinstance(e, ast.Starred) for e in target.elts) \
                    and all(a.items is not None and len(a.items) == len(target.elts) for a in value.alts):
                # conditions, values = get_conditions(filters): each name the item at its position
                for index, element in enumerate(target.elts):
                    item = Value(tuple(dict.fromkeys(Alt(a.items[index], a.on) for a in value.alts)),  # type: ignore[index]
                                 value.parts, line=value.line, capped=value.capped)
                    self._assign(element, item, env, stmt, top_level)
                return
            for element in target.elts:
                if isinstance(element, ast.Name):
                    env.pop(element.id, None)
        elif (key := target_key(target)) is not None:  # conditions["orders"] = " AND …"
            if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                env.pop(any_entry(target.value.id), None)  # entries changed: the union no longer holds
            if value is None or value.is_list:
                env.pop(key, None)
            else:
                env[key] = value

    def _assign_dict(self, name: str, literal: ast.Dict, env: Env, stmt: ast.stmt, top_level: bool) -> None:
        """``QUERIES = {"by_id": "SELECT …"}``: each string entry is tracked as ``QUERIES['by_id']``."""
        for key, item in zip(literal.keys, literal.values):
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                continue
            value = self._eval(item, env)
            entry = subscript_name(name, key.value)
            if value is None or value.is_list:
                env.pop(entry, None)
                continue
            env[entry] = value
            if top_level:
                self.constant_sites[entry] = (value, item, "<module>")
        values = [env.get(subscript_name(name, k.value)) if isinstance(k, ast.Constant) and isinstance(k.value, str)
                  else None for k in literal.keys]
        if values and all(v is not None for v in values):  # every entry is text: d[key] is one of them
            union = values[0]
            for other in values[1:]:
                union = union_values(union, other, self.cap)  # type: ignore[arg-type]
            env[any_entry(name)] = union  # type: ignore[assignment]
        else:
            env.pop(any_entry(name), None)

    def _assign_entries(self, name: str, returned: list[dict[str, Value]], env: Env) -> None:
        """``name = helper()`` where the helper returns a tracked dict: the entries every return has."""
        for key in [k for k in env if k.startswith(f"{name}[")]:
            env.pop(key)
        keys = set(returned[0]).intersection(*returned[1:])
        for key in sorted(keys):
            values = [entries[key] for entries in returned]
            if len({v.is_list for v in values}) > 1:
                continue
            merged = values[0]
            for other in values[1:]:
                merged = union_values(merged, other, self.cap)
            env[subscript_name(name, key)] = merged
        texts = [env[subscript_name(name, k)] for k in sorted(keys) if subscript_name(name, k) in env]
        if texts and not any(v.is_list for v in texts) and len(texts) == len(keys):
            union = texts[0]
            for other in texts[1:]:
                union = union_values(union, other, self.cap)
            env[any_entry(name)] = union

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
