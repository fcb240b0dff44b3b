"""What a crash leaves between store and trail: a call commits its changes, then hands its
record to the trail, so kill -9 in between leaves committed changes no record claims. The
node's next start claims them in a RecoverUnrecordedChanges service event, so `arcana audit
verify` (which reports a change without a record as tampering) passes after a crash, while a
change written with the trail off is still reported (test_audit_changes.py). On a PostgreSQL
store several nodes share, each change row names the node that committed it, and a restarted
node claims only its own: never another live node's change, whose record is in that node's
files or still on its way there."""

from __future__ import annotations

import json
import threading
import time

import pytest

from conftest import IS_PG, ROOT_AKID, ROOT_SECRET, ArcanaServer, store_sql, store_url
from test_audit import cli, client, records, start
from test_audit_changes import claims


def _write_load(s, stop: threading.Event, errors: list):
    sm = client(s, "secretsmanager")
    i = 0
    while not stop.is_set():
        try:
            sm.put_secret_value(SecretId="crash/a", SecretString=f"v{i}")
        except Exception:  # noqa: BLE001 - the kill cuts calls off
            if not stop.is_set():
                errors.append(i)
            return
        i += 1


def _recovered(data_dir) -> list[dict]:
    return [r for r in records(data_dir) if r["eventName"] == "RecoverUnrecordedChanges"]


