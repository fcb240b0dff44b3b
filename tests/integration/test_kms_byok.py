"""KMS imported key material (BYOK): CreateKey Origin=EXTERNAL, GetParametersForImport,
ImportKeyMaterial (material wrapped by the openssl command line, as AWS's guide shows),
re-import, expiry, DeleteImportedKeyMaterial, on-demand rotation of imported material, and
the key-state table's errors for EXTERNAL keys. Through boto3 and the aws CLI, both with the
current KMS model (kms_current_model.py)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import subprocess
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

from conftest import raises_code
from kms_current_model import aws_kms, kms_model_path, kmsc  # noqa: F401


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def wrap_with_openssl(tmp: Path, public_der: bytes, material: bytes, algorithm: str) -> bytes:
    """Encrypts key material for import with the openssl CLI, the way AWS's guide does."""
    (tmp / "WrappingPublicKey.bin").write_bytes(public_der)
    (tmp / "PlaintextKeyMaterial.bin").write_bytes(material)
    md = "sha256" if algorithm.endswith("SHA_256") else "sha1"
    oaep = ["-inkey", "WrappingPublicKey.bin", "-keyform", "DER", "-pubin",
            "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", f"rsa_oaep_md:{md}",
            "-pkeyopt", f"rsa_mgf1_md:{md}"]
    if algorithm.startswith("RSAES_OAEP"):
        openssl("pkeyutl", "-encrypt", "-in", "PlaintextKeyMaterial.bin",
                "-out", "EncryptedKeyMaterial.bin", *oaep, cwd=tmp)
    else:  # RSA_AES_KEY_WRAP_SHA_*
        openssl("rand", "-out", "aes-key.bin", "32", cwd=tmp)
        openssl("enc", "-id-aes256-wrap-pad", "-K", (tmp / "aes-key.bin").read_bytes().hex(),
                "-iv", "A65959A6", "-in", "PlaintextKeyMaterial.bin",
                "-out", "key-material-wrapped.bin", cwd=tmp)
        openssl("pkeyutl", "-encrypt", "-in", "aes-key.bin", "-out", "aes-key-wrapped.bin",
                *oaep, cwd=tmp)
        (tmp / "EncryptedKeyMaterial.bin").write_bytes(
            (tmp / "aes-key-wrapped.bin").read_bytes() + (tmp / "key-material-wrapped.bin").read_bytes())
    return (tmp / "EncryptedKeyMaterial.bin").read_bytes()


def import_material(kms, key_id, material, tmp, algorithm="RSAES_OAEP_SHA_256",
                    spec="RSA_2048", **extra):
    # Omitted, ExpirationModel is KEY_MATERIAL_EXPIRES and wants a ValidTo (AWS's default).
    if "ValidTo" not in extra:
        extra.setdefault("ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE")
    p = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm=algorithm,
                                      WrappingKeySpec=spec)
    blob = wrap_with_openssl(tmp, p["PublicKey"], material, algorithm)
    return kms.import_key_material(KeyId=key_id, ImportToken=p["ImportToken"],
                                   EncryptedKeyMaterial=blob, **extra)


