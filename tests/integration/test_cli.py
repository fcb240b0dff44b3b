"""The Debian aws CLI (v2.9.19) against the dev server, via --endpoint-url."""

import json

import pytest

from aws_cli import cli_runner


@pytest.fixture
def aws(sm, tmp_path):
    """aws("secretsmanager", "list-secrets", ...) -> (rc, parsed stdout or text, stderr)."""
    return cli_runner(sm.server.endpoint, tmp_path, "AKIDCLITEST000000001", "cli-secret")


def test_cli_create_get_put_describe(aws, uniq):
    name = uniq("prod/db")
    _, out, _ = aws("secretsmanager", "create-secret", "--name", name,
                    "--secret-string", '{"password":"x"}', "--description", "db creds")
    assert out["Name"] == name
    assert out["ARN"].startswith(f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{name}-")
    v1 = out["VersionId"]

    _, out, _ = aws("secretsmanager", "get-secret-value", "--secret-id", name)
    assert json.loads(out["SecretString"]) == {"password": "x"}
    assert out["VersionStages"] == ["AWSCURRENT"]
    assert isinstance(out["CreatedDate"], str)  # the CLI renders timestamps as ISO 8601 text

    _, out, _ = aws("secretsmanager", "put-secret-value", "--secret-id", name,
                    "--secret-string", '{"password":"y"}')
    v2 = out["VersionId"]
    assert out["VersionStages"] == ["AWSCURRENT"]

    _, out, _ = aws("secretsmanager", "describe-secret", "--secret-id", name)
    assert out["Description"] == "db creds"
    assert out["VersionIdsToStages"] == {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]}

    _, out, _ = aws("secretsmanager", "get-secret-value", "--secret-id", name,
                    "--version-stage", "AWSPREVIOUS")
    assert json.loads(out["SecretString"]) == {"password": "x"}

    _, out, _ = aws("secretsmanager", "update-secret", "--secret-id", name, "--description", "new")
    assert "VersionId" not in out
    _, out, _ = aws("secretsmanager", "list-secret-version-ids", "--secret-id", name)
    assert {v["VersionId"] for v in out["Versions"]} == {v1, v2}


def test_cli_binary_secret(aws, uniq):
    name = uniq("bin")
    data = bytes(range(256))
    f = aws.tmp / "blob.bin"
    f.write_bytes(data)
    aws("secretsmanager", "create-secret", "--name", name, "--secret-binary", f"fileb://{f}")
    _, out, _ = aws("secretsmanager", "get-secret-value", "--secret-id", name)
    import base64
    assert base64.b64decode(out["SecretBinary"]) == data


def test_cli_list_pagination(aws, uniq):
    names = sorted(uniq(f"page{i}") for i in range(5))
    for n in names:
        aws("secretsmanager", "create-secret", "--name", n, "--secret-string", "v")
    flt = ["--filters", f"Key=name,Values={uniq.prefix}"]
    # auto-pagination: the CLI follows NextToken over 1-item server pages
    _, out, _ = aws("secretsmanager", "list-secrets", *flt, "--page-size", "1")
    assert sorted(s["Name"] for s in out["SecretList"]) == names
    assert "NextToken" not in out
    # --max-items: truncated output with a CLI NextToken, resumed with --starting-token
    _, out, _ = aws("secretsmanager", "list-secrets", *flt, "--page-size", "2", "--max-items", "3")
    first = [s["Name"] for s in out["SecretList"]]
    assert len(first) == 3
    assert out.get("NextToken"), out
    _, out2, _ = aws("secretsmanager", "list-secrets", *flt, "--page-size", "2", "--max-items", "3",
                     "--starting-token", out["NextToken"])
    rest = [s["Name"] for s in out2["SecretList"]]
    assert sorted(first + rest) == names
    assert "NextToken" not in out2


