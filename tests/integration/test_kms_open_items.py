"""KMS across accounts and CreateGrant's grantee, as the AWS API reference documents them.

- CreateGrant, ListGrants, RetireGrant and RevokeGrant are "Cross-account use: Yes": account B
  names account A's key by its key ARN, and A's key policy decides (Arcana answered
  NotFoundException whatever the policy said). A bare key id names a key of the caller's own
  account ("To specify a KMS key in a different Amazon Web Services account, you must use the
  key ARN"): NotFoundException "Key 'arn:aws:kms:<region>:<caller account>:key/<id>' does not
  exist". GetKeyRotationStatus is "Cross-account use: Yes" too.
- Decrypt without KeyId: a symmetric ciphertext names its key, so B decrypts A's ciphertext
  when A's key policy allows it, and is refused (AccessDeniedException) when it does not
  (Arcana looked the key up in B's account only: InvalidCiphertextException).
- CreateGrant with a GranteePrincipal that names no principal: InvalidArnException "ARN does
  not refer to a valid principal: <value>" (AWS's message as callers record it; Arcana stored
  the grant).
- ListRetirableGrants lists the grants on other accounts' keys too, and only for a principal of
  the caller's account; a retried CreateGrant answers a new, interchangeable token; the
  GrantTokens of the other operations must name a grant this server holds.
"""

from __future__ import annotations

import base64
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT
from kms_fixtures import kms  # noqa: F401
from test_access_control import ACCOUNT_B, account_b, admin, doc, uniq  # noqa: F401
from test_iam import code_of
from test_sts import run_store_sql

REGION = "us-east-1"


def error(fn, **kw) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as e:
        fn(**kw)
    code, status = code_of(e.value)
    return code, status, e.value.response["Error"].get("Message", "")


def shared_key(admin, actions: list[str]) -> str:
    """A key of account A whose policy gives account B `actions`."""
    policy = doc(
        {"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "AccountB", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_B}:root"}, "Action": actions,
         "Resource": "*"})
    return admin.kms.create_key(Policy=policy)["KeyMetadata"]["Arn"]


def not_found(caller_account: str, key_id: str) -> tuple[str, int, str]:
    return ("NotFoundException", 400,
            f"Key 'arn:aws:kms:{REGION}:{caller_account}:key/{key_id}' does not exist")


def test_grant_operations_on_another_accounts_key_by_its_arn(admin, account_b):
    key = shared_key(admin, ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant",
                             "kms:GetKeyRotationStatus"])
    key_id = key.split("/")[-1]
    b = admin.as_keys("kms", account_b)
    b_root = f"arn:aws:iam::{ACCOUNT_B}:root"
    grantee = f"arn:aws:iam::{ACCOUNT_B}:role/{uniq('grantee')}"

    g1 = b.create_grant(KeyId=key, GranteePrincipal=grantee, Operations=["Decrypt"],
                        RetiringPrincipal=b_root)
    g2 = b.create_grant(KeyId=key, GranteePrincipal=grantee, Operations=["Encrypt"])
    listed = b.list_grants(KeyId=key)["Grants"]
    assert {g["GrantId"] for g in listed} == {g1["GrantId"], g2["GrantId"]}
    for g in listed:
        # The grant belongs to the key (A's); B's account issued it.
        assert g["KeyId"] == key and g["IssuingAccount"] == b_root
        assert g["GranteePrincipal"] == grantee
    # The key's own account sees the same grants.
    assert {g["GrantId"] for g in admin.kms.list_grants(KeyId=key_id)["Grants"]} == {
        g1["GrantId"], g2["GrantId"]}
    assert b.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is False

    # A key id alone names a key of B's account, which has none of that id.
    for call, kw in ((b.create_grant, dict(GranteePrincipal=grantee, Operations=["Decrypt"])),
                     (b.list_grants, {}),
                     (b.revoke_grant, dict(GrantId=g2["GrantId"])),
                     (b.retire_grant, dict(GrantId=g1["GrantId"])),
                     (b.get_key_rotation_status, {})):
        assert error(call, KeyId=key_id, **kw) == not_found(ACCOUNT_B, key_id)

    # The retiring principal retires by token, the grant's token naming A's key.
    b.retire_grant(GrantToken=g1["GrantToken"])
    b.revoke_grant(KeyId=key, GrantId=g2["GrantId"])
    assert admin.kms.list_grants(KeyId=key_id)["Grants"] == []

    # RetireGrant by key ARN and grant id.
    g3 = b.create_grant(KeyId=key, GranteePrincipal=grantee, Operations=["Decrypt"],
                        RetiringPrincipal=b_root)
    b.retire_grant(KeyId=key, GrantId=g3["GrantId"])
    assert b.list_grants(KeyId=key)["Grants"] == []

    # What A's key policy does not give B stays refused; a key it does not share too.
    assert error(b.describe_key, KeyId=key)[:2] == ("AccessDeniedException", 400)
    private = admin.kms.create_key()["KeyMetadata"]["Arn"]
    for call, kw in ((b.create_grant, dict(GranteePrincipal=grantee, Operations=["Decrypt"])),
                     (b.list_grants, {})):
        assert error(call, KeyId=private, **kw)[:2] == ("AccessDeniedException", 400)
    # Key management is still the key's account's alone.
    assert error(b.disable_key, KeyId=key)[:2] == ("NotFoundException", 400)


