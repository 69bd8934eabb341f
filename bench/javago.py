"""Java and Go extraction throughput, side by side with what it cannot avoid, in one run.

    python bench/javago.py [--java 300] [--services 100] [--go 200] [--repeat 3]

Generates Spring-style Java DAOs (JdbcTemplate calls, ``static final`` SQL, StringBuilder searches with
conditional appends, loops, mapper calls), services calling them in a loop, and Go stores (database/sql and sqlx calls,
``strings.Builder``, ``fmt.Sprintf``, raw strings). Then, best of ``--repeat`` each, measured
alternately:

- tree-sitter parse alone of every file (the floor the extractors stand on);
- the extractors (``extract_java``/``extract_go``: one parse per file plus the walk);
- ``sqlglot.parse_one(read="mysql")`` of every extracted statement text (what checking them costs);
- the project index (``build_index``) and, within it, the Java callee pre-pass (``callee_index``: the
  DAOs the services call are walked to know what their methods run);
- the real ``sqllint check`` command on the tree, end to end, without the cache and with a warm one.

Printed ratios: extraction / tree-sitter parse (walk overhead), and extraction / sqlglot parse of the
same statements (target: extraction well under the parse cost, so SQL parsing stays where time goes),
and a warm-cache check / a cold one.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlglot

from sqllint.extract import ExtractOptions, SUFFIXES
from sqllint.extract.javacallees import callee_index
from sqllint.extract.project import build_index
from sqllint.files import discover
from sqllint.extract.golang import extract_go
from sqllint.extract.java import extract_java
from sqllint.extract.tsutil import parse

TABLES = ["orders", "users", "order_items", "products", "shipments", "payments", "carts", "reviews", "coupons"]


def java_file(index: int) -> str:
    table = TABLES[index % len(TABLES)]
    other = TABLES[(index + 3) % len(TABLES)]
    methods = []
    for m in range(8):
        methods.append(f"""
    public List<Map<String, Object>> search{m}(String keyword, Integer status, Long userId, int limit) {{
        StringBuilder sql = new StringBuilder("SELECT t.id, t.status, x.name FROM {table} t JOIN {other} x ON x.id = t.ref_id WHERE t.kind = {m}");
        List<Object> args = new ArrayList<>();
        if (keyword != null && !keyword.isBlank()) {{
            sql.append(" AND t.title LIKE ?");
            args.add(keyword + "%");
        }}
        if (status != null) {{
            sql.append(" AND t.status = ?");
            args.add(status);
        }}
        if (userId != null) sql.append(" AND t.user_id = ").append(userId);
        sql.append(" ORDER BY t.id DESC LIMIT " + limit);
        return jdbcTemplate.queryForList(sql.toString(), args.toArray());
    }}

    public void touch{m}(List<Long> ids) {{
        for (Long id : ids) {{
            jdbcTemplate.update(UPDATE_{m}, id);
        }}
        Map<String, Object> row = jdbcTemplate.queryForMap(BY_ID, ids.get(0));
        orderMapper.selectById(ids.get(0));
    }}""")
    constants = "\n".join(f'    private static final String UPDATE_{m} = "UPDATE {table} SET touched_at = NOW() WHERE id = ? AND kind = {m}";'
                          for m in range(8))
    return f"""package com.example.gen{index % 10};

import java.util.*;
import org.springframework.jdbc.core.JdbcTemplate;
import com.example.mall.mapper.OrderMapper;

@Repository
public class Dao{index} {{
    private static final String BY_ID = "SELECT id, status, created_at FROM {table} WHERE id = ?";
{constants}
    private final JdbcTemplate jdbcTemplate;
    private final OrderMapper orderMapper;
{''.join(methods)}
}}
"""


def service_file(index: int, daos: int) -> str:
    """A service calling three DAOs, one in a loop: what makes the project pre-pass walk the DAOs."""
    picked = sorted({(index * 7 + k) % daos for k in range(3)})
    fields = "\n".join(f"    private final com.example.gen{d % 10}.Dao{d} dao{d};" for d in picked)
    calls = "\n".join(f"            dao{d}.touch{k}(ids);" for k, d in enumerate(picked))
    return f"""package com.example.service;

@Service
public class Service{index} {{
{fields}

    public void run(List<List<Long>> batches) {{
        for (List<Long> ids : batches) {{
{calls}
        }}
    }}
}}
"""


def go_file(index: int) -> str:
    table = TABLES[index % len(TABLES)]
    funcs = []
    for m in range(8):
        funcs.append(f"""