def test_cli_delete_restore(aws, uniq):
    name = uniq("del")
    aws("secretsmanager", "create-secret", "--name", name, "--secret-string", "v")
    _, out, _ = aws("secretsmanager", "delete-secret", "--secret-id", name,
                    "--recovery-window-in-days", "7")
    assert out["Name"] == name and out["DeletionDate"]
    flt = ["--filters", f"Key=name,Values={name}"]
    _, out, _ = aws("secretsmanager", "list-secrets", *flt)
    assert out["SecretList"] == []
    # the Debian CLI already models IncludePlannedDeletion
    _, out, _ = aws("secretsmanager", "list-secrets", *flt, "--include-planned-deletion")
    assert [s["Name"] for s in out["SecretList"]] == [name]
    assert out["SecretList"][0]["DeletedDate"]
    rc, _, err = aws("secretsmanager", "get-secret-value", "--secret-id", name, expect_ok=False)
    assert rc != 0 and "InvalidRequestException" in err
    _, out, _ = aws("secretsmanager", "restore-secret", "--secret-id", name)
    assert out["Name"] == name
    _, out, _ = aws("secretsmanager", "get-secret-value", "--secret-id", name)
    assert out["SecretString"] == "v"
    aws("secretsmanager", "delete-secret", "--secret-id", name, "--force-delete-without-recovery")
    rc, _, err = aws("secretsmanager", "describe-secret", "--secret-id", name, expect_ok=False)
    assert rc != 0 and "ResourceNotFoundException" in err


def test_cli_tags(aws, uniq):
    name = uniq("tags")
    aws("secretsmanager", "create-secret", "--name", name, "--secret-string", "v",
        "--tags", "Key=env,Value=prod", "Key=team,Value=core")
    aws("secretsmanager", "tag-resource", "--secret-id", name, "--tags", "Key=owner,Value=alice")
    aws("secretsmanager", "untag-resource", "--secret-id", name, "--tag-keys", "team")
    _, out, _ = aws("secretsmanager", "describe-secret", "--secret-id", name)
    assert {t["Key"]: t["Value"] for t in out["Tags"]} == {"env": "prod", "owner": "alice"}
    _, out, _ = aws("secretsmanager", "list-secrets", "--filters", "Key=tag-key,Values=owner",
                    f"Key=name,Values={uniq.prefix}")
    assert [s["Name"] for s in out["SecretList"]] == [name]


def test_cli_get_random_password(aws):
    _, out, _ = aws("secretsmanager", "get-random-password", "--password-length", "20",
                    "--exclude-punctuation")
    p = out["RandomPassword"]
    assert len(p) == 20 and p.isalnum()
    _, out, _ = aws("secretsmanager", "get-random-password")
    assert len(out["RandomPassword"]) == 32


def test_cli_error_path(aws, uniq):
    rc, out, err = aws("secretsmanager", "get-secret-value", "--secret-id", uniq("nope"),
                       expect_ok=False)
    assert rc != 0
    assert "ResourceNotFoundException" in err
    name = uniq("dup")
    aws("secretsmanager", "create-secret", "--name", name, "--secret-string", "v")
    rc, _, err = aws("secretsmanager", "create-secret", "--name", name, "--secret-string", "w",
                     expect_ok=False)
    assert rc != 0 and "ResourceExistsException" in err
    rc, _, err = aws("secretsmanager", "delete-secret", "--secret-id", name,
                     "--recovery-window-in-days", "3", expect_ok=False)
    assert rc != 0 and "InvalidParameterException" in err


def test_cli_resource_policy_and_rotation(aws, uniq):
    name = uniq("pol")
    aws("secretsmanager", "create-secret", "--name", name, "--secret-string", "v")
    pol = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
    aws("secretsmanager", "put-resource-policy", "--secret-id", name, "--resource-policy", pol,
        "--block-public-policy")
    _, out, _ = aws("secretsmanager", "get-resource-policy", "--secret-id", name)
    assert json.loads(out["ResourcePolicy"]) == json.loads(pol)
    # Arcana's managed rotator exists without registration (RotateSecret refuses a function
    # that does not exist); its test run fails on this value and changes nothing.
    aws("secretsmanager", "rotate-secret", "--secret-id", name, "--rotation-lambda-arn",
        "arn:aws:lambda:us-east-1:123456789012:function:arcana:postgresql-single-user",
        "--rotation-rules", '{"AutomaticallyAfterDays": 30}', "--no-rotate-immediately")
    _, out, _ = aws("secretsmanager", "describe-secret", "--secret-id", name)
    assert out["RotationEnabled"] is True
    assert out["NextRotationDate"]  # the Debian CLI's model has NextRotationDate
    aws("secretsmanager", "cancel-rotate-secret", "--secret-id", name)
    _, out, _ = aws("secretsmanager", "describe-secret", "--secret-id", name)
    assert out["RotationEnabled"] is False
