"""KMS answers as real AWS recorded them.

Each test replays a scenario of LocalStack's AWS-validated KMS snapshot suite
(tests/aws/services/kms/test_kms.py, its test_kms.snapshot.json recorded against AWS and
test_kms.validation.json naming the validated tests) and asserts what AWS answered: error
codes, messages (or their absence), statuses and response members. Where the recording is of
LocalStack's skip_snapshot_verify paths, the snapshot still holds AWS's answer. Where a test
leans on AWS's API reference as well, it says so.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from conftest import raises_code
from kms_current_model import kmsc, kms_model_path  # noqa: F401
from kms_fixtures import kms_raw  # noqa: F401

ACCOUNT = "123456789012"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def wrapped_material(kms, key_id: str, material: bytes) -> dict:
    """An ImportToken and the material wrapped for it (RSAES_OAEP_SHA_256, RSA_2048)."""
    p = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                      WrappingKeySpec="RSA_2048")
    pub = serialization.load_der_public_key(p["PublicKey"])
    blob = pub.encrypt(material, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()),
                                              algorithm=hashes.SHA256(), label=None))
    return {"ImportToken": p["ImportToken"], "EncryptedKeyMaterial": blob}


def test_import_without_expiration_model_is_expiring_and_wants_valid_to(kmsc):
    """test_import_key_symmetric ("import-expiring-key-without-valid-to"): ImportKeyMaterial
    with neither ExpirationModel nor ValidTo is ValidationException "A validTo date must be
    set if the ExpirationModel is KEY_MATERIAL_EXPIRES" - the API reference: "The default is
    KEY_MATERIAL_EXPIRES". Nothing is imported; KEY_MATERIAL_DOES_NOT_EXPIRE then imports."""
    kms = kmsc()
    kid = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    material = os.urandom(32)
    with raises_code("ValidationException") as ei:
        kms.import_key_material(KeyId=kid, **wrapped_material(kms, kid, material))
    assert ei.value.response["Error"]["Message"] == \
        "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES"
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    meta = kms.describe_key(KeyId=kid)["KeyMetadata"]
    assert meta["KeyState"] == "PendingImport" and meta["Enabled"] is False
    # A ValidTo alone is the default model with its date.
    valid_to = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)
    kms.import_key_material(KeyId=kid, ValidTo=valid_to, **wrapped_material(kms, kid, material))
    meta = kms.describe_key(KeyId=kid)["KeyMetadata"]
    assert meta["KeyState"] == "Enabled" and meta["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"


def test_second_new_key_material_while_one_is_pending_is_refused(kmsc):
    """test_import_key_material_raises_if_there_is_already_key_material_pending (validated
    2025-11): with material already pending rotation, importing other NEW_KEY_MATERIAL raises
    (the recording's code and text are not public; Arcana answers KMSInvalidStateException).
    The developer guide: material pending rotation can be deleted and other material imported
    in its place."""
    kms = kmsc()
    kid = kms.create_key(Origin="EXTERNAL", Description="test-key")["KeyMetadata"]["KeyId"]
    first = kms.import_key_material(KeyId=kid, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
                                    **wrapped_material(kms, kid, os.urandom(32)))
    assert set(first) - {"ResponseMetadata"} == {"KeyId", "KeyMaterialId"}
    pending = kms.import_key_material(KeyId=kid, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
                                      ImportType="NEW_KEY_MATERIAL",
                                      **wrapped_material(kms, kid, os.urandom(32)))
    with raises_code("KMSInvalidStateException"):
        kms.import_key_material(KeyId=kid, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
                                ImportType="NEW_KEY_MATERIAL",
                                **wrapped_material(kms, kid, os.urandom(32)))
    states = {r["KeyMaterialId"]: r["KeyMaterialState"] for r in kms.list_key_rotations(
        KeyId=kid, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]}
    assert states == {first["KeyMaterialId"]: "CURRENT", pending["KeyMaterialId"]: "PENDING_ROTATION"}
    kms.delete_imported_key_material(KeyId=kid, KeyMaterialId=pending["KeyMaterialId"])
    other = kms.import_key_material(KeyId=kid, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
                                    ImportType="NEW_KEY_MATERIAL",
                                    **wrapped_material(kms, kid, os.urandom(32)))
    assert other["KeyMaterialId"] not in (first["KeyMaterialId"], pending["KeyMaterialId"])


def test_rotate_key_on_demand_of_imported_material(kmsc):
    """test_rotate_key_on_demand_updates_current_key_material_for_external_keys (validated
    2025-11): RotateKeyOnDemand answers the key ARN; CurrentKeyMaterialId moves to the new
    material, and both ciphertexts decrypt."""
    kms = kmsc()
    meta = kms.create_key(Origin="EXTERNAL", Description="test-key")["KeyMetadata"]
    kid = meta["KeyId"]
    kms.import_key_material(KeyId=kid, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
                            **wrapped_material(kms, kid, os.urandom(32)))
    first = kms.describe_key(KeyId=kid)["KeyMetadata"]["CurrentKeyMaterialId"]
    old_ct = kms.encrypt(KeyId=kid, Plaintext=b"Hello World!1/?")["CiphertextBlob"]
    new = kms.import_key_material(KeyId=kid, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
                                  ImportType="NEW_KEY_MATERIAL",
                                  **wrapped_material(kms, kid, os.urandom(32)))["KeyMaterialId"]
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["CurrentKeyMaterialId"] == first
    r = kms.rotate_key_on_demand(KeyId=kid)
    assert r["KeyId"] == meta["Arn"]
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["CurrentKeyMaterialId"] == new
    new_ct = kms.encrypt(KeyId=kid, Plaintext=b"Hello World!1/?")["CiphertextBlob"]
    assert new_ct != old_ct
    for ct in (old_ct, new_ct):
        assert kms.decrypt(KeyId=kid, CiphertextBlob=ct)["Plaintext"] == b"Hello World!1/?"


def test_rotate_key_on_demand_answers_arn_and_keeps_the_schedule(kmsc):
    """test_rotate_on_demand_returns_arn_for_key_id: KeyId is the key ARN.
    test_rotate_key_on_demand_with_symmetric_key_and_automatic_rotation_enabled: the
    NextRotationDate stays as it was (the API reference: on-demand rotations do not change
    the automatic rotation schedule); the status after it is KeyId, KeyRotationEnabled true,
    NextRotationDate and RotationPeriodInDays 365. ..._disabled: only KeyId and
    KeyRotationEnabled false."""
    kms = kmsc()
    meta = kms.create_key()["KeyMetadata"]
    kid, arn = meta["KeyId"], meta["Arn"]
    r = kms.rotate_key_on_demand(KeyId=kid)
    assert {k: v for k, v in r.items() if k != "ResponseMetadata"} == {"KeyId": arn}
    st = kms.get_key_rotation_status(KeyId=kid)
    assert {k: v for k, v in st.items() if k != "ResponseMetadata"} == \
        {"KeyId": arn, "KeyRotationEnabled": False}

    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=kid)
    before = kms.get_key_rotation_status(KeyId=kid)
    kms.rotate_key_on_demand(KeyId=kid)
    after = kms.get_key_rotation_status(KeyId=kid)
    assert after["NextRotationDate"] == before["NextRotationDate"]
    assert set(after) - {"ResponseMetadata"} == {"KeyId", "KeyRotationEnabled", "NextRotationDate",
                                                 "RotationPeriodInDays"}
    assert after["KeyRotationEnabled"] is True and after["RotationPeriodInDays"] == 365