def _token(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def test_grant_tokens_issued_before_they_named_the_key_arn_still_retire(admin):
    c = admin.kms
    key_id = c.create_key()["KeyMetadata"]["KeyId"]
    g = c.create_grant(KeyId=key_id, GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:role/app",
                       Operations=["Decrypt"])
    # A grant created when tokens were "gt1:" key id, grant id, randomness: its stored token
    # has that form, and that token still retires it.
    old_form = _token(f"gt1:{key_id}:{g['GrantId']}:{uuid.uuid4().hex}")
    run_store_sql(admin.server, f"UPDATE kms_grants SET meta = replace(meta, "
                                f"'{g['GrantToken']}', '{old_form}') "
                                f"WHERE grant_id = '{g['GrantId']}'")
    # One of the same form with other randomness was not issued: refused.
    made_up = _token(f"gt1:{key_id}:{g['GrantId']}:{uuid.uuid4().hex}")
    assert error(c.retire_grant, GrantToken=made_up)[:2] == ("InvalidGrantTokenException", 400)
    c.retire_grant(GrantToken=old_form)
    assert c.list_grants(KeyId=key_id)["Grants"] == []


def test_retire_grant_takes_only_the_token_issued_for_the_grant(admin):
    c = admin.kms
    key = c.create_key()["KeyMetadata"]["Arn"]
    grantee = f"arn:aws:iam::{ACCOUNT}:role/{uniq('grantee')}"
    g = c.create_grant(KeyId=key, GranteePrincipal=grantee, Operations=["Decrypt"], Name="n1")
    # The grant id and key ARN are public (ListGrants); a token made of them with other
    # randomness, or of another grant's randomness, was not issued for this grant.
    other = c.create_grant(KeyId=key, GranteePrincipal=grantee, Operations=["Encrypt"])
    other_secret = base64.urlsafe_b64decode(other["GrantToken"] + "==").decode().split(":")[2]
    for secret in (uuid.uuid4().hex, other_secret):
        forged = _token(f"gt2:{g['GrantId']}:{secret}:{key}")
        assert error(c.retire_grant, GrantToken=forged) == (
            "InvalidGrantTokenException", 400, "Grant token is not valid.")
    # A retried CreateGrant answers a token that retires the grant too.
    again = c.create_grant(KeyId=key, GranteePrincipal=grantee, Operations=["Decrypt"],
                           Name="n1")
    assert again["GrantId"] == g["GrantId"]
    c.retire_grant(GrantToken=again["GrantToken"])
    assert [x["GrantId"] for x in c.list_grants(KeyId=key)["Grants"]] == [other["GrantId"]]


def test_create_grant_retry_is_matched_within_the_issuing_account(admin, account_b):
    key = shared_key(admin, ["kms:CreateGrant", "kms:ListGrants"])
    b = admin.as_keys("kms", account_b)
    req = dict(KeyId=key, GranteePrincipal=f"arn:aws:iam::{ACCOUNT_B}:role/{uniq('g')}",
               Operations=["Decrypt"], Name="same-name")
    a_grant = admin.kms.create_grant(**req)
    # B sending the same request makes B's own grant: not A's id, not A's token.
    b_grant = b.create_grant(**req)
    assert b_grant["GrantId"] != a_grant["GrantId"]
    assert b_grant["GrantToken"] != a_grant["GrantToken"]
    issuers = {g["GrantId"]: g["IssuingAccount"] for g in admin.kms.list_grants(KeyId=key)["Grants"]}
    assert issuers == {a_grant["GrantId"]: f"arn:aws:iam::{ACCOUNT}:root",
                       b_grant["GrantId"]: f"arn:aws:iam::{ACCOUNT_B}:root"}
    # Each account's retry is its own grant's.
    assert b.create_grant(**req)["GrantId"] == b_grant["GrantId"]
    assert admin.kms.create_grant(**req)["GrantId"] == a_grant["GrantId"]
    assert len(admin.kms.list_grants(KeyId=key)["Grants"]) == 2


def test_retire_grant_by_the_issuing_accounts_root(admin, account_b):
    key = shared_key(admin, ["kms:CreateGrant", "kms:ListGrants"])
    b = admin.as_keys("kms", account_b)
    grantee = f"arn:aws:iam::{ACCOUNT_B}:role/{uniq('g')}"
    b_grant = b.create_grant(KeyId=key, GranteePrincipal=grantee, Operations=["Decrypt"])
    a_grant = admin.kms.create_grant(KeyId=key, GranteePrincipal=grantee, Operations=["Decrypt"])
    # "The AWS account in which the grant is created" is its IssuingAccount: not the key's
    # account for B's grant (the key's account revokes it with RevokeGrant), not B for A's.
    assert error(admin.kms.retire_grant, KeyId=key, GrantId=b_grant["GrantId"])[:2] == (
        "AccessDeniedException", 400)
    assert error(b.retire_grant, KeyId=key, GrantId=a_grant["GrantId"])[:2] == (
        "AccessDeniedException", 400)
    b.retire_grant(KeyId=key, GrantId=b_grant["GrantId"])
    admin.kms.retire_grant(KeyId=key, GrantId=a_grant["GrantId"])
    assert admin.kms.list_grants(KeyId=key)["Grants"] == []


def test_decrypt_without_key_id_of_another_accounts_ciphertext(admin, account_b):
    key = shared_key(admin, ["kms:Decrypt", "kms:ReEncryptFrom"])
    private = admin.kms.create_key()["KeyMetadata"]["Arn"]
    b = admin.as_keys("kms", account_b)
    blob = admin.kms.encrypt(KeyId=key, Plaintext=b"from A",
                             EncryptionContext={"k": "v"})["CiphertextBlob"]
    out = b.decrypt(CiphertextBlob=blob, EncryptionContext={"k": "v"})
    assert out["Plaintext"] == b"from A" and out["KeyId"] == key
    # The encryption context still has to match.
    assert error(b.decrypt, CiphertextBlob=blob)[:2] == ("InvalidCiphertextException", 400)
    # ReEncrypt without SourceKeyId decrypts the same way (kms:ReEncryptFrom).
    b_key = b.create_key()["KeyMetadata"]["Arn"]
    re = b.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"k": "v"},
                      DestinationKeyId=b_key)
    assert re["SourceKeyId"] == key and re["KeyId"] == b_key
    assert b.decrypt(CiphertextBlob=re["CiphertextBlob"])["Plaintext"] == b"from A"

    # A key whose policy does not name B: refused, naming A's key.
    private_blob = admin.kms.encrypt(KeyId=private, Plaintext=b"secret")["CiphertextBlob"]
    code, status, message = error(b.decrypt, CiphertextBlob=private_blob)
    assert (code, status) == ("AccessDeniedException", 400)
    assert f"kms:Decrypt on resource: {private}" in message and "secret" not in message
    # The key's account still decrypts its own ciphertexts without KeyId.
    assert admin.kms.decrypt(CiphertextBlob=private_blob)["Plaintext"] == b"secret"


