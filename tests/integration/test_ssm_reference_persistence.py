"""SSM Parameter Store: /aws/reference/secretsmanager/ references (spec 4.3), restart
persistence, no SecureString plaintext at rest, and the aws CLI."""

import json
import uuid

import pytest
from aws_cli import cli_env, run_aws
from conftest import IS_PG, plaintext_at_rest, raises_code
from ssm_helpers import pname, ssm, ssm_client_for  # noqa: F401

REF = "/aws/reference/secretsmanager/"


def test_reference_to_secret(sm, ssm):
    s, c = sm(), ssm()
    name = "ref" + uuid.uuid4().hex[:6] + "/db"
    created = s.create_secret(Name=name, SecretString='{"password":"p1"}')
    p = c.get_parameter(Name=REF + name, WithDecryption=True)["Parameter"]
    assert p["Name"] == REF + name and p["Type"] == "SecureString" and p["Version"] == 0
    assert p["Value"] == '{"password":"p1"}'
    assert p["ARN"] == created["ARN"] and "Selector" not in p
    # Member names as AWS answers them: lower camel case, "ARN" as is (an AWS-validated
    # LocalStack test reads source["name"] and source["ARN"]).
    src = json.loads(p["SourceResult"])
    assert src["name"] == name and src["secretString"] == '{"password":"p1"}'
    assert src["versionId"] == created["VersionId"] and src["versionStages"] == ["AWSCURRENT"]
    assert src["ARN"] == created["ARN"] and "createdDate" in src

    s.put_secret_value(SecretId=name, SecretString="p2")
    assert c.get_parameter(Name=REF + name, WithDecryption=True)["Parameter"]["Value"] == "p2"
    prev = c.get_parameter(Name=REF + name + ":AWSPREVIOUS", WithDecryption=True)["Parameter"]
    assert prev["Value"] == '{"password":"p1"}' and prev["Selector"] == ":AWSPREVIOUS"
    assert prev["Name"] == REF + name
    byv = c.get_parameter(Name=f"{REF}{name}:{created['VersionId']}", WithDecryption=True)["Parameter"]
    assert byv["Value"] == '{"password":"p1"}'
    # by ARN
    assert c.get_parameter(Name=REF + created["ARN"], WithDecryption=True)["Parameter"]["Value"] == "p2"
    # GetParameters, mixing a reference, a parameter and a missing secret
    n = pname()
    c.put_parameter(Name=n, Value="plain", Type="String")
    r = c.get_parameters(Names=[REF + name, n, REF + "missing-secret"], WithDecryption=True)
    assert {p["Name"]: p["Value"] for p in r["Parameters"]} == {REF + name: "p2", n: "plain"}
    assert r["InvalidParameters"] == [REF + "missing-secret"]


def test_reference_errors(sm, ssm):
    s, c = sm(), ssm()
    name = "ref" + uuid.uuid4().hex[:6]
    s.create_secret(Name=name, SecretString="x")
    with raises_code("ValidationException") as ei:
        c.get_parameter(Name=REF + name)
    assert "WithDecryption flag must be True for retrieving a Secret Manager secret." in str(ei.value)
    with raises_code("ValidationException"):
        c.get_parameters(Names=[REF + name])
    with raises_code("ParameterNotFound"):
        c.get_parameter(Name=REF + "nope-" + name, WithDecryption=True)
    with raises_code("ParameterNotFound"):
        c.get_parameter(Name=REF + name + ":NOSUCHSTAGE", WithDecryption=True)
    with raises_code("AccessDeniedException"):  # writes under /aws are refused
        c.put_parameter(Name=REF + name, Value="x", Type="String")


def test_restart_keeps_parameters(fresh_dev_server):
    srv = fresh_dev_server
    c = ssm_client_for(srv.endpoint)
    c.put_parameter(Name="/keep/a", Value="1", Type="String", Tags=[{"Key": "k", "Value": "v"}])
    c.put_parameter(Name="/keep/a", Value="2", Type="String", Overwrite=True)
    c.put_parameter(Name="/keep/s", Value="secret-value", Type="SecureString")
    c.label_parameter_version(Name="/keep/a", ParameterVersion=1, Labels=["first"])
    srv.restart()
    c = ssm_client_for(srv.endpoint)
    assert c.get_parameter(Name="/keep/a")["Parameter"]["Value"] == "2"
    assert c.get_parameter(Name="/keep/a:first")["Parameter"]["Value"] == "1"
    assert c.get_parameter(Name="/keep/s", WithDecryption=True)["Parameter"]["Value"] == "secret-value"
    assert c.list_tags_for_resource(ResourceType="Parameter", ResourceId="/keep/a")["TagList"] == [
        {"Key": "k", "Value": "v"}]
    srv.restart(kill=True)
    c = ssm_client_for(srv.endpoint)
    assert c.put_parameter(Name="/keep/a", Value="3", Overwrite=True)["Version"] == 3


