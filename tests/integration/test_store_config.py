"""--store / ARCANA_STORE and --root-key-file / ARCANA_ROOT_KEY_FILE (issue 9): the store and
the root key file live where they are told (not in the data dir); one arcanad per SQLite
store; a node whose root key file is not the store's refuses to start and says why; a store
URL's password never reaches the log."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import ARCANAD, ArcanaServer, free_port


def run_to_exit(args: list[str], env: dict, timeout: float = 20.0) -> subprocess.CompletedProcess:
    """Runs arcanad expecting it to refuse to start; returns the finished process."""
    full_env = dict(os.environ)
    full_env.update(env)
    return subprocess.run([str(ARCANAD), "--listen", f"127.0.0.1:{free_port()}", *args],
                          env=full_env, capture_output=True, text=True, timeout=timeout)


@pytest.mark.sqlite_only("sets ARCANA_STORE=sqlite:DIR itself (the harness's --store flag would "
                         "override it under PostgreSQL); test_cluster.py covers the PostgreSQL "
                         "refusals")
def test_store_and_root_key_file_live_where_they_are_told(tmp_path):
    store, keys, node = tmp_path / "store", tmp_path / "keys", tmp_path / "node"
    keys.mkdir()
    env = {"ARCANA_STORE": f"sqlite:{store}", "ARCANA_ROOT_KEY_FILE": str(keys / "root.key")}
    srv = ArcanaServer(node, tmp_path / "logs", dev=True, env=env)
    srv.start()
    try:
        srv.client().create_secret(Name="cfg/x", SecretString="v")
        assert (store / "arcana.db").exists()
        assert not (node / "arcana.db").exists()
        key_file = keys / "root.key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and key_file.stat().st_size == 32
        assert not (node / "root.key").exists()
        log = srv.log_path.read_text()
        assert f"store sqlite:{store}" in log, log

        # One arcanad per SQLite store, whatever its data dir.
        other = run_to_exit(["--data-dir", str(tmp_path / "node2"), "--dev"], env)
        assert other.returncode != 0
        assert "in use by another arcanad" in other.stdout + other.stderr

        srv.restart()
        assert srv.client().get_secret_value(SecretId="cfg/x")["SecretString"] == "v"
    finally:
        srv.stop()

    # The offline CLI takes the same options (and variables).
    cli = ARCANAD.parent / "arcana"
    made = subprocess.run([str(cli), "--data-dir", str(node), "--store", f"sqlite:{store}",
                           "--root-key-file", str(keys / "root.key"), "access-key", "create"],
                          capture_output=True, text=True, timeout=30)
    assert made.returncode == 0, made.stderr
    assert "AWS_ACCESS_KEY_ID=" in made.stdout
    full_env = dict(os.environ, **env)
    listed = subprocess.run([str(cli), "--data-dir", str(node), "access-key", "list"],
                            capture_output=True, text=True, timeout=30, env=full_env)
    assert listed.returncode == 0, listed.stderr
    assert made.stdout.split("AWS_ACCESS_KEY_ID=")[1].split()[0] in listed.stdout
    # Without the store's root key file it refuses, and says why.
    refused = subprocess.run([str(cli), "--data-dir", str(node), "--store", f"sqlite:{store}",
                              "access-key", "create"], capture_output=True, text=True, timeout=30)
    assert refused.returncode != 0
    assert "does not exist" in refused.stderr, refused.stderr


@pytest.mark.sqlite_only("sets ARCANA_STORE=sqlite:DIR itself (the harness's --store flag would "
                         "override it under PostgreSQL); test_cluster.py covers the PostgreSQL "
                         "refusals")
def test_a_node_without_the_stores_root_key_refuses_to_start(tmp_path):
    store = tmp_path / "store"
    env = {"ARCANA_STORE": f"sqlite:{store}"}
    srv = ArcanaServer(tmp_path / "a", tmp_path / "logs", dev=True, env=env)
    srv.start()
    srv.client().create_secret(Name="cfg/y", SecretString="v")
    srv.stop()

    # A node with no key file: an initialised store never gets a new one.
    missing = run_to_exit(["--data-dir", str(tmp_path / "b"), "--dev"], env)
    out = missing.stdout + missing.stderr
    assert missing.returncode != 0
    assert "does not exist" in out and "same key file" in out, out
    assert not (tmp_path / "b" / "root.key").exists()

    # A node with another key.
    other_key = tmp_path / "other.key"
    other_key.write_bytes(os.urandom(32))
    other_key.chmod(0o600)
    refused = run_to_exit(["--data-dir", str(tmp_path / "b"), "--dev",
                           "--root-key-file", str(other_key)], env)
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0
    assert "does not match" in out and str(other_key) in out and "same key file" in out, out

    # The node with the store's key file (copied) serves.
    copied = tmp_path / "copied.key"
    copied.write_bytes((tmp_path / "a" / "root.key").read_bytes())
    copied.chmod(0o600)
    env_b = dict(env, ARCANA_ROOT_KEY_FILE=str(copied))
    b = ArcanaServer(tmp_path / "b", tmp_path / "logs-b", dev=True, env=env_b)
    b.start()
    try:
        assert b.client().get_secret_value(SecretId="cfg/y")["SecretString"] == "v"
    finally:
        b.stop()


def test_a_bad_store_url_is_refused_without_echoing_it(tmp_path):
    p = run_to_exit(["--data-dir", str(tmp_path / "d"), "--dev",
                     "--store", "mysql://arcana:pw-SECRET-1@db/x"], {})
    out = p.stdout + p.stderr
    assert p.returncode != 0
    assert "sqlite:DIR" in out and "postgresql://" in out, out
    assert "pw-SECRET-1" not in out


def test_a_postgresql_password_never_reaches_the_log(tmp_path):
    # Nothing listens on port 9 of loopback (or this build has no PostgreSQL): the start
    # fails, and what it says names the store without its password.
    p = run_to_exit(["--data-dir", str(tmp_path / "d"), "--dev",
                     "--store", "postgresql://arcana:pw-SECRET-2@127.0.0.1:9/arcana"], {})
    out = p.stdout + p.stderr
    assert p.returncode != 0
    assert "pw-SECRET-2" not in out, out
    assert "postgresql://arcana:***@127.0.0.1:9/arcana" in out, out
