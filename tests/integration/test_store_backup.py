"""`arcana store backup` / `arcana store restore` (storage/store_backup.h): a one-node SQLite
store copied to one file while arcanad serves, and put back later in place of the store,
arcanad stopped, as Vault's snapshots do; `arcana store inspect` says what a backup holds.

What is checked: the restored node serves the store as it was at the backup (a version, a
secret, a parameter written after it are gone; a KMS ciphertext made before it decrypts), and
takes writes; the backup file is 0600 and never overwritten; a restore is refused while an
arcanad runs, for a file that is not an Arcana store or is damaged, and for a backup sealed
under another root key (nothing replaced each time); the replaced database is kept and
restoring it undoes the restore; the change stream answers Reset to a follower that read up
to the replaced store's head (so arcana-agent drops what it cached), and the change numbers
never go back; both actions are operator records, and `arcana audit verify` counts the
changes the restore undid instead of failing on them."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from conftest import ARCANAD, ROOT_AKID, ROOT_SECRET, ArcanaServer, wait_for

pytestmark = pytest.mark.sqlite_only("backs up and restores a SQLite store: the SQLite pass")

ARCANA_CLI = ARCANAD.parent / "arcana"
REGION = "us-east-1"
ENV = {"ARCANA_ROOT_ACCESS_KEY_ID": ROOT_AKID, "ARCANA_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET}


def start(data_dir) -> ArcanaServer:
    return ArcanaServer(data_dir, data_dir.parent / (data_dir.name + "-logs"), dev=False, env=ENV,
                        store=f"sqlite:{data_dir}").start()


def clients(srv):
    kw = dict(endpoint_url=srv.endpoint, region_name=REGION, aws_access_key_id=ROOT_AKID,
              aws_secret_access_key=ROOT_SECRET, config=Config(retries={"max_attempts": 1}))
    return [boto3.client(s, **kw) for s in ("secretsmanager", "ssm", "kms")]


def store(data_dir, *args) -> subprocess.CompletedProcess:
    return subprocess.run([str(ARCANA_CLI), "--data-dir", str(data_dir), "store", *args],
                          capture_output=True, text=True, timeout=120)


def changes(srv, after=None) -> dict:
    path = "/_arcana/changes" + ("" if after is None else f"?after={after}")
    req = AWSRequest(method="GET", url=srv.endpoint + path)
    SigV4Auth(Credentials(ROOT_AKID, ROOT_SECRET), "secretsmanager", REGION).add_auth(req)
    r = requests.get(srv.endpoint + path, headers=dict(req.headers), timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def operator_records(data_dir, name):
    trail = "".join(p.read_text() for p in (data_dir / "audit").glob("cli-*.jsonl"))
    return [json.loads(l) for l in trail.splitlines() if f'"{name}"' in l]


def test_a_backup_taken_while_serving_restores_the_store_as_it_was(tmp_path):
    data = tmp_path / "node"
    srv = start(data)
    sm, ssm, kms = clients(srv)
    v1 = sm.create_secret(Name="bk/db", SecretString='{"password":"p1"}')["VersionId"]
    ssm.put_parameter(Name="/bk/secure", Value="s3cret", Type="SecureString")
    key = kms.create_key(Description="kept")["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"before the backup")["CiphertextBlob"]

    backup = tmp_path / "arcana.backup"
    r = store(data, "backup", "--to", str(backup))
    assert r.returncode == 0, r.stderr
    assert "root of trust" in r.stdout and "not in the backup" in r.stdout
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600
    assert not list(tmp_path.glob("*partial*"))
    # Never overwritten.
    r = store(data, "backup", "--to", str(backup))
    assert r.returncode == 1 and "exists" in r.stderr, r.stderr
    # What it holds, without restoring it; the live store (read while it serves) agrees.
    r = store(data, "inspect", str(backup))
    assert r.returncode == 0, r.stderr
    held = dict(line.split("\t", 1) for line in r.stdout.splitlines())
    assert held["integrity"] == "ok" and held["root rotation"] == "none"
    assert held["root of trust"].startswith("keyfile, root key ") and held["secrets"] == "1"
    assert held["ssm_parameters"] == "1" and int(held["change sequence"].split()[0]) > 0
    live = dict(l.split("\t", 1) for l in store(data, "inspect", str(data / "arcana.db")).stdout.splitlines())
    assert live["root of trust"] == held["root of trust"]
    backed_up = operator_records(data, "BackupStore")
    assert len(backed_up) == 1 and backed_up[0]["requestParameters"]["To"] == str(backup)

    # Written after the backup: taken back by the restore.
    sm.put_secret_value(SecretId="bk/db", SecretString='{"password":"p2"}')
    sm.create_secret(Name="bk/later", SecretString="later")
    ssm.delete_parameter(Name="/bk/secure")
    head = changes(srv)["Head"]

    r = store(data, "restore", "--from", str(backup))
    assert r.returncode == 1 and "running arcanad" in r.stderr, r.stderr
    srv.stop()
    r = store(data, "restore", "--from", str(backup))
    assert r.returncode == 0, r.stderr
    kept = sorted(data.glob("arcana.db.before-restore-*"))
    assert len(kept) == 1 and str(kept[0]) in r.stdout
    assert stat.S_IMODE(os.stat(data / "arcana.db").st_mode) == 0o600

    srv = start(data)
    try:
        sm, ssm, kms = clients(srv)
        assert sm.get_secret_value(SecretId="bk/db")["SecretString"] == '{"password":"p1"}'
        assert sm.describe_secret(SecretId="bk/db")["VersionIdsToStages"] == {v1: ["AWSCURRENT"]}
        with pytest.raises(sm.exceptions.ResourceNotFoundException):
            sm.describe_secret(SecretId="bk/later")
        p = ssm.get_parameter(Name="/bk/secure", WithDecryption=True)["Parameter"]
        assert p["Value"] == "s3cret"
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before the backup"
        # A follower that had read up to the replaced store's head is told to drop everything,
        # and the numbers go on after that head.
        after = changes(srv, head)
        assert after["Reset"] is True and after["Next"] > head, after
        sm.put_secret_value(SecretId="bk/db", SecretString='{"password":"p3"}')
        put = [c for c in changes(srv, after["Next"])["Changes"] if c["Kind"] == "PutSecretValue"]
        assert len(put) == 1 and put[0]["Seq"] > head + 1
    finally:
        srv.stop()

    restored = operator_records(data, "RestoreStore")
    assert len(restored) == 1
    params = restored[0]["requestParameters"]
    assert params["From"] == str(backup) and params["KeptAs"] == str(kept[0])
    assert params["ReplacedChangeSequence"] == str(head)
    assert restored[0]["additionalEventData"]["changeSequence"] == [head + 1]
    v = subprocess.run([str(ARCANA_CLI), "--data-dir", str(data), "audit", "verify"],
                       capture_output=True, text=True, timeout=60)
    assert v.returncode == 0, v.stdout + v.stderr
    assert "undone by a store restore" in v.stdout, v.stdout

    # Restoring the kept file undoes the restore.
    r = store(data, "restore", "--from", str(kept[0]))
    assert r.returncode == 0, r.stderr
    srv = start(data)
    try:
        sm = clients(srv)[0]
        assert sm.get_secret_value(SecretId="bk/db")["SecretString"] == '{"password":"p2"}'
        assert sm.get_secret_value(SecretId="bk/later")["SecretString"] == "later"
    finally:
        srv.stop()


def test_a_restore_refuses_what_is_not_this_stores_backup(tmp_path):
    data, other = tmp_path / "node", tmp_path / "other"
    for d in (data, other):
        srv = start(d)
        clients(srv)[0].create_secret(Name=f"bk/{d.name}", SecretString=d.name)
        srv.stop()
    before = (data / "arcana.db").read_bytes()

    def refused(src, words):
        nonlocal before
        r = store(data, "restore", "--from", str(src))
        assert r.returncode == 1 and words in r.stderr, r.stderr
        assert (data / "arcana.db").read_bytes() == before
        assert not list(data.glob("arcana.db.*"))

    # Another store's backup: sealed under another root key.
    r = store(other, "backup", "--to", str(tmp_path / "other.backup"))
    assert r.returncode == 0, r.stderr
    refused(tmp_path / "other.backup", "sealed under root key")
    # Not an Arcana store, and not a database at all.
    plain = tmp_path / "plain.db"
    with sqlite3.connect(plain) as c:
        c.execute("CREATE TABLE t (x)")
    refused(plain, "not an Arcana store")
    # A backup with a trigger of its own (Arcana makes none): it would fire on the restore.
    crafted = tmp_path / "crafted.db"
    crafted.write_bytes((tmp_path / "other.backup").read_bytes())
    with sqlite3.connect(crafted) as c:
        c.execute("CREATE TRIGGER t AFTER UPDATE ON jobs BEGIN DELETE FROM secrets; END")
    refused(crafted, "trigger t")
    # This store's own backup, crafted: a schema version that is not a number, a change head
    # at the top of the range (the next number would wrap), an index that no longer matches
    # its table (quick_check passes it; SQLite's integrity check does not).
    r = store(data, "backup", "--to", str(tmp_path / "mine.backup"))
    assert r.returncode == 0, r.stderr
    before = (data / "arcana.db").read_bytes()  # the backup folded the store's -wal into it

    def crafted_copy(name, *sql, writable_schema=False):
        path = tmp_path / name
        path.write_bytes((tmp_path / "mine.backup").read_bytes())
        c = sqlite3.connect(path)
        if writable_schema:
            c.execute("PRAGMA writable_schema=ON")
        for q in sql:
            c.execute(q)
        c.commit()
        c.close()
        return path
    refused(crafted_copy("version.db", "UPDATE meta SET value = 'abc' WHERE key = 'schema:kms'"),
            "schema version of kms is not a number")
    refused(crafted_copy("head.db", "UPDATE sqlite_sequence SET seq = 9223372036854775807 "
                                    "WHERE name = 'changes'"),
            "is out of range")
    with sqlite3.connect(tmp_path / "mine.backup") as c:
        ak = c.execute("SELECT name, rootpage FROM sqlite_master WHERE type = 'index' AND "
                       "tbl_name = 'access_keys'").fetchone()
        other_ix = c.execute("SELECT name, rootpage FROM sqlite_master WHERE type = 'index' AND "
                             "tbl_name = 'kms_keys'").fetchone()
    broken = crafted_copy(
        "index.db",
        f"UPDATE sqlite_master SET rootpage = {other_ix[1]} WHERE name = '{ak[0]}'",
        f"UPDATE sqlite_master SET rootpage = {ak[1]} WHERE name = '{other_ix[0]}'",
        writable_schema=True)
    refused(broken, "is damaged")
    r = store(data, "inspect", str(broken))
    assert r.returncode == 1 and "is damaged" in r.stderr, r.stderr
    junk = tmp_path / "junk"
    junk.write_bytes(b"SQLite format 3\x00" + os.urandom(4096))
    refused(junk, "not an Arcana store")
    r = store(data, "inspect", str(junk))
    assert r.returncode == 1 and "not an Arcana store" in r.stderr, r.stderr
    refused("/etc/passwd", "not an Arcana store")
    refused(tmp_path / "absent", "no backup file")
    # A PostgreSQL store has PostgreSQL's own tools.
    r = subprocess.run([str(ARCANA_CLI), "--store", "postgresql://u@127.0.0.1:1/db", "store",
                        "backup", "--to", str(tmp_path / "pg.backup")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "pg_dump" in r.stderr and not (tmp_path / "pg.backup").exists()

    # Into a new data dir (another machine): no store to compare with; started with the
    # backup's key file, the node serves it.
    fresh = tmp_path / "fresh"
    r = store(fresh, "restore", "--from", str(tmp_path / "other.backup"))
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(os.stat(fresh).st_mode) == 0o700
    (fresh / "root.key").write_bytes((other / "root.key").read_bytes())
    os.chmod(fresh / "root.key", 0o600)
    srv = start(fresh)
    try:
        assert clients(srv)[0].get_secret_value(SecretId="bk/other")["SecretString"] == "other"
    finally:
        srv.stop()


def test_a_caching_agent_never_serves_what_a_restore_took_back(tmp_path):
    from test_agent import Agent  # noqa: E402 (the agent's test harness)

    data = tmp_path / "node"
    srv = start(data)
    sm = clients(srv)[0]
    sm.create_secret(Name="bk/agent", SecretString="at the backup")
    r = store(data, "backup", "--to", str(tmp_path / "b.db"))
    assert r.returncode == 0, r.stderr
    sm.put_secret_value(SecretId="bk/agent", SecretString="after the backup")
    # Answered from its cache alone (no freshness check per read): only the change stream
    # tells it what changed.
    agent = Agent(tmp_path / "agent", srv.endpoint, "check_freshness = false\n")
    try:
        def answer():
            resp = agent.secret("bk/agent")
            return resp.json().get("SecretString"), resp.headers.get("X-Arcana-Cache")

        wait_for(lambda: answer() == ("after the backup", "hit"), timeout=10, interval=0.05,
                 what="the agent's cached value")
        port = srv.port
        srv.stop()
        r = store(data, "restore", "--from", str(tmp_path / "b.db"))
        assert r.returncode == 0, r.stderr
        srv.start(port=port)
        wait_for(lambda: answer()[0] == "at the backup", timeout=20, interval=0.1,
                 what="the restored value through the agent")
    finally:
        agent.stop()
        srv.stop()


def test_arcanad_backs_the_store_up_on_a_schedule_and_keeps_the_newest(tmp_path):
    data, backups = tmp_path / "node", tmp_path / "backups"
    srv = ArcanaServer(data, tmp_path / "logs", dev=False, env=ENV, store=f"sqlite:{data}",
                       args=["--backup-dir", str(backups), "--backup-every-seconds", "1",
                             "--backup-keep", "2"]).start()

    def recorded():
        trail = "".join(p.read_text() for p in (data / "audit").glob("*.jsonl")
                        if not p.name.startswith("cli-") and ".digests." not in p.name)
        return [json.loads(l) for l in trail.splitlines() if '"BackupStore"' in l]

    try:
        clients(srv)[0].create_secret(Name="bk/scheduled", SecretString="kept")
        (backups / "notes.txt").write_text("not a backup: left alone")
        wait_for(lambda: len(recorded()) >= 4, timeout=30, what="four scheduled backups")
        # Another store's node may not share the directory (its pruning would delete these).
        other = subprocess.run([str(ARCANAD), "--listen", "127.0.0.1:0", "--data-dir",
                                str(tmp_path / "other"), "--backup-dir", str(backups)],
                               capture_output=True, text=True, timeout=30, env={**os.environ, **ENV})
        assert other.returncode != 0 and "in use by another arcanad" in other.stderr, other.stderr
    finally:
        srv.stop()  # a backup in progress ends first, its pruning included
    files = sorted(p.name for p in backups.glob("arcana-*.db"))
    assert len(files) == 2, files  # the newest two
    assert (backups / "notes.txt").exists() and not list(backups.glob("*partial*"))
    assert stat.S_IMODE(os.stat(backups).st_mode) == 0o700
    assert all(stat.S_IMODE(os.stat(backups / f).st_mode) == 0o600 for f in files)
    records = recorded()
    rec = records[-1]
    assert rec["eventSource"] == "arcana.operator" and rec["userIdentity"]["type"] == "ArcanaOperator"
    details = rec["serviceEventDetails"]
    assert details["scheduled"] is True and details["backupFile"] == str(backups / files[-1])
    assert not [r for r in records if "errorCode" in r]
    assert any(r["serviceEventDetails"].get("deletedBackups", 0) > 0 for r in records)
    # A scheduled backup restores as any other.
    newest = sorted(backups.glob("arcana-*.db"))[-1]
    r = store(data, "restore", "--from", str(newest))
    assert r.returncode == 0, r.stderr
    srv = start(data)  # without --backup-dir: the job is gone, the store serves
    try:
        assert clients(srv)[0].get_secret_value(SecretId="bk/scheduled")["SecretString"] == "kept"
    finally:
        srv.stop()


def test_scheduled_backups_refuse_a_postgresql_store(tmp_path):
    r = subprocess.run([str(ARCANAD), "--listen", "127.0.0.1:0", "--data-dir", str(tmp_path / "d"),
                        "--store", "postgresql://u@127.0.0.1:1/db", "--backup-dir",
                        str(tmp_path / "b")], capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "pg_dump" in r.stderr, r.stderr
    assert not (tmp_path / "b").exists()


def test_a_restore_never_drops_writes_a_reader_kept_in_the_write_ahead_log(tmp_path):
    """The replaced store's -wal is folded into it before the restore keeps it as
    arcana.db.before-restore-*; a process reading the old store (store backup, store
    inspect, audit verify take no lock) can keep that from finishing, and then the restore is
    refused instead of removing a -wal that still holds committed writes."""
    data = tmp_path / "node"
    srv = start(data)
    sm = clients(srv)[0]
    sm.create_secret(Name="wal/1", SecretString="one")
    r = store(data, "backup", "--to", str(tmp_path / "mine.backup"))
    assert r.returncode == 0, r.stderr
    reader = sqlite3.connect(data / "arcana.db", isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM secrets").fetchone()  # holds its snapshot
    sm.create_secret(Name="wal/2", SecretString="two")  # committed in the -wal only
    srv.kill9()
    r = store(data, "restore", "--from", str(tmp_path / "mine.backup"))
    assert r.returncode == 1 and "another process is reading the store" in r.stderr, r.stderr
    assert not list(data.glob("arcana.db.before-restore-*"))
    reader.execute("COMMIT")
    reader.close()
    r = store(data, "restore", "--from", str(tmp_path / "mine.backup"))
    assert r.returncode == 0, r.stderr
    kept = list(data.glob("arcana.db.before-restore-*"))
    assert len(kept) == 1
    with sqlite3.connect(kept[0]) as c:  # the replaced store, whole: wal/2 included
        names = {n for (n,) in c.execute("SELECT name FROM secrets")}
    assert {"wal/1", "wal/2"} <= names, names
