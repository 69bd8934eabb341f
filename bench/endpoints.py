"""What the endpoint map costs on top of the static check, measured side by side in one run.

    python bench/endpoints.py [--endpoints 400] [--repeat 3]

Generates a Flask application written in layers — blueprints of route handlers calling a service
class (constructor-injected DAO), the service calling DAO methods that run SQL, some in loops — then
in the same run times the real commands, end to end (start-up included), alternating them:

- ``sqllint check`` (the static run alone),
- ``sqllint endpoints`` (the same static run + discovery, call graph, chains, endpoint findings),
- ``sqllint report --html`` (the same, rendered as the self-contained page).

Target: ``sqllint endpoints`` within 2.5x the wall time of ``sqllint check`` on the same tree, where every
function is reachable from an endpoint and half the queries are N+1 at the endpoint level (the map parses
every Python file again with ``ast``, resolves every call on the way, and runs the scope rules, whose
IN-list suggestions cost most of it, once per endpoint).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SQLLINT = [sys.executable, "-m", "sqllint"]
TABLES = ["orders", "users", "order_items", "products", "shipments", "payments", "carts", "reviews"]


def generate(root: Path, endpoints: int) -> None:
    app = root / "app"
    (app / "views").mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "views" / "__init__.py").write_text("")
    per_module = 20
    modules = max(1, endpoints // per_module)
    registrations = []
    for m in range(modules):
        table = TABLES[m % len(TABLES)]
        dao = [f"class Dao{m}:\n    def __init__(self, cur):\n        self.cur = cur\n"]
        service = [f"from app.dao{m} import Dao{m}\n\n\nclass Service{m}:\n    def __init__(self, dao: Dao{m}):\n"
                   "        self.dao = dao\n"]
        views = [f"from flask import Blueprint, jsonify\nfrom app.service{m} import Service{m}\n"
                 f"from app.dao{m} import Dao{m}\n\nbp = Blueprint('m{m}', __name__, url_prefix='/m{m}')\n"
                 f"service = Service{m}(Dao{m}(None))\n"]
        for e in range(per_module):
            n = m * per_module + e
            dao.append(f"    def read{e}(self, key):\n"
                       f"        self.cur.execute(\"SELECT id, status, total FROM {table} WHERE id = %s AND v = {n}\", (key,))\n"
                       f"        return self.cur.fetchone()\n\n"
                       f"    def items{e}(self, key):\n"
                       f"        sql = \"SELECT sku, qty FROM order_items WHERE order_id = %s\"\n"
                       f"        if key > {n}:\n            sql += \" AND qty > 0\"\n"
                       f"        self.cur.execute(sql, (key,))\n        return self.cur.fetchall()\n")
            service.append(f"    def op{e}(self, key):\n        head = self.dao.read{e}(key)\n"
                           f"        return [self.dao.items{e}(k) for k in range(key)] + [head]\n")
            views.append(f"@bp.route('/r{e}/<int:key>', methods=['GET'])\ndef handler{e}(key):\n"
                         f"    return jsonify(service.op{e}(key))\n")
        (app / f"dao{m}.py").write_text("\n".join(dao))
        (app / f"service{m}.py").write_text("\n".join(service))
        (app / "views" / f"v{m}.py").write_text("\n".join(views))
        registrations.append(f"from app.views.v{m} import bp as bp{m}\napp.register_blueprint(bp{m})")
    (app / "main.py").write_text("from flask import Flask\napp = Flask(__name__)\n" + "\n".join(registrations) + "\n")


def timed(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(SQLLINT + args, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"sqllint {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="sqllint-bench-endpoints-"))
    try:
        generate(root, options.endpoints)
        out = root / "report.html"
        commands = {"check": ["check", ".", "--isolated", "--no-cache", "--no-baseline", "--exit-zero"],
                    "endpoints": ["endpoints", ".", "--isolated", "--format", "json"],
                    "report": ["report", ".", "--isolated", "--html", str(out)]}
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(options.repeat):  # alternated, so that machine noise hits all of them alike
            for name, args in commands.items():
                times[name].append(timed(args, root))
        check = statistics.median(times["check"])
        print(f"{options.endpoints} endpoints ({options.endpoints * 2} queries, half of them in a loop), "
              f"median of {options.repeat} runs:")
        for name in commands:
            median = statistics.median(times[name])
            print(f"  sqllint {name:<10} {median:6.2f} s   {median / check:4.2f}x check")
        ratio = statistics.median(times["endpoints"]) / check
        print(f"endpoints / check = {ratio:.2f} (target <= 2.50): {'ok' if ratio <= 2.5 else 'MISSED'}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
