"""MyBatis dynamic SQL: each element's semantics and the variants a statement expands to (exact SQL)."""

from __future__ import annotations

import pytest

from sqllint.extract import ExtractOptions
from sqllint.extract.dynsql import expand
from sqllint.extract.mybatis_queries import extract_mybatis
from sqllint.extract.ognl import test_label as label_of
from sqllint.records import PlaceholderStyle

HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<mapper namespace="com.example.M">\n'


def variants(statement: str, cap: int = 32, fragments: str = "") -> list[tuple[str | None, str]]:
    """(label, SQL text as sqlglot gets it) for each variant of the one statement in ``statement``."""
    data = (HEAD + fragments + statement + "\n</mapper>\n").encode()
    result = extract_mybatis(data, "M.xml", ExtractOptions(max_variants=cap))
    assert not [p for p in result.problems if p.code != "E022"], result.problems
    return [(q.variant.label if q.variant else None, q.text) for q in result.queries]


def test_static_statement_has_one_unlabelled_variant() -> None:
    assert variants('<select id="a">SELECT id FROM t\n   WHERE id = #{id}</select>') == [
        (None, "SELECT id FROM t\nWHERE id = ?")]


def test_if_gives_all_off_all_on_and_each_alone() -> None:
    found = variants("""
      <select id="a">SELECT id FROM t WHERE 1 = 1
        <if test="kw != null and kw != ''">AND name LIKE #{kw}</if>
        <if test="status != null">AND status = #{status}</if>
      </select>""")
    assert found == [
        ("when kw, status are absent", "SELECT id FROM t WHERE 1 = 1"),
        ("when kw, status are present", "SELECT id FROM t WHERE 1 = 1\nAND name LIKE ? AND status = ?"),
        ("when status is absent; kw is present", "SELECT id FROM t WHERE 1 = 1\nAND name LIKE ?"),
        ("when kw is absent; status is present", "SELECT id FROM t WHERE 1 = 1\nAND status = ?"),
    ]


def test_where_drops_the_leading_and_or_case_insensitively_and_disappears_when_empty() -> None:
    found = variants("""
      <select id="a">SELECT id FROM t
        <where>
          <if test="a != null">and a = #{a}</if>
          <if test="b != null">OR b = #{b}</if>
        </where>
      </select>""")
    assert [text for _label, text in found] == [
        "SELECT id FROM t",
        "SELECT id FROM t\nWHERE a = ? OR b = ?",
        "SELECT id FROM t\nWHERE a = ?",
        "SELECT id FROM t\nWHERE b = ?",
    ]


def test_where_keeps_a_column_that_merely_starts_with_and() -> None:
    [(_, text)] = variants('<select id="a">SELECT id FROM t <where>android_id = #{x}</where></select>')
    assert text == "SELECT id FROM t WHERE android_id = ?"


def test_set_drops_the_trailing_comma() -> None:
    found = variants("""
      <update id="u">UPDATE t
        <set>
          <if test="name != null">name = #{name},</if>
          <if test="email != null">email = #{email},</if>
        </set>
        WHERE id = #{id}
      </update>""")
    # The variant with every field absent (UPDATE t WHERE …) fails in MyBatis itself: not checked.
    assert found == [
        ("when name, email are present", "UPDATE t\nSET name = ?, email = ?\nWHERE id = ?"),
        ("when email is absent; name is present", "UPDATE t\nSET name = ?\nWHERE id = ?"),
        ("when name is absent; email is present", "UPDATE t\nSET email = ?\nWHERE id = ?"),
    ]


def test_trim_with_prefix_suffix_and_overrides() -> None:
    found = variants("""
      <insert id="i">INSERT INTO t
        <trim prefix="(" suffix=")" suffixOverrides=",">
          id,
          <if test="name != null">name,</if>
        </trim>
        <trim prefix="VALUES (" suffix=")" suffixOverrides=",">
          #{id},
          <if test="name != null">#{name},</if>
        </trim>
      </insert>""")
    assert [text for _label, text in found] == [
        "INSERT INTO t\n( id ) VALUES ( ? )",
        "INSERT INTO t\n( id,\nname ) VALUES ( ?,\n? )",
    ]


