"""Secrets Manager on KMS: each secret version's data key comes from a KMS key (default
alias/aws/secretsmanager, created on first use), a disabled / pending-deletion key makes
reads fail with DecryptionFailure and writes with EncryptionFailure until it is enabled
again, a KmsKeyId naming no key is ResourceNotFoundException (spec 2.3), and everything
survives a restart. Also: a store written by the pre-KMS server stays readable."""

from __future__ import annotations

import base64
import os
import uuid
from pathlib import Path

import pytest

from conftest import ArcanaServer, plaintext_at_rest, raises_code
from kms_fixtures import kms, kms_client, kms_fresh  # noqa: F401


def test_default_key_created_on_first_use(kms):
    c, sm = kms(), kms.sm()
    assert not [k for k in c.list_keys()["Keys"]]
    sm.create_secret(Name="app/db", SecretString="s3cr3t")
    md = c.describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]
    assert md["KeyManager"] == "AWS"
    assert len(c.list_keys()["Keys"]) == 1
    assert sm.get_secret_value(SecretId="app/db")["SecretString"] == "s3cr3t"
    assert "KmsKeyId" not in sm.describe_secret(SecretId="app/db")
    # Regions are separate: the other region gets its own AWS-managed key.
    kms.sm("eu-west-1").create_secret(Name="app/db", SecretString="eu")
    other = kms("eu-west-1").describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]
    assert other["KeyId"] != md["KeyId"]


def test_customer_key_disable_enable(kms):
    c, sm = kms(), kms.sm()
    md = c.create_key()["KeyMetadata"]
    c.create_alias(AliasName="alias/secrets", TargetKeyId=md["KeyId"])
    sm.create_secret(Name="k/1", SecretString="v1", KmsKeyId="alias/secrets")
    sm.create_secret(Name="k/2", SecretBinary=b"\x00\x01", KmsKeyId=md["Arn"])
    assert sm.describe_secret(SecretId="k/1")["KmsKeyId"] == "alias/secrets"
    assert sm.get_secret_value(SecretId="k/2")["SecretBinary"] == b"\x00\x01"
    c.disable_key(KeyId=md["KeyId"])
    with raises_code("DecryptionFailure") as ei:
        sm.get_secret_value(SecretId="k/1")
    assert "disabled" in ei.value.response["Error"]["Message"]
    with raises_code("EncryptionFailure"):
        sm.put_secret_value(SecretId="k/1", SecretString="v2")
    c.enable_key(KeyId=md["KeyId"])
    assert sm.get_secret_value(SecretId="k/1")["SecretString"] == "v1"
    sm.put_secret_value(SecretId="k/1", SecretString="v2")
    assert sm.get_secret_value(SecretId="k/1")["SecretString"] == "v2"
    c.schedule_key_deletion(KeyId=md["KeyId"], PendingWindowInDays=7)
    with raises_code("DecryptionFailure"):
        sm.get_secret_value(SecretId="k/2")
    c.cancel_key_deletion(KeyId=md["KeyId"])
    c.enable_key(KeyId=md["KeyId"])
    assert sm.get_secret_value(SecretId="k/2")["SecretBinary"] == b"\x00\x01"


def test_missing_kms_key_is_resource_not_found(kms):
    sm = kms.sm()
    with raises_code("ResourceNotFoundException"):
        sm.create_secret(Name="nokey", SecretString="x", KmsKeyId=str(uuid.uuid4()))
    with raises_code("ResourceNotFoundException"):
        sm.create_secret(Name="nokey", SecretString="x", KmsKeyId="alias/does-not-exist")
    sm.create_secret(Name="nokey", SecretString="x")
    with raises_code("ResourceNotFoundException"):
        sm.update_secret(SecretId="nokey", KmsKeyId="alias/does-not-exist")


def test_update_secret_kms_key_reencrypts(kms):
    c, sm = kms(), kms.sm()
    k1 = c.create_key()["KeyMetadata"]["KeyId"]
    k2 = c.create_key()["KeyMetadata"]["KeyId"]
    sm.create_secret(Name="move", SecretString="one", KmsKeyId=k1)
    sm.put_secret_value(SecretId="move", SecretString="two")
    sm.update_secret(SecretId="move", KmsKeyId=k2)
    # The old key is no longer needed for the current and previous versions.
    c.disable_key(KeyId=k1)
    assert sm.get_secret_value(SecretId="move")["SecretString"] == "two"
    assert sm.get_secret_value(SecretId="move", VersionStage="AWSPREVIOUS")["SecretString"] == "one"
    c.disable_key(KeyId=k2)
    with raises_code("DecryptionFailure"):
        sm.get_secret_value(SecretId="move")


