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


def test_migrate_never_prints_nor_names_a_secret_used_as_a_key(project):
    # A secret used as a YAML key became part of the secret's name (printed in the header
    # lines, listed by ListSecrets), was rewritten into a reference where a key belongs, and a
    # re-run nested references inside it. It is stored under the rule's name and the file is
    # left for the user to fix.
    root, env, repo, server = project
    keys = root / "keys"
    keys.mkdir()
    gw = keys / "gateway.yaml"
    gw.write_text(f"api_keys:\n  {STRIPE}: billing\n  {GITLAB}: ci\n")
    original = gw.read_bytes()
    for args in (["migrate", "--repo", repo, "keys"],
                 ["migrate", "--apply", "--yes", "--repo", repo, "--endpoint-url",
                  server.endpoint, "keys"],
                 ["migrate", "--apply", "--yes", "--repo", repo, "--endpoint-url",
                  server.endpoint, "keys"]):
        r = arcana(args, root, env)
        assert r.returncode == 0, r.stdout + r.stderr
        for v in (STRIPE, GITLAB):
            assert v not in r.stdout and v not in r.stderr
        assert "the secret is a key" in r.stdout
        assert gw.read_bytes() == original  # never rewritten, however often run
    sm = make_client(server.endpoint, "us-east-1", ROOT_AKID, ROOT_SECRET)
    assert sm.get_secret_value(SecretId=f"{repo}/gateway.yaml/stripe-key")["SecretString"] == STRIPE
    assert sm.get_secret_value(SecretId=f"{repo}/gateway.yaml/gitlab-token")["SecretString"] == GITLAB
    listed = json.dumps(sm.list_secrets(MaxResults=100)["SecretList"], default=str)
    assert STRIPE not in listed and GITLAB not in listed


def test_migrate_names_that_differ_past_the_length_limit_do_not_hang(tmp_path):
    # Two values under one key whose name is cut at 512 characters: the "-2" on the key was
    # cut off again and the search for a free name never ended (even on a dry run).
    (tmp_path / "a.env").write_text(f"GITLAB_TOKEN={GITLAB}\nGITLAB_TOKEN={GITLAB[:-4]}Zz9Q\n")
    r = subprocess.run([str(CLI), "migrate", "--repo", "r" * 520, "a.env"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    names = [line.split()[1] for line in r.stdout.splitlines() if line.startswith("#   ")]
    assert len(names) == 2 and len(set(names)) == 2 and all(len(n) <= 512 for n in names)


def test_migrate_of_many_findings_in_one_file_is_not_quadratic(tmp_path):
    # Every value was redacted from the whole file once per value: 32,000 tokens in a 1.4 MB
    # .env took 27 s. One pass now.
    import random
    rng = random.Random(7)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    tokens = ["gl" "pat-" + "".join(rng.choice(alphabet) for _ in range(20)) for _ in range(32000)]
    (tmp_path / "big.env").write_text("".join(f"GITLAB_TOKEN_{i}={t}\n" for i, t in enumerate(tokens)))
    r = subprocess.run([str(CLI), "migrate", "--repo", "r", "big.env"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("{{resolve:secretsmanager:r/big.env/GITLAB_TOKEN_") == 32000
    assert not any(t in r.stdout for t in tokens[::1000])


def test_migrate_fails_when_its_output_cannot_be_written(tmp_path):
    # A dry run whose diff went nowhere (a full disk) exited 0, as if it had been read.
    (tmp_path / "a.env").write_text(f"GITLAB_TOKEN={GITLAB}\n")
    with open("/dev/full", "w") as full:
        r = subprocess.run([str(CLI), "migrate", "--repo", "r", "a.env"], cwd=tmp_path,
                           stdout=full, stderr=subprocess.PIPE, text=True, timeout=30)
    assert r.returncode == 2, r.stderr


def test_scan_git_of_a_shallow_clone_scans_what_is_there_and_says_where_it_stops(tmp_path):
    # libgit2's walk failed at the clone's boundary and the failure read as the end of
    # history: "no secrets found", exit 0, for a commit that adds a token.
    src = tmp_path / "src"
    src.mkdir()
    git = ["git", "-c", "user.name=Dev", "-c", "user.email=dev@example.com"]
    subprocess.run(git + ["init", "-q"], cwd=src, check=True)
    for i, text in enumerate(["a\n", f"GITLAB_TOKEN={GITLAB}\n", "b\n"]):
        (src / "f.txt").write_text(text)
        subprocess.run(git + ["add", "f.txt"], cwd=src, check=True)
        subprocess.run(git + ["commit", "-qm", f"c{i}"], cwd=src, check=True)
    subprocess.run(["git", "clone", "-q", "--depth", "2", f"file://{src}", str(tmp_path / "sh")],
                   check=True)
    r = subprocess.run([str(CLI), "scan", "--git", "--format", "json", "sh"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert [f["rule_id"] for f in json.loads(r.stdout)] == ["gitlab-token"]
    assert "shallow clone" in r.stderr
