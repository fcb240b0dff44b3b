"""KMS rotation (EnableKeyRotation/DisableKeyRotation/GetKeyRotationStatus through boto3;
RotateKeyOnDemand, ListKeyRotations and RotationPeriodInDays, which Debian's botocore lacks,
through signed raw calls) and grants."""

from __future__ import annotations

import base64
import datetime as dt
import uuid

from conftest import raises_code
from kms_fixtures import kms, kms_raw  # noqa: F401

# A grantee principal: CreateGrant refuses a GranteePrincipal naming no principal.
ROLE_P = "arn:aws:iam::123456789012:role/p"


def ok(r):
    assert r.status_code == 200, r.text
    return r.json()


def test_rotation_status_enable_disable(kms, kms_raw):
    c = kms()
    md = c.create_key()["KeyMetadata"]
    kid = md["KeyId"]
    assert c.get_key_rotation_status(KeyId=kid)["KeyRotationEnabled"] is False
    c.enable_key_rotation(KeyId=kid)
    st = ok(kms_raw("GetKeyRotationStatus", {"KeyId": kid}))
    assert st["KeyRotationEnabled"] is True and st["RotationPeriodInDays"] == 365
    next_date = dt.datetime.fromtimestamp(st["NextRotationDate"], dt.timezone.utc)
    assert abs((next_date - dt.datetime.now(dt.timezone.utc)) - dt.timedelta(days=365)) < dt.timedelta(hours=1)
    ok(kms_raw("EnableKeyRotation", {"KeyId": kid, "RotationPeriodInDays": 90}))
    assert ok(kms_raw("GetKeyRotationStatus", {"KeyId": md["Arn"]}))["RotationPeriodInDays"] == 90
    for bad in (89, 2561):
        r = kms_raw("EnableKeyRotation", {"KeyId": kid, "RotationPeriodInDays": bad})
        assert r.status_code == 400 and r.json()["__type"] == "ValidationException"
    c.disable_key_rotation(KeyId=kid)
    assert c.get_key_rotation_status(KeyId=kid)["KeyRotationEnabled"] is False
    # Asymmetric and HMAC keys do not rotate.
    for spec, usage in (("RSA_2048", "SIGN_VERIFY"), ("HMAC_256", "GENERATE_VERIFY_MAC")):
        other = c.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]["KeyId"]
        with raises_code("UnsupportedOperationException"):
            c.enable_key_rotation(KeyId=other)
    c.disable_key(KeyId=kid)
    with raises_code("DisabledException"):
        c.enable_key_rotation(KeyId=kid)
    with raises_code("NotFoundException"):
        c.enable_key_rotation(KeyId=str(uuid.uuid4()))


def test_rotation_status_of_a_key_pending_deletion_is_false(kms, kms_raw):
    """AWS (GetKeyRotationStatus): "While a KMS key is pending deletion, its key rotation status
    is false ... If you cancel the deletion, the original key rotation status returns to true."
    It used to answer KMSInvalidStateException."""
    c = kms()
    kid = c.create_key()["KeyMetadata"]["KeyId"]
    c.enable_key_rotation(KeyId=kid)
    c.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)
    st = ok(kms_raw("GetKeyRotationStatus", {"KeyId": kid}))
    assert st["KeyRotationEnabled"] is False
    assert "NextRotationDate" not in st and "RotationPeriodInDays" not in st
    c.cancel_key_deletion(KeyId=kid)
    assert c.get_key_rotation_status(KeyId=kid)["KeyRotationEnabled"] is True


