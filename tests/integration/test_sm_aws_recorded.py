"""Secrets Manager answers as real AWS recorded them.

Each test replays one scenario of LocalStack's AWS-validated snapshot suite
(tests/aws/services/secretsmanager/test_secretsmanager.py and its .snapshot.json, recorded
against AWS) and asserts what AWS answered: label order, version order, which labels a move
leaves behind, error codes and messages.
"""

import time
import uuid

import boto3
from botocore.exceptions import ClientError
import pytest

from conftest import DEV_AKID, DEV_SECRET, raises_code, wait_for

DEFAULT_KEY = ["DefaultEncryptionKey"]
NO_LAMBDA_ACCESS_MSG = ("Secrets Manager cannot invoke the specified Lambda function. Ensure that "
                        "the function policy grants access to the principal "
                        "secretsmanager.amazonaws.com.")


def ensure_lambda_role(endpoint, name, actions):
    """The role `name` (created if absent): trusted by lambda.amazonaws.com, allowed `actions`
    on every resource. What a Lambda function's execution role needs to run a rotation."""
    import json as json_
    from botocore.exceptions import ClientError as ClientError_

    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id=DEV_AKID, aws_secret_access_key=DEV_SECRET)
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole"}]}
    try:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json_.dumps(trust))
    except ClientError_ as e:
        if e.response["Error"]["Code"] != "EntityAlreadyExists":
            raise
    iam.put_role_policy(RoleName=name, PolicyName="function", PolicyDocument=json_.dumps(
        {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}))


def create_rotation_function(endpoint, source, allow_secrets_manager=False):
    """A Python rotation function (rotator.handler of the given source) through the Lambda
    API; its ARN. allow_secrets_manager: the resource policy statement AWS's rotation setup
    adds (lambda:InvokeFunction for secretsmanager.amazonaws.com)."""
    import io
    import zipfile

    lam = boto3.client("lambda", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id=DEV_AKID, aws_secret_access_key=DEV_SECRET)
    # The function runs as its execution role, which must exist and trust Lambda (as in AWS).
    ensure_lambda_role(endpoint, "rotation", ["secretsmanager:*"])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("rotator.py", source)
    fn = "rot-" + uuid.uuid4().hex[:8]
    fn_arn = lam.create_function(FunctionName=fn, Runtime="python3.11", Handler="rotator.handler",
                                 Role="arn:aws:iam::123456789012:role/rotation", Timeout=30,
                                 Code={"ZipFile": buf.getvalue()})["FunctionArn"]
    if allow_secrets_manager:
        lam.add_permission(FunctionName=fn, StatementId="secretsManagerPermission",
                           Action="lambda:InvokeFunction", Principal="secretsmanager.amazonaws.com")
    return fn_arn

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


# ----------------------------------------------------------------- recorded answers, round 2
# Replay of the rest of the validated suite (LocalStack test_secretsmanager.snapshot.json at
# 8181a8e and the validated tests' assertions).

SNAPSHOT_NOT_FOUND = "Secrets Manager can't find the specified secret."


def recorded_error(call, code, message):
    """The error as AWS recorded it: code, message, HTTP 400 and (SM-modelled shape) the
    top-level Message member botocore fills from the body's "Message"."""
    with pytest.raises(ClientError) as ei:
        call()
    r = ei.value.response
    assert (r["Error"]["Code"], r["Error"]["Message"]) == (code, message)
    assert r["Message"] == message
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize("name, partial_works", [
    ("Valid/_+=.@-Name-a1b2", True),
    ("Valid/_+=.@-Name-a1b2c3-", True),
    ("Invalid/_+=.@-Name-a1b2c3", False),
])
def test_partial_arn_of_a_name_ending_like_a_suffix(sm, name, partial_works):
    """test_create_and_update_secret[...]: the ARN without its "-XXXXXX" finds the secret,
    except when the name itself ends in "-" + six alphanumerics: AWS then reads the partial
    ARN as a complete one (suffix "a1b2c3") and answered ResourceNotFoundException
    (resource_not_found_dict_1 of [Invalid/_+=.@-Name-a1b2c3-False]; the API reference says
    such a partial ARN makes Secrets Manager "assume that you're specifying a complete ARN").
    The name and the full ARN keep working."""
    c = sm()
    arn = c.create_secret(Name=name, SecretString="my_secret")["ARN"]
    partial = arn[:-7]
    if partial_works:
        assert c.get_secret_value(SecretId=partial)["Name"] == name
        assert c.describe_secret(SecretId=partial)["ARN"] == arn
    else:
        recorded_error(lambda: c.get_secret_value(SecretId=partial),
                       "ResourceNotFoundException", SNAPSHOT_NOT_FOUND)
        recorded_error(lambda: c.describe_secret(SecretId=partial),
                       "ResourceNotFoundException", SNAPSHOT_NOT_FOUND)
    assert c.get_secret_value(SecretId=name)["ARN"] == arn
    assert c.get_secret_value(SecretId=arn)["ARN"] == arn
    c.put_secret_value(SecretId=name, SecretString="new_secret")
    assert c.update_secret(SecretId=arn, SecretString="test123")["VersionId"]


