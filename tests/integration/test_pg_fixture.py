"""The PostgreSQL fixture itself (pg_cluster.py, conftest.store_url): what the PostgreSQL pass
of the suite relies on -- an unprivileged server, loopback only, password auth, fsync on, and
a database of its own per data dir."""

from __future__ import annotations

import os
import pwd
import subprocess

import pytest

import pg_cluster
from conftest import store_args, store_database, store_url

pytestmark = pytest.mark.postgresql_only("checks the PostgreSQL test fixture")


def test_server_is_unprivileged_loopback_only_and_commits_synchronously():
    """The session's cluster: fsync off (its tests kill arcanad, never PostgreSQL: see
    pg_cluster.py), every commit still in the WAL before it is acknowledged."""
    pg = pg_cluster.session_cluster()
    pid = int((pg.data_dir / "postmaster.pid").read_text().split()[0])
    owner = pwd.getpwuid(os.stat(f"/proc/{pid}").st_uid).pw_name
    if os.geteuid() == 0:
        assert owner == pg_cluster.UNPRIVILEGED_USER
    assert pg.psql("SHOW listen_addresses") == "127.0.0.1"
    assert pg.psql("SHOW fsync") == "off" and not pg.durable
    assert pg.psql("SHOW synchronous_commit") == "on"
    assert pg.psql("SHOW server_version").startswith("15.")


def test_tcp_needs_the_password():
    pg = pg_cluster.session_cluster()
    r = subprocess.run(
        [str(pg_cluster.PG_BIN / "psql"), "-X", "-h", "127.0.0.1", "-p", str(pg.port),
         "-U", pg_cluster.SUPERUSER, "-d", "postgres", "-c", "SELECT 1"],
        capture_output=True, text=True, timeout=30,
        env={**os.environ, "PGPASSWORD": "wrong", "PGCONNECT_TIMEOUT": "5"})
    assert r.returncode != 0 and "password authentication failed" in r.stderr, r.stderr
    assert "%2F" in pg.url("x")  # the password's '/' is escaped in the URL


def test_a_database_per_data_dir(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert store_url(a) != store_url(b)
    assert store_url(a) == store_url(a)  # a restart over the same dir finds its store again
    assert store_args(a)[:2] == ["--store", store_url(a)]
    assert store_args(a)[-2:] == ["--root-key-file", str(a / "root.key")]
    pg = pg_cluster.session_cluster()
    assert pg.psql(f"SELECT count(*) FROM pg_database WHERE datname = '{store_database(a)}'") == "1"
    # A fresh database is empty: no table a previous server left behind.
    assert pg.psql("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
                   store_database(b)) == "0"
