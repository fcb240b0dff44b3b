"""KMS key lifecycle, aliases, key policies and tags through boto3 (spec section 5)."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid

import pytest

from conftest import raises_code
from kms_fixtures import kms, kms_raw  # noqa: F401

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def status_of(ei) -> int:
    return ei.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_create_key_defaults(kms):
    c = kms()
    md = c.create_key(Description="first")["KeyMetadata"]
    assert UUID_RE.match(md["KeyId"])
    assert md["Arn"] == f"arn:aws:kms:us-east-1:123456789012:key/{md['KeyId']}"
    assert md["AWSAccountId"] == "123456789012"
    assert md["Enabled"] is True and md["KeyState"] == "Enabled"
    assert md["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert md["KeySpec"] == md["CustomerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
    assert md["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    assert md["Origin"] == "AWS_KMS" and md["KeyManager"] == "CUSTOMER"
    assert md["MultiRegion"] is False
    assert md["Description"] == "first"
    assert isinstance(md["CreationDate"], dt.datetime)
    assert "DeletionDate" not in md
    d = c.describe_key(KeyId=md["KeyId"])["KeyMetadata"]
    assert d == md


@pytest.mark.parametrize("spec,usage,field,expected", [
    ("RSA_2048", "ENCRYPT_DECRYPT", "EncryptionAlgorithms", ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]),
    ("RSA_3072", "SIGN_VERIFY", "SigningAlgorithms", None),
    ("ECC_NIST_P256", "SIGN_VERIFY", "SigningAlgorithms", ["ECDSA_SHA_256"]),
    ("ECC_NIST_P384", "SIGN_VERIFY", "SigningAlgorithms", ["ECDSA_SHA_384"]),
    ("ECC_NIST_P521", "SIGN_VERIFY", "SigningAlgorithms", ["ECDSA_SHA_512"]),
    ("ECC_SECG_P256K1", "SIGN_VERIFY", "SigningAlgorithms", ["ECDSA_SHA_256"]),
    ("HMAC_224", "GENERATE_VERIFY_MAC", "MacAlgorithms", ["HMAC_SHA_224"]),
    ("HMAC_512", "GENERATE_VERIFY_MAC", "MacAlgorithms", ["HMAC_SHA_512"]),
])
def test_create_key_specs(kms, spec, usage, field, expected):
    md = kms().create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]
    assert md["KeySpec"] == spec and md["KeyUsage"] == usage
    if expected is not None:
        assert md[field] == expected
    else:
        assert len(md[field]) == 6
    assert "CurrentKeyMaterialId" not in md


def test_create_key_deprecated_spec_and_errors(kms):
    c = kms()
    md = c.create_key(CustomerMasterKeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    assert md["KeySpec"] == "ECC_NIST_P256"
    with raises_code("ValidationException"):
        c.create_key(KeySpec="ECC_NIST_P256", KeyUsage="ENCRYPT_DECRYPT")
    with raises_code("ValidationException"):
        c.create_key(KeySpec="SYMMETRIC_DEFAULT", KeyUsage="SIGN_VERIFY")
    with raises_code("ValidationException"):
        c.create_key(KeySpec="NOPE")
    with raises_code("ValidationException"):
        c.create_key(KeySpec="RSA_2048", CustomerMasterKeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    with raises_code("UnsupportedOperationException"):
        c.create_key(Origin="EXTERNAL_KEY_STORE")  # custom key stores are not served
    with raises_code("MalformedPolicyDocumentException"):
        c.create_key(Policy="not json")
    with raises_code("MalformedPolicyDocumentException"):
        c.create_key(Policy=json.dumps({"Version": "2012-10-17", "Statement": []}))
    with raises_code("TagException"):
        c.create_key(Tags=[{"TagKey": "aws:x", "TagValue": "v"}])
    assert c.list_keys()["Keys"][0]["KeyId"] == md["KeyId"]  # nothing else was created


def test_multi_region_key(kms):
    md = kms().create_key(MultiRegion=True)["KeyMetadata"]
    assert re.match(r"^mrk-[0-9a-f]{32}$", md["KeyId"])
    assert md["MultiRegion"] is True
    assert md["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"
    c = kms()
    ct = c.encrypt(KeyId=md["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    assert c.decrypt(CiphertextBlob=ct)["Plaintext"] == b"x"


def test_describe_key_by_every_identifier_and_not_found(kms):
    c = kms()
    md = c.create_key()["KeyMetadata"]
    c.create_alias(AliasName="alias/app", TargetKeyId=md["KeyId"])
    for ref in (md["KeyId"], md["Arn"], "alias/app", "arn:aws:kms:us-east-1:123456789012:alias/app"):
        assert c.describe_key(KeyId=ref)["KeyMetadata"]["KeyId"] == md["KeyId"]
    with raises_code("NotFoundException") as ei:
        c.describe_key(KeyId=str(uuid.uuid4()))
    assert status_of(ei) == 400  # every KMS client error is 400 on AWS
    with raises_code("NotFoundException"):
        c.describe_key(KeyId="alias/none")
    with raises_code("InvalidArnException"):
        c.describe_key(KeyId="arn:aws:kms:us-east-1")
    # Another region does not see the key.
    with raises_code("NotFoundException"):
        kms("eu-west-1").describe_key(KeyId=md["KeyId"])


def test_list_keys_pagination(kms):
    c = kms()
    ids = sorted(c.create_key()["KeyMetadata"]["KeyId"] for _ in range(5))
    seen, marker, pages = [], None, 0
    while True:
        kw = {"Limit": 2}
        if marker:
            kw["Marker"] = marker
        r = c.list_keys(**kw)
        pages += 1
        assert "Truncated" in r
        seen += [k["KeyId"] for k in r["Keys"]]
        for k in r["Keys"]:
            assert k["KeyArn"].endswith(k["KeyId"])
        if not r["Truncated"]:
            assert "NextMarker" not in r
            break
        marker = r["NextMarker"]
    assert sorted(seen) == ids and pages == 3
    assert [k["KeyId"] for k in c.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 2}).build_full_result()["Keys"]] == seen
    with raises_code("InvalidMarkerException"):
        c.list_keys(Marker="garbage!")
    with raises_code("ValidationException"):
        c.list_keys(Limit=1001)


def test_update_description_enable_disable(kms):
    c = kms()
    kid = c.create_key()["KeyMetadata"]["KeyId"]
    c.update_key_description(KeyId=kid, Description="new")
    assert c.describe_key(KeyId=kid)["KeyMetadata"]["Description"] == "new"
    c.disable_key(KeyId=kid)
    md = c.describe_key(KeyId=kid)["KeyMetadata"]
    assert md["KeyState"] == "Disabled" and md["Enabled"] is False
    with raises_code("DisabledException") as ei:
        c.encrypt(KeyId=kid, Plaintext=b"x")
    assert status_of(ei) == 400
    c.enable_key(KeyId=kid)
    assert c.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "Enabled"
    c.encrypt(KeyId=kid, Plaintext=b"x")
    c.create_alias(AliasName="alias/mgmt", TargetKeyId=kid)
    # Management operations take key id or key ARN, not aliases (InvalidArnException, as AWS).
    with raises_code("InvalidArnException"):
        c.disable_key(KeyId="alias/mgmt")
    with raises_code("NotFoundException"):
        c.enable_key(KeyId=str(uuid.uuid4()))


def test_schedule_and_cancel_deletion(kms):
    c = kms()
    md = c.create_key()["KeyMetadata"]
    kid = md["KeyId"]
    c.create_alias(AliasName="alias/doomed", TargetKeyId=kid)
    ct = c.encrypt(KeyId=kid, Plaintext=b"data")["CiphertextBlob"]
    with raises_code("ValidationException"):
        c.schedule_key_deletion(KeyId=kid, PendingWindowInDays=6)
    with raises_code("ValidationException"):
        c.schedule_key_deletion(KeyId=kid, PendingWindowInDays=31)
    r = c.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)
    assert r["KeyId"] == md["Arn"]
    assert r["KeyState"] == "PendingDeletion" and r["PendingWindowInDays"] == 7
    delta = r["DeletionDate"] - dt.datetime.now(dt.timezone.utc)
    assert dt.timedelta(days=6, hours=23) < delta <= dt.timedelta(days=7)
    d = c.describe_key(KeyId=kid)["KeyMetadata"]
    assert d["KeyState"] == "PendingDeletion" and d["Enabled"] is False
    assert d["PendingDeletionWindowInDays"] == 7 and "DeletionDate" in d
    for call in (lambda: c.encrypt(KeyId=kid, Plaintext=b"x"),
                 lambda: c.decrypt(CiphertextBlob=ct),
                 lambda: c.schedule_key_deletion(KeyId=kid),
                 lambda: c.enable_key(KeyId=kid),
                 lambda: c.disable_key(KeyId=kid)):
        with raises_code("KMSInvalidStateException") as ei:
            call()
        assert status_of(ei) == 400
    assert c.cancel_key_deletion(KeyId=kid)["KeyId"] == md["Arn"]
    d = c.describe_key(KeyId=kid)["KeyMetadata"]
    assert d["KeyState"] == "Disabled" and "DeletionDate" not in d
    with raises_code("KMSInvalidStateException"):
        c.cancel_key_deletion(KeyId=kid)
    c.enable_key(KeyId=kid)
    assert c.decrypt(CiphertextBlob=ct)["Plaintext"] == b"data"


def test_aliases(kms):
    c = kms()
    k1 = c.create_key()["KeyMetadata"]["KeyId"]
    k2 = c.create_key()["KeyMetadata"]["KeyId"]
    c.create_alias(AliasName="alias/a1", TargetKeyId=k1)
    c.create_alias(AliasName="alias/a2", TargetKeyId=k1)
    with raises_code("AlreadyExistsException") as ei:
        c.create_alias(AliasName="alias/a1", TargetKeyId=k2)
    assert status_of(ei) == 400
    with raises_code("ValidationException"):  # AWS: ValidationException, not InvalidAliasName
        c.create_alias(AliasName="noprefix", TargetKeyId=k1)
    with raises_code("InvalidAliasNameException"):
        c.create_alias(AliasName="alias/aws/mine", TargetKeyId=k1)
    with raises_code("ValidationException"):
        c.create_alias(AliasName="alias/bad name", TargetKeyId=k1)
    with raises_code("NotFoundException"):
        c.create_alias(AliasName="alias/a3", TargetKeyId=str(uuid.uuid4()))
    by_key = c.list_aliases(KeyId=k1)
    assert [a["AliasName"] for a in by_key["Aliases"]] == ["alias/a1", "alias/a2"]
    assert by_key["Truncated"] is False
    a1 = by_key["Aliases"][0]
    assert a1["AliasArn"] == "arn:aws:kms:us-east-1:123456789012:alias/a1"
    assert a1["TargetKeyId"] == k1 and "CreationDate" in a1 and "LastUpdatedDate" in a1
    names = [a["AliasName"] for a in c.list_aliases()["Aliases"]]
    assert "alias/aws/secretsmanager" in names and "alias/a1" in names
    page = c.list_aliases(Limit=1)
    assert page["Truncated"] is True and len(page["Aliases"]) == 1
    rest = c.list_aliases(Marker=page["NextMarker"])
    assert page["Aliases"][0]["AliasName"] not in [a["AliasName"] for a in rest["Aliases"]]
    c.update_alias(AliasName="alias/a1", TargetKeyId=k2)
    assert c.describe_key(KeyId="alias/a1")["KeyMetadata"]["KeyId"] == k2
    with raises_code("NotFoundException"):
        c.update_alias(AliasName="alias/none", TargetKeyId=k2)
    hmac_key = c.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    with raises_code("ValidationException"):
        c.update_alias(AliasName="alias/a1", TargetKeyId=hmac_key)
    c.delete_alias(AliasName="alias/a1")
    with raises_code("NotFoundException"):
        c.delete_alias(AliasName="alias/a1")
    with raises_code("NotFoundException"):
        c.describe_key(KeyId="alias/a1")


def test_aws_managed_key_is_protected(kms):
    c = kms()
    md = c.describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]
    assert md["KeyManager"] == "AWS" and md["KeyState"] == "Enabled"
    assert c.describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]["KeyId"] == md["KeyId"]
    listed = {a["AliasName"]: a for a in c.list_aliases()["Aliases"]}
    assert listed["alias/aws/secretsmanager"]["TargetKeyId"] == md["KeyId"]
    for call in (lambda: c.disable_key(KeyId=md["KeyId"]),
                 lambda: c.schedule_key_deletion(KeyId=md["KeyId"]),
                 lambda: c.update_key_description(KeyId=md["KeyId"], Description="x"),
                 lambda: c.put_key_policy(KeyId=md["KeyId"], PolicyName="default",
                                          Policy=json.dumps({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "kms:*"}})),
                 lambda: c.create_alias(AliasName="alias/mine", TargetKeyId=md["KeyId"])):
        with raises_code("UnsupportedOperationException"):
            call()
    with raises_code("InvalidAliasNameException"):
        c.delete_alias(AliasName="alias/aws/secretsmanager")
    with raises_code("InvalidAliasNameException"):
        c.update_alias(AliasName="alias/aws/secretsmanager", TargetKeyId=c.create_key()["KeyMetadata"]["KeyId"])


def test_key_policies(kms):
    c = kms()
    kid = c.create_key()["KeyMetadata"]["KeyId"]
    p = json.loads(c.get_key_policy(KeyId=kid, PolicyName="default")["Policy"])
    assert p["Version"] == "2012-10-17"
    assert p["Statement"][0]["Principal"]["AWS"] == "arn:aws:iam::123456789012:root"
    assert c.list_key_policies(KeyId=kid)["PolicyNames"] == ["default"]
    new = {"Version": "2012-10-17", "Statement": [{"Sid": "x", "Effect": "Allow",
           "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"}]}
    c.put_key_policy(KeyId=kid, PolicyName="default", Policy=json.dumps(new))
    assert json.loads(c.get_key_policy(KeyId=kid, PolicyName="default")["Policy"]) == new
    with raises_code("MalformedPolicyDocumentException"):
        c.put_key_policy(KeyId=kid, PolicyName="default", Policy="{")
    with raises_code("MalformedPolicyDocumentException"):
        c.put_key_policy(KeyId=kid, PolicyName="default", Policy=json.dumps({"Statement": [{"Effect": "Maybe", "Principal": "*", "Action": "*"}]}))
    with raises_code("NotFoundException"):
        c.get_key_policy(KeyId=kid, PolicyName="other")
    custom = c.create_key(Policy=json.dumps(new))["KeyMetadata"]["KeyId"]
    assert json.loads(c.get_key_policy(KeyId=custom, PolicyName="default")["Policy"]) == new


def test_tags(kms):
    c = kms()
    kid = c.create_key(Tags=[{"TagKey": "env", "TagValue": "prod"}])["KeyMetadata"]["KeyId"]
    c.tag_resource(KeyId=kid, Tags=[{"TagKey": "team", "TagValue": "core"}, {"TagKey": "env", "TagValue": "dev"}])
    r = c.list_resource_tags(KeyId=kid)
    assert r["Tags"] == [{"TagKey": "env", "TagValue": "dev"}, {"TagKey": "team", "TagValue": "core"}]
    assert r["Truncated"] is False
    page = c.list_resource_tags(KeyId=kid, Limit=1)
    assert page["Truncated"] is True
    assert c.list_resource_tags(KeyId=kid, Marker=page["NextMarker"])["Tags"] == [{"TagKey": "team", "TagValue": "core"}]
    c.untag_resource(KeyId=kid, TagKeys=["env", "missing"])
    assert c.list_resource_tags(KeyId=kid)["Tags"] == [{"TagKey": "team", "TagValue": "core"}]
    with raises_code("TagException"):
        c.tag_resource(KeyId=kid, Tags=[{"TagKey": "aws:reserved", "TagValue": "x"}])
    with raises_code("TagException"):  # AWS: more than 50 tags is TagException
        c.tag_resource(KeyId=kid, Tags=[{"TagKey": f"k{i}", "TagValue": "v"} for i in range(50)])
    with raises_code("NotFoundException"):
        c.tag_resource(KeyId=str(uuid.uuid4()), Tags=[{"TagKey": "a", "TagValue": "b"}])


def test_unknown_and_unsupported_operations(kms_raw, kms):
    kms()
    r = kms_raw("NoSuchOperation", {})
    assert r.status_code == 400
    assert r.json()["__type"] in ("UnknownOperationException", "UnsupportedOperationException")
    r = kms_raw("CreateKey", {"KeyUsage": 5})
    assert r.status_code == 400 and r.json()["__type"] == "SerializationException"
    r = kms_raw("DescribeKey", {"KeyId": str(uuid.uuid4())})
    assert r.status_code == 400 and r.headers["X-Amzn-ErrorType"].startswith("NotFoundException")
    assert r.json()["message"]


def test_custom_key_stores_answer_as_for_an_account_without_one(kms):
    """Arcana connects to no CloudHSM cluster or XKS proxy: the list is empty, every store id
    names nothing (AWS's CustomKeyStoreNotFoundException), and creating one is refused."""
    c = kms()
    got = c.describe_custom_key_stores()
    assert got["CustomKeyStores"] == [] and got["Truncated"] is False
    store = "cks-1234567890abcdef0"
    for call in (lambda: c.describe_custom_key_stores(CustomKeyStoreId=store),
                 lambda: c.describe_custom_key_stores(CustomKeyStoreName="hsm-store"),
                 lambda: c.connect_custom_key_store(CustomKeyStoreId=store),
                 lambda: c.disconnect_custom_key_store(CustomKeyStoreId=store),
                 lambda: c.update_custom_key_store(CustomKeyStoreId=store, NewCustomKeyStoreName="n"),
                 lambda: c.delete_custom_key_store(CustomKeyStoreId=store),
                 lambda: c.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store),
                 lambda: c.generate_random(NumberOfBytes=16, CustomKeyStoreId=store)):
        with raises_code("CustomKeyStoreNotFoundException") as ei:
            call()
        assert status_of(ei) == 400
    with raises_code("UnsupportedOperationException"):
        c.create_custom_key_store(CustomKeyStoreName="hsm-store", CloudHsmClusterId="cluster-1234567890a",
                                  TrustAnchorCertificate="cert", KeyStorePassword="password1")
    assert c.list_keys()["Keys"] == []  # nothing was created