def test_rotate_on_demand_keeps_old_ciphertexts(kms, kms_raw):
    c = kms()
    kid = c.create_key()["KeyMetadata"]["KeyId"]
    # CurrentKeyMaterialId is newer than Debian's botocore: read it raw.
    first_material = ok(kms_raw("DescribeKey", {"KeyId": kid}))["KeyMetadata"]["CurrentKeyMaterialId"]
    assert len(first_material) == 64
    blobs = [c.encrypt(KeyId=kid, Plaintext=b"v0", EncryptionContext={"n": "0"})["CiphertextBlob"]]
    for i in range(1, 4):
        # The key ARN, as AWS answers (see test_kms_aws_recorded.py).
        assert ok(kms_raw("RotateKeyOnDemand", {"KeyId": kid}))["KeyId"] == \
            f"arn:aws:kms:us-east-1:123456789012:key/{kid}"
        blobs.append(c.encrypt(KeyId=kid, Plaintext=f"v{i}".encode(), EncryptionContext={"n": str(i)})["CiphertextBlob"])
    now = ok(kms_raw("DescribeKey", {"KeyId": kid}))["KeyMetadata"]["CurrentKeyMaterialId"]
    assert now != first_material
    for i, b in enumerate(blobs):
        d = ok(kms_raw("Decrypt", {"CiphertextBlob": base64.b64encode(b).decode(), "EncryptionContext": {"n": str(i)}}))
        assert base64.b64decode(d["Plaintext"]) == f"v{i}".encode()
        assert (d["KeyMaterialId"] == first_material) == (i == 0)
    rot = ok(kms_raw("ListKeyRotations", {"KeyId": kid}))
    assert len(rot["Rotations"]) == 3 and rot["Truncated"] is False
    assert all(r["RotationType"] == "ON_DEMAND" for r in rot["Rotations"])
    assert rot["Rotations"][-1]["KeyMaterialState"] == "CURRENT"
    assert rot["Rotations"][-1]["KeyMaterialId"] == now
    everything = ok(kms_raw("ListKeyRotations", {"KeyId": kid, "IncludeKeyMaterial": "ALL_KEY_MATERIAL"}))
    assert len(everything["Rotations"]) == 4
    assert everything["Rotations"][0]["KeyMaterialId"] == first_material
    page = ok(kms_raw("ListKeyRotations", {"KeyId": kid, "Limit": 2}))
    assert page["Truncated"] is True and len(page["Rotations"]) == 2
    rest = ok(kms_raw("ListKeyRotations", {"KeyId": kid, "Marker": page["NextMarker"]}))
    assert len(rest["Rotations"]) == 1 and rest["Truncated"] is False
    r = kms_raw("ListKeyRotations", {"KeyId": kid, "Marker": "bogus"})
    assert r.status_code == 400 and r.json()["__type"] == "InvalidMarkerException"
    # ReEncrypt moves an old ciphertext to the newest material.
    re = c.re_encrypt(CiphertextBlob=blobs[0], SourceEncryptionContext={"n": "0"}, DestinationKeyId=kid)
    assert c.decrypt(CiphertextBlob=re["CiphertextBlob"])["Plaintext"] == b"v0"


def test_rotate_on_demand_errors(kms, kms_raw):
    c = kms()
    asym = c.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    r = kms_raw("RotateKeyOnDemand", {"KeyId": asym})
    assert r.status_code == 400 and r.json()["__type"] == "UnsupportedOperationException"
    r = kms_raw("RotateKeyOnDemand", {"KeyId": str(uuid.uuid4())})
    assert r.status_code == 400 and r.json()["__type"] == "NotFoundException"
    kid = c.create_key()["KeyMetadata"]["KeyId"]
    c.disable_key(KeyId=kid)
    r = kms_raw("RotateKeyOnDemand", {"KeyId": kid})
    assert r.status_code == 400 and r.json()["__type"] == "DisabledException"
    c.enable_key(KeyId=kid)
    for _ in range(25):
        ok(kms_raw("RotateKeyOnDemand", {"KeyId": kid}))
    r = kms_raw("RotateKeyOnDemand", {"KeyId": kid})
    assert r.json()["__type"] == "LimitExceededException"