def test_on_demand_rotation_limit_in_aws_words(kmsc, kms_raw):
    """test_key_rotations_limits: past the limit (25 in the API reference), LimitExceeded
    Exception "The on-demand rotations limit has been reached for the given keyId. No more
    on-demand rotations can be performed for this key: <key ARN>" (message and Message)."""
    kms = kmsc()
    meta = kms.create_key()["KeyMetadata"]
    for _ in range(25):
        kms.rotate_key_on_demand(KeyId=meta["KeyId"])
    r = kms_raw("RotateKeyOnDemand", {"KeyId": meta["KeyId"]})
    assert r.status_code == 400
    body = r.json()
    assert body["__type"] == "LimitExceededException"
    assert body["message"] == (
        "The on-demand rotations limit has been reached for the given keyId. No more on-demand "
        "rotations can be performed for this key: " + meta["Arn"])


def test_rotate_key_on_demand_refusals(kmsc, kms_raw):
    """test_rotate_key_on_demand_raises_error_given_non_symmetric_key: UnsupportedOperation
    Exception with no message at all. ..._given_key_is_disabled: a disabled RSA key is
    DisabledException "<key ARN> is disabled." (the state is checked first).
    ..._given_key_that_does_not_exist: NotFoundException "Key '<key ARN>' does not exist"."""
    kms = kmsc()
    rsa = kms.create_key(KeyUsage="ENCRYPT_DECRYPT", KeySpec="RSA_4096")["KeyMetadata"]
    r = kms_raw("RotateKeyOnDemand", {"KeyId": rsa["KeyId"]})
    assert r.status_code == 400
    assert r.json() == {"__type": "UnsupportedOperationException"}
    kms.disable_key(KeyId=rsa["KeyId"])
    with raises_code("DisabledException") as ei:
        kms.rotate_key_on_demand(KeyId=rsa["KeyId"])
    assert ei.value.response["Error"]["Message"] == f"{rsa['Arn']} is disabled."
    missing = "1234abcd-12ab-34cd-56ef-1234567890ab"
    with raises_code("NotFoundException") as ei:
        kms.rotate_key_on_demand(KeyId=missing)
    assert ei.value.response["Error"]["Message"] == \
        f"Key 'arn:aws:kms:us-east-1:{ACCOUNT}:key/{missing}' does not exist"


