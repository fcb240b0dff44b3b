"""KMS replayed from LocalStack's AWS-validated test suite, the scenarios the other KMS files
do not already replay.

Source: localstack/localstack tests/aws/services/kms/test_kms.py and the AWS recordings of
its test_kms.snapshot.json (a 2025 copy of it, recorded 2023-04 to 2025-11). Each test names
the LocalStack test it replays and asserts what AWS answered: error code, message (or its
absence: the snapshot's Message "" with no "message" member), HTTP status and the members of
the answer. Values LocalStack's transformers replace (ids, ARNs, blobs, dates) are checked
for their form only.

Some tests go beyond the snapshot, where AWS's answer to a neighbouring input of the same
tests is on record elsewhere or in the API reference (each says where), and where Arcana
answered differently:
- an alias (name or ARN) given to an operation that takes key ids and key ARNs only is
  InvalidArnException "Key Aliases are not supported for this operation." (Arcana answered
  NotFoundException "Invalid keyId 'alias/...'");
- a CreateGrant whose only operation is CreateGrant is ValidationException "Grants must not
  contain only the CreateGrant operation." (Arcana created the grant);
- EnableKeyRotation/DisableKeyRotation of an asymmetric or HMAC key is
  UnsupportedOperationException without a message, of an EXTERNAL key "<key ARN> origin is
  EXTERNAL which is not valid for this operation." (Arcana wrote sentences of its own);
- GetKeyRotationStatus of an asymmetric or HMAC key answers KeyRotationEnabled false (Arcana
  refused it);
- ImportKeyMaterial with wrapped material of an impossible size is ValidationException
  "Invalid encrypted key size." (Arcana: InvalidCiphertextException).
- the AWS managed keys carry AWS's Descriptions ("... protects my Secrets Manager data ...",
  "... my SSM parameters ..."; Arcana wrote "my secretsmanager data", "my ssm data"), and the
  key policies of aws/secretsmanager and aws/ssm are AWS's (Arcana's had its own Sids and
  actions).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import uuid

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding
from cryptography.hazmat.primitives.serialization import load_der_public_key

from conftest import raises_code
from kms_current_model import kmsc, kms_model_path  # noqa: F401
from kms_fixtures import kms_raw  # noqa: F401

ACCOUNT = "123456789012"
USER = f"arn:aws:iam::{ACCOUNT}:user/grantee"
ALIASES_NOT_SUPPORTED = "Key Aliases are not supported for this operation."
MESSAGE = b"test message !%$@ 1234567890"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def message_of(ei) -> str:
    return ei.value.response["Error"]["Message"]


def status_of(ei) -> int:
    return ei.value.response["ResponseMetadata"]["HTTPStatusCode"]


def answer(r: dict) -> dict:
    return {k: v for k, v in r.items() if k != "ResponseMetadata"}


def oaep(h=None):
    h = h or hashes.SHA256()
    return padding.OAEP(mgf=padding.MGF1(algorithm=h), algorithm=h, label=None)


# --- fixes ------------------------------------------------------------------------------------

def test_alias_where_only_key_ids_are_taken_is_invalid_arn(kmsc, kms_raw):
    """AWS answers an alias in GetKeyPolicy and CreateGrant with InvalidArnException "Key
    Aliases are not supported for this operation." (the CLI's output quoted in users'
    runbooks for `aws kms get-key-policy --key-id alias/...`, and Lambda's CreateGrant failure
    "KMS Exception: InvalidArnException KMS Message: Key Aliases are not supported for this
    operation."; boto/boto#3202 quotes the same body for CreateGrant). The other operations
    the API reference documents with "Specify the key ID or key ARN" answer alike, for an
    alias name or an alias ARN. test_all_types_of_key_id_can_be_used_for_encryption and
    test_describe_with_alias_arn: Encrypt and DescribeKey take all four forms."""
    kms = kmsc()
    meta = kms.create_key(Description="test - description")["KeyMetadata"]
    kid = meta["KeyId"]
    kms.create_alias(AliasName="alias/sweep", TargetKeyId=kid)
    alias_arn = f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/sweep"
    calls = [
        ("GetKeyPolicy", {"PolicyName": "default"}), ("ListKeyPolicies", {}),
        ("CreateGrant", {"GranteePrincipal": USER, "Operations": ["Decrypt"]}),
        ("ListGrants", {}), ("DisableKey", {}), ("EnableKey", {}),
        ("ScheduleKeyDeletion", {}), ("CancelKeyDeletion", {}),
        ("EnableKeyRotation", {}), ("GetKeyRotationStatus", {}),
        ("TagResource", {"Tags": [{"TagKey": "k", "TagValue": "v"}]}),
        ("ListResourceTags", {}), ("UpdateKeyDescription", {"Description": "d"}),
    ]
    for op, extra in calls:
        for ref in ("alias/sweep", alias_arn):
            r = kms_raw(op, {"KeyId": ref, **extra})
            assert r.status_code == 400, (op, ref)
            body = r.json()
            assert (body["__type"], body["message"]) == \
                ("InvalidArnException", ALIASES_NOT_SUPPORTED), (op, ref)
    with raises_code("InvalidArnException") as ei:
        kms.get_key_policy(KeyId="alias/sweep", PolicyName="default")
    assert message_of(ei) == ALIASES_NOT_SUPPORTED and status_of(ei) == 400
    # Nothing changed; the key id and key ARN still work there.
    assert kms.list_grants(KeyId=kid)["Grants"] == []
    assert kms.describe_key(KeyId=meta["Arn"])["KeyMetadata"]["KeyState"] == "Enabled"
    assert kms.list_resource_tags(KeyId=meta["Arn"])["Tags"] == []
    for ref in (meta["Arn"], kid, alias_arn, "alias/sweep"):
        kms.encrypt(KeyId=ref, Plaintext=b"encrypt-me")
        assert kms.describe_key(KeyId=ref)["KeyMetadata"]["KeyId"] == kid
    # A malformed key id keeps its own answer.
    with raises_code("NotFoundException") as ei:
        kms.get_key_policy(KeyId="invalid", PolicyName="default")
    assert message_of(ei) == "Invalid keyId 'invalid'"


def test_grant_of_create_grant_alone_is_refused(kmsc):
    """CreateGrant with Operations ["CreateGrant"]: ValidationException "Grants must not
    contain only the CreateGrant operation." (AWS's answer quoted in ansible/ansible#31960).
    With another operation it is a grant like any other. test_create_grant_with_invalid_key
    and test_list_grants_with_invalid_key: a malformed KeyId is NotFoundException."""
    kms = kmsc()
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    with raises_code("ValidationException") as ei:
        kms.create_grant(KeyId=kid, GranteePrincipal=USER, Operations=["CreateGrant"])
    assert message_of(ei) == "Grants must not contain only the CreateGrant operation."
    assert status_of(ei) == 400
    assert kms.list_grants(KeyId=kid)["Grants"] == []
    g = kms.create_grant(KeyId=kid, GranteePrincipal=USER, Operations=["CreateGrant", "Decrypt"])
    assert set(answer(g)) == {"GrantId", "GrantToken"}
    for call in (lambda: kms.create_grant(KeyId="invalid", GranteePrincipal=USER,
                                          Operations=["Decrypt", "Encrypt"]),
                 lambda: kms.list_grants(KeyId="invalid")):
        with raises_code("NotFoundException") as ei:
            call()
        assert message_of(ei) == "Invalid keyId 'invalid'"


# --- scenarios where Arcana already answers as AWS did -----------------------------------------

def test_grants_of_the_same_name_retire_and_revoke(kmsc):
    """test_create_grant_with_same_name_two_keys, test_revoke_grant,
    test_retire_grant_with_grant_token, test_retire_grant_with_grant_id_and_key_id: a grant
    name is per key; each way of removing a grant removes exactly it."""
    kms = kmsc()
    k1, k2 = (kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(2))
    grants = [kms.create_grant(KeyId=k, GranteePrincipal=USER, Name="TestGrantName",
                               Operations=["Decrypt", "DescribeKey"]) for k in (k1, k2)]
    for g in grants:
        assert set(answer(g)) == {"GrantId", "GrantToken"}
    assert [len(kms.list_grants(KeyId=k)["Grants"]) for k in (k1, k2)] == [1, 1]
    extra = kms.create_grant(KeyId=k1, GranteePrincipal=USER, Operations=["Encrypt"])
    kms.retire_grant(GrantToken=grants[0]["GrantToken"])
    assert [g["GrantId"] for g in kms.list_grants(KeyId=k1)["Grants"]] == [extra["GrantId"]]
    kms.revoke_grant(KeyId=k1, GrantId=extra["GrantId"])
    assert kms.list_grants(KeyId=k1)["Grants"] == []
    kms.retire_grant(GrantId=grants[1]["GrantId"], KeyId=k2)
    assert kms.list_grants(KeyId=k2)["Grants"] == []


def test_generate_random_bounds(kms_raw, kmsc):
    """test_generate_random[1, 1024] and test_generate_random_invalid_number_of_bytes[0,
    1025]: the range messages quote the value at 'numberOfBytes'."""
    kms = kmsc()
    for n in (1, 1024):
        assert len(kms.generate_random(NumberOfBytes=n)["Plaintext"]) == n
    for n, bound in ((0, "greater than or equal to 1"), (1025, "less than or equal to 1024")):
        r = kms_raw("GenerateRandom", {"NumberOfBytes": n})
        assert r.status_code == 400 and r.json()["__type"] == "ValidationException"
        assert r.json()["message"] == (f"1 validation error detected: Value '{n}' at "
                                       f"'numberOfBytes' failed to satisfy constraint: Member "
                                       f"must have value {bound}")


@pytest.mark.parametrize("spec,limits", [("RSA_3072", (342, 318)), ("RSA_4096", (470, 446))])
def test_rsa_plaintext_limits_of_the_larger_keys(kmsc, spec, limits):
    """test_encrypt_validate_plaintext_size_per_key_type[RSA_3072-*, RSA_4096-*]."""
    kms = kmsc()
    kid = kms.create_key(KeyUsage="ENCRYPT_DECRYPT", KeySpec=spec)["KeyMetadata"]["KeyId"]
    message = b64(b"more than 500 bytes and less than 4096 bytes" * 20).encode()
    for alg, limit in zip(("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"), limits):
        with raises_code("ValidationException") as ei:
            kms.encrypt(KeyId=kid, Plaintext=message, EncryptionAlgorithm=alg)
        assert message_of(ei) == (f"Algorithm {alg} and key spec {spec} cannot encrypt data "
                                  f"larger than {limit} bytes.")
        assert status_of(ei) == 400


@pytest.mark.parametrize("spec,alg", [
    ("RSA_2048", "RSASSA_PSS_SHA_256"), ("RSA_2048", "RSASSA_PSS_SHA_512"),
    ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256"), ("ECC_NIST_P384", "ECDSA_SHA_384"),
    ("ECC_SECG_P256K1", "ECDSA_SHA_256"),
])
def test_sign_verify_answers_and_refusals(kmsc, kms_raw, spec, alg):
    """test_sign_verify: Sign answers KeyId, Signature and SigningAlgorithm; Verify KeyId,
    SignatureValid and SigningAlgorithm; a DIGEST of the wrong length is ValidationException
    "Digest is invalid length for algorithm <alg>." (Sign and Verify); a signature of another
    message is KMSInvalidSignatureException with no message. test_verify_salt_length: PSS
    signatures use a salt as long as the digest, checkable offline with the public key."""
    kms = kmsc()
    kid = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec=spec)["KeyMetadata"]["KeyId"]
    arn = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{kid}"
    kw = {"KeyId": kid, "SigningAlgorithm": alg}
    bad = kms.sign(MessageType="RAW", Message=b"bad", **kw)["Signature"]
    s = kms.sign(MessageType="RAW", Message=MESSAGE, **kw)
    assert set(answer(s)) == {"KeyId", "Signature", "SigningAlgorithm"}
    assert (s["KeyId"], s["SigningAlgorithm"]) == (arn, alg)
    v = kms.verify(MessageType="RAW", Signature=s["Signature"], Message=MESSAGE, **kw)
    assert answer(v) == {"KeyId": arn, "SignatureValid": True, "SigningAlgorithm": alg}
    for op, extra in (("Sign", {}), ("Verify", {"Signature": b64(s["Signature"])})):
        r = kms_raw(op, {**kw, "MessageType": "DIGEST", "Message": b64(MESSAGE), **extra})
        assert r.status_code == 400
        assert r.json() == {"__type": "ValidationException",
                            "message": f"Digest is invalid length for algorithm {alg}."}
    r = kms_raw("Verify", {**kw, "MessageType": "RAW", "Message": b64(MESSAGE),
                           "Signature": b64(bad)})
    assert r.status_code == 400 and r.json() == {"__type": "KMSInvalidSignatureException"}

    h = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}[alg[-3:]]
    pub = load_der_public_key(kms.get_public_key(KeyId=kid)["PublicKey"])
    digest = hashlib.new(h.name, MESSAGE).digest()
    for mt, m in (("RAW", MESSAGE), ("DIGEST", digest)):
        sig = kms.sign(MessageType=mt, Message=m, **kw)["Signature"]
        algo = utils.Prehashed(h) if mt == "DIGEST" else h
        if alg.startswith("ECDSA"):
            pub.verify(sig, m, ec.ECDSA(algo))
        elif "PSS" in alg:
            pub.verify(sig, m, padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), algo)
        else:
            pub.verify(sig, m, padding.PKCS1v15(), algo)


def test_key_usage_errors_of_verify_sign_and_derive(kmsc, kms_raw):
    """test_error_messaging_for_invalid_keys ("verify-invalid-key-id", "sign-invalid-key-id"),
    test_invalid_key_usage and test_derive_shared_secret ("response-invalid-key-usage",
    "response-invalid-key", "response-invalid-key-agreement-algo"): InvalidKeyUsageException
    "<key ARN> key usage is <usage> which is not valid for <operation>." - checked before the
    algorithm fits the key."""
    kms = kmsc()
    sym = kms.create_key()["KeyMetadata"]["Arn"]
    hm = kms.create_key(KeySpec="HMAC_224", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["Arn"]
    rsa_ed = kms.create_key(KeyUsage="ENCRYPT_DECRYPT", KeySpec="RSA_2048")["KeyMetadata"]["Arn"]
    ecc_sv = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    agree = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]["Arn"]
    peer = kms.get_public_key(KeyId=agree)["PublicKey"]

    def usage(arn, key_usage, op):
        return f"{arn} key usage is {key_usage} which is not valid for {op}."

    cases = [
        (lambda: kms.verify(MessageType="RAW", Signature=b"random text", Message=b"test message",
                            KeyId=sym, SigningAlgorithm="ECDSA_SHA_256"),
         usage(sym, "ENCRYPT_DECRYPT", "Verify")),
        (lambda: kms.sign(MessageType="RAW", Message=b"test message 123!@#", KeyId=hm,
                          SigningAlgorithm="RSASSA_PSS_SHA_256"),
         usage(hm, "GENERATE_VERIFY_MAC", "Sign")),
        (lambda: kms.sign(MessageType="RAW", Message=b"hello", KeyId=rsa_ed,
                          SigningAlgorithm="RSASSA_PSS_SHA_256"),
         usage(rsa_ed, "ENCRYPT_DECRYPT", "Sign")),
        (lambda: kms.derive_shared_secret(KeyId=ecc_sv, KeyAgreementAlgorithm="ECDH",
                                          PublicKey=peer),
         usage(ecc_sv, "SIGN_VERIFY", "DeriveSharedSecret")),
        (lambda: kms.derive_shared_secret(KeyId=sym, KeyAgreementAlgorithm="ECDH", PublicKey=peer),
         usage(sym, "ENCRYPT_DECRYPT", "DeriveSharedSecret")),
    ]
    for call, want in cases:
        with raises_code("InvalidKeyUsageException") as ei:
            call()
        assert message_of(ei) == want and status_of(ei) == 400
        assert ei.value.response["message"] == want
    r = kms_raw("DeriveSharedSecret", {"KeyId": agree, "KeyAgreementAlgorithm": "INVALID",
                                       "PublicKey": b64(peer)})
    assert r.status_code == 400
    assert r.json() == {"__type": "ValidationException", "message": (
        "1 validation error detected: Value 'INVALID' at 'keyAgreementAlgorithm' failed to "
        "satisfy constraint: Member must satisfy enum value set: [ECDH]")}


def test_encryption_context_and_damaged_ciphertexts(kmsc, kms_raw):
    """test_encrypt_decrypt_encryption_context (recorded 2025-09): Encrypt answers
    CiphertextBlob, EncryptionAlgorithm and KeyId; Decrypt with the context adds
    KeyMaterialId; without the context, or with the ciphertext's header cut off,
    InvalidCiphertextException with no message. test_key_rotations_encryption_decryption:
    bytes appended to a ciphertext, the same. TestKMSGenerateKeys
    test_encryption_context_generate_data_key*: a data key (pair) made under a context does
    not decrypt without it."""
    kms = kmsc()
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    arn = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{kid}"
    ctx = {"context-key": "context-value"}
    e = kms.encrypt(KeyId=kid, Plaintext=b64(MESSAGE).encode(), EncryptionAlgorithm="SYMMETRIC_DEFAULT",
                    EncryptionContext=ctx)
    assert set(answer(e)) == {"CiphertextBlob", "EncryptionAlgorithm", "KeyId"}
    assert (e["KeyId"], e["EncryptionAlgorithm"]) == (arn, "SYMMETRIC_DEFAULT")
    d = kms.decrypt(KeyId=kid, CiphertextBlob=e["CiphertextBlob"], EncryptionContext=ctx,
                    EncryptionAlgorithm="SYMMETRIC_DEFAULT")
    assert set(answer(d)) == {"EncryptionAlgorithm", "KeyId", "KeyMaterialId", "Plaintext"}
    assert d["Plaintext"] == b64(MESSAGE).encode() and d["KeyId"] == arn
    assert d["KeyMaterialId"] == kms.describe_key(KeyId=kid)["KeyMetadata"]["CurrentKeyMaterialId"]
    ct = e["CiphertextBlob"]
    blobs = [(ct, None), (ct[20:], ctx), (ct + b"bad_data", ctx)]
    for op in ("GenerateDataKey", "GenerateDataKeyWithoutPlaintext"):
        blobs.append((base64.b64decode(kms_raw(op, {"KeyId": kid, "KeySpec": "AES_256",
                                                    "EncryptionContext": ctx}).json()
                                       ["CiphertextBlob"]), None))
    for op in ("GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext"):
        blobs.append((base64.b64decode(kms_raw(op, {"KeyId": kid, "KeyPairSpec": "RSA_2048",
                                                    "EncryptionContext": ctx}).json()
                                       ["PrivateKeyCiphertextBlob"]), None))
    for blob, context in blobs:
        body = {"KeyId": kid, "CiphertextBlob": b64(blob)}
        if context:
            body["EncryptionContext"] = context
        r = kms_raw("Decrypt", body)
        assert r.status_code == 400 and r.json() == {"__type": "InvalidCiphertextException"}


def test_data_key_answers(kmsc):
    """TestKMSGenerateKeys test_generate_data_key*, test_generate_data_key_pair*: KeyId is the
    key ARN; the pair answers KeyPairSpec, PublicKey and PrivateKeyCiphertextBlob (and
    PrivateKeyPlaintext unless WithoutPlaintext), and both ciphertexts decrypt to the
    plaintexts."""
    kms = kmsc()
    meta = kms.create_key()["KeyMetadata"]
    kid, arn = meta["KeyId"], meta["Arn"]
    dk = kms.generate_data_key(KeyId=kid, KeySpec="AES_256")
    assert {"CiphertextBlob", "KeyId", "Plaintext"} <= set(answer(dk)) and dk["KeyId"] == arn
    assert len(dk["Plaintext"]) == 32
    assert kms.decrypt(CiphertextBlob=dk["CiphertextBlob"], KeyId=kid)["Plaintext"] == dk["Plaintext"]
    dkw = kms.generate_data_key_without_plaintext(KeyId=kid, KeySpec="AES_256")
    assert "Plaintext" not in dkw and dkw["KeyId"] == arn
    pair = kms.generate_data_key_pair(KeyId=kid, KeyPairSpec="RSA_2048")
    assert {"KeyId", "KeyPairSpec", "PrivateKeyCiphertextBlob", "PrivateKeyPlaintext",
            "PublicKey"} <= set(answer(pair))
    assert (pair["KeyId"], pair["KeyPairSpec"]) == (arn, "RSA_2048")
    assert kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"],
                       KeyId=kid)["Plaintext"] == pair["PrivateKeyPlaintext"]
    priv = serialization.load_der_private_key(pair["PrivateKeyPlaintext"], password=None)
    assert priv.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo) \
        == pair["PublicKey"]
    pw = kms.generate_data_key_pair_without_plaintext(KeyId=kid, KeyPairSpec="RSA_2048")
    assert "PrivateKeyPlaintext" not in pw and pw["KeyId"] == arn


def test_external_key_before_and_after_its_material(kmsc):
    """test_import_key_symmetric / test_import_key_asymmetric: an EXTERNAL key is created
    PendingImport and disabled, without ExpirationModel; using it is KMSInvalidStateException
    "<key ARN> is pending import." (message and Message); GetParametersForImport answers the
    key ARN, ImportToken, PublicKey and ParametersValidTo; after DeleteImportedKeyMaterial the
    key is PendingImport again and refused the same way. test_get_parameters_for_import: for
    an AWS_KMS key, UnsupportedOperationException "<key ARN> origin is AWS_KMS which is not
    valid for this operation."."""
    kms = kmsc()
    sym = kms.create_key(Origin="EXTERNAL", Description="ext")["KeyMetadata"]
    ecc = kms.create_key(Origin="EXTERNAL", KeySpec="ECC_NIST_P256",
                         KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    for meta in (sym, ecc):
        assert (meta["KeyState"], meta["Enabled"], meta["Origin"]) == \
            ("PendingImport", False, "EXTERNAL")
        assert "ExpirationModel" not in meta and "CurrentKeyMaterialId" not in meta
    assert ecc["SigningAlgorithms"] == ["ECDSA_SHA_256"] and "EncryptionAlgorithms" not in ecc
    pending = f"{sym['Arn']} is pending import."
    for call in (lambda: kms.encrypt(Plaintext=b"test content 123 !#", KeyId=sym["KeyId"]),
                 lambda: kms.generate_data_key(KeyId=sym["KeyId"], KeySpec="AES_256")):
        with raises_code("KMSInvalidStateException") as ei:
            call()
        assert message_of(ei) == pending and ei.value.response["message"] == pending
    with raises_code("KMSInvalidStateException") as ei:
        kms.sign(KeyId=ecc["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    assert message_of(ei) == f"{ecc['Arn']} is pending import."

    p = kms.get_parameters_for_import(KeyId=sym["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                      WrappingKeySpec="RSA_2048")
    assert set(answer(p)) == {"ImportToken", "KeyId", "ParametersValidTo", "PublicKey"}
    assert p["KeyId"] == sym["Arn"]
    blob = load_der_public_key(p["PublicKey"]).encrypt(os.urandom(32), oaep())
    kms.import_key_material(KeyId=sym["KeyId"], ImportToken=p["ImportToken"],
                            EncryptedKeyMaterial=blob, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    meta = kms.describe_key(KeyId=sym["KeyId"])["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"], meta["ExpirationModel"]) == \
        ("Enabled", True, "KEY_MATERIAL_DOES_NOT_EXPIRE")
    ct = kms.encrypt(Plaintext=b"test content 123 !#", KeyId=sym["KeyId"])["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=ct, KeyId=sym["KeyId"])["Plaintext"] == b"test content 123 !#"
    kms.delete_imported_key_material(KeyId=sym["KeyId"])
    meta = kms.describe_key(KeyId=sym["KeyId"])["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"]) == ("PendingImport", False)
    assert "ExpirationModel" not in meta
    with raises_code("KMSInvalidStateException") as ei:
        kms.encrypt(Plaintext=b"x", KeyId=sym["KeyId"])
    assert message_of(ei) == pending

    aws = kms.create_key()["KeyMetadata"]
    with raises_code("UnsupportedOperationException") as ei:
        kms.get_parameters_for_import(KeyId=aws["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                      WrappingKeySpec="RSA_4096")
    want = f"{aws['Arn']} origin is AWS_KMS which is not valid for this operation."
    assert message_of(ei) == want and ei.value.response["message"] == want


@pytest.mark.parametrize("spec,curve,oaep_hash,alg,wrap_spec,wrap_alg", [
    ("ECC_NIST_P384", ec.SECP384R1(), hashes.SHA1(), "ECDSA_SHA_384", "RSA_2048", "RSAES_OAEP_SHA_1"),
    ("ECC_NIST_P521", ec.SECP521R1(), hashes.SHA256(), "ECDSA_SHA_512", "RSA_4096",
     "RSAES_OAEP_SHA_256"),
    ("ECC_SECG_P256K1", ec.SECP256K1(), hashes.SHA1(), "ECDSA_SHA_256", "RSA_2048",
     "RSAES_OAEP_SHA_1"),
])
def test_import_ecc_private_keys(kmsc, spec, curve, oaep_hash, alg, wrap_spec, wrap_alg):
    """test_import_key_ecc_keys (recorded 2025-08): a PKCS#8 private key wrapped with the
    recorded wrapping spec and algorithm imports; GetPublicKey answers its public key; Sign
    and Verify answer the key ARN; without the material the key is PendingImport again."""
    kms = kmsc()
    kid = kms.create_key(Origin="EXTERNAL", KeySpec=spec, KeyUsage="SIGN_VERIFY",
                         Description="test ecc key import")["KeyMetadata"]["KeyId"]
    arn = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{kid}"
    priv = ec.generate_private_key(curve)
    der = priv.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    p = kms.get_parameters_for_import(KeyId=kid, WrappingAlgorithm=wrap_alg, WrappingKeySpec=wrap_spec)
    blob = load_der_public_key(p["PublicKey"]).encrypt(der, oaep(oaep_hash))
    kms.import_key_material(KeyId=kid, ImportToken=p["ImportToken"], EncryptedKeyMaterial=blob,
                            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    meta = kms.describe_key(KeyId=kid)["KeyMetadata"]
    assert (meta["KeyState"], meta["SigningAlgorithms"]) == ("Enabled", [alg])
    assert kms.get_public_key(KeyId=kid)["PublicKey"] == priv.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    msg = b"test sign verify 123 !%$@ 1234567890"
    s = kms.sign(KeyId=kid, Message=msg, MessageType="RAW", SigningAlgorithm=alg)
    assert (s["KeyId"], s["SigningAlgorithm"]) == (arn, alg)
    v = kms.verify(KeyId=kid, Message=msg, MessageType="RAW", SigningAlgorithm=alg,
                   Signature=s["Signature"])
    assert answer(v) == {"KeyId": arn, "SignatureValid": True, "SigningAlgorithm": alg}
    kms.delete_imported_key_material(KeyId=kid)
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "PendingImport"


def test_import_hmac_and_rsa_aes_wrapped_material(kmsc):
    """test_import_key_hmac_keys[HMAC_224, HMAC_512]: raw HMAC material wrapped with
    RSAES_OAEP_SHA_256 imports and MACs as that material does (GenerateMac/VerifyMac answer the
    key ARN). The recordings wrap for RSA_4096 and import an RSA_4096 key; RSA_2048 keeps the
    run short (each wrapping key is a new RSA key).
    test_import_key_rsa_aes_wrap_sha256: an RSA private key wrapped with
    RSA_AES_KEY_WRAP_SHA_256 imports; GetPublicKey answers its public key."""
    kms = kmsc()
    for spec, size, alg in (("HMAC_224", 28, "HMAC_SHA_224"), ("HMAC_512", 64, "HMAC_SHA_512")):
        kid = kms.create_key(Origin="EXTERNAL", KeySpec=spec,
                             KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
        arn = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{kid}"
        material = os.urandom(size)
        p = kms.get_parameters_for_import(KeyId=kid, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                          WrappingKeySpec="RSA_2048")
        kms.import_key_material(KeyId=kid, ImportToken=p["ImportToken"],
                                EncryptedKeyMaterial=load_der_public_key(p["PublicKey"]).encrypt(
                                    material, oaep()),
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
        g = kms.generate_mac(KeyId=kid, Message=b"test-mac-message", MacAlgorithm=alg)
        assert (g["KeyId"], g["MacAlgorithm"]) == (arn, alg)
        assert g["Mac"] == hmac.new(material, b"test-mac-message", "sha" + alg[-3:]).digest()
        v = kms.verify_mac(KeyId=kid, Message=b"test-mac-message", Mac=g["Mac"], MacAlgorithm=alg)
        assert answer(v) == {"KeyId": arn, "MacAlgorithm": alg, "MacValid": True}

    kid = kms.create_key(Origin="EXTERNAL", KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT",
                         Description="test-key")["KeyMetadata"]["KeyId"]
    meta = kms.describe_key(KeyId=kid)["KeyMetadata"]
    assert meta["EncryptionAlgorithms"] == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    rk = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = rk.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption())
    aes = os.urandom(32)
    p = kms.get_parameters_for_import(KeyId=kid, WrappingAlgorithm="RSA_AES_KEY_WRAP_SHA_256",
                                      WrappingKeySpec="RSA_2048")
    wrapped = load_der_public_key(p["PublicKey"]).encrypt(aes, oaep())
    kms.import_key_material(KeyId=kid, ImportToken=p["ImportToken"],
                            EncryptedKeyMaterial=wrapped + aes_key_wrap_with_padding(aes, der),
                            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "Enabled"
    assert kms.get_public_key(KeyId=kid)["PublicKey"] == rk.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def test_key_lifecycle_policies_and_metadata(kmsc):
    """test_schedule_and_cancel_key_deletion, test_cant_delete_deleted_key,
    test_cant_use_disabled_or_deleted_keys, test_get_put_list_key_policies, test_get_public_key,
    test_create_multi_region_key, test_non_multi_region_keys_should_not_have_multi_region_
    properties, test_hmac_create_key, test_key_enable_rotation_status[90]."""
    kms = kmsc()
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=kid)
    with raises_code("DisabledException"):
        kms.generate_data_key(KeyId=kid, KeySpec="AES_256")
    kms.schedule_key_deletion(KeyId=kid)
    meta = kms.describe_key(KeyId=kid)["KeyMetadata"]
    assert (meta["Enabled"], meta["KeyState"]) == (False, "PendingDeletion") and meta["DeletionDate"]
    pending = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{kid} is pending deletion."
    for call in (lambda: kms.schedule_key_deletion(KeyId=kid),
                 lambda: kms.generate_data_key(KeyId=kid, KeySpec="AES_256")):
        with raises_code("KMSInvalidStateException") as ei:
            call()
        assert message_of(ei) == pending
    kms.cancel_key_deletion(KeyId=kid)
    meta = kms.describe_key(KeyId=kid)["KeyMetadata"]
    assert (meta["Enabled"], meta["KeyState"]) == (False, "Disabled") and "DeletionDate" not in meta

    assert answer(kms.list_key_policies(KeyId=kid)) == {"PolicyNames": ["default"],
                                                         "Truncated": False}
    rsa_key = kms.create_key(KeyUsage="ENCRYPT_DECRYPT", KeySpec="RSA_2048")["KeyMetadata"]
    pk = kms.get_public_key(KeyId=rsa_key["KeyId"])
    assert (pk["KeyId"], pk["KeySpec"], pk["KeyUsage"]) == (rsa_key["Arn"], "RSA_2048",
                                                           "ENCRYPT_DECRYPT")

    mrk = kms.create_key(MultiRegion=True, Description="test multi region key")["KeyMetadata"]
    assert mrk["KeyId"].startswith("mrk-") and mrk["MultiRegion"] is True
    assert mrk["MultiRegionConfiguration"] == {
        "MultiRegionKeyType": "PRIMARY", "PrimaryKey": {"Arn": mrk["Arn"], "Region": "us-east-1"},
        "ReplicaKeys": []}
    plain = kms.create_key(MultiRegion=False)["KeyMetadata"]
    assert plain["MultiRegion"] is False and "MultiRegionConfiguration" not in plain
    assert not plain["KeyId"].startswith("mrk-")
    uuid.UUID(plain["KeyId"])

    hm = kms.create_key(Description="test key", KeySpec="HMAC_256",
                        KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    assert (hm["CustomerMasterKeySpec"], hm["MacAlgorithms"]) == ("HMAC_256", ["HMAC_SHA_256"])
    assert "EncryptionAlgorithms" not in hm and "SigningAlgorithms" not in hm

    sym = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=sym, RotationPeriodInDays=90)
    st = answer(kms.get_key_rotation_status(KeyId=sym))
    assert set(st) == {"KeyId", "KeyRotationEnabled", "NextRotationDate", "RotationPeriodInDays"}
    assert (st["KeyRotationEnabled"], st["RotationPeriodInDays"]) == (True, 90)


def test_automatic_rotation_of_a_key_that_cannot_rotate(kmsc, kms_raw):
    """test_rotate_key_on_demand_raises_error_given_non_symmetric_key records
    UnsupportedOperationException with no message for RotateKeyOnDemand of an RSA key; AWS
    answers EnableKeyRotation of an asymmetric key the same way (aws CLI output for an
    ECC_SECG_P256K1 key, recorded 2026-10 in hardhat-kms's key rotation guide: "An error
    occurred (UnsupportedOperationException) when calling the EnableKeyRotation operation:"
    with nothing after it). DisableKeyRotation shares the check. A disabled key is
    DisabledException first (..._given_key_is_disabled)."""
    kms = kmsc()
    keys = [kms.create_key(KeySpec="ECC_SECG_P256K1", KeyUsage="SIGN_VERIFY")["KeyMetadata"],
            kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"],
            kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]]
    for meta in keys:
        for op in ("EnableKeyRotation", "DisableKeyRotation", "RotateKeyOnDemand"):
            r = kms_raw(op, {"KeyId": meta["KeyId"]})
            assert r.status_code == 400, (op, meta["KeySpec"])
            assert r.json() == {"__type": "UnsupportedOperationException"}, (op, meta["KeySpec"])
    kms.disable_key(KeyId=keys[0]["KeyId"])
    with raises_code("DisabledException") as ei:
        kms.enable_key_rotation(KeyId=keys[0]["KeyId"])
    assert message_of(ei) == f"{keys[0]['Arn']} is disabled."


def test_wrapped_key_material_of_an_impossible_size(kmsc, kms_raw):
    """ImportKeyMaterial (test_import_key_symmetric's call) with EncryptedKeyMaterial whose
    size no wrapping with the token's key gives: ValidationException "Invalid encrypted key
    size." (AWS's answer, quoted in nsmithuk/local-kms's ImportKeyMaterial); RSAES-OAEP output
    is exactly the wrapping key's size, RSA-AES key wrap output longer. A blob of the right
    size that does not unwrap is InvalidCiphertextException with no message (the API
    reference: KMS "could not decrypt the encrypted (wrapped) key material")."""
    kms = kmsc()
    kid = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    for alg, spec, size in (("RSAES_OAEP_SHA_256", "RSA_2048", 256),
                            ("RSAES_OAEP_SHA_1", "RSA_3072", 384),
                            ("RSA_AES_KEY_WRAP_SHA_256", "RSA_2048", 256)):
        p = kms.get_parameters_for_import(KeyId=kid, WrappingAlgorithm=alg, WrappingKeySpec=spec)
        body = {"KeyId": kid, "ImportToken": b64(p["ImportToken"]),
                "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}
        for blob in (b"x" * 10, os.urandom(size - 1), os.urandom(size)):
            if alg.startswith("RSAES") and len(blob) == size:
                continue
            r = kms_raw("ImportKeyMaterial", {**body, "EncryptedKeyMaterial": b64(blob)})
            assert r.status_code == 400, (alg, len(blob))
            assert r.json() == {"__type": "ValidationException",
                                "message": "Invalid encrypted key size."}, (alg, len(blob))
        right_size = os.urandom(size + 40 if alg.startswith("RSA_AES") else size)
        r = kms_raw("ImportKeyMaterial", {**body, "EncryptedKeyMaterial": b64(right_size)})
        assert r.status_code == 400 and r.json() == {"__type": "InvalidCiphertextException"}
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "PendingImport"


def test_rotation_status_of_a_key_that_cannot_rotate(kmsc):
    """test_key_rotation_status asks GetKeyRotationStatus of a symmetric key; of an asymmetric
    or HMAC key AWS answers too: "The key rotation status of these KMS keys is always false"
    (GetKeyRotationStatus API reference), KeyId the key ARN and no rotation period - Terraform's
    aws_kms_key reads it for every AWS_KMS key, asymmetric ones included, and fails on an
    error."""
    kms = kmsc()
    for spec, usage in (("ECC_NIST_P256", "SIGN_VERIFY"), ("RSA_2048", "ENCRYPT_DECRYPT"),
                        ("HMAC_256", "GENERATE_VERIFY_MAC"), ("ECC_NIST_P256", "KEY_AGREEMENT")):
        meta = kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]
        assert answer(kms.get_key_rotation_status(KeyId=meta["KeyId"])) == \
            {"KeyId": meta["Arn"], "KeyRotationEnabled": False}, (spec, usage)


def test_automatic_rotation_of_imported_material_is_refused_in_aws_words(kmsc):
    """test_rotate_key_on_demand_raises_error_given_key_with_imported_key_material (recorded
    2025-03, before on-demand rotation of imported material): a rotation operation the key's
    origin does not allow is UnsupportedOperationException "<key ARN> origin is EXTERNAL which
    is not valid for this operation." (message and Message) - AWS's wording for origins, as
    for GetParametersForImport of an AWS_KMS key. Automatic rotation of imported material is
    still not allowed (EnableKeyRotation API reference), so EnableKeyRotation and
    DisableKeyRotation of an EXTERNAL key answer so."""
    kms = kmsc()
    meta = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    p = kms.get_parameters_for_import(KeyId=meta["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                      WrappingKeySpec="RSA_2048")
    kms.import_key_material(KeyId=meta["KeyId"], ImportToken=p["ImportToken"],
                            EncryptedKeyMaterial=load_der_public_key(p["PublicKey"]).encrypt(
                                os.urandom(32), oaep()),
                            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    want = f"{meta['Arn']} origin is EXTERNAL which is not valid for this operation."
    for call in (kms.enable_key_rotation, kms.disable_key_rotation):
        with raises_code("UnsupportedOperationException") as ei:
            call(KeyId=meta["KeyId"])
        assert message_of(ei) == want and ei.value.response["message"] == want
        assert status_of(ei) == 400
    assert kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"] is False


def test_aws_managed_key_descriptions(kmsc):
    """test_describe_with_alias_arn describes a key by alias ARN; described so, the AWS managed
    keys Arcana creates on first use carry AWS's own Description: "Default key that protects
    my Secrets Manager data when no other key is defined", "... my SSM parameters ..." (a
    Terraform export of a real account's AWS managed keys and `aws kms describe-key
    --key-id alias/aws/ssm` output, quoted publicly). KeyManager is AWS. (DescribeKey of a
    predefined AWS alias creates its AWS managed key: DescribeKey API reference.)"""
    kms = kmsc()
    for service, what in (("secretsmanager", "Secrets Manager data"), ("ssm", "SSM parameters"),
                          ("s3", "S3 objects"), ("ebs", "EBS volumes")):
        alias_arn = f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/aws/{service}"
        created = kms.describe_key(KeyId=f"alias/aws/{service}")["KeyMetadata"]
        meta = kms.describe_key(KeyId=alias_arn)["KeyMetadata"]
        assert meta["KeyId"] == created["KeyId"] and meta["KeyManager"] == "AWS"
        assert meta["Description"] == \
            f"Default key that protects my {what} when no other key is defined"


def test_aws_managed_key_policies_of_secrets_manager_and_ssm(kmsc):
    """The key policies of aws/secretsmanager and aws/ssm, statement for statement as a real
    account's AWS managed keys have them (the Terraform export quoted above): Secrets Manager's
    use through the service in this Region, GenerateDataKey* through it in any Region, and
    metadata (with RevokeGrant) for the account; SSM's use through the service and metadata.
    GetKeyPolicy answers them."""
    kms = kmsc()
    import json as _json

    def policy_of(service):
        kid = kms.describe_key(KeyId=f"alias/aws/{service}")["KeyMetadata"]["KeyId"]
        return _json.loads(kms.get_key_policy(KeyId=kid, PolicyName="default")["Policy"])

    sm_sid = ("Allow access through AWS Secrets Manager for all principals in the account that "
              "are authorized to use AWS Secrets Manager")
    assert policy_of("secretsmanager") == {
        "Version": "2012-10-17", "Id": "auto-secretsmanager-2", "Statement": [
            {"Sid": sm_sid, "Effect": "Allow", "Principal": {"AWS": "*"},
             "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:CreateGrant",
                        "kms:DescribeKey"], "Resource": "*",
             "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT,
                                            "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}},
            {"Sid": sm_sid, "Effect": "Allow", "Principal": {"AWS": "*"},
             "Action": "kms:GenerateDataKey*", "Resource": "*",
             "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT},
                           "StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}}},
            {"Sid": "Allow direct access to key metadata to the account", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
             "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
             "Resource": "*"}]}
    assert policy_of("ssm") == {
        "Version": "2012-10-17", "Id": "auto-ssm-1", "Statement": [
            {"Sid": "Allow access through SSM for all principals in the account that are "
                    "authorized to use SSM", "Effect": "Allow", "Principal": {"AWS": "*"},
             "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                        "kms:DescribeKey"], "Resource": "*",
             "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT,
                                            "kms:ViaService": "ssm.us-east-1.amazonaws.com"}}},
            {"Sid": "Allow direct access to key metadata to the account", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
             "Action": ["kms:Describe*", "kms:Get*", "kms:List*"], "Resource": "*"}]}
