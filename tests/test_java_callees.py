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
