"""KMS GetKeyLastUsage: a key's last successful cryptographic operation, with the request id
the call answered (x-amzn-RequestId) and the eventID of its audit record, and the date Arcana
began tracking the key (its creation here: every key of these stores was created after the
schema step that started tracking).

Only successful operations count (a refused Decrypt, a bad signature, a dry run do not);
ReEncrypt counts on both keys; Secrets Manager's use of a key counts as that service's
GenerateDataKey / Decrypt, as on AWS. Key id or key ARN only (an alias is NotFoundException);
kms:GetKeyLastUsage is checked against the key policy. Uses are noted in memory and flushed by
each node every 5 s and when it stops: a restart keeps them, and (PostgreSQL) another node
sees a use once the node that served it flushed.
"""

from __future__ import annotations

import base64
import json
import re
import uuid

import boto3
import pytest
from botocore.config import Config

from conftest import (DEV_AKID, DEV_SECRET, ROOT_AKID, ROOT_SECRET, error_code, raises_code,
                      raw_call, wait_for)
from kms_fixtures import kms, kms_fresh, kms_raw  # noqa: F401

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def request_id(resp: dict) -> str:
    return resp["ResponseMetadata"]["RequestId"]


def call_last_usage(endpoint: str, key_id: str, akid: str = DEV_AKID, secret: str = DEV_SECRET):
    """GetKeyLastUsage over the wire (Debian's botocore does not model it yet)."""
    return raw_call(endpoint, None, {"KeyId": key_id}, target="TrentService.GetKeyLastUsage",
                    service="kms", akid=akid, secret=secret)


def last_usage(endpoint: str, key_id: str, **creds) -> dict:
    r = call_last_usage(endpoint, key_id, **creds)
    assert r.status_code == 200, r.text
    return r.json()


def refused(endpoint: str, key_id: str, code: str, **creds) -> dict:
    r = call_last_usage(endpoint, key_id, **creds)
    assert (r.status_code, error_code(r)) == (400, code), r.text
    return r.json()


def used(endpoint: str, key_id: str, **creds) -> dict:
    return last_usage(endpoint, key_id, **creds).get("KeyLastUsage") or {}


def assert_last(endpoint: str, key_id: str, operation: str, resp: dict, **creds) -> dict:
    """The key's last use is `operation`, made by the call that answered `resp`."""
    u = used(endpoint, key_id, **creds)
    assert u.get("Operation") == operation, u
    assert u["KmsRequestId"] == request_id(resp)
    assert UUID_RE.match(u["CloudTrailEventId"]), u
    assert isinstance(u["Timestamp"], (int, float))
    return u


def test_a_new_key_has_no_last_usage_and_tracking_starts_at_its_creation(kms):
    c, ep = kms(), kms.server.endpoint
    md = c.create_key()["KeyMetadata"]
    out = last_usage(ep, md["KeyId"])
    assert out["KeyId"] == md["KeyId"]
    assert not out.get("KeyLastUsage")  # AWS answers an empty object
    assert out["KeyCreationDate"] == pytest.approx(md["CreationDate"].timestamp(), abs=0.001)
    assert out["TrackingStartDate"] == out["KeyCreationDate"]
    # Management operations are not cryptographic operations.
    c.describe_key(KeyId=md["KeyId"])
    c.get_key_policy(KeyId=md["KeyId"], PolicyName="default")
    c.enable_key_rotation(KeyId=md["KeyId"])
    assert not used(ep, md["KeyId"])