def test_trim_prefix_overrides_are_matched_in_upper_case_with_their_spaces() -> None:
    [_, (_, on)] = variants("""
      <select id="a">SELECT id FROM t
        <trim prefix="WHERE" prefixOverrides="AND |OR ">
          <if test="a != null">or a = #{a}</if>
        </trim>
      </select>""")
    assert on == "SELECT id FROM t\nWHERE a = ?"


def test_choose_takes_otherwise_when_all_absent_and_each_when_alone() -> None:
    found = variants("""
      <select id="a">SELECT id FROM t WHERE
        <choose>
          <when test="id != null">id = #{id}</when>
          <when test="email != null">email = #{email}</when>
          <otherwise>status = 1</otherwise>
        </choose>
      </select>""")
    assert found == [
        ("when id, email are absent", "SELECT id FROM t WHERE\nstatus = 1"),
        ("when id, email are present", "SELECT id FROM t WHERE\nid = ?"),
        ("when id is absent; email is present", "SELECT id FROM t WHERE\nemail = ?"),
    ]  # "id alone" builds the same text as every part present, so it is not repeated


def test_foreach_expands_to_an_in_list_of_named_placeholders() -> None:
    data = (HEAD + """<select id="a">SELECT id FROM t WHERE id IN
        <foreach collection="ids" item="id" index="i" open="(" separator="," close=")">#{id}</foreach>
        </select></mapper>""").encode()
    [query] = extract_mybatis(data, "M.xml", ExtractOptions()).queries
    assert query.text == "SELECT id FROM t WHERE id IN\n(?,?,?)"
    assert [p.name for p in query.placeholders] == ["ids[0]", "ids[1]", "ids[2]"]


def test_foreach_of_rows_with_properties() -> None:
    [(_, text)] = variants("""<insert id="i">INSERT INTO t (a, b) VALUES
        <foreach collection="rows" item="row" separator=",">(#{row.a}, #{row.b, jdbcType=VARCHAR})</foreach>
        </insert>""")
    assert text == "INSERT INTO t (a, b) VALUES\n(?, ?),(?, ?),(?, ?)"


def test_nested_if_is_only_on_when_its_parent_is() -> None:
    found = variants("""
      <select id="a">SELECT id FROM t
        <where>
          <if test="filter != null">
            AND kind = #{filter.kind}
            <if test="filter.name != null">AND name = #{filter.name}</if>
          </if>
        </where>
      </select>""")
    assert found == [
        ("when filter, name are absent", "SELECT id FROM t"),
        ("when filter, name are present", "SELECT id FROM t\nWHERE kind = ?\nAND name = ?"),
        ("when name is absent; filter is present", "SELECT id FROM t\nWHERE kind = ?"),
        # "name alone" needs its parent on: the same text as all-on, so it is not repeated
    ]


def test_tests_of_one_parameter_switch_together_with_their_polarity() -> None:
    found = variants("""
      <select id="a">SELECT id FROM t WHERE 1 = 1
        <if test="deleted == null">AND deleted_at IS NULL</if>
        <if test="deleted != null">AND deleted_at IS NOT NULL</if>
      </select>""")
    assert found == [
        ("when deleted is absent", "SELECT id FROM t WHERE 1 = 1\nAND deleted_at IS NULL"),
        ("when deleted is present", "SELECT id FROM t WHERE 1 = 1\nAND deleted_at IS NOT NULL"),
    ]


def test_bind_adds_no_text_and_its_string_building_is_spelled_out_where_used() -> None:
    [(_, text)] = variants("""<select id="a"><bind name="pattern" value="'%' + kw + '%'"/>
        <bind name="opaque" value="@com.x.Util@pattern(kw)"/>
        SELECT id FROM t WHERE name LIKE #{pattern} OR note LIKE #{opaque}</select>""")
    assert text == "SELECT id FROM t WHERE name LIKE CONCAT('%', ?, '%') OR note LIKE ?"


