"""Tampering `arcana audit verify` must catch even when the files alone look whole: a whole
node's file set removed while the store still knows the node (its entry names the node's
newest digest), the store changes those records claimed (they are newer than every record
left), and unsigned records edited and re-chained while a killed node was down, which its next
start would otherwise sign (the write-ahead log's copies show the edit until the node's first
new batch overwrites them)."""

from __future__ import annotations

import json
import os
import re
import time

import pytest

from conftest import ROOT_AKID, ROOT_SECRET, ArcanaServer, store_sql
from test_audit import NODE, cli, client, rechain, records, start


def _node(tmp, name: str, node: str) -> ArcanaServer:
    env = {"ARCANA_ROOT_ACCESS_KEY_ID": ROOT_AKID, "ARCANA_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET}
    return ArcanaServer(tmp / name, tmp / (name + "-logs"), dev=False, env=env,
                        args=["--audit-node", node])


def _remove_node_files(data_dir, node: str) -> None:
    gone = [f for f in (data_dir / "audit").iterdir() if f.name.startswith(node + ".")]
    assert any(f.name.endswith(".digests.jsonl") for f in gone), gone
    for f in gone:
        f.unlink()


def test_verify_fails_when_a_nodes_files_are_removed_but_the_store_knows_it(tmp_path):
    """One data dir, first served as node n1, then as n2; then every file of n2 removed. The
    store's entry for n2 (its newest digest) shows the file set gone, and its changes, newer
    than every record left, still need records: the check runs to the store's head."""
    s = start(tmp_path, "d")
    arn = client(s, "secretsmanager").create_secret(Name="gone/a", SecretString="v0")["ARN"]
    s.stop()
    time.sleep(1.1)  # n2's changes come after every second n1's records name
    s2 = _node(tmp_path, "d", "n2").start()
    sm = client(s2, "secretsmanager")
    for i in range(2):
        sm.put_secret_value(SecretId="gone/a", SecretString=f"v{i + 1}")
    s2.stop()
    data = s.data_dir
    assert cli(data, "audit", "verify", "--all-nodes").returncode == 0
    n2_digests = (data / "audit" / "n2.digests.jsonl").read_text().splitlines()
    last = json.loads(n2_digests[-1])
    _remove_node_files(data, "n2")

    p = cli(data, "audit", "verify", "--all-nodes")
    assert p.returncode == 1, p.stdout
    assert f"node {NODE}: OK" in p.stdout, p.stdout  # the files left are whole
    assert (f"FAILED node n2: the store records its digest {last['digestSequence']} (records up "
            f"to {last['lastSequence']}) but no file of it is in {data / 'audit'}") in p.stdout, \
        p.stdout
    missing = [l for l in p.stdout.splitlines() if l.endswith("has no audit record")]
    assert len(missing) == 2 and all(f"(PutSecretValue, {arn})" in l for l in missing), p.stdout

    # With the store's entry removed as well only the changes show it (README: unprovable
    # beyond that), still reported although no record is as new as they are.
    store_sql(s, "DELETE FROM meta WHERE key = 'audit.node.n2'")
    p = cli(data, "audit", "verify", "--all-nodes")
    assert p.returncode == 1 and "FAILED node n2" not in p.stdout, p.stdout
    missing = [l for l in p.stdout.splitlines() if l.endswith("has no audit record")]
    assert len(missing) == 2, p.stdout


@pytest.mark.postgresql_only("several nodes need a shared PostgreSQL store")
def test_verify_names_known_nodes_outside_the_dirs_given_without_failing_unless_all_nodes(
        tmp_path):
    s = start(tmp_path, "a")
    client(s, "secretsmanager").create_secret(Name="known/a", SecretString="v")
    s.stop()
    s2 = _node(tmp_path, "a", "n2").start()
    client(s2, "secretsmanager").describe_secret(SecretId="known/a")
    s2.stop()
    _remove_node_files(s.data_dir, "n2")
    one = cli(s.data_dir, "audit", "verify")
    assert one.returncode == 0, one.stdout
    assert "node n2: not checked (the store knows it; its files are not in" in one.stdout
    told = cli(s.data_dir, "audit", "verify", "--all-nodes")
    assert told.returncode == 1 and "FAILED node n2: the store records its digest" in told.stdout


def test_a_node_restarted_after_a_kill_does_not_sign_records_edited_meanwhile(tmp_path):
    """The reviewer's steps: unsigned records (after the newest digest), kill -9, edit them and
    re-chain the file, restart. The restart compares the write-ahead log's copies with the
    files and refuses, naming the record; verify goes on reporting the edit. The node serves
    again under another --audit-node, the altered file set left as evidence."""
    s = start(tmp_path, "k")
    sm = client(s, "secretsmanager")
    sm.create_secret(Name="edit/db", SecretString="v-" + os.urandom(8).hex())
    s.stop()  # digest 1 signs the records so far
    s.start()
    sm = client(s, "secretsmanager")
    for _ in range(2):
        sm.get_secret_value(SecretId="edit/db")
    s.kill9()
    data = s.data_dir
    rec_file = data / "audit" / f"{NODE}.000001.jsonl"
    lines = rec_file.read_text().splitlines()
    signed = json.loads((data / "audit" / f"{NODE}.digests.jsonl").read_text()
                        .splitlines()[-1])["lastSequence"]
    edited = [i for i, l in enumerate(lines) if '"eventName":"GetSecretValue"' in l]
    assert edited and all(json.loads(lines[i])["arcanaSequence"] > signed for i in edited)
    forged = rechain([l.replace('"eventName":"GetSecretValue"', '"eventName":"ListSecrets"')
                      for l in lines])
    rec_file.write_text("\n".join(forged) + "\n")
    first = json.loads(forged[edited[0]])["arcanaSequence"]
    before = cli(data, "audit", "verify")
    assert before.returncode == 1 and "is not the record its write-ahead log holds (altered)" \
        in before.stdout, before.stdout

    with pytest.raises(pytest.fail.Exception):
        s.start()  # refused: it would sign the edit
    log = s.log_tail()
    assert (f"{NODE}.000001.jsonl:{edited[0] + 1} (sequence {first}) is not the record node "
            f"{NODE}'s write-ahead log holds (altered while the node was down)") in log, log
    assert "start the node under another --audit-node" in log, log
    assert rec_file.read_text().splitlines() == forged  # left as it was
    again = cli(data, "audit", "verify")
    assert again.returncode == 1 and "is not the record its write-ahead log holds (altered)" \
        in again.stdout, again.stdout

    # Served again under another node name; the edited set still fails verify.
    s2 = _node(tmp_path, "k", "n2").start()
    client(s2, "secretsmanager").get_secret_value(SecretId="edit/db")
    s2.stop()
    after = cli(data, "audit", "verify")
    assert after.returncode == 1 and re.search(
        rf"FAILED node {NODE}: {NODE}\.000001\.jsonl:\d+ \(sequence {first}\) is not the record "
        r"its write-ahead log holds \(altered\)", after.stdout), after.stdout
    assert "node n2: OK" in after.stdout, after.stdout
    assert [r["eventName"] for r in records(data)][-2:] == ["ListSecrets", "ListSecrets"]


def test_a_node_restarted_after_a_kill_resumes_its_untouched_chain(tmp_path):
    """The comparison passes an intact trail: the restart signs on, verify passes."""
    s = start(tmp_path, "u")
    sm = client(s, "secretsmanager")
    sm.create_secret(Name="intact/db", SecretString="v")
    sm.get_secret_value(SecretId="intact/db")
    s.kill9()
    s.start()
    client(s, "secretsmanager").get_secret_value(SecretId="intact/db")
    s.stop()
    ok = cli(s.data_dir, "audit", "verify")
    assert ok.returncode == 0 and f"node {NODE}: OK" in ok.stdout, ok.stdout
