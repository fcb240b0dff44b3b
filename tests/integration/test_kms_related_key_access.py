"""KMS calls that touch a second key, or a second Region, authorize there too (review findings
F6 and F10), against a non-dev server with real IAM users: UpdateAlias on the alias's current
key, DeleteAlias on the alias's key, UpdatePrimaryRegion on the replica key, and ReplicateKey
needs kms:CreateKey (and kms:TagResource with Tags) in the replica Region, as AWS's "Required
permissions" list them."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT
from test_access_control import Admin, admin, allow, doc, uniq  # noqa: F401
from test_iam import code_of

ROOT = f"arn:aws:iam::{ACCOUNT}:root"


def denied(fn, **kw) -> str:
    with pytest.raises(ClientError) as e:
        fn(**kw)
    assert code_of(e.value) == ("AccessDeniedException", 400), e.value.response
    return e.value.response["Error"]["Message"]


def policy_denying(user_arn: str) -> str:
    return doc({"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*",
                "Resource": "*"},
               {"Sid": "NotHim", "Effect": "Deny", "Principal": {"AWS": user_arn},
                "Action": "kms:*", "Resource": "*"})


def test_alias_changes_need_the_current_keys_policy(admin):
    """F6: a user allowed kms:UpdateAlias/DeleteAlias by IAM re-pointed (or deleted) an alias
    of a key whose policy denies him, moving its users onto his own key."""
    name, creds = admin.user(doc(allow(["kms:UpdateAlias", "kms:DeleteAlias", "kms:CreateKey",
                                        "kms:DescribeKey"])))
    user_arn = f"arn:aws:iam::{ACCOUNT}:user/{name}"
    victim = admin.kms.create_key(Policy=policy_denying(user_arn))["KeyMetadata"]["Arn"]
    alias = "alias/" + uniq("prod")
    admin.kms.create_alias(AliasName=alias, TargetKeyId=victim)
    kms = admin.as_keys("kms", creds)
    mine = kms.create_key()["KeyMetadata"]["KeyId"]
    msg = denied(kms.update_alias, AliasName=alias, TargetKeyId=mine)
    assert msg == (f"User: {user_arn} is not authorized to perform: kms:UpdateAlias on resource: "
                   f"{victim} with an explicit deny in a resource-based policy")
    msg = denied(kms.delete_alias, AliasName=alias)
    assert msg == (f"User: {user_arn} is not authorized to perform: kms:DeleteAlias on resource: "
                   f"{victim} with an explicit deny in a resource-based policy")
    assert admin.kms.describe_key(KeyId=alias)["KeyMetadata"]["Arn"] == victim
    # An alias of a key he may use moves and goes.
    ok_alias = "alias/" + uniq("mine")
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    admin.kms.create_alias(AliasName=ok_alias, TargetKeyId=other)
    kms.update_alias(AliasName=ok_alias, TargetKeyId=mine)
    kms.delete_alias(AliasName=ok_alias)


def test_multi_region_calls_authorize_in_the_other_region(admin):
    """F10: ReplicateKey needed no kms:CreateKey in the replica Region, and
    UpdatePrimaryRegion ignored the replica key's policy."""
    base = ["kms:ReplicateKey", "kms:UpdatePrimaryRegion", "kms:DescribeKey"]
    name, creds = admin.user(doc(allow(base)))
    user_arn = f"arn:aws:iam::{ACCOUNT}:user/{name}"
    kms = admin.as_keys("kms", creds)
    key = admin.kms.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    msg = denied(kms.replicate_key, KeyId=key, ReplicaRegion="eu-west-1")
    assert msg == (f"User: {user_arn} is not authorized to perform: kms:CreateKey because no "
                   "identity-based policy allows the kms:CreateKey action")
    # kms:CreateKey only in another Region is not enough.
    admin.iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(
        allow(base), allow("kms:CreateKey", Condition={
            "StringEquals": {"aws:RequestedRegion": "eu-west-1"}})))
    denied(kms.replicate_key, KeyId=key, ReplicaRegion="ap-south-1")
    # Tags need kms:TagResource there too.
    msg = denied(kms.replicate_key, KeyId=key, ReplicaRegion="eu-west-1",
                 Tags=[{"TagKey": "team", "TagValue": "blue"}])
    assert "kms:TagResource" in msg
    kms.replicate_key(KeyId=key, ReplicaRegion="eu-west-1")

    # The replica key's policy denies him: the primary cannot move there.
    key2 = admin.kms.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    admin.kms.replicate_key(KeyId=key2, ReplicaRegion="us-west-2", Policy=policy_denying(user_arn))
    replica_arn = f"arn:aws:kms:us-west-2:{ACCOUNT}:key/{key2}"
    msg = denied(kms.update_primary_region, KeyId=key2, PrimaryRegion="us-west-2")
    assert msg == (f"User: {user_arn} is not authorized to perform: kms:UpdatePrimaryRegion on "
                   f"resource: {replica_arn} with an explicit deny in a resource-based policy")
    assert admin.kms.describe_key(KeyId=key2)["KeyMetadata"]["MultiRegionConfiguration"][
        "MultiRegionKeyType"] == "PRIMARY"
    # A replica whose policy allows him: it becomes the primary.
    admin.kms.replicate_key(KeyId=key, ReplicaRegion="us-west-2")
    kms.update_primary_region(KeyId=key, PrimaryRegion="us-west-2")
    assert admin.kms.describe_key(KeyId=key)["KeyMetadata"]["MultiRegionConfiguration"][
        "PrimaryKey"]["Region"] == "us-west-2"
