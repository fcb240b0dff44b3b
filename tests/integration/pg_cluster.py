"""A throwaway PostgreSQL 15 server for the integration tests (Debian's `postgresql-15` package;
no Docker, no system cluster touched).

PgCluster(base_dir).start() runs initdb + pg_ctl from /usr/lib/postgresql/15/bin in base_dir,
listening on 127.0.0.1 only (a free port) and on a Unix socket in base_dir. initdb and postgres
refuse to run as root, so when the tests run as root (make test in a clean Debian clone) the
server runs as `nobody`, which owns base_dir; psql runs as the caller over TCP.

Authentication: scram-sha-256 with a random password (with a '/', which the URL must escape) on
127.0.0.1, so every arcanad under test gets a real `postgresql://user:pass@host:port/db` URL (a
backend that dropped the password would fail to connect); trust only on the cluster's own Unix
socket. Port and password are kept in base_dir/cluster.json (0600) so a cluster can be started
again (scripts/serve-cluster.sh keeps one in ./data-cluster/pg).

create_database() makes a FRESH database per call (CREATE DATABASE), so every arcanad the tests
start has a store of its own and tests stay independent.

A cluster flushes to disk (fsync on) unless made with durable=False. The session's shared
cluster is not durable: its tests kill arcanad, never PostgreSQL or the machine, and a commit
PostgreSQL acknowledged is in its WAL (written to the kernel, synchronous_commit stays on)
whether or not it was also flushed, so a killed arcanad's acknowledged writes are there
either way; the flushes cost every CREATE DATABASE and commit of the suite's PostgreSQL pass.
The cluster tests that kill or restart PostgreSQL itself make durable clusters of their own.

session_cluster() is the one cluster of a pytest session (started on first use, stopped by
stop_session_cluster() from conftest's pytest_sessionfinish). The cluster tests that restart
PostgreSQL start a PgCluster of their own so no other test sees the outage.
"""

from __future__ import annotations

import itertools
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN = Path(os.environ.get("ARCANA_PG_BIN", "/usr/lib/postgresql/15/bin"))
SUPERUSER = "arcana"
UNPRIVILEGED_USER = "nobody"
STATE_FILE = "cluster.json"  # port and password of a cluster, beside its data dir


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(cmd: list[str]) -> list[str]:
    """Prefix cmd so it runs as the unprivileged server user when we are root."""
    if os.geteuid() != 0:
        return cmd
    pw = pwd.getpwnam(UNPRIVILEGED_USER)
    return ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--clear-groups",
            "--reset-env", *cmd]


def url_quote(s: str) -> str:
    from urllib.parse import quote
    return quote(s, safe="")


