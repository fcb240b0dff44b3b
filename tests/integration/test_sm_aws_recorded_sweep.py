"""Secrets Manager answers as real AWS recorded them: the rest of the sweep.

Replays the scenarios of LocalStack's AWS-validated suite
(tests/aws/services/secretsmanager/test_secretsmanager.py, with the answers AWS gave in its
test_secretsmanager.snapshot.json, LocalStack commits 099fa28 and 8181a8e) that
test_sm_aws_recorded.py, test_sm_aws_errors.py and test_access_control.py do not already pin:
which members each answer carries and which it leaves out, error codes, messages and HTTP
status, the binary value's base64 on the raw wire, the rotation run driven a second time from
the stored configuration, and the two cross-account scenarios (validated tests; their
assertions are AWS's answers). Values LocalStack's transformers replace (ids, ARNs' random
suffix, dates) are checked for shape only.
"""

import json
import re
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import wait_for
from test_access_control import account_b, admin  # noqa: F401  (module fixtures, reused)
from test_sm_aws_recorded import create_rotation_function

NOT_FOUND = "Secrets Manager can't find the specified secret."
DEFAULT_KEY_ACROSS_ACCOUNTS = ("You can't access a secret from a different AWS account if you "
                               "encrypt the secret with the default KMS service key.")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def members(r: dict) -> set:
    return set(r) - {"ResponseMetadata"}


def recorded_error(call, code, message, modelled=True):
    """The error as AWS recorded it. SM-modelled exceptions also carry the top-level Message
    member botocore fills from the body; ValidationException (not modelled) does not."""
    with pytest.raises(ClientError) as ei:
        call()
    r = ei.value.response
    assert (r["Error"]["Code"], r["Error"]["Message"]) == (code, message)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 400
    if modelled:
        assert r["Message"] == message
    else:
        assert "Message" not in r


@pytest.mark.parametrize("name", ["s-c64bdc03", "Valid/_+=.@-Name", "Valid/_+=.@-Name-a1b2",
                                  "Valid/_+=.@-Name-a1b2c3-"])
def test_create_and_update_secret_answers(sm, name):
    """test_create_and_update_secret[...]: the members of each answer (create_secret_rs_1 ..
    delete_secret_res_1): no Description or Tags in GetSecretValue, LastAccessedDate in
    DescribeSecret once read and no rotation members; the ARN ends in "-" + 6 characters."""
    c = sm()
    r = c.create_secret(Name=name, SecretString="my_secret", Description="Testing secret creation.")
    assert members(r) == {"ARN", "Name", "VersionId"}
    arn, v1 = r["ARN"], r["VersionId"]
    assert re.fullmatch(r"arn:aws:secretsmanager:us-east-1:\d{12}:secret:" + re.escape(name)
                        + r"-[A-Za-z0-9]{6}", arn) and UUID_RE.match(v1)
    for sid in (name, arn, arn[:-7]):
        g = c.get_secret_value(SecretId=sid)
        assert members(g) == {"ARN", "CreatedDate", "Name", "SecretString", "VersionId",
                              "VersionStages"}
        assert (g["ARN"], g["Name"], g["SecretString"], g["VersionId"], g["VersionStages"]) == (
            arn, name, "my_secret", v1, ["AWSCURRENT"])
    d = c.describe_secret(SecretId=name)
    assert members(d) == {"ARN", "CreatedDate", "Description", "LastAccessedDate",
                          "LastChangedDate", "Name", "VersionIdsToStages"}
    assert d["VersionIdsToStages"] == {v1: ["AWSCURRENT"]}
    p = c.put_secret_value(SecretId=name, SecretString="new_secret")
    assert members(p) == {"ARN", "Name", "VersionId", "VersionStages"}
    assert p["VersionStages"] == ["AWSCURRENT"] and p["VersionId"] != v1
    g = c.get_secret_value(SecretId=name)
    assert (g["SecretString"], g["VersionId"]) == ("new_secret", p["VersionId"])
    u = c.update_secret(SecretId=arn, SecretString="test123", Description="d1")
    assert members(u) == {"ARN", "Name", "VersionId"}
    assert u["VersionId"] not in (v1, p["VersionId"])
    dl = c.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    assert members(dl) == {"ARN", "DeletionDate", "Name"} and dl["ARN"] == arn