def test_grant_operations_must_fit_the_key(kms):
    """AWS (developer guide, grant-operations): "The grant operations must be supported by the
    KMS key in the grant. If you specify an unsupported operation, the CreateGrant request fails
    with a ValidationError exception"; CreateGrant Constraints: "You cannot use an encryption
    context grant constraint for cryptographic operations with asymmetric KMS keys or HMAC KMS
    keys." Both used to be stored."""
    c = kms()
    user = "arn:aws:iam::123456789012:user/x"
    sym = c.create_key()["KeyMetadata"]["KeyId"]
    rsa = c.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    rsa_enc = c.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
    hmac = c.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    for key, ops in ((sym, ["Sign"]), (sym, ["Decrypt", "GenerateMac"]), (rsa, ["Decrypt"]),
                     (rsa_enc, ["GenerateDataKey"]), (hmac, ["Encrypt"])):
        with raises_code("ValidationException"):
            c.create_grant(KeyId=key, GranteePrincipal=user, Operations=ops)
    with raises_code("ValidationException"):
        c.create_grant(KeyId=rsa, GranteePrincipal=user, Operations=["Sign"],
                       Constraints={"EncryptionContextSubset": {"a": "b"}})
    for key, ops in ((sym, ["Decrypt", "GenerateDataKeyPair", "RetireGrant"]),
                     (rsa, ["Sign", "Verify", "GetPublicKey", "DescribeKey"]),
                     (rsa_enc, ["Encrypt", "Decrypt", "ReEncryptFrom", "GetPublicKey"]),
                     (hmac, ["GenerateMac", "VerifyMac", "CreateGrant"])):
        c.create_grant(KeyId=key, GranteePrincipal=user, Operations=ops)
    c.create_grant(KeyId=sym, GranteePrincipal=user, Operations=["Decrypt"],
                   Constraints={"EncryptionContextSubset": {"a": "b"}})


def test_grants(kms):
    c = kms()
    md = c.create_key()["KeyMetadata"]
    kid = md["KeyId"]
    g = c.create_grant(KeyId=kid, GranteePrincipal="arn:aws:iam::123456789012:role/app",
                       RetiringPrincipal="arn:aws:iam::123456789012:role/ops",
                       Operations=["Encrypt", "Decrypt"], Name="app-grant",
                       Constraints={"EncryptionContextSubset": {"team": "core"}})
    assert len(g["GrantId"]) == 64 and g["GrantToken"]
    # The token is accepted as a grant token.
    c.encrypt(KeyId=kid, Plaintext=b"x", GrantTokens=[g["GrantToken"]])
    again = c.create_grant(KeyId=kid, GranteePrincipal="arn:aws:iam::123456789012:role/app",
                           RetiringPrincipal="arn:aws:iam::123456789012:role/ops",
                           Operations=["Encrypt", "Decrypt"], Name="app-grant",
                           Constraints={"EncryptionContextSubset": {"team": "core"}})
    assert again["GrantId"] == g["GrantId"]
    g2 = c.create_grant(KeyId=md["Arn"], GranteePrincipal="arn:aws:iam::123456789012:role/other",
                        Operations=["GenerateDataKey"])
    listed = c.list_grants(KeyId=kid)
    assert listed["Truncated"] is False
    by_id = {x["GrantId"]: x for x in listed["Grants"]}
    assert set(by_id) == {g["GrantId"], g2["GrantId"]}
    e = by_id[g["GrantId"]]
    assert e["KeyId"] == md["Arn"] and e["Name"] == "app-grant"
    assert e["Operations"] == ["Encrypt", "Decrypt"]
    assert e["IssuingAccount"] == "arn:aws:iam::123456789012:root"
    assert e["Constraints"] == {"EncryptionContextSubset": {"team": "core"}}
    assert [x["GrantId"] for x in c.list_grants(KeyId=kid, GrantId=g2["GrantId"])["Grants"]] == [g2["GrantId"]]
    assert len(c.list_grants(KeyId=kid, GranteePrincipal="arn:aws:iam::123456789012:role/app")["Grants"]) == 1
    page = c.list_grants(KeyId=kid, Limit=1)
    assert page["Truncated"] is True
    assert len(c.list_grants(KeyId=kid, Marker=page["NextMarker"])["Grants"]) == 1
    ret = c.list_retirable_grants(RetiringPrincipal="arn:aws:iam::123456789012:role/ops")
    assert [x["GrantId"] for x in ret["Grants"]] == [g["GrantId"]]
    with raises_code("InvalidGrantIdException"):
        c.list_grants(KeyId=kid, GrantId="nope")
    c.retire_grant(GrantToken=g["GrantToken"])
    with raises_code("NotFoundException"):
        c.retire_grant(GrantToken=g["GrantToken"])
    with raises_code("InvalidGrantTokenException"):
        c.retire_grant(GrantToken="garbage")
    c.revoke_grant(KeyId=kid, GrantId=g2["GrantId"])
    with raises_code("NotFoundException"):
        c.revoke_grant(KeyId=kid, GrantId=g2["GrantId"])
    with raises_code("InvalidGrantIdException"):
        c.revoke_grant(KeyId=kid, GrantId="bad")
    assert c.list_grants(KeyId=kid)["Grants"] == []
    g3 = c.create_grant(KeyId=kid, GranteePrincipal=ROLE_P, Operations=["Decrypt"])
    c.retire_grant(KeyId=md["Arn"], GrantId=g3["GrantId"])
    with raises_code("NotFoundException"):
        c.create_grant(KeyId=str(uuid.uuid4()), GranteePrincipal=ROLE_P, Operations=["Decrypt"])
    c.disable_key(KeyId=kid)
    with raises_code("DisabledException"):
        c.create_grant(KeyId=kid, GranteePrincipal=ROLE_P, Operations=["Decrypt"])


