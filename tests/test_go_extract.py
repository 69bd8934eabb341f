"""Go extraction with tree-sitter: database/sql and sqlx calls, strings, constants, variants, scopes, loops."""

from __future__ import annotations

import textwrap
from pathlib import Path

from sqllint.config import Config
from sqllint.engine import run
from sqllint.extract import ExtractOptions, FileExtraction, extract_source
from sqllint.records import PlaceholderStyle
from tests.helpers import check_snippet


def extract(code: str) -> FileExtraction:
    return extract_source(textwrap.dedent(code).encode(), "store.go", "go", ExtractOptions())


def test_database_sql_and_sqlx_calls_find_the_sql_argument() -> None:
    result = extract('''\
        package store

        const byID = "SELECT name FROM users WHERE id = ?"

        func Load(ctx context.Context, db *sqlx.DB, tx *sql.Tx, id int64) {
            db.QueryRow(byID, id)
            db.QueryRowContext(ctx, byID, id)
            db.Query("SELECT id FROM a WHERE b = ?", 1)
            tx.ExecContext(ctx, "DELETE FROM c WHERE id = ?", id)
            stmt, _ := db.PrepareContext(ctx, "UPDATE d SET x = ? WHERE id = ?")
            stmt.Exec(1, id)
            db.Select(&rows, "SELECT id FROM e WHERE f = ?", 2)
            db.GetContext(ctx, &row, "SELECT id FROM g WHERE h = ?", 3)
            db.NamedExec(`INSERT INTO i (a, b) VALUES (:a, :b)`, arg)
            db.MustExec("TRUNCATE TABLE j")
            db.Queryx("SELECT k FROM l")
            cache.Get("SELECT is a key here")
            url.Query()
        }
        ''')
    assert result.problems == []
    got = [(q.line, q.scope, q.call, q.raw) for q in result.queries]
    assert got == [
        (6, "Load", "db.QueryRow", "SELECT name FROM users WHERE id = ?"),
        (7, "Load", "db.QueryRowContext", "SELECT name FROM users WHERE id = ?"),
        (8, "Load", "db.Query", "SELECT id FROM a WHERE b = ?"),
        (9, "Load", "tx.ExecContext", "DELETE FROM c WHERE id = ?"),
        (10, "Load", "db.PrepareContext", "UPDATE d SET x = ? WHERE id = ?"),
        (12, "Load", "db.Select", "SELECT id FROM e WHERE f = ?"),
        (13, "Load", "db.GetContext", "SELECT id FROM g WHERE h = ?"),
        (14, "Load", "db.NamedExec", "INSERT INTO i (a, b) VALUES (:a, :b)"),
        (15, "Load", "db.MustExec", "TRUNCATE TABLE j"),
        (16, "Load", "db.Queryx", "SELECT k FROM l"),
    ]
    assert [p.style for p in result.queries[7].placeholders] == [PlaceholderStyle.NAMED] * 2


def test_strings_constants_concatenation_builder_and_variants() -> None:
    result = extract('''\
        package store

        const (
            cols  = "id, status"
            base  = `SELECT ` + cols + `
                FROM orders`
        )

        func (s *Store) Search(kw string, status int, limit int) {
            var sb strings.Builder
            sb.WriteString(base + " WHERE 1 = 1")
            if kw != "" {
                sb.WriteString(" AND note LIKE ?")
            }
            if status > 0 {
                fmt.Fprintf(&sb, " AND status = %d", status)
            }
            q := sb.String()
            q += " LIMIT " + strconv.Itoa(limit)
            s.db.Query(q, kw)
        }
        ''')
    got = [(q.raw, q.variant.label if q.variant else None) for q in result.queries]
    base = "SELECT id, status\n        FROM orders WHERE 1 = 1"
    assert got == [
        (f"{base} LIMIT {{strconv.Itoa(limit)}}", "when kw, status are absent"),
        (f"{base} AND status = {{status}} LIMIT {{strconv.Itoa(limit)}}", "when kw is absent; status is present"),
        (f"{base} AND note LIKE ? LIMIT {{strconv.Itoa(limit)}}", "when status is absent; kw is present"),
        (f"{base} AND note LIKE ? AND status = {{status}} LIMIT {{strconv.Itoa(limit)}}", "when kw, status are present"),
    ]
    assert {q.scope for q in result.queries} == {"(*Store).Search"}
    assert all(p.safe for q in result.queries for p in q.placeholders if p.interpolated)


