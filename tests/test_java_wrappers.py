"""MyBatis-Plus wrapper chains become the SQL MP sends, at the mapper / IService call (javawrapper)."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

from click.testing import CliRunner

from sqllint.cli import main
from sqllint.config import Config
from sqllint.engine import run
from sqllint.extract import ExtractOptions, FileExtraction, extract_source
from sqllint.extract.project import build_index
from sqllint.files import SourceFile
from sqllint.records import Finding, Query

USER = """\
package com.shop.domain;

@TableName("t_user")
public class User {
    @TableId(type = IdType.AUTO)
    private Long id;
    @TableField("user_name")
    private String name;
    private Integer status;
    private Long deptId;
    private LocalDateTime createTime;
    @TableField(exist = false)
    private String extra;
    private static final long serialVersionUID = 1L;
}
"""
ORDER = """\
package com.shop.domain;

public class OrderDO {
    @TableId
    private Long id;
    private Long userId;
    private String status;
    @TableLogic
    private Integer deleted;
}
"""
MAPPERS = {
    "mapper/UserMapper.java": "package com.shop.mapper;\nimport com.shop.domain.User;\n"
                              "public interface UserMapper extends BaseMapper<User> {}\n",
    "mapper/OrderMapper.java": "package com.shop.mapper;\nimport com.shop.domain.OrderDO;\n"
                               "public interface OrderMapper extends BaseMapper<OrderDO> {}\n",
    "service/IUserService.java": "package com.shop.service;\nimport com.shop.domain.User;\n"
                                 "public interface IUserService extends IService<User> {}\n",
}
HEAD = """\
package com.shop.service;

import com.shop.domain.OrderDO;
import com.shop.domain.User;
import com.shop.mapper.OrderMapper;
import com.shop.mapper.UserMapper;