def test_grant_constraint_limits(kms, kms_raw):
    """CreateGrant Constraints: "Each constraint value can include up to 8 encryption context
    pairs. The encryption context value in each constraint cannot exceed 384 characters";
    EncryptionContextEquals and EncryptionContextSubset together - an empty map counts - are
    "More than one constraint supplied" (AWS's ValidationException, aws/aws-sdk-java#328)."""
    c = kms()
    kid = c.create_key()["KeyMetadata"]["KeyId"]

    def create(constraints):
        return kms_raw("CreateGrant", {"KeyId": kid, "GranteePrincipal": ROLE_P,
                                       "Operations": ["Decrypt"], "Constraints": constraints})

    def refused(constraints):
        r = create(constraints)
        assert (r.status_code, r.json()["__type"]) == (400, "ValidationException"), r.text
        return r.json()["message"]

    for member in ("EncryptionContextEquals", "EncryptionContextSubset"):
        ok(create({member: {f"k{i}": "v" for i in range(8)}}))
        assert "up to 8" in refused({member: {f"k{i}": "v" for i in range(9)}})
        ok(create({member: {"k": "v" * 384}}))
        ok(create({member: {"k": "\u00e9" * 384}}))  # characters, not UTF-8 bytes
        assert "384 characters" in refused({member: {"k": "v" * 385}})
    for both in ({"EncryptionContextEquals": {"a": "b"}, "EncryptionContextSubset": {"c": "d"}},
                 {"EncryptionContextEquals": {}, "EncryptionContextSubset": {"c": "d"}}):
        assert refused(both) == "More than one constraint supplied"
    names = {g.get("Name") for g in c.list_grants(KeyId=kid)["Grants"]}
    assert len(c.list_grants(KeyId=kid)["Grants"]) == 6 and names == {None}


def test_grant_name_pattern(kms, kms_raw):
    """A grant's Name must match the model's GrantNameType pattern ^[a-zA-Z0-9:/_-]+$ (the
    only pattern of the KMS model this server checks besides alias names)."""
    c = kms()
    kid = c.create_key()["KeyMetadata"]["KeyId"]
    r = kms_raw("CreateGrant", {"KeyId": kid, "GranteePrincipal": ROLE_P,
                                "Operations": ["Decrypt"], "Name": "bad name!"})
    assert (r.status_code, r.json()["__type"]) == (400, "ValidationException")
    assert r.json()["message"] == (
        "1 validation error detected: Value 'bad name!' at 'name' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$")
    assert c.list_grants(KeyId=kid)["Grants"] == []
    g = c.create_grant(KeyId=kid, GranteePrincipal=ROLE_P, Operations=["Decrypt"],
                       Name="app:/x_y-Z9")
    assert c.list_grants(KeyId=kid)["Grants"][0]["Name"] == "app:/x_y-Z9" and g["GrantId"]
