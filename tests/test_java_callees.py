"""Calls into other classes of the project (controller → service → mapper): where the cross-query rules
report what the called method runs, and which implementation an interface call runs."""

from __future__ import annotations

import textwrap
from pathlib import Path

from sqllint.config import Config
from sqllint.engine import run
from sqllint.records import Finding

POST_XML = """\
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE mapper PUBLIC "-//mybatis.org//DTD Mapper 3.0//EN" "http://mybatis.org/dtd/mybatis-3-mapper.dtd">
<mapper namespace="app.mapper.PostMapper">
    <select id="selectById">SELECT id, name FROM post WHERE id = #{id}</select>
    <select id="selectCode">SELECT code FROM post WHERE id = #{id}</select>
    <select id="countUsers">SELECT COUNT(*) FROM user_post WHERE post_id = #{id}</select>
    <delete id="deleteById">DELETE FROM post WHERE id = #{id}</delete>
</mapper>
"""

POST_MAPPER = """\
package app.mapper;

public interface PostMapper {
    Post selectById(long id);
    String selectCode(long id);
    int countUsers(long id);
    int deleteById(long id);
}
"""

# The service loops over ids itself (its own N+1), and reads one post's columns in two queries (its own
# mergeable pair).
POST_SERVICE = """\
package app.service;

import app.mapper.PostMapper;

@Service
public class PostService {
    private final PostMapper postMapper;

    public int deleteAll(Long[] ids) {
        for (Long id : ids) {
            if (postMapper.countUsers(id) > 0) {
                throw new IllegalStateException("in use");
            }
        }
        return ids.length;
    }

    public String describe(long id) {
        Post post = postMapper.selectById(id);
        return post.getName() + postMapper.selectCode(id);
    }

    public Post get(long id) {
        return postMapper.selectById(id);
    }
}
"""


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def findings(root: Path) -> list[tuple[str, str, int]]:
    found: list[Finding] = run(["."], Config(root=root), root, jobs=1).findings
    return sorted((f.rule, f.path, f.line) for f in found if f.rule in ("M001", "M002"))


def posts(root: Path, controller: str) -> list[tuple[str, str, int]]:
    write(root, {"mapper/PostMapper.xml": POST_XML, "mapper/PostMapper.java": POST_MAPPER,
                 "service/PostService.java": POST_SERVICE, "web/PostController.java": controller})
    return findings(root)


def test_a_callee_loop_is_n_plus_one_in_the_callee_only(tmp_path: Path) -> None:
    # RuoYi's SysPostController.remove calls postService.deletePostByIds(ids) once; the loop over the ids
    # is the service's. Reporting the controller's call too would report one loop twice.
    found = posts(tmp_path, """\
        package app.web;

        import app.service.PostService;

        public class PostController {
            private final PostService postService;

            public int remove(Long[] ids) {
                return postService.deleteAll(ids);
            }

            public String show(long id) {
                return postService.describe(id);
            }
        }
        """)
    assert found == [("M001", "service/PostService.java", 20), ("M002", "service/PostService.java", 11)]


def test_a_call_in_the_callers_own_loop_is_n_plus_one_there(tmp_path: Path) -> None:
    found = posts(tmp_path, """\
        package app.web;

        import app.service.PostService;

        public class PostController {
            private final PostService postService;

            public void names(List<Long> ids) {
                for (Long id : ids) {
                    postService.get(id);
                }
            }
        }
        """)
    assert ("M002", "web/PostController.java", 10) in found


def test_two_calls_in_the_caller_reading_one_row_are_mergeable_there(tmp_path: Path) -> None:
    found = posts(tmp_path, """\
        package app.web;

        import app.mapper.PostMapper;
        import app.service.PostService;

        public class PostController {
            private final PostService postService;
            private final PostMapper postMapper;

            public String page(long id) {
                Post post = postService.get(id);
                String code = postMapper.selectCode(id);
                return post.getName() + code;
            }
        }
        """)
    assert ("M001", "web/PostController.java", 12) in found
    # The service's own pair (describe) is reported once, in the service, though nobody here calls it.
    assert [f for f in found if f[0] == "M001" and f[1] == "service/PostService.java"] == [
        ("M001", "service/PostService.java", 20)]