def test_sqlx_in_expands_to_its_query() -> None:
    result = extract('''\
        package store

        func ByIDs(db *sqlx.DB, ids []int64) {
            query, args, err := sqlx.In("SELECT id, name FROM users WHERE id IN (?)", ids)
            if err != nil {
                return
            }
            query = db.Rebind(query)
            db.Select(&users, query, args...)
        }
        ''')
    assert [(q.line, q.call, q.raw) for q in result.queries] == [
        (9, "db.Select", "SELECT id, name FROM users WHERE id IN (?)")]


def test_sprintf_verbs_are_interpolation_and_escapes_are_decoded() -> None:
    result = extract('''\
        package store

        func Sorted(db *sql.DB, column string, n int) {
            db.Query(fmt.Sprintf("SELECT id FROM orders\\tORDER BY %s LIMIT %d", column, n))
            db.Query(fmt.Sprintf("SELECT id FROM %[2]s WHERE a = %[1]q", column, "t"))
        }
        ''')
    got = [(q.raw, [(p.name, p.safe, p.identifier) for p in q.placeholders]) for q in result.queries]
    assert got == [
        ("SELECT id FROM orders\tORDER BY {column} LIMIT {n}", [("column", False, True), ("n", True, False)]),
        ('SELECT id FROM t WHERE a = "{column}"', [("column", False, False)]),
    ]
    assert result.queries[0].placeholders[0].style == PlaceholderStyle.FSTRING_HOLE


def test_sql_constants_used_by_other_files_are_checked_where_defined() -> None:
    result = extract('''\
        package queries

        const (
            columns     = "id, status"
            OrderByID   = "SELECT " + columns + " FROM orders WHERE id = ?"
            usedHere    = "SELECT 1 FROM dual"
            Greeting    = "hello"
        )

        var DeleteOld = `DELETE FROM sessions WHERE expires_at < NOW()`

        func ping(db *sql.DB) { db.Exec(usedHere) }
        ''')
    got = [(q.line, q.scope, q.call, q.raw) for q in result.queries]
    assert got == [
        (12, "ping", "db.Exec", "SELECT 1 FROM dual"),
        (5, "queries", "const", "SELECT id, status FROM orders WHERE id = ?"),
        (10, "queries", "const", "DELETE FROM sessions WHERE expires_at < NOW()"),
    ]


def test_package_constants_of_other_files(tmp_path: Path) -> None:
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "queries.go").write_text(textwrap.dedent("""\
        package store

        const (
            itemsByOrder = "SELECT sku, qty FROM order_items WHERE order_id = ?"
            allOrders    = "SELECT * FROM orders"
        )
        """))
    (tmp_path / "store" / "store.go").write_text(textwrap.dedent("""\
        package store

        func (s *Store) Items(ids []int64) {
            for _, id := range ids {
                s.db.Query(itemsByOrder, id)
            }
            s.db.Query(allOrders + " WHERE status = ?", "PAID")
        }
        """))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "other.go").write_text('package other\nfunc f(db *sql.DB) { db.Query(allOrders) }\n')
    result = run(["."], Config(root=tmp_path), tmp_path, jobs=1, keep_parsed=True)
    assert [(f.path, f.rule, f.line) for f in result.findings] == [
        ("store/queries.go", "S011", 5),  # checked once, where it is defined
        ("store/store.go", "M002", 5),   # run in a loop in another file of the package
        ("store/store.go", "S011", 7),   # new SQL built from it: checked where it is built
    ]
    runs = [(p.query.line, p.query.resolved_from) for p in result.parsed if p.query.path == "store/store.go"]
    assert runs == [(5, "store|itemsByOrder"), (7, None)]


def test_scopes_and_loops() -> None:
    result = extract('''\
        package store

        func (s Store) Items(orders []Order) {
            for _, o := range orders {
                s.db.Select(&o.Items, "SELECT sku FROM order_items WHERE order_id = ?", o.ID)
            }
            for i := 0; i < 3; i++ {
                for more() {
                    s.db.Exec("DELETE FROM t WHERE id = ?", i)
                }
            }
            go func() { s.db.Exec("DELETE FROM u") }()
        }

        func plain(db *sql.DB) { db.Exec("DELETE FROM v WHERE id = 1") }
        ''')
    got = [(q.line, q.scope, q.loop_depth, q.loop_line) for q in result.queries]
    assert got == [(5, "Store.Items", 1, 4), (9, "Store.Items", 2, 8), (12, "Store.Items", 0, None), (15, "plain", 0, None)]