def test_secret_version_not_found(sm, uniq):
    """test_secret_version_not_found: a secret without a value, read by default label, by an
    unknown VersionId and by a missing label."""
    c = sm()
    name = uniq()
    c.create_secret(Name=name)
    vid = str(uuid.uuid4())
    base = "Secrets Manager can't find the specified secret value for "
    recorded_error(lambda: c.get_secret_value(SecretId=name),
                   "ResourceNotFoundException", base + "staging label: AWSCURRENT")
    recorded_error(lambda: c.get_secret_value(SecretId=name, VersionId=vid),
                   "ResourceNotFoundException", base + "VersionId: " + vid)
    recorded_error(lambda: c.get_secret_value(SecretId=name, VersionStage="AWSPENDING"),
                   "ResourceNotFoundException", base + "staging label: AWSPENDING")


def test_get_secret_value_errors(sm, uniq):
    """test_get_secret_value_errors: no AWSPREVIOUS yet; a VersionStage the VersionId lacks."""
    c = sm()
    name = uniq()
    r = c.create_secret(Name=name, SecretString="test")
    recorded_error(lambda: c.get_secret_value(SecretId=r["ARN"], VersionStage="AWSPREVIOUS"),
                   "ResourceNotFoundException",
                   "Secrets Manager can't find the specified secret value for staging label: "
                   "AWSPREVIOUS")
    recorded_error(lambda: c.get_secret_value(SecretId=name, VersionId=r["VersionId"],
                                              VersionStage="AWSPREVIOUS"),
                   "InvalidRequestException",
                   "You provided a VersionStage that is not associated to the provided VersionId.")


def test_create_over_existing_or_scheduled_name(sm, uniq):
    """test_secret_exists_snapshots and test_exp_raised_on_creation_of_secret_scheduled_for_
    deletion: the two CreateSecret refusals, word for word."""
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="x")
    recorded_error(lambda: c.create_secret(Name=name, SecretString="x"),
                   "ResourceExistsException",
                   f"The operation failed because the secret {name} already exists.")
    c.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    recorded_error(lambda: c.create_secret(Name=name, SecretString="x"),
                   "InvalidRequestException",
                   "You can't create this secret because a secret with this name is already "
                   "scheduled for deletion.")


def test_list_secrets_filtering(sm):
    """test_list_secrets_filtering (validated 2024-04-10): a name filter matches from the
    name's start ("/" finds the names starting with "/", "!/" the others, "testing1 one" no
    name); description words match word prefixes; filters of different keys are ANDed."""
    c = sm()
    s1, s2, s3, s4 = "testing1/one-17", "/testing2/two-17", "testing3/three-17", "/testing4/four-17"
    for n, d in ((s1, "a secret"), (s2, "an secret"), (s3, "asecret"), (s4, "thesecret")):
        c.create_secret(Name=n, SecretString="secret", Description=d)

    def names(*filters):
        f = [{"Key": k, "Values": [v]} for k, v in filters]
        return {s["Name"] for s in c.list_secrets(Filters=f)["SecretList"]}

    assert names(("name", "/")) == {s2, s4}
    assert names(("name", "!/")) == {s1, s3}
    assert names(("name", "testing1 one")) == set()
    assert names(("description", "a")) == {s1, s2, s3}
    assert names(("description", "!a")) == {s4}
    assert names(("description", "a secret")) == {s1, s2}
    assert names(("description", "!c")) == {s1, s2, s3, s4}
    assert names(("description", "a"), ("name", "secret")) == set()
    assert names(("description", "a"), ("name", "an")) == set()