def test_cdata_and_entities() -> None:
    [(_, text)] = variants("""<select id="a">SELECT id FROM t WHERE a &lt;= #{a} AND b &gt; 1
        AND c <![CDATA[ < ]]> #{c} AND d = '&amp;'</select>""")
    assert text == "SELECT id FROM t WHERE a <= ? AND b > 1\nAND c < ? AND d = '&'"


def test_comments_inside_a_statement_separate_the_text_like_mybatis() -> None:
    [(_, text)] = variants('<select id="a">SELECT id<!-- the key -->FROM t</select>')
    assert text == "SELECT id FROM t"


def test_placeholders_are_remembered_by_name() -> None:
    data = (HEAD + """<select id="a">SELECT id FROM t WHERE a = #{a, jdbcType=VARCHAR}
        AND b = #{ user.id } ORDER BY ${sort}</select></mapper>""").encode()
    [query] = extract_mybatis(data, "M.xml", ExtractOptions()).queries
    assert [(p.style, p.name) for p in query.placeholders] == [
        (PlaceholderStyle.MYBATIS, "a"), (PlaceholderStyle.MYBATIS, "user.id"), (PlaceholderStyle.MYBATIS_RAW, "sort")]
    assert query.placeholders[2].identifier


def test_interpolation_inside_a_literal_is_still_interpolation() -> None:
    data = (HEAD + """<select id="a">SELECT id FROM t WHERE name LIKE '%${kw}%'</select></mapper>""").encode()
    [query] = extract_mybatis(data, "M.xml", ExtractOptions()).queries
    assert query.raw == "SELECT id FROM t WHERE name LIKE '%${kw}%'"
    assert [(p.style, p.name) for p in query.placeholders] == [(PlaceholderStyle.MYBATIS_RAW, "kw")]


def test_cap_keeps_all_off_all_on_then_parts_in_order() -> None:
    ifs = "".join(f'<if test="p{i} != null">AND c{i} = #{{p{i}}}</if>' for i in range(6))
    found = variants(f'<select id="a">SELECT id FROM t <where>{ifs}</where></select>', cap=4)
    assert [label for label, _text in found] == [
        "when p0, p1, p2, p3, p4, p5 are absent",
        "when p0, p1, p2, p3, p4, p5 are present",
        "when p1, p2, p3, p4, p5 are absent; p0 is present",
        "when p0, p2, p3, p4, p5 are absent; p1 is present",
    ]
    data = (HEAD + f'<select id="a">SELECT id FROM t <where>{ifs}</where></select></mapper>').encode()
    [problem] = extract_mybatis(data, "M.xml", ExtractOptions(max_variants=4)).problems
    assert problem.code == "E022" and problem.line == 3
    assert "com.example.M.a has 6 optional parts; only the first 4 variants were checked (max-variants = 4)" \
        == problem.message


def test_cap_is_not_reported_when_the_remaining_variants_repeat_a_text() -> None:
    found = variants("""<select id="a">SELECT id FROM t WHERE 1 = 1
        <if test="a != null">AND a = #{a}</if></select>""", cap=2)
    assert len(found) == 2  # all-off, all-on; "a alone" is all-on again: nothing was left out


@pytest.mark.parametrize(("test", "expected"), [
    ("keyword != null and keyword != ''", ("keyword", True)),
    ("keyword != null &amp;&amp; keyword != ''", ("keyword", True)),
    ("null != userId", ("userId", True)),
    ("status == null", ("status", False)),
    ("!onlyActive", ("onlyActive", False)),
    ("onlyActive", ("onlyActive", True)),
    ("ids != null and ids.size() > 0", ("ids", True)),
    ("list.size gt 0", ("list", True)),
    ("!tags.isEmpty()", ("tags", True)),
    ("@org.apache.commons.lang3.StringUtils@isNotBlank(query.name)", ("query.name", True)),
    ("query.startDate neq null", ("query.startDate", True)),
    ("includeDeleted == false", ("includeDeleted", False)),
    ("from != null", ("from", True)),
    ("a != null and b != null", ("a/b", True)),
    ("query != null and query.keyword != null and query.keyword != ''", ("query.keyword", True)),
    ("type == 'A'", ("type == 'A'", True)),
    ("a != null or b == null", ("a != null or b == null", True)),
])
def test_test_expressions_are_named_by_their_parameter(test: str, expected: tuple[str, bool]) -> None:
    import html

    assert label_of(html.unescape(test)) == expected


