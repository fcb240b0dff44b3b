"""The offline `arcana` commands beside a running arcanad on the same store (README: access
keys, "Several nodes"): what the CLI commits is what arcanad's next request reads, and neither
process's audit record claims the other's store changes.

On SQLite the CLI is a second process on the database file: arcanad notices its commits by the
change sequence (storage/sqlite/database.h, Other processes), at the next request's freshness
check. On PostgreSQL it is one more client of the shared store, as another node is."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ARCANAD, ROOT_AKID, ROOT_SECRET, ArcanaServer, cli_store_args

ARCANA_CLI = ARCANAD.parent / "arcana"
NODE = "n1"


def client(srv, service, akid=ROOT_AKID, secret=ROOT_SECRET):
    return boto3.client(service, endpoint_url=srv.endpoint, region_name="us-east-1",
                        aws_access_key_id=akid, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 1}))


def cli(data_dir: Path, *args) -> subprocess.CompletedProcess:
    p = subprocess.run([str(ARCANA_CLI), *cli_store_args(data_dir), *args],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, (args, p.stdout, p.stderr)
    return p


def key_pair(out: str) -> tuple[str, str]:
    env = dict(l.split("=", 1) for l in out.splitlines() if "=" in l)
    return env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]


def records(data_dir: Path, prefix: str) -> list[dict]:
    out = []
    for f in sorted((data_dir / "audit").glob(f"{prefix}*.jsonl")):
        if ".digests." not in f.name:
            out += [json.loads(l) for l in f.read_text().splitlines()]
    return out


def claimed(recs: list[dict]) -> list[int]:
    return [s for r in recs for s in r.get("additionalEventData", {}).get("changeSequence", [])]


@pytest.fixture
def srv(tmp_path):
    env = {"ARCANA_ROOT_ACCESS_KEY_ID": ROOT_AKID, "ARCANA_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET}
    s = ArcanaServer(tmp_path / "data", tmp_path / "logs", dev=False, env=env,
                     args=["--audit-node", NODE]).start()
    yield s
    s.stop()


def test_a_key_deleted_by_the_cli_is_refused_from_the_next_request_on(srv):
    ak, sk = key_pair(cli(srv.data_dir, "access-key", "create").stdout)
    root = client(srv, "secretsmanager")
    root.create_secret(Name="beside/db", SecretString="v1")
    sm = client(srv, "secretsmanager", ak, sk)
    # Used twice: arcanad's caches hold the key (and the inline read path answers from them).
    for _ in range(2):
        sm.list_secrets()
        assert sm.get_secret_value(SecretId="beside/db")["SecretString"] == "v1"

    cli(srv.data_dir, "access-key", "delete", ak)
    # No wait: the next request's freshness check sees the CLI's commit.
    for call in (lambda: sm.get_secret_value(SecretId="beside/db"), sm.list_secrets):
        with pytest.raises(ClientError) as e:
            call()
        assert e.value.response["Error"]["Code"] == "UnrecognizedClientException"

    # arcanad's next write claims its own change only; the CLI's records claim theirs.
    root.put_secret_value(SecretId="beside/db", SecretString="v2")
    put = [r for r in records(srv.data_dir, f"{NODE}.") if r["eventName"] == "PutSecretValue"]
    assert len(put) == 1
    seqs = put[0]["additionalEventData"]["changeSequence"]
    assert len(seqs) == 1, put[0]["additionalEventData"]
    assert put[0]["additionalEventData"]["changes"][0]["kind"] == "PutSecretValue"
    by_cli = claimed(records(srv.data_dir, "cli-"))
    assert len(by_cli) == 2 and not set(by_cli) & set(seqs), (by_cli, seqs)
    assert not set(by_cli) & set(claimed(records(srv.data_dir, f"{NODE}.")))

    srv.stop()  # the closing digest covers every record
    p = subprocess.run([str(ARCANA_CLI), *cli_store_args(srv.data_dir), "audit", "verify"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "store changes: OK" in p.stdout, p.stdout


def test_a_user_created_by_the_cli_is_seen_and_its_key_works_at_once(srv, tmp_path):
    policy = tmp_path / "read.json"
    policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secretsmanager:ListSecrets", "Resource": "*"}]}))
    iam = client(srv, "iam")
    client(srv, "secretsmanager").create_secret(Name="beside/before", SecretString="x")
    assert "beside-user" not in [u["UserName"] for u in iam.list_users()["Users"]]
    made = cli(srv.data_dir, "iam", "create-user", "beside-user", "--policy-file", str(policy))
    ak, sk = key_pair(made.stdout)
    assert iam.get_user(UserName="beside-user")["User"]["UserName"] == "beside-user"
    assert [p for p in iam.list_user_policies(UserName="beside-user")["PolicyNames"]]
    sm = client(srv, "secretsmanager", ak, sk)
    sm.list_secrets()
    with pytest.raises(ClientError) as e:  # its policy, not the root's
        sm.create_secret(Name="beside/denied", SecretString="x")
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    # The next API write claims its own changes only.
    client(srv, "secretsmanager").create_secret(Name="beside/after", SecretString="x")
    mine = claimed([r for r in records(srv.data_dir, f"{NODE}.")
                    if r["eventName"] == "CreateSecret"
                    and r["requestParameters"].get("name") == "beside/after"])
    by_cli = claimed(records(srv.data_dir, "cli-"))
    assert len(mine) == 1 and len(by_cli) >= 3 and mine[0] not in by_cli, (mine, by_cli)