def test_secret_restore_answers(sm, uniq):
    """test_secret_restore: DeleteSecret answers ARN, DeletionDate, Name; RestoreSecret ARN,
    Name; the secret is readable again."""
    c = sm()
    name = uniq()
    arn = c.create_secret(Name=name, SecretString="my_secret",
                          Description="test description")["ARN"]
    d = c.delete_secret(SecretId=name)
    assert members(d) == {"ARN", "DeletionDate", "Name"}
    r = c.restore_secret(SecretId=name)
    assert members(r) == {"ARN", "Name"} and (r["ARN"], r["Name"]) == (arn, name)
    assert "DeletedDate" not in c.describe_secret(SecretId=name)
    assert c.get_secret_value(SecretId=name)["SecretString"] == "my_secret"


def test_secret_not_found(sm, uniq):
    """test_secret_not_found: GetSecretValue and ListSecretVersionIds on a missing secret."""
    c = sm()
    recorded_error(lambda: c.get_secret_value(SecretId=uniq("a")),
                   "ResourceNotFoundException", NOT_FOUND)
    recorded_error(lambda: c.list_secret_version_ids(SecretId=uniq("b")),
                   "ResourceNotFoundException", NOT_FOUND)


def test_update_secret_description_describes(sm, uniq):
    """test_update_secret_description (describe_secret_res_0 .. _4): no Description member
    until one is set, no LastAccessedDate while never read; the labels follow each value."""
    c = sm()
    name = uniq()
    v1 = c.create_secret(Name=name, SecretString="MySecretString")["VersionId"]
    base = {"ARN", "CreatedDate", "LastChangedDate", "Name", "VersionIdsToStages"}
    d = c.describe_secret(SecretId=name)
    assert members(d) == base and d["VersionIdsToStages"] == {v1: ["AWSCURRENT"]}
    c.update_secret(SecretId=name, Description="MyDescription")
    d = c.describe_secret(SecretId=name)
    assert members(d) == base | {"Description"} and d["Description"] == "MyDescription"
    assert d["VersionIdsToStages"] == {v1: ["AWSCURRENT"]}
    v2 = c.update_secret(SecretId=name, SecretString="MyNewSecretString",
                         Description="MyNewDescription")["VersionId"]
    d = c.describe_secret(SecretId=name)
    assert d["Description"] == "MyNewDescription"
    assert d["VersionIdsToStages"] == {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]}
    v3 = c.update_secret(SecretId=name, SecretString="MyNewSecretString" * 2)["VersionId"]
    c.update_secret(SecretId=name)
    d = c.describe_secret(SecretId=name)
    assert members(d) == base | {"Description"} and d["Description"] == "MyNewDescription"
    assert d["VersionIdsToStages"] == {v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT"]}


def test_update_secret_version_stages_current_previous(sm, uniq):
    """test_update_secret_version_stages_current_previous: UpdateSecret with a value answers
    ARN, Name, VersionId; ListSecretVersionIds then lists [v0 AWSPREVIOUS, v1 AWSCURRENT] with
    CreatedDate and KmsKeyIds ["DefaultEncryptionKey"] each, no LastAccessedDate (never read)."""
    c = sm()
    name = uniq()
    v0 = c.create_secret(Name=name, SecretString="secret_string_v0")["VersionId"]
    r = c.list_secret_version_ids(SecretId=name)
    assert members(r) == {"ARN", "Name", "Versions"}
    assert [members(v) for v in r["Versions"]] == [
        {"CreatedDate", "KmsKeyIds", "VersionId", "VersionStages"}]
    u = c.update_secret(SecretId=name, SecretString="secret_string_v1")
    assert members(u) == {"ARN", "Name", "VersionId"}
    r = c.list_secret_version_ids(SecretId=name)
    assert [(v["VersionId"], v["VersionStages"], v["KmsKeyIds"]) for v in r["Versions"]] == [
        (v0, ["AWSPREVIOUS"], ["DefaultEncryptionKey"]),
        (u["VersionId"], ["AWSCURRENT"], ["DefaultEncryptionKey"])]
    assert all("LastAccessedDate" not in v for v in r["Versions"])


def test_create_secret_version_from_empty_secret(sm, raw, uniq):
    """test_create_secret_version_from_empty_secret: CreateSecret with Description "" and no
    value answers ARN and Name only; DescribeSecret has neither Description nor
    VersionIdsToStages; the first PutSecretValue's version is AWSCURRENT."""
    c = sm()
    r = c.create_secret(Name=uniq("test-version"), Description="")
    assert members(r) == {"ARN", "Name"}
    d = raw("DescribeSecret", {"SecretId": r["ARN"]}).json()
    assert set(d) == {"ARN", "CreatedDate", "LastChangedDate", "Name"}
    p = c.put_secret_value(SecretId=r["ARN"], SecretString="example-string-to-protect")
    assert members(p) == {"ARN", "Name", "VersionId", "VersionStages"}
    assert p["VersionStages"] == ["AWSCURRENT"] and UUID_RE.match(p["VersionId"])


def test_secret_tags(sm, uniq):
    """test_secret_tags (describe_secret .. describe_secret_6): Tags absent until tagged, in
    the order added, [] once all are removed; TagResource/UntagResource answer nothing."""
    c = sm()
    r = c.create_secret(Name=uniq())
    assert members(r) == {"ARN", "Name"}
    arn = r["ARN"]

    def tags():
        d = c.describe_secret(SecretId=arn)
        assert members(d) - {"Tags"} == {"ARN", "CreatedDate", "LastChangedDate", "Name"}
        return d.get("Tags")

    assert tags() is None
    assert members(c.tag_resource(SecretId=arn, Tags=[{"Key": "tag1", "Value": "value1"}])) == set()
    assert tags() == [{"Key": "tag1", "Value": "value1"}]
    c.tag_resource(SecretId=arn, Tags=[{"Key": "tag2", "Value": "value2"}])
    assert tags() == [{"Key": "tag1", "Value": "value1"}, {"Key": "tag2", "Value": "value2"}]
    assert members(c.untag_resource(SecretId=arn, TagKeys=["tag1"])) == set()
    assert tags() == [{"Key": "tag2", "Value": "value2"}]
    c.untag_resource(SecretId=arn, TagKeys=["tag2"])
    assert tags() == []
    c.tag_resource(SecretId=arn, Tags=[{"Key": "tag3", "Value": "value3"},
                                       {"Key": "tag4", "Value": "value4"}])
    assert tags() == [{"Key": "tag3", "Value": "value3"}, {"Key": "tag4", "Value": "value4"}]
    c.untag_resource(SecretId=arn, TagKeys=["tag3", "tag4"])
    assert tags() == []


def test_resource_policy(sm, uniq):
    """test_resource_policy: PutResourcePolicy answers ARN, Name; GetResourcePolicy gives the
    document back (Version and Statement as put); DeleteResourcePolicy answers 200."""
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="my_secret", Description="testing creation of secrets")
    doc = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
        "Resource": "*"}]}
    r = c.put_resource_policy(SecretId=name, ResourcePolicy=json.dumps(doc))
    assert members(r) == {"ARN", "Name"}
    g = c.get_resource_policy(SecretId=name)
    assert members(g) == {"ARN", "Name", "ResourcePolicy"}
    assert json.loads(g["ResourcePolicy"]) == doc
    r = c.delete_resource_policy(SecretId=name)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200 and members(r) == {"ARN", "Name"}
    assert members(c.get_resource_policy(SecretId=name)) == {"ARN", "Name"}