def test_last_accessed_date_is_a_day(sm, uniq):
    """test_last_accessed_date: absent until the first read; two reads on one day give the
    same LastAccessedDate (AWS keeps the date only). ListSecretVersionIds shows it on the
    versions that were read (list_secret_version_ids_res_1 of ..._current_pending_cycle)."""
    c = sm()
    name = uniq()
    v1 = c.create_secret(Name=name, SecretString="S1")["VersionId"]
    assert "LastAccessedDate" not in c.describe_secret(SecretId=name)
    c.get_secret_value(SecretId=name)
    first = c.describe_secret(SecretId=name)["LastAccessedDate"]
    time.sleep(1.1)
    c.get_secret_value(SecretId=name)
    second = c.describe_secret(SecretId=name)["LastAccessedDate"]
    if first.date() == second.date():  # not across midnight UTC
        assert first == second
        assert (first.hour, first.minute, first.second) == (0, 0, 0)
    v2 = c.put_secret_value(SecretId=name, SecretString="S2")["VersionId"]
    versions = c.list_secret_version_ids(SecretId=name)["Versions"]
    assert [v["VersionId"] for v in versions] == [v1, v2]
    assert "LastAccessedDate" in versions[0] and "LastAccessedDate" not in versions[1]


def test_last_changed_date_moves_on_each_update(sm, uniq):
    """test_last_updated_date: each UpdateSecret with a value moves LastChangedDate forward,
    even two in a row with the same value; CreatedDate of the value is the creation time."""
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="MySecretValue")
    created = c.describe_secret(SecretId=name)["LastChangedDate"]
    assert abs(c.get_secret_value(SecretId=name)["CreatedDate"].timestamp()
               - created.timestamp()) <= 1
    last = created
    for value in ("MyNewSecretValue", "MyNewSecretValue", "MyVeryNewSecretValue"):
        c.update_secret(SecretId=name, SecretString=value)
        now = c.describe_secret(SecretId=name)["LastChangedDate"]
        assert now > last
        last = now


def test_update_secret_answers_version_only_for_a_value(sm, uniq):
    """test_update_secret_description: UpdateSecret with only a Description, or with nothing,
    answers ARN and Name; with a value it adds the new VersionId."""
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="MySecretString")
    r = c.update_secret(SecretId=name, Description="MyDescription")
    assert set(r) - {"ResponseMetadata"} == {"ARN", "Name"}
    r = c.update_secret(SecretId=name, SecretString="v2", Description="MyNewDescription")
    assert set(r) - {"ResponseMetadata"} == {"ARN", "Name", "VersionId"}
    r = c.update_secret(SecretId=name)
    assert set(r) - {"ResponseMetadata"} == {"ARN", "Name"}
    d = c.describe_secret(SecretId=name)
    assert d["Description"] == "MyNewDescription"
    assert sorted(d["VersionIdsToStages"].values()) == [["AWSCURRENT"], ["AWSPREVIOUS"]]


def test_tag_and_untag_refused_on_a_secret_marked_for_deletion(sm, uniq):
    """test_tag_untag_resource_on_deleted_secret (AWS-validated, LocalStack PR #13662: AWS
    answers InvalidRequestException; the message is AWS's for any operation on a deleted
    secret, quoted from real output in external-secrets/kubernetes-external-secrets#114)."""
    c = sm()
    name = uniq()
    arn = c.create_secret(Name=name, SecretString="v", Tags=[{"Key": "initial-tag",
                                                              "Value": "initial-value"}])["ARN"]
    c.delete_secret(SecretId=arn)
    msg = "You can't perform this operation on the secret because it was marked for deletion."
    recorded_error(lambda: c.tag_resource(SecretId=arn, Tags=[{"Key": "new", "Value": "v"}]),
                   "InvalidRequestException", msg)
    recorded_error(lambda: c.untag_resource(SecretId=arn, TagKeys=["initial-tag"]),
                   "InvalidRequestException", msg)
    assert c.describe_secret(SecretId=arn)["Tags"] == [{"Key": "initial-tag",
                                                        "Value": "initial-value"}]