def test_a_statement_prepared_once_and_run_in_a_loop() -> None:
    result = extract('''\
        package store

        func Save(db *sql.DB, rows []Row) error {
            stmt, err := db.Prepare("INSERT INTO log (a, b) VALUES (?, ?)")
            if err != nil {
                return err
            }
            for _, r := range rows {
                if _, err := stmt.Exec(r.A, r.B); err != nil {
                    return err
                }
            }
            one, _ := db.PrepareContext(ctx, "SELECT a FROM t WHERE id = ?")
            one.QueryRow(1)
            return nil
        }
        ''')
    assert [(q.line, q.loop_depth, q.loop_line) for q in result.queries] == [(4, 1, 8), (13, 0, None)]


def test_helpers_called_in_a_loop_are_n_plus_one(tmp_path: Path) -> None:
    result = check_snippet(tmp_path, '''\
        package store

        func (s *Store) OrdersWithItems(ctx context.Context, ids []int64) {
            for _, id := range ids {
                s.loadItems(ctx, id)
                audit(s.db, id)
            }
            s.loadItems(ctx, 0)
        }

        func (s *Store) loadItems(ctx context.Context, id int64) {
            s.db.QueryContext(ctx, "SELECT sku FROM order_items WHERE order_id = ?", id)
        }

        func audit(db *sql.DB, id int64) {
            db.Exec("INSERT INTO audit (order_id) VALUES (?)", id)
        }
        ''', language="go", name="store")
    assert [(f.rule, f.line, f.scope, f.message) for f in result.findings] == [
        ("M002", 5, "(*Store).OrdersWithItems",
         "`s.loadItems → s.db.QueryContext` (a SELECT on line 12) runs once per iteration of the loop on "
         "line 4 (N+1 queries)"),
        ("M002", 6, "(*Store).OrdersWithItems",
         "`audit → db.Exec` (an INSERT on line 16) runs once per iteration of the loop on line 4"),
    ]


def test_a_projects_own_db_helpers_are_db_calls() -> None:
    result = extract('''\
        package store

        func (r *Repo) Touch(ctx context.Context, ids []int64) {
            for _, id := range ids {
                r.exec(ctx, "UPDATE orders SET seen = 1 WHERE id = ?", id)
            }
            dbutil.QueryRows(ctx, r.db, "SELECT id FROM orders WHERE status = ?", "PAID")
            log.Printf("SELECT id FROM orders WHERE id = %d", 1)
        }

        func (r *Repo) exec(ctx context.Context, query string, args ...any) {
            r.db.ExecContext(ctx, query, args...)
        }
        ''')
    assert [(q.line, q.loop_depth, q.call, q.raw) for q in result.queries] == [
        (5, 1, "r.exec", "UPDATE orders SET seen = 1 WHERE id = ?"),
        (7, 0, "dbutil.QueryRows", "SELECT id FROM orders WHERE status = ?"),
    ]


def test_rules_and_suppressions_on_go(tmp_path: Path) -> None:
    result = check_snippet(tmp_path, '''\
        package store

        func Items(db *sql.DB, ids []int64, sort string) {
            for _, id := range ids {
                db.Query("SELECT sku FROM order_items WHERE order_id = ?", id)
            }
            db.Query("SELECT id FROM orders ORDER BY " + sort)
            // sqllint: ignore[S004]
            db.Exec("DELETE FROM sessions")
            db.Exec("DELETE FROM carts")
        }
        ''', language="go", name="store")
    assert [(f.rule, f.line, f.scope) for f in result.findings] == [
        ("M002", 5, "Items"), ("S003", 7, "Items"), ("S004", 10, "Items")]


def test_syntax_error_invalid_utf8_and_deep_input() -> None:
    result = extract('''\
        package store

        func good(db *sql.DB) { db.Exec("DELETE FROM a WHERE id = 1") }

        func broken(db *sql.DB {
            db.Exec("DELETE FROM b WHERE id = 2")
        }

        func alsoGood(db *sql.DB) { db.Exec("DELETE FROM c WHERE id = 3") }
        ''')
    assert [(p.code, p.line) for p in result.problems] == [("E002", 5)]
    assert result.problems[0].message.startswith("Go syntax error")
    raws = [q.raw for q in result.queries]
    assert "DELETE FROM a WHERE id = 1" in raws and "DELETE FROM c WHERE id = 3" in raws

    latin = b'package a\nfunc f(db *sql.DB) { db.Exec("UPDATE t SET name = \'caf\xe9\'") }\n'
    result = extract_source(latin, "a.go", "go", ExtractOptions())
    assert [p.code for p in result.problems] == ["E003"]
    assert [q.raw for q in result.queries] == ["UPDATE t SET name = 'caf\ufffd'"]

    terms = " + ".join(['"x"'] * 5000)
    deep = f'package a\nfunc f(db *sql.DB) {{ db.Exec("UPDATE t SET a = 1 WHERE b = " + {terms}) }}\n'.encode()
    result = extract_source(deep, "b.go", "go", ExtractOptions())
    assert result.problems == [] and result.queries[0].raw.endswith("x" * 5000)