def test_can_recreate_delete_secret(sm, uniq):
    """test_can_recreate_delete_secret: after a forced delete the name is free at once; the new
    secret gets a new ARN (its random suffix differs: <ArnPart-1idx>) and a new version."""
    c = sm()
    name = uniq()
    first = c.create_secret(Name=name, SecretString="secretstr-1")
    d = c.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    assert members(d) == {"ARN", "DeletionDate", "Name"} and d["ARN"] == first["ARN"]
    recorded_error(lambda: c.describe_secret(SecretId=name), "ResourceNotFoundException",
                   NOT_FOUND)
    second = c.create_secret(Name=name, SecretString="secretstr-1")
    assert members(second) == {"ARN", "Name", "VersionId"}
    assert second["ARN"] != first["ARN"] and second["ARN"][:-6] == first["ARN"][:-6]
    assert second["VersionId"] != first["VersionId"]


def test_binary_values_sdk_and_raw(sm, raw, uniq):
    """test_get_secret_value / test_put_secret_value: the SDK gets the bytes back; a raw
    request gets SecretBinary base64-encoded (regression #11319: AWS's wire form) and no
    SecretString member."""
    c = sm()
    name = uniq()
    arn = c.create_secret(Name=name, SecretBinary="footest")["ARN"]
    g = c.get_secret_value(SecretId=arn)
    assert g["SecretBinary"] == b"footest" and "SecretString" not in g
    body = raw("GetSecretValue", {"SecretId": name}).json()
    assert set(body) == {"ARN", "CreatedDate", "Name", "SecretBinary", "VersionId",
                         "VersionStages"}
    assert body["SecretBinary"] == "Zm9vdGVzdA==" and isinstance(body["CreatedDate"], float)
    for value in (b"footest2", b"footest3"):
        c.put_secret_value(SecretId=name, SecretBinary=value)
        g = c.get_secret_value(SecretId=name)
        assert (g["SecretBinary"], g["VersionStages"]) == (value, ["AWSCURRENT"])