def test_python_variant_cap_is_reported_too(tmp_path: object) -> None:
    from pathlib import Path

    from sqllint.config import Config
    from sqllint.engine import run

    root = Path(str(tmp_path))
    branches = "".join(f"    if p{i}:\n        sql += ' AND c{i} = %s'\n" for i in range(6))
    (root / "search.py").write_text(f"def search(cur, **p):\n    sql = 'SELECT id FROM t WHERE 1 = 1'\n{branches}"
                                    "    cur.execute(sql)\n")
    found = [f for f in run(["."], Config(root=root, max_variants=8), root, jobs=1).findings if f.rule == "E022"]
    assert [(f.line, f.message) for f in found] == [
        (15, "the SQL run here in search is built in more ways than max-variants allows (8); "
             "only 8 variants were checked")]


def test_the_fast_normalisation_matches_the_general_one_on_every_fixture_variant() -> None:
    from pathlib import Path

    from sqllint.extract.dynsql_includes import resolve_includes
    from sqllint.extract.mybatis import parse_mapper
    from sqllint.extract.mybatis_text import VariantText, _interpolations_as_holes
    from sqllint.extract.placeholders import normalise

    mappers = [parse_mapper(path.read_bytes(), path.name) for path in
               sorted((Path(__file__).parent.parent / "fixtures/mall/src/main/resources/mapper").glob("*.xml"))]
    fragments = {key: fragment for mapper in mappers if mapper for key, fragment in mapper.fragments}
    simple = 0
    for mapper in mappers:
        assert mapper is not None
        for statement in mapper.statements:
            body = resolve_includes(statement.body, statement.namespace, fragments)
            to_sql = VariantText(body)
            simple += to_sql.simple
            for _variant, raw in expand(body, 32).variants:
                assert to_sql(raw) == normalise(*_interpolations_as_holes(raw)), raw
    assert simple >= 25  # only the statements with ${} (and fragments using ${alias}) take the general path


@pytest.mark.parametrize(("text", "self_contained"), [
    ("a = '#{x}", False), ("-- #{x}", False), ("/* open", False), ("b = ?", False), ("${z}", False),
    ("x = :name", False), ("c LIKE '%' #{y}", True), ("x = #{a} -- note\n", True), ("d = 'it''s' AND e = #{e}", True),
])
def test_only_self_contained_texts_take_the_fast_path(text: str, self_contained: bool) -> None:
    from sqllint.extract.mybatis_text import _self_contained

    assert _self_contained(text) is self_contained


def test_an_empty_or_group_keeps_the_no_filter_variant() -> None:
    found = variants("""
      <select id="a">SELECT id FROM t
        <where>
          <trim prefix="(" suffix=")" prefixOverrides="OR">
            <if test="a != null">OR a = #{a}</if>
            <if test="b != null">OR b = #{b}</if>
          </trim>
        </where>
      </select>""")
    assert [text for _label, text in found] == [
        "SELECT id FROM t", "SELECT id FROM t\nWHERE ( a = ? OR b = ? )",
        "SELECT id FROM t\nWHERE ( a = ? )", "SELECT id FROM t\nWHERE ( b = ? )"]


