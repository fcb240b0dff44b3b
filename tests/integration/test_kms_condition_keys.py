"""KMS authorization sees what AWS's policies may ask of it, against a non-dev server with real
IAM users (review findings on KMS authorization):
- CreateKey with Tags needs kms:TagResource too (CreateKey's "Required permissions"), on all
  the account's keys in the Region; nothing is created without it;
- kms:KeySpec, kms:KeyUsage, kms:KeyOrigin, kms:MultiRegion and kms:MultiRegionKeyType describe
  the KMS key an operation uses, in IAM and key policies alike, and for CreateKey the key it
  creates, with the parameters' defaults when the request omits them;
- kms:RequestAlias is the alias a request named the key by, kms:ResourceAliases the key's
  aliases (multi-valued), kms:EncryptionAlgorithm is SYMMETRIC_DEFAULT when a cryptographic
  operation names none (developer guide, "AWS KMS condition keys");
- the request keys of single operations: kms:ReEncryptOnSameKey, kms:GrantConstraintType,
  kms:GrantIsForAWSResource, kms:KeyAgreementAlgorithm, kms:ValidTo, and
  kms:ScheduleKeyDeletionPendingWindowInDays / kms:RotationPeriodInDays with their defaults
  (a Deny on any of them was skipped while it was never set)."""

from __future__ import annotations

import base64
import time

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from conftest import ACCOUNT, raw_call
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


def raw_as(admin, creds, op: str, body: dict) -> tuple[int, dict]:
    """A KMS call signed with `creds` (for members Debian's botocore does not model)."""
    r = raw_call(admin.endpoint, None, body, target="TrentService." + op, service="kms",
                 akid=creds["AccessKeyId"], secret=creds["SecretAccessKey"])
    return r.status_code, r.json()


def raw_denied(admin, creds, op: str, body: dict) -> None:
    status, out = raw_as(admin, creds, op, body)
    assert (status, out.get("__type")) == (400, "AccessDeniedException"), out


def test_reencrypt_on_same_key(admin):
    """kms:ReEncryptOnSameKey: whether ReEncrypt's destination key is the key that encrypted
    the ciphertext, for kms:ReEncryptFrom and kms:ReEncryptTo alike; a Deny on "false" keeps
    ciphertexts on their key, an Allow on "true" allows only that."""
    k1 = admin.kms.create_key()["KeyMetadata"]["Arn"]
    k2 = admin.kms.create_key()["KeyMetadata"]["Arn"]
    blob = admin.kms.encrypt(KeyId=k1, Plaintext=b"x")["CiphertextBlob"]
    _, creds = admin.user(doc(allow("kms:*"), deny("kms:ReEncrypt*", Condition={
        "Bool": {"kms:ReEncryptOnSameKey": "false"}})))
    kms = admin.as_keys("kms", creds)
    denied(kms.re_encrypt, CiphertextBlob=blob, DestinationKeyId=k2)
    denied(kms.re_encrypt, CiphertextBlob=blob, SourceKeyId=k1, DestinationKeyId=k2)
    assert kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=k1)["KeyId"] == k1
    assert kms.re_encrypt(CiphertextBlob=blob, SourceKeyId=k1, DestinationKeyId=k1)["KeyId"] == k1

    _, creds = admin.user(doc(allow(["kms:ReEncryptFrom", "kms:ReEncryptTo"], Condition={
        "Bool": {"kms:ReEncryptOnSameKey": "true"}})))
    kms = admin.as_keys("kms", creds)
    assert kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=k1)["SourceKeyId"] == k1
    denied(kms.re_encrypt, CiphertextBlob=blob, DestinationKeyId=k2)
    # The dry run that reads no ciphertext sees it too (SourceKeyId names the source key).
    ignore = {"DryRun": True, "DryRunModifiers": ["IGNORE_CIPHERTEXT"]}
    status, out = raw_as(admin, creds, "ReEncrypt",
                         {"SourceKeyId": k1, "DestinationKeyId": k1, **ignore})
    assert (status, out["__type"]) == (400, "DryRunOperationException"), out
    raw_denied(admin, creds, "ReEncrypt", {"SourceKeyId": k1, "DestinationKeyId": k2, **ignore})


def test_dry_run_ignoring_the_ciphertext_is_authorized(admin):
    """Decrypt with DryRun and IGNORE_CIPHERTEXT "performs only authorization validation": on
    the KeyId it names."""
    mine = admin.kms.create_key()["KeyMetadata"]["Arn"]
    theirs = admin.kms.create_key()["KeyMetadata"]["Arn"]
    _, creds = admin.user(doc(allow("kms:Decrypt", mine)))
    ignore = {"DryRun": True, "DryRunModifiers": ["IGNORE_CIPHERTEXT"]}
    status, out = raw_as(admin, creds, "Decrypt", {"KeyId": mine, **ignore})
    assert (status, out["__type"]) == (400, "DryRunOperationException"), out
    raw_denied(admin, creds, "Decrypt", {"KeyId": theirs, **ignore})


def test_schedule_key_deletion_pending_window(admin):
    """kms:ScheduleKeyDeletionPendingWindowInDays: AWS's guardrail denies a waiting period
    under 30 days; a request without PendingWindowInDays has its default, 30."""
    _, creds = admin.user(doc(allow("kms:*"), deny("kms:ScheduleKeyDeletion", Condition={
        "NumericLessThan": {"kms:ScheduleKeyDeletionPendingWindowInDays": "30"}})))
    kms = admin.as_keys("kms", creds)
    key = admin.kms.create_key()["KeyMetadata"]["KeyId"]
    denied(kms.schedule_key_deletion, KeyId=key, PendingWindowInDays=7)
    assert kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=30)["KeyState"] == \
        "PendingDeletion"
    admin.kms.cancel_key_deletion(KeyId=key)
    _, creds = admin.user(doc(allow("kms:ScheduleKeyDeletion", Condition={
        "NumericGreaterThanEquals": {"kms:ScheduleKeyDeletionPendingWindowInDays": "30"}})))
    kms = admin.as_keys("kms", creds)
    assert kms.schedule_key_deletion(KeyId=key)["KeyState"] == "PendingDeletion"
    admin.kms.cancel_key_deletion(KeyId=key)


