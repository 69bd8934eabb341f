"""Python calls of named queries kept in ``.sql`` files: aiosql and PugSQL.

    queries = aiosql.from_path("sql/", "pymysql")          # -- name: get-orders-by-user  (sql/orders.sql)
    for user in users:
        orders = queries.get_orders_by_user(conn, user_id=user["id"])       # N+1

The statement is checked where it is written (``sqlfile`` names it); the call site gets it as a call of
a statement defined elsewhere (``Query.resolved_from``, as a Java call of a MyBatis mapper method), so
the scope rules see it: M002 in a loop, M001 beside another read of the same table.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass

from sqllint.extract.pyeval import dotted

_LIBRARIES = frozenset({"aiosql", "pugsql"})
_LOADERS = frozenset({"from_path", "from_str", "module"})  # aiosql.from_path/from_str, pugsql.module
# aiosql gives each query a ``<name>_cursor`` twin running the same statement.
_SUFFIXES = ("_cursor",)
MARKERS = (b"aiosql", b"pugsql")  # a Python file that may load named queries


@dataclass(frozen=True)
class NamedQuery:
    path: str  # the .sql file
    name: str  # as the code calls it (aiosql's ``-`` already ``_``)
    raw: str  # the statement as written
    line: int

    @property
    def reference(self) -> str:
        return f"{self.path}:{self.name}"


def receivers(module: ast.Module) -> frozenset[str]:
    """Names a module may call named queries on: what it binds to a loader (``queries = aiosql.from_path
    (…)``, ``self.queries = pugsql.module(…)``: ``queries``) and what it imports from its own project
    (``from app.db import queries``). A call must also name a known query to count."""
    loaders = {alias.asname or alias.name for node in ast.walk(module) if isinstance(node, ast.ImportFrom)
               and (node.module or "").split(".")[0] in _LIBRARIES for alias in node.names}
    found: set[str] = set()
    for node in ast.walk(module):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] not in _LIBRARIES:
            found.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Call):
            name = dotted(node.value.func) or ""
            parts = name.split(".")
            if (len(parts) >= 2 and parts[0] in _LIBRARIES and parts[-1] in _LOADERS) or name in loaders:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        found.add(target.id)
                    elif isinstance(target, ast.Attribute):
                        found.add(target.attr)  # self.queries, app.state.queries: called as …queries.x()
    return frozenset(found)


def named_call(call: ast.Call, named: Mapping[str, tuple[NamedQuery, ...]],
               names: frozenset[str]) -> tuple[NamedQuery, ...]:
    """The named queries ``call`` runs (``queries.get_user(conn, id=1)``, ``queries.users.get_all(conn)``
    for a directory of .sql files), or () when it is not such a call."""
    func = call.func
    if not isinstance(func, ast.Attribute) or not names:
        return ()
    name = func.attr
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in named:
            name = name[: -len(suffix)]
    found = named.get(name, ())
    if not found:
        return ()
    receiver = func.value
    while isinstance(receiver, ast.Attribute):  # queries.users.get_all: aiosql's sub-directory namespaces
        if receiver.attr in names:
            return found
        receiver = receiver.value
    return found if isinstance(receiver, ast.Name) and receiver.id in names else ()
