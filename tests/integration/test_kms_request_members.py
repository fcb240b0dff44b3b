"""KMS condition keys come only from the members the operation has in the KMS API model
(review finding): kms:EncryptionContext:* and kms:EncryptionAlgorithm were read from the first of
EncryptionContext / DestinationEncryptionContext present, whatever the operation. An Encrypt,
Decrypt or GenerateDataKey carrying a DestinationEncryptionContext it does not take passed a
policy requiring kms:EncryptionContext:tenant while it used no context, and ReEncrypt's
kms:ReEncryptTo check read a stray EncryptionContext instead of its DestinationEncryptionContext,
so a tenant-A user re-encrypted into a tenant-B ciphertext."""

from __future__ import annotations

import base64

from conftest import ACCOUNT  # noqa: F401
from test_access_control import Admin, admin, allow, deny, doc  # noqa: F401
from test_kms_condition_keys import raw_as, raw_denied

TENANT_A = {"StringEquals": {"kms:EncryptionContext:tenant": "A"}}


def b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def test_a_member_the_operation_does_not_take_gives_no_encryption_context(admin):
    key = admin.kms.create_key()["KeyMetadata"]["Arn"]
    _, creds = admin.user(doc(allow(["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey",
                                     "kms:ReEncrypt*"], Condition=TENANT_A)))
    stray = {"DestinationEncryptionContext": {"tenant": "A"}}
    no_context = admin.kms.encrypt(KeyId=key, Plaintext=b"victim")["CiphertextBlob"]
    raw_denied(admin, creds, "Decrypt", {"CiphertextBlob": b64(no_context), **stray})
    raw_denied(admin, creds, "Encrypt", {"KeyId": key, "Plaintext": b64(b"x"), **stray})
    raw_denied(admin, creds, "GenerateDataKey", {"KeyId": key, "KeySpec": "AES_256", **stray})
    # The context the operation does take is still seen.
    status, out = raw_as(admin, creds, "Encrypt", {"KeyId": key, "Plaintext": b64(b"x"),
                                                   "EncryptionContext": {"tenant": "A"}})
    assert status == 200, out
    status, out = raw_as(admin, creds, "Decrypt", {"CiphertextBlob": out["CiphertextBlob"],
                                                   "EncryptionContext": {"tenant": "A"}})
    assert (status, base64.b64decode(out.get("Plaintext", ""))) == (200, b"x"), out


def test_reencrypt_to_reads_the_destination_context(admin):
    key = admin.kms.create_key()["KeyMetadata"]["Arn"]
    _, creds = admin.user(doc(allow(["kms:ReEncryptFrom", "kms:ReEncryptTo"],
                                    Condition=TENANT_A)))
    source = admin.kms.encrypt(KeyId=key, Plaintext=b"forged",
                               EncryptionContext={"tenant": "A"})["CiphertextBlob"]
    body = {"CiphertextBlob": b64(source), "SourceEncryptionContext": {"tenant": "A"},
            "DestinationKeyId": key}
    # Into tenant B: refused, even with a stray EncryptionContext naming tenant A.
    raw_denied(admin, creds, "ReEncrypt", {**body, "DestinationEncryptionContext": {"tenant": "B"},
                                           "EncryptionContext": {"tenant": "A"}})
    raw_denied(admin, creds, "ReEncrypt", {**body, "DestinationEncryptionContext": {"tenant": "B"}})
    status, out = raw_as(admin, creds, "ReEncrypt",
                         {**body, "DestinationEncryptionContext": {"tenant": "A"}})
    assert status == 200, out
    # The source end reads SourceEncryptionContext only.
    other = admin.kms.encrypt(KeyId=key, Plaintext=b"b",
                              EncryptionContext={"tenant": "B"})["CiphertextBlob"]
    raw_denied(admin, creds, "ReEncrypt", {
        "CiphertextBlob": b64(other), "SourceEncryptionContext": {"tenant": "B"},
        "DestinationKeyId": key, "DestinationEncryptionContext": {"tenant": "A"},
        "EncryptionContext": {"tenant": "A"}})


def test_encryption_algorithm_comes_from_the_operations_own_member(admin):
    """kms:EncryptionAlgorithm: Encrypt's EncryptionAlgorithm, SYMMETRIC_DEFAULT when it names
    none; a stray DestinationEncryptionAlgorithm is not Encrypt's algorithm."""
    key = admin.kms.create_key(KeyUsage="ENCRYPT_DECRYPT",
                               KeySpec="RSA_2048")["KeyMetadata"]["Arn"]
    _, creds = admin.user(doc(allow("kms:Encrypt", Condition={
        "StringEquals": {"kms:EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}})))
    raw_denied(admin, creds, "Encrypt", {"KeyId": key, "Plaintext": b64(b"x"),
                                         "DestinationEncryptionAlgorithm": "RSAES_OAEP_SHA_256"})
    raw_denied(admin, creds, "Encrypt", {"KeyId": key, "Plaintext": b64(b"x"),
                                         "EncryptionAlgorithm": "RSAES_OAEP_SHA_1"})
    status, out = raw_as(admin, creds, "Encrypt", {"KeyId": key, "Plaintext": b64(b"x"),
                                                   "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"})
    assert status == 200, out


def test_grant_constraints_see_only_the_operations_context(admin):
    """A grant's EncryptionContextSubset holds only for the context the operation uses."""
    key = admin.kms.create_key()["KeyMetadata"]["Arn"]
    name, creds = admin.user(None)
    admin.kms.create_grant(KeyId=key, GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:user/{name}",
                           Operations=["Decrypt", "Encrypt"],
                           Constraints={"EncryptionContextSubset": {"tenant": "A"}})
    no_context = admin.kms.encrypt(KeyId=key, Plaintext=b"victim")["CiphertextBlob"]
    raw_denied(admin, creds, "Decrypt", {"CiphertextBlob": b64(no_context),
                                         "DestinationEncryptionContext": {"tenant": "A"}})
    status, out = raw_as(admin, creds, "Encrypt", {"KeyId": key, "Plaintext": b64(b"x"),
                                                   "EncryptionContext": {"tenant": "A"}})
    assert status == 200, out


def test_tag_keys_come_from_the_member_the_operation_has(admin):
    """TagResource's aws:TagKeys are the keys of its Tags; a stray TagKeys list (UntagResource's
    member) does not replace them."""
    key = admin.kms.create_key()["KeyMetadata"]["Arn"]
    _, creds = admin.user(doc(allow("kms:TagResource", Condition={
        "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}})))
    raw_denied(admin, creds, "TagResource", {"KeyId": key,
                                             "Tags": [{"TagKey": "owner", "TagValue": "x"}],
                                             "TagKeys": ["team"]})
    status, out = raw_as(admin, creds, "TagResource",
                         {"KeyId": key, "Tags": [{"TagKey": "team", "TagValue": "x"}]})
    assert status == 200, out