def test_get_random_exclude_characters_and_symbols(sm):
    """test_get_random_exclude_characters_and_symbols."""
    c = sm()
    for _ in range(5):
        p = c.get_random_password(PasswordLength=120, ExcludeCharacters="xyzDje@?!.")
        assert len(p["RandomPassword"]) == 120
        assert not set(p["RandomPassword"]) & set("xyzDje@?!.")


def test_list_secrets_entries(sm, uniq):
    """test_call_lists_secrets_multiple_times / test_create_multi_secrets: each entry carries
    ARN, CreatedDate, Description, LastChangedDate, Name, SecretVersionsToStages (no
    LastAccessedDate while never read, no Tags while never tagged), the same on every call."""
    c = sm()
    made = {}
    for i in range(3):
        r = c.create_secret(Name=uniq(f"m{i}"), SecretString=f"my_secret_{i}",
                            Description="testing creation of secrets")
        made[r["Name"]] = r
    for _ in range(3):
        full = c.get_paginator("list_secrets").paginate().build_full_result()
        entries = {s["Name"]: s for s in full["SecretList"]}
        assert set(entries) == set(made)
        for n, s in entries.items():
            assert set(s) == {"ARN", "CreatedDate", "Description", "LastChangedDate", "Name",
                              "SecretVersionsToStages"}
            assert s["ARN"] == made[n]["ARN"]
            assert s["SecretVersionsToStages"] == {made[n]["VersionId"]: ["AWSCURRENT"]}


