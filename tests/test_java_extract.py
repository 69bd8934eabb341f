"""Java extraction with tree-sitter: what SQL is found, where, with which scope, loop depth and variants."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sqllint.config import Config
from sqllint.engine import run
from sqllint.extract import ExtractOptions, FileExtraction, extract_source
from sqllint.records import PlaceholderStyle, Query
from tests.helpers import check_snippet


def extract(code: str, path: str = "Dao.java", options: ExtractOptions | None = None) -> FileExtraction:
    return extract_source(textwrap.dedent(code).encode(), path, "java", options or ExtractOptions())


def rows(queries: list[Query]) -> list[tuple[int, str | None, int, str | None, str, str | None]]:
    return [(q.line, q.scope, q.loop_depth, q.call, q.raw, q.variant.label if q.variant else None) for q in queries]


def test_mybatis_annotations_single_array_concatenation_text_block() -> None:
    result = extract('''\
        package com.acme.mapper;

        @Mapper
        public interface UserMapper {
            String COLUMNS = "id, name";

            @Select("SELECT " + COLUMNS + " FROM users WHERE id = #{id}")
            User byId(long id);

            @Select({"SELECT id", "FROM users", "WHERE email = #{email}"})
            User byEmail(String email);

            @Update("""
                UPDATE users
                   SET name = #{name}
                 WHERE id = #{id}
                """)
            int rename(long id, String name);

            @Delete(value = "DELETE FROM users WHERE id = #{id}")
            int remove(long id);
        }
        ''')
    assert result.problems == []
    ns = "com.acme.mapper.UserMapper"
    assert rows(result.queries) == [
        (7, f"{ns}.byId", 0, "@Select", "SELECT id, name FROM users WHERE id = #{id}", None),
        (10, f"{ns}.byEmail", 0, "@Select", "SELECT id FROM users WHERE email = #{email}", None),
        (13, f"{ns}.rename", 0, "@Update", "UPDATE users\nSET name = #{name}\nWHERE id = #{id}", None),
        (20, f"{ns}.remove", 0, "@Delete", "DELETE FROM users WHERE id = #{id}", None),
    ]
    assert result.queries[0].text == "SELECT id, name FROM users WHERE id = ?"
    assert [p.style for p in result.queries[0].placeholders] == [PlaceholderStyle.MYBATIS]


def test_script_annotation_is_expanded_into_variants() -> None:
    result = extract('''\
        package m;
        public interface OrderMapper {
            @Select({"<script>",
                     "SELECT id FROM orders",
                     "<where>",
                     "  <if test='status != null'>AND status = #{status}</if>",
                     "  <if test=\\"userId != null\\">AND user_id = #{userId}</if>",
                     "  <if test='ids != null and ids.size() > 0'>AND id IN",
                     "    <foreach collection='ids' item='i' open='(' separator=',' close=')'>#{i}</foreach>",
                     "  </if>",
                     "</where>",
                     "</script>"})
            List<Order> search(Query q);
        }
        ''')
    assert result.problems == []
    # (one line per array element, so a parse error can point at its element's line)
    assert [(" ".join(q.text.split()), q.variant.label if q.variant else None) for q in result.queries] == [
        ("SELECT id FROM orders", "when status, userId, ids are absent"),
        ("SELECT id FROM orders WHERE status = ? AND user_id = ? AND id IN (?,?,?)", "when status, userId, ids are present"),
        ("SELECT id FROM orders WHERE status = ?", "when userId, ids are absent; status is present"),
        ("SELECT id FROM orders WHERE user_id = ?", "when status, ids are absent; userId is present"),
        ("SELECT id FROM orders WHERE id IN (?,?,?)", "when status, userId are absent; ids is present"),
    ]
    assert {q.scope for q in result.queries} == {"m.OrderMapper.search"}


def test_malformed_script_and_provider_are_reported() -> None:
    result = extract('''\
        package m;
        public interface M {
            @Select("<script>SELECT id FROM t <if test='a'>WHERE a = 1</script>")
            List<Long> broken();

            @SelectProvider(type = P.class, method = "build")
            List<Long> provided();
        }
        ''')
    assert result.queries == []
    assert [(p.code, p.line) for p in result.problems] == [("E002", 3), ("E004", 6)]
    assert "m.M.broken" in result.problems[0].message and "XML syntax error" in result.problems[0].message
    assert result.problems[1].message == "@SelectProvider builds the SQL of m.M.provided in Java code at run time; it was not analysed"


def test_jdbc_spring_and_jpa_calls() -> None:
    result = extract('''\
        package com.acme;

        class Sql {
            static final String BY_ID = "SELECT name FROM users WHERE id = ?";
            static final String UNUSED = "SELECT id FROM audit_log WHERE created_at < ?";
        }

        public class Dao {
            private static final String TABLE = "users";

            String name(long id) throws SQLException {
                try (PreparedStatement ps = conn.prepareStatement(Sql.BY_ID)) {
                    try (ResultSet rs = ps.executeQuery()) { return rs.getString(1); }
                }
            }

            void write(JdbcTemplate jdbc, long id) {
                jdbc.update("UPDATE users SET seen = 1 WHERE id = ?", id);
                jdbc.batchUpdate("DELETE FROM sessions WHERE user_id = ?", args);
                named.queryForList("SELECT id FROM " + TABLE + " WHERE name = :name", params);
                em.createNativeQuery("SELECT id FROM users WHERE id = ?1");
                em.createQuery("SELECT u FROM User u WHERE u.id = :id");
                log.info("SELECT is slow");
            }
        }
        ''')
    assert result.problems == []
    assert rows(result.queries) == [
        (12, "Dao.name", 0, "conn.prepareStatement", "SELECT name FROM users WHERE id = ?", None),
        (18, "Dao.write", 0, "jdbc.update", "UPDATE users SET seen = 1 WHERE id = ?", None),
        (19, "Dao.write", 0, "jdbc.batchUpdate", "DELETE FROM sessions WHERE user_id = ?", None),
        (20, "Dao.write", 0, "named.queryForList", "SELECT id FROM users WHERE name = :name", None),
        (21, "Dao.write", 0, "em.createNativeQuery", "SELECT id FROM users WHERE id = ?1", None),
        (5, "Sql", 0, "constant", "SELECT id FROM audit_log WHERE created_at < ?", None),  # used nowhere in the file
    ]
    assert result.queries[3].placeholders[0].style == PlaceholderStyle.NAMED
    assert result.queries[4].text == "SELECT id FROM users WHERE id = ?"


def test_spring_data_query_annotations() -> None:
    jpa = extract('''\
        import org.springframework.data.jpa.repository.Query;
        interface UserRepository extends JpaRepository<User, Long> {
            @Query("SELECT u FROM User u WHERE u.email = :email")
            User byEmail(String email);
            @Query(value = "SELECT * FROM users WHERE email = :email", nativeQuery = true)
            User byEmailNative(String email);
        }
        ''')
    assert rows(jpa.queries) == [(5, "UserRepository.byEmailNative", 0, "@Query",
                                  "SELECT * FROM users WHERE email = :email", None)]
    jdbc = extract('''\
        import org.springframework.data.jdbc.repository.query.Query;
        interface OrderRepository extends CrudRepository<Order, Long> {
            @Query("SELECT id, status FROM orders WHERE user_id = :userId")
            List<Order> byUser(long userId);
        }
        ''')
    assert rows(jdbc.queries) == [(3, "OrderRepository.byUser", 0, "@Query",
                                   "SELECT id, status FROM orders WHERE user_id = :userId", None)]


def test_a_projects_own_db_helpers_are_db_calls() -> None:
    result = extract('''\
        class ReportService {
            private final BaseDao dao;
            void run(List<Long> ids) {
                for (Long id : ids) {
                    dao.queryForPage("SELECT id, total FROM orders WHERE user_id = ?", id);
                }
                executeSql("DELETE FROM report_cache");
                dao.save(new Report("SELECT is a word here"));
                log.info("SELECT id FROM orders WHERE id = ?");
            }
            private void executeSql(String sql) {
                jdbc.update(sql);
            }
        }
        ''')
    assert rows(result.queries) == [
        (5, "ReportService.run", 1, "dao.queryForPage", "SELECT id, total FROM orders WHERE user_id = ?", None),
        (7, "ReportService.run", 0, "executeSql", "DELETE FROM report_cache", None),
    ]


def test_string_builder_with_conditional_appends_gives_variants() -> None:
    result = extract('''\
        public class CouponDao {
            List<Coupon> search(String code, BigDecimal min, boolean active, int limit) {
                StringBuilder sql = new StringBuilder("SELECT id FROM coupons WHERE 1 = 1");
                if (code != null && !code.isBlank()) {
                    sql.append(" AND code LIKE ?");
                }
                if (min != null) sql.append(" AND discount >= ").append(min);
                if (!active) {
                    sql.append(" AND expired = 1");
                } else {
                    sql.append(" AND valid_until > NOW()");
                }
                sql.append(" LIMIT " + limit);
                return jdbc.query(sql.toString(), mapper);
            }
        }
        ''')
    got = [(q.raw, q.variant.label if q.variant else None) for q in result.queries]
    base = "SELECT id FROM coupons WHERE 1 = 1"
    assert got == [  # every combination (2 × 2 × 2 is under the cap), fewest parts present first
        (f"{base} AND expired = 1 LIMIT {{limit}}", "when code, min, active are absent"),
        (f"{base} AND valid_until > NOW() LIMIT {{limit}}", "when code, min are absent; active is present"),
        (f"{base} AND discount >= {{min}} AND expired = 1 LIMIT {{limit}}", "when code, active are absent; min is present"),
        (f"{base} AND code LIKE ? AND expired = 1 LIMIT {{limit}}", "when min, active are absent; code is present"),
        (f"{base} AND discount >= {{min}} AND valid_until > NOW() LIMIT {{limit}}",
         "when code is absent; min, active are present"),
        (f"{base} AND code LIKE ? AND valid_until > NOW() LIMIT {{limit}}", "when min is absent; code, active are present"),
        (f"{base} AND code LIKE ? AND discount >= {{min}} AND expired = 1 LIMIT {{limit}}",
         "when active is absent; code, min are present"),
        (f"{base} AND code LIKE ? AND discount >= {{min}} AND valid_until > NOW() LIMIT {{limit}}",
         "when code, min, active are present"),
    ]
    limit = result.queries[0].placeholders[-1]
    assert (limit.style, limit.name, limit.safe) == (PlaceholderStyle.CONCAT_HOLE, "limit", True)  # an int
    [min_hole] = [p for p in result.queries[2].placeholders if p.name == "min"]
    assert min_hole.safe  # BigDecimal


def test_optional_parts_are_named_after_what_the_condition_tests() -> None:
    result = extract('''\
        class Dao {
            void f(Dto dto, OrderQuery q, Map<String, Object> p, List<Long> ids, boolean onlyPaid) {
                StringBuilder sql = new StringBuilder("SELECT id FROM t WHERE 1 = 1");
                if (dto != null && StringUtils.isNotBlank(dto.keyword)) sql.append(" AND k LIKE ?");
                if (q.getStatus() != null) sql.append(" AND s = ?");
                if (!CollectionUtils.isEmpty(ids)) sql.append(" AND id IN (?)");
                if (p.get("userId") != null) sql.append(" AND u = ?");
                if (onlyPaid) sql.append(" AND paid = 1");
                if (q.from() == null) sql.append(" AND created_at > NOW() - INTERVAL 7 DAY");
                if (a != null && b > 0) sql.append(" AND ab = 1");
                jdbc.query(sql.toString(), mapper);
            }
        }
        ''', options=ExtractOptions(max_variants=2))
    variant = result.queries[0].variant
    assert variant is not None
    assert variant.parts == ("keyword", "status", "ids", "userId", "onlyPaid", "from", "a/b")
    assert variant.label == "when keyword, status, ids, userId, onlyPaid, from, a/b are absent"
    assert result.queries[0].raw.endswith("WHERE 1 = 1 AND created_at > NOW() - INTERVAL 7 DAY")  # `from == null`


def test_more_combinations_than_max_variants_are_capped_and_said() -> None:
    ifs = "\n".join(f'        if (f{i} != null) sql.append(" AND c{i} = ?");' for i in range(6))
    result = extract(f"""\
        class A {{
          void f() {{
            StringBuilder sql = new StringBuilder("SELECT id FROM t WHERE 1 = 1");
    {ifs}
            jdbc.query(sql.toString(), m);
          }}
        }}
        """, options=ExtractOptions(max_variants=8))
    assert len(result.queries) == 8
    assert result.queries[0].raw == "SELECT id FROM t WHERE 1 = 1"  # every part absent is always kept
    assert [(p.code, p.line, p.message) for p in result.problems] == [
        ("E022", 10, "the SQL run here in A.f is built in more ways than max-variants allows (8); "
                     "only 8 variants were checked")]


def test_concatenated_and_formatted_values() -> None:
    result = extract('''\
        class Reports {
            void run(String sort, int n, String table) {
                String sql = "SELECT id FROM users ORDER BY " + sort;
                jdbc.queryForList(sql);
                jdbc.queryForList(String.format("SELECT id FROM %s LIMIT %d", table, n));
                jdbc.queryForList("SELECT id FROM t WHERE a = %s".formatted(sort));
                jdbc.queryForList(MessageFormat.format("SELECT id FROM {0} WHERE b = {1}", table, n));
            }
        }
        ''')
    got = [(q.raw, [(p.style, p.name, p.safe, p.identifier) for p in q.placeholders]) for q in result.queries]
    assert got == [
        ("SELECT id FROM users ORDER BY {sort}", [(PlaceholderStyle.CONCAT_HOLE, "sort", False, True)]),
        ("SELECT id FROM {table} LIMIT {n}", [(PlaceholderStyle.FSTRING_HOLE, "table", False, True),
                                             (PlaceholderStyle.FSTRING_HOLE, "n", True, False)]),
        ("SELECT id FROM t WHERE a = {sort}", [(PlaceholderStyle.FSTRING_HOLE, "sort", False, False)]),
        ("SELECT id FROM {table} WHERE b = {n}", [(PlaceholderStyle.FSTRING_HOLE, "table", False, True),
                                                 (PlaceholderStyle.FSTRING_HOLE, "n", True, False)]),  # int n
    ]


def test_switch_expressions_qmark_lists_and_prepared_statements_run_in_a_loop() -> None:
    result = extract('''\
        class ClienteDao {
            void search(String tipo) {
                String col = switch (tipo) {
                    case "Email" -> "email";
                    default -> "nombre";
                };
                jdbc.queryForList("SELECT id FROM clientes ORDER BY " + col);
            }
            void deleteMany(List<Integer> ids) {
                String marks = String.join(",", ids.stream().map(i -> "?").toList());
                jdbc.update("DELETE FROM a WHERE id IN (" + marks + ")", ids.toArray());
                jdbc.update("DELETE FROM b WHERE id IN (" + String.join(", ", Collections.nCopies(ids.size(), "?")) + ")");
            }
            void update(List<Cliente> clientes) throws SQLException {
                try (PreparedStatement ps = conn.prepareStatement("UPDATE c SET n = ? WHERE id = ?")) {
                    for (Cliente cl : clientes) {
                        ps.setString(1, cl.getNombre());
                        ps.executeUpdate();
                    }
                }
                PreparedStatement batch = conn.prepareStatement("INSERT INTO d (a) VALUES (?)");
                for (String a : names) { batch.setString(1, a); batch.addBatch(); }
                batch.executeBatch();
            }
        }
        ''')
    got = [(q.line, q.loop_depth, q.loop_line, q.raw, [p.name for p in q.placeholders if p.interpolated])
           for q in result.queries]
    assert got == [
        (7, 0, None, "SELECT id FROM clientes ORDER BY email", []),
        (7, 0, None, "SELECT id FROM clientes ORDER BY nombre", []),
        (11, 0, None, "DELETE FROM a WHERE id IN (?, ?, ?)", []),
        (12, 0, None, "DELETE FROM b WHERE id IN (?, ?, ?)", []),
        (15, 1, 16, "UPDATE c SET n = ? WHERE id = ?", []),  # prepared once, executed per item
        (21, 0, None, "INSERT INTO d (a) VALUES (?)", []),  # batched: one round trip
    ]


def test_sql_built_by_a_helper_and_sql_returned_for_other_files() -> None:
    result = extract('''\
        class SearchDao {
            List<Order> search(OrderFilter f) {
                return jdbc.query(buildSql(f), mapper);
            }
            private String buildSql(OrderFilter f) {
                StringBuilder sql = new StringBuilder("SELECT id FROM orders WHERE 1 = 1");
                if (f.getStatus() != null) {
                    sql.append(" AND status = ?");
                }
                return sql.toString();
            }
        }
        class OrderSqlProvider {
            public String search(Map<String, Object> p) {
                String sql = "SELECT id, status FROM orders";
                if (p.get("userId") != null) {
                    sql += " WHERE user_id = #{userId}";
                }
                return sql;
            }
            public String greeting() { return "hello"; }
        }
        ''')
    assert rows(result.queries) == [
        (3, "SearchDao.search", 0, "jdbc.query", "SELECT id FROM orders WHERE 1 = 1", "when status is absent"),
        (3, "SearchDao.search", 0, "jdbc.query", "SELECT id FROM orders WHERE 1 = 1 AND status = ?",
         "when status is present"),
        (19, "OrderSqlProvider.search", 0, "return", "SELECT id, status FROM orders", "when userId is absent"),
        (19, "OrderSqlProvider.search", 0, "return", "SELECT id, status FROM orders WHERE user_id = #{userId}",
         "when userId is present"),
    ]


def test_scopes_loops_lambdas_overloads_nested_and_anonymous_classes() -> None:
    result = extract('''\
        public class Dao {
            void loops(List<Long> ids) {
                for (Long id : ids) {
                    jdbc.update("UPDATE a SET x = 1 WHERE id = ?", id);
                }
                for (int i = 0; i < 3; i++) {
                    while (more()) {
                        jdbc.update("UPDATE b SET x = 1 WHERE id = ?", i);
                    }
                }
                do { jdbc.update("DELETE FROM c WHERE id = ?", 1); } while (again());
                ids.forEach(id -> jdbc.update("UPDATE d SET x = 1 WHERE id = ?", id));
                ids.stream()
                   .map(id -> jdbc.queryForObject("SELECT x FROM e WHERE id = ?", Long.class, id))
                   .toList();
                Runnable later = () -> jdbc.update("DELETE FROM f");
            }
            void find(long id) { jdbc.queryForList("SELECT a FROM g WHERE id = ?", id); }
            void find(String name) { jdbc.queryForList("SELECT a FROM g WHERE name = ?", name); }
            static class Inner {
                void run() {
                    jdbc.query("SELECT a FROM h", new RowMapper<Long>() {
                        public Long mapRow(ResultSet rs, int n) {
                            return jdbc.queryForObject("SELECT b FROM i WHERE a = ?", Long.class, rs.getLong(1));
                        }
                    });
                }
            }
        }
        ''')
    got = [(q.line, q.scope, q.loop_depth, q.loop_line) for q in result.queries]
    assert got == [
        (4, "Dao.loops", 1, 3),
        (8, "Dao.loops", 2, 7),
        (11, "Dao.loops", 1, 11),
        (12, "Dao.loops", 1, 12),
        (14, "Dao.loops", 1, 13),
        (16, "Dao.loops", 0, None),
        (18, "Dao.find(long)", 0, None),
        (19, "Dao.find(String)", 0, None),
        (22, "Dao.Inner.run", 0, None),
        (24, "Dao.Inner.run.mapRow", 0, None),
    ]


def test_comment_suppressions_on_the_call_or_the_line_above(tmp_path: Path) -> None:
    result = check_snippet(tmp_path, '''\
        class Dao {
            void a() {
                // sqllint: ignore[S011]
                jdbc.queryForList("SELECT * FROM users");
                jdbc.queryForList("SELECT * FROM orders");  // sqllint: ignore[select-star]
                jdbc.queryForList("SELECT * FROM items");
            }
        }
        ''', language="java", name="Dao")
    assert [(f.rule, f.line) for f in result.findings] == [("S011", 6)]


def test_the_incident_in_jdbc_form_where_1_equals_1(tmp_path: Path) -> None:
    """``WHERE 1=1`` + optional appends is how Java builds filters: with no keyword the derived table
    restricts nothing, and S001 says so on that variant only."""
    result = check_snippet(tmp_path, '''\
        class OrderDao {
            List<Row> search(String keyword) {
                StringBuilder items = new StringBuilder("SELECT * FROM order_items WHERE 1=1");
                if (keyword != null && !keyword.isEmpty()) {
                    items.append(" AND product_name LIKE ?");
                }
                String sql = "SELECT o.id, oi.quantity FROM orders o JOIN (" + items + ") oi ON oi.order_id = o.id"
                        + " ORDER BY o.id DESC LIMIT 20";
                return jdbc.query(sql, mapper);
            }
        }
        ''', language="java", name="OrderDao")
    s001 = [(f.rule, f.line, f.variant) for f in result.findings if f.rule == "S001"]
    assert s001 == [("S001", 9, "when keyword is absent")]


def test_statement_rules_run_on_java_sql(tmp_path: Path) -> None:
    result = check_snippet(tmp_path, '''\
        class Dao {
            void purge(JdbcTemplate jdbc) {
                jdbc.update("DELETE FROM sessions");
            }
        }
        ''', language="java", name="Dao")
    assert [(f.rule, f.line, f.scope) for f in result.findings] == [("S004", 3, "Dao.purge")]


# --- bad input ------------------------------------------------------------------------------------

def test_syntax_error_is_reported_and_the_sound_parts_are_still_extracted() -> None:
    result = extract('''\
        public class Dao {
            void good() {
                jdbc.update("DELETE FROM a WHERE id = ?", 1);
            }
            void broken( {
                jdbc.update("DELETE FROM b WHERE id = ?", 2);
            }
            void alsoGood() {
                jdbc.update("DELETE FROM c WHERE id = ?", 3);
            }
        }
        ''')
    assert [(p.code, p.line) for p in result.problems] == [("E002", 5)]
    assert result.problems[0].message.startswith("Java syntax error (")
    assert result.problems[0].message.endswith("SQL in the damaged parts of the file was not extracted, the rest was")
    raws = [q.raw for q in result.queries]
    assert "DELETE FROM a WHERE id = ?" in raws and "DELETE FROM c WHERE id = ?" in raws


def test_invalid_utf8_binary_huge_and_deep_input(tmp_path: Path) -> None:
    latin = b'class A { void f() { jdbc.update("UPDATE t SET name = \'caf\xe9\' WHERE id = ?", 1); } }'
    result = extract_source(latin, "A.java", "java", ExtractOptions())
    assert [p.code for p in result.problems] == ["E003"]
    assert [q.raw for q in result.queries] == ["UPDATE t SET name = 'caf\ufffd' WHERE id = ?"]

    terms = " + ".join(['"x"'] * 5000)
    deep = f'class B {{ void f() {{ jdbc.update("UPDATE t SET a = 1 WHERE b = " + {terms}); }} }}'.encode()
    result = extract_source(deep, "B.java", "java", ExtractOptions())
    assert result.problems == [] and len(result.queries) == 1 and result.queries[0].raw.endswith("x" * 5000)

    (tmp_path / "Bin.java").write_bytes(b"\x00\x01class")
    (tmp_path / "Huge.java").write_text("class H {}\n" + "// padding\n" * 200_000)
    (tmp_path / "Ok.java").write_text('class Ok { void f() { jdbc.update("DELETE FROM t"); } }')
    report = run([str(tmp_path)], Config(root=tmp_path, max_file_size=1_000_000), tmp_path, jobs=1)
    assert sorted((Path(f.path).name, f.rule) for f in report.findings) == [
        ("Bin.java", "E003"), ("Huge.java", "E003"), ("Ok.java", "S004")]


def test_an_extractor_bug_costs_one_file_not_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqllint.extract import javawalk

    def broken(self: object, node: object, env: object) -> None:
        raise KeyError("boom")

    monkeypatch.setattr(javawalk.MethodWalker, "walk_block", broken)
    (tmp_path / "A.java").write_text('class A { void f() { jdbc.update("DELETE FROM t"); } }')
    (tmp_path / "b.sql").write_text("DELETE FROM t;\n")
    report = run([str(tmp_path)], Config(root=tmp_path), tmp_path, jobs=1)
    assert [(Path(f.path).name, f.rule, f.message) for f in report.findings] == [
        ("A.java", "E005", "the Java extractor failed on this file (KeyError: 'boom'); its SQL was not checked"),
        ("b.sql", "S004", "DELETE without WHERE affects every row of t"),
    ]


def test_an_arm_sees_only_the_texts_its_test_allows() -> None:
    # A count query and a page query from one builder: `if (isCount) main = "SELECT COUNT…"`, then
    # `if (!isCount) run(page) else run(count)`: each call runs only its own text.
    result = extract("""
        class CarRepo {
            Query build(boolean isCount, String color) {
                String main = "SELECT * FROM car c WHERE 1=1";
                if (isCount) {
                    main = "SELECT COUNT(c.id) FROM car c WHERE 1=1";
                }
                StringBuilder sql = new StringBuilder(main);
                if (color != null) {
                    sql.append(" AND c.color = :color");
                }
                if (!isCount) {
                    return em.createNativeQuery(sql.toString(), Car.class);
                } else {
                    return em.createNativeQuery(sql.toString());
                }
            }
        }""")
    texts = {(q.line, q.text) for q in result.queries}
    assert {line for line, _ in texts} == {13, 15}
    assert all("COUNT" not in text for line, text in texts if line == 13)
    assert all("COUNT" in text for line, text in texts if line == 15)


def test_a_builder_built_in_one_chained_expression_is_followed() -> None:
    result = extract("""
        class Repo {
            List<Row> page(Pageable pageable) {
                StringBuilder sql = new StringBuilder("SELECT id FROM tx WHERE 1=1 ")
                        .append("LIMIT ").append(10).append(" OFFSET ").append(offset);
                return em.createNativeQuery(sql.toString()).getResultList();
            }
        }""")
    [query] = result.queries
    assert query.raw == "SELECT id FROM tx WHERE 1=1 LIMIT 10 OFFSET {offset}"


def test_a_native_query_count_query_is_checked_too() -> None:
    result = extract("""
        public interface QuestionRepository extends JpaRepository<Question, Long> {
            @Query(value = "select * from question q where q.title like concat('%', :title, '%')",
                   countQuery = "select count(*) from question q where q.title like concat('%', :title, '%')",
                   nativeQuery = true)
            Page<Question> search(Pageable pageable, @Param("title") String title);
        }""")
    assert [(q.line, q.call, q.raw.split()[1]) for q in result.queries] == [
        (3, "@Query", "*"), (4, "@Query countQuery", "count(*)")]


def test_overloaded_annotated_mapper_methods_are_one_statement_id_twice() -> None:
    result = extract("""
        public interface UserMapper {
            @Select("SELECT id FROM users WHERE id = #{id}")
            User find(long id);

            @Select("SELECT id FROM users WHERE email = #{email}")
            User find(String email);
        }""", "UserMapper.java")
    assert [(p.code, p.line) for p in result.problems] == [("E023", 6)]


def test_a_parse_error_inside_a_script_annotation_points_at_its_element_or_text_block_line(tmp_path: Path) -> None:
    code = '''\
        package x;
        public interface N {
            @Select({"<script>",
                     "SELECT id FROM orders",
                     "WHERE id = #{id}",
                     "AND AND x = 1",
                     "</script>"})
            Long one(long id);

            @Select("""
                    <script>
                    SELECT id FROM orders
                    WHERE id = #{id}
                      AND = 2
                    </script>
                    """)
            Long two(long id);

            @Select({"<script>SELECT id FROM t", "<if test='a'>WHERE a = 1</script>"})
            List<Long> broken();
        }
        '''
    result = check_snippet(tmp_path, textwrap.dedent(code), language="java", name="N")
    assert sorted((f.rule, f.line) for f in result.findings if f.rule in ("E001", "E002")) == [
        ("E001", 6), ("E001", 14), ("E002", 19)]  # the XML error: the element where the parser stopped