def test_a_write_in_a_callee_loop_still_separates_the_callers_reads(tmp_path: Path) -> None:
    write(tmp_path, {"service/Purge.java": """\
        package app.service;

        import app.mapper.PostMapper;

        @Service
        public class Purge {
            private final PostMapper postMapper;

            public void all(List<Long> ids) {
                ids.forEach(id -> postMapper.deleteById(id));
            }
        }
        """})
    found = posts(tmp_path, """\
        package app.web;

        import app.mapper.PostMapper;
        import app.service.Purge;

        public class PostController {
            private final Purge purge;
            private final PostMapper postMapper;

            public String page(long id, List<Long> ids) {
                String before = postMapper.selectCode(id);
                purge.all(ids);
                return before + postMapper.selectCode(id);
            }
        }
        """)
    assert [f for f in found if f[1] == "web/PostController.java"] == []
    assert ("M002", "service/Purge.java", 10) in found


# --- an interface two classes implement --------------------------------------------------------------

ORDER_DAO = """\
package app.dao;

public interface OrderDao {
    List<Order> findByUser(long userId);
}
"""

JDBC_ORDER_DAO = """\
package app.dao;

@Repository{annotations}
public class JdbcOrderDao implements OrderDao {
    private final JdbcTemplate jdbc;

    public List<Order> findByUser(long userId) {
        return jdbc.query("SELECT id, total FROM orders WHERE user_id = ?", ROW, userId);
    }
}
"""

# The other implementation runs no SQL at all (a REST client): the pre-pass never walks it.
REMOTE_ORDER_DAO = """\
package app.dao;

@Repository("remoteOrders")
public class RemoteOrderDao implements OrderDao {
    private final RestClient client;

    public List<Order> findByUser(long userId) {
        return client.get("/orders?user=" + userId);
    }
}
"""


def orders(root: Path, service_fields: str, jdbc_annotations: str = "") -> list[tuple[str, str, int]]:
    service = f"""\
package app.service;

import app.dao.OrderDao;

public class Report {{
{textwrap.indent(textwrap.dedent(service_fields), "    ")}
    public void touch(List<Long> users) {{
        for (Long u : users) {{
            orders.findByUser(u);
        }}
    }}
}}
"""
    write(root, {"dao/OrderDao.java": ORDER_DAO, "dao/RemoteOrderDao.java": REMOTE_ORDER_DAO,
                 "dao/JdbcOrderDao.java": JDBC_ORDER_DAO.replace("{annotations}", jdbc_annotations),
                 "service/Report.java": service})
    return [f for f in findings(root) if f[1] == "service/Report.java"]


def test_without_a_hint_which_implementation_runs_is_not_guessed(tmp_path: Path) -> None:
    # Before, the one implementation that runs SQL was taken for the only one.
    assert orders(tmp_path, "private final OrderDao orders;") == []


def test_the_primary_implementation_is_the_one_injected(tmp_path: Path) -> None:
    assert orders(tmp_path, "private final OrderDao orders;", "\n@Primary") == [("M002", "service/Report.java", 9)]


def test_a_qualifier_on_the_field_or_constructor_parameter_names_the_bean(tmp_path: Path) -> None:
    assert orders(tmp_path, '@Autowired @Qualifier("jdbcOrderDao") private OrderDao orders;') == [
        ("M002", "service/Report.java", 9)]
    # The qualifier wins over @Primary; a bean named in @Repository("…") answers to that name.
    assert orders(tmp_path, '@Qualifier("remoteOrders") private OrderDao orders;', "\n@Primary") == []
    assert orders(tmp_path, '@Resource(name = "jdbcOrderDao") private OrderDao orders;') == [
        ("M002", "service/Report.java", 9)]
    constructor = """\
        private final OrderDao orders;

        public Report(@Qualifier("jdbcOrderDao") OrderDao orders) {
            this.orders = orders;
        }
        """
    assert orders(tmp_path, constructor) == [("M002", "service/Report.java", 14)]


def test_a_field_named_after_the_bean_or_declared_with_the_class_is_wired_to_it(tmp_path: Path) -> None:
    # Spring's last resort among several candidates: the bean whose name is the field's.
    found = orders(tmp_path, "private final OrderDao orders;\nprivate final OrderDao jdbcOrderDao;")
    assert found == []  # the loop calls `orders`: still no hint
    write(tmp_path, {"service/ByName.java": """\
        package app.service;

        import app.dao.JdbcOrderDao;
        import app.dao.OrderDao;

        public class ByName {
            private final OrderDao jdbcOrderDao;
            private final OrderDao remoteOrders;
            private final JdbcOrderDao concrete;

            public void touch(List<Long> users) {
                for (Long u : users) {
                    jdbcOrderDao.findByUser(u);
                    remoteOrders.findByUser(u);
                    concrete.findByUser(u);
                }
            }
        }
        """})
    assert [f for f in findings(tmp_path) if f[1] == "service/ByName.java" and f[0] == "M002"] == [
        ("M002", "service/ByName.java", 13), ("M002", "service/ByName.java", 15)]


