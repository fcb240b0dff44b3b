"""KMS across accounts, as the AWS API reference documents it.

- Decrypt without KeyId: a symmetric ciphertext names its key, so B decrypts A's ciphertext
  when A's key policy allows it, and is refused (AccessDeniedException) when it does not
  (Arcana looked the key up in B's account only: InvalidCiphertextException).
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT
from test_access_control import ACCOUNT_B, account_b, admin, doc, uniq  # noqa: F401
from test_iam import code_of

REGION = "us-east-1"


def error(fn, **kw) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as e:
        fn(**kw)
    code, status = code_of(e.value)
    return code, status, e.value.response["Error"].get("Message", "")


def shared_key(admin, actions: list[str]) -> str:
    """A key of account A whose policy gives account B `actions`."""
    policy = doc(
        {"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "AccountB", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_B}:root"}, "Action": actions,
         "Resource": "*"})
    return admin.kms.create_key(Policy=policy)["KeyMetadata"]["Arn"]


def not_found(caller_account: str, key_id: str) -> tuple[str, int, str]:
    return ("NotFoundException", 400,
            f"Key 'arn:aws:kms:{REGION}:{caller_account}:key/{key_id}' does not exist")


def test_decrypt_without_key_id_of_another_accounts_ciphertext(admin, account_b):
    key = shared_key(admin, ["kms:Decrypt", "kms:ReEncryptFrom"])
    private = admin.kms.create_key()["KeyMetadata"]["Arn"]
    b = admin.as_keys("kms", account_b)
    blob = admin.kms.encrypt(KeyId=key, Plaintext=b"from A",
                             EncryptionContext={"k": "v"})["CiphertextBlob"]
    out = b.decrypt(CiphertextBlob=blob, EncryptionContext={"k": "v"})
    assert out["Plaintext"] == b"from A" and out["KeyId"] == key
    # The encryption context still has to match.
    assert error(b.decrypt, CiphertextBlob=blob)[:2] == ("InvalidCiphertextException", 400)
    # ReEncrypt without SourceKeyId decrypts the same way (kms:ReEncryptFrom).
    b_key = b.create_key()["KeyMetadata"]["Arn"]
    re = b.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"k": "v"},
                      DestinationKeyId=b_key)
    assert re["SourceKeyId"] == key and re["KeyId"] == b_key
    assert b.decrypt(CiphertextBlob=re["CiphertextBlob"])["Plaintext"] == b"from A"

    # A key whose policy does not name B: refused, naming A's key.
    private_blob = admin.kms.encrypt(KeyId=private, Plaintext=b"secret")["CiphertextBlob"]
    code, status, message = error(b.decrypt, CiphertextBlob=private_blob)
    assert (code, status) == ("AccessDeniedException", 400)
    assert f"kms:Decrypt on resource: {private}" in message and "secret" not in message
    # The key's account still decrypts its own ciphertexts without KeyId.
    assert admin.kms.decrypt(CiphertextBlob=private_blob)["Plaintext"] == b"secret"
