"""A throwaway MariaDB server for the integration tests of the MySQL rotators (Debian's
`mariadb-server` package; no Docker, no system server touched), in the manner of pg_cluster.py.

MariaDbServer().start() runs mariadb-install-db into a new temp dir and starts mariadbd on it,
listening on 127.0.0.1 only (a free port) and on a Unix socket in that dir, grant tables on
(the rotators' CREATE USER / GRANT / ALTER USER must really be checked). mariadbd refuses to
run as root without --user, so when the tests run as root the server runs as `nobody`, which
owns the dir (the dir is under /tmp, not pytest's 0700 tmp_path, so nobody can reach it).

Accounts: root@localhost (socket, the fixture's own), and `master`@`%` with a random password
and ALL PRIVILEGES WITH GRANT OPTION: what a database's master secret holds. sql() runs
statements as root over the socket. stop() shuts down and removes the dir.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from pg_cluster import UNPRIVILEGED_USER, _as_server_user, _free_port

MARIADBD = Path("/usr/sbin/mariadbd")
INSTALL_DB = Path("/usr/bin/mariadb-install-db")
MASTER_USER = "master"


def missing_reason() -> str | None:
    """Why no server can be started here (the binaries are absent), else None."""
    for p in (MARIADBD, INSTALL_DB):
        if not p.exists():
            return f"{p} not found: install Debian's mariadb-server (scripts/install-deps.sh does)"
    return None


class MariaDbServer:
    def __init__(self):
        self.base_dir = Path(tempfile.mkdtemp(prefix="arcana-mariadb-"))
        self.data_dir = self.base_dir / "data"
        self.socket = self.base_dir / "mysqld.sock"
        self.log_path = self.base_dir / "mariadb.log"
        self.port = _free_port()
        self.master_password = secrets.token_urlsafe(16)
        self.proc: subprocess.Popen | None = None

    def _server_args(self) -> list[str]:
        return ["--no-defaults", f"--datadir={self.data_dir}", f"--socket={self.socket}",
                f"--port={self.port}", "--bind-address=127.0.0.1", "--skip-name-resolve",
                f"--log-error={self.log_path}", f"--pid-file={self.base_dir / 'mysqld.pid'}",
                # Small and quick (2 cores shared): the tests hold a handful of connections.
                "--innodb-buffer-pool-size=16M", "--innodb-log-file-size=8M",
                "--max-connections=100", "--performance-schema=OFF"]

    def start(self) -> "MariaDbServer":
        os.chmod(self.base_dir, 0o755)
        if os.geteuid() == 0:
            pw = pwd.getpwnam(UNPRIVILEGED_USER)
            os.chown(self.base_dir, pw.pw_uid, pw.pw_gid)
        r = subprocess.run(
            _as_server_user([str(INSTALL_DB), "--no-defaults", f"--datadir={self.data_dir}",
                             "--auth-root-authentication-method=normal", "--skip-test-db",
                             "--skip-name-resolve"]),
            capture_output=True, text=True, timeout=120, cwd="/")
        if r.returncode != 0:
            raise RuntimeError(f"mariadb-install-db failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        self.proc = subprocess.Popen(_as_server_user([str(MARIADBD), *self._server_args()]),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     cwd="/")
        deadline = time.monotonic() + 60
        while True:
            try:
                self.sql("SELECT 1")
                break
            except Exception:  # noqa: BLE001 - polling until the server answers
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"mariadbd did not start:\n{self.log_tail()}")
                time.sleep(0.1)
        # Anonymous accounts would shadow `name`@`%` for local connections.
        self.sql("DELETE FROM mysql.global_priv WHERE User = ''", "FLUSH PRIVILEGES",
                 f"CREATE USER `{MASTER_USER}`@`%` IDENTIFIED BY '{self.master_password}'",
                 f"GRANT ALL PRIVILEGES ON *.* TO `{MASTER_USER}`@`%` WITH GRANT OPTION")
        return self

    def sql(self, *statements: str) -> list[tuple]:
        """Runs the statements as root over the socket; the rows of the last one."""
        import pymysql
        conn = pymysql.connect(unix_socket=str(self.socket), user="root", password="",
                               connect_timeout=5, autocommit=True)
        try:
            with conn.cursor() as cur:
                rows: list[tuple] = []
                for s in statements:
                    cur.execute(s)
                    rows = list(cur.fetchall())
                return rows
        finally:
            conn.close()

    def connect(self, user: str, password: str):
        """A pymysql connection over TCP, as an application (or a rotator) makes one."""
        import pymysql
        return pymysql.connect(host="127.0.0.1", port=self.port, user=user, password=password,
                               connect_timeout=5)

    def log_tail(self, n: int = 3000) -> str:
        try:
            return self.log_path.read_bytes()[-n:].decode("utf-8", "replace")
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # a clean shutdown on SIGTERM
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        shutil.rmtree(self.base_dir, ignore_errors=True)
