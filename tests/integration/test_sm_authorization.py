"""Secrets Manager authorization beyond the operation's own action, as AWS documents it:
CreateSecret with Tags also needs secretsmanager:TagResource and with AddReplicaRegions
secretsmanager:ReplicateSecretToRegions (Service Authorization Reference; the API reference:
"If you include tags in the secret, you also need secretsmanager:TagResource"); RotateSecret
needs the caller's lambda:InvokeFunction on the rotation function ("You also need
lambda:InvokeFunction permissions on the rotation function"); and the condition keys
secretsmanager:RotateImmediately, ModifyRotationRules, KmsKeyArn, SecretPrimaryRegion and
resource/AllowRotationLambdaArn. Denials are checked against AWS's exact message form."""

from __future__ import annotations


import subprocess

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, ARCANAD, cli_store_args, wait_for
from test_access_control import allow, deny, doc, uniq
from test_iam import client, code_of
from test_rotation import rotation_events_of

REGION = "us-east-1"
FN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:sm-authz-rotator"


@pytest.fixture(scope="module")
def root(auth_server):
    # FN must exist: RotateSecret refuses a function it cannot invoke, rotating now or not.
    # Its runs (RotateImmediately=false tests the configuration) fail: nothing listens there.
    out = subprocess.run([str(ARCANAD.parent / "arcana"), *cli_store_args(auth_server.data_dir),
                          "functions", "create", FN.rsplit(":", 1)[1],
                          "--url", "http://127.0.0.1:9/invoke"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    e = auth_server.endpoint
    iam, sm, kms = client(e, "iam"), client(e, "secretsmanager"), client(e, "kms")

    def user_sm(*statements):
        """A new user allowed/denied by `statements`: (its ARN, its Secrets Manager client)."""
        name = uniq("smz")
        arn = iam.create_user(UserName=name)["User"]["Arn"]
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(*statements))
        k = iam.create_access_key(UserName=name)["AccessKey"]
        return arn, client(e, "secretsmanager", k["AccessKeyId"], k["SecretAccessKey"])

    def tested(name, runs=1):
        """Waits for the end of the `runs`th RotateImmediately=false test run of `name` (FN's
        fail): while it runs, RotateSecret answers that a rotation is in progress."""
        wait_for(lambda: rotation_events_of(auth_server, name).count("RotationFailed") >= runs,
                 what="the test run's end")

    return type("Root", (), {"sm": sm, "kms": kms, "user_sm": staticmethod(user_sm),
                             "tested": staticmethod(tested)})


def denied(call, **kw) -> str:
    with pytest.raises(ClientError) as ei:
        call(**kw)
    assert code_of(ei.value) == ("AccessDeniedException", 400), ei.value.response
    return ei.value.response["Error"]["Message"]


def explicit(caller, action, resource) -> str:
    return (f"User: {caller} is not authorized to perform: {action} on resource: {resource} "
            "with an explicit deny in an identity-based policy")


def absent(root, name) -> bool:
    try:
        root.sm.describe_secret(SecretId=name)
    except ClientError as e:
        return e.response["Error"]["Code"] == "ResourceNotFoundException"
    return False


def test_create_secret_with_tags_needs_tag_resource(root):
    caller, sm = root.user_sm(allow("secretsmanager:*"), deny("secretsmanager:TagResource"))
    name = uniq("tagged")
    msg = denied(sm.create_secret, Name=name, SecretString="v",
                 Tags=[{"Key": "team", "Value": "admins"}])
    assert msg == explicit(caller, "secretsmanager:TagResource", name)
    assert absent(root, name)  # nothing created
    sm.create_secret(Name=name, SecretString="v")  # without tags: CreateSecret alone


def test_create_secret_with_replicas_needs_replicate_secret_to_regions(root):
    caller, sm = root.user_sm(allow("secretsmanager:*"),
                              deny("secretsmanager:ReplicateSecretToRegions"))
    name = uniq("replicated")
    msg = denied(sm.create_secret, Name=name, SecretString="v",
                 AddReplicaRegions=[{"Region": "us-west-2"}])
    assert msg == explicit(caller, "secretsmanager:ReplicateSecretToRegions", name)
    assert absent(root, name)


def test_rotate_secret_needs_the_callers_lambda_invoke_function(root):
    name = uniq("rot")
    root.sm.create_secret(Name=name, SecretString="v")
    caller, sm = root.user_sm(allow("secretsmanager:*"))
    msg = denied(sm.rotate_secret, SecretId=name, RotationLambdaARN=FN,
                 RotationRules={"AutomaticallyAfterDays": 30}, RotateImmediately=False)
    assert msg == (f"User: {caller} is not authorized to perform: lambda:InvokeFunction on "
                   f"resource: {FN} because no identity-based policy allows the "
                   "lambda:InvokeFunction action")
    assert root.sm.describe_secret(SecretId=name).get("RotationEnabled") in (None, False)
    # Also when RotateSecret uses the function the secret already has.
    root.sm.rotate_secret(SecretId=name, RotationLambdaARN=FN,
                          RotationRules={"AutomaticallyAfterDays": 30}, RotateImmediately=False)
    denied(sm.rotate_secret, SecretId=name, RotateImmediately=False)
    root.tested(name)
    _, allowed = root.user_sm(allow("secretsmanager:*"), allow("lambda:InvokeFunction", FN))
    allowed.rotate_secret(SecretId=name, RotationLambdaARN=FN, RotateImmediately=False)


def test_rotate_immediately_and_modify_rotation_rules_keys(root):
    name = uniq("keys")
    root.sm.create_secret(Name=name, SecretString="v")
    root.sm.rotate_secret(SecretId=name, RotationLambdaARN=FN,
                          RotationRules={"AutomaticallyAfterDays": 30}, RotateImmediately=False)
    base = [allow("secretsmanager:*"), allow("lambda:InvokeFunction")]
    caller, sm = root.user_sm(*base, deny("secretsmanager:RotateSecret", Condition={
        "Bool": {"secretsmanager:RotateImmediately": "true"}}))
    arn = root.sm.describe_secret(SecretId=name)["ARN"]
    assert denied(sm.rotate_secret, SecretId=name) == explicit(
        caller, "secretsmanager:RotateSecret", name)  # RotateImmediately defaults to true
    root.tested(name)
    sm.rotate_secret(SecretId=name, RotateImmediately=False)

    caller, sm = root.user_sm(*base, deny("secretsmanager:RotateSecret", Condition={
        "Bool": {"secretsmanager:ModifyRotationRules": "true"}}))
    assert denied(sm.rotate_secret, SecretId=arn, RotationRules={"AutomaticallyAfterDays": 7},
                  RotateImmediately=False) == explicit(caller, "secretsmanager:RotateSecret", arn)
    root.tested(name, runs=2)
    sm.rotate_secret(SecretId=arn, RotateImmediately=False)
    assert root.sm.describe_secret(SecretId=name)["RotationRules"]["AutomaticallyAfterDays"] == 30


def test_secret_primary_region_and_allow_rotation_lambda_arn_keys(root):
    rotating, plain = uniq("rotating"), uniq("plain")
    root.sm.create_secret(Name=rotating, SecretString="v")
    root.sm.create_secret(Name=plain, SecretString="v")
    root.sm.rotate_secret(SecretId=rotating, RotationLambdaARN=FN,
                          RotationRules={"AutomaticallyAfterDays": 30}, RotateImmediately=False)
    caller, sm = root.user_sm(allow("secretsmanager:*"), deny("secretsmanager:GetSecretValue",
        Condition={"StringEquals": {"secretsmanager:resource/AllowRotationLambdaArn": FN}}))
    assert denied(sm.get_secret_value, SecretId=rotating) == explicit(
        caller, "secretsmanager:GetSecretValue", rotating)
    assert sm.get_secret_value(SecretId=plain)["SecretString"] == "v"

    caller, sm = root.user_sm(allow("secretsmanager:*"), deny("secretsmanager:DescribeSecret",
        Condition={"StringEquals": {"secretsmanager:SecretPrimaryRegion": REGION}}))
    assert denied(sm.describe_secret, SecretId=plain) == explicit(
        caller, "secretsmanager:DescribeSecret", plain)
    _, other = root.user_sm(allow("secretsmanager:*"), deny("secretsmanager:DescribeSecret",
        Condition={"StringEquals": {"secretsmanager:SecretPrimaryRegion": "eu-west-1"}}))
    other.describe_secret(SecretId=plain)


def test_kms_key_arn_key(root):
    key = root.kms.create_key()["KeyMetadata"]
    other = root.kms.create_key()["KeyMetadata"]
    caller, sm = root.user_sm(allow("secretsmanager:*"), allow("kms:*"),
                              deny("secretsmanager:CreateSecret", Condition={
                                  "StringEquals": {"secretsmanager:KmsKeyArn": key["Arn"]}}))
    for given in (key["KeyId"], key["Arn"]):
        name = uniq("kms")
        assert denied(sm.create_secret, Name=name, SecretString="v", KmsKeyId=given) == explicit(
            caller, "secretsmanager:CreateSecret", name)
        assert absent(root, name)
    sm.create_secret(Name=uniq("kms"), SecretString="v", KmsKeyId=other["KeyId"])
