"""KMS authorization sees what AWS's policies may ask of it, against a non-dev server with real
IAM users (review findings on KMS authorization):
- CreateKey with Tags needs kms:TagResource too (CreateKey's "Required permissions"), on all
  the account's keys in the Region; nothing is created without it;
- kms:KeySpec, kms:KeyUsage, kms:KeyOrigin, kms:MultiRegion and kms:MultiRegionKeyType describe
  the KMS key an operation uses, in IAM and key policies alike, and for CreateKey the key it
  creates, with the parameters' defaults when the request omits them;
- kms:RequestAlias is the alias a request named the key by, kms:ResourceAliases the key's
  aliases (multi-valued), kms:EncryptionAlgorithm is SYMMETRIC_DEFAULT when a cryptographic
  operation names none (developer guide, "AWS KMS condition keys")."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT
from test_access_control import Admin, admin, allow, deny, doc, uniq  # noqa: F401
from test_iam import code_of

ROOT = f"arn:aws:iam::{ACCOUNT}:root"
TAGS = [{"TagKey": "team", "TagValue": "admins"}]


def denied(fn, **kw) -> str:
    with pytest.raises(ClientError) as e:
        fn(**kw)
    assert code_of(e.value) == ("AccessDeniedException", 400), e.value.response
    return e.value.response["Error"]["Message"]


def user_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:user/{name}"


def all_key_ids(kms) -> set[str]:
    ids, marker = set(), None
    while True:
        page = kms.list_keys(Limit=1000, **({"Marker": marker} if marker else {}))
        ids |= {k["KeyId"] for k in page["Keys"]}
        if not page.get("Truncated"):
            return ids
        marker = page["NextMarker"]


def test_create_key_with_tags_needs_tag_resource(admin):
    name, creds = admin.user(doc(allow("kms:*"), deny("kms:TagResource")))
    kms = admin.as_keys("kms", creds)
    before = all_key_ids(admin.kms)
    msg = denied(kms.create_key, Tags=TAGS)
    assert msg == (f"User: {user_arn(name)} is not authorized to perform: kms:TagResource "
                   "with an explicit deny in an identity-based policy")
    assert all_key_ids(admin.kms) == before, "a refused CreateKey created a key"
    kms.create_key()  # without Tags, kms:CreateKey is enough

    # Only kms:CreateKey: AWS's message for the missing tagging permission.
    name, creds = admin.user(doc(allow("kms:CreateKey")))
    msg = denied(admin.as_keys("kms", creds).create_key, Tags=TAGS)
    assert msg == (f"User: {user_arn(name)} is not authorized to perform: kms:TagResource "
                   "because no identity-based policy allows the kms:TagResource action")

    # The permission must cover all the account's keys in the Region: one key does not do.
    some_key = admin.kms.create_key()["KeyMetadata"]["Arn"]
    name, creds = admin.user(doc(allow("kms:CreateKey"), allow("kms:TagResource", some_key)))
    denied(admin.as_keys("kms", creds).create_key, Tags=TAGS)
    name, creds = admin.user(doc(allow("kms:CreateKey"), allow(
        "kms:TagResource", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/*",
        Condition={"StringEquals": {"aws:RequestTag/team": "admins"}})))
    kms = admin.as_keys("kms", creds)
    key = kms.create_key(Tags=TAGS)["KeyMetadata"]["KeyId"]
    assert admin.kms.list_resource_tags(KeyId=key)["Tags"] == TAGS
    denied(kms.create_key, Tags=[{"TagKey": "team", "TagValue": "other"}])


def test_key_properties_aliases_and_request_alias_in_identity_policies(admin):
    key = admin.kms.create_key()["KeyMetadata"]["KeyId"]
    restricted = "alias/" + uniq("restricted")
    admin.kms.create_alias(AliasName=restricted, TargetKeyId=key)
    other = admin.kms.create_key()["KeyMetadata"]["KeyId"]
    open_alias = "alias/" + uniq("open")
    admin.kms.create_alias(AliasName=open_alias, TargetKeyId=other)
    name, creds = admin.user(doc(
        allow("kms:*"),
        deny("kms:Encrypt", Condition={"StringEquals": {"kms:KeySpec": "SYMMETRIC_DEFAULT"}}),
        deny("kms:GenerateDataKey",
             Condition={"StringLike": {"kms:RequestAlias": "alias/restricted*"}}),
        deny("kms:DescribeKey",
             Condition={"ForAnyValue:StringLike": {"kms:ResourceAliases": "alias/restricted*"}}),
        deny("kms:Decrypt", Condition={"StringEquals": {"kms:KeyOrigin": "AWS_KMS"}}),
        deny("kms:GenerateMac", Condition={"StringEquals": {"kms:KeyUsage": "GENERATE_VERIFY_MAC"}}),
        deny("kms:DisableKey", Condition={"StringEquals": {"kms:MultiRegionKeyType": "PRIMARY"}}),
        deny("kms:EnableKey", Condition={"Bool": {"kms:MultiRegion": "false"}})))
    arn = user_arn(name)
    kms = admin.as_keys("kms", creds)
    key_arn = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{key}"
    assert denied(kms.encrypt, KeyId=key, Plaintext=b"x") == (
        f"User: {arn} is not authorized to perform: kms:Encrypt on resource: {key_arn} "
        "with an explicit deny in an identity-based policy")
    # kms:RequestAlias: by that alias (name or ARN) only, not by the key's id.
    denied(kms.generate_data_key, KeyId=restricted, KeySpec="AES_256")
    denied(kms.generate_data_key, KeyId=f"arn:aws:kms:us-east-1:{ACCOUNT}:{restricted}",
           KeySpec="AES_256")
    kms.generate_data_key(KeyId=key, KeySpec="AES_256")
    kms.generate_data_key(KeyId=open_alias, KeySpec="AES_256")
    # kms:ResourceAliases: the key's aliases, however the request names it.
    denied(kms.describe_key, KeyId=key)
    kms.describe_key(KeyId=other)
    admin.kms.delete_alias(AliasName=restricted)
    kms.describe_key(KeyId=key)
    blob = admin.kms.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]
    denied(kms.decrypt, CiphertextBlob=blob)
    # Usage, multi-Region type and flag.
    mac = admin.kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    denied(kms.generate_mac, KeyId=mac["KeyMetadata"]["KeyId"], Message=b"m",
           MacAlgorithm="HMAC_SHA_256")
    mrk = admin.kms.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    denied(kms.disable_key, KeyId=mrk)
    kms.disable_key(KeyId=other)
    denied(kms.enable_key, KeyId=other)
    kms.enable_key(KeyId=mrk)


def test_create_key_sees_the_created_keys_properties_with_defaults(admin):
    name, creds = admin.user(doc(allow("kms:CreateKey", Condition={"StringEquals": {
        "kms:KeySpec": "SYMMETRIC_DEFAULT", "kms:KeyUsage": "ENCRYPT_DECRYPT",
        "kms:KeyOrigin": "AWS_KMS", "kms:MultiRegion": "false"}})))
    kms = admin.as_keys("kms", creds)
    kms.create_key()
    kms.create_key(KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT", Origin="AWS_KMS")
    denied(kms.create_key, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    denied(kms.create_key, Origin="EXTERNAL")
    denied(kms.create_key, MultiRegion=True)
    # GenerateDataKey's KeySpec is the data key's: kms:KeySpec stays the KMS key's.
    key = admin.kms.create_key()["KeyMetadata"]["KeyId"]
    name, creds = admin.user(doc(allow("kms:GenerateDataKey", Condition={
        "StringEquals": {"kms:KeySpec": "SYMMETRIC_DEFAULT"}})))
    admin.as_keys("kms", creds).generate_data_key(KeyId=key, KeySpec="AES_256")


def test_encryption_algorithm_defaults_to_symmetric_default(admin):
    key = admin.kms.create_key()["KeyMetadata"]["KeyId"]
    name, creds = admin.user(doc(
        allow("kms:*"),
        deny(["kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncrypt*"],
             Condition={"StringNotEquals": {"kms:EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}})))
    kms = admin.as_keys("kms", creds)
    blob = kms.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]
    kms.generate_data_key(KeyId=key, KeySpec="AES_256")
    kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=key)


def test_key_policies_see_the_same_keys(admin):
    name, creds = admin.user(doc(allow("kms:*")))
    arn = user_arn(name)
    policy = doc({"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": ROOT},
                  "Action": "kms:*", "Resource": "*"},
                 {"Sid": "NoEncrypt", "Effect": "Deny", "Principal": {"AWS": arn},
                  "Action": "kms:Encrypt", "Resource": "*",
                  "Condition": {"StringEquals": {"kms:KeyOrigin": "AWS_KMS",
                                                 "kms:KeySpec": "SYMMETRIC_DEFAULT"}}},
                 {"Sid": "NotByAlias", "Effect": "Deny", "Principal": {"AWS": arn},
                  "Action": "kms:DescribeKey", "Resource": "*",
                  "Condition": {"StringLike": {"kms:RequestAlias": "alias/*"}}})
    key = admin.kms.create_key(Policy=policy)["KeyMetadata"]["KeyId"]
    alias = "alias/" + uniq("kp")
    admin.kms.create_alias(AliasName=alias, TargetKeyId=key)
    kms = admin.as_keys("kms", creds)
    key_arn = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{key}"
    assert denied(kms.encrypt, KeyId=key, Plaintext=b"x") == (
        f"User: {arn} is not authorized to perform: kms:Encrypt on resource: {key_arn} "
        "with an explicit deny in a resource-based policy")
    kms.generate_data_key(KeyId=key, KeySpec="AES_256")
    kms.describe_key(KeyId=key)
    denied(kms.describe_key, KeyId=alias)


def test_replicate_key_sees_the_replicas_properties(admin):
    name, creds = admin.user(doc(
        allow(["kms:ReplicateKey", "kms:DescribeKey"]),
        allow("kms:CreateKey", Condition={"StringEquals": {"kms:MultiRegionKeyType": "REPLICA"}})))
    kms = admin.as_keys("kms", creds)
    key = admin.kms.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    kms.replicate_key(KeyId=key, ReplicaRegion="eu-west-1")
    denied(kms.create_key, MultiRegion=True)