# A rotation function with the guards of the one LocalStack's tests deploy (AWS's rotation
# template): every step first checks, through DescribeSecret, that rotation is enabled and
# that the token is a listed version labelled AWSPENDING (or already AWSCURRENT), and fails
# the run otherwise; createSecret expects the placeholder to have no value yet
# (ResourceNotFoundException), finishSecret moves AWSCURRENT. (LocalStack's function also
# creates a marker secret in createSecret; Arcana's rotation credentials cover the rotated
# secret only, so that call is left out here.)
GUARDED_ROTATOR_PY = '''
import os
import boto3

def handler(event, context):
    sm = boto3.client("secretsmanager", endpoint_url=os.environ["AWS_ENDPOINT_URL"],
                      region_name=os.environ["AWS_REGION"])
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    meta = sm.describe_secret(SecretId=arn)
    if not meta["RotationEnabled"]:
        raise ValueError("rotation is not enabled")
    stages = meta["VersionIdsToStages"]
    if token not in stages:
        raise ValueError("the token is not a version of the secret")
    if "AWSCURRENT" in stages[token]:
        return
    if "AWSPENDING" not in stages[token]:
        raise ValueError("the token is not labelled AWSPENDING")
    if step == "createSecret":
        sm.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")
        try:
            sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
            return
        except sm.exceptions.ResourceNotFoundException:
            pass
        sm.put_secret_value(SecretId=arn, ClientRequestToken=token,
                            SecretString="rotated-" + token, VersionStages=["AWSPENDING"])
    elif step == "finishSecret":
        current = [v for v, s in stages.items() if "AWSCURRENT" in s][0]
        sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT",
                                       MoveToVersionId=token, RemoveFromVersionId=current)
    elif step not in ("setSecret", "testSecret"):
        raise ValueError("Invalid step parameter")
'''


def test_rotate_secret_multiple_times_with_lambda_success(sm, raw, uniq):
    """test_rotate_secret_multiple_times_with_lambda_success: the second RotateSecret names
    nothing but the secret and rotates with the stored function and rules; after each run the
    version that was current is ["AWSPREVIOUS"] and the new one AWSCURRENT (the function's
    guards held at every step: RotationEnabled, the token listed as AWSPENDING). describe_secret_
    rotated carries LastRotatedDate and NextRotationDate (read off the raw answer: Debian's
    botocore predates the member)."""
    c = sm()
    fn_arn = create_rotation_function(sm.server.endpoint, GUARDED_ROTATOR_PY,
                                      allow_secrets_manager=True)
    name = uniq()
    previous = c.create_secret(Name=name, SecretString="my_secret",
                               Description="testing rotation of secrets")["VersionId"]
    runs = [{"RotationRules": {"AutomaticallyAfterDays": 1}, "RotateImmediately": True,
             "RotationLambdaARN": fn_arn}, {}]
    for kw in runs:
        r = c.rotate_secret(SecretId=name, **kw)
        assert members(r) == {"ARN", "Name", "VersionId"}
        new = r["VersionId"]
        wait_for(lambda: c.describe_secret(SecretId=name)["VersionIdsToStages"].get(new)
                 == ["AWSCURRENT"], timeout=60, what="the rotation to finish")
        d = raw("DescribeSecret", {"SecretId": name}).json()
        assert d["VersionIdsToStages"] == {previous: ["AWSPREVIOUS"], new: ["AWSCURRENT"]}
        assert d["RotationEnabled"] is True and d["RotationLambdaARN"] == fn_arn
        assert d["RotationRules"] == {"AutomaticallyAfterDays": 1}
        for k in ("LastRotatedDate", "NextRotationDate", "LastChangedDate", "LastAccessedDate"):
            assert k in d, k
        assert d["NextRotationDate"] > d["LastRotatedDate"]
        versions = c.list_secret_version_ids(SecretId=name)["Versions"]
        assert [(v["VersionId"], v["VersionStages"]) for v in versions] == [
            (previous, ["AWSPREVIOUS"]), (new, ["AWSCURRENT"])]
        previous = c.get_secret_value(SecretId=name)["VersionId"]
        assert previous == new
        assert c.get_secret_value(SecretId=name)["SecretString"] == "rotated-" + new


# ------------------------------------------------------------------------------ cross-account
# TestSecretsManagerMultiAccounts (validated): account B reaches account A's secret through a
# resource policy granting it secretsmanager:*.

def _grant_b(admin, account_b, sid=None):  # noqa: F811
    b_root = admin.as_keys("sts", account_b).get_caller_identity()["Arn"]
    stmt = {"Effect": "Allow", "Principal": {"AWS": b_root}, "Action": ["secretsmanager:*"],
            "Resource": "*"}
    if sid:
        stmt["Sid"] = sid
    return json.dumps({"Version": "2012-10-17", "Statement": [stmt]}), b_root