def test_parameter_paths_are_shortened_only_while_they_stay_distinct() -> None:
    found = variants("""
      <select id="a">SELECT id FROM t
        <where>
          <if test="q.name != null">AND name = #{q.name}</if>
          <if test="q.owner.name != null">AND owner_name = #{q.owner.name}</if>
          <if test="q.status != null">AND status = #{q.status}</if>
        </where>
      </select>""")
    assert found[0][0] == "when q.name, owner.name, status are absent"


def test_tests_of_literals_only_are_no_optional_part() -> None:
    found = variants("""
      <select id="a">SELECT id FROM t WHERE 1 = 1
        <if test="true">AND a = 1</if><if test="1 == 2">AND b = 2</if>
        <choose><when test="false">AND c = 3</when><otherwise>AND d = 4</otherwise></choose>
        <if test="x != null">AND x = #{x}</if>
      </select>""")
    assert found == [
        ("when x is absent", "SELECT id FROM t WHERE 1 = 1\nAND a = 1 AND d = 4"),
        ("when x is present", "SELECT id FROM t WHERE 1 = 1\nAND a = 1 AND d = 4 AND x = ?"),
    ]


def test_foreach_without_separator_keeps_items_apart() -> None:
    # The batch-update idiom (CASE id <foreach>WHEN … THEN …</foreach> END) and MyBatis Generator's
    # criteria loop: MyBatis joins items with a space, so "THEN 2" and the next "WHEN" stay two words.
    [(_, text)] = variants("""<update id="u">UPDATE t SET status = CASE id
        <foreach collection="list" item="item">WHEN #{item.id} THEN 2</foreach>
        END WHERE id IN <foreach collection="list" item="item" open="(" separator="," close=")">#{item.id}</foreach>
        </update>""")
    assert text == "UPDATE t SET status = CASE id\nWHEN ? THEN 2 WHEN ? THEN 2 WHEN ? THEN 2\nEND WHERE id IN (?,?,?)"
    [(_, loop)] = variants("""<select id="s">SELECT id FROM t WHERE
        <foreach collection="conds" item="c">and x = #{c}</foreach></select>""")
    assert "? and x = ? and" in loop


def test_when_outside_choose_is_an_if() -> None:
    # MyBatis registers <when> with the same handler as <if>; mappers in the wild use it on its own.
    found = variants("""<select id="a">select id from t where 1=1
        <when test='title!=null'>AND title = #{title}</when>
        <when test='status!=null'>AND status = #{status}</when>
        order by ctime desc</select>""")
    assert found[:2] == [
        ("when title, status are absent", "select id from t where 1=1\norder by ctime desc"),
        ("when title, status are present", "select id from t where 1=1\nAND title = ? AND status = ?\norder by ctime desc"),
    ]


def test_mutually_exclusive_tests_over_two_parameters_are_never_on_together() -> None:
    # JeecgBoot's updateUserDepart: three <if>s, one per combination of two parameters. Switching all
    # three on built "SET org_code = ?, login_tenant_id = ? login_tenant_id = ? org_code = ?".
    found = variants("""<update id="u">UPDATE sys_user SET
        <if test="orgCode!=null and tenantId!=null">org_code = #{orgCode}, tenant_id = #{tenantId}</if>
        <if test="orgCode==null and tenantId!=null">tenant_id = #{tenantId}</if>
        <if test="orgCode!=null and tenantId==null">org_code = #{orgCode}</if>
        WHERE username = #{username}</update>""")
    assert found == [
        ("when orgCode, tenantId are present", "UPDATE sys_user SET\norg_code = ?, tenant_id = ?\nWHERE username = ?"),
        ("when tenantId is absent; orgCode is present", "UPDATE sys_user SET\norg_code = ?\nWHERE username = ?"),
        ("when orgCode is absent; tenantId is present", "UPDATE sys_user SET\ntenant_id = ?\nWHERE username = ?"),
    ]  # every part absent leaves "SET WHERE": MyBatis would send broken SQL, so no caller does that


def test_a_statement_whose_only_variant_dangles_is_still_checked() -> None:
    [(_, text)] = variants('<update id="u">UPDATE t SET WHERE id = #{id}</update>')
    assert text == "UPDATE t SET WHERE id = ?"