def test_force_delete_of_a_secret_already_marked_for_deletion(sm, uniq):
    """test_force_delete_deleted_secret (AWS-validated, LocalStack PR #11680: AWS allows it):
    DescribeSecret shows DeletedDate, then the forced delete answers and the secret is gone."""
    c = sm()
    name = uniq()
    arn = c.create_secret(Name=name, SecretString="v")["ARN"]
    c.delete_secret(SecretId=arn)
    assert "DeletedDate" in c.describe_secret(SecretId=arn)
    r = c.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    assert (r["ARN"], r["Name"]) == (arn, name) and r["DeletionDate"]
    with raises_code("ResourceNotFoundException"):
        c.describe_secret(SecretId=arn)


# Our own rotation function in the shape of AWS's rotation template: createSecret reads
# AWSCURRENT and puts the AWSPENDING value, finishSecret moves AWSCURRENT only (AWSPENDING is
# not removed).
TEMPLATE_ROTATOR_PY = '''
import os
import boto3

def handler(event, context):
    sm = boto3.client("secretsmanager", endpoint_url=os.environ["AWS_ENDPOINT_URL"],
                      region_name=os.environ["AWS_REGION"])
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    stages = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
    if "AWSCURRENT" in stages.get(token, []):
        return
    if step == "createSecret":
        sm.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")  # it must exist
        try:
            sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
            return
        except sm.exceptions.ResourceNotFoundException:  # the empty AWSPENDING version
            pass
        sm.put_secret_value(SecretId=arn, ClientRequestToken=token,
                            SecretString="rotated-" + token, VersionStages=["AWSPENDING"])
    elif step == "finishSecret":
        current = [v for v, s in stages.items() if "AWSCURRENT" in s][0]
        sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT",
                                       MoveToVersionId=token, RemoveFromVersionId=current)
'''


def test_rotate_secret_with_lambda_success(sm, uniq):
    """test_rotate_secret_with_lambda_success[True] / [None]: a template-style rotation ends
    with the old version ["AWSPREVIOUS"] and the new one AWSCURRENT; ListSecretVersionIds lists
    the old (read) version first with its LastAccessedDate. finishSecret leaves AWSPENDING on
    the new version (AWS's snapshot, taken as soon as AWSCURRENT moved, shows ["AWSCURRENT",
    "AWSPENDING"]); once the rotation completes Secrets Manager removes it ("Our backend cleans
    up the pending label on rotation completion", aws-samples/aws-secrets-manager-rotation-
    lambdas#145; the validated tests assert ["AWSCURRENT"])."""
    c = sm()
    fn_arn = create_rotation_function(sm.server.endpoint, TEMPLATE_ROTATOR_PY,
                                      allow_secrets_manager=True)
    for immediately in (True, None):
        name = uniq(f"rot{immediately}")
        v1 = c.create_secret(Name=name, SecretString="my_secret",
                             Description="testing rotation of secrets")["VersionId"]
        kw = {"RotationRules": {"AutomaticallyAfterDays": 1}, "RotationLambdaARN": fn_arn}
        if immediately:
            kw["RotateImmediately"] = True
        v2 = c.rotate_secret(SecretId=name, **kw)["VersionId"]
        wait_for(lambda: "LastRotatedDate" in c.describe_secret(SecretId=name), timeout=60,
                 what="the rotation to be recorded")
        d = c.describe_secret(SecretId=name)
        assert d["VersionIdsToStages"] == {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]}
        assert d["RotationEnabled"] is True and d["RotationRules"] == {"AutomaticallyAfterDays": 1}
        assert d["RotationLambdaARN"] == fn_arn and "LastAccessedDate" in d
        versions = c.list_secret_version_ids(SecretId=name)["Versions"]
        assert [(v["VersionId"], v["VersionStages"]) for v in versions] == [
            (v1, ["AWSPREVIOUS"]), (v2, ["AWSCURRENT"])]
        assert "LastAccessedDate" in versions[0] and "LastAccessedDate" not in versions[1]