def test_binary_go_file_is_skipped_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "bin.go").write_bytes(b"package a\x00\x01")
    (tmp_path / "ok.go").write_text('package a\nfunc f(db *sql.DB) { db.Exec("DELETE FROM t") }\n')
    report = run([str(tmp_path)], Config(root=tmp_path), tmp_path, jobs=1)
    assert sorted((Path(f.path).name, f.rule) for f in report.findings) == [("bin.go", "E003"), ("ok.go", "S004")]


def test_conditions_gathered_in_a_slice_and_joined_are_variants_not_splices(tmp_path: Path) -> None:
    # The commonest Go search endpoint: optional filters appended to a []string, joined with " AND ".
    code = '''\
        package store

        func (r *Repo) Search(kind string, minAge int) {
            var conds []string
            args := []any{}
            if kind != "" {
                conds = append(conds, "kind = ?")
                args = append(args, kind)
            }
            if minAge > 0 {
                conds = append(conds, "age >= ?")
            }
            where := ""
            if len(conds) > 0 {
                where = "WHERE " + strings.Join(conds, " AND ")
            }
            r.db.Query(fmt.Sprintf("SELECT id FROM pets %s ORDER BY id", where), args...)
            base := []string{"deleted = 0"}
            base = append(base, conds...)
            r.db.Query("SELECT id FROM pets WHERE " + strings.Join(base, " AND "))
        }
        '''
    result = extract(code)
    assert result.problems == []
    first = sorted(" ".join(q.raw.split()) for q in result.queries if q.line == 17)
    assert first == [
        "SELECT id FROM pets ORDER BY id",
        "SELECT id FROM pets WHERE age >= ? ORDER BY id",
        "SELECT id FROM pets WHERE kind = ? AND age >= ? ORDER BY id",
        "SELECT id FROM pets WHERE kind = ? ORDER BY id",
    ]
    second = sorted(q.raw for q in result.queries if q.line == 20)
    assert second[0] == "SELECT id FROM pets WHERE deleted = 0"
    assert "SELECT id FROM pets WHERE deleted = 0 AND kind = ? AND age >= ?" in second
    found = check_snippet(tmp_path, code, language="go", name="store").findings
    # No S003, no E004; with every filter absent the first reads the whole table (S016), as it does.
    assert [(f.rule, f.line, f.variant) for f in found] == [("S016", 17, "when kind, minAge are absent")]


def test_grouped_var_declarations_and_a_range_over_a_list_of_statements() -> None:
    result = extract('''\
        package store

        var (
            schema = []string{
                `CREATE TABLE IF NOT EXISTS kv (id INT AUTO_INCREMENT PRIMARY KEY, v MEDIUMBLOB)`,
                "CREATE INDEX kv_v ON kv (v(16))",
            }
            dropOld = "DROP TABLE IF EXISTS kv_old"
        )

        func Migrate(db *sql.DB) {
            for _, stmt := range schema {
                db.Exec(stmt)
            }
            db.Exec(dropOld)
            for i := range schema {
                db.Exec(schema[i])
            }
        }
        ''')
    assert result.problems == []
    assert sorted((q.line, q.raw) for q in result.queries) == [
        (13, "CREATE INDEX kv_v ON kv (v(16))"),
        (13, "CREATE TABLE IF NOT EXISTS kv (id INT AUTO_INCREMENT PRIMARY KEY, v MEDIUMBLOB)"),
        (15, "DROP TABLE IF EXISTS kv_old"),
    ]


def test_a_name_spliced_after_create_database_if_not_exists_is_an_identifier(tmp_path: Path) -> None:
    result = check_snippet(tmp_path, '''\
        package store

        func Create(db *sql.DB, name string) {
            db.Exec("CREATE DATABASE IF NOT EXISTS " + name)
            db.Exec("DROP TABLE IF EXISTS " + name)
        }
        ''', language="go", name="store")
    assert [(f.rule, f.line) for f in result.findings] == [("S003", 4), ("S003", 5)]
    assert all("names a table or column" in f.message for f in result.findings)


