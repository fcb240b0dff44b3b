"""KMS key agreement: KEY_AGREEMENT keys on the NIST curves, DeriveSharedSecret (ECDH) checked
against the secret OpenSSL (pyca/cryptography) derives from the same pair, GetPublicKey and
DescribeKey listing KeyAgreementAlgorithms, and the errors of the key-state table. Through
boto3 and the aws CLI with the current KMS model (kms_current_model.py)."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from conftest import raises_code
from kms_current_model import aws_kms, kms_model_path, kmsc  # noqa: F401

# Key agreement is cryptography on one stored key: nothing here depends on the store.
pytestmark = pytest.mark.sqlite_only("ECDH and its errors do not depend on the store; key "
                                     "storage is covered by the other KMS tests on both stores")

CURVES = {"ECC_NIST_P256": ec.SECP256R1(), "ECC_NIST_P384": ec.SECP384R1(),
          "ECC_NIST_P521": ec.SECP521R1()}


def spki(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)


def test_derive_shared_secret_matches_openssl_on_every_curve(kmsc):
    kms = kmsc()
    for spec, curve in CURVES.items():
        meta = kms.create_key(KeySpec=spec, KeyUsage="KEY_AGREEMENT")["KeyMetadata"]
        assert meta["KeyUsage"] == "KEY_AGREEMENT"
        assert meta["KeyAgreementAlgorithms"] == ["ECDH"]
        assert "SigningAlgorithms" not in meta and "EncryptionAlgorithms" not in meta
        pub = kms.get_public_key(KeyId=meta["KeyId"])
        assert pub["KeyAgreementAlgorithms"] == ["ECDH"]
        assert pub["KeyUsage"] == "KEY_AGREEMENT" and pub["KeySpec"] == spec
        kms_pub = serialization.load_der_public_key(pub["PublicKey"])

        peer = ec.generate_private_key(curve)
        out = kms.derive_shared_secret(KeyId=meta["KeyId"], KeyAgreementAlgorithm="ECDH",
                                       PublicKey=spki(peer.public_key()))
        assert out["KeyId"] == meta["Arn"]
        assert out["KeyAgreementAlgorithm"] == "ECDH" and out["KeyOrigin"] == "AWS_KMS"
        # The peer's side, computed by OpenSSL from the KMS public key.
        assert out["SharedSecret"] == peer.exchange(ec.ECDH(), kms_pub)


def test_key_agreement_errors(kmsc):
    kms = kmsc()
    kid = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]["KeyId"]
    other_curve = spki(ec.generate_private_key(ec.SECP384R1()).public_key())
    with raises_code("ValidationException"):
        kms.derive_shared_secret(KeyId=kid, KeyAgreementAlgorithm="ECDH", PublicKey=other_curve)
    with raises_code("ValidationException"):
        kms.derive_shared_secret(KeyId=kid, KeyAgreementAlgorithm="ECDH", PublicKey=b"not der")
    # Usage and spec pairs AWS refuses.
    with raises_code("ValidationException"):
        kms.create_key(KeySpec="ECC_SECG_P256K1", KeyUsage="KEY_AGREEMENT")
    with raises_code("ValidationException"):
        kms.create_key(KeySpec="RSA_2048", KeyUsage="KEY_AGREEMENT")
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    peer = spki(ec.generate_private_key(ec.SECP256R1()).public_key())
    with raises_code("InvalidKeyUsageException") as ei:
        kms.derive_shared_secret(KeyId=signing["KeyId"], KeyAgreementAlgorithm="ECDH",
                                 PublicKey=peer)
    assert ei.value.response["Error"]["Message"] == \
        f"{signing['Arn']} key usage is SIGN_VERIFY which is not valid for DeriveSharedSecret."
    with raises_code("InvalidKeyUsageException"):
        kms.sign(KeyId=kid, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    with raises_code("DryRunOperationException"):
        kms.derive_shared_secret(KeyId=kid, KeyAgreementAlgorithm="ECDH", PublicKey=peer,
                                 DryRun=True)
    kms.disable_key(KeyId=kid)
    with raises_code("DisabledException"):
        kms.derive_shared_secret(KeyId=kid, KeyAgreementAlgorithm="ECDH", PublicKey=peer)
    kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)
    with raises_code("KMSInvalidStateException"):
        kms.derive_shared_secret(KeyId=kid, KeyAgreementAlgorithm="ECDH", PublicKey=peer)


def test_derive_shared_secret_through_the_aws_cli(aws_kms):
    _, out, _ = aws_kms("create-key", "--key-spec", "ECC_NIST_P384", "--key-usage", "KEY_AGREEMENT")
    kid = out["KeyMetadata"]["KeyId"]
    _, pub, _ = aws_kms("get-public-key", "--key-id", kid)
    kms_pub = serialization.load_der_public_key(base64.b64decode(pub["PublicKey"]))
    peer = ec.generate_private_key(ec.SECP384R1())
    (aws_kms.tmp / "peer.der").write_bytes(spki(peer.public_key()))
    _, out, _ = aws_kms("derive-shared-secret", "--key-id", kid, "--key-agreement-algorithm", "ECDH",
                        "--public-key", "fileb://peer.der")
    assert base64.b64decode(out["SharedSecret"]) == peer.exchange(ec.ECDH(), kms_pub)