def test_replicate_key_answer(kmsc):
    """test_replicate_key ("replicate-key"): ReplicaKeyMetadata in the transient Creating
    state (Enabled false, Description "" when none is given) - the API reference: "the new
    replica key has a transient key state of Creating" - with the default ReplicaPolicy and no
    ReplicaTags member for an untagged key; DescribeKey in the replica's region then answers
    it Enabled. test_replicate_replica_key_should_fail: ReplicateKey of a replica is
    UnsupportedOperationException "<replica ARN> is not a multi-region primary key."."""
    east, west = kmsc("us-east-1"), kmsc("ap-southeast-1")
    kid = east.create_key(MultiRegion=True, Description="test replicated key")["KeyMetadata"]["KeyId"]
    west_arn = f"arn:aws:kms:ap-southeast-1:{ACCOUNT}:key/{kid}"
    with raises_code("NotFoundException") as ei:
        west.describe_key(KeyId=kid)
    assert ei.value.response["Error"]["Message"] == f"Key '{west_arn}' does not exist"
    r = east.replicate_key(KeyId=kid, ReplicaRegion="ap-southeast-1")
    assert set(r) - {"ResponseMetadata"} == {"ReplicaKeyMetadata", "ReplicaPolicy"}
    rmeta = r["ReplicaKeyMetadata"]
    assert (rmeta["KeyState"], rmeta["Enabled"], rmeta["Description"]) == ("Creating", False, "")
    assert rmeta["Arn"] == west_arn and rmeta["MultiRegion"] is True
    assert rmeta["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    assert json.loads(r["ReplicaPolicy"]) == {
        "Version": "2012-10-17", "Id": "key-default-1", "Statement": [{
            "Sid": "Enable IAM User Permissions", "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*",
            "Resource": "*"}]}
    meta = west.describe_key(KeyId=kid)["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"]) == ("Enabled", True)
    with raises_code("UnsupportedOperationException") as ei:
        west.replicate_key(KeyId=kid, ReplicaRegion="ap-southeast-1")
    assert ei.value.response["Error"]["Message"] == f"{west_arn} is not a multi-region primary key."


def test_key_agreement_key_spec_and_public_key_errors(kmsc, kms_raw):
    """test_derive_shared_secret: CreateKey with KEY_AGREEMENT and RSA_2048 is
    ValidationException "KeyUsage KEY_AGREEMENT is not compatible with KeySpec RSA_2048" (no
    final period); DeriveSharedSecret with bytes that are no public key is a
    ValidationException with no message; the answer has KeyAgreementAlgorithm, KeyId,
    KeyOrigin and SharedSecret."""
    kms = kmsc()
    with raises_code("ValidationException") as ei:
        kms.create_key(KeySpec="RSA_2048", KeyUsage="KEY_AGREEMENT")
    assert ei.value.response["Error"]["Message"] == \
        "KeyUsage KEY_AGREEMENT is not compatible with KeySpec RSA_2048"
    k1 = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]["KeyId"]
    k2 = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]["KeyId"]
    pub2 = kms.get_public_key(KeyId=k2)["PublicKey"]
    r = kms.derive_shared_secret(KeyId=k1, KeyAgreementAlgorithm="ECDH", PublicKey=pub2)
    assert set(r) - {"ResponseMetadata"} == {"KeyAgreementAlgorithm", "KeyId", "KeyOrigin",
                                             "SharedSecret"}
    assert (r["KeyAgreementAlgorithm"], r["KeyOrigin"]) == ("ECDH", "AWS_KMS")
    r = kms_raw("DeriveSharedSecret", {"KeyId": k1, "KeyAgreementAlgorithm": "ECDH",
                                       "PublicKey": b64(b"InvalidPublicKey")})
    assert r.status_code == 400
    assert r.json() == {"__type": "ValidationException"}


