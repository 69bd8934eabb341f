"""Cross-query rules in Java: mapper calls resolved to their statements (XML or annotations), and the
mall/goapp fixtures' Java and Go findings, exactly."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from sqllint.cli import main
from sqllint.config import Config
from sqllint.engine import run
from sqllint.records import Finding

REPO = Path(__file__).resolve().parent.parent
MALL_JAVA = "fixtures/mall/src/main/java/com/example/mall"

MAPPER_XML = """\
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE mapper PUBLIC "-//mybatis.org//DTD Mapper 3.0//EN" "http://mybatis.org/dtd/mybatis-3-mapper.dtd">
<mapper namespace="com.shop.mapper.OrderMapper">
    <select id="selectById">SELECT id, status FROM orders WHERE id = #{id}</select>
    <select id="selectTotal">SELECT total FROM orders WHERE id = #{id}</select>
    <select id="selectAll">SELECT * FROM orders</select>
    <select id="itemsOf">SELECT sku, qty FROM order_items WHERE order_id = #{orderId}</select>
    <insert id="insertItem">INSERT INTO order_items (order_id, sku) VALUES (#{orderId}, #{sku})</insert>
    <update id="touch">UPDATE orders SET updated_at = NOW() WHERE id = #{id}</update>
</mapper>
"""

MAPPER_JAVA = """\
package com.shop.mapper;

public interface OrderMapper {
    Order selectById(long id);
    BigDecimal selectTotal(long id);
    List<Order> selectAll();
    List<Item> itemsOf(long orderId);
    int insertItem(Item item);
    int touch(long id);

    @Select("SELECT note FROM orders WHERE id = #{id}")
    String selectNote(long id);
}
"""


def project(tmp_path: Path, service: str, name: str = "OrderService.java") -> list[Finding]:
    (tmp_path / "mapper").mkdir(exist_ok=True)
    (tmp_path / "mapper" / "OrderMapper.xml").write_text(MAPPER_XML)
    (tmp_path / "mapper" / "OrderMapper.java").write_text(MAPPER_JAVA)
    (tmp_path / "service").mkdir(exist_ok=True)
    (tmp_path / "service" / name).write_text(textwrap.dedent(service))
    return [f for f in run(["."], Config(root=tmp_path), tmp_path, jobs=1).findings if f.path.startswith("service/")]


def test_two_mapper_calls_reading_the_same_key_are_mergeable(tmp_path: Path) -> None:
    first, second = project(tmp_path, """\
        package com.shop.service;

        import com.shop.mapper.OrderMapper;

        public class OrderService {
            private final OrderMapper orderMapper;

            public Summary summary(long id) {
                Order order = orderMapper.selectById(id);
                BigDecimal total = orderMapper.selectTotal(id);
                String note = this.orderMapper.selectNote(id);
                return new Summary(order, total, note);
            }
        }
        """)
    assert (first.rule, first.line, first.column, first.scope) == ("M001", 10, 28, "OrderService.summary")
    assert first.message == ("`orderMapper.selectTotal` reads orders by the same key (id) as `orderMapper.selectById` "
                             "on line 9: merge them into one query")
    assert first.suggestion == "SELECT id, status, total FROM orders WHERE id = #{id}"  # as the mapper writes it
    # The annotated statement (OrderMapper.java) resolves like the XML ones.
    assert (second.rule, second.line, second.message) == (
        "M001", 11, "`this.orderMapper.selectNote` reads orders by the same key (id) as `orderMapper.selectById` "
                    "on line 9: merge them into one query")


def test_wildcard_import_and_a_write_in_between(tmp_path: Path) -> None:
    findings = project(tmp_path, """\
        package com.shop.service;

        import com.shop.mapper.*;

        class OrderService {
            String note(OrderMapper mapper, long id) {
                mapper.selectById(id);
                return mapper.selectNote(id);
            }
            Order reread(OrderMapper mapper, long id) {
                mapper.selectById(id);
                mapper.touch(id);
                return mapper.selectById(id);
            }
        }
        """)
    assert [(f.rule, f.line, f.message) for f in findings] == [
        ("M001", 8, "`mapper.selectNote` reads orders by the same key (id) as `mapper.selectById` on line 7: "
                    "merge them into one query"),
    ]


def test_mapper_calls_in_loops_and_through_helpers_are_n_plus_one(tmp_path: Path) -> None:
    findings = project(tmp_path, """\
        package com.shop.service;

        import com.shop.mapper.OrderMapper;

        class OrderService {
            private OrderMapper orderMapper;

            void load(List<Order> orders) {
                for (Order o : orders) {
                    o.setItems(orderMapper.itemsOf(o.getId()));
                }
                orders.forEach(o -> fill(o));
            }

            private void fill(Order o) {
                o.setTotal(orderMapper.selectTotal(o.getId()));
            }

            void save(List<Item> items) {
                items.stream().map(item -> orderMapper.insertItem(item)).count();
            }
        }
        """)
    assert [(f.rule, f.line, f.scope, f.message, f.suggestion) for f in findings] == [
        ("M002", 10, "OrderService.load",
         "`orderMapper.itemsOf` (OrderMapper.itemsOf, a SELECT) runs once per iteration of the loop on line 9 "
         "(N+1 queries)",
         "fetch everything before the loop with one query: SELECT sku, qty FROM order_items WHERE order_id IN "
         "(#{id}, #{id}, …)".replace("#{id}", "?")),
        ("M002", 12, "OrderService.load",
         "`fill → orderMapper.selectTotal` (OrderMapper.selectTotal, a SELECT) runs once per iteration of the loop "
         "on line 12 (N+1 queries)",
         "fetch everything before the loop with one query: SELECT total FROM orders WHERE id IN (?, ?, …)"),
        ("M002", 20, "OrderService.save",
         "`orderMapper.insertItem` (OrderMapper.insertItem, an INSERT) runs once per iteration of the loop on line 20",
         "collect the rows and write them with a batch or one multi-row INSERT"),
    ]


def test_statement_rules_run_where_the_statement_is_defined_not_at_each_call(tmp_path: Path) -> None:
    findings = project(tmp_path, """\
        package com.shop.service;

        import com.shop.mapper.OrderMapper;

        class OrderService {
            List<Order> all(OrderMapper m) { return m.selectAll(); }
        }
        """)
    assert findings == []
    everything = run(["."], Config(root=tmp_path), tmp_path, jobs=1).findings
    assert [(f.path, f.rule) for f in everything] == [("mapper/OrderMapper.xml", "S011")]


def test_what_does_not_resolve_adds_nothing(tmp_path: Path) -> None:
    result_findings = project(tmp_path, """\
        package com.shop.service;

        import com.other.OrderMapper;

        class OrderService {
            private OrderMapper foreign;   // same simple name, another package: not ours
            private UserMapper users;      // no such mapper in the project
            void f(long id) {
                foreign.selectById(id);
                foreign.selectTotal(id);
                users.selectById(id);
                users.selectById(id);
            }
        }
        """)
    assert result_findings == []
    parsed = run(["."], Config(root=tmp_path), tmp_path, jobs=1, keep_parsed=True).parsed
    assert [p for p in parsed if p.query.path.startswith("service/")] == []


def test_resolution_by_same_package_and_local_variables(tmp_path: Path) -> None:
    (tmp_path / "mapper").mkdir()
    findings = project(tmp_path, """\
        package com.shop.mapper;

        class LegacyJob {
            void run(SqlSession session, List<Long> ids) {
                var mapper = session.getMapper(OrderMapper.class);
                for (long id : ids) {
                    mapper.touch(id);
                }
            }
        }
        """, name="LegacyJob.java")
    assert [(f.rule, f.line, f.scope) for f in findings] == [("M002", 7, "LegacyJob.run")]


def test_sql_session_calls_by_statement_id(tmp_path: Path) -> None:
    findings = project(tmp_path, """\
        package com.shop.service;

        class LegacyDao {
            private static final String NS = "com.shop.mapper.OrderMapper.";
            void load(SqlSession session, List<Long> ids) {
                for (Long id : ids) {
                    session.selectList(NS + "itemsOf", id);
                    session.selectOne("com.shop.mapper.OrderMapper.unknownStatement", id);
                }
                session.update("UPDATE orders SET seen = 1");
            }
        }
        """, name="LegacyDao.java")
    assert [(f.rule, f.line, f.message) for f in findings] == [
        ("M002", 7, "`session.selectList` (OrderMapper.itemsOf, a SELECT) runs once per iteration of the loop on "
                    "line 6 (N+1 queries)"),
        ("S004", 10, "UPDATE without WHERE affects every row of orders"),
    ]


def test_resolved_calls_carry_the_statement_and_its_variants(tmp_path: Path) -> None:
    (tmp_path / "M.xml").write_text("""\
<mapper namespace="a.M">
  <select id="find">SELECT id FROM t <where><if test="x != null">x = #{x}</if></where></select>
</mapper>
""")
    (tmp_path / "S.java").write_text("package a;\nclass S { M m; void f() { m.find(q); } }\n")
    parsed = run(["."], Config(root=tmp_path), tmp_path, jobs=1, keep_parsed=True).parsed
    calls = [(p.query.line, p.query.scope, p.query.call, p.query.resolved_from, p.query.text,
              p.query.variant.label if p.query.variant else None) for p in parsed if p.query.path == "S.java"]
    assert calls == [
        (2, "S.f", "m.find", "a.M.find", "SELECT id FROM t", "when x is absent"),
        (2, "S.f", "m.find", "a.M.find", "SELECT id FROM t WHERE x = ?", "when x is present"),
    ]


def test_sql_constants_of_other_files(tmp_path: Path) -> None:
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "OrderSql.java").write_text(textwrap.dedent("""\
        package com.shop.sql;

        public final class OrderSql {
            public static final String COLUMNS = "id, status";
            public static final String BY_ID = "SELECT " + COLUMNS + " FROM orders WHERE id = ?";
            public static final String ALL = "SELECT * FROM orders";
            public static final String GREETING = "hello";
        }
        """))
    (tmp_path / "OrderDao.java").write_text(textwrap.dedent("""\
        package com.shop.dao;

        import com.shop.sql.OrderSql;
        import static com.shop.sql.OrderSql.ALL;

        class OrderDao {
            void load(List<Long> ids) {
                for (Long id : ids) {
                    jdbc.queryForMap(OrderSql.BY_ID, id);
                }
                jdbc.queryForList(ALL);
                jdbc.queryForList(ALL + " WHERE status = ?", "PAID");
            }
        }
        """))
    result = run(["."], Config(root=tmp_path), tmp_path, jobs=1, keep_parsed=True)
    assert [(f.path, f.rule, f.line) for f in result.findings] == [
        ("OrderDao.java", "M002", 9),   # the loop runs the constant: N+1 at the use
        ("OrderDao.java", "S011", 12),  # new SQL built from the constant: checked where it is built
        ("sql/OrderSql.java", "S011", 6),  # the constant itself: checked once, where it is defined
    ]
    runs = [(p.query.line, p.query.resolved_from) for p in result.parsed if p.query.path == "OrderDao.java"]
    assert runs == [(9, "com.shop.sql.OrderSql.BY_ID"), (11, "com.shop.sql.OrderSql.ALL"), (12, None)]


# --- the fixtures -------------------------------------------------------------------------------------

EXPECTED_JAVA_AND_GO = [
    ("fixtures/goapp/store/store.go", "M002", 73, "SELECT runs once per iteration of the loop on line 72 (N+1 queries)"),
    ("fixtures/goapp/store/store.go", "S003", 91,
     "`sort` names a table or column formatted into the SQL text: safe only if it comes from a fixed allow-list"),
    (f"{MALL_JAVA}/dao/ReportDao.java", "S003", 62,
     "`sort` names a table or column concatenated into the SQL text: safe only if it comes from a fixed allow-list"),
    (f"{MALL_JAVA}/dao/ReportDao.java", "M002", 75, "SELECT runs once per iteration of the loop on line 74 (N+1 queries)"),
    (f"{MALL_JAVA}/mapper/ShipmentMapper.java", "E004", 32,
     "@SelectProvider builds the SQL of com.example.mall.mapper.ShipmentMapper.search in Java code at run time; "
     "it was not analysed"),
    (f"{MALL_JAVA}/service/OrderService.java", "M001", 47,
     "`orderMapper.selectStatusByUserId` reads orders by the same key (user_id) as `orderMapper.selectByUserId` "
     "on line 46: merge them into one query"),
    (f"{MALL_JAVA}/service/OrderService.java", "M002", 55,
     "`orderMapper.selectItemsByOrderId` (OrderMapper.selectItemsByOrderId, a SELECT) runs once per iteration of "
     "the loop on line 54 (N+1 queries)"),
    (f"{MALL_JAVA}/service/OrderService.java", "M002", 77,
     "`toLine → productMapper.selectById` (ProductMapper.selectById, a SELECT) runs once per iteration of the loop "
     "on line 77 (N+1 queries)"),
    (f"{MALL_JAVA}/service/ProductService.java", "M002", 28,
     "`productMapper.decreaseStock` (ProductMapper.decreaseStock, an UPDATE) runs once per iteration of the loop "
     "on line 27"),
]


def test_cli_json_over_the_mall_and_goapp_fixtures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(main, ["check", "fixtures/mall", "fixtures/goapp", "--format", "json", "--no-cache"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    rows = [(f["path"], f["rule"], f["line"], f["message"]) for f in report["findings"] if not f["path"].endswith(".xml")]
    assert rows == EXPECTED_JAVA_AND_GO
    assert all(f["variant"] is None for f in report["findings"] if not f["path"].endswith(".xml"))
    assert report["stats"]["parse_errors"] == 0
    assert report["stats"]["files"] == 25


def test_the_incident_endpoint_runs_the_incident_statement() -> None:
    parsed = run(["fixtures/mall"], Config(root=REPO), REPO, jobs=1, keep_parsed=True).parsed
    calls = {(p.query.scope, p.query.resolved_from) for p in parsed if p.query.language == "java"}
    assert ("OrderService.listOrders", "com.example.mall.mapper.OrderMapper.searchOrders") in calls
    variants = [p.query.text for p in parsed if p.query.scope == "OrderService.listOrders"]
    assert len(variants) == 5 and any("JOIN (SELECT * FROM order_items) AS oi" in p.tree.sql(dialect="mysql")
                                      for p in parsed if p.query.scope == "OrderService.listOrders" and p.tree)


ORDER_DAO = """\
package com.shop.dao;

public interface OrderDao {
    List<Order> findByUser(long userId);
    Order findById(long id);
}
"""

ORDER_DAO_IMPL = """\
package com.shop.dao;

import org.springframework.jdbc.core.JdbcTemplate;

@Repository
public class OrderDaoImpl implements OrderDao {
    private final JdbcTemplate jdbcTemplate;

    public List<Order> findByUser(long userId) {
        return jdbcTemplate.query("SELECT id, total FROM orders WHERE user_id = ?", ROW, userId);
    }

    public Order findById(long id) {
        return load("SELECT id, status FROM orders WHERE id = ?", id);
    }

    private Order load(String sql, long id) {
        return jdbcTemplate.queryForObject(sql, ROW, id);
    }
}
"""

LINE_DAO = """\
package com.shop.dao;

public class LineDao {
    private JdbcTemplate jdbc;

    public int countLines(long orderId) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM order_lines WHERE order_id = ?", Integer.class, orderId);
    }

    public Order totalOf(long id) {
        return jdbc.queryForObject("SELECT total FROM orders WHERE id = ?", ROW, id);
    }
}
"""


def test_calls_of_a_jdbc_dao_in_another_class_are_resolved_like_mapper_calls(tmp_path: Path) -> None:
    # Issue 3c: a service calling a JdbcTemplate DAO (through its interface, or the class itself) in a
    # loop is N+1, and two reads of one row through two DAO methods are mergeable, at the call sites.
    (tmp_path / "dao").mkdir()
    (tmp_path / "dao" / "OrderDao.java").write_text(ORDER_DAO)
    (tmp_path / "dao" / "OrderDaoImpl.java").write_text(ORDER_DAO_IMPL)
    (tmp_path / "dao" / "LineDao.java").write_text(LINE_DAO)
    found = project(tmp_path, """\
        package com.shop.service;

        import com.shop.dao.LineDao;
        import com.shop.dao.OrderDao;

        public class ReportService {
            private final OrderDao orderDao;
            private final LineDao lineDao;

            public int lines(long userId) {
                int n = 0;
                for (Order o : orderDao.findByUser(userId)) {
                    n += lineDao.countLines(o.getId());
                }
                return n;
            }

            public String summary(long id) {
                Order order = orderDao.findById(id);
                Order total = lineDao.totalOf(id);
                return order + " " + total;
            }
        }
        """, name="ReportService.java")
    assert [(f.rule, f.line) for f in found] == [("M002", 13), ("M001", 20)]
    assert "`lineDao.countLines → jdbc.queryForObject`" in found[0].message
    assert found[0].suggestion and "order_lines WHERE order_id IN" in found[0].suggestion


def test_a_call_on_an_interface_with_two_implementations_is_not_guessed(tmp_path: Path) -> None:
    (tmp_path / "dao").mkdir()
    (tmp_path / "dao" / "OrderDao.java").write_text(ORDER_DAO)
    (tmp_path / "dao" / "OrderDaoImpl.java").write_text(ORDER_DAO_IMPL)
    (tmp_path / "dao" / "CachedOrderDao.java").write_text(ORDER_DAO_IMPL.replace("OrderDaoImpl", "CachedOrderDao"))
    found = project(tmp_path, """\
        package com.shop.service;

        import com.shop.dao.OrderDao;

        public class ReportService {
            private final OrderDao orderDao;

            public void touch(List<Long> users) {
                for (Long u : users) {
                    orderDao.findByUser(u);
                }
            }
        }
        """, name="ReportService.java")
    assert found == []


def test_mybatis_plus_base_mapper_methods_run_the_sql_the_framework_injects(tmp_path: Path) -> None:
    # No XML and no annotation: selectById comes from BaseMapper, on the entity's @TableName and
    # @TableId. Called in a loop it is N+1 like any mapper statement; one the XML maps itself wins.
    (tmp_path / "order").mkdir()
    (tmp_path / "order" / "ItemDO.java").write_text(textwrap.dedent("""\
        package com.shop.order;

        @TableName(value = "t_order_item", autoResultMap = true)
        public class ItemDO {
            @TableId(type = IdType.AUTO)
            private Long itemId;
        }
        """))
    (tmp_path / "order" / "ItemMapper.java").write_text(textwrap.dedent("""\
        package com.shop.order;

        public interface ItemMapper extends BaseMapper<ItemDO> {
        }
        """))
    found = project(tmp_path, """\
        package com.shop.service;

        import com.shop.order.ItemMapper;

        public class ItemService {
            private ItemMapper itemMapper;

            public void load(List<Long> ids) {
                ids.forEach(id -> itemMapper.selectById(id));
            }
        }
        """, name="ItemService.java")
    [n_plus_one] = [f for f in found if f.rule == "M002"]
    assert n_plus_one.line == 9 and "ItemMapper.selectById" in n_plus_one.message
    assert n_plus_one.suggestion and "FROM t_order_item WHERE item_id IN" in n_plus_one.suggestion


def test_spring_data_repository_calls_run_their_native_query_or_the_key_lookup(tmp_path: Path) -> None:
    # A native @Query method and the derived findById (table from @Table, key from @Id/@Column) are
    # statements like mapper methods: called in a loop, N+1 at the call.
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "Invoice.java").write_text(textwrap.dedent("""\
        package com.shop.billing;

        @Entity
        @Table(name = "invoices")
        public class Invoice {
            @Id
            @Column(name = "invoice_id")
            private Long id;
        }
        """))
    (tmp_path / "shop" / "InvoiceRepository.java").write_text(textwrap.dedent("""\
        package com.shop.billing;

        public interface InvoiceRepository extends JpaRepository<Invoice, Long> {
            @Query(value = "SELECT invoice_id, total FROM invoices WHERE customer_id = :customerId", nativeQuery = true)
            List<Invoice> openFor(@Param("customerId") Long customerId);
        }
        """))
    found = project(tmp_path, """\
        package com.shop.service;

        import com.shop.billing.InvoiceRepository;

        public class DunningService {
            private final InvoiceRepository invoices;

            public void remind(List<Long> customers, List<Long> ids) {
                for (Long c : customers) {
                    invoices.openFor(c);
                }
                for (Long id : ids) {
                    invoices.findById(id);
                }
            }
        }
        """, name="DunningService.java")
    assert [(f.rule, f.line) for f in found] == [("M002", 10), ("M002", 13)]
    assert "invoices WHERE customer_id IN" in (found[0].suggestion or "")
    assert "invoices WHERE invoice_id IN" in (found[1].suggestion or "")


def test_two_generator_by_example_calls_are_not_one_query_read_twice(tmp_path: Path) -> None:
    # Each call passes its own example: the "null example" variant (no WHERE at all) is not what the
    # calls run, so they are not "the same read with no condition".
    (tmp_path / "mapper").mkdir()
    (tmp_path / "mapper" / "NoticeMapper.xml").write_text("""<mapper namespace="com.shop.mapper.NoticeMapper">
      <select id="selectByExample">select id, title from notice
        <if test="_parameter != null"><where><foreach collection="oredCriteria" item="criteria" separator="or">
          <if test="criteria.valid"><trim prefix="(" prefixOverrides="and" suffix=")">
            <foreach collection="criteria.criteria" item="criterion">
              <choose><when test="criterion.singleValue">and ${criterion.condition} #{criterion.value}</when></choose>
            </foreach></trim></if></foreach></where></if>
      </select></mapper>""")
    found = project(tmp_path, """\
        package com.shop.service;

        import com.shop.mapper.NoticeMapper;

        public class NoticeService {
            private NoticeMapper noticeMapper;

            public Object page(NoticeExample byType, NoticeExample byStatus) {
                Object a = noticeMapper.selectByExample(byType);
                Object b = noticeMapper.selectByExample(byStatus);
                return a;
            }
        }
        """, name="NoticeService.java")
    assert [f.rule for f in found] == []


def test_two_calls_of_a_filtered_search_are_not_one_read_twice(tmp_path: Path) -> None:
    # Which filters a search statement applies depends on the object each call passes: the "every
    # filter absent" variants of two calls are not the same read (M001 reads a site's key only when all
    # its variants share it).
    (tmp_path / "mapper").mkdir()
    (tmp_path / "mapper" / "MenuMapper.xml").write_text("""<mapper namespace="com.shop.mapper.MenuMapper">
      <select id="search">select id, name from menu
        <where><if test="name != null">and name = #{name}</if><if test="visible != null">and visible = #{visible}</if></where>
      </select>
      <select id="byId">select id, name from menu where id = #{id}</select></mapper>""")
    found = project(tmp_path, """\
        package com.shop.service;

        import com.shop.mapper.MenuMapper;

        public class MenuService {
            private MenuMapper menuMapper;

            public Object both(Menu visibleOnly, Menu byName, long id) {
                Object a = menuMapper.search(visibleOnly);
                Object b = menuMapper.search(byName);
                Object c = menuMapper.byId(id);
                Object d = menuMapper.byId(id);
                return a;
            }
        }
        """, name="MenuService.java")
    assert [(f.rule, f.line) for f in found] == [("M001", 12)]