def test_symmetric_byok_lifecycle_and_key_state_errors(kmsc, tmp_path):
    kms = kmsc()
    meta = kms.create_key(Origin="EXTERNAL", Description="byok")["KeyMetadata"]
    kid, arn = meta["KeyId"], meta["Arn"]
    assert meta["Origin"] == "EXTERNAL"
    assert meta["KeyState"] == "PendingImport" and meta["Enabled"] is False
    assert "CurrentKeyMaterialId" not in meta

    # PendingImport: the data plane and EnableKey answer KMSInvalidStateException.
    with raises_code("KMSInvalidStateException") as ei:
        kms.encrypt(KeyId=kid, Plaintext=b"x")
    assert ei.value.response["Error"]["Message"] == f"{arn} is pending import."
    with raises_code("KMSInvalidStateException"):
        kms.enable_key(KeyId=kid)
    with raises_code("KMSInvalidStateException"):
        kms.delete_imported_key_material(KeyId=kid)

    p = kms.get_parameters_for_import(KeyId=kid, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                      WrappingKeySpec="RSA_3072")
    assert p["KeyId"] == arn
    valid_for = p["ParametersValidTo"] - dt.datetime.now(dt.timezone.utc)
    assert dt.timedelta(hours=23, minutes=59) < valid_for <= dt.timedelta(hours=24)
    pub = serialization.load_der_public_key(p["PublicKey"])
    assert pub.key_size == 3072

    material = os.urandom(32)
    # Material that is not 32 bytes does not fit a symmetric key.
    with raises_code("IncorrectKeyMaterialException"):
        kms.import_key_material(KeyId=kid, ImportToken=p["ImportToken"],
                                EncryptedKeyMaterial=wrap_with_openssl(
                                    tmp_path, p["PublicKey"], os.urandom(16), "RSAES_OAEP_SHA_256"),
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    # A token is bound to its key.
    other = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    blob = wrap_with_openssl(tmp_path, p["PublicKey"], material, "RSAES_OAEP_SHA_256")
    with raises_code("InvalidImportTokenException"):
        kms.import_key_material(KeyId=other, ImportToken=p["ImportToken"],
                                EncryptedKeyMaterial=blob,
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    with raises_code("ValidationException"):
        kms.import_key_material(KeyId=kid, ImportToken=p["ImportToken"], EncryptedKeyMaterial=blob,
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
                                ValidTo=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1))
    out = kms.import_key_material(KeyId=kid, ImportToken=p["ImportToken"],
                                  EncryptedKeyMaterial=blob,
                                  ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert out["KeyId"] == arn
    material_id = out["KeyMaterialId"]
    assert len(material_id) == 64

    meta = kms.describe_key(KeyId=kid)["KeyMetadata"]
    assert meta["KeyState"] == "Enabled" and meta["Enabled"] is True
    assert meta["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    assert meta["CurrentKeyMaterialId"] == material_id
    ct = kms.encrypt(KeyId=kid, Plaintext=b"bring your own key")["CiphertextBlob"]
    dec = kms.decrypt(CiphertextBlob=ct)
    assert dec["Plaintext"] == b"bring your own key"
    assert dec["KeyMaterialId"] == material_id

    # Delete the material: the key returns to PendingImport, its ciphertexts wait.
    out = kms.delete_imported_key_material(KeyId=kid)
    assert out["KeyMaterialId"] == material_id
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "PendingImport"
    with raises_code("KMSInvalidStateException"):
        kms.decrypt(CiphertextBlob=ct)

    # Other material is refused; the same material (new token, other algorithm) restores it.
    with raises_code("IncorrectKeyMaterialException") as ei:
        import_material(kms, kid, os.urandom(32), tmp_path,
                        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert "not the same key material that was previously imported" in \
        ei.value.response["Error"]["Message"]
    out = import_material(kms, kid, material, tmp_path, algorithm="RSA_AES_KEY_WRAP_SHA_256",
                          spec="RSA_2048", ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert out["KeyMaterialId"] == material_id
    assert kms.decrypt(CiphertextBlob=ct)["Plaintext"] == b"bring your own key"

    # Operations of imported material on an AWS_KMS key: AWS's words.
    native = kms.create_key()["KeyMetadata"]
    for call in (lambda: kms.get_parameters_for_import(KeyId=native["KeyId"],
                                                       WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                                       WrappingKeySpec="RSA_2048"),
                 lambda: kms.delete_imported_key_material(KeyId=native["KeyId"])):
        with raises_code("UnsupportedOperationException") as ei:
            call()
        assert ei.value.response["Error"]["Message"] == \
            f"{native['Arn']} origin is AWS_KMS which is not valid for this operation."
    with raises_code("UnsupportedOperationException"):
        kms.enable_key_rotation(KeyId=kid)

    # Pending deletion: no import parameters; cancelling goes back to Disabled.
    kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)
    with raises_code("KMSInvalidStateException"):
        kms.get_parameters_for_import(KeyId=kid, WrappingAlgorithm="RSAES_OAEP_SHA_1",
                                      WrappingKeySpec="RSA_2048")
    assert kms.cancel_key_deletion(KeyId=kid)["KeyId"] == arn
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "Disabled"


def test_imported_material_expires_and_reimport(kmsc, tmp_path):
    kms = kmsc()
    kid = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    material = os.urandom(32)
    p = kms.get_parameters_for_import(KeyId=kid, WrappingAlgorithm="RSAES_OAEP_SHA_1",
                                      WrappingKeySpec="RSA_2048")
    blob = wrap_with_openssl(tmp_path, p["PublicKey"], material, "RSAES_OAEP_SHA_1")
    valid_to = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=2)
    kms.import_key_material(KeyId=kid, ImportToken=p["ImportToken"], EncryptedKeyMaterial=blob,
                            ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=valid_to)
    meta = kms.describe_key(KeyId=kid)["KeyMetadata"]
    assert meta["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    assert abs((meta["ValidTo"] - valid_to).total_seconds()) < 1
    ct = kms.encrypt(KeyId=kid, Plaintext=b"short-lived")["CiphertextBlob"]
    time.sleep(max(0.0, (valid_to - dt.datetime.now(dt.timezone.utc)).total_seconds()) + 0.3)
    # Expired material is gone at once on every node (evaluated on read), not at the next job.
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "PendingImport"
    with raises_code("KMSInvalidStateException"):
        kms.decrypt(CiphertextBlob=ct)
    import_material(kms, kid, material, tmp_path,
                    ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert kms.decrypt(CiphertextBlob=ct)["Plaintext"] == b"short-lived"
    rotations = kms.list_key_rotations(KeyId=kid, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert [(r["KeyMaterialState"], r["ImportState"], r["ExpirationModel"]) for r in rotations] == \
        [("CURRENT", "IMPORTED", "KEY_MATERIAL_DOES_NOT_EXPIRE")]


def test_expiring_material_needs_valid_to(kmsc, tmp_path):
    """AWS (LocalStack's AWS-validated test_import_key_symmetric recording): KEY_MATERIAL_EXPIRES
    without ValidTo is a ValidationException whose text ends without a period, checked before
    the wrapped material is even looked at; the key stays PendingImport."""
    kms = kmsc()
    kid = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    p = kms.get_parameters_for_import(KeyId=kid, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                      WrappingKeySpec="RSA_2048")
    with pytest.raises(ClientError) as e:
        kms.import_key_material(KeyId=kid, ImportToken=p["ImportToken"],
                                EncryptedKeyMaterial=b"\0" * 256,
                                ExpirationModel="KEY_MATERIAL_EXPIRES")
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert e.value.response["Error"]["Message"] == \
        "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "PendingImport"


def test_on_demand_rotation_of_imported_material(kmsc, tmp_path):
    kms = kmsc()
    kid = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    first = import_material(kms, kid, os.urandom(32), tmp_path,
                            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")["KeyMaterialId"]
    old_ct = kms.encrypt(KeyId=kid, Plaintext=b"before")["CiphertextBlob"]
    with raises_code("KMSInvalidStateException"):
        kms.rotate_key_on_demand(KeyId=kid)  # nothing imported to rotate to
    second = import_material(kms, kid, os.urandom(32), tmp_path, ImportType="NEW_KEY_MATERIAL",
                             ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
                             KeyMaterialDescription="second")["KeyMaterialId"]
    assert second != first
    states = {r["KeyMaterialId"]: r["KeyMaterialState"] for r in kms.list_key_rotations(
        KeyId=kid, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]}
    assert states == {first: "CURRENT", second: "PENDING_ROTATION"}
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["CurrentKeyMaterialId"] == first
    kms.rotate_key_on_demand(KeyId=kid)
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["CurrentKeyMaterialId"] == second
    new_ct = kms.encrypt(KeyId=kid, Plaintext=b"after")
    assert kms.decrypt(CiphertextBlob=old_ct)["KeyMaterialId"] == first
    assert kms.decrypt(CiphertextBlob=new_ct["CiphertextBlob"])["KeyMaterialId"] == second
    rot = kms.list_key_rotations(KeyId=kid)["Rotations"]
    assert [(r["KeyMaterialId"], r["RotationType"], r["KeyMaterialDescription"]) for r in rot] == \
        [(second, "ON_DEMAND", "second")]
    # Deleting a non-current material makes the key unusable until it is imported again.
    kms.delete_imported_key_material(KeyId=kid, KeyMaterialId=first)
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "PendingImport"


@pytest.mark.parametrize("spec,usage", [("RSA_2048", "SIGN_VERIFY"), ("ECC_NIST_P256", "SIGN_VERIFY"),
                                        ("ECC_NIST_EDWARDS25519", "SIGN_VERIFY"),
                                        ("HMAC_256", "GENERATE_VERIFY_MAC")])
def test_asymmetric_and_hmac_import(kmsc, tmp_path, spec, usage):
    kms = kmsc()
    kid = kms.create_key(Origin="EXTERNAL", KeySpec=spec, KeyUsage=usage)["KeyMetadata"]["KeyId"]
    if spec == "HMAC_256":
        material = os.urandom(48)
    else:
        gen = (["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
               if spec.startswith("RSA") else ["genpkey", "-algorithm", "ED25519"]
               if spec == "ECC_NIST_EDWARDS25519" else
               ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"])
        openssl(*gen, "-out", "key.pem", cwd=tmp_path)
        openssl("pkcs8", "-topk8", "-nocrypt", "-in", "key.pem", "-outform", "DER",
                "-out", "key.der", cwd=tmp_path)
        material = (tmp_path / "key.der").read_bytes()
    # Material of another spec is refused.
    with raises_code("IncorrectKeyMaterialException"):
        import_material(kms, kid, os.urandom(8) if spec == "HMAC_256" else os.urandom(32),
                        tmp_path, algorithm="RSA_AES_KEY_WRAP_SHA_256",
                        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    import_material(kms, kid, material, tmp_path, algorithm="RSA_AES_KEY_WRAP_SHA_1",
                    spec="RSA_4096", ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    if spec == "HMAC_256":
        mac = kms.generate_mac(KeyId=kid, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
        assert mac == hmac.new(material, b"m", hashlib.sha256).digest()
        return
    # Signed by KMS with the imported private key, verified with the local copy.
    priv = serialization.load_der_private_key(material, None)
    alg = ("RSASSA_PKCS1_V1_5_SHA_256" if spec.startswith("RSA") else "ED25519_SHA_512"
           if spec == "ECC_NIST_EDWARDS25519" else "ECDSA_SHA_256")
    sig = kms.sign(KeyId=kid, Message=b"msg", SigningAlgorithm=alg)["Signature"]
    if spec.startswith("RSA"):
        priv.public_key().verify(sig, b"msg", padding.PKCS1v15(), hashes.SHA256())
    elif spec == "ECC_NIST_EDWARDS25519":
        priv.public_key().verify(sig, b"msg")
    else:
        priv.public_key().verify(sig, b"msg", ec.ECDSA(hashes.SHA256()))
    with raises_code("UnsupportedOperationException"):
        import_material(kms, kid, material, tmp_path, ImportType="NEW_KEY_MATERIAL",
                        algorithm="RSA_AES_KEY_WRAP_SHA_256",
                        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")


CLI_ONLY_WIRE = "the aws CLI's requests and answers do not depend on the store; the boto3 " \
    "tests of this module cover both stores"


@pytest.mark.sqlite_only(CLI_ONLY_WIRE)
def test_byok_through_the_aws_cli(aws_kms):
    tmp = aws_kms.tmp
    _, out, _ = aws_kms("create-key", "--origin", "EXTERNAL")
    kid = out["KeyMetadata"]["KeyId"]
    _, p, _ = aws_kms("get-parameters-for-import", "--key-id", kid,
                      "--wrapping-algorithm", "RSA_AES_KEY_WRAP_SHA_256",
                      "--wrapping-key-spec", "RSA_3072")
    (tmp / "ImportToken.bin").write_bytes(base64.b64decode(p["ImportToken"]))
    wrap_with_openssl(tmp, base64.b64decode(p["PublicKey"]), os.urandom(32),
                      "RSA_AES_KEY_WRAP_SHA_256")
    _, out, _ = aws_kms("import-key-material", "--key-id", kid,
                        "--encrypted-key-material", "fileb://EncryptedKeyMaterial.bin",
                        "--import-token", "fileb://ImportToken.bin",
                        "--expiration-model", "KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert len(out["KeyMaterialId"]) == 64
    _, out, _ = aws_kms("encrypt", "--key-id", kid, "--plaintext", "aGk=")
    assert out["KeyId"].endswith(kid)


def _wait_until(when: dt.datetime) -> None:
    time.sleep(max(0.0, (when - dt.datetime.now(dt.timezone.utc)).total_seconds()) + 0.3)


def test_material_that_expired_while_pending_deletion_stays_gone(kmsc, tmp_path):
    """A key whose imported material expired while it was pending deletion is PendingImport
    once the deletion is cancelled, whichever material expired (here an older one, not the
    current), and decrypts nothing with it: AWS deletes expired material; the key is usable
    again only once that material is imported again."""
    kms = kmsc()
    kid = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    first = os.urandom(32)
    # Room for the five calls before the expiry on a loaded machine (2 s was seen to pass
    # before the encrypt under a parallel build).
    valid_to = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=4)
    import_material(kms, kid, first, tmp_path, ExpirationModel="KEY_MATERIAL_EXPIRES",
                    ValidTo=valid_to)
    ct = kms.encrypt(KeyId=kid, Plaintext=b"under the first material")["CiphertextBlob"]
    import_material(kms, kid, os.urandom(32), tmp_path, ImportType="NEW_KEY_MATERIAL")
    kms.rotate_key_on_demand(KeyId=kid)
    kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)
    _wait_until(valid_to)
    kms.cancel_key_deletion(KeyId=kid)
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "PendingImport"
    with raises_code("KMSInvalidStateException"):
        kms.enable_key(KeyId=kid)
    with raises_code("KMSInvalidStateException"):
        kms.decrypt(CiphertextBlob=ct)


def test_new_key_material_expiring_before_its_rotation_leaves_the_key_usable(kmsc, tmp_path):
    """NEW_KEY_MATERIAL not yet rotated in 'is not permanently associated with the KMS key'
    (AWS): its expiry, like its deletion, leaves the key Enabled."""
    kms = kmsc()
    kid = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    import_material(kms, kid, os.urandom(32), tmp_path)
    valid_to = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=2)
    import_material(kms, kid, os.urandom(32), tmp_path, ImportType="NEW_KEY_MATERIAL",
                    ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=valid_to)
    _wait_until(valid_to)
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "Enabled"
    ct = kms.encrypt(KeyId=kid, Plaintext=b"still usable")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=ct)["Plaintext"] == b"still usable"


def test_imported_material_can_be_deleted_while_the_key_is_pending_deletion(kmsc, tmp_path):
    """DeleteImportedKeyMaterial: 'When the specified KMS key is in the PendingDeletion state,
    this operation does not change the KMS key's state' (API reference)."""
    kms = kmsc()
    kid = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    import_material(kms, kid, os.urandom(32), tmp_path)
    kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)
    kms.delete_imported_key_material(KeyId=kid)
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "PendingDeletion"


def test_an_imported_ec_key_must_be_one_key_pair(kmsc, tmp_path):
    """A PKCS#8 private key whose embedded public key belongs to another pair would publish a
    public key that verifies none of its signatures: IncorrectKeyMaterialException."""
    kms = kmsc()
    kid = kms.create_key(Origin="EXTERNAL", KeySpec="ECC_NIST_P256",
                         KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    mine, other = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    der = mine.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    other_point = other.public_key().public_bytes(serialization.Encoding.X962,
                                                  serialization.PublicFormat.UncompressedPoint)
    mine_point = mine.public_key().public_bytes(serialization.Encoding.X962,
                                                serialization.PublicFormat.UncompressedPoint)
    assert der.endswith(mine_point)
    mismatched = der[:-len(mine_point)] + other_point
    with raises_code("IncorrectKeyMaterialException"):
        import_material(kms, kid, mismatched, tmp_path, algorithm="RSA_AES_KEY_WRAP_SHA_256")
    import_material(kms, kid, der, tmp_path, algorithm="RSA_AES_KEY_WRAP_SHA_256")
    assert kms.get_public_key(KeyId=kid)["PublicKey"] == mine.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