def test_encrypt_then_decrypt_name_their_own_calls_and_audit_records(kms):
    c, ep = kms(), kms.server.endpoint
    kid = c.create_key()["KeyMetadata"]["KeyId"]
    enc = c.encrypt(KeyId=kid, Plaintext=b"note")
    first = assert_last(ep, kid, "Encrypt", enc)
    dec = c.decrypt(CiphertextBlob=enc["CiphertextBlob"])
    second = assert_last(ep, kid, "Decrypt", dec)
    assert second["Timestamp"] >= first["Timestamp"]
    assert second["CloudTrailEventId"] != first["CloudTrailEventId"]
    # The event id is the eventID of the Decrypt call's own audit record.
    ct = boto3.client("cloudtrail", endpoint_url=kms.server.endpoint, region_name="us-east-1",
                      aws_access_key_id="AKIDEXAMPLEDEVKEY001", aws_secret_access_key="x",
                      config=Config(retries={"max_attempts": 0}))
    events = wait_for(lambda: ct.lookup_events(LookupAttributes=[
        {"AttributeKey": "EventId", "AttributeValue": second["CloudTrailEventId"]}])["Events"],
        what="the Decrypt call's audit record")
    assert [e["EventName"] for e in events] == ["Decrypt"]
    record = json.loads(events[0]["CloudTrailEvent"])
    assert record["requestID"] == request_id(dec)
    # The data key operations too.
    gdk = c.generate_data_key(KeyId=kid, KeySpec="AES_256")
    assert_last(ep, kid, "GenerateDataKey", gdk)
    gdkw = c.generate_data_key_without_plaintext(KeyId=kid, NumberOfBytes=16)
    assert_last(ep, kid, "GenerateDataKeyWithoutPlaintext", gdkw)
    pair = c.generate_data_key_pair(KeyId=kid, KeyPairSpec="ECC_NIST_P256")
    assert_last(ep, kid, "GenerateDataKeyPair", pair)