def test_validation_messages_of_plaintext_and_tags(kms_raw, kmsc):
    """test_plaintext_size_for_encrypt: "1 validation error detected: Value at 'plaintext'
    failed to satisfy constraint: Member must have length less than or equal to 4096" (the
    blob's value is not quoted). test_create_key_with_invalid_tag_key[too_long_key] and
    test_key_with_long_tag_value_raises_error: the tag key or value quoted at
    'tags.1.member.tagKey' / 'tags.1.member.tagValue'."""
    kid = kmsc().create_key()["KeyMetadata"]["KeyId"]
    r = kms_raw("Encrypt", {"KeyId": kid, "Plaintext": b64(b64(b"x" * 33 * 100).encode())})
    assert r.status_code == 400 and r.json()["__type"] == "ValidationException"
    assert r.json()["message"] == ("1 validation error detected: Value at 'plaintext' failed to "
                                   "satisfy constraint: Member must have length less than or "
                                   "equal to 4096")
    key = "a" * 129
    r = kms_raw("CreateKey", {"Tags": [{"TagKey": key, "TagValue": "value1"}]})
    assert r.status_code == 400 and r.json()["__type"] == "ValidationException"
    assert r.json()["message"] == (
        f"1 validation error detected: Value '{key}' at 'tags.1.member.tagKey' failed to "
        "satisfy constraint: Member must have length less than or equal to 128")
    value = "v" * 257
    r = kms_raw("CreateKey", {"Tags": [{"TagKey": "tag1", "TagValue": value}]})
    assert r.status_code == 400 and r.json()["__type"] == "ValidationException"
    assert r.json()["message"] == (
        f"1 validation error detected: Value '{value}' at 'tags.1.member.tagValue' failed to "
        "satisfy constraint: Member must have length less than or equal to 256")


def test_generate_data_key_pair_dry_run(kmsc):
    """test_generate_data_key_pair_dry_run / ..._without_plaintext_dry_run: DryRunOperation
    Exception "The request would have succeeded, but the DryRun option is set." (400)."""
    kms = kmsc()
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    for op in (kms.generate_data_key_pair, kms.generate_data_key_pair_without_plaintext):
        with raises_code("DryRunOperationException") as ei:
            op(KeyId=kid, KeyPairSpec="RSA_2048", DryRun=True)
        assert ei.value.response["Error"]["Message"] == \
            "The request would have succeeded, but the DryRun option is set."
        assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_mac_algorithm_enum_in_aws_order(kms_raw, kmsc):
    """test_invalid_generate_mac[HMAC_256-INVALID], test_invalid_verify_mac[HMAC_256-INVALID-
    ...]: AWS lists MacAlgorithmSpec's values as [HMAC_SHA_384, HMAC_SHA_256, HMAC_SHA_224,
    HMAC_SHA_512], not in the model's order."""
    kid = kmsc().create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    want = ("1 validation error detected: Value 'INVALID' at 'macAlgorithm' failed to satisfy "
            "constraint: Member must satisfy enum value set: [HMAC_SHA_384, HMAC_SHA_256, "
            "HMAC_SHA_224, HMAC_SHA_512]")
    for op, extra in (("GenerateMac", {}), ("VerifyMac", {"Mac": b64(b"m" * 32)})):
        r = kms_raw(op, {"KeyId": kid, "Message": b64(b"some important message"),
                         "MacAlgorithm": "INVALID", **extra})
        assert r.status_code == 400 and r.json()["__type"] == "ValidationException"
        assert r.json()["message"] == want


def test_unknown_key_ids_in_aws_words(kmsc):
    """test_get_key_does_not_exist, test_get_key_invalid_uuid: a well-formed unknown key id,
    key ARN or mrk- id is NotFoundException "Key '<key ARN>' does not exist"; a malformed one
    "Invalid keyId '<id>'"."""
    kms = kmsc()
    for kid in ("134f2428-cec1-4b25-a1ae-9048164dba47", "mrk-d3b95762d3b95762d3b95762d3b95762"):
        for ref in (kid, f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{kid}"):
            with raises_code("NotFoundException") as ei:
                kms.describe_key(KeyId=ref)
            assert ei.value.response["Error"]["Message"] == \
                f"Key 'arn:aws:kms:us-east-1:{ACCOUNT}:key/{kid}' does not exist"
    for bad in ("fake-key-id", "134f2428cec14b25a1ae9048164dba47", "mrk-fake-key-id"):
        with raises_code("NotFoundException") as ei:
            kms.describe_key(KeyId=bad)
        assert ei.value.response["Error"]["Message"] == f"Invalid keyId '{bad}'"