class PgCluster:
    """One postgres server in base_dir/{data,sock,postgres.log}. Not thread-safe to start/stop
    concurrently; psql/create_database may be called from any thread."""

    def __init__(self, base_dir: Path | None = None, port: int | None = None,
                 durable: bool = True):
        """A cluster in base_dir (a new temp dir if None). An existing one (base_dir/cluster.json)
        keeps its port and password; a new one gets port (or a free one) and a random
        password with a '/' in it, so a URL builder that forgets to escape it is caught.
        durable=False: fsync off (see the module's comment)."""
        self.durable = durable
        if not (PG_BIN / "initdb").exists():
            raise RuntimeError(
                f"{PG_BIN}/initdb not found: install Debian's postgresql-15 "
                "(scripts/install-deps.sh does)")
        self.base_dir = Path(base_dir) if base_dir else Path(tempfile.mkdtemp(prefix="arcana-pg-"))
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = self.base_dir / "data"
        self.sock_dir = self.base_dir / "sock"
        self.log_path = self.base_dir / "postgres.log"
        state = self.base_dir / STATE_FILE
        if state.exists() and self.data_dir.exists():
            saved = json.loads(state.read_text())
            self.port, self.password = int(saved["port"]), saved["password"]
        else:
            self.port = port or _free_port()
            self.password = secrets.token_urlsafe(12) + "/x"
        self._seq = itertools.count(1)
        self.started = False

    # ------------------------------------------------------------------ lifecycle
    def _chown_to_server_user(self, p: Path) -> None:
        if os.geteuid() == 0:
            pw = pwd.getpwnam(UNPRIVILEGED_USER)
            os.chown(p, pw.pw_uid, pw.pw_gid)

    def _check_reachable(self) -> None:
        """The server user must be able to traverse every directory above base_dir."""
        if os.geteuid() != 0:
            return
        for d in self.base_dir.resolve().parents:
            if not os.stat(d).st_mode & 0o001:
                raise RuntimeError(
                    f"PostgreSQL runs as {UNPRIVILEGED_USER} (initdb refuses root) and cannot "
                    f"reach {self.base_dir}: {d} is not searchable by others. Put the cluster "
                    f"under a path {UNPRIVILEGED_USER} can traverse, or `chmod o+x {d}`.")

    def init(self) -> None:
        self._check_reachable()
        self.sock_dir.mkdir(exist_ok=True)
        os.chmod(self.base_dir, 0o755)  # the server user must reach data/ and sock/
        self._chown_to_server_user(self.base_dir)
        self._chown_to_server_user(self.sock_dir)
        state = self.base_dir / STATE_FILE
        state.write_text(json.dumps({"port": self.port, "password": self.password}))
        os.chmod(state, 0o600)
        pwfile = self.base_dir / "pwfile"
        pwfile.write_text(self.password + "\n")
        os.chmod(pwfile, 0o600)
        self._chown_to_server_user(pwfile)
        self.log_path.touch()
        self._chown_to_server_user(self.log_path)
        r = subprocess.run(
            _as_server_user([str(PG_BIN / "initdb"), "-D", str(self.data_dir), "-U", SUPERUSER,
                             f"--pwfile={pwfile}", "--auth-local=trust",
                             "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C",
                             "--no-instructions",
                             # initdb's own final fsync of the new files only; the server
                             # keeps fsync on unless durable=False.
                             "--no-sync"]),
            capture_output=True, text=True, timeout=120, cwd="/")
        pwfile.unlink()
        if r.returncode != 0:
            raise RuntimeError(f"initdb failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        # Loopback only; enough connections for every arcanad a session starts (each holds a
        # pool) and the tests' own psql; small buffers (2 cores, many helpers).
        with open(self.data_dir / "postgresql.conf", "a") as f:
            f.write("\n# arcana integration tests\n"
                    "listen_addresses = '127.0.0.1'\n"
                    f"port = {self.port}\n"
                    f"unix_socket_directories = '{self.sock_dir}'\n"
                    "max_connections = 400\n"
                    "shared_buffers = 32MB\n"
                    "logging_collector = off\n"
                    "log_min_messages = warning\n")
            if not self.durable:
                f.write("fsync = off\nfull_page_writes = off\n")

    def pg_ctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            _as_server_user([str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir), *args]),
            capture_output=True, text=True, timeout=timeout, cwd="/")

    def start(self) -> "PgCluster":
        if not self.data_dir.exists():
            self.init()
        elif self.pg_ctl("status").returncode == 0:  # left running by an earlier run
            self.started = True
            return self
        r = self.pg_ctl("-l", str(self.log_path), "-w", "-t", "60", "start")
        if r.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed ({r.returncode}):\n{r.stdout}\n{r.stderr}\n"
                               f"log:\n{self.log_tail()}")
        self.started = True
        return self

    def stop(self, mode: str = "fast") -> None:
        if not self.started:
            return
        r = self.pg_ctl("-w", "-t", "60", "-m", mode, "stop")
        if r.returncode != 0 and "Is server running?" not in r.stderr:
            raise RuntimeError(f"pg_ctl stop failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        self.started = False

    def destroy(self) -> None:
        try:
            self.stop(mode="immediate")
        finally:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def log_tail(self, n: int = 3000) -> str:
        try:
            return self.log_path.read_bytes()[-n:].decode("utf-8", "replace")
        except OSError:
            return "(no log)"

    # ------------------------------------------------------------------ SQL
    def url(self, database: str) -> str:
        return (f"postgresql://{SUPERUSER}:{url_quote(self.password)}@127.0.0.1:{self.port}/"
                f"{database}")

    def psql(self, sql: str, database: str = "postgres", timeout: float = 30) -> str:
        """Runs sql (one or more statements) and returns psql's unaligned, tuples-only output."""
        env = dict(os.environ, PGPASSWORD=self.password, PGCONNECT_TIMEOUT="10")
        r = subprocess.run(
            [str(PG_BIN / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
             "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, "-d", database,
             "-c", sql],
            capture_output=True, text=True, timeout=timeout, env=env)
        if r.returncode != 0:
            raise RuntimeError(f"psql on {database} failed ({r.returncode}): {r.stderr.strip()}\n"
                               f"SQL: {sql}")
        return r.stdout.strip()

    def dump(self, database: str) -> bytes:
        """pg_dump (plain SQL, data included) of database: what it holds at rest."""
        env = dict(os.environ, PGPASSWORD=self.password)
        r = subprocess.run([str(PG_BIN / "pg_dump"), "-h", "127.0.0.1", "-p", str(self.port),
                            "-U", SUPERUSER, "-d", database], capture_output=True, timeout=120,
                           env=env)
        if r.returncode != 0:
            raise RuntimeError(f"pg_dump {database} failed: {r.stderr.decode(errors='replace')}")
        return r.stdout

    def create_database(self, prefix: str = "arcana") -> str:
        """CREATE DATABASE <prefix>_<pid>_<n>; returns its name."""
        name = f"{prefix}_{os.getpid()}_{next(self._seq)}"
        self.psql(f'CREATE DATABASE "{name}"')
        return name

    def ensure_database(self, name: str) -> str:
        """CREATE DATABASE name unless it exists; returns name."""
        if not self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"):
            self.psql(f'CREATE DATABASE "{name}"')
        return name

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.psql("SELECT 1")
                return
            except Exception:  # noqa: BLE001 - polling
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


_session: PgCluster | None = None


def session_cluster() -> PgCluster:
    """The session's shared cluster, started on first use."""
    global _session
    if _session is None:
        c = PgCluster(durable=False)
        try:
            c.start()
        except Exception:
            c.destroy()
            raise
        _session = c
    return _session


def stop_session_cluster(keep: bool = False) -> None:
    global _session
    if _session is None:
        return
    c, _session = _session, None
    if keep:
        c.stop()
    else:
        c.destroy()


def main(argv: list[str]) -> int:
    """Command line for scripts (run.sh's JS pass, scripts/serve-cluster.sh):
      pg_cluster.py start DIR [PORT]   initdb (first time) + start; prints the port
      pg_cluster.py url DIR DATABASE   creates DATABASE if absent; prints its URL
      pg_cluster.py stop DIR           fast shutdown
      pg_cluster.py destroy DIR        immediate shutdown, DIR removed
    """
    import sys
    if len(argv) < 2 or argv[0] not in ("start", "url", "stop", "destroy"):
        print(main.__doc__, file=sys.stderr)
        return 2
    cmd, base = argv[0], Path(argv[1]).resolve()
    if cmd == "start":
        c = PgCluster(base, port=int(argv[2]) if len(argv) > 2 else None)
        c.start()
        print(c.port)
        return 0
    c = PgCluster(base)
    c.started = True
    if cmd == "url":
        print(c.url(c.ensure_database(argv[2])))
    elif cmd == "stop":
        c.stop()
    else:
        c.destroy()
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(main(sys.argv[1:]))