def test_no_secure_string_plaintext_at_rest(fresh_dev_server):
    srv = fresh_dev_server
    c = ssm_client_for(srv.endpoint)
    canaries = [f"SSM-CANARY-{uuid.uuid4().hex}-{i}" for i in range(3)]
    c.put_parameter(Name="/canary/one", Value=canaries[0], Type="SecureString")
    c.put_parameter(Name="/canary/one", Value=canaries[1], Overwrite=True)
    c.put_parameter(Name="canary-adv", Value=canaries[2] + "x" * 5000, Type="SecureString",
                    Tier="Advanced")
    c.get_parameter(Name="/canary/one", WithDecryption=True)
    c.get_parameter_history(Name="/canary/one", WithDecryption=True)
    c.get_parameters_by_path(Path="/canary", WithDecryption=True)
    with pytest.raises(Exception):  # an error path with the value in the request
        c.put_parameter(Name="/canary/one", Value=canaries[0], Overwrite=False)

    def scan(when):
        if not IS_PG and when == "running":  # the values went through SQLite's WAL
            assert any(p.name == "arcana.db-wal" for p in srv.data_dir.iterdir())
        needles = [cn.encode() for cn in canaries]
        return [(when, *hit) for hit in plaintext_at_rest(srv.data_dir, needles, srv.log_files)]

    hits = scan("running")
    srv.stop()
    hits += scan("stopped")
    assert not hits, f"SecureString plaintext found at rest: {hits}"


@pytest.fixture
def aws_ssm(ssm, tmp_path):
    env = cli_env(tmp_path, "AKIDCLITEST000000001", "cli-secret")

    def run(*args, expect_ok=True):
        p = run_aws(["--endpoint-url", ssm.server.endpoint, "--region", "us-east-1", "--output",
                     "json", "ssm", *args], env, tmp_path)
        if expect_ok:
            assert p.returncode == 0, f"{' '.join(args)} -> rc {p.returncode}\n{p.stderr}"
        return p.returncode, (json.loads(p.stdout) if p.stdout.strip() else None), p.stderr

    return run


def test_cli_put_and_walk(aws_ssm):
    base = "/cli" + uuid.uuid4().hex[:6]
    _, out, _ = aws_ssm("put-parameter", "--name", base + "/db/password", "--value", "pw-1",
                        "--type", "SecureString")
    assert out == {"Version": 1, "Tier": "Standard"}
    aws_ssm("put-parameter", "--name", base + "/db/host", "--value", "db.local", "--type", "String")
    aws_ssm("put-parameter", "--name", base + "/flags", "--value", "a,b", "--type", "StringList")
    for i in range(12):
        aws_ssm("put-parameter", "--name", f"{base}/bulk/p{i}", "--value", str(i), "--type", "String")
    _, out, _ = aws_ssm("get-parameters-by-path", "--path", base, "--recursive", "--with-decryption")
    got = {p["Name"]: p["Value"] for p in out["Parameters"]}
    assert len(got) == 15  # the CLI follows NextToken across pages of 10
    assert got[base + "/db/password"] == "pw-1" and got[base + "/flags"] == "a,b"
    _, out, _ = aws_ssm("get-parameter", "--name", base + "/db/password")
    assert out["Parameter"]["Value"] != "pw-1"
    _, out, _ = aws_ssm("describe-parameters", "--parameter-filters",
                        f"Key=Path,Option=Recursive,Values={base}/db")
    assert sorted(p["Name"] for p in out["Parameters"]) == [base + "/db/host", base + "/db/password"]
    _, out, _ = aws_ssm("get-parameter-history", "--name", base + "/db/password", "--with-decryption")
    assert out["Parameters"][0]["Value"] == "pw-1"
    rc, _, err = aws_ssm("get-parameter", "--name", base + "/missing", expect_ok=False)
    assert rc != 0 and "ParameterNotFound" in err
    aws_ssm("delete-parameter", "--name", base + "/db/host")
    rc, _, err = aws_ssm("delete-parameter", "--name", base + "/db/host", expect_ok=False)
    assert rc != 0 and "ParameterNotFound" in err