def test_restart_keeps_keys_aliases_and_secrets(kms_fresh):
    c, sm = kms_fresh.kms(), kms_fresh.sm()
    sym = c.create_key(Description="persist", Tags=[{"TagKey": "a", "TagValue": "b"}])["KeyMetadata"]
    c.create_alias(AliasName="alias/persist", TargetKeyId=sym["KeyId"])
    c.enable_key_rotation(KeyId=sym["KeyId"])
    ct = c.encrypt(KeyId="alias/persist", Plaintext=b"durable", EncryptionContext={"c": "d"})["CiphertextBlob"]
    sig_key = c.create_key(KeySpec="ECC_NIST_P384", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    sig = c.sign(KeyId=sig_key, Message=b"m", SigningAlgorithm="ECDSA_SHA_384")["Signature"]
    pub = c.get_public_key(KeyId=sig_key)["PublicKey"]
    mac_key = c.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    mac = c.generate_mac(KeyId=mac_key, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    grant = c.create_grant(KeyId=sym["KeyId"], GranteePrincipal="arn:aws:iam::123456789012:role/p",
                           Operations=["Decrypt"])["GrantId"]
    sm.create_secret(Name="durable", SecretString="still here")
    sm.create_secret(Name="durable2", SecretString="custom", KmsKeyId="alias/persist")
    kms_fresh.restart()
    c, sm = kms_fresh.kms(), kms_fresh.sm()
    d = c.describe_key(KeyId="alias/persist")["KeyMetadata"]
    assert d["Description"] == "persist" and d["KeyId"] == sym["KeyId"]
    assert c.decrypt(CiphertextBlob=ct, EncryptionContext={"c": "d"})["Plaintext"] == b"durable"
    assert c.get_key_rotation_status(KeyId=sym["KeyId"])["KeyRotationEnabled"] is True
    assert c.list_resource_tags(KeyId=sym["KeyId"])["Tags"] == [{"TagKey": "a", "TagValue": "b"}]
    assert c.get_public_key(KeyId=sig_key)["PublicKey"] == pub
    assert c.verify(KeyId=sig_key, Message=b"m", Signature=sig, SigningAlgorithm="ECDSA_SHA_384")["SignatureValid"]
    assert c.verify_mac(KeyId=mac_key, Message=b"m", MacAlgorithm="HMAC_SHA_256", Mac=mac)["MacValid"]
    assert [g["GrantId"] for g in c.list_grants(KeyId=sym["KeyId"])["Grants"]] == [grant]
    assert sm.get_secret_value(SecretId="durable")["SecretString"] == "still here"
    assert sm.get_secret_value(SecretId="durable2")["SecretString"] == "custom"


def test_no_key_material_or_plaintext_on_disk(kms_fresh):
    c, sm = kms_fresh.kms(), kms_fresh.sm()
    marker = "kms-plaintext-marker-" + uuid.uuid4().hex
    kid = c.create_key()["KeyMetadata"]["KeyId"]
    c.encrypt(KeyId=kid, Plaintext=marker.encode())
    sm.create_secret(Name="disk", SecretString=marker, KmsKeyId=kid)
    dk = c.generate_data_key(KeyId=kid, KeySpec="AES_256")["Plaintext"]
    kms_fresh.stop()
    hits = plaintext_at_rest(kms_fresh.data_dir, [marker.encode(), dk])
    assert not hits, f"key material or plaintext at rest: {hits}"
    kms_fresh.start()


PRE_KMS = os.environ.get("ARCANAD_PRE_KMS")


@pytest.mark.sqlite_only("a pre-KMS arcanad only had the SQLite store to upgrade from")
@pytest.mark.skipif(not PRE_KMS, reason="set ARCANAD_PRE_KMS to an arcanad built before KMS")
def test_store_from_before_kms_stays_readable(tmp_path):
    old = ArcanaServer(tmp_path / "data", tmp_path / "logs-old", dev=True)
    import conftest
    saved = conftest.ARCANAD
    conftest.ARCANAD = Path(PRE_KMS)
    try:
        old.start()
        sm = kms_client(old.endpoint, service="secretsmanager")
        sm.create_secret(Name="legacy/plain", SecretString="from before kms")
        sm.create_secret(Name="legacy/bin", SecretBinary=b"\x01\x02")
        sm.put_secret_value(SecretId="legacy/plain", SecretString="second")
        old.stop()
    finally:
        conftest.ARCANAD = saved
    new = ArcanaServer(tmp_path / "data", tmp_path / "logs-new", dev=True)
    new.start()
    try:
        sm = kms_client(new.endpoint, service="secretsmanager")
        assert sm.get_secret_value(SecretId="legacy/plain")["SecretString"] == "second"
        assert sm.get_secret_value(SecretId="legacy/plain", VersionStage="AWSPREVIOUS")["SecretString"] == "from before kms"
        assert sm.get_secret_value(SecretId="legacy/bin")["SecretBinary"] == b"\x01\x02"
        # New versions go to KMS; old ones stay readable.
        sm.put_secret_value(SecretId="legacy/plain", SecretString="third")
        assert sm.get_secret_value(SecretId="legacy/plain")["SecretString"] == "third"
        assert sm.get_secret_value(SecretId="legacy/plain", VersionStage="AWSPREVIOUS")["SecretString"] == "second"
        kid = kms_client(new.endpoint).describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]["KeyId"]
        assert kid
    finally:
        new.stop()
