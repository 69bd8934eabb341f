"""A call of a function of another file of the package, or of an imported project package, carries what
that function runs (``golang._runners``): N+1 and mergeable reads in the caller are `check` findings."""

from __future__ import annotations

import textwrap
from pathlib import Path

from sqllint.config import Config
from sqllint.engine import run

USERS = """\
    package store

    import "database/sql"

    func GetUser(db *sql.DB, id int) (string, error) {
    \tvar name string
    \terr := db.QueryRow("SELECT name FROM users WHERE id = ?", id).Scan(&name)
    \treturn name, err
    }

    func AllItems(db *sql.DB, ids []int) {
    \tfor _, id := range ids {
    \t\tdb.QueryRow("SELECT sku FROM items WHERE order_id = ?", id)
    \t}
    }
    """

ORDERS = """\
    package store

    import "database/sql"

    func Owners(db *sql.DB, ids []int) []string {
    \tvar out []string
    \tfor _, id := range ids {
    \t\tname, _ := GetUser(db, id)
    \t\tout = append(out, name)
    \t}
    \treturn out
    }
    """

HANDLER = """\
    package web

    import (
    \t"database/sql"

    \tst "example.com/shop/internal/store"
    )

    func Names(db *sql.DB, ids []int) {
    \tfor _, id := range ids {
    \t\tst.GetUser(db, id)
    \t}
    }

    func Pair(db *sql.DB, a, b int) {
    \tst.GetUser(db, a)
    \tst.GetUser(db, b)
    \tst.AllItems(db, []int{a, b})
    }
    """


def project(root: Path, users: str = USERS) -> Path:
    for name, text in {"go.mod": "module example.com/shop\n\ngo 1.22\n", "internal/store/users.go": users,
                       "internal/store/orders.go": ORDERS, "web/handler.go": HANDLER}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def findings(root: Path, cache: Path | None = None) -> list[tuple[str, str, int, str]]:
    result = run(["."], Config(root=root), root, jobs=1, cache_dir=cache)
    return sorted((f.rule, f.path, f.line, f.message) for f in result.findings if f.rule in ("M001", "M002"))


def test_functions_of_other_files_and_imported_packages_are_carried(tmp_path: Path) -> None:
    assert findings(project(tmp_path)) == [
        ("M001", "web/handler.go", 17, "`st.GetUser` reads users by the same key (id) as `st.GetUser` on line 16: "
                                       "merge them into one query"),
        ("M002", "internal/store/orders.go", 8, "`GetUser` (a SELECT at internal/store/users.go:7) runs once per "
                                                "iteration of the loop on line 7 (N+1 queries)"),
        # AllItems's own loop is its N+1, reported there; Pair calls it once (not carried as a read there)
        ("M002", "internal/store/users.go", 13, "SELECT runs once per iteration of the loop on line 12 (N+1 queries)"),
        ("M002", "web/handler.go", 11, "`st.GetUser` (a SELECT at internal/store/users.go:7) runs once per "
                                       "iteration of the loop on line 10 (N+1 queries)"),
    ]


def test_the_callers_are_checked_again_when_the_callee_changes(tmp_path: Path) -> None:
    root = project(tmp_path)
    cache = tmp_path / ".cache"
    assert len(findings(root, cache)) == 4
    (root / "internal/store/users.go").write_text(textwrap.dedent(USERS).replace(
        'err := db.QueryRow("SELECT name FROM users WHERE id = ?", id).Scan(&name)', "err := error(nil)"))
    assert [f for f in findings(root, cache) if "GetUser" in f[3]] == []