def test_test_doubles_do_not_compete_with_the_application_bean(tmp_path: Path) -> None:
    write(tmp_path, {"src/main/java/app/dao/OrderDao.java": ORDER_DAO,
                     "src/main/java/app/dao/JdbcOrderDao.java": JDBC_ORDER_DAO.replace("{annotations}", ""),
                     "src/test/java/app/dao/FakeOrderDao.java": REMOTE_ORDER_DAO.replace("RemoteOrderDao", "FakeOrderDao"),
                     "src/main/java/app/service/Report.java": """\
        package app.service;

        import app.dao.OrderDao;

        public class Report {
            private final OrderDao orders;

            public void touch(List<Long> users) {
                users.forEach(u -> orders.findByUser(u));
            }
        }
        """})
    assert ("M002", "src/main/java/app/service/Report.java", 9) in findings(tmp_path)


def test_a_run_with_every_java_file_cached_skips_the_callee_pre_pass(tmp_path: Path, monkeypatch) -> None:
    # The pre-pass walks every DAO/service another class calls, as costly as checking them: a rerun of
    # unchanged Java (a pre-commit run for a Python change) must not pay for it, and finds the same.
    import sqllint.extract.javacallees as javacallees

    calls: list[int] = []
    real = javacallees.callee_index

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(javacallees, "callee_index", counted)
    write(tmp_path, {"mapper/PostMapper.xml": POST_XML, "mapper/PostMapper.java": POST_MAPPER,
                     "service/PostService.java": POST_SERVICE, "jobs/purge.py": "def purge():\n    pass\n"})

    def check() -> list[Finding]:
        return run(["."], Config(root=tmp_path), tmp_path, jobs=1, cache_dir=tmp_path / ".cache").findings

    first = check()
    assert len(calls) == 1 and {f.rule for f in first} >= {"M001", "M002"}
    (tmp_path / "jobs" / "purge.py").write_text("def purge():\n    return 1\n")
    assert check() == first and len(calls) == 1
    (tmp_path / "service" / "PostService.java").write_text(textwrap.dedent(POST_SERVICE) + "\n// edited\n")
    assert check() == first and len(calls) == 2


def test_an_abstract_implementation_stands_for_its_subclasses(tmp_path: Path) -> None:
    # A template method: the abstract class implements the interface and runs the SQL; its subclasses
    # (the beans) only add what differs. Whichever is injected, the call runs the abstract class's query.
    write(tmp_path, {"dao/OrderDao.java": ORDER_DAO, "dao/BaseOrderDao.java": """\
        package app.dao;

        public abstract class BaseOrderDao implements OrderDao {
            protected JdbcTemplate jdbc;

            public List<Order> findByUser(long userId) {
                return jdbc.query("SELECT id, total FROM orders WHERE user_id = ?", ROW, userId);
            }

            protected abstract String region();
        }
        """, "dao/EuOrderDao.java": """\
        package app.dao;

        @Repository
        public class EuOrderDao extends BaseOrderDao {
            protected String region() { return "eu"; }
        }
        """, "service/Report.java": """\
        package app.service;

        import app.dao.OrderDao;

        public class Report {
            private final OrderDao orders;

            public void touch(List<Long> users) {
                users.forEach(u -> orders.findByUser(u));
            }
        }
        """})
    assert ("M002", "service/Report.java", 9) in findings(tmp_path)


def test_the_pre_pass_walks_only_methods_some_file_calls_and_their_helpers(tmp_path: Path) -> None:
    from sqllint.extract import SUFFIXES
    from sqllint.extract.project import build_index
    from sqllint.files import discover

    write(tmp_path, {"dao/OrderDao.java": """\
        package app.dao;

        @Repository
        public class OrderDao {
            private JdbcTemplate jdbc;

            public Order byId(long id) {
                return fetch(id);
            }

            public int purge() {
                return jdbc.update("DELETE FROM orders WHERE status = 'void'");
            }

            private Order fetch(long id) {
                return jdbc.queryForObject("SELECT id, status FROM orders WHERE id = ?", ROW, id);
            }
        }
        """, "service/Report.java": """\
        package app.service;

        import app.dao.OrderDao;

        public class Report {
            private OrderDao orders;

            public Order one(long id) { return orders.byId(id); }
        }
        """})
    sources = discover(["."], tmp_path, tmp_path, (), SUFFIXES).files
    index = build_index(sources, 1 << 20)
    # purge() is called nowhere: not walked. byId() reaches its SQL through the helper fetch().
    assert sorted(index.callees) == ["app.dao.OrderDao.byId", "app.dao.OrderDao.fetch"]
    assert [run.call for run in index.callees["app.dao.OrderDao.byId"]] == ["fetch → jdbc.queryForObject"]