def test_cross_account_access(admin, account_b):  # noqa: F811
    """test_cross_account_access: under the default key, B may describe, list versions, put and
    read the resource policy, tag, untag and force-delete, but GetSecretValue and
    PutSecretValue are InvalidRequestException (the default key cannot be shared); B's
    ListSecrets shows nothing of A's; A sees B's tags, and [] once B removed them."""
    a = admin.sm
    b = admin.as_keys("secretsmanager", account_b)
    policy, _ = _grant_b(admin, account_b)
    arn = a.create_secret(Name="test-secret-" + uuid.uuid4().hex[:8], SecretString="secret")["ARN"]
    a.put_resource_policy(SecretId=arn, ResourcePolicy=policy)
    assert b.describe_secret(SecretId=arn)["ARN"] == arn
    recorded_error(lambda: b.get_secret_value(SecretId=arn), "InvalidRequestException",
                   DEFAULT_KEY_ACROSS_ACCOUNTS)
    recorded_error(lambda: b.put_secret_value(SecretId=arn, SecretString="new-secret"),
                   "InvalidRequestException", DEFAULT_KEY_ACROSS_ACCOUNTS)
    policy, _ = _grant_b(admin, account_b, sid="AllowCrossAccount")
    b.put_resource_policy(SecretId=arn, ResourcePolicy=policy)
    got = json.loads(b.get_resource_policy(SecretId=arn)["ResourcePolicy"])
    assert got["Statement"][0]["Sid"] == "AllowCrossAccount"
    assert len(b.list_secret_version_ids(SecretId=arn)["Versions"]) == 1
    assert arn not in [s["ARN"] for s in b.list_secrets()["SecretList"]]
    b.tag_resource(SecretId=arn, Tags=[{"Key": "tag1", "Value": "value1"}])
    assert a.describe_secret(SecretId=arn)["Tags"] == [{"Key": "tag1", "Value": "value1"}]
    b.untag_resource(SecretId=arn, TagKeys=["tag1"])
    assert a.describe_secret(SecretId=arn)["Tags"] == []
    b.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    recorded_error(lambda: a.describe_secret(SecretId=arn), "ResourceNotFoundException",
                   NOT_FOUND)


def test_cross_account_access_non_default_key(admin, account_b):  # noqa: F811
    """test_cross_account_access_non_default_key: under a customer key whose key policy lets B
    use it, B reads and writes the value, schedules the deletion (A sees DeletedDate) and
    restores the secret (A sees no DeletedDate)."""
    a = admin.sm
    b = admin.as_keys("secretsmanager", account_b)
    policy, b_root = _grant_b(admin, account_b)
    ident = admin.sts.get_caller_identity()
    key_policy = json.dumps({"Version": "2012-10-17", "Id": "key-default-1", "Statement": [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{ident['Account']}:root"}, "Action": "kms:*",
         "Resource": "*"},
        {"Sid": "Allow administration of the key", "Effect": "Allow",
         "Principal": {"AWS": ident["Arn"]}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "Allow use of the key", "Effect": "Allow", "Principal": {"AWS": b_root},
         "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                    "kms:DescribeKey"], "Resource": "*"}]})
    key_arn = admin.kms.create_key(Description="test-key", Policy=key_policy)["KeyMetadata"]["Arn"]
    arn = a.create_secret(Name="test-secret-" + uuid.uuid4().hex[:8], SecretString="secret",
                          KmsKeyId=key_arn)["ARN"]
    a.put_resource_policy(SecretId=arn, ResourcePolicy=policy)
    assert b.get_secret_value(SecretId=arn)["SecretString"] == "secret"
    b.put_secret_value(SecretId=arn, SecretString="new-secret")
    assert b.get_secret_value(SecretId=arn)["SecretString"] == "new-secret"
    b.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=False, RecoveryWindowInDays=7)
    assert a.describe_secret(SecretId=arn).get("DeletedDate") is not None
    b.restore_secret(SecretId=arn)
    assert a.describe_secret(SecretId=arn).get("DeletedDate") is None
