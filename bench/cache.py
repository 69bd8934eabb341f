"""Result cache: a warm full re-run of ``sqllint check`` against a cold one, in the same run.

    python bench/cache.py [--files 300] [--per-file 60] [--jobs N] [--repeat 3]

Generates a corpus of Python files (distinct statements, some built conditionally so variants are
exercised), then times the real ``sqllint check`` command end to end (start-up included):

- cold: an empty ``.sqllint_cache/`` (every file extracted, parsed and checked);
- warm: the same command again, nothing changed (every file answered from the cache);
- one edit: the same command after one file changed (that file checked, the rest cached).

The target (issue 5) is warm >= 20x faster than cold. Both are measured here, so the ratio holds
on a slow or busy machine too. The outputs of the cold and warm runs are compared: the cache must not
change a single finding.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TABLES = ["orders", "users", "order_items", "products", "shipments", "payments"]
SQLLINT = Path(sys.executable).parent / "sqllint"


def statement(index: int) -> str:
    """A distinct statement; one in ten has something to report, as in a real code base."""
    a, b = TABLES[index % len(TABLES)], TABLES[(index // len(TABLES)) % len(TABLES)]
    shape = index % 10
    if shape == 9:
        return f"SELECT id, name FROM {a} WHERE name LIKE '%{index}' ORDER BY id LIMIT 10"
    if shape % 3 == 0:
        return f"SELECT id, status FROM {a} WHERE user_id = %s AND total > {index} ORDER BY id LIMIT 20"
    if shape % 3 == 1:
        return f"SELECT x.id, y.name FROM {a} x JOIN {b} y ON y.id = x.ref_id WHERE x.code = {index}"
    return f"UPDATE {a} SET status = 'done' WHERE id = %s AND version = {index}"


def generate(root: Path, files: int, per_file: int) -> None:
    counter = 0
    for file_index in range(files):
        lines = ["import pymysql", ""]
        for fn in range(per_file):
            counter += 1
            sql = statement(counter)
            lines.append(f"def q{fn}(cur, flag, x):")
            if fn % 5 == 0:
                lines += [f'    sql = "{sql}"', "    if flag:", '        sql += " AND 1 = 1"',
                          "    cur.execute(sql, (x,))"]
            else:
                lines.append(f'    cur.execute("{sql}", (x,))')
            lines.append("")
        (root / f"mod_{file_index:04d}.py").write_text("\n".join(lines), encoding="utf-8")


# Installed Python code normally has its bytecode cached; a PYTHONDONTWRITEBYTECODE=1 environment would
# recompile sqllint's modules on every start and bill that to the warm run.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(args: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=ENV)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"sqllint failed ({done.returncode}): {done.stderr}")
    return elapsed, done.stdout


def in_process(work: Path, jobs: int | None) -> tuple[float, float]:
    """``engine.run`` cold and warm in this process: the cache's own effect, without start-up."""
    from sqllint.config import Config
    from sqllint.engine import run

    cache = work / ".sqllint_cache"
    shutil.rmtree(cache, ignore_errors=True)
    config = Config(root=work)
    start = time.perf_counter()
    cold = run(["."], config, work, jobs=jobs, cache_dir=cache)
    middle = time.perf_counter()
    warm = run(["."], config, work, jobs=jobs, cache_dir=cache)
    end = time.perf_counter()
    if warm.findings != cold.findings:
        raise SystemExit("the cached run reported different findings")
    return middle - start, end - middle


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--per-file", type=int, default=60)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sqllint-bench-cache-"))
    try:
        generate(work, args.files, args.per_file)
        command = [str(SQLLINT), "check", "--isolated", "."]  # the default text report
        if args.jobs:
            command += ["--jobs", str(args.jobs)]
        colds, warms, edits = [], [], []
        for _ in range(args.repeat):
            shutil.rmtree(work / ".sqllint_cache", ignore_errors=True)
            cold, cold_out = timed(command, work)
            warm, warm_out = timed(command, work)
            if warm_out != cold_out:
                raise SystemExit("the cached run reported different findings")
            victim = work / "mod_0000.py"
            victim.write_text(victim.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
            edit, _ = timed(command, work)
            colds.append(cold)
            warms.append(warm)
            edits.append(edit)
        import_time, _ = timed([sys.executable, "-c", "import sqlglot"], work)
        startup = statistics.median(timed([str(SQLLINT), "--version"], work)[0] for _ in range(3))
        engine_cold, engine_warm = in_process(work, args.jobs)
        statements = args.files * args.per_file
        cold, warm, edit = statistics.median(colds), statistics.median(warms), statistics.median(edits)
        print(f"corpus: {args.files} files, {statements} statements ({os.cpu_count()} CPUs)")
        print(f"cold run (empty cache):   {cold:7.3f} s")
        print(f"warm run (nothing changed): {warm:5.3f} s   -> {cold / warm:5.1f}x faster (target >= 20x)")
        print(f"one file edited:          {edit:7.3f} s")
        print(f"python -c 'import sqlglot': {import_time:5.3f} s; sqllint --version: {startup:.3f} s "
              f"(start-up, which no cache removes)")
        print(f"engine only (run() in one process, start-up excluded): cold {engine_cold:.3f} s, "
              f"warm {engine_warm:.3f} s -> {engine_cold / engine_warm:.1f}x")
        return 0 if cold / warm >= 20 else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
