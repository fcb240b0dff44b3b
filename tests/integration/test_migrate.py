"""`arcana scan` and `arcana migrate` round trip against a running arcanad (issue 15).

A small repository with secrets in a CloudFormation template, a Kubernetes Secret, a .env file
(committed: in git history) and Terraform: scan finds them, migrate --apply stores them through
the public Secrets Manager API with the caller's SigV4 credentials and rewrites the files to
reference them, a rescan finds nothing, the values are in Arcana (the committed one tagged
exposed), and a second migrate changes nothing. The planted values are assembled at run time so
no token-shaped literal sits in this file.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from conftest import ARCANAD, ROOT_AKID, ROOT_SECRET, make_client

CLI = Path(os.environ.get("ARCANA_CLI", ARCANAD.parent / "arcana"))

pytestmark = pytest.mark.sqlite_only(
    "arcana migrate talks only to the public Secrets Manager API; the store behind it is "
    "covered by the Secrets Manager tests on both backends")

GITLAB = "gl" + "pat-" + "Mq8Xv2Lm4Np6Rt9Wy1Ab"
DB_PASSWORD = "Pg7#Lk2vQ9xZ4w"
STRIPE = "sk" + "_live_" + "4vQ9xZ2mLk7pTr8sYb3nWc6d"
TF_PASSWORD = "Zr9!mQ4vKp2xL7wT"
VALUES = [GITLAB, DB_PASSWORD, STRIPE, TF_PASSWORD]


def plant(root: Path) -> None:
    (root / "k8s").mkdir()
    (root / "template.yaml").write_text(
        'AWSTemplateFormatVersion: "2010-09-09"\n'
        "Resources:\n"
        "  Db:\n"
        "    Type: AWS::RDS::DBInstance\n"
        "    Properties:\n"
        "      MasterUsername: admin\n"
        f'      MasterUserPassword: "{DB_PASSWORD}"\n')
    (root / "k8s" / "secret.yaml").write_text(
        "apiVersion: v1\n"
        "kind: Secret\n"
        "metadata:\n"
        "  name: app-secrets\n"
        "  namespace: prod\n"
        "type: Opaque\n"
        "stringData:\n"
        f"  STRIPE_KEY: {STRIPE}\n"
        "  LOG_LEVEL: info\n")
    (root / ".env").write_text(f"APP_NAME=demo\nGITLAB_TOKEN={GITLAB}\n")
    (root / "main.tf").write_text(
        'resource "aws_db_instance" "db" {\n'
        '  username = "admin"\n'
        f'  password = "{TF_PASSWORD}"\n'
        "}\n")
    git = ["git", "-c", "user.name=Dev", "-c", "user.email=dev@example.com"]
    subprocess.run(git + ["init", "-q"], cwd=root, check=True)
    subprocess.run(git + ["add", ".env"], cwd=root, check=True)
    subprocess.run(git + ["commit", "-q", "-m", "env"], cwd=root, check=True)


@pytest.fixture(scope="module")
def project(tmp_path_factory, auth_server):
    root = tmp_path_factory.mktemp("migrate") / "app"
    root.mkdir()
    plant(root)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root.parent),
        "AWS_ACCESS_KEY_ID": ROOT_AKID,
        "AWS_SECRET_ACCESS_KEY": ROOT_SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    return root, env, "mig" + uuid.uuid4().hex[:8], auth_server


def arcana(args, root, env):
    return subprocess.run([str(CLI), *args], cwd=root, env=env, capture_output=True, text=True,
                          timeout=60)


def snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and ".git" not in p.parts}


def test_scan_migrate_rescan_round_trip(project):
    root, env, repo, server = project
    scan = arcana(["scan", "--format", "json", "."], root, env)
    assert scan.returncode == 1, scan.stderr
    found = {(f["file"], f["rule_id"]) for f in json.loads(scan.stdout)}
    assert found == {("template.yaml", "generic-secret-assignment"),
                     ("k8s/secret.yaml", "stripe-key"),
                     (".env", "gitlab-token"),
                     ("main.tf", "generic-secret-assignment")}
    for v in VALUES:
        assert v not in scan.stdout

    # Dry run: a diff, no value, nothing written or stored.
    before = snapshot(root)
    dry = arcana(["migrate", "--repo", repo, "."], root, env)
    assert dry.returncode == 0, dry.stderr
    assert "+++ b/template.yaml" in dry.stdout and "dry run" in dry.stdout
    for v in VALUES:
        assert v not in dry.stdout and v not in dry.stderr
    assert snapshot(root) == before

    applied = arcana(["migrate", "--apply", "--yes", "--repo", repo, "--endpoint-url",
                      server.endpoint, "."], root, env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "4 stored" in applied.stdout
    for v in VALUES:
        assert v not in applied.stdout and v not in applied.stderr

    rescan = arcana(["scan", "."], root, env)
    assert rescan.returncode == 0, rescan.stdout

    sm = make_client(server.endpoint, "us-east-1", ROOT_AKID, ROOT_SECRET)
    names = {
        f"{repo}/template.yaml/MasterUserPassword": DB_PASSWORD,
        f"{repo}/k8s/secret.yaml/STRIPE_KEY": STRIPE,
        f"{repo}/.env/GITLAB_TOKEN": GITLAB,
        f"{repo}/main.tf/password": TF_PASSWORD,
    }
    for name, value in names.items():
        assert sm.get_secret_value(SecretId=name)["SecretString"] == value
        tags = {t["Key"]: t["Value"] for t in sm.describe_secret(SecretId=name).get("Tags", [])}
        assert tags["arcana:source-file"] == name.split("/", 1)[1].rsplit("/", 1)[0]
        # Only the committed .env value is in git history.
        assert (tags.get("arcana:exposed") == "true") == (value == GITLAB), name

    cfn = (root / "template.yaml").read_text()
    assert (f"MasterUserPassword: \"{{{{resolve:secretsmanager:{repo}/template.yaml/"
            "MasterUserPassword}}\"") in cfn
    k8s = (root / "k8s" / "secret.yaml").read_text()
    assert "kind: ExternalSecret" in k8s and "\nkind: Secret\n" not in k8s
    assert f"key: {repo}/k8s/secret.yaml/STRIPE_KEY" in k8s
    assert "secretKey: STRIPE_KEY" in k8s and "LOG_LEVEL" in k8s and "namespace: prod" in k8s
    assert f"GITLAB_TOKEN={{{{resolve:secretsmanager:{repo}/.env/GITLAB_TOKEN}}}}" in (
        root / ".env").read_text()
    tf = (root / "main.tf").read_text()
    assert "password = data.aws_secretsmanager_secret_version." in tf
    assert f'secret_id = "{repo}/main.tf/password"' in tf

    # Idempotent: nothing left to migrate, no file touched.
    after = snapshot(root)
    again = arcana(["migrate", "--apply", "--yes", "--repo", repo, "--endpoint-url",
                    server.endpoint, "."], root, env)
    assert again.returncode == 0, again.stderr
    assert "nothing to migrate" in again.stdout
    assert snapshot(root) == after


def test_migrate_refuses_apply_without_selection_off_terminal(project):
    root, env, repo, server = project
    (root / "extra.env").write_text("SLACK_TOKEN=" + "xo" + "xb-123456789012-abcdefghijABCDEFGHIJ1234\n")
    r = subprocess.run([str(CLI), "migrate", "--apply", "--repo", repo, "--endpoint-url",
                        server.endpoint, "extra.env"], cwd=root, env=env, capture_output=True,
                       text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 2
    assert "--yes" in r.stderr
    bad = arcana(["migrate", "--apply", "--yes", "--repo", repo, "--endpoint-url",
                  server.endpoint, "extra.env"], root, {**env, "AWS_SECRET_ACCESS_KEY": "wrong"})
    assert bad.returncode == 2
    assert "xo" "xb-123456789012" in (root / "extra.env").read_text()  # not rewritten
