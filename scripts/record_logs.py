#!/usr/bin/env python3
"""Record a fixture app's general log and slow log from a real run (fixtures/{shop,mall}/logs/).

    .venv/bin/python scripts/record_logs.py              # re-record fixtures/shop/logs/{general,slow}.log
    .venv/bin/python scripts/record_logs.py --app mall   # re-record fixtures/mall/logs/{general,slow}.log

Starts a throwaway MariaDB server in a temporary directory on a free port, loads the app's schema and the
generated rows the tests use (plus a few rows that make the N+1 loops run long enough to be seen), then
switches on the general log and the slow log (``long_query_time = 0``: every statement, with its
duration) and runs the app's own code: once one request after another, then again from four concurrent
clients (so that connections interleave in the logs). The logs are copied verbatim; nothing in them is
written by hand. The server and its directory are removed afterwards.

shop (Python): the functions of ``fixtures/shop/shop/*.py`` are called through pymysql the way its
endpoints call them. Data: fixtures/shop/schema.sql + tests/data/shop_data.sql.

mall (Spring + MyBatis): ``scripts/mall_run/`` compiles the mall's Java sources with javac and calls its
controllers in a JVM (no web server), wired as Spring Boot would wire them: HikariCP, Spring's
JdbcTemplate and DataSourceTransactionManager, MariaDB Connector/J, all from Debian packages
(libspring-jdbc-java libspring-web-java libspring-context-java libspring-transaction-java libhikaricp-java
libmariadb-java libognl-java). MyBatis itself is not packaged by Debian, so the mapper proxies render the
mapper XML and annotations with MyBatis's dynamic SQL rules implemented in scripts/mall_run/ (OGNL tests,
``#{}`` as JDBC parameters); the statements are sent by the JDBC driver as a MyBatis application's are.
Data: fixtures/mall/schema.sql + tests/data/mall_data.sql.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pymysql

ROOT = Path(__file__).resolve().parent.parent
SHOP = ROOT / "fixtures" / "shop"
DATA = ROOT / "tests" / "data" / "shop_data.sql"
MALL = ROOT / "fixtures" / "mall"
MALL_RUN = ROOT / "scripts" / "mall_run"  # the launcher; kept out of fixtures/mall, which sqllint scans
MALL_DATA = ROOT / "tests" / "data" / "mall_data.sql"
MALL_POWER_USER = 1  # the heaviest buyer of the generated rows: selectByUserId returns its LIMIT of 20
MALL_POWER_ORDER = 50001  # an order id above the generated ones
MALL_POWER_ITEMS = 12
JAVA_LIB = Path("/usr/share/java")
MALL_JARS = ("spring3-core.jar", "spring3-beans.jar", "spring3-context.jar", "spring3-jdbc.jar",
             "spring3-transaction.jar", "spring3-web.jar", "commons-logging.jar", "ognl.jar", "javassist.jar",
             "HikariCP.jar", "slf4j-api.jar", "slf4j-nop.jar", "mariadb-java-client.jar")
MALL_DEBIAN_PACKAGES = ("libspring-jdbc-java", "libspring-web-java", "libspring-context-java",
                        "libspring-transaction-java", "libhikaricp-java", "libslf4j-java", "libmariadb-java", "libognl-java")
POWER_CUSTOMER = 20001  # a user id above the generated ones
POWER_ORDERS = 24


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _statements(text: str) -> list[str]:
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


class Server:
    """A private mariadbd: its own datadir, socket and port; nothing shared with other servers."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.datadir = workdir / "data"
        self.socket = workdir / "mysqld.sock"
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={self.datadir}", "--auth-root-authentication-method=normal",
                        "--skip-test-db", f"--user={os.environ.get('USER', 'root')}"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _attempt in range(3):  # a free port can be taken by another server before ours binds it
            self.process = subprocess.Popen(
                ["/usr/sbin/mariadbd", "--no-defaults", f"--datadir={self.datadir}", f"--socket={self.socket}",
                 f"--port={self.port}", "--bind-address=127.0.0.1", f"--pid-file={self.workdir / 'mysqld.pid'}",
                 "--user=root", "--skip-name-resolve", "--log-output=FILE", "--general-log=0", "--slow-query-log=0",
                 "--innodb-buffer-pool-size=256M", f"--log-error={self.workdir / 'error.log'}",
                 f"--tmpdir={self.workdir}"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and self.process.poll() is None:
                try:
                    with self.connect() as conn, conn.cursor() as cur:
                        cur.execute("SELECT @@datadir")  # ours, not another server that took the port
                        if Path(cur.fetchone()[0]).resolve() == self.datadir.resolve():
                            return
                except pymysql.MySQLError:
                    pass
                time.sleep(0.2)
            if self.process.poll() is None:
                break  # running but never answered: not a port clash
            self.port = _free_port()
        raise RuntimeError(f"mariadbd did not start; see {self.workdir / 'error.log'}")

    def connect(self, database: str | None = None) -> pymysql.connections.Connection:
        return pymysql.connect(host="127.0.0.1", port=self.port, user="root", database=database, autocommit=True)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=60)


def load_shop(server: Server) -> None:
    with server.connect() as conn, conn.cursor() as cur:
        cur.execute("CREATE DATABASE shop")
        cur.execute("CREATE USER 'shop'@'%' IDENTIFIED BY 'shop-demo'")
        cur.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON shop.* TO 'shop'@'%'")
    with server.connect("shop") as conn, conn.cursor() as cur:
        for statement in _statements((SHOP / "schema.sql").read_text()) + _statements(DATA.read_text()):
            cur.execute(statement)
        cur.execute("INSERT INTO users (id, email, name, status, created_at) "
                    "VALUES (%s, 'power@example.com', 'Power Customer', 'active', '2024-06-01')", (POWER_CUSTOMER,))
        for n in range(POWER_ORDERS):
            cur.execute("INSERT INTO orders (user_id, status, total_cents, currency, created_at) "
                        "VALUES (%s, 'paid', %s, 'EUR', '2024-06-01' + INTERVAL %s DAY)", (POWER_CUSTOMER, 1000 + n, n))
            cur.execute("INSERT INTO order_items (order_id, product_id, product_name, quantity, price_cents) "
                        "VALUES (LAST_INSERT_ID(), %s, CONCAT('Product ', %s), 1, 500)", (1 + n, 1 + n))
        cur.execute("ANALYZE TABLE users, orders, order_items")


def scenario() -> list[tuple[str, Callable[[], object]]]:
    """What a short session of real traffic calls: each endpoint's function, with realistic arguments."""
    sys.path.insert(0, str(SHOP))
    from shop import orders, users  # the fixture app's own code

    return [
        ("GET /users/by-email", lambda: users.find_user("user42@example.com")),
        ("GET /orders?q=Product 12", lambda: orders.list_orders(keyword="Product 12")),
        ("GET /orders?status=paid", lambda: orders.list_orders(status="paid", page=2)),
        ("GET /orders (no filter: the incident)", lambda: orders.list_orders()),
        ("GET /orders/search?status=new", lambda: orders.search_orders(status="new")),
        ("GET /orders/search?q=Product 7", lambda: orders.search_orders(keyword="Product 7")),
        ("GET /orders/7/summary", lambda: orders.order_summary(7)),
        ("GET /orders/8/summary", lambda: orders.order_summary(8)),
        ("GET /orders/9/summary (merged)", lambda: orders.order_summary_merged(9)),
        (f"GET /users/{POWER_CUSTOMER}/orders (N+1)", lambda: orders.orders_with_items(POWER_CUSTOMER)),
        ("GET /users/42/orders (N+1, few orders)", lambda: orders.orders_with_items(42)),
        (f"GET /users/{POWER_CUSTOMER}/orders (batched)", lambda: orders.orders_with_items_batched(POWER_CUSTOMER)),
        ("POST /orders/1234/ship", lambda: orders.mark_shipped(1234, "dhl", "TRK-REC-1")),
        ("GET /users/recent", lambda: users.recent_users(20)),
        ("GET /users/by-email", lambda: users.find_user("user7@example.com")),
    ]


def run_shop(server: Server) -> None:
    os.environ.update(SHOP_DB_HOST="127.0.0.1", SHOP_DB_PORT=str(server.port), SHOP_DB_USER="shop",
                      SHOP_DB_PASSWORD="shop-demo", SHOP_DB_NAME="shop")
    calls = scenario()
    for label, call in calls:  # one request after another
        call()
        print(f"ran {label}")
    # Then the same requests from four concurrent clients: their connections interleave in the logs,
    # as they do on a real server.
    with ThreadPoolExecutor(max_workers=4) as pool:
        for label, _ in zip((label for label, _ in calls), pool.map(lambda item: item[1](), calls)):
            print(f"ran {label} (concurrently)")


def load_mall(server: Server) -> None:
    with server.connect() as conn, conn.cursor() as cur:
        cur.execute("CREATE DATABASE mall")
        cur.execute("CREATE USER 'mall'@'%' IDENTIFIED BY 'mall-demo'")
        cur.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON mall.* TO 'mall'@'%'")
    with server.connect("mall") as conn, conn.cursor() as cur:
        for statement in _statements((MALL / "schema.sql").read_text()) + _statements(MALL_DATA.read_text()):
            cur.execute(statement)
        # One big order: its lines endpoint reads one product per item (the N+1 through toLine).
        cur.execute("INSERT INTO orders (id, order_no, user_id, status, total_amount, pay_amount, created_at) "
                    "VALUES (%s, 'NO-POWER-1', %s, 'DONE', 480, 470, '2024-06-01')", (MALL_POWER_ORDER, MALL_POWER_USER))
        for n in range(MALL_POWER_ITEMS):
            cur.execute("INSERT INTO order_items (order_id, product_id, product_name, quantity, unit_price, created_at) "
                        "SELECT %s, id, title, 1, price, '2024-06-01' FROM products WHERE id = %s",
                        (MALL_POWER_ORDER, 101 + 37 * n))
        cur.execute("ANALYZE TABLE orders, order_items")


def _java_classpath() -> str:
    missing = [jar for jar in MALL_JARS if not (JAVA_LIB / jar).exists()]
    if missing or shutil.which("javac") is None:
        raise SystemExit(f"the mall run needs javac and {', '.join(missing) or 'its jars'} in {JAVA_LIB}: "
                         "apt-get install default-jdk-headless " + " ".join(MALL_DEBIAN_PACKAGES))
    return ":".join(str(JAVA_LIB / jar) for jar in MALL_JARS)


def run_mall(server: Server, workdir: Path) -> None:
    classpath = _java_classpath()
    classes = workdir / "classes"
    sources = sorted(str(p) for d in (MALL_RUN / "stubs", MALL_RUN / "src", MALL / "src" / "main" / "java")
                     for p in d.rglob("*.java"))
    subprocess.run(["javac", "-nowarn", "-d", str(classes), "-cp", classpath, *sources], check=True)
    subprocess.run(["java", "-cp", f"{classes}:{classpath}", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                    "com.example.mall.run.RecordRun", f"jdbc:mariadb://127.0.0.1:{server.port}/mall", "mall",
                    "mall-demo", str(MALL / "src" / "main" / "resources" / "mapper"), str(MALL_POWER_USER),
                    str(MALL_POWER_ORDER)], check=True)


def record(app: str, out_dir: Path, keep: bool = False) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="sqllint-record-"))
    server = Server(workdir)
    general, slow = workdir / "general.log", workdir / "slow.log"
    try:
        if app == "mall":
            _java_classpath()  # fail before the server is loaded, not after
        server.start()
        load_mall(server) if app == "mall" else load_shop(server)
        with server.connect() as conn, conn.cursor() as cur:
            cur.execute("SET GLOBAL long_query_time = 0")
            cur.execute("SET GLOBAL log_slow_verbosity = 'query_plan'")
            cur.execute(f"SET GLOBAL general_log_file = '{general}'")
            cur.execute(f"SET GLOBAL slow_query_log_file = '{slow}'")
            cur.execute("SET GLOBAL general_log = 1")
            cur.execute("SET GLOBAL slow_query_log = 1")
        run_mall(server, workdir) if app == "mall" else run_shop(server)
        with server.connect() as conn, conn.cursor() as cur:
            cur.execute("SET GLOBAL general_log = 0")
            cur.execute("SET GLOBAL slow_query_log = 0")
        out_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(general, out_dir / "general.log")
        shutil.copyfile(slow, out_dir / "slow.log")
        print(f"wrote {out_dir / 'general.log'} and {out_dir / 'slow.log'}")
    finally:
        server.stop()
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def record_explain_sample(target: Path) -> None:
    """A small slow log with MariaDB's ``log_slow_verbosity = 'query_plan,explain'`` (tests/data/logs/):
    its ``# explain:`` rows framed by bare ``#`` lines are what a parser must not take for SQL."""
    workdir = Path(tempfile.mkdtemp(prefix="sqllint-record-"))
    server = Server(workdir)
    try:
        server.start()
        with server.connect() as conn, conn.cursor() as cur:
            cur.execute("CREATE DATABASE shop")
            cur.execute("USE shop")  # the seq_1_to_N tables live in the current database
            cur.execute("CREATE TABLE orders (id INT PRIMARY KEY, user_id INT, status VARCHAR(16), KEY (user_id))")
            cur.execute("INSERT INTO orders SELECT seq, seq % 50, ELT(1 + seq % 3, 'new', 'paid', 'done') "
                        "FROM seq_1_to_2000")
            cur.execute("SET GLOBAL long_query_time = 0")
            cur.execute("SET GLOBAL log_slow_verbosity = 'query_plan,explain'")
            cur.execute(f"SET GLOBAL slow_query_log_file = '{workdir / 'slow.log'}'")
            cur.execute("SET GLOBAL slow_query_log = 1")
        with server.connect("shop") as conn, conn.cursor() as cur:
            cur.execute("SELECT id, status FROM orders WHERE user_id = 7 ORDER BY id")
            cur.execute("SELECT status, COUNT(*) FROM orders\nGROUP BY status")
            for order_id in range(1, 7):  # an N+1 loop
                cur.execute("SELECT status FROM orders WHERE id = %s", (order_id,))
        with server.connect() as conn, conn.cursor() as cur:
            cur.execute("SET GLOBAL slow_query_log = 0")
        shutil.copyfile(workdir / "slow.log", target)
        print(f"wrote {target}")
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", choices=("shop", "mall"), default="shop", help="which fixture app to run")
    parser.add_argument("--out", type=Path, help="directory for general.log and slow.log (default: the app's logs/)")
    parser.add_argument("--keep", action="store_true", help="keep the server's temporary directory")
    parser.add_argument("--explain-sample", type=Path, metavar="FILE",
                        help="instead, record the small log_slow_verbosity=explain sample to FILE")
    args = parser.parse_args(argv)
    if args.explain_sample:
        record_explain_sample(args.explain_sample)
        return 0
    record(args.app, args.out or ROOT / "fixtures" / args.app / "logs", args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
