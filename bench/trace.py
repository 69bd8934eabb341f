"""``sqllint trace`` throughput and memory, measured side by side with raw sqlglot tokenizing in one run.

    python bench/trace.py [--statements 300000] [--connections 64]

Generates a MySQL 8 general log and a MariaDB slow log of the same traffic (requests on interleaved
connections: a list query, an N+1 loop over its rows, two mergeable reads, a write), then in the same run:

- runs the real ``sqllint trace LOG --no-link`` command on each (wall time, end to end, start-up
  included) and samples the peak resident memory of its process;
- tokenizes the same statement texts with sqlglot's MySQL tokenizer in this process, which is the
  floor of fingerprinting (each logged statement must at least be tokenized once).

Every figure that matters is a ratio of two things measured in the same run (timings on a shared machine
are noisy): trace throughput vs raw tokenizing, and peak RSS vs log size (streaming: the log is never
held in memory, so RSS stays flat as the log grows).
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlglot.dialects.dialect import Dialect


def requests(total: int, connections: int, seed: int = 7) -> list[tuple[int, str]]:
    """(connection, statement) in arrival order; requests of different connections interleave."""
    rng = random.Random(seed)
    pending: dict[int, list[str]] = {}
    out: list[tuple[int, str]] = []
    next_user = 1
    while len(out) < total:
        conn = rng.randrange(1, connections + 1)
        queue = pending.get(conn)
        if not queue:
            user, next_user = next_user, next_user + 1
            orders = [user * 10 + k for k in range(rng.randrange(1, 12))]
            queue = [f"SELECT id, status, created_at FROM orders WHERE user_id = {user} ORDER BY created_at DESC"]
            queue += [f"SELECT product_name, quantity, price_cents FROM order_items WHERE order_id = {o}"
                      for o in orders]
            queue += [f"SELECT status, created_at FROM orders WHERE id = {orders[0]}",
                      f"SELECT total_cents, currency FROM orders WHERE id = {orders[0]}",
                      f"UPDATE users SET last_seen = NOW() WHERE id = {user}",
                      f"SELECT id, email, name FROM users WHERE email = 'user{user}@example.com'"]
            pending[conn] = queue
        out.append((conn, queue.pop(0)))
    return out


def write_logs(root: Path, traffic: list[tuple[int, str]]) -> tuple[Path, Path]:
    general, slow = root / "general.log", root / "slow.log"
    start = 1_714_557_600.0
    with general.open("w") as g, slow.open("w") as s:
        g.write("/usr/sbin/mysqld, Version: 8.0.36 (MySQL Community Server - GPL). started with:\n"
                "Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock\nTime                 Id Command    Argument\n")
        s.write("/usr/sbin/mariadbd, Version: 10.11.6-MariaDB-log (Debian 12). started with:\n"
                "Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock\nTime\t\t    Id Command\tArgument\n")
        for index, (conn, sql) in enumerate(traffic):
            at = start + index * 0.0002
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + f".{int(at % 1 * 1e6):06d}Z"
            g.write(f"{stamp}\t{conn:>5} Query\t{sql}\n")
            s.write(f"# User@Host: app[app] @  [10.0.0.5]\n# Thread_id: {conn}  Schema: shop  QC_hit: No\n"
                    f"# Query_time: 0.000{index % 900 + 100}  Lock_time: 0.000010  Rows_sent: 1  Rows_examined: 1\n"
                    f"# Rows_affected: 0  Bytes_sent: 120\nSET timestamp={int(at)};\n{sql};\n")
    return general, slow


def peak_rss_kb(pid: int, stop: threading.Event, result: list[int]) -> None:
    peak = 0
    status = Path(f"/proc/{pid}/status")
    while not stop.is_set():
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    peak = max(peak, int(line.split()[1]))
        except OSError:
            break
        time.sleep(0.02)
    result.append(peak)


def run_trace(log: Path) -> tuple[float, int]:
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "sqllint", "trace", str(log), "--no-link", "--isolated",
                                "--exit-zero", "--format", "json", "-o", "/dev/null"])
    stop, peak = threading.Event(), []  # type: ignore[var-annotated]
    sampler = threading.Thread(target=peak_rss_kb, args=(process.pid, stop, peak))
    sampler.start()
    code = process.wait()
    elapsed = time.perf_counter() - started
    stop.set()
    sampler.join()
    if code != 0:
        raise SystemExit(f"sqllint trace failed with exit code {code}")
    return elapsed, peak[0] if peak else 0


def raw_tokenize(texts: list[str]) -> float:
    dialect = Dialect.get_or_raise("mysql")
    started = time.perf_counter()
    for text in texts:
        dialect.tokenize(text)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=300_000)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    traffic = requests(args.statements, args.connections)
    texts = [sql for _conn, sql in traffic]
    with tempfile.TemporaryDirectory(prefix="sqllint-bench-trace-") as tmp:
        general, slow = write_logs(Path(tmp), traffic)
        small = Path(tmp) / "small"
        small.mkdir()
        small_general, _ = write_logs(small, traffic[: len(traffic) // 10])
        rows = []
        for name, log in (("general log", general), ("slow log", slow)):
            # The raw rate is measured right before and after each run (the machine's load drifts).
            before = raw_tokenize(texts)
            elapsed, peak = run_trace(log)
            after = raw_tokenize(texts)
            rows.append((name, log.stat().st_size, elapsed, peak, (before + after) / 2))
        small_elapsed, small_peak = run_trace(small_general)
    print(f"{len(texts):,} statements on {args.connections} connections")
    for name, size, elapsed, peak, tokenize in rows:
        rate, raw = len(texts) / elapsed, len(texts) / tokenize
        print(f"sqllint trace, {name} ({size / 1e6:,.0f} MB): {rate:,.0f} statements/s vs raw sqlglot tokenize "
              f"(the floor of fingerprinting) {raw:,.0f}/s = {rate / raw:.0%}; peak RSS {peak / 1024:,.0f} MB")
    print(f"streaming: a log a tenth the size peaks at {small_peak / 1024:,.0f} MB RSS vs "
          f"{rows[0][3] / 1024:,.0f} MB for the full general log "
          f"(ratio {rows[0][3] / max(1, small_peak):.2f} for 10x the data; wall {small_elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
