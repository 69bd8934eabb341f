"""What a pre-commit run costs: ``sqllint check`` on one changed file, next to ``import sqlglot``.

    python bench/precommit.py [--repeat 7]

Builds a small project (a few hundred Python files with SQL, a ``pyproject.toml`` and a baseline),
changes one file, and times, in the same run and alternating:

- ``sqllint check --force-exclude <the changed file>``, as the pre-commit hook runs it (the cache and
  the baseline in use, as they would be);
- ``python -c "import sqlglot"``, the floor any sqlglot-based tool pays at start-up.

Targets (issue 5): <= 0.5 s wall and <= 3x the import. Medians are reported; both commands run in
the same conditions (bytecode cached, as for an installed package).
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

SQLLINT = Path(sys.executable).parent / "sqllint"
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

MODULE = '''import pymysql


def find_user(cur, user_id):
    cur.execute("SELECT id, name, email FROM users WHERE id = %s", (user_id,))
    return cur.fetchone()


def recent_orders(cur, user_id, status=None):
    sql = "SELECT id, status, total FROM orders WHERE user_id = %s"
    params = [user_id]
    if status:
        sql += " AND status = %s"
        params.append(status)
    cur.execute(sql + " ORDER BY created_at DESC LIMIT 20", params)
    return cur.fetchall()


def search(cur, term):
    cur.execute("SELECT id, title FROM products WHERE title LIKE %s LIMIT 50", ("%" + term + "%",))
    return cur.fetchall()


def archive(cur, order_id):
    cur.execute("UPDATE orders SET status = 'archived' WHERE id = %s", (order_id,))
'''


def run(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=ENV)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{args[0]} failed ({done.returncode}): {done.stderr}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--files", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sqllint-bench-precommit-"))
    try:
        (work / "app").mkdir()
        for index in range(args.files):
            (work / "app" / f"dao_{index:03d}.py").write_text(MODULE.replace("users", f"users_{index}"),
                                                               encoding="utf-8")
        (work / "pyproject.toml").write_text('[tool.sqllint]\nextend-exclude = ["migrations"]\n', encoding="utf-8")
        subprocess.run([str(SQLLINT), "baseline"], cwd=work, capture_output=True, env=ENV, check=True)
        changed = work / "app" / "dao_007.py"
        changed.write_text(MODULE + '\n\ndef everything(cur):\n    cur.execute("SELECT * FROM orders")\n',
                           encoding="utf-8")
        hook = [str(SQLLINT), "check", "--force-exclude", "app/dao_007.py"]
        floor = [sys.executable, "-c", "import sqlglot"]
        run(hook, work)  # first run writes bytecode and the cache, as an earlier commit would have
        run(floor, work)
        hooks, imports = [], []
        for _ in range(args.repeat):
            hooks.append(run(hook, work))
            imports.append(run(floor, work))
        wall, base = statistics.median(hooks), statistics.median(imports)
        print(f"sqllint check on one changed file: {wall:.3f} s (median of {args.repeat}; target <= 0.5 s)")
        print(f"python -c 'import sqlglot':        {base:.3f} s")
        print(f"ratio: {wall / base:.2f}x the import (target <= 3x)")
        return 0 if wall <= 0.5 and wall <= 3 * base else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
