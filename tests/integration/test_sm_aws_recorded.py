"""Secrets Manager answers as real AWS recorded them.

Each test replays one scenario of LocalStack's AWS-validated snapshot suite
(tests/aws/services/secretsmanager/test_secretsmanager.py and its .snapshot.json, recorded
against AWS) and asserts what AWS answered: label order, version order, which labels a move
leaves behind, error codes and messages.
"""

import uuid

from botocore.exceptions import ClientError
import pytest

from conftest import raises_code

DEFAULT_KEY = ["DefaultEncryptionKey"]
NO_LAMBDA_ACCESS_MSG = ("Secrets Manager cannot invoke the specified Lambda function. Ensure that "
                        "the function policy grants access to the principal "
                        "secretsmanager.amazonaws.com.")


def listed(c, name, **kw):
    """ListSecretVersionIds as [(VersionId, VersionStages or None)], in the order answered."""
    r = c.list_secret_version_ids(SecretId=name, **kw)
    for v in r["Versions"]:
        assert v["KmsKeyIds"] == DEFAULT_KEY
    return [(v["VersionId"], v.get("VersionStages")) for v in r["Versions"]]


def test_put_secret_value_with_version_stages(sm, uniq):
    """test_put_secret_value_with_version_stages: VersionStages come back sorted
    (["SAMPLESTAGE1", "SAMPLESTAGE0"] -> ["SAMPLESTAGE0", "SAMPLESTAGE1"]); AWSCURRENT stays."""
    c = sm()
    name = uniq()
    v0 = c.create_secret(Name=name, SecretString="secret_string_v0")["VersionId"]
    stages = ["SAMPLESTAGE1", "SAMPLESTAGE0"]
    for i in (1, 2):
        t = str(uuid.uuid4())
        r = c.put_secret_value(SecretId=name, SecretString=f"secret_string_v{i}",
                               VersionStages=stages, ClientRequestToken=t)
        assert r["VersionId"] == t
        assert r["VersionStages"] == ["SAMPLESTAGE0", "SAMPLESTAGE1"]
        g = c.get_secret_value(SecretId=name)
        assert (g["VersionId"], g["VersionStages"]) == (v0, ["AWSCURRENT"])
    r = c.put_secret_value(SecretId=name, SecretString="secret_string_v3",
                           VersionStages=["AWSPENDING"], ClientRequestToken=str(uuid.uuid4()))
    assert r["VersionStages"] == ["AWSPENDING"]
    t4 = str(uuid.uuid4())
    r = c.put_secret_value(SecretId=name, SecretString="secret_string_v4", ClientRequestToken=t4)
    assert r["VersionStages"] == ["AWSCURRENT"]
    g = c.get_secret_value(SecretId=name)
    assert (g["VersionId"], g["SecretString"], g["VersionStages"]) == (
        t4, "secret_string_v4", ["AWSCURRENT"])


@pytest.mark.parametrize("second, left_on_v1", [
    (["one", "two", "three", "four"], None),
    (["one", "two", "four"], ["three"]),
])
def test_non_versioning_version_stages(sm, uniq, second, left_on_v1):
    """test_non_versioning_version_stages_replacement / _no_replacement: custom labels are
    sorted in the answer and in ListSecretVersionIds, which lists versions oldest first; a
    version whose labels all moved away drops out of the list."""
    c = sm()
    name = uniq()
    v0 = c.create_secret(Name=name, SecretString="S0")["VersionId"]
    r = c.put_secret_value(SecretId=name, SecretString="S1", VersionStages=["one", "two", "three"])
    v1 = r["VersionId"]
    assert r["VersionStages"] == ["one", "three", "two"]
    assert listed(c, name) == [(v0, ["AWSCURRENT"]), (v1, ["one", "three", "two"])]
    r = c.put_secret_value(SecretId=name, SecretString="S2", VersionStages=second)
    v2 = r["VersionId"]
    assert r["VersionStages"] == sorted(second)
    want = [(v0, ["AWSCURRENT"])]
    if left_on_v1:
        want.append((v1, left_on_v1))
    want.append((v2, sorted(second)))
    assert listed(c, name) == want