def test_an_update_whose_whole_set_clause_is_optional_has_no_empty_variant() -> None:
    found = variants("""<update id="u">UPDATE sys_user
        <if test="fieldName == 'email'">SET email = NULL WHERE email = ''</if></update>""")
    assert [text for _, text in found] == ["UPDATE sys_user\nSET email = NULL WHERE email = ''"]


def test_foreach_open_and_close_words_stay_apart_from_the_items() -> None:
    # RuoYi's updateDeptChildren: open="case dept_id" close="end" around "when … then …" items.
    [(_, text)] = variants("""<update id="u">update sys_dept set ancestors =
        <foreach collection="depts" item="item" separator=" " open="case dept_id" close="end">
        when #{item.deptId} then #{item.ancestors}</foreach> where dept_id = 1</update>""")
    assert "case dept_id when ? then ? when ? then ? when ? then ? end where" in text


def test_string_methods_in_a_test_still_name_the_parameter() -> None:
    assert label_of("startTime != null and startTime.trim() != ''") == ("startTime", True)


def test_tests_of_a_foreach_item_make_variants_but_are_not_named_in_labels() -> None:
    # MyBatis Generator's criteria loop tests criterion.noValue / criterion.singleValue: properties of
    # each item, not parameters the caller passes.
    found = variants("""<select id="s">select id from t
        <if test="_parameter != null"><where><foreach collection="criteria" item="criterion">
          <choose>
            <when test="criterion.noValue">and ${criterion.condition}</when>
            <when test="criterion.singleValue">and ${criterion.condition} #{criterion.value}</when>
          </choose></foreach></where></if></select>""")
    assert [label for label, _ in found] == [
        "when _parameter is absent", "when _parameter is present", "when _parameter is present"]
    assert len({text for _, text in found}) == 3


def test_a_word_separator_is_spaced_as_mybatis_joins_it() -> None:
    # separator="or" between LIKE conditions (a department subtree filter) read "…,'%')ororg_code LIKE…"
    [(_, text)] = variants("""<select id="s">select id from dept where del_flag = '0' and
        <foreach collection="codes" item="code" open="(" separator="or" close=")">
          code LIKE CONCAT(#{code},'%')</foreach></select>""")
    assert "CONCAT(?,'%') or code LIKE CONCAT(?,'%') or code" in text
    [(_, union)] = variants("""<select id="u"><foreach collection="ids" item="i" separator="UNION ALL">
        select #{i} as id</foreach></select>""")
    assert union.count(" UNION ALL select") == 2


def test_a_choose_over_values_of_one_parameter_without_otherwise_always_takes_an_arm() -> None:
    # A statistics query picking its date range by a type code: no arm taken would read "from ( ) a".
    found = variants("""<select id="s">select a.d from (
        <choose><when test="type == 1">SELECT curdate() AS d</when>
                <when test="type == 2">SELECT curdate() - INTERVAL 1 DAY AS d</when></choose>
        ) a</select>""")
    assert [" ".join(text.split()) for _, text in found] == [
        "select a.d from ( SELECT curdate() AS d ) a", "select a.d from ( SELECT curdate() - INTERVAL 1 DAY AS d ) a"]
    # Presence tests keep their "nothing chosen" variant: there it is the unfiltered query.
    found = variants("""<select id="t">select id from t where 1 = 1
        <choose><when test="a != null">and a = #{a}</when><when test="b != null">and b = #{b}</when></choose>
        </select>""")
    assert found[0] == ("when a, b are absent", "select id from t where 1 = 1")


def test_a_value_choose_without_otherwise_keeps_its_nothing_chosen_variant_where_sql_stays_whole() -> None:
    found = variants("""<select id="s">select id from t order by id
        <choose><when test="dir == 'asc'">asc</when><when test="dir == 'desc'">desc</when></choose>
        limit 10</select>""")
    assert found[0][1] == "select id from t order by id\nlimit 10"
