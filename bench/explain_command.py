"""``sqllint explain`` end to end: how much of its wall time is sqllint, measured side by side in one run.

    python bench/explain_command.py [--repeat 7]

Uses the test database set-up (``SQLLINT_TEST_DSN``, else a throwaway mariadbd; the shop schema with its
generated rows, see tests/conftest.py). In the same run it measures, as medians:

- ``sqllint --version``: the start-up floor no command can go below;
- ``sqllint explain fixtures/shop/shop/orders.py`` (every query and variant of the file) without the plan
  cache, and again with a warm cache;
- the floor of the work itself: one pymysql connection sending the same bound EXPLAIN statements
  sqllint sent (taken from its JSON output), in this process.

Figures that matter are ratios: explain's wall time against start-up + the raw EXPLAINs, and warm
against cold.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def wall(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}): {done.stderr}")
    return elapsed, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    options = parser.parse_args()

    from tests.conftest import DbServer, _server_from_env, _start_throwaway, provision  # the suite's set-up

    throwaway = None
    server: DbServer
    if os.environ.get("SQLLINT_TEST_DSN", "").strip():
        server = _server_from_env(os.environ["SQLLINT_TEST_DSN"])
    else:
        throwaway = _start_throwaway()
        server = throwaway.server
    try:
        shop = provision(server, "shop", ROOT / "fixtures/shop/schema.sql", ROOT / "tests/data/shop_data.sql")
        sqllint = str(Path(sys.executable).with_name("sqllint"))
        env = {**os.environ, "SQLLINT_DSN": shop.dsn}
        with tempfile.TemporaryDirectory() as work:
            cwd = Path(work)
            subprocess.run(["cp", "-r", str(ROOT / "fixtures/shop"), str(cwd / "shop")], check=True)
            target = ["explain", "shop/shop/orders.py", "--format", "json", "--isolated"]
            document = json.loads(wall([sqllint, *target], cwd, env)[1])  # also fills the plan cache
            statements = [v["sent_sql"] for q in document["queries"] for v in q["variants"] if v["sent_sql"]]
            startup, cold, warm, raw = [], [], [], []
            for _ in range(options.repeat):  # interleaved, so that load on a shared machine hits all alike
                startup.append(wall([sqllint, "--version"], cwd, env)[0])
                cold.append(wall([sqllint, *target, "--no-cache"], cwd, env)[0])
                warm.append(wall([sqllint, *target], cwd, env)[0])
                start = time.perf_counter()
                with shop.connect() as conn, conn.cursor() as cursor:
                    for sql in dict.fromkeys(statements):  # sqllint sends one EXPLAIN per distinct statement
                        cursor.execute(f"EXPLAIN FORMAT=JSON {sql}")  # what sqllint sends
                        cursor.fetchall()
                raw.append(time.perf_counter() - start)
    finally:
        if throwaway is not None:
            throwaway.stop()
    floor = statistics.median(startup) + statistics.median(raw)
    print(f"queries x variants explained: {len(statements)} ({len(set(statements))} distinct EXPLAINs)")
    print(f"sqllint --version (start-up):        {statistics.median(startup) * 1000:7.0f} ms")
    print(f"raw pymysql EXPLAINs (this process): {statistics.median(raw) * 1000:7.0f} ms")
    print(f"sqllint explain, no cache:           {statistics.median(cold) * 1000:7.0f} ms "
          f"= {statistics.median(cold) / floor:.2f}x start-up + raw EXPLAINs")
    print(f"sqllint explain, warm plan cache:    {statistics.median(warm) * 1000:7.0f} ms "
          f"= no cache / warm cache {statistics.median(cold) / statistics.median(warm):.2f}")


if __name__ == "__main__":
    main()