def test_create_grant_grantee_must_name_a_principal(kms):
    c = kms()
    key_id = c.create_key()["KeyMetadata"]["KeyId"]
    for bad in ("p", "123456789012", "arn:aws:s3:::bucket", "arn:aws:iam::12345:user/u",
                "arn:aws:iam::123456789012:", "user/alice"):
        assert error(c.create_grant, KeyId=key_id, GranteePrincipal=bad,
                     Operations=["Decrypt"]) == (
            "InvalidArnException", 400, f"ARN does not refer to a valid principal: {bad}")
    for good in (f"arn:aws:iam::{ACCOUNT}:root", f"arn:aws:iam::{ACCOUNT}:role/path/app",
                 f"arn:aws:iam::{ACCOUNT_B}:user/bob",
                 f"arn:aws:sts::{ACCOUNT}:assumed-role/app/session",
                 "acm.us-east-2.amazonaws.com"):
        c.create_grant(KeyId=key_id, GranteePrincipal=good, Operations=["Decrypt"])
    assert len(c.list_grants(KeyId=key_id)["Grants"]) == 5
    # The key is looked up first: an unknown key is NotFoundException whatever the grantee.
    missing = str(uuid.uuid4())
    assert error(c.create_grant, KeyId=missing, GranteePrincipal="p",
                 Operations=["Decrypt"])[:2] == ("NotFoundException", 400)