def test_update_secret_version_stages_current_pending(sm, uniq):
    """test_update_secret_version_stages_current_pending: once AWSCURRENT was moved onto the
    AWSPENDING version, a PutSecretValue leaves that version with ["AWSPREVIOUS"] alone (its
    AWSPENDING goes too) and the new version with ["AWSCURRENT"]."""
    c = sm()
    name = uniq()
    v0 = c.create_secret(Name=name, SecretString="Something1")["VersionId"]
    r = c.put_secret_value(SecretId=name, SecretString="Something2", VersionStages=["AWSPENDING"])
    v1 = r["VersionId"]
    assert r["VersionStages"] == ["AWSPENDING"]
    assert listed(c, name) == [(v0, ["AWSCURRENT"]), (v1, ["AWSPENDING"])]
    r = c.update_secret_version_stage(SecretId=name, RemoveFromVersionId=v0, MoveToVersionId=v1,
                                      VersionStage="AWSCURRENT")
    assert set(r) - {"ResponseMetadata"} == {"ARN", "Name"}
    assert listed(c, name) == [(v0, ["AWSPREVIOUS"]), (v1, ["AWSCURRENT", "AWSPENDING"])]
    r = c.put_secret_value(SecretId=name, SecretString="SS3")
    v2 = r["VersionId"]
    assert r["VersionStages"] == ["AWSCURRENT"]
    assert listed(c, name) == [(v1, ["AWSPREVIOUS"]), (v2, ["AWSCURRENT"])]
    assert c.describe_secret(SecretId=name)["VersionIdsToStages"] == {
        v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]}


def test_update_secret_after_current_pending_drops_pending(sm, uniq):
    """test_update_secret_version_stages_current_pending (put_secret_value_res_1 /
    list_secret_version_ids_res_2), through UpdateSecret with a new value, which moves
    AWSCURRENT the same way PutSecretValue does."""
    c = sm()
    name = uniq()
    v0 = c.create_secret(Name=name, SecretString="a")["VersionId"]
    v1 = c.put_secret_value(SecretId=name, SecretString="b",
                            VersionStages=["AWSPENDING"])["VersionId"]
    c.update_secret_version_stage(SecretId=name, RemoveFromVersionId=v0, MoveToVersionId=v1,
                                  VersionStage="AWSCURRENT")
    v2 = c.update_secret(SecretId=name, SecretString="c")["VersionId"]
    assert listed(c, name) == [(v1, ["AWSPREVIOUS"]), (v2, ["AWSCURRENT"])]


def test_update_secret_version_stages_current_pending_cycle(sm, uniq):
    """test_update_secret_version_stages_current_pending_cycle: AWSPENDING moves to each new
    pending version; the moved AWSCURRENT sorts before AWSPENDING in every answer."""
    c = sm()
    name = uniq()
    v0 = c.create_secret(Name=name, SecretString="S1")["VersionId"]
    v1 = c.put_secret_value(SecretId=name, SecretString="S2",
                            VersionStages=["AWSPENDING"])["VersionId"]
    assert listed(c, name) == [(v0, ["AWSCURRENT"]), (v1, ["AWSPENDING"])]
    c.update_secret_version_stage(SecretId=name, RemoveFromVersionId=v0, MoveToVersionId=v1,
                                  VersionStage="AWSCURRENT")
    assert listed(c, name) == [(v0, ["AWSPREVIOUS"]), (v1, ["AWSCURRENT", "AWSPENDING"])]
    g = c.get_secret_value(SecretId=name)
    assert (g["VersionId"], g["SecretString"], g["VersionStages"]) == (
        v1, "S2", ["AWSCURRENT", "AWSPENDING"])
    v2 = c.put_secret_value(SecretId=name, SecretString="S3",
                            VersionStages=["AWSPENDING"])["VersionId"]
    assert listed(c, name) == [(v0, ["AWSPREVIOUS"]), (v1, ["AWSCURRENT"]), (v2, ["AWSPENDING"])]
    c.update_secret_version_stage(SecretId=name, RemoveFromVersionId=v1, MoveToVersionId=v2,
                                  VersionStage="AWSCURRENT")
    assert listed(c, name) == [(v1, ["AWSPREVIOUS"]), (v2, ["AWSCURRENT", "AWSPENDING"])]
    g = c.get_secret_value(SecretId=name)
    assert (g["VersionId"], g["VersionStages"]) == (v2, ["AWSCURRENT", "AWSPENDING"])


