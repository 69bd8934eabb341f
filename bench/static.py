"""Static-check throughput, measured side by side with raw sqlglot parsing in one run.

    python bench/static.py [--files 500] [--per-file 100] [--jobs N]

Generates N Python files holding M distinct statements (a fifth of them built conditionally, so
variants are exercised), then in the same run:

- runs the real ``sqllint check`` command on them (wall time, end to end, including start-up);
- parses the same statement texts with ``sqlglot.parse_one(read="mysql")`` in this process;
- samples the peak resident memory of sqllint's whole process tree (workers included);
- times ``sqllint check`` on one small file next to ``python -c "import sqlglot"``.

Timings on a shared machine are noisy, so every figure that matters is printed as a ratio of two
things measured in the same run. Targets (issue 2): throughput >= 50 % of the raw parse rate, peak
RSS <= 250 MB at 50,000 statements, one small file <= 0.5 s wall.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import sqlglot

TABLES = ["orders", "users", "order_items", "products", "shipments", "payments", "carts", "reviews"]


def statement(index: int) -> str:
    """A distinct, realistic statement (literal values differ so no two texts are equal)."""
    a, b = TABLES[index % len(TABLES)], TABLES[(index // len(TABLES)) % len(TABLES)]
    shape = index % 5
    if shape == 0:
        return f"SELECT id, status, created_at FROM {a} WHERE user_id = {index} ORDER BY created_at DESC LIMIT 20"
    if shape == 1:
        return (f"SELECT x.id, y.name FROM {a} x JOIN {b} y ON y.id = x.ref_id "
                f"WHERE x.status IN ('new', 'paid') AND x.total > {index} ORDER BY x.id LIMIT 50")
    if shape == 2:
        return f"UPDATE {a} SET status = 'archived', version = version + 1 WHERE id = {index} AND status = 'done'"
    if shape == 3:
        return f"INSERT INTO {a} (user_id, status, total, created_at) VALUES ({index}, 'new', {index % 997}, NOW())"
    return (f"SELECT COUNT(*) AS n, SUM(total) FROM {a} WHERE created_at >= '2024-01-01' "
            f"AND region_id = {index} GROUP BY status HAVING n > 1")


def generate(root: Path, files: int, per_file: int) -> list[str]:
    """Write the corpus; return every statement text sqllint will see (variants included)."""
    texts: list[str] = []
    counter = 0
    for file_index in range(files):
        lines = ["import pymysql", ""]
        for fn in range(per_file):
            sql = statement(counter)
            counter += 1
            if fn % 5 == 0:  # conditional building: two optional filters → four variants
                head, tail = sql.split(" ORDER BY")
                lines += [
                    f"def q{fn}(cur, kw=None, status=None):",
                    f"    sql = {head!r}",
                    "    if kw:",
                    "        sql += ' AND name LIKE %s'",
                    "    if status:",
                    "        sql += ' AND status = %s'",
                    f"    sql += {' ORDER BY' + tail!r}",
                    "    cur.execute(sql)",
                    "",
                ]
                for extra in ("", " AND name LIKE ?", " AND status = ?", " AND name LIKE ? AND status = ?"):
                    texts.append(f"{head}{extra} ORDER BY{tail}")
            else:
                lines += [f"def q{fn}(cur):", f"    cur.execute({sql!r})", ""]
                texts.append(sql)
        (root / f"module_{file_index:04d}.py").write_text("\n".join(lines), encoding="utf-8")
    return texts


def tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                total += next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    stack += [int(c) for c in children.read().split()]
        except (OSError, StopIteration, ValueError):
            continue
    return total


def run_measured(command: list[str], cwd: Path) -> tuple[float, int, subprocess.CompletedProcess[bytes]]:
    peak = 0
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_kb(process.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    return wall, peak, subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def median_wall(command: list[str], cwd: Path, repeat: int = 5) -> float:
    walls = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, capture_output=True, check=False)
        walls.append(time.perf_counter() - start)
    return statistics.median(walls)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--per-file", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=None, help="sqllint --jobs (default: its own default)")
    args = parser.parse_args()
    sqllint = shutil.which("sqllint", path=os.path.dirname(sys.executable)) or "sqllint"
    work = Path(tempfile.mkdtemp(prefix="sqllint-bench-"))
    try:
        texts = generate(work, args.files, args.per_file)
        command = [sqllint, "check", ".", "--format", "json", "--exit-zero", "--isolated", "--no-cache"]
        if args.jobs:
            command += ["--jobs", str(args.jobs)]
        if subprocess.run([sqllint, "check", "--help"], capture_output=True, text=True).stdout.find("--no-cache") < 0:
            command.remove("--no-cache")  # older builds without a result cache
        wall, peak_kb, done = run_measured(command, work)
        report = json.loads(done.stdout)
        checked = report["stats"]["queries"]

        start = time.perf_counter()
        for text in texts:
            sqlglot.parse_one(text, read="mysql")
        raw = time.perf_counter() - start

        small = work / "small"
        small.mkdir()
        (small / "dao.py").write_text("def f(cur, uid):\n    cur.execute('SELECT id, name FROM users WHERE id = %s', (uid,))\n")
        one_file = median_wall([sqllint, "check", "small/dao.py", "--isolated"], work)
        import_sqlglot = median_wall([sys.executable, "-c", "import sqlglot"], work)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    check_rate, raw_rate = checked / wall, len(texts) / raw
    print(f"corpus: {args.files} files, {len(texts):,} statement texts (sqllint saw {checked:,}), "
          f"{report['stats']['parse_errors']} parse errors, {len(report['findings']):,} findings")
    print(f"sqllint check : {check_rate:10,.0f} statements/s  ({wall:.2f} s wall, end to end)")
    print(f"sqlglot parse : {raw_rate:10,.0f} statements/s  ({raw:.2f} s, parse_one in-process)")
    print(f"ratio         : {check_rate / raw_rate:10.0%}  of the raw parse rate (target >= 50 %)")
    print(f"peak RSS      : {peak_kb / 1024:10.0f} MB  sqllint process tree (target <= 250 MB at 50,000)")
    print(f"one small file: {one_file:10.2f} s   wall; `import sqlglot` alone {import_sqlglot:.2f} s "
          f"(ratio {one_file / import_sqlglot:.1f}x; target <= 0.5 s)")
    return 0 if done.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