def test_list_retirable_grants_includes_other_accounts_keys(admin, account_b):
    # "The grants that are returned include grants for KMS keys in your Amazon Web Services
    # account and other Amazon Web Services accounts" (ListRetirableGrants API reference).
    key = shared_key(admin, ["kms:CreateGrant", "kms:ListGrants"])
    b = admin.as_keys("kms", account_b)
    retiring = f"arn:aws:iam::{ACCOUNT_B}:role/{uniq('retiring')}"
    grantee = f"arn:aws:iam::{ACCOUNT_B}:role/{uniq('grantee')}"
    on_a_by_a = admin.kms.create_grant(KeyId=key, GranteePrincipal=grantee,
                                       RetiringPrincipal=retiring, Operations=["Decrypt"])
    on_a_by_b = b.create_grant(KeyId=key, GranteePrincipal=grantee, RetiringPrincipal=retiring,
                               Operations=["Encrypt"])
    b_key = b.create_key()["KeyMetadata"]["Arn"]
    on_b = b.create_grant(KeyId=b_key, GranteePrincipal=grantee, RetiringPrincipal=retiring,
                          Operations=["Decrypt"])
    b.create_grant(KeyId=b_key, GranteePrincipal=grantee, Operations=["Decrypt"])  # no retiring
    listed = b.list_retirable_grants(RetiringPrincipal=retiring)
    assert listed["Truncated"] is False
    by_id = {g["GrantId"]: g for g in listed["Grants"]}
    assert set(by_id) == {on_a_by_a["GrantId"], on_a_by_b["GrantId"], on_b["GrantId"]}
    assert by_id[on_a_by_a["GrantId"]]["KeyId"] == key
    assert by_id[on_a_by_a["GrantId"]]["IssuingAccount"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert by_id[on_b["GrantId"]]["KeyId"] == b_key
    # Paged a grant at a time, across both accounts' keys.
    seen, marker = [], None
    while True:
        page = b.list_retirable_grants(RetiringPrincipal=retiring, Limit=1,
                                       **({"Marker": marker} if marker else {}))
        seen += [g["GrantId"] for g in page["Grants"]]
        if not page["Truncated"]:
            break
        marker = page["NextMarker"]
    assert sorted(seen) == sorted(by_id)
    # "You must specify a principal in your Amazon Web Services account": the authorized
    # resource is the retiring principal, and B's role is no resource of A's account.
    code, status, message = error(admin.kms.list_retirable_grants, RetiringPrincipal=retiring)
    assert (code, status) == ("AccessDeniedException", 400)
    assert f"kms:ListRetirableGrants on resource: {retiring}" in message
    # A's own principals still list A's grants only.
    assert admin.kms.list_retirable_grants(
        RetiringPrincipal=f"arn:aws:iam::{ACCOUNT}:role/{uniq('none')}")["Grants"] == []


def test_create_grant_retry_answers_a_new_token_usable_as_the_first(admin):
    # CreateGrant's Name: "the returned grant token is unique with every CreateGrant request,
    # even when a duplicate GrantId is returned. All grant tokens for the same grant ID can be
    # used interchangeably."
    c = admin.kms
    key = c.create_key()["KeyMetadata"]["Arn"]
    req = dict(KeyId=key, GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:role/{uniq('g')}",
               Operations=["Encrypt", "Decrypt"], Name="retried")
    first, second, third = (c.create_grant(**req) for _ in range(3))
    assert first["GrantId"] == second["GrantId"] == third["GrantId"]
    tokens = [first["GrantToken"], second["GrantToken"], third["GrantToken"]]
    assert len(set(tokens)) == 3
    assert len(c.list_grants(KeyId=key)["Grants"]) == 1
    # Each is taken where grant tokens are ...
    blob = c.encrypt(KeyId=key, Plaintext=b"x", GrantTokens=tokens)["CiphertextBlob"]
    assert c.decrypt(CiphertextBlob=blob, GrantTokens=[second["GrantToken"]])["Plaintext"] == b"x"
    # ... a reissued one with its tag altered is not ...
    raw = base64.urlsafe_b64decode(second["GrantToken"] + "==").decode()
    prefix, gid, secret, arn = raw.split(":", 3)
    altered = _token(f"{prefix}:{gid}:{secret[:-1]}{'0' if secret[-1] != '0' else '1'}:{arn}")
    assert error(c.encrypt, KeyId=key, Plaintext=b"x", GrantTokens=[altered]) == (
        "InvalidGrantTokenException", 400, "Grant token is not valid.")
    assert error(c.retire_grant, GrantToken=altered)[:2] == ("InvalidGrantTokenException", 400)
    # ... and any of them retires the grant.
    c.retire_grant(GrantToken=third["GrantToken"])
    assert c.list_grants(KeyId=key)["Grants"] == []


def test_grant_tokens_must_name_a_grant_this_server_holds(admin, account_b):
    # InvalidGrantTokenException: "The request was rejected because the specified grant token
    # is not valid." Tokens were checked for form only: one made up in that form passed.
    c = admin.kms
    key = c.create_key()["KeyMetadata"]["Arn"]
    sign_key = c.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    grantee = f"arn:aws:iam::{ACCOUNT}:role/{uniq('g')}"
    g = c.create_grant(KeyId=key, GranteePrincipal=grantee, Operations=["Encrypt"])
    unknown = _token(f"gt2:{uuid.uuid4().hex * 2}:{uuid.uuid4().hex}:{key}")
    forged = _token(f"gt2:{g['GrantId']}:{uuid.uuid4().hex}:{key}")
    invalid = ("InvalidGrantTokenException", 400, "Grant token is not valid.")
    for bad in ("garbage", unknown, forged):
        assert error(c.encrypt, KeyId=key, Plaintext=b"x", GrantTokens=[bad]) == invalid
        assert error(c.describe_key, KeyId=key, GrantTokens=[g["GrantToken"], bad]) == invalid
        assert error(c.sign, KeyId=sign_key, Message=b"m", SigningAlgorithm="ECDSA_SHA_256",
                     GrantTokens=[bad]) == invalid
    c.encrypt(KeyId=key, Plaintext=b"x", GrantTokens=[g["GrantToken"]])
    # A token names its key by ARN: another account's grant on A's key is found in A's account.
    shared = shared_key(admin, ["kms:CreateGrant", "kms:Encrypt"])
    b = admin.as_keys("kms", account_b)
    b_grant = b.create_grant(KeyId=shared, GranteePrincipal=f"arn:aws:iam::{ACCOUNT_B}:root",
                             Operations=["Encrypt"])
    b.encrypt(KeyId=shared, Plaintext=b"x", GrantTokens=[b_grant["GrantToken"]])
    # A retired grant's token names no grant any more.
    c.retire_grant(GrantToken=g["GrantToken"])
    assert error(c.encrypt, KeyId=key, Plaintext=b"x", GrantTokens=[g["GrantToken"]]) == invalid
