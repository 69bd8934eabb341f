"""MyBatis throughput, measured side by side with raw sqlglot parsing of the same variant texts.

    python bench/mybatis.py [--files 100] [--per-file 25] [--jobs N]

Generates a Spring-style tree of mapper XML files (``--files`` × ``--per-file`` statements, at least
2,000 by default) written the way teams write them: a shared ``<sql>`` column list, ``<where>`` with
nested ``<if>`` (a filter object whose fields are only tested when it is given), ``<foreach>`` IN
lists, ``<choose>``, ``<set>`` updates and batch inserts. Then, in the same run:

- runs the real ``sqllint check`` command on the tree (wall time, end to end, including start-up and
  the project pre-pass);
- collects the variant texts sqllint checks (the MyBatis extractor, outside the timing) and parses each
  with ``sqlglot.parse_one(read="mysql")`` in this process.

Both are measured ``--repeat`` times, alternately, and the best time of each counts (other processes
on a shared machine only ever make a measurement slower). The figure that matters is the ratio of
the two rates (target >= 50 %).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlglot

from sqllint.extract import ExtractOptions
from sqllint.extract.mybatis import parse_mapper
from sqllint.extract.mybatis_queries import extract_mybatis
from sqllint.extract.project import ProjectIndex

TABLES = ["orders", "users", "order_items", "products", "shipments", "payments", "carts", "reviews", "coupons"]
HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE mapper PUBLIC "-//mybatis.org//DTD Mapper 3.0//EN" '
        '"http://mybatis.org/dtd/mybatis-3-mapper.dtd">\n')


def statement(index: int) -> str:
    """One mapper statement; names and literals vary with ``index`` so that no two texts are equal."""
    table = TABLES[index % len(TABLES)]
    other = TABLES[(index // len(TABLES) + 1) % len(TABLES)]
    shape = index % 5
    if shape in (0, 1):  # the search endpoint: nested <if>, a foreach, an optional join filter
        return f"""
    <select id="search{index}" resultMap="BaseResult">
        SELECT <include refid="cols"/>, x.name
        FROM {table} t
        JOIN {other} x ON x.id = t.ref_id
        <where>
            t.tenant_id = #{{tenantId}} AND t.kind = {index}
            <if test="status != null and status != ''">AND t.status = #{{status}}</if>
            <if test="filter != null">
                AND t.region_id = #{{filter.regionId}}
                <if test="filter.from != null"><![CDATA[ AND t.created_at >= #{{filter.from}} ]]></if>
                <if test="filter.to != null">AND t.created_at &lt; #{{filter.to}}</if>
            </if>
            <if test="ids != null and ids.size() > 0">
                AND t.id IN
                <foreach collection="ids" item="id" open="(" separator="," close=")">#{{id}}</foreach>
            </if>
        </where>
        ORDER BY t.id DESC
        LIMIT #{{limit}}
    </select>"""
    if shape == 2:
        return f"""
    <select id="list{index}" resultMap="BaseResult">
        SELECT <include refid="cols"/> FROM {table} t
        WHERE t.tenant_id = #{{tenantId}} AND t.version &gt; {index}
        <choose>
            <when test="sort == 'recent'">ORDER BY t.created_at DESC</when>
            <when test="sort == 'oldest'">ORDER BY t.created_at</when>
            <otherwise>ORDER BY t.id</otherwise>
        </choose>
        LIMIT 50
    </select>"""
    if shape == 3:
        return f"""
    <update id="update{index}">
        UPDATE {table}
        <set>
            <if test="status != null">status = #{{status}},</if>
            <if test="name != null">name = #{{name}},</if>
            <if test="total != null">total = #{{total}},</if>
            version = version + {index % 7 + 1}
        </set>
        WHERE id = #{{id}} AND tenant_id = #{{tenantId}}
    </update>"""
    return f"""
    <insert id="insert{index}">
        INSERT INTO {table} (tenant_id, ref_id, status, total, kind)
        VALUES
        <foreach collection="rows" item="row" separator=",">
            (#{{row.tenantId}}, #{{row.refId}}, #{{row.status}}, #{{row.total}}, {index})
        </foreach>
    </insert>"""


def generate(root: Path, files: int, per_file: int) -> list[Path]:
    mappers = root / "src" / "main" / "resources" / "mapper"
    mappers.mkdir(parents=True)
    paths = []
    for file_index in range(files):
        body = "".join(statement(file_index * per_file + n) for n in range(per_file))
        path = mappers / f"Entity{file_index:04d}Mapper.xml"
        path.write_text(f"""{HEAD}<mapper namespace="com.example.bench.mapper.Entity{file_index:04d}Mapper">
    <resultMap id="BaseResult" type="com.example.bench.Entity"><id property="id" column="id"/></resultMap>
    <sql id="cols">t.id, t.tenant_id, t.status, t.total, t.created_at</sql>
{body}
</mapper>
""", encoding="utf-8")
        paths.append(path)
    return paths


def variant_texts(paths: list[Path]) -> tuple[int, list[str]]:
    """(statements, the text of every variant) as sqllint's extractor produces them."""
    mappers = {str(path): parse_mapper(path.read_bytes(), str(path)) for path in paths}
    fragments = {key: fragment for mapper in mappers.values() if mapper for key, fragment in mapper.fragments}
    options = ExtractOptions(project=ProjectIndex(mappers=mappers, fragments=fragments))
    statements, texts = 0, []
    for path in paths:
        extraction = extract_mybatis(path.read_bytes(), str(path), options)
        statements += len({q.site for q in extraction.queries})
        texts += [q.text for q in extraction.queries]
    return statements, texts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--per-file", type=int, default=25)
    parser.add_argument("--jobs", type=int, default=None, help="sqllint --jobs (default: its own default)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of both measurements; the best of each counts")
    args = parser.parse_args()
    sqllint = shutil.which("sqllint", path=os.path.dirname(sys.executable)) or "sqllint"
    work = Path(tempfile.mkdtemp(prefix="sqllint-bench-mybatis-"))
    base = [sqllint, "check", ".", "--format", "json", "--exit-zero", "--isolated", "--no-cache"]
    commands = {"default": base + (["--jobs", str(args.jobs)] if args.jobs else []), "one": base + ["--jobs", "1"]}
    try:
        paths = generate(work, args.files, args.per_file)
        statements, texts = variant_texts(paths)
        walls: dict[str, list[float]] = {name: [] for name in commands}
        raws: list[float] = []
        for _round in range(args.repeat):  # alternate the measurements, keep the best of each: the machine is shared
            for name, command in commands.items():
                start = time.perf_counter()
                done = subprocess.run(command, cwd=work, capture_output=True, check=False)
                walls[name].append(time.perf_counter() - start)
            start = time.perf_counter()
            for text in texts:
                sqlglot.parse_one(text, read="mysql")
            raws.append(time.perf_counter() - start)
        report = json.loads(done.stdout)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    stats = report["stats"]
    checked_statements, checked_variants = stats["statements"], stats["queries"]
    raw = min(raws)
    raw_rate = len(texts) / raw
    print(f"corpus: {args.files} mapper files, {statements:,} statements, {len(texts):,} variant texts "
          f"(sqllint saw {checked_statements:,} statements, {checked_variants:,} variants), "
          f"{stats['parse_errors']} parse errors, {len(report['findings']):,} findings; best of {args.repeat}")
    print(f"sqlglot parse         : {statements / raw:7,.0f} statements/s {raw_rate:8,.0f} variants/s "
          f"({raw:.2f} s, parse_one in-process)")
    for name, label in (("default", f"--jobs {args.jobs}" if args.jobs else "(default jobs)"), ("one", "--jobs 1")):
        wall = min(walls[name])
        rate = checked_variants / wall
        print(f"sqllint check {label:<14}: {checked_statements / wall:6,.0f} statements/s {rate:8,.0f} variants/s "
              f"({wall:.2f} s wall, end to end) = {rate / raw_rate:4.0%} of the raw parse rate")
    print("target: sqllint check (default jobs) >= 50 % of the raw parse rate")
    return 0 if done.returncode == 0 and stats["parse_errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