func (s *Store) Search{m}(ctx context.Context, kw string, status int, sort string) error {{
	var sb strings.Builder
	sb.WriteString(`SELECT id, status, created_at
		FROM {table}
		WHERE kind = {m}`)
	args := []any{{}}
	if kw != "" {{
		sb.WriteString(" AND title LIKE ?")
		args = append(args, kw+"%")
	}}
	if status > 0 {{
		fmt.Fprintf(&sb, " AND status = %d", status)
	}}
	q := fmt.Sprintf("%s ORDER BY %s LIMIT 50", sb.String(), sort)
	rows, err := s.db.QueryContext(ctx, q, args...)
	_ = rows
	for _, id := range s.ids {{
		s.db.ExecContext(ctx, "UPDATE {table} SET seen = 1 WHERE id = ? AND kind = {m}", id)
	}}
	return err
}}""")
    return f"package store{index}\n\nimport (\n\t\"context\"\n\t\"fmt\"\n\t\"strings\"\n)\n" + "".join(funcs) + "\n"


def best(repeat: int, work: Callable[[], object]) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--java", type=int, default=300)
    parser.add_argument("--go", type=int, default=200)
    parser.add_argument("--services", type=int, default=100, help="Java services calling the DAOs")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="sqllint-bench-javago-"))
    try:
        files: list[tuple[str, bytes]] = []
        for i in range(args.java):
            data = java_file(i).encode()
            (root / f"Dao{i}.java").write_bytes(data)
            files.append(("java", data))
        for i in range(args.services if args.java else 0):
            data = service_file(i, args.java).encode()
            (root / f"Service{i}.java").write_bytes(data)
            files.append(("java", data))
        for i in range(args.go):
            data = go_file(i).encode()
            (root / f"store{i}.go").write_bytes(data)
            files.append(("go", data))
        total_bytes = sum(len(d) for _, d in files)
        options = ExtractOptions()

        def parse_only() -> None:
            for language, data in files:
                parse(data, language)

        def extract_all() -> list[str]:
            texts: list[str] = []
            for index, (language, data) in enumerate(files):
                extractor = extract_java if language == "java" else extract_go
                texts.extend(q.text for q in extractor(data, f"f{index}", options).queries)
            return texts

        texts: list[str] = extract_all()  # warm the grammars and collect the statements once

        def sqlglot_all() -> None:
            for text in texts:
                sqlglot.parse_one(text, read="mysql")

        parse_time = extract_time = sqlglot_time = float("inf")
        for _ in range(args.repeat):  # alternate, best of each
            parse_time = min(parse_time, best(1, parse_only)[0])
            extract_time = min(extract_time, best(1, extract_all)[0])
            sqlglot_time = min(sqlglot_time, best(1, sqlglot_all)[0])
        sources = discover([str(root)], root, root, (), SUFFIXES).files
        index_time, index = best(args.repeat, lambda: build_index(sources, 1 << 20))
        java_sources = [f for f in sources if f.language == "java"]
        callee_time, _ = best(args.repeat, lambda: callee_index(java_sources, index, 1 << 20))

        def check(*flags: str) -> float:
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "sqllint", "check", ".", "--exit-zero", "--format", "json",
                                   *flags], capture_output=True, text=True, cwd=root)
            if done.returncode != 0:
                raise SystemExit(done.stderr)
            return time.perf_counter() - start

        check_time = check("--no-cache")
        check()  # fills the cache (.sqllint_cache in the corpus)
        warm_time = min(check() for _ in range(args.repeat))
        print(f"corpus: {args.java} Java DAOs + {args.services if args.java else 0} services + {args.go} Go files, "
              f"{total_bytes / 1e6:.1f} MB, {len(texts):,} statements (variants included)")
        print(f"tree-sitter parse only : {parse_time * 1000:8.1f} ms  ({len(files) / parse_time:,.0f} files/s)")
        print(f"extraction (parse+walk): {extract_time * 1000:8.1f} ms  ({len(files) / extract_time:,.0f} files/s, "
              f"{len(texts) / extract_time:,.0f} statements/s)")
        print(f"sqlglot parse of them  : {sqlglot_time * 1000:8.1f} ms  ({len(texts) / sqlglot_time:,.0f} statements/s)")
        print(f"project index          : {index_time * 1000:8.1f} ms  (of which the Java callee pre-pass "
              f"{callee_time * 1000:.1f} ms)")
        print(f"sqllint check (e2e)    : {check_time * 1000:8.1f} ms")
        print(f"sqllint check, warm cache: {warm_time * 1000:6.1f} ms  (nothing changed: every file a cache hit)")
        print(f"ratio extraction / tree-sitter parse: {extract_time / parse_time:.1f}x")
        print(f"ratio extraction / sqlglot parse    : {extract_time / sqlglot_time:.0%}")
        print(f"ratio warm check / cold check       : {warm_time / check_time:.0%}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
