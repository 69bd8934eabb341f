"""A MyBatis-Plus wrapper query run by another class's method is run at that method's callers, as other
callee SQL is (javacallees): N+1 and mergeable reads at the controller calling ``userService.findByDept``."""

from __future__ import annotations

import textwrap
from pathlib import Path

from sqllint.config import Config
from sqllint.engine import run
from sqllint.extract import ExtractOptions, extract_source
from sqllint.extract.project import build_index
from sqllint.files import SourceFile
from sqllint.records import Finding, Query
from tests.test_java_wrappers import USER

USER_MAPPER = """\
package com.shop.mapper;
import com.shop.domain.User;
public interface UserMapper extends BaseMapper<User> {}
"""
USER_SERVICE = """\
package com.shop.service;
import com.shop.domain.User;
public interface UserService extends IService<User> {
    List<User> findByDept(Long deptId);
    List<User> search(Long deptId, String kw);
    List<User> odd(Long deptId);
    void sweep(List<Long> ids);
}
"""
# One implementation: a ServiceImpl running wrappers through its inherited list(), a lambdaQuery() chain
# with an optional condition, a wrapper MP cannot be modelled for, and a loop of its own.
USER_SERVICE_IMPL = """\
package com.shop.service;

import com.shop.domain.User;
import com.shop.mapper.UserMapper;

@Service
public class UserServiceImpl extends ServiceImpl<UserMapper, User> implements UserService {
    public List<User> findByDept(Long deptId) {
        return list(new LambdaQueryWrapper<User>().eq(User::getDeptId, deptId));
    }

    public List<User> search(Long deptId, String kw) {
        return lambdaQuery().eq(User::getDeptId, deptId).like(kw != null, User::getName, kw).list();
    }

    public List<User> odd(Long deptId) {
        return list(new QueryWrapper<User>().allEq(Map.of("dept_id", deptId)));
    }

    public void sweep(List<Long> ids) {
        for (Long id : ids) {
            baseMapper.selectList(Wrappers.<User>lambdaQuery().eq(User::getId, id));
        }
    }
}
"""
CONTROLLER_HEAD = """\
package com.shop.web;

import com.shop.service.UserService;

@RestController
public class UserController {
    private UserService userService;

"""


def write(root: Path, controller: str) -> None:
    files = {"domain/User.java": USER, "mapper/UserMapper.java": USER_MAPPER,
             "service/UserService.java": USER_SERVICE, "service/UserServiceImpl.java": USER_SERVICE_IMPL,
             "web/UserController.java": CONTROLLER_HEAD + textwrap.indent(textwrap.dedent(controller), "    ") + "}\n"}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def controller_findings(root: Path, controller: str) -> list[Finding]:
    write(root, controller)
    found = run(["."], Config(root=root), root, jobs=1).findings
    return [f for f in found if f.path == "web/UserController.java" and f.rule in ("M001", "M002")]


def controller_queries(root: Path, controller: str) -> list[Query]:
    write(root, controller)
    files = [SourceFile(str(p.relative_to(root)), p, "java") for p in sorted(root.rglob("*.java"))]
    index = build_index(files, 10_000_000)
    name = "web/UserController.java"
    return extract_source((root / name).read_bytes(), name, "java", ExtractOptions(32, index)).queries


COLUMNS = "id, user_name, status, dept_id, create_time"


def test_a_wrapper_query_of_a_called_service_method_in_the_callers_loop_is_n_plus_one(tmp_path: Path) -> None:
    found = controller_findings(tmp_path, """\
        public void load(List<Long> depts) {
            for (Long dept : depts) {
                userService.findByDept(dept);
            }
        }
        """)
    assert [(f.rule, f.line, f.message) for f in found] == [
        ("M002", 11, "`userService.findByDept → list (MyBatis-Plus)` (UserService.findByDept, a SELECT) runs "
                     "once per iteration of the loop on line 10 (N+1 queries)")]
    assert found[0].sql == f"SELECT {COLUMNS} FROM t_user WHERE dept_id = ?"


def test_two_calls_reading_by_the_same_key_are_mergeable_at_the_caller(tmp_path: Path) -> None:
    found = controller_findings(tmp_path, """\
        public int both(Long dept) {
            List<User> first = userService.findByDept(dept);
            return first.size() + userService.findByDept(dept).size();
        }

        public void either(Long dept, boolean flag) {
            if (flag) {
                userService.findByDept(dept);
            } else {
                userService.findByDept(dept);
            }
        }
        """)
    # The calls on the two arms of the if never both run: not one read twice.
    assert [(f.rule, f.line, f.message) for f in found] == [
        ("M001", 11, "`userService.findByDept → list (MyBatis-Plus)` reads t_user by the same key (dept_id) as "
                     "`userService.findByDept → list (MyBatis-Plus)` on line 10: merge them into one query")]


def test_optional_wrapper_conditions_stay_variants_at_the_caller(tmp_path: Path) -> None:
    body = """\
        public void find(Long dept, String kw) {
            userService.search(dept, kw);
            userService.search(dept, kw);
        }
        """
    queries = controller_queries(tmp_path, body)
    assert {q.variant.label: q.text for q in queries if q.variant and q.line == 10} == {
        "when kw is absent": f"SELECT {COLUMNS} FROM t_user WHERE dept_id = ?",
        "when kw is present": f"SELECT {COLUMNS} FROM t_user WHERE dept_id = ? AND user_name LIKE ?"}
    first = next(q for q in queries if q.line == 10)
    assert first.call == "userService.search → lambdaQuery()….list() (MyBatis-Plus)"
    assert first.resolved_from == "com.shop.service.UserService.search"
    assert first.origin == (("service/UserServiceImpl.java", 13, 16),)
    assert all(not p.bound for q in queries for p in q.placeholders)  # the callee's values are its parameters
    # Which key these calls read depends on the filters given: no read by one key to merge (052ad13).
    assert controller_findings(tmp_path, body) == []


def test_what_the_callee_cannot_model_or_loops_over_itself_is_not_carried(tmp_path: Path) -> None:
    queries = controller_queries(tmp_path, """\
        public void other(Long dept, List<Long> ids) {
            userService.odd(dept);
            userService.sweep(ids);
        }
        """)
    assert queries == []  # odd(): E004 where it is written; sweep(): its own loop's reads, its own N+1
    found = controller_findings(tmp_path, """\
        public void other(List<Long> depts) {
            for (Long dept : depts) {
                userService.odd(dept);
            }
        }
        """)
    assert found == []


def test_a_plain_service_running_another_services_chain_is_followed(tmp_path: Path) -> None:
    # ReportService names no mapper and no JDBC call: its IService field alone makes it worth walking
    # (the controller does not import it: the one class of that name in the project is meant).
    (tmp_path / "service").mkdir(parents=True, exist_ok=True)
    (tmp_path / "service/ReportService.java").write_text(textwrap.dedent("""\
        package com.shop.service;

        @Service
        public class ReportService {
            private UserService userService;

            public long active(Long deptId) {
                return userService.lambdaQuery().eq(User::getDeptId, deptId).eq(User::getStatus, 1).count();
            }
        }
        """))
    found = controller_findings(tmp_path, """\
        private ReportService reportService;

        public void load(List<Long> depts) {
            depts.forEach(dept -> reportService.active(dept));
        }
        """)
    assert [(f.rule, f.line, f.sql) for f in found] == [
        ("M002", 12, "SELECT COUNT(*) FROM t_user WHERE dept_id = ? AND status = ?")]