def test_rotation_period_in_days(admin):
    """kms:RotationPeriodInDays: EnableKeyRotation's RotationPeriodInDays, 365 when absent."""
    _, creds = admin.user(doc(allow("kms:*"), deny("kms:EnableKeyRotation", Condition={
        "NumericGreaterThan": {"kms:RotationPeriodInDays": "100"}})))
    key = admin.kms.create_key()["KeyMetadata"]["KeyId"]
    status, out = raw_as(admin, creds, "EnableKeyRotation", {"KeyId": key,
                                                             "RotationPeriodInDays": 90})
    assert status == 200, out
    raw_denied(admin, creds, "EnableKeyRotation", {"KeyId": key, "RotationPeriodInDays": 180})
    raw_denied(admin, creds, "EnableKeyRotation", {"KeyId": key})


def test_grant_constraint_type_and_grant_is_for_aws_resource(admin):
    """kms:GrantConstraintType is the constraint a CreateGrant asks for; kms:GrantIsForAWSResource
    is false for a caller's own CreateGrant, ListGrants and RevokeGrant (no AWS service makes
    grants here), so AWS's "Deny if grant is not for AWS resource" statement applies."""
    key = admin.kms.create_key()["KeyMetadata"]["KeyId"]
    grantee = admin.iam.create_user(UserName=uniq("grantee"))["User"]["Arn"]
    _, creds = admin.user(doc(allow("kms:CreateGrant", Condition={
        "StringEquals": {"kms:GrantConstraintType": "EncryptionContextSubset"}})))
    kms = admin.as_keys("kms", creds)
    kms.create_grant(KeyId=key, GranteePrincipal=grantee, Operations=["Decrypt"],
                     Constraints={"EncryptionContextSubset": {"app": "a"}})
    denied(kms.create_grant, KeyId=key, GranteePrincipal=grantee, Operations=["Decrypt"])
    denied(kms.create_grant, KeyId=key, GranteePrincipal=grantee, Operations=["Decrypt"],
           Constraints={"EncryptionContextEquals": {"app": "a"}})

    grant = admin.kms.create_grant(KeyId=key, GranteePrincipal=grantee,
                                   Operations=["Decrypt"])["GrantId"]
    _, creds = admin.user(doc(allow("kms:*"), deny(
        ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
        Condition={"Bool": {"kms:GrantIsForAWSResource": "false"}})))
    kms = admin.as_keys("kms", creds)
    denied(kms.create_grant, KeyId=key, GranteePrincipal=grantee, Operations=["Decrypt"])
    denied(kms.list_grants, KeyId=key)
    denied(kms.revoke_grant, KeyId=key, GrantId=grant)
    kms.describe_key(KeyId=key)
    _, creds = admin.user(doc(allow(["kms:CreateGrant", "kms:ListGrants"], Condition={
        "Bool": {"kms:GrantIsForAWSResource": "true"}})))
    denied(admin.as_keys("kms", creds).list_grants, KeyId=key)


def test_key_agreement_algorithm(admin):
    """kms:KeyAgreementAlgorithm: DeriveSharedSecret's KeyAgreementAlgorithm (ECDH)."""
    key = admin.kms.create_key(KeySpec="ECC_NIST_P256",
                               KeyUsage="KEY_AGREEMENT")["KeyMetadata"]["Arn"]
    peer = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    body = {"KeyId": key, "KeyAgreementAlgorithm": "ECDH",
            "PublicKey": base64.b64encode(peer).decode()}
    _, creds = admin.user(doc(allow("kms:DeriveSharedSecret", Condition={
        "StringEquals": {"kms:KeyAgreementAlgorithm": "ECDH"}})))
    status, out = raw_as(admin, creds, "DeriveSharedSecret", body)
    assert status == 200 and out["SharedSecret"], out
    _, creds = admin.user(doc(allow("kms:*"), deny("kms:DeriveSharedSecret", Condition={
        "StringEquals": {"kms:KeyAgreementAlgorithm": "ECDH"}})))
    raw_denied(admin, creds, "DeriveSharedSecret", body)


def test_valid_to(admin):
    """kms:ValidTo: ImportKeyMaterial's ValidTo in Unix time (the guide compares it with
    NumericLessThanEquals). The key is authorized before the import token is read."""
    key = admin.kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    soon = int(time.time()) + 86400
    _, creds = admin.user(doc(allow("kms:*"), deny("kms:ImportKeyMaterial", Condition={
        "NumericGreaterThan": {"kms:ValidTo": str(soon + 3600)}})))
    body = {"KeyId": key, "ImportToken": base64.b64encode(b"t" * 64).decode(),
            "EncryptedKeyMaterial": base64.b64encode(b"m" * 256).decode(),
            "ExpirationModel": "KEY_MATERIAL_EXPIRES"}
    raw_denied(admin, creds, "ImportKeyMaterial", {**body, "ValidTo": soon + 7 * 86400})
    status, out = raw_as(admin, creds, "ImportKeyMaterial", {**body, "ValidTo": soon})
    assert status == 400 and out["__type"] != "AccessDeniedException", out
