"""KMS multi-Region keys: CreateKey MultiRegion=true (mrk- ids), ReplicateKey to another region
of the same server (same key material; its own description, policy and tags),
MultiRegionConfiguration on primary and replicas, ciphertext made in us-east-1 decrypted by the
replica in eu-west-1, UpdatePrimaryRegion, rotation shared with replicas, and deletion of a
primary that still has replicas (PendingReplicaDeletion, as AWS does), and multi-Region keys
with imported key material (each region imports the same material itself). Through boto3 and
the aws CLI with the current KMS model (kms_current_model.py)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os

import pytest

from conftest import raises_code
from kms_current_model import aws_kms, kms_model_path, kmsc  # noqa: F401
from test_kms_byok import import_material


def test_replicate_decrypt_across_regions_and_update_primary(kmsc):
    east, west = kmsc("us-east-1"), kmsc("eu-west-1")
    meta = east.create_key(MultiRegion=True, Description="primary",
                           Tags=[{"TagKey": "team", "TagValue": "east"}])["KeyMetadata"]
    kid, arn = meta["KeyId"], meta["Arn"]
    assert kid.startswith("mrk-") and len(kid) == 36
    assert meta["MultiRegion"] is True
    assert meta["MultiRegionConfiguration"] == {
        "MultiRegionKeyType": "PRIMARY", "PrimaryKey": {"Arn": arn, "Region": "us-east-1"},
        "ReplicaKeys": []}
    ct = east.encrypt(KeyId=kid, Plaintext=b"across regions",
                      EncryptionContext={"app": "x"})["CiphertextBlob"]

    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "kms:*", "Resource": "*"}]})
    out = east.replicate_key(KeyId=kid, ReplicaRegion="eu-west-1", Description="replica",
                             Policy=policy, Tags=[{"TagKey": "team", "TagValue": "west"}])
    rmeta = out["ReplicaKeyMetadata"]
    west_arn = arn.replace("us-east-1", "eu-west-1")
    assert rmeta["KeyId"] == kid and rmeta["Arn"] == west_arn
    assert rmeta["Description"] == "replica"
    assert rmeta["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    assert rmeta["MultiRegionConfiguration"]["PrimaryKey"] == {"Arn": arn, "Region": "us-east-1"}
    assert out["ReplicaPolicy"] == policy
    assert out["ReplicaTags"] == [{"TagKey": "team", "TagValue": "west"}]

    # The same key material: a ciphertext from us-east-1 decrypts in eu-west-1, and back.
    dec = west.decrypt(CiphertextBlob=ct, EncryptionContext={"app": "x"})
    assert dec["Plaintext"] == b"across regions" and dec["KeyId"] == west_arn
    back = west.encrypt(KeyId=kid, Plaintext=b"from the west")["CiphertextBlob"]
    assert east.decrypt(CiphertextBlob=back)["Plaintext"] == b"from the west"

    # Description, tags and enabled state are each region's own.
    assert east.describe_key(KeyId=kid)["KeyMetadata"]["Description"] == "primary"
    assert east.list_resource_tags(KeyId=kid)["Tags"] == [{"TagKey": "team", "TagValue": "east"}]
    west.disable_key(KeyId=kid)
    assert east.encrypt(KeyId=kid, Plaintext=b"still")["KeyId"] == arn
    west.enable_key(KeyId=kid)
    pconf = east.describe_key(KeyId=kid)["KeyMetadata"]["MultiRegionConfiguration"]
    assert pconf["ReplicaKeys"] == [{"Arn": west_arn, "Region": "eu-west-1"}]

    # Errors: a second replica in that region, a replica of a replica, a single-Region key.
    with raises_code("AlreadyExistsException"):
        east.replicate_key(KeyId=kid, ReplicaRegion="eu-west-1")
    with raises_code("UnsupportedOperationException"):
        west.replicate_key(KeyId=kid, ReplicaRegion="ap-south-1")
    with raises_code("ValidationException"):
        east.replicate_key(KeyId=kid, ReplicaRegion="us-east-1")
    single = east.create_key()["KeyMetadata"]["KeyId"]
    with raises_code("UnsupportedOperationException"):
        east.replicate_key(KeyId=single, ReplicaRegion="eu-west-1")
    with raises_code("UnsupportedOperationException"):
        west.rotate_key_on_demand(KeyId=kid)

    # On-demand rotation of the primary reaches the replica (shared key material).
    east.rotate_key_on_demand(KeyId=kid)
    new_material = east.describe_key(KeyId=kid)["KeyMetadata"]["CurrentKeyMaterialId"]
    assert west.describe_key(KeyId=kid)["KeyMetadata"]["CurrentKeyMaterialId"] == new_material
    rotated = east.encrypt(KeyId=kid, Plaintext=b"rotated")["CiphertextBlob"]
    assert west.decrypt(CiphertextBlob=rotated)["Plaintext"] == b"rotated"

    # UpdatePrimaryRegion: eu-west-1 becomes the primary for both.
    with raises_code("NotFoundException"):
        east.update_primary_region(KeyId=kid, PrimaryRegion="ap-south-1")
    east.update_primary_region(KeyId=kid, PrimaryRegion="eu-west-1")
    wconf = west.describe_key(KeyId=kid)["KeyMetadata"]["MultiRegionConfiguration"]
    econf = east.describe_key(KeyId=kid)["KeyMetadata"]["MultiRegionConfiguration"]
    assert wconf["MultiRegionKeyType"] == "PRIMARY" and econf["MultiRegionKeyType"] == "REPLICA"
    assert econf["PrimaryKey"] == {"Arn": west_arn, "Region": "eu-west-1"}
    assert wconf["ReplicaKeys"] == [{"Arn": arn, "Region": "us-east-1"}]
    with raises_code("UnsupportedOperationException"):
        east.update_primary_region(KeyId=kid, PrimaryRegion="us-east-1")


def test_primary_with_replicas_waits_for_their_deletion(kmsc):
    east, west = kmsc("us-east-1"), kmsc("eu-west-1")
    kid = east.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    east.replicate_key(KeyId=kid, ReplicaRegion="eu-west-1")
    out = east.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)
    assert out["KeyState"] == "PendingReplicaDeletion"
    assert "DeletionDate" not in out and out["PendingWindowInDays"] == 7
    meta = east.describe_key(KeyId=kid)["KeyMetadata"]
    assert meta["KeyState"] == "PendingReplicaDeletion"
    assert meta["PendingDeletionWindowInDays"] == 7 and "DeletionDate" not in meta
    with raises_code("KMSInvalidStateException"):
        east.encrypt(KeyId=kid, Plaintext=b"x")
    with raises_code("KMSInvalidStateException"):
        east.replicate_key(KeyId=kid, ReplicaRegion="ap-south-1")
    # The replica is unaffected and can itself be scheduled for deletion.
    assert west.encrypt(KeyId=kid, Plaintext=b"x")["KeyId"].endswith(kid)
    assert east.cancel_key_deletion(KeyId=kid)["KeyId"].endswith(kid)
    assert east.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "Disabled"
    rep = west.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)
    assert rep["KeyState"] == "PendingDeletion" and "DeletionDate" in rep


@pytest.mark.sqlite_only("the aws CLI's requests and answers do not depend on the store; the "
                         "boto3 tests of this module cover both stores")
def test_multi_region_through_the_aws_cli(aws_kms):
    _, out, _ = aws_kms("create-key", "--multi-region", "--description", "cli primary")
    kid = out["KeyMetadata"]["KeyId"]
    _, out, _ = aws_kms("encrypt", "--key-id", kid, "--plaintext",
                        base64.b64encode(b"cli across regions").decode())
    (aws_kms.tmp / "ct.bin").write_bytes(base64.b64decode(out["CiphertextBlob"]))
    _, out, _ = aws_kms("replicate-key", "--key-id", kid, "--replica-region", "eu-west-1",
                        "--description", "cli replica")
    assert out["ReplicaKeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    _, out, _ = aws_kms("decrypt", "--ciphertext-blob", "fileb://ct.bin", region="eu-west-1")
    assert base64.b64decode(out["Plaintext"]) == b"cli across regions"
    assert ":eu-west-1:" in out["KeyId"]


def test_multi_region_key_with_imported_material(kmsc, tmp_path):
    east, west = kmsc("us-east-1"), kmsc("eu-west-1")
    meta = east.create_key(Origin="EXTERNAL", MultiRegion=True)["KeyMetadata"]
    kid, arn = meta["KeyId"], meta["Arn"]
    west_arn = arn.replace("us-east-1", "eu-west-1")
    assert kid.startswith("mrk-") and meta["KeyState"] == "PendingImport"
    material = os.urandom(32)
    first = import_material(east, kid, material, tmp_path)["KeyMaterialId"]
    ct = east.encrypt(KeyId=kid, Plaintext=b"byok across regions")["CiphertextBlob"]

    # The replica has the primary's origin but none of its material.
    rmeta = east.replicate_key(KeyId=kid, ReplicaRegion="eu-west-1")["ReplicaKeyMetadata"]
    assert rmeta["Arn"] == west_arn and rmeta["Origin"] == "EXTERNAL"
    # ReplicateKey answers the transient Creating state (AWS); it settles as PendingImport.
    assert rmeta["KeyState"] == "Creating" and rmeta["Enabled"] is False
    assert west.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "PendingImport"
    with raises_code("KMSInvalidStateException") as ei:
        west.decrypt(CiphertextBlob=ct)
    assert ei.value.response["Error"]["Message"] == f"{west_arn} is pending import."

    # Only the primary's material imports; new material goes into the primary first.
    with raises_code("IncorrectKeyMaterialException") as ei:
        import_material(west, kid, os.urandom(32), tmp_path)
    assert ei.value.response["Error"]["Message"] == (
        "The key material in the request is, expired, invalid, or is not the same key material "
        "that was previously imported into this KMS key.")
    with raises_code("UnsupportedOperationException"):
        import_material(west, kid, os.urandom(32), tmp_path, ImportType="NEW_KEY_MATERIAL")
    valid_to = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30)
    out = import_material(west, kid, material, tmp_path, algorithm="RSA_AES_KEY_WRAP_SHA_256",
                          ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=valid_to)
    assert out["KeyMaterialId"] == first
    assert west.decrypt(CiphertextBlob=ct)["Plaintext"] == b"byok across regions"
    back = west.encrypt(KeyId=kid, Plaintext=b"from the west")["CiphertextBlob"]
    assert east.decrypt(CiphertextBlob=back)["Plaintext"] == b"from the west"
    # Expiration is each region's own.
    assert west.describe_key(KeyId=kid)["KeyMetadata"]["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    assert east.describe_key(KeyId=kid)["KeyMetadata"]["ExpirationModel"] == \
        "KEY_MATERIAL_DOES_NOT_EXPIRE"

    # Deleting one region's material leaves the other's usable (and back).
    west.delete_imported_key_material(KeyId=kid)
    assert west.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "PendingImport"
    assert east.decrypt(CiphertextBlob=back)["Plaintext"] == b"from the west"
    import_material(west, kid, material, tmp_path)
    east.delete_imported_key_material(KeyId=kid)
    assert west.decrypt(CiphertextBlob=ct)["Plaintext"] == b"byok across regions"
    import_material(east, kid, material, tmp_path)

    # On-demand rotation (AWS: new material into the primary, the same into every replica,
    # then RotateKeyOnDemand on the primary).
    new = os.urandom(32)
    second = import_material(east, kid, new, tmp_path,
                             ImportType="NEW_KEY_MATERIAL")["KeyMaterialId"]

    def pending_state():
        rows = east.list_key_rotations(KeyId=kid, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
        return [r["KeyMaterialState"] for r in rows if r["KeyMaterialId"] == second]

    assert pending_state() == ["PENDING_MULTI_REGION_IMPORT_AND_ROTATION"]
    with raises_code("KMSInvalidStateException"):
        east.rotate_key_on_demand(KeyId=kid)
    import_material(west, kid, new, tmp_path)
    assert pending_state() == ["PENDING_ROTATION"]
    east.rotate_key_on_demand(KeyId=kid)
    for kms in (east, west):
        assert kms.describe_key(KeyId=kid)["KeyMetadata"]["CurrentKeyMaterialId"] == second
    rotated = east.encrypt(KeyId=kid, Plaintext=b"rotated")["CiphertextBlob"]
    assert west.decrypt(CiphertextBlob=rotated)["Plaintext"] == b"rotated"
    assert west.decrypt(CiphertextBlob=ct)["Plaintext"] == b"byok across regions"


def test_update_primary_region_needs_both_keys_enabled(kmsc):
    """AWS: 'Both the primary key and the replica key must be in the Enabled key state.'
    A disabled one is DisabledException (UpdatePrimaryRegion's errors in the model)."""
    kms = kmsc()
    primary = kms.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    kms.replicate_key(KeyId=primary, ReplicaRegion="us-west-2")
    west = kmsc("us-west-2")
    kms.disable_key(KeyId=primary)
    with raises_code("DisabledException"):
        kms.update_primary_region(KeyId=primary, PrimaryRegion="us-west-2")
    kms.enable_key(KeyId=primary)
    west.disable_key(KeyId=primary)
    with raises_code("DisabledException"):
        kms.update_primary_region(KeyId=primary, PrimaryRegion="us-west-2")
    west.enable_key(KeyId=primary)
    kms.update_primary_region(KeyId=primary, PrimaryRegion="us-west-2")
    assert west.describe_key(KeyId=primary)["KeyMetadata"]["MultiRegionConfiguration"][
        "MultiRegionKeyType"] == "PRIMARY"


def test_a_replica_answers_its_primarys_rotation_status(kmsc):
    """Automatic rotation is a shared property of multi-Region keys, set on the primary: a
    replica's GetKeyRotationStatus answers the primary's settings."""
    kms = kmsc()
    primary = kms.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    kms.replicate_key(KeyId=primary, ReplicaRegion="us-west-2")
    west = kmsc("us-west-2")
    assert west.get_key_rotation_status(KeyId=primary)["KeyRotationEnabled"] is False
    kms.enable_key_rotation(KeyId=primary, RotationPeriodInDays=90)
    mine, theirs = (c.get_key_rotation_status(KeyId=primary) for c in (kms, west))
    assert theirs["KeyRotationEnabled"] is True and theirs["RotationPeriodInDays"] == 90
    assert theirs["NextRotationDate"] == mine["NextRotationDate"]