def test_update_secret_version_stages_current_pending_cycle_custom_stages_1(sm, uniq):
    """test_update_secret_version_stages_current_pending_cycle_custom_stages_1: custom labels
    stay where they were put, sorted among the moved AWS labels."""
    c = sm()
    name = uniq()
    v0 = c.create_secret(Name=name, SecretString="S1")["VersionId"]
    r = c.put_secret_value(SecretId=name, SecretString="S2",
                           VersionStages=["AWSSOMETHING", "AWSPENDING", "PUT1"])
    v1 = r["VersionId"]
    assert r["VersionStages"] == ["AWSPENDING", "AWSSOMETHING", "PUT1"]
    assert listed(c, name) == [(v0, ["AWSCURRENT"]), (v1, ["AWSPENDING", "AWSSOMETHING", "PUT1"])]
    c.update_secret_version_stage(SecretId=name, RemoveFromVersionId=v0, MoveToVersionId=v1,
                                  VersionStage="AWSCURRENT")
    assert listed(c, name) == [(v0, ["AWSPREVIOUS"]),
                               (v1, ["AWSCURRENT", "AWSPENDING", "AWSSOMETHING", "PUT1"])]
    assert c.get_secret_value(SecretId=name)["VersionStages"] == [
        "AWSCURRENT", "AWSPENDING", "AWSSOMETHING", "PUT1"]
    r = c.put_secret_value(SecretId=name, SecretString="S3", VersionStages=["AWSPENDING", "PUT2"])
    v2 = r["VersionId"]
    assert r["VersionStages"] == ["AWSPENDING", "PUT2"]
    assert listed(c, name) == [(v0, ["AWSPREVIOUS"]),
                               (v1, ["AWSCURRENT", "AWSSOMETHING", "PUT1"]),
                               (v2, ["AWSPENDING", "PUT2"])]
    c.update_secret_version_stage(SecretId=name, RemoveFromVersionId=v1, MoveToVersionId=v2,
                                  VersionStage="AWSCURRENT")
    assert listed(c, name) == [(v1, ["AWSPREVIOUS", "AWSSOMETHING", "PUT1"]),
                               (v2, ["AWSCURRENT", "AWSPENDING", "PUT2"])]
    g = c.get_secret_value(SecretId=name)
    assert (g["VersionId"], g["SecretString"], g["VersionStages"]) == (
        v2, "S3", ["AWSCURRENT", "AWSPENDING", "PUT2"])
    # The version maps of DescribeSecret and ListSecrets list the labels in the same order.
    want = {v1: ["AWSPREVIOUS", "AWSSOMETHING", "PUT1"], v2: ["AWSCURRENT", "AWSPENDING", "PUT2"]}
    assert c.describe_secret(SecretId=name)["VersionIdsToStages"] == want
    entry = [s for s in c.list_secrets()["SecretList"] if s["Name"] == name]
    assert entry[0]["SecretVersionsToStages"] == want


def test_update_secret_version_stages_current_pending_cycle_custom_stages_2(sm, uniq):
    """test_update_secret_version_stages_current_pending_cycle_custom_stages_2: a version
    left with only a custom label stays listed (oldest first) with that label."""
    c = sm()
    name = uniq()
    v0 = c.create_secret(Name=name, SecretString="SS")["VersionId"]
    r = c.put_secret_value(SecretId=name, SecretString="S1", VersionStages=["AWSCURRENT", "PUT0"])
    v1 = r["VersionId"]
    assert r["VersionStages"] == ["AWSCURRENT", "PUT0"]
    assert listed(c, name) == [(v0, ["AWSPREVIOUS"]), (v1, ["AWSCURRENT", "PUT0"])]
    v2 = c.put_secret_value(SecretId=name, SecretString="S2",
                            VersionStages=["AWSPENDING", "PUT1"])["VersionId"]
    assert listed(c, name) == [(v0, ["AWSPREVIOUS"]), (v1, ["AWSCURRENT", "PUT0"]),
                               (v2, ["AWSPENDING", "PUT1"])]
    c.update_secret_version_stage(SecretId=name, RemoveFromVersionId=v1, MoveToVersionId=v2,
                                  VersionStage="AWSCURRENT")
    assert listed(c, name) == [(v1, ["AWSPREVIOUS", "PUT0"]),
                               (v2, ["AWSCURRENT", "AWSPENDING", "PUT1"])]
    v3 = c.put_secret_value(SecretId=name, SecretString="S3",
                            VersionStages=["AWSPENDING", "PUT2"])["VersionId"]
    assert listed(c, name) == [(v1, ["AWSPREVIOUS", "PUT0"]), (v2, ["AWSCURRENT", "PUT1"]),
                               (v3, ["AWSPENDING", "PUT2"])]
    c.update_secret_version_stage(SecretId=name, RemoveFromVersionId=v2, MoveToVersionId=v3,
                                  VersionStage="AWSCURRENT")
    assert listed(c, name) == [(v1, ["PUT0"]), (v2, ["AWSPREVIOUS", "PUT1"]),
                               (v3, ["AWSCURRENT", "AWSPENDING", "PUT2"])]
    g = c.get_secret_value(SecretId=name)
    assert (g["VersionId"], g["SecretString"], g["VersionStages"]) == (
        v3, "S3", ["AWSCURRENT", "AWSPENDING", "PUT2"])


