"""Another account uses a KMS key by its key ARN or alias ARN when the key policy lets it (review
finding F11), against a non-dev server: the key's account names account B in its key policy,
and B's root (and a B user whose IAM policy also allows it) encrypt, decrypt with the key ARN
as KeyId, generate data keys and describe the key; key management and the AWS managed keys
stay with the key's account. Used to be NotFoundException whatever the key policy said."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT
from test_access_control import (ACCOUNT_B, Admin, account_b, admin, allow, doc,  # noqa: F401
                                 uniq)
from test_iam import code_of


def error(fn, **kw) -> tuple[str, int]:
    with pytest.raises(ClientError) as e:
        fn(**kw)
    return code_of(e.value)


def test_another_account_uses_a_key_its_policy_shares(admin, account_b):
    policy = doc(
        {"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "AccountB", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_B}:root"},
         "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"],
         "Resource": "*"})
    key = admin.kms.create_key(Policy=policy)["KeyMetadata"]["Arn"]
    alias = "alias/" + uniq("shared")
    admin.kms.create_alias(AliasName=alias, TargetKeyId=key)
    alias_arn = f"arn:aws:kms:us-east-1:{ACCOUNT}:{alias}"
    private = admin.kms.create_key()["KeyMetadata"]["Arn"]  # default policy: account A only

    b = admin.as_keys("kms", account_b)
    assert b.describe_key(KeyId=key)["KeyMetadata"]["Arn"] == key
    blob = b.encrypt(KeyId=key, Plaintext=b"from B")["CiphertextBlob"]
    assert b.decrypt(CiphertextBlob=blob, KeyId=key)["Plaintext"] == b"from B"
    assert admin.kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"from B"
    a_blob = admin.kms.encrypt(KeyId=key, Plaintext=b"from A")["CiphertextBlob"]
    assert b.decrypt(CiphertextBlob=a_blob, KeyId=alias_arn)["Plaintext"] == b"from A"
    assert len(b.generate_data_key(KeyId=alias_arn, KeySpec="AES_256")["Plaintext"]) == 32

    # What the policy does not give, and keys it does not share: AccessDenied.
    assert error(b.generate_data_key_without_plaintext, KeyId=key,
                 KeySpec="AES_256") == ("AccessDeniedException", 400)
    assert error(b.encrypt, KeyId=private, Plaintext=b"x") == ("AccessDeniedException", 400)
    # Key management is not cross-account; a key id alone names B's own keys.
    assert error(b.disable_key, KeyId=key) == ("NotFoundException", 400)
    assert error(b.encrypt, KeyId=key.split("/")[-1], Plaintext=b"x") == (
        "NotFoundException", 400)

    # A user of B needs its own IAM policy too.
    b_iam = admin.as_keys("iam", account_b)
    name = uniq("buser")
    b_iam.create_user(UserName=name)
    creds = b_iam.create_access_key(UserName=name)["AccessKey"]
    user_kms = admin.as_keys("kms", creds)
    assert error(user_kms.encrypt, KeyId=key, Plaintext=b"x") == ("AccessDeniedException", 400)
    b_iam.put_user_policy(UserName=name, PolicyName="p",
                          PolicyDocument=doc(allow(["kms:Encrypt", "kms:Decrypt"], key)))
    blob = user_kms.encrypt(KeyId=key, Plaintext=b"user")["CiphertextBlob"]
    assert user_kms.decrypt(CiphertextBlob=blob, KeyId=key)["Plaintext"] == b"user"