def test_hint_comments_between_keywords_and_escaped_names(tmp_path: Path) -> None:
    # gh-ost style: a tool comment after the verb, identifiers quoted by an escaping helper.
    result = check_snippet(tmp_path, '''\
        package store

        func (a *Applier) Swap(db *sql.DB, schema, table, old string) {
            sqlutils.ExecNoPrepare(db, fmt.Sprintf("drop /* tool */ table if exists %s.%s", sql.EscapeName(schema), sql.EscapeName(table)))
            sqlutils.ExecNoPrepare(db, fmt.Sprintf("rename /* tool */ table %s to %s", sql.EscapeName(table), sql.EscapeName(old)))
            sqlutils.ExecNoPrepare(db, fmt.Sprintf("alter /* tool */ table %s rename %s", table, old))
            sqlutils.ExecNoPrepare(db, "unlock /* tool */ tables")
        }
        ''', language="go", name="store")
    assert sorted(q.raw.split()[0] for q in extract(open(tmp_path / "store.go").read()).queries) == [
        "alter", "drop", "rename", "unlock"]
    assert [(f.rule, f.line, "names a table or column" in f.message or "name tables" in f.message)
            for f in result.findings] == [("S003", 6, True)]


def test_in_list_placeholders_made_filled_repeated_and_trimmed(tmp_path: Path) -> None:
    code = '''\
        package store

        func ByIDs(db *sql.DB, ids []int64, states []string) {
            marks := make([]string, len(ids))
            for i := range ids {
                marks[i] = "?"
            }
            db.Query(fmt.Sprintf("SELECT id FROM a WHERE id IN (%s)", strings.Join(marks, ",")), args...)
            in := strings.TrimSuffix(strings.Repeat("?,", len(states)), ",")
            db.Query("SELECT id FROM b WHERE state IN (" + in + ")")
            holder := strings.Repeat(",?", len(states))
            db.Query(fmt.Sprintf("SELECT id FROM c WHERE s IN (%s)", strings.TrimLeft(holder, ",")))
        }
        '''
    assert [q.raw for q in extract(code).queries] == [
        "SELECT id FROM a WHERE id IN (?,?,?)",
        "SELECT id FROM b WHERE state IN (?,?,?)",
        "SELECT id FROM c WHERE s IN (?,?,?)",
    ]
    assert check_snippet(tmp_path, code, language="go", name="store").findings == []


def test_a_wrapper_taking_a_transaction_and_a_label_before_the_sql() -> None:
    result = extract('''\
        package store

        func (a *Adapter) Count(ctx context.Context, tx *sql.Tx, id int64) {
            row := a.QueryRowContext(ctx, tx, "count_visits", "SELECT COUNT(*) FROM visits WHERE owner_id = ?", id)
            row.Scan(&n)
        }
        ''')
    assert [q.raw for q in result.queries] == ["SELECT COUNT(*) FROM visits WHERE owner_id = ?"]


def test_a_name_spliced_onto_a_prefix_is_an_identifier(tmp_path: Path) -> None:
    result = check_snippet(tmp_path, '''\
        package store

        func Rebuild(db *sql.DB, table string) {
            db.Exec(fmt.Sprintf("CREATE TABLE tmp_%s AS SELECT id, name FROM %s", table, table))
        }
        ''', language="go", name="store")
    assert [(f.rule, "names a table or column" in f.message) for f in result.findings] == [("S003", True)]


def test_a_name_exported_by_an_imported_package_is_not_a_request_value(tmp_path: Path) -> None:
    result = check_snippet(tmp_path, '''\
        package store

        import (
            "fmt"

            fl "github.com/acme/fleet/v4/server/fleet"
            "github.com/acme/app/v2/stats"
        )

        func Purge(db *sql.DB, stats Stats, kind string) {
            db.Exec(fmt.Sprintf("DELETE FROM agg WHERE type = '%s'", fl.TypeScheduled))
            db.Exec(fmt.Sprintf("DELETE FROM agg2 WHERE type = '%s'", stats.Kind))
            db.Exec(fmt.Sprintf("DELETE FROM agg3 WHERE type = '%s'", kind))
        }
        ''', language="go", name="store")
    # stats is a parameter hiding the imported package: its field is a value like kind
    assert [(f.rule, f.line) for f in result.findings] == [("S003", 12), ("S003", 13)]


def test_a_condition_slice_with_more_combinations_than_the_cap_says_so() -> None:
    filters = "\n".join(f'''            if f.K{k} != "" {{
                conds = append(conds, "c{k} = ?")
            }}''' for k in range(7))
    result = extract_source(textwrap.dedent(f'''\
        package store

        func Search(db *sql.DB, f Filter) {{
            var conds []string
{filters}
            db.Query("SELECT id FROM t WHERE " + strings.Join(append(conds, "1 = 1"), " AND "))
        }}
        ''').encode(), "store.go", "go", ExtractOptions(max_variants=8))
    assert len(result.queries) == 8
    assert [p.code for p in result.problems] == ["E022"]
