"""Test database provisioning: a real MariaDB/MySQL server with the fixtures' schemas and data.

``SQLLINT_TEST_DSN`` (e.g. ``mysql://root@127.0.0.1:3306/``, an account that may create databases and
users) names a server to use; otherwise a throwaway ``mariadbd`` is started in a temporary directory on a
free port (``mariadb-server`` is installed with apt-get when it is missing and we are root) and removed
at the end. Tests that need a server never skip: they provision it.

Databases are named after a hash of their schema and data (``sqllint_t_shop_<hash>``) and built once
under a server-side lock, so xdist workers and concurrent runs share them read-only; a test that changes
a schema asks for ``scratch_db`` (its own database, dropped afterwards). Fixtures:

- ``db_server``: the server (``dsn(database)``, ``connect(database)``);
- ``shop_db`` / ``mall_db``: fixtures/shop and fixtures/mall schemas with tens of thousands of generated
  rows (tests/data/*_data.sql) and ``ANALYZE TABLE``: ``.dsn``, ``.readonly_dsn`` (a SELECT-only
  account whose password needs URL-encoding), ``.connect()``;
- ``scratch_db``: a factory ``scratch_db(schema_sql="")`` for a private database.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pymysql
import pytest
from pymysql.constants import CLIENT

from tests.helpers import apt_install

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
PROVISION_VERSION = "3"  # bump to rebuild every shared test database
READONLY_USER = "sqllint_ro"
READONLY_PASSWORD = "R0:p@ss/w#rd%sqllint"  # characters that must be URL-encoded in a DSN, and masked
META_DB = "sqllint_test_meta"


@dataclass(frozen=True)
class DbServer:
    host: str
    port: int
    user: str
    password: str = field(default="", repr=False)

    def dsn(self, database: str = "", user: str | None = None, password: str | None = None) -> str:
        user = self.user if user is None else user
        password = self.password if password is None else password
        auth = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
        return f"mysql://{auth}@{self.host}:{self.port}/{database}"

    def connect(self, database: str | None = None, *, multi: bool = False, **options) -> pymysql.Connection:
        return pymysql.connect(host=self.host, port=self.port, user=self.user, password=self.password,
                               database=database, autocommit=True, charset="utf8mb4",
                               client_flag=CLIENT.MULTI_STATEMENTS if multi else 0, **options)


@dataclass(frozen=True)
class TestDatabase:
    server: DbServer
    name: str

    @property
    def dsn(self) -> str:
        return self.server.dsn(self.name)

    @property
    def readonly_dsn(self) -> str:
        return self.server.dsn(self.name, READONLY_USER, READONLY_PASSWORD)

    def connect(self, **options) -> pymysql.Connection:
        return self.server.connect(self.name, **options)

    def query(self, sql: str, args=None) -> list[tuple]:
        with self.connect() as conn, conn.cursor() as cursor:
            cursor.execute(sql, args)
            return list(cursor.fetchall())

    def script(self, sql: str) -> None:
        """Run several ``;``-separated statements (schema or data files)."""
        with self.server.connect(self.name, multi=True) as conn:
            _run_script(conn, sql)


# --- the server ------------------------------------------------------------------------------------------

def _server_from_env(text: str) -> DbServer:
    parts = urlsplit(text)
    if parts.scheme not in ("mysql", "mariadb") or not parts.hostname:
        raise pytest.UsageError(f"SQLLINT_TEST_DSN must look like mysql://user[:password]@host[:port]/, got "
                                f"{parts.scheme}://{parts.hostname}")
    return DbServer(parts.hostname, parts.port or 3306, unquote(parts.username or "root"),
                    unquote(parts.password or ""))


def _binary(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name) or next((str(p) for d in ("/usr/sbin", "/usr/bin", "/usr/local/bin")
                                            if (p := Path(d) / name).is_file()), None)
        if found:
            return found
    return None


def _ensure_mariadb_installed() -> tuple[str, str]:
    server, install = _binary("mariadbd", "mysqld"), _binary("mariadb-install-db", "mysql_install_db")
    if server and install:
        return server, install
    apt_install("mariadb-server", why="no MariaDB server binary (mariadbd), and SQLLINT_TEST_DSN is not set")
    server, install = _binary("mariadbd", "mysqld"), _binary("mariadb-install-db", "mysql_install_db")
    if not (server and install):
        raise RuntimeError("apt-get installed mariadb-server but mariadbd/mariadb-install-db are not on PATH")
    return server, install


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class _Throwaway:
    directory: Path
    process: subprocess.Popen
    server: DbServer

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        shutil.rmtree(self.directory, ignore_errors=True)


def _start_throwaway(performance_schema: bool = False) -> _Throwaway:
    """A private mariadbd; ``performance_schema`` switches it on (it cannot be turned on at run time)."""
    mariadbd, install_db = _ensure_mariadb_installed()
    directory = Path(tempfile.mkdtemp(prefix="sqllint-mariadb-"))
    as_root = ["--user=root"] if os.geteuid() == 0 else []
    datadir, tmpdir = directory / "data", directory / "tmp"
    tmpdir.mkdir()  # private: concurrent bootstraps (xdist workers) collide on temporary files in /tmp
    done = subprocess.run([install_db, "--no-defaults", f"--datadir={datadir}", "--auth-root-authentication-method=normal",
                           "--skip-test-db", f"--tmpdir={tmpdir}", *as_root], capture_output=True, text=True)
    if done.returncode != 0:
        shutil.rmtree(directory, ignore_errors=True)
        raise RuntimeError(f"mariadb-install-db failed: {done.stderr[-2000:]}")
    last_error = ""
    for _attempt in range(3):  # the free port can be taken between probing and binding it
        port = _free_port()
        log = directory / "error.log"
        process = subprocess.Popen(
            [mariadbd, "--no-defaults", f"--datadir={datadir}", f"--port={port}", "--bind-address=127.0.0.1",
             f"--socket={directory / 'mysqld.sock'}", f"--pid-file={directory / 'mysqld.pid'}", "--skip-networking=0",
             f"--log-error={log}", f"--tmpdir={tmpdir}", "--innodb-buffer-pool-size=128M", "--innodb-log-file-size=64M",
             "--innodb-flush-log-at-trx-commit=0", "--skip-log-bin", f"--performance-schema={'ON' if performance_schema else 'OFF'}",
             "--character-set-server=utf8mb4", "--max-connections=300", "--skip-name-resolve", *as_root],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        server = DbServer("127.0.0.1", port, "root")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                conn = server.connect(connect_timeout=2)
                try:
                    with conn.cursor() as cur:
                        cur.execute("SELECT @@datadir")  # ours: another server may hold the port we picked
                        ours = Path(cur.fetchone()[0]).resolve() == datadir.resolve()
                finally:
                    conn.close()
                if ours:
                    return _Throwaway(directory, process, server)
            except pymysql.MySQLError:
                pass
            time.sleep(0.2)
        last_error = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        if process.poll() is None:
            process.kill()
            process.wait(10)
    shutil.rmtree(directory, ignore_errors=True)
    raise RuntimeError(f"the throwaway mariadbd did not start; its error log ends with:\n{last_error}")


@pytest.fixture(scope="session")
def db_server() -> Iterator[DbServer]:
    """The test server: ``SQLLINT_TEST_DSN`` if set, else a throwaway mariadbd for this session."""
    from_env = os.environ.get("SQLLINT_TEST_DSN", "").strip()
    if from_env:
        server = _server_from_env(from_env)
        server.connect(connect_timeout=10).close()  # fail loudly (not skip) when the named server is down
        yield server
        return
    throwaway = _start_throwaway()
    try:
        yield throwaway.server
    finally:
        throwaway.stop()


# --- shared databases ------------------------------------------------------------------------------------

def _run_script(conn: pymysql.Connection, sql: str) -> None:
    with conn.cursor() as cursor:
        cursor.execute(sql)
        while cursor.nextset():
            pass


class _Lock:
    """A server-side named lock (GET_LOCK), held while one process builds a shared database."""

    def __init__(self, conn: pymysql.Connection, name: str) -> None:
        self.conn, self.name = conn, name

    def __enter__(self) -> None:
        with self.conn.cursor() as cursor:
            cursor.execute("SELECT GET_LOCK(%s, 900)", (self.name,))
            if cursor.fetchone()[0] != 1:
                raise RuntimeError(f"timed out waiting for the test-database lock {self.name}")

    def __exit__(self, *_exc: object) -> None:
        with self.conn.cursor() as cursor:
            cursor.execute("SELECT RELEASE_LOCK(%s)", (self.name,))


def _ensure_readonly_user(conn: pymysql.Connection, database: str) -> None:
    with conn.cursor() as cursor:
        cursor.execute("CREATE USER IF NOT EXISTS %s@'%%' IDENTIFIED BY %s", (READONLY_USER, READONLY_PASSWORD))
        cursor.execute("ALTER USER %s@'%%' IDENTIFIED BY %s", (READONLY_USER, READONLY_PASSWORD))
        cursor.execute(f"GRANT SELECT ON `{database}`.* TO %s@'%%'", (READONLY_USER,))


def provision(server: DbServer, label: str, schema: Path, data: Path | None) -> TestDatabase:
    """The database holding ``schema`` and ``data``, built once per content hash; later calls reuse it."""
    schema_sql = schema.read_text(encoding="utf-8")
    data_sql = data.read_text(encoding="utf-8") if data else ""
    digest = hashlib.sha256("\0".join((PROVISION_VERSION, schema_sql, data_sql)).encode()).hexdigest()[:12]
    name = f"sqllint_t_{label}_{digest}"
    with server.connect(multi=True) as conn:
        with _Lock(conn, name):
            with conn.cursor() as cursor:
                cursor.execute(f"CREATE DATABASE IF NOT EXISTS {META_DB}")
                cursor.execute(f"CREATE TABLE IF NOT EXISTS {META_DB}.ready (name VARCHAR(64) PRIMARY KEY, "
                               "built_at DATETIME NOT NULL)")
                cursor.execute(f"SELECT 1 FROM {META_DB}.ready WHERE name = %s", (name,))
                ready = cursor.fetchone() is not None
                if ready:
                    cursor.execute("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (name,))
                    ready = cursor.fetchone() is not None
                if not ready:
                    cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
                    cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
                    cursor.execute(f"USE `{name}`")
                    _run_script(conn, schema_sql)
                    if data_sql:
                        _run_script(conn, data_sql)
                    cursor.execute(f"REPLACE INTO {META_DB}.ready VALUES (%s, NOW())", (name,))
            with _Lock(conn, "sqllint_t_users"):
                _ensure_readonly_user(conn, name)
    return TestDatabase(server, name)


@pytest.fixture(scope="session")
def shop_db(db_server: DbServer) -> TestDatabase:
    """fixtures/shop/schema.sql with tests/data/shop_data.sql (20k users, 50k orders, 120k items …)."""
    return provision(db_server, "shop", ROOT / "fixtures/shop/schema.sql", DATA / "shop_data.sql")


@pytest.fixture(scope="session")
def mall_db(db_server: DbServer) -> TestDatabase:
    """fixtures/mall/schema.sql (the MyBatis fixture's database) with tests/data/mall_data.sql."""
    schema = ROOT / "fixtures/mall/schema.sql"
    if not schema.exists():
        raise RuntimeError("fixtures/mall/schema.sql is missing")
    return provision(db_server, "mall", schema, DATA / "mall_data.sql")


@pytest.fixture
def scratch_db(db_server: DbServer) -> Iterator[Callable[..., TestDatabase]]:
    """``scratch_db(schema_sql="")``: a private database for a test that changes it; dropped afterwards."""
    created: list[str] = []

    def make(schema_sql: str = "") -> TestDatabase:
        name = f"sqllint_s_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with db_server.connect(multi=True) as conn:
            with conn.cursor() as cursor:
                cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
            created.append(name)
            if schema_sql:
                conn.select_db(name)
                _run_script(conn, schema_sql)
            with _Lock(conn, "sqllint_t_users"):
                _ensure_readonly_user(conn, name)
        return TestDatabase(db_server, name)

    yield make
    with db_server.connect() as conn, conn.cursor() as cursor:
        for name in created:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