def test_sign_verify_and_macs(kms):
    c, ep = kms(), kms.server.endpoint
    signer = c.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    sig = c.sign(KeyId=signer, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    assert_last(ep, signer, "Sign", sig)
    ver = c.verify(KeyId=signer, Message=b"m", Signature=sig["Signature"],
                   SigningAlgorithm="ECDSA_SHA_256")
    assert_last(ep, signer, "Verify", ver)
    c.get_public_key(KeyId=signer)  # not a cryptographic operation
    assert used(ep, signer)["Operation"] == "Verify"
    mac_key = c.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    mac = c.generate_mac(KeyId=mac_key, Message=b"m", MacAlgorithm="HMAC_SHA_256")
    assert_last(ep, mac_key, "GenerateMac", mac)
    vm = c.verify_mac(KeyId=mac_key, Message=b"m", Mac=mac["Mac"], MacAlgorithm="HMAC_SHA_256")
    assert_last(ep, mac_key, "VerifyMac", vm)


def test_only_successful_operations_count(kms, kms_raw):
    c, ep = kms(), kms.server.endpoint
    kid = c.create_key()["KeyMetadata"]["KeyId"]
    enc = c.encrypt(KeyId=kid, Plaintext=b"note", EncryptionContext={"a": "b"})
    with raises_code("InvalidCiphertextException"):
        c.decrypt(CiphertextBlob=enc["CiphertextBlob"], EncryptionContext={"a": "c"})
    r = kms_raw("Decrypt", {"CiphertextBlob": base64.b64encode(enc["CiphertextBlob"]).decode(),
                            "EncryptionContext": {"a": "b"}, "DryRun": True})
    assert r.status_code == 400 and r.json()["__type"].endswith("DryRunOperationException")
    c.disable_key(KeyId=kid)
    with raises_code("DisabledException"):
        c.encrypt(KeyId=kid, Plaintext=b"again")
    assert_last(ep, kid, "Encrypt", enc)
    signer = c.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    sig = c.sign(KeyId=signer, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    with raises_code("KMSInvalidSignatureException"):
        c.verify(KeyId=signer, Message=b"other", Signature=sig["Signature"],
                 SigningAlgorithm="ECDSA_SHA_256")
    assert_last(ep, signer, "Sign", sig)


def test_re_encrypt_counts_on_both_keys(kms):
    c, ep = kms(), kms.server.endpoint
    src = c.create_key()["KeyMetadata"]["KeyId"]
    dst = c.create_key()["KeyMetadata"]["KeyId"]
    blob = c.encrypt(KeyId=src, Plaintext=b"note")["CiphertextBlob"]
    re_enc = c.re_encrypt(CiphertextBlob=blob, DestinationKeyId=dst)
    a = assert_last(ep, src, "ReEncrypt", re_enc)
    b = assert_last(ep, dst, "ReEncrypt", re_enc)
    assert a["CloudTrailEventId"] == b["CloudTrailEventId"]  # one call, one record here


def test_key_id_or_key_arn_only(kms):
    c, ep = kms(), kms.server.endpoint
    md = c.create_key()["KeyMetadata"]
    c.create_alias(AliasName="alias/last-usage", TargetKeyId=md["KeyId"])
    enc = c.encrypt(KeyId="alias/last-usage", Plaintext=b"note")
    assert_last(ep, md["Arn"], "Encrypt", enc)
    assert last_usage(ep, md["Arn"])["KeyId"] == md["KeyId"]
    for alias in ("alias/last-usage",
                  f"arn:aws:kms:us-east-1:{md['AWSAccountId']}:alias/last-usage"):
        refused(ep, alias, "InvalidArnException")  # as AWS answers aliases in key-only ops
    refused(ep, str(uuid.uuid4()), "NotFoundException")
    refused(ep, "not-a-key-id", "NotFoundException")


def test_secrets_manager_use_counts_as_its_kms_calls(kms):
    c, ep = kms(), kms.server.endpoint
    sm = kms.sm()
    kid = c.create_key()["KeyMetadata"]["KeyId"]
    created = sm.create_secret(Name="last-usage-" + uuid.uuid4().hex[:8], KmsKeyId=kid,
                               SecretString="s3cr3t")
    assert_last(ep, kid, "GenerateDataKey", created)
    read = sm.get_secret_value(SecretId=created["ARN"])
    assert_last(ep, kid, "Decrypt", read)
    read_again = sm.get_secret_value(SecretId=created["ARN"])  # the data key is cached here
    assert_last(ep, kid, "Decrypt", read_again)


def test_an_iam_user_needs_kms_get_key_last_usage(auth_server):
    from test_iam import client

    iam = client(auth_server.endpoint, "iam")
    root_kms = client(auth_server.endpoint, "kms")
    kid = root_kms.create_key()["KeyMetadata"]["KeyId"]  # default key policy: IAM decides
    name = "lastusage-" + uuid.uuid4().hex[:8]
    iam.create_user(UserName=name)
    ak = iam.create_access_key(UserName=name)["AccessKey"]
    creds = {"akid": ak["AccessKeyId"], "secret": ak["SecretAccessKey"]}
    ep = auth_server.endpoint
    denied = refused(ep, kid, "AccessDeniedException", **creds)
    assert "kms:GetKeyLastUsage" in denied.get("message", denied.get("Message", ""))
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:GetKeyLastUsage", "Resource": "*"}]}))
    assert last_usage(ep, kid, **creds)["KeyId"] == kid


def test_the_last_use_survives_a_restart(kms_fresh):
    c, ep = kms_fresh.kms(), kms_fresh.endpoint
    kid = c.create_key()["KeyMetadata"]["KeyId"]
    enc = c.encrypt(KeyId=kid, Plaintext=b"note")
    before = assert_last(ep, kid, "Encrypt", enc)
    kms_fresh.stop()  # a stopping node flushes what it noted
    kms_fresh.start()  # on another port
    assert used(kms_fresh.endpoint, kid) == before


@pytest.mark.postgresql_only("two nodes need a shared PostgreSQL store")
def test_a_use_on_one_node_is_seen_from_another_after_its_flush(tmp_path):
    import pg_cluster
    from test_cluster import Cluster

    cluster = Cluster(pg_cluster.session_cluster(), tmp_path)
    try:
        a, b = cluster.start(2)

        def kms_on(node):
            return boto3.client("kms", endpoint_url=node.endpoint, region_name="us-east-1",
                                aws_access_key_id=ROOT_AKID, aws_secret_access_key=ROOT_SECRET,
                                config=Config(retries={"max_attempts": 0}))

        ka, kb = kms_on(a), kms_on(b)
        root = {"akid": ROOT_AKID, "secret": ROOT_SECRET}
        kid = ka.create_key()["KeyMetadata"]["KeyId"]
        enc = ka.encrypt(KeyId=kid, Plaintext=b"note")
        assert_last(a.endpoint, kid, "Encrypt", enc, **root)  # the serving node: at once
        seen = wait_for(lambda: used(b.endpoint, kid, **root).get("KmsRequestId") == request_id(enc),
                        timeout=15, what="node B to see node A's flushed use")
        assert seen
        assert_last(b.endpoint, kid, "Encrypt", enc, **root)
        # And back: B's later use wins on A once B flushed.
        dec = kb.decrypt(CiphertextBlob=enc["CiphertextBlob"])
        wait_for(lambda: used(a.endpoint, kid, **root).get("KmsRequestId") == request_id(dec), timeout=15,
                 what="node A to see node B's flushed use")
        assert_last(a.endpoint, kid, "Decrypt", dec, **root)
    finally:
        cluster.stop_all()