def _node(tmp, name: str, node: str, first: ArcanaServer | None = None) -> ArcanaServer:
    """A node named `node` with its own data dir; on `first`'s store and root key if given."""
    env = {"ARCANA_ROOT_ACCESS_KEY_ID": ROOT_AKID, "ARCANA_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET}
    if first is None:
        return ArcanaServer(tmp / name, tmp / (name + "-logs"), dev=False, env=env,
                            args=["--audit-node", node])
    return ArcanaServer(tmp / name, tmp / (name + "-logs"), dev=False, env=env,
                        store=store_url(first.data_dir),
                        root_key_file=first.data_dir / "root.key", args=["--audit-node", node])


def _node_records(data_dir, node: str) -> list[dict]:
    out = []
    for f in sorted((data_dir / "audit").glob(f"{node}.*.jsonl")):
        if ".digests." not in f.name:
            out += [json.loads(l) for l in f.read_text().splitlines()]
    return out


def _node_recovered(data_dir, node: str) -> list[dict]:
    return [r for r in _node_records(data_dir, node)
            if r["eventName"] == "RecoverUnrecordedChanges"]


def _verify_all(a: ArcanaServer, b: ArcanaServer):
    return cli(a.data_dir, "audit", "--audit-dir", str(a.data_dir / "audit"),
               "--audit-dir", str(b.data_dir / "audit"), "verify", "--all-nodes")


def _lose_newest_records(s: ArcanaServer, node: str, n: int) -> list[tuple[int, str, str]]:
    """After s's kill -9: its newest n records as if the kill had come between their calls'
    commits and the records (still queued for the trail's writer): gone from the record file,
    the write-ahead log and the store's index of records. Returns the changes they claimed."""
    audit = s.data_dir / "audit"
    f = audit / f"{node}.000001.jsonl"
    lines = f.read_text().splitlines(keepends=True)
    f.write_text("".join(lines[:-n]))
    wal = audit / f"{node}.wal"
    wal.write_bytes(b"\0" * wal.stat().st_size)
    if not IS_PG:
        return [c for l in lines[-n:] for c in claims(json.loads(l))]
    kept = json.loads(lines[-n - 1])["arcanaSequence"]
    # The index ships only records durable in the files: none of these would be there.
    for table in ("audit_index_records", "audit_index_keys"):
        store_sql(s, f"DELETE FROM {table} WHERE node = '{node}' AND seq > {kept}")
    store_sql(s, f"UPDATE audit_index_nodes SET last_seq = least(last_seq, {kept}) "
                 f"WHERE node = '{node}'")
    return [c for l in lines[-n:] for c in claims(json.loads(l))]


def _create_load(s, prefix: str, stop: threading.Event, errors: list):
    """Creates secrets prefix-0, prefix-1, ... until stopped (no secret's version limit)."""
    sm = client(s, "secretsmanager")
    i = 0
    while not stop.is_set():
        try:
            sm.create_secret(Name=f"{prefix}-{i}", SecretString="v")
        except Exception as e:  # noqa: BLE001 - the kill cuts calls off
            if not stop.is_set():
                errors.append((i, repr(e)))
            return
        i += 1


def test_changes_a_kill9_left_without_a_record_are_claimed_at_the_next_start(tmp_path):
    s = start(tmp_path, "k")
    sm = client(s, "secretsmanager")
    arn = sm.create_secret(Name="crash/a", SecretString="v")["ARN"]
    for i in range(12):
        sm.put_secret_value(SecretId="crash/a", SecretString=f"v{i}")
    s.kill9()
    # The kill fell between the commits of the last three calls and their records (they were
    # still queued for the trail's writer): neither the record file nor its write-ahead log
    # has them. (A kill under load hits that window only now and then: the next test.)
    lost = _lose_newest_records(s, "n1", 3)
    assert [c[1:] for c in lost] == [("PutSecretValue", arn)] * 3
    # --all-nodes: the dir is every node's (implied on SQLite), so a change without a record
    # is a failure.
    bad = cli(s.data_dir, "audit", "verify", "--all-nodes")
    assert bad.returncode == 1 and "has no audit record" in bad.stdout, bad.stdout

    s.start()
    s.stop()
    rec = _recovered(s.data_dir)
    assert len(rec) == 1, rec
    rec = rec[0]
    assert rec["eventType"] == "AwsServiceEvent" and rec["eventSource"] == "arcana.internal"
    details = rec["serviceEventDetails"]
    assert details["node"] == "n1" and details["reason"] == "crash"
    assert claims(rec) == lost
    assert all(details["changesAfter"] < c[0] <= details["storeHeadAtStart"] for c in lost)
    assert [r["ARN"] for r in rec["resources"]] == [arn]
    ok = cli(s.data_dir, "audit", "verify", "--all-nodes")
    assert ok.returncode == 0 and "store changes: OK" in ok.stdout, ok.stdout
    # Claimed once: a later crash-free restart claims nothing more.
    s.start()
    s.stop()
    assert len(_recovered(s.data_dir)) == 1


def _kill9_under_load(server, stop, threads):
    """Kills the server with -9 half a second into the load `threads` (ended through `stop`),
    then starts it (the start records what the crash left) and stops it cleanly."""
    for t in threads:
        t.start()
    time.sleep(0.5)
    server.kill9()
    stop.set()
    for t in threads:
        t.join(timeout=30)
    server.start()
    server.stop()


def test_verify_passes_after_kill9_under_a_write_load(tmp_path):
    s = start(tmp_path, "l")
    client(s, "secretsmanager").create_secret(Name="crash/a", SecretString="v")
    for _ in range(3):
        stop, errors = threading.Event(), []
        threads = [threading.Thread(target=_write_load, args=(s, stop, errors)) for _ in range(8)]
        _kill9_under_load(s, stop, threads)
        ok = cli(s.data_dir, "audit", "verify", "--all-nodes")
        assert ok.returncode == 0 and "store changes: OK" in ok.stdout, ok.stdout
        s.start()
    s.stop()
    seqs = [c[0] for r in records(s.data_dir) for c in claims(r)]
    assert len(seqs) == len(set(seqs)) and len(seqs) > 10


def test_a_clean_restart_claims_nothing(tmp_path):
    s = start(tmp_path, "c")
    client(s, "secretsmanager").create_secret(Name="crash/b", SecretString="v")
    s.restart()
    s.stop()
    assert not [r for r in records(s.data_dir) if r["eventName"] == "RecoverUnrecordedChanges"]


# --------------------------------------------------------------- several nodes on one store

@pytest.mark.postgresql_only("several nodes need a shared PostgreSQL store")
def test_on_a_shared_store_a_restarted_node_claims_only_its_own_unrecorded_changes(tmp_path):
    """Nodes na and nb on one PostgreSQL store write in turn; na is killed right after its
    writes were answered, and its last three records are lost (the window between commit and
    record). While nb keeps writing, na restarts: its RecoverUnrecordedChanges claims exactly
    its three changes, none of nb's (whose records are in nb's files or on their way), and
    verify over both nodes' files passes. A node that never crashed records no recovery."""
    a = _node(tmp_path, "a", "na").start()
    b = _node(tmp_path, "b", "nb", first=a).start()
    sa, sb = client(a, "secretsmanager"), client(b, "secretsmanager")
    arn_a = sa.create_secret(Name="crash/na", SecretString="v")["ARN"]
    sb.create_secret(Name="crash/nb", SecretString="v")
    for i in range(12):
        sa.put_secret_value(SecretId="crash/na", SecretString=f"a{i}")
        sb.put_secret_value(SecretId="crash/nb", SecretString=f"b{i}")
    a.kill9()
    lost = _lose_newest_records(a, "na", 3)
    assert [c[1:] for c in lost] == [("PutSecretValue", arn_a)] * 3
    bad = _verify_all(a, b)
    assert bad.returncode == 1 and "has no audit record" in bad.stdout, bad.stdout

    stop, errors = threading.Event(), []
    load = threading.Thread(target=_create_load, args=(b, "crash/nb-load", stop, errors))
    load.start()
    try:
        time.sleep(0.3)
        a.start()  # nb writes on meanwhile: its changes are committed before na's start reads
        time.sleep(0.3)
    finally:
        stop.set()
        load.join(timeout=30)
    assert not errors, errors
    a.stop()
    b.stop()
    rec = _node_recovered(a.data_dir, "na")
    assert len(rec) == 1, rec
    details = rec[0]["serviceEventDetails"]
    assert details["node"] == "na" and details["reason"] == "crash", details
    assert claims(rec[0]) == lost
    assert [r["ARN"] for r in rec[0]["resources"]] == [arn_a]
    # Every change names the node that made it, and is claimed by that node's records only:
    # nb's (its load's too, committed while na restarted) by nb's, which recovered nothing.
    assert not _node_recovered(b.data_dir, "nb")
    made_by = {"na": set(), "nb": set()}
    for seq, node in store_sql(a, "SELECT seq, node FROM changes ORDER BY seq"):
        made_by[node].add(int(seq))
    a_claims = [c[0] for r in _node_records(a.data_dir, "na") for c in claims(r)]
    b_claims = [c[0] for r in _node_records(b.data_dir, "nb") for c in claims(r)]
    assert sorted(a_claims) == sorted(made_by["na"])
    assert sorted(b_claims) == sorted(made_by["nb"]) and len(b_claims) > 13
    ok = _verify_all(a, b)
    assert ok.returncode == 0 and "store changes: OK" in ok.stdout, ok.stdout

    # Claimed once: crash-free restarts of both nodes claim nothing more.
    a.start()
    b.start()
    a.stop()
    b.stop()
    assert len(_node_recovered(a.data_dir, "na")) == 1
    assert not _node_recovered(b.data_dir, "nb")
    assert _verify_all(a, b).returncode == 0


@pytest.mark.postgresql_only("several nodes need a shared PostgreSQL store")
def test_verify_passes_after_kill9_under_a_write_load_beside_another_node(tmp_path):
    """As test_verify_passes_after_kill9_under_a_write_load, with a second node writing to the
    same store throughout, its load going on while the killed node restarts: the restarted
    node claims none of its changes (verify over both nodes' files finds no change claimed
    twice and none without a record)."""
    a = _node(tmp_path, "a", "na").start()
    b = _node(tmp_path, "b", "nb", first=a).start()
    # New secrets, not new versions of one (a secret takes at most 100 new versions a day).
    for round in range(3):
        stop_b, errors_b = threading.Event(), []
        load_b = threading.Thread(target=_create_load,
                                  args=(b, f"crash/b{round}", stop_b, errors_b))
        load_b.start()
        stop, errors = threading.Event(), []
        threads = [threading.Thread(target=_create_load,
                                    args=(a, f"crash/a{round}-{t}", stop, errors))
                   for t in range(8)]
        _kill9_under_load(a, stop, threads)
        stop_b.set()
        load_b.join(timeout=30)
        assert not errors_b, errors_b
        b.stop()
        ok = _verify_all(a, b)
        assert ok.returncode == 0 and "store changes: OK" in ok.stdout, ok.stdout
        assert not _node_recovered(b.data_dir, "nb")
        a.start()
        b.start()
    a.stop()
    b.stop()
    seqs = [c[0] for n, s in (("na", a), ("nb", b)) for r in _node_records(s.data_dir, n)
            for c in claims(r)]
    assert len(seqs) == len(set(seqs)) and len(seqs) > 20
    for r in _node_recovered(a.data_dir, "na"):
        assert all(":secret:crash/a" in c[2] for c in claims(r)), r
