"""`arcana store copy`: a one-node SQLite store moved into a new PostgreSQL database
(storage/store_copy.h), for a team that outgrows one machine. A node started on the copy with
the old store's key file serves everything the old node served: secrets with their versions
and labels, parameters (SecureString too), KMS keys (a ciphertext made before the copy
decrypts after it), IAM users with their access keys and policies, and a scheduled deletion. Refusals: a running arcanad on the SQLite store, a
target that is not empty (nothing written either time). The copy is an operator record in the
old node's audit trail.

The copy always goes from SQLite to PostgreSQL, whichever store the pass tests: it runs once,
on the PostgreSQL pass, whose cluster it uses."""

from __future__ import annotations

import json
import subprocess
import uuid

import boto3
import pytest
from botocore.config import Config

import pg_cluster
from conftest import ARCANAD, ROOT_AKID, ROOT_SECRET, ArcanaServer

pytestmark = pytest.mark.postgresql_only(
    "copies a SQLite store into the PostgreSQL pass's cluster: one pass")

ARCANA_CLI = ARCANAD.parent / "arcana"
REGION = "us-east-1"


def clients(srv, akid=ROOT_AKID, secret=ROOT_SECRET):
    kw = dict(endpoint_url=srv.endpoint, region_name=REGION, aws_access_key_id=akid,
              aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}))
    return {s: boto3.client(s, **kw) for s in ("secretsmanager", "ssm", "kms", "iam")}


def store_copy(*args) -> subprocess.CompletedProcess:
    return subprocess.run([str(ARCANA_CLI), "store", "copy", *args], capture_output=True,
                          text=True, timeout=120)


def new_database() -> str:
    cluster = pg_cluster.session_cluster()
    return cluster.url(cluster.create_database("copy"))


def test_a_copied_store_serves_everything_the_sqlite_node_served(tmp_path):
    env = {"ARCANA_ROOT_ACCESS_KEY_ID": ROOT_AKID, "ARCANA_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET}
    old_dir = tmp_path / "old"
    old = ArcanaServer(old_dir, tmp_path / "old-logs", dev=False, env=env,
                       store=f"sqlite:{old_dir}").start()
    c = clients(old)
    sm, ssm, kms, iam = c["secretsmanager"], c["ssm"], c["kms"], c["iam"]
    arn = sm.create_secret(Name="copy/db", SecretString='{"password":"p1"}')["ARN"]
    v2 = sm.put_secret_value(SecretId="copy/db", SecretString='{"password":"p2"}',
                             VersionStages=["AWSCURRENT", "blue"])["VersionId"]
    sm.create_secret(Name="copy/bin", SecretBinary=b"\x00\xffbytes")
    ssm.put_parameter(Name="/copy/plain", Value="hello", Type="String")
    ssm.put_parameter(Name="/copy/secure", Value="s3cret", Type="SecureString")
    key = kms.create_key(Description="copied")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/copied", TargetKeyId=key)
    blob = kms.encrypt(KeyId=key, Plaintext=b"before the copy")["CiphertextBlob"]
    iam.create_user(UserName="carol")
    iam.put_user_policy(UserName="carol", PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                                                "Action": "secretsmanager:GetSecretValue",
                                                "Resource": arn}]}))
    carol = iam.create_access_key(UserName="carol")["AccessKey"]
    # A scheduled deletion (its purge is a leased job, which the new node takes over).
    sm.delete_secret(SecretId="copy/bin", RecoveryWindowInDays=7)

    target = new_database()
    # The SQLite node is running: refused, nothing written.
    r = store_copy("--from", f"sqlite:{old_dir}", "--to", target)
    assert r.returncode == 1 and "running arcanad" in r.stderr, r.stderr
    old.stop()

    r = store_copy("--from", f"sqlite:{old_dir}", "--to", target)
    assert r.returncode == 0, r.stderr
    counts = dict(line.split("\t") for line in r.stdout.splitlines() if "\t" in line)
    # KMS: the customer managed key and the AWS managed keys aws/secretsmanager and aws/ssm.
    assert counts["secrets"] == "2" and counts["ssm_parameters"] == "2" and counts["kms_keys"] == "3"
    assert "root.key" in r.stdout and "***" in r.stdout and pg_cluster_password() not in r.stdout
    # Recorded in the old node's trail as an operator action (the URL without its password).
    trail = "".join(p.read_text() for p in (old_dir / "audit").glob("cli-*.jsonl"))
    record = [json.loads(line) for line in trail.splitlines() if '"CopyStore"' in line]
    assert len(record) == 1 and record[0]["eventSource"] == "arcana.operator"
    assert record[0]["requestParameters"]["Rows"] == str(sum(int(v) for v in counts.values()))
    assert pg_cluster_password() not in trail

    # Into a store that is no longer empty: refused.
    r = store_copy("--from", f"sqlite:{old_dir}", "--to", target)
    assert r.returncode == 1 and "not empty" in r.stderr, r.stderr

    new = ArcanaServer(tmp_path / "new", tmp_path / "new-logs", dev=False, store=target,
                       root_key_file=old_dir / "root.key").start()
    try:
        c = clients(new)
        sm, ssm, kms = c["secretsmanager"], c["ssm"], c["kms"]
        assert json.loads(sm.get_secret_value(SecretId="copy/db")["SecretString"]) == {"password": "p2"}
        assert sm.get_secret_value(SecretId="copy/db", VersionStage="AWSPREVIOUS")["SecretString"] == '{"password":"p1"}'
        assert sm.describe_secret(SecretId="copy/db")["VersionIdsToStages"][v2] == ["AWSCURRENT", "blue"]
        assert "DeletedDate" in sm.describe_secret(SecretId="copy/bin")
        sm.restore_secret(SecretId="copy/bin")
        assert sm.get_secret_value(SecretId="copy/bin")["SecretBinary"] == b"\x00\xffbytes"
        assert ssm.get_parameter(Name="/copy/secure", WithDecryption=True)["Parameter"]["Value"] == "s3cret"
        assert ssm.get_parameter(Name="/copy/plain")["Parameter"]["Value"] == "hello"
        names = [p["Name"] for p in ssm.get_parameters_by_path(Path="/copy")["Parameters"]]
        assert sorted(names) == ["/copy/plain", "/copy/secure"]
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before the copy"
        assert kms.describe_key(KeyId="alias/copied")["KeyMetadata"]["KeyId"] == key
        # The IAM user's key and policy came along.
        as_carol = clients(new, carol["AccessKeyId"], carol["SecretAccessKey"])["secretsmanager"]
        assert as_carol.get_secret_value(SecretId=arn)["SecretString"] == '{"password":"p2"}'
        # The new store takes writes.
        sm.create_secret(Name="copy/after", SecretString="x")
    finally:
        new.stop()


def pg_cluster_password() -> str:
    return pg_cluster.session_cluster().password


def test_only_sqlite_to_postgresql(tmp_path):
    r = store_copy("--from", new_database(), "--to", new_database())
    assert r.returncode == 1 and "--from must be a SQLite store" in r.stderr
    r = store_copy("--from", f"sqlite:{tmp_path}", "--to", f"sqlite:{tmp_path}/x")
    assert r.returncode == 1 and "--to must be a PostgreSQL store" in r.stderr
    r = store_copy("--from", f"sqlite:{tmp_path / uuid.uuid4().hex}", "--to", new_database())
    assert r.returncode == 1 and "there is no store" in r.stderr
