"""SSM PutResourcePolicy / GetResourcePolicies / DeleteResourcePolicy on Parameter Store
parameters, against a non-dev server (boto3 and the aws CLI): the put/get/delete round trip
with PolicyId and PolicyHash (a stale hash is ResourcePolicyConflictException), the
Advanced-tier rule, malformed and oversized documents, unknown parameters and policy ids, and
the policy taking effect: a second account reads the parameter by its full ARN with the actions
the policy allows, and nothing else; deleting the parameter removes its policies."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT
from aws_cli import run_cli
from test_access_control import ACCOUNT_B, account_b, admin, denial  # noqa: F401  (fixtures)
from test_iam import code_of

REGION = "us-east-1"
B_ROOT = f"arn:aws:iam::{ACCOUNT_B}:root"


def pname() -> str:
    return f"/rp/{uuid.uuid4().hex[:10]}/p"


def arn_of(name: str) -> str:
    return f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{name}"


def share_with_b(*actions) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "ShareWithB", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_B}:root"},
        "Action": list(actions), "Resource": "*"}]})


def advanced(admin, value="v") -> tuple[str, str]:
    name = pname()
    admin.ssm.put_parameter(Name=name, Value=value, Type="String", Tier="Advanced")
    return name, arn_of(name)


def fails(fn, code: str, **kw) -> str:
    with pytest.raises(ClientError) as e:
        fn(**kw)
    assert code_of(e.value) == (code, 400), e.value.response
    return e.value.response["Error"]["Message"]


def test_put_get_update_delete_round_trip(admin):
    _, arn = advanced(admin)
    assert admin.ssm.get_resource_policies(ResourceArn=arn)["Policies"] == []
    doc1 = share_with_b("ssm:GetParameter")
    r = admin.ssm.put_resource_policy(ResourceArn=arn, Policy=doc1)
    pid, h1 = r["PolicyId"], r["PolicyHash"]
    assert pid and h1
    got = admin.ssm.get_resource_policies(ResourceArn=arn)["Policies"]
    assert got == [{"PolicyId": pid, "PolicyHash": h1, "Policy": doc1}]

    doc2 = share_with_b("ssm:GetParameter", "ssm:GetParameters")
    r2 = admin.ssm.put_resource_policy(ResourceArn=arn, Policy=doc2, PolicyId=pid, PolicyHash=h1)
    assert r2["PolicyId"] == pid and r2["PolicyHash"] != h1
    got = admin.ssm.get_resource_policies(ResourceArn=arn)["Policies"]
    assert got == [{"PolicyId": pid, "PolicyHash": r2["PolicyHash"], "Policy": doc2}]

    # A second policy is a second entry, listed after the first (and paged).
    r3 = admin.ssm.put_resource_policy(ResourceArn=arn, Policy=share_with_b("ssm:GetParameterHistory"))
    assert r3["PolicyId"] != pid
    page = admin.ssm.get_resource_policies(ResourceArn=arn, MaxResults=1)
    assert [p["PolicyId"] for p in page["Policies"]] == [pid] and page["NextToken"]
    rest = admin.ssm.get_resource_policies(ResourceArn=arn, MaxResults=1, NextToken=page["NextToken"])
    assert [p["PolicyId"] for p in rest["Policies"]] == [r3["PolicyId"]]
    assert "NextToken" not in rest

    admin.ssm.delete_resource_policy(ResourceArn=arn, PolicyId=pid, PolicyHash=r2["PolicyHash"])
    admin.ssm.delete_resource_policy(ResourceArn=arn, PolicyId=r3["PolicyId"],
                                     PolicyHash=r3["PolicyHash"])
    assert admin.ssm.get_resource_policies(ResourceArn=arn)["Policies"] == []


def test_stale_policy_hash_is_a_conflict(admin):
    _, arn = advanced(admin)
    r = admin.ssm.put_resource_policy(ResourceArn=arn, Policy=share_with_b("ssm:GetParameter"))
    pid, old = r["PolicyId"], r["PolicyHash"]
    new = admin.ssm.put_resource_policy(ResourceArn=arn, PolicyId=pid, PolicyHash=old,
                                        Policy=share_with_b("ssm:GetParameters"))["PolicyHash"]
    fails(admin.ssm.put_resource_policy, "ResourcePolicyConflictException", ResourceArn=arn,
          PolicyId=pid, PolicyHash=old, Policy=share_with_b("ssm:GetParameterHistory"))
    fails(admin.ssm.delete_resource_policy, "ResourcePolicyConflictException", ResourceArn=arn,
          PolicyId=pid, PolicyHash=old)
    got = admin.ssm.get_resource_policies(ResourceArn=arn)["Policies"]
    assert got == [{"PolicyId": pid, "PolicyHash": new, "Policy": share_with_b("ssm:GetParameters")}]


def test_standard_tier_parameter_cannot_have_a_policy(admin):
    name = pname()
    admin.ssm.put_parameter(Name=name, Value="v", Type="String")  # Standard
    msg = fails(admin.ssm.put_resource_policy, "ResourcePolicyInvalidParameterException",
                ResourceArn=arn_of(name), Policy=share_with_b("ssm:GetParameter"))
    assert "Advanced" in msg
    assert admin.ssm.get_resource_policies(ResourceArn=arn_of(name))["Policies"] == []


def test_malformed_and_oversized_documents(admin):
    _, arn = advanced(admin)
    for bad in ("not json", "[]", json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*"}]}),  # no Principal
            json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Maybe", "Principal": {"AWS": B_ROOT}, "Action": "ssm:GetParameter",
                 "Resource": "*"}]})):
        fails(admin.ssm.put_resource_policy, "MalformedResourcePolicyDocumentException",
              ResourceArn=arn, Policy=bad)
    big = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "x" * 1024, "Effect": "Allow", "Principal": {"AWS": B_ROOT},
        "Action": "ssm:GetParameter", "Resource": "*"}]})
    fails(admin.ssm.put_resource_policy, "ResourcePolicyLimitExceededException",
          ResourceArn=arn, Policy=big)
    assert admin.ssm.get_resource_policies(ResourceArn=arn)["Policies"] == []


def test_unknown_parameter_and_unknown_policy_id(admin):
    missing = arn_of(pname())
    msg = fails(admin.ssm.put_resource_policy, "ResourceNotFoundException", ResourceArn=missing,
                Policy=share_with_b("ssm:GetParameter"))
    assert msg == "The specified parameter to be shared could not be found."
    fails(admin.ssm.get_resource_policies, "ResourceNotFoundException", ResourceArn=missing)
    fails(admin.ssm.get_resource_policies, "ResourcePolicyInvalidParameterException",
          ResourceArn="arn:aws:ssm:us-east-1:123456789012:document/not-a-parameter")

    _, arn = advanced(admin)
    fails(admin.ssm.delete_resource_policy, "ResourcePolicyNotFoundException", ResourceArn=arn,
          PolicyId="0" * 32, PolicyHash="x")
    fails(admin.ssm.put_resource_policy, "ResourcePolicyNotFoundException", ResourceArn=arn,
          PolicyId="0" * 32, PolicyHash="x", Policy=share_with_b("ssm:GetParameter"))


def test_other_account_reads_by_arn_only_what_the_policy_allows(admin, account_b):
    name, arn = advanced(admin, value="shared-value")
    b_ssm = admin.as_keys("ssm", account_b)
    # No policy: the parameter's side allows nothing to another account.
    with pytest.raises(ClientError) as e:
        b_ssm.get_parameter(Name=arn)
    assert code_of(e.value) == ("AccessDeniedException", 400)
    assert e.value.response["Error"]["Message"] == denial(B_ROOT, "ssm:GetParameter", arn, "resource")
    # By name, B names a parameter of its own account, which does not exist.
    fails(b_ssm.get_parameter, "ParameterNotFound", Name=name)

    r = admin.ssm.put_resource_policy(ResourceArn=arn,
                                      Policy=share_with_b("ssm:GetParameter", "ssm:GetParameters"))
    p = b_ssm.get_parameter(Name=arn)["Parameter"]
    assert p["Value"] == "shared-value" and p["ARN"] == arn
    got = b_ssm.get_parameters(Names=[arn])
    assert [x["Value"] for x in got["Parameters"]] == ["shared-value"]
    assert got["InvalidParameters"] == []
    # An action the policy does not grant stays refused.
    with pytest.raises(ClientError) as e:
        b_ssm.get_parameter_history(Name=arn)
    assert code_of(e.value) == ("AccessDeniedException", 400)
    assert e.value.response["Error"]["Message"] == denial(
        B_ROOT, "ssm:GetParameterHistory", arn, "resource")

    # Removing the policy takes the access away again (every node: the change sequence).
    admin.ssm.delete_resource_policy(ResourceArn=arn, PolicyId=r["PolicyId"],
                                     PolicyHash=r["PolicyHash"])
    with pytest.raises(ClientError) as e:
        b_ssm.get_parameter(Name=arn)
    assert code_of(e.value) == ("AccessDeniedException", 400)


def test_history_shared_and_parameter_deletion_removes_policies(admin, account_b):
    name, arn = advanced(admin, value="one")
    admin.ssm.put_parameter(Name=name, Value="two", Type="String", Tier="Advanced", Overwrite=True)
    admin.ssm.put_resource_policy(ResourceArn=arn, Policy=share_with_b(
        "ssm:GetParameter", "ssm:GetParameterHistory"))
    b_ssm = admin.as_keys("ssm", account_b)
    hist = b_ssm.get_parameter_history(Name=arn)["Parameters"]
    assert [h["Value"] for h in hist] == ["one", "two"]
    assert b_ssm.get_parameter(Name=arn)["Parameter"]["Value"] == "two"

    admin.ssm.delete_parameter(Name=name)
    with pytest.raises(ClientError) as e:
        b_ssm.get_parameter(Name=arn)
    assert code_of(e.value) == ("AccessDeniedException", 400)
    # A parameter created again under the name starts with no policy.
    admin.ssm.put_parameter(Name=name, Value="again", Type="String", Tier="Advanced")
    assert admin.ssm.get_resource_policies(ResourceArn=arn)["Policies"] == []
    with pytest.raises(ClientError) as e:
        b_ssm.get_parameter(Name=arn)
    assert code_of(e.value) == ("AccessDeniedException", 400)


def test_shared_securestring_needs_decrypt_on_its_key(admin, account_b):
    """AWS: whoever retrieves a SecureString's decrypted value needs kms:Decrypt on its key, by
    whichever operation. The AWS managed key (aws/ssm) serves its own account only, so a
    parameter shared under it cannot be decrypted by the other account; under a customer key
    whose key policy lets that account decrypt, it can."""
    b_ssm = admin.as_keys("ssm", account_b)
    share = share_with_b("ssm:GetParameter")

    name = pname()
    admin.ssm.put_parameter(Name=name, Value="default-key", Type="SecureString", Tier="Advanced")
    admin.ssm.put_resource_policy(ResourceArn=arn_of(name), Policy=share)
    # Metadata and the ciphertext are the parameter's; the plaintext is the key's to give.
    assert b_ssm.get_parameter(Name=arn_of(name))["Parameter"]["Value"] != "default-key"
    with pytest.raises(ClientError) as e:
        b_ssm.get_parameter(Name=arn_of(name), WithDecryption=True)
    # As Parameter Store answers any decryption the key refuses.
    assert code_of(e.value) == ("AccessDeniedException", 400), e.value.response
    assert e.value.response["Error"]["Message"].startswith(
        "The ciphertext refers to a customer master key that does not exist")
    assert "default-key" not in json.dumps(e.value.response, default=str)

    key_policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "DecryptForB", "Effect": "Allow", "Principal": {"AWS": B_ROOT},
         "Action": "kms:Decrypt", "Resource": "*"}]})
    key_arn = admin.kms.create_key(Policy=key_policy)["KeyMetadata"]["Arn"]
    name = pname()
    admin.ssm.put_parameter(Name=name, Value="customer-key", Type="SecureString", Tier="Advanced",
                            KeyId=key_arn)
    admin.ssm.put_resource_policy(ResourceArn=arn_of(name), Policy=share)
    got = b_ssm.get_parameter(Name=arn_of(name), WithDecryption=True)["Parameter"]
    assert got["Value"] == "customer-key" and got["Type"] == "SecureString"


def test_aws_cli_put_and_get_resource_policies(admin, tmp_path):
    from conftest import ROOT_AKID, ROOT_SECRET
    _, arn = advanced(admin)
    doc = share_with_b("ssm:GetParameter")
    p = run_cli(admin.endpoint, tmp_path, ROOT_AKID, ROOT_SECRET, "ssm", "put-resource-policy",
                "--resource-arn", arn, "--policy", doc)
    assert p.returncode == 0, p.stderr
    put = json.loads(p.stdout)
    p = run_cli(admin.endpoint, tmp_path, ROOT_AKID, ROOT_SECRET, "ssm", "get-resource-policies",
                "--resource-arn", arn)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["Policies"] == [
        {"PolicyId": put["PolicyId"], "PolicyHash": put["PolicyHash"], "Policy": doc}]
    p = run_cli(admin.endpoint, tmp_path, ROOT_AKID, ROOT_SECRET, "ssm", "delete-resource-policy",
                "--resource-arn", arn, "--policy-id", put["PolicyId"], "--policy-hash", "stale")
    assert p.returncode != 0 and "ResourcePolicyConflictException" in p.stderr