public class Svc {
    private UserMapper userMapper;
    private OrderMapper orderMapper;
    private IUserService userService;
"""
COLUMNS = "id, user_name, status, dept_id, create_time"


def _write(tmp_path: Path, body: str, name: str = "service/Svc.java", head: str = HEAD) -> str:
    files = {"domain/User.java": USER, "domain/OrderDO.java": ORDER, **MAPPERS,
             name: head + textwrap.indent(textwrap.dedent(body), "    ") + "}\n"}
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    return name


def extract(tmp_path: Path, body: str, **kwargs: str) -> FileExtraction:
    name = _write(tmp_path, body, **kwargs)
    files = [SourceFile(str(p.relative_to(tmp_path)), p, "java") for p in sorted(tmp_path.rglob("*.java"))]
    index = build_index(files, 10_000_000)
    return extract_source((tmp_path / name).read_bytes(), name, "java", ExtractOptions(32, index))


def texts(queries: list[Query]) -> list[str]:
    return [q.text for q in queries]


def bound(query: Query) -> list[str | None]:
    return [p.bound.shown if p.bound else None for p in query.placeholders]


def findings(tmp_path: Path, body: str) -> list[Finding]:
    name = _write(tmp_path, body)
    return [f for f in run(["."], Config(root=tmp_path), tmp_path, jobs=1).findings if f.path == name]


def test_optional_conditions_become_variants_with_lambda_columns_and_bound_values(tmp_path: Path) -> None:
    found = extract(tmp_path, """\
        public List<User> search(Integer status, String keyword, List<Long> ids) {
            return userMapper.selectList(new LambdaQueryWrapper<User>()
                .eq(User::getStatus, status)
                .like(StringUtils.isNotBlank(keyword), User::getName, keyword)
                .in(ids != null, User::getDeptId, ids)
                .orderByDesc(User::getCreateTime));
        }
        """)
    assert not found.problems
    by_label = {q.variant.label: q for q in found.queries if q.variant}
    base = f"SELECT {COLUMNS} FROM t_user WHERE status = ?"
    assert by_label["when keyword, ids are absent"].text == f"{base} ORDER BY create_time DESC"
    both = by_label["when keyword, ids are present"]
    assert both.text == f"{base} AND user_name LIKE ? AND dept_id IN (?, ?, ?) ORDER BY create_time DESC"
    assert bound(both) == ["{status}", "%{keyword}%", "{ids}", "{ids}", "{ids}"]  # @TableField honoured
    assert {q.call for q in found.queries} == {"userMapper.selectList (MyBatis-Plus)"}
    assert all(q.resolved_from is None and q.line == 13 for q in found.queries)


def test_wrapper_calls_under_if_and_early_returns_follow_the_walker(tmp_path: Path) -> None:
    found = extract(tmp_path, """\
        public Page<OrderDO> page(Page<OrderDO> page, Long userId, String status) {
            QueryWrapper<OrderDO> qw = new QueryWrapper<>();
            qw.eq("user_id", userId);
            if (status != null) { qw.eq("status", status); }
            return orderMapper.selectPage(page, qw);
        }
        public List<User> named(String kw) {
            LambdaQueryWrapper<User> qw = Wrappers.lambdaQuery(User.class);
            if (kw == null) {
                return List.of();
            }
            qw.likeRight(User::getName, kw);
            return userService.list(qw);
        }
        """)
    page = [q for q in found.queries if q.scope == "Svc.page"]
    # @TableLogic: MP filters every statement on it and brackets the wrapper's conditions.
    assert {q.variant.label: q.text for q in page if q.variant} == {
        "when status is absent": "SELECT id, user_id, status, deleted FROM order_do WHERE deleted = 0 AND (user_id = ?) "
                                 "LIMIT ?, ?",
        "when status is present": "SELECT id, user_id, status, deleted FROM order_do WHERE deleted = 0 AND "
                                  "(user_id = ? AND status = ?) LIMIT ?, ?"}
    [named] = [q for q in found.queries if q.scope == "Svc.named"]  # only runs when kw is given
    assert named.text == f"SELECT {COLUMNS} FROM t_user WHERE user_name LIKE ?" and bound(named) == ["{kw}%"]


def test_every_modelled_condition_method(tmp_path: Path) -> None:
    found = extract(tmp_path, """\
        public void all(String kw, Long a, Long b, String sort, boolean asc) {
            orderMapper.selectList(new QueryWrapper<OrderDO>()
                .ne("status", "X").gt("id", 1).ge("id", 2).lt("id", 3).le("id", 4)
                .notLike("status", kw).likeLeft("status", kw)
                .notIn("id", List.of(1, 2)).between("id", a, b).notBetween("user_id", a, b)
                .isNull("status").isNotNull("user_id")
                .and(w -> w.eq("a", 1).or().eq("b", 2)).or().nested(w -> w.eq("c", 3))
                .inSql("user_id", "select id from t_user where status = 1")
                .apply("date(created_at) = {0}", "2024-01-01")
                .groupBy("status").having("count(*) > {0}", 3)
                .orderByAsc("status").orderBy(true, false, "id")
                .select("id", "status").last("limit 10"));
        }
        """)
    [query] = found.queries
    assert query.text == (
        "SELECT id, status FROM order_do WHERE deleted = 0 AND (status <> ? AND id > ? AND id >= ? AND id < ? AND "
        "id <= ? AND status NOT LIKE ? AND status LIKE ? AND id NOT IN (?, ?) AND id BETWEEN ? AND ? AND "
        "user_id NOT BETWEEN ? AND ? AND status IS NULL AND user_id IS NOT NULL AND (a = ? OR b = ?) OR (c = ?) "
        "AND user_id IN (select id from t_user where status = 1) AND date(created_at) = ?) GROUP BY status "
        "HAVING count(*) > ? ORDER BY status ASC, id DESC limit 10")
    assert bound(query) == ["X", "1", "2", "3", "4", "%{kw}%", "%{kw}", "1", "2", "{a}", "{b}", "{a}", "{b}",
                            "1", "2", "3", "2024-01-01", "3"]


def test_counts_deletes_updates_and_iservice_chains(tmp_path: Path) -> None:
    found = extract(tmp_path, """\
        public void writes(Long id) {
            orderMapper.selectCount(Wrappers.<OrderDO>query().eq("id", id));
            orderMapper.update(null, new UpdateWrapper<OrderDO>().set("status", "PAID").setSql("version = version + 1")
                .eq("id", id));
            orderMapper.delete(new LambdaQueryWrapper<OrderDO>().eq(OrderDO::getUserId, id));
            userMapper.delete(null);
            userService.lambdaUpdate().set(User::getStatus, 2).in(User::getId, 1, 2).update();
            userService.remove(Wrappers.<User>lambdaQuery().between(User::getCreateTime, id, id));
            User one = userService.lambdaQuery().eq(User::getId, id).one();
            long all = userService.count();
        }
        """)
    assert texts(found.queries) == [
        "SELECT COUNT(*) FROM order_do WHERE deleted = 0 AND (id = ?)",
        "UPDATE order_do SET status = ?, version = version + 1 WHERE deleted = 0 AND (id = ?)",
        "UPDATE order_do SET deleted = 1 WHERE deleted = 0 AND (user_id = ?)",  # @TableLogic: a soft delete
        "DELETE FROM t_user",
        "UPDATE t_user SET status = ? WHERE id IN (?, ?)",
        "DELETE FROM t_user WHERE create_time BETWEEN ? AND ?",
        f"SELECT {COLUMNS} FROM t_user WHERE id = ?",
        "SELECT COUNT(*) FROM t_user",
    ]
    assert found.queries[6].call == "userService.lambdaQuery()….one() (MyBatis-Plus)"


def test_service_impl_inherited_methods_and_base_mapper(tmp_path: Path) -> None:
    found = extract(tmp_path, """\
        public User byName(String name) {
            return lambdaQuery().eq(User::getName, name).last("limit 1").one();
        }
        public List<User> some() {
            return list(Wrappers.<User>lambdaQuery().select(User::getId, User::getName).isNotNull(User::getDeptId));
        }
        public long total() {
            return baseMapper.selectCount(null);
        }
        """, name="service/UserServiceImpl.java", head=HEAD.replace(
        "public class Svc {", "public class UserServiceImpl extends ServiceImpl<UserMapper, User> implements IUserService {"))
    assert texts(found.queries) == [f"SELECT {COLUMNS} FROM t_user WHERE user_name = ? limit 1",
                                    "SELECT id, user_name FROM t_user WHERE dept_id IS NOT NULL",
                                    "SELECT COUNT(*) FROM t_user"]


def test_what_is_not_modelled_gives_no_query_and_says_so(tmp_path: Path) -> None:
    found = extract(tmp_path, """\
        public void unknown(Map<String, Object> map, String kw) {
            orderMapper.selectList(new QueryWrapper<OrderDO>().eq("status", "A").allEq(map));
            QueryWrapper<OrderDO> qw = new QueryWrapper<>();
            qw.eq("status", "A");
            Filters.fill(qw, kw);
            orderMapper.selectList(qw);
            orderMapper.update(new OrderDO(), new UpdateWrapper<OrderDO>().eq("id", 1));
            orderMapper.selectList(new QueryWrapper<OrderDO>(probe));
            orderMapper.selectList(new QueryWrapper<OrderDO>().and(w -> { w.eq("a", 1); }));
        }
        """)
    assert found.queries == []
    messages = [p.message for p in found.problems]
    assert [p.code for p in found.problems] == ["E004"] * 5
    assert "`allEq(…)` is not modelled" in messages[0]
    assert "`qw` is handed to `fill(…)`, which may add conditions" in messages[1]
    assert "entity's non-null fields" in messages[2]
    assert "an entity's fields as conditions" in messages[3] and "lambda" in messages[4]


def test_malformed_and_unrelated_code_adds_nothing(tmp_path: Path) -> None:
    found = extract(tmp_path, """\
        public void broken(String kw) {
            orderMapper.selectList(new QueryWrapper<OrderDO>().eq("status", ));
            userMapper.selectList(new QueryWrapper<
        }
        public void unrelated(Foo foo) {
            foo.query().eq("a", 1).list();
            cache.update();
            String s = new StringBuilder().append("a").append("b").toString();
        }
        """)
    assert any(p.code == "E002" for p in found.problems)
    assert all("t_user" not in q.text and "order_do" not in q.text for q in found.queries if q.scope == "Svc.unrelated")


def test_rules_fire_on_wrapper_sql(tmp_path: Path) -> None:
    found = findings(tmp_path, """\
        public void search(String kw, String sort, List<Long> ids) {
            userMapper.selectList(new LambdaQueryWrapper<User>().like(kw != null, User::getName, kw));
            userMapper.selectList(new QueryWrapper<User>().likeRight("user_name", kw).orderByDesc(sort));
            for (Long id : ids) {
                userMapper.selectOne(Wrappers.<User>lambdaQuery().eq(User::getId, id));
            }
            orderMapper.delete(new QueryWrapper<OrderDO>().eq(kw != null, "status", kw));
        }
        public void twice(Long id) {
            userService.getOne(new QueryWrapper<User>().eq("id", id));
            userMapper.selectOne(new LambdaQueryWrapper<User>().eq(User::getId, id));
        }
        """)
    by_rule: dict[str, list[Finding]] = {}
    for finding in found:
        by_rule.setdefault(finding.rule, []).append(finding)
    # like() binds %kw%: a leading wildcard, on the variant where kw is given; likeRight() is a prefix.
    [like] = by_rule["S005"]
    assert like.line == 13 and "%{kw}%" in like.message
    [spliced] = by_rule["S003"]  # orderByDesc(sort): MP splices a string column verbatim
    assert spliced.line == 14
    loops = [f for f in by_rule["M002"]]
    assert [f.line for f in loops] == [16]
    [merge] = by_rule["M001"]
    assert merge.line == 22
    assert "S011" not in by_rule  # every column is MP filling the entity, not a SELECT * someone wrote


def test_condition_first_with_negative_and_literal_conditions(tmp_path: Path) -> None:
    found = extract(tmp_path, """\
        public void flags(String kw, Integer st) {
            userMapper.selectList(new LambdaQueryWrapper<User>()
                .eq(true, User::getStatus, 1)
                .eq(false, User::getDeptId, 2)
                .isNull(StringUtils.isBlank(kw), User::getName)
                .eq(st != null, User::getStatus, st)
                .orderByAsc(st == null, User::getId));
        }
        """)
    labels = {q.variant.label: q.text.split(" WHERE ", 1)[1] for q in found.queries if q.variant}
    assert labels["when kw, st are absent"] == "status = ? AND user_name IS NULL ORDER BY id ASC"
    assert labels["when kw, st are present"] == "status = ? AND status = ?"


MALL_ORDER = """\
package com.mall.domain;

@TableName("orders")
public class OrderEntity {
    @TableId(type = IdType.AUTO)
    private Long id;
    private String orderNo;
    private Long userId;
    private String status;
    private BigDecimal totalAmount;
    private LocalDateTime createdAt;
}
"""
MALL_SERVICE = """\
package com.mall.service;

import com.mall.domain.OrderEntity;
import com.mall.mapper.OrderEntityMapper;

public class OrderSearchService {
    private OrderEntityMapper orderMapper;

    // The incident in wrapper form: both filters optional, so without them every order is read.
    public List<OrderEntity> search(Long userId, String status) {
        return orderMapper.selectList(new LambdaQueryWrapper<OrderEntity>()
            .eq(userId != null, OrderEntity::getUserId, userId)
            .eq(StringUtils.isNotBlank(status), OrderEntity::getStatus, status)
            .orderByDesc(OrderEntity::getCreatedAt));
    }

    // The clean look-alike: its one condition is always there, on a unique key.
    public OrderEntity byNumber(String orderNo) {
        return orderMapper.selectOne(new LambdaQueryWrapper<OrderEntity>().eq(OrderEntity::getOrderNo, orderNo));
    }
}
"""


def test_the_incident_in_wrapper_form_scans_orders_only_without_its_filters(tmp_path: Path, mall_db) -> None:  # type: ignore[no-untyped-def]
    files = {"domain/OrderEntity.java": MALL_ORDER, "service/OrderSearchService.java": MALL_SERVICE,
             "mapper/OrderEntityMapper.java": "package com.mall.mapper;\nimport com.mall.domain.OrderEntity;\n"
                                              "public interface OrderEntityMapper extends BaseMapper<OrderEntity> {}\n"}
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    previous = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner(env={"SQLLINT_DSN": None}).invoke(
            main, ["check", ".", "--no-baseline", "--no-cache", "--format", "json", "--dsn", mall_db.readonly_dsn],
            catch_exceptions=False)
    finally:
        os.chdir(previous)
    found = json.loads(result.stdout)["findings"]
    scans = [f for f in found if f["rule"] == "P001"]
    assert [(f["path"], f["line"]) for f in scans] == [("service/OrderSearchService.java", 11)], found
    [scan] = scans
    assert "`orders`" in scan["message"] and scan["variant"] == "when userId, status are absent"
    assert not any(f["line"] == 19 and f["rule"].startswith(("P", "S")) for f in found)
    assert not any(f["rule"] in ("E010", "E004", "E001") for f in found)


def test_wrappers_changed_where_the_walker_cannot_follow_are_not_guessed(tmp_path: Path) -> None:
    found = extract(tmp_path, """\
        public void lambdas(List<Long> ids) {
            QueryWrapper<User> qw = new QueryWrapper<>();
            ids.forEach(id -> qw.or().eq("id", id));
            userMapper.selectList(qw);
        }
        public void helper(String kw) {
            LambdaQueryWrapper<User> qw = new LambdaQueryWrapper<>(User.class);
            addFilters(qw, kw);
            userService.page(new Page<>(1, 10), qw);
        }
        private void addFilters(LambdaQueryWrapper<User> qw, String kw) {
            qw.like(User::getName, kw);
        }
        public void classSelect() {
            userMapper.selectList(new QueryWrapper<User>().select(User.class, f -> !f.getColumn().equals("x")));
        }
        public void either(boolean byName) {
            userMapper.selectList(new QueryWrapper<User>().orderByAsc(byName ? "user_name" : "id"));
        }
        public void order(boolean asc) {
            userMapper.selectList(new LambdaQueryWrapper<>(User.class).orderBy(true, asc, User::getId));
        }
        """)
    assert [q.text for q in found.queries if q.scope != "Svc.order"] == []
    assert [p.line for p in found.problems] == [15, 20, 26, 29]
    assert "changed inside a lambda" in found.problems[0].message
    assert "`qw` is handed to `addFilters(…)`" in found.problems[1].message
    orders = {q.variant.label: q.text for q in found.queries if q.scope == "Svc.order" and q.variant}
    assert orders == {"when asc is present": f"SELECT {COLUMNS} FROM t_user ORDER BY id ASC",
                      "when asc is absent": f"SELECT {COLUMNS} FROM t_user ORDER BY id DESC"}