def test_update_secret_version_stages_current_pending_cycle_custom_stages_3(sm, uniq):
    """test_update_secret_version_stages_current_pending_cycle_custom_stages_3: a version
    labelled PENDING that takes AWSCURRENT answers ["AWSCURRENT", "PENDING"]."""
    c = sm()
    name = uniq()
    v1 = c.create_secret(Name=name, SecretString="SS")["VersionId"]
    v2 = c.put_secret_value(SecretId=name, SecretString="S1",
                            VersionStages=["PENDING"])["VersionId"]
    assert listed(c, name) == [(v1, ["AWSCURRENT"]), (v2, ["PENDING"])]
    c.update_secret_version_stage(SecretId=name, RemoveFromVersionId=v1, MoveToVersionId=v2,
                                  VersionStage="AWSCURRENT")
    assert c.get_secret_value(SecretId=name, VersionId=v1)["VersionStages"] == ["AWSPREVIOUS"]
    assert c.get_secret_value(SecretId=name, VersionId=v2)["VersionStages"] == [
        "AWSCURRENT", "PENDING"]
    c.update_secret_version_stage(SecretId=name, RemoveFromVersionId=v2, VersionStage="PENDING")
    assert c.get_secret_value(SecretId=name, VersionId=v1)["VersionStages"] == ["AWSPREVIOUS"]
    assert c.get_secret_value(SecretId=name, VersionId=v2)["VersionStages"] == ["AWSCURRENT"]


def test_deprecated_secret_version_stage(sm, uniq):
    """test_deprecated_secret_version_stage: ListSecretVersionIds lists oldest first, with
    IncludeDeprecated too; deprecated versions carry no VersionStages member."""
    c = sm()
    name = uniq()
    v1 = c.create_secret(Name=name, SecretString="original", Description="My secret")["VersionId"]
    assert listed(c, name) == [(v1, ["AWSCURRENT"])]
    v2 = c.put_secret_value(SecretId=name, SecretString="update1")["VersionId"]
    assert listed(c, name) == [(v1, ["AWSPREVIOUS"]), (v2, ["AWSCURRENT"])]
    v3 = c.put_secret_value(SecretId=name, SecretString="update2")["VersionId"]
    assert listed(c, name) == [(v2, ["AWSPREVIOUS"]), (v3, ["AWSCURRENT"])]
    assert listed(c, name, IncludeDeprecated=True) == [
        (v1, None), (v2, ["AWSPREVIOUS"]), (v3, ["AWSCURRENT"])]
    v4 = c.put_secret_value(SecretId=name, SecretString="update3")["VersionId"]
    assert listed(c, name) == [(v3, ["AWSPREVIOUS"]), (v4, ["AWSCURRENT"])]
    assert listed(c, name, IncludeDeprecated=True) == [
        (v1, None), (v2, None), (v3, ["AWSPREVIOUS"]), (v4, ["AWSCURRENT"])]


def test_list_secret_version_ids_pages_oldest_first(sm, uniq):
    """test_deprecated_secret_version_stage (creation order), read a page at a time: the
    pages continue the same oldest-first order."""
    c = sm()
    name = uniq()
    ids = [c.create_secret(Name=name, SecretString="v0")["VersionId"]]
    for i in range(1, 5):
        ids.append(c.put_secret_value(SecretId=name, SecretString=f"v{i}")["VersionId"])
    seen, kw = [], {}
    while True:
        r = c.list_secret_version_ids(SecretId=name, IncludeDeprecated=True, MaxResults=2, **kw)
        seen += [v["VersionId"] for v in r["Versions"]]
        if "NextToken" not in r:
            break
        kw = {"NextToken": r["NextToken"]}
    assert seen == ids


def test_rotate_secret_invalid_lambda_arn(sm, uniq):
    """test_rotate_secret_invalid_lambda_arn: a RotationLambdaARN naming no function is
    AccessDeniedException (HTTP 400) with AWS's text, and the secret keeps no rotation
    configuration."""
    c = sm()
    name = uniq()
    v1 = c.create_secret(Name=name, SecretString="init")["VersionId"]
    arn = "arn:aws:lambda:us-east-1:123456789012:function:rotate_secret_invalid_lambda_arn"
    with pytest.raises(ClientError) as ei:
        c.rotate_secret(SecretId=name, RotationRules={"AutomaticallyAfterDays": 1},
                        RotationLambdaARN=arn)
    r = ei.value.response
    assert r["Error"]["Code"] == "AccessDeniedException"
    assert r["Error"]["Message"] == NO_LAMBDA_ACCESS_MSG
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 400
    d = c.describe_secret(SecretId=name)
    for k in ("RotationEnabled", "RotationRules", "RotationLambdaARN"):
        assert k not in d, k
    assert d["VersionIdsToStages"] == {v1: ["AWSCURRENT"]}


def test_first_rotate_secret_with_missing_lambda_arn(sm, uniq):
    """test_first_rotate_secret_with_missing_lambda_arn: no RotationLambdaARN on a secret that
    never had one is InvalidRequestException (unchanged; pinned beside the case above)."""
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="init")
    with raises_code("InvalidRequestException"):
        c.rotate_secret(SecretId=name, RotationRules={"AutomaticallyAfterDays": 1})
