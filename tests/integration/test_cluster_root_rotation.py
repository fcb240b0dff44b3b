"""Root rotation with several nodes on one PostgreSQL store (review storage_seal 2 and 2b):
a node that starts while another rotates never deletes the rotating node's new key file nor
rolls its rotation back (the rotation lease), and a node whose root key another node rotated
never seals anything under its old key again: it adopts the new key when it can reach it (a
shared key file) or seals itself until the operator gives it the new key.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import ARCANAD
from test_cluster import Cluster, client, cluster  # noqa: F401  (cluster is a fixture)

pytestmark = pytest.mark.postgresql_only("multi-node needs a shared PostgreSQL store")

ARCANA = ARCANAD.parent / "arcana"


def operator(node, op: str) -> requests.Response:
    token = (node.data_dir / "operator.token").read_text().strip()
    return requests.post(f"{node.endpoint}/_arcana/operator/{op}", data=b"{}", timeout=120,
                         headers={"X-Arcana-Operator-Token": token})


def kms_roundtrip(made_on, read_on) -> None:
    key = client(made_on, "kms").create_key()["KeyMetadata"]["KeyId"]
    ct = client(made_on, "kms").encrypt(KeyId=key, Plaintext=b"sealed-by-" + key.encode())
    assert client(read_on, "kms").decrypt(CiphertextBlob=ct["CiphertextBlob"])["Plaintext"] \
        == b"sealed-by-" + key.encode()


def test_node_started_during_a_rotation_leaves_it_alone(cluster: Cluster, tmp_path: Path):
    a = cluster.node("a").start()
    # A request in flight on A holds the root key for a few seconds, so A's rotate-root waits
    # in step 3 with root.key.new written and root.pending in the store: a Lambda GetFunction
    # whose read waits on a lock the test holds on the functions' table. (A request or a
    # secret rotation job running a slow function would not: both give their hold back while
    # the function runs; and a slow write would queue the node's writes behind it,
    # rotate-root's own too.)
    fn = tmp_path / "fn.sh"
    fn.write_text("#!/bin/sh\ncat >/dev/null\nexit 0\n")
    fn.chmod(0o755)
    p = subprocess.run([str(ARCANA), "--store", cluster.url, "--data-dir", str(tmp_path / "cli"),
                        "--root-key-file", str(cluster.key_file), "functions", "create", "slow",
                        "--exec", str(fn), "--timeout", "60"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    sm = client(a)
    sm.create_secret(Name="precious", SecretString="only-copy")

    def table_locks(mode: str, granted: str) -> int:
        return int(cluster.psql(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            f"WHERE c.relname = 'rotation_functions' AND l.mode = '{mode}' "
            f"AND l.granted = {granted}"))

    def wait_for(cond, what: str) -> None:
        deadline = time.monotonic() + 10
        while not cond() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert cond(), what

    locker = threading.Thread(target=cluster.psql, args=(
        "BEGIN; LOCK TABLE rotation_functions IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(5); "
        "COMMIT;",))
    locker.start()
    wait_for(lambda: table_locks("AccessExclusiveLock", "true") == 1, "the table was not locked")
    invoked: dict = {}
    call = threading.Thread(target=lambda: invoked.setdefault(
        "slow", client(a, "lambda").get_function(FunctionName="slow")))
    call.start()
    # A's request waits on the lock, under its root-key hold.
    wait_for(lambda: table_locks("AccessShareLock", "false") >= 1, "A's request did not wait")
    answer: dict = {}
    t = threading.Thread(target=lambda: answer.setdefault("a", operator(a, "rotate-root")))
    t.start()
    new_file = cluster.key_file.with_name("root.key.new")
    deadline = time.monotonic() + 3
    while not new_file.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert new_file.exists(), "A's rotation did not wait in step 3"
    b = cluster.node("b").start()  # start-up: AutoUnsealKey and unseal while A rotates
    assert new_file.exists() or not t.is_alive(), "B deleted A's in-flight new key file"
    t.join()
    call.join()
    locker.join()
    assert invoked["slow"]["Configuration"]["FunctionName"] == "slow"
    r = answer["a"]
    assert r.status_code == 200, r.text
    assert "warning" not in r.json(), r.text
    assert "its rotation is left to it" in b.log_tail(20000)
    # B adopts the new root from the shared file; what it seals opens on A, and after restarts.
    kms_roundtrip(b, a)
    assert client(b).get_secret_value(SecretId="precious")["SecretString"] == "only-copy"
    cluster.stop_all()
    a.start()
    b.start()
    kms_roundtrip(a, b)
    assert client(b).get_secret_value(SecretId="precious")["SecretString"] == "only-copy"


def test_node_whose_root_another_node_rotated_seals_instead_of_using_it(cluster: Cluster,
                                                                       tmp_path: Path):
    key_a, key_b = tmp_path / "a.key", tmp_path / "b.key"
    a = cluster.node("a", key_file=key_a).start()  # creates a.key
    shutil.copy(key_a, key_b)
    key_b.chmod(0o600)
    b = cluster.node("b", key_file=key_b).start()
    kms_roundtrip(b, a)
    r = operator(a, "rotate-root")
    assert r.status_code == 200, r.text
    # B still holds only the old key, which no node keeps now: it must seal nothing under it.
    with pytest.raises(ClientError) as e:
        client(b, "kms").create_key()
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503, e.value.response
    assert requests.get(b.endpoint + "/_arcana/seal-status", timeout=5).json()["sealed"] is True
    assert "another node rotated the store's root key" in b.log_tail(20000)
    # The operator copies the new key file to B and unseals it: everything works again.
    shutil.copy(key_a, key_b)
    r = operator(b, "unseal")
    assert r.status_code == 200 and r.json()["sealed"] is False, r.text
    kms_roundtrip(b, a)
    kms_roundtrip(a, b)
