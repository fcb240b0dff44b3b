"""What KMS grants allow, against a non-dev server with real IAM users (review findings F1-F5,
F12): encryption-context constraints hold through ReEncrypt (checked against the source
context), RetireGrant is decided by the grant (retiring principal, grantee with RetireGrant,
the account) and not by IAM, a grant allowing CreateGrant allows only grants it covers, the
constraints apply only to operations with an encryption context, every grant of a key counts
(not only the first page), and Secrets Manager and Parameter Store honour grants when they
use a key on the caller's behalf. Users have no IAM policy unless stated; keys have the
default key policy (the account delegates to IAM)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT
from test_access_control import Admin, admin, allow, doc, uniq  # noqa: F401
from test_iam import code_of


def user_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:user/{name}"


def denied(fn, *args, **kw) -> ClientError:
    with pytest.raises(ClientError) as e:
        fn(*args, **kw)
    assert code_of(e.value) == ("AccessDeniedException", 400), e.value.response
    return e.value


def test_reencrypt_checks_the_grant_constraint_on_the_source_context(admin):
    """F1: ReEncryptFrom is authorized with SourceEncryptionContext. A grantee limited to
    dept=A used to launder a dept=B ciphertext into dept=A by naming dept=A as destination."""
    key = admin.kms.create_key()["KeyMetadata"]["Arn"]
    name, creds = admin.user(None)
    admin.kms.create_grant(KeyId=key, GranteePrincipal=user_arn(name),
                           Operations=["Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo"],
                           Constraints={"EncryptionContextSubset": {"dept": "A"}})
    kms = admin.as_keys("kms", creds)
    blob_b = admin.kms.encrypt(KeyId=key, Plaintext=b"dept B",
                               EncryptionContext={"dept": "B"})["CiphertextBlob"]
    denied(kms.decrypt, CiphertextBlob=blob_b, EncryptionContext={"dept": "B"})
    e = denied(kms.re_encrypt, CiphertextBlob=blob_b, SourceEncryptionContext={"dept": "B"},
               DestinationKeyId=key, DestinationEncryptionContext={"dept": "A"})
    assert "kms:ReEncryptFrom" in e.response["Error"]["Message"]
    # Within the constraint at both ends it works.
    blob_a = kms.encrypt(KeyId=key, Plaintext=b"dept A",
                         EncryptionContext={"dept": "A"})["CiphertextBlob"]
    out = kms.re_encrypt(CiphertextBlob=blob_a, SourceEncryptionContext={"dept": "A"},
                         DestinationKeyId=key,
                         DestinationEncryptionContext={"dept": "A", "x": "1"})["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=out, EncryptionContext={"dept": "A", "x": "1"})[
        "Plaintext"] == b"dept A"
    # The destination end is still checked against the destination context.
    denied(kms.re_encrypt, CiphertextBlob=blob_a, SourceEncryptionContext={"dept": "A"},
           DestinationKeyId=key, DestinationEncryptionContext={"dept": "B"})


def test_retire_grant_is_decided_by_the_grant(admin):
    """F2: a stranger holding the token used to retire the grant, the retiring principal was
    refused, and a bare IAM kms:RetireGrant was enough."""
    key = admin.kms.create_key()["KeyMetadata"]["Arn"]
    grantee, grantee_creds = admin.user(None)
    retiring, retiring_creds = admin.user(None)
    stranger, stranger_creds = admin.user(None)
    iam_only, iam_only_creds = admin.user(doc(allow("kms:RetireGrant")))

    def grant(ops=("Decrypt",)):
        g = admin.kms.create_grant(KeyId=key, GranteePrincipal=user_arn(grantee),
                                   RetiringPrincipal=user_arn(retiring), Operations=list(ops))
        return g["GrantId"], g["GrantToken"]

    def grant_ids():
        return {g["GrantId"] for g in admin.kms.list_grants(KeyId=key)["Grants"]}

    gid, tok = grant()
    e = denied(admin.as_keys("kms", stranger_creds).retire_grant, GrantToken=tok)
    assert e.response["Error"]["Message"].startswith(
        f"User: {user_arn(stranger)} is not authorized to perform: kms:RetireGrant on resource: "
        f"{key}")
    denied(admin.as_keys("kms", iam_only_creds).retire_grant, KeyId=key, GrantId=gid)
    # The grantee needs RetireGrant among the grant's operations.
    denied(admin.as_keys("kms", grantee_creds).retire_grant, GrantToken=tok)
    assert gid in grant_ids()
    admin.as_keys("kms", retiring_creds).retire_grant(KeyId=key, GrantId=gid)
    assert gid not in grant_ids()

    gid, tok = grant(("Decrypt", "RetireGrant"))
    admin.as_keys("kms", grantee_creds).retire_grant(GrantToken=tok)
    assert gid not in grant_ids()

    gid, tok = grant()
    admin.kms.retire_grant(GrantToken=tok)  # the account
    assert gid not in grant_ids()


def test_grant_with_create_grant_creates_only_grants_it_covers(admin):
    """F3 and F4: a CreateGrant-only grant let its grantee grant itself Decrypt; a constrained
    grant never allowed CreateGrant (nor DescribeKey), even for an equally strict grant."""
    key = admin.kms.create_key()["KeyMetadata"]["Arn"]
    name, creds = admin.user(None)
    kms = admin.as_keys("kms", creds)
    me = user_arn(name)
    # (DescribeKey too: AWS refuses a grant of CreateGrant alone.)
    admin.kms.create_grant(KeyId=key, GranteePrincipal=me, Operations=["CreateGrant", "DescribeKey"])
    e = denied(kms.create_grant, KeyId=key, GranteePrincipal=me,
               Operations=["Decrypt", "Encrypt"])
    assert "kms:CreateGrant" in e.response["Error"]["Message"]
    blob = admin.kms.encrypt(KeyId=key, Plaintext=b"top secret")["CiphertextBlob"]
    denied(kms.decrypt, CiphertextBlob=blob)
    kms.create_grant(KeyId=key, GranteePrincipal=me, Operations=["DescribeKey", "CreateGrant"])  # covered

    key2 = admin.kms.create_key()["KeyMetadata"]["Arn"]
    strict = {"EncryptionContextSubset": {"dept": "A"}}
    admin.kms.create_grant(KeyId=key2, GranteePrincipal=me, Constraints=strict,
                           Operations=["Encrypt", "Decrypt", "DescribeKey", "CreateGrant"])
    # The constraint does not apply to DescribeKey (no encryption context).
    assert kms.describe_key(KeyId=key2)["KeyMetadata"]["Arn"] == key2
    # Equally strict or stricter: allowed.
    other, _ = admin.user(None)
    kms.create_grant(KeyId=key2, GranteePrincipal=user_arn(other), Operations=["Decrypt"],
                     Constraints=strict)
    kms.create_grant(KeyId=key2, GranteePrincipal=user_arn(other), Operations=["Decrypt"],
                     Constraints={"EncryptionContextEquals": {"DEPT": "A", "team": "x"}})
    # Looser, or more operations: refused.
    for constraints in (None, {"EncryptionContextSubset": {"team": "x"}},
                        {"EncryptionContextSubset": {"dept": "a"}}):
        kw = {"Constraints": constraints} if constraints else {}
        denied(kms.create_grant, KeyId=key2, GranteePrincipal=user_arn(other),
               Operations=["Decrypt"], **kw)
    denied(kms.create_grant, KeyId=key2, GranteePrincipal=user_arn(other),
           Operations=["Decrypt", "GenerateDataKey"], Constraints=strict)


def test_services_honour_grants_on_the_callers_behalf(admin):
    """F12: a grantee allowed Decrypt by a grant decrypted directly, but Parameter Store and
    Secrets Manager refused it the same key and operation. The grant's constraint is matched
    against the service's encryption context (a secret's SecretARN)."""
    name, creds = admin.user(doc(allow(["ssm:GetParameter", "secretsmanager:GetSecretValue"])))
    key = admin.kms.create_key()["KeyMetadata"]["Arn"]
    pname = "/" + uniq("granted") + "/db"
    admin.ssm.put_parameter(Name=pname, Value="p-value", Type="SecureString", KeyId=key)
    secret = uniq("granted")
    sec_arn = admin.sm.create_secret(Name=secret, SecretString="s-value", KmsKeyId=key)["ARN"]
    other = admin.sm.create_secret(Name=uniq("other"), SecretString="o", KmsKeyId=key)["ARN"]
    ssm, sm = admin.as_keys("ssm", creds), admin.as_keys("secretsmanager", creds)
    denied(ssm.get_parameter, Name=pname, WithDecryption=True)
    denied(sm.get_secret_value, SecretId=secret)

    admin.kms.create_grant(KeyId=key, GranteePrincipal=user_arn(name), Operations=["Decrypt"],
                           Constraints={"EncryptionContextSubset": {"SecretARN": sec_arn}})
    assert sm.get_secret_value(SecretId=secret)["SecretString"] == "s-value"
    denied(sm.get_secret_value, SecretId=other)  # outside the constraint
    denied(ssm.get_parameter, Name=pname, WithDecryption=True)

    admin.kms.create_grant(KeyId=key, GranteePrincipal=user_arn(name), Operations=["Decrypt"])
    assert ssm.get_parameter(Name=pname, WithDecryption=True)["Parameter"]["Value"] == "p-value"
    assert sm.get_secret_value(SecretId=other)["SecretString"] == "o"
