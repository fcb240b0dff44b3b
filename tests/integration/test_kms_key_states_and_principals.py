"""KMS answers a reviewer found to differ from AWS's (reproduced with boto3):

- DeleteAlias and PutKeyPolicy are allowed in every key state, pending deletion included
  (KMS Developer Guide, "Key states of AWS KMS keys", key-state.md: both rows say "Yes" in
  every column); both were KMSInvalidStateException "<ARN> is pending deletion.".
- A key policy (CreateKey Policy, PutKeyPolicy, ReplicateKey Policy) naming an IAM user or
  role that does not exist, or a principal that is no principal's form (a malformed ARN,
  'not-an-arn', a wildcard inside an ARN), is MalformedPolicyDocumentException "Policy
  contains a statement with one or more invalid principals." (HTTP 400), AWS's answer; it was
  stored. Account roots (ARN or bare 12-digit id), "*" and service principals stay valid.
  Users and roles are looked up as IAM's trust policies look them up (path included).
- EnableKeyRotation / DisableKeyRotation of an EXTERNAL key still awaiting its material
  (PendingImport) is UnsupportedOperationException "<ARN> origin is EXTERNAL which is not
  valid for this operation.": the origin check comes before the key state; it was
  KMSInvalidStateException "... is pending import.".
"""

from __future__ import annotations

import json
import uuid

import pytest

from conftest import raises_code
from kms_fixtures import kms, kms_raw  # noqa: F401

ACCOUNT = "123456789012"
INVALID_PRINCIPALS = "Policy contains a statement with one or more invalid principals."
ROOT_ALL = {"Sid": "root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*", "Resource": "*"}


def message_of(ei) -> str:
    return ei.value.response["Error"]["Message"]


def status_of(ei) -> int:
    return ei.value.response["ResponseMetadata"]["HTTPStatusCode"]


def policy(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def naming(principal) -> str:
    """The root may do everything; `principal` (a Principal element) may decrypt."""
    return policy(ROOT_ALL, {"Sid": "other", "Effect": "Allow", "Principal": principal,
                             "Action": "kms:Decrypt", "Resource": "*"})


# --- key states ------------------------------------------------------------------------------

def test_delete_alias_of_a_key_pending_deletion(kms):
    c = kms()
    kid = c.create_key()["KeyMetadata"]["KeyId"]
    c.create_alias(AliasName="alias/leaving", TargetKeyId=kid)
    c.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)
    c.delete_alias(AliasName="alias/leaving")
    assert c.list_aliases(KeyId=kid)["Aliases"] == []
    # The name is free again (for another key).
    other = c.create_key()["KeyMetadata"]["KeyId"]
    c.create_alias(AliasName="alias/leaving", TargetKeyId=other)
    # Cancelled, the key has no alias left.
    c.cancel_key_deletion(KeyId=kid)
    assert c.list_aliases(KeyId=kid)["Aliases"] == []


def test_delete_alias_of_a_key_pending_deletion_still_needs_the_key_permission(auth_server):
    """DeleteAlias needs kms:DeleteAlias on the key as well as on the alias, in every state."""
    from test_iam import client

    iam = client(auth_server.endpoint, "iam")
    root_kms = client(auth_server.endpoint, "kms")
    alias = "alias/pd-" + uuid.uuid4().hex[:8]
    kid = root_kms.create_key()["KeyMetadata"]["KeyId"]
    root_kms.create_alias(AliasName=alias, TargetKeyId=kid)
    root_kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)
    name = "aliasonly-" + uuid.uuid4().hex[:8]
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:DeleteAlias",
                       "Resource": f"arn:aws:kms:us-east-1:{ACCOUNT}:{alias}"}]}))
    ak = iam.create_access_key(UserName=name)["AccessKey"]
    user_kms = client(auth_server.endpoint, "kms", ak["AccessKeyId"], ak["SecretAccessKey"])
    with raises_code("AccessDeniedException"):
        user_kms.delete_alias(AliasName=alias)
    assert [a["AliasName"] for a in root_kms.list_aliases(KeyId=kid)["Aliases"]] == [alias]
    root_kms.delete_alias(AliasName=alias)
    assert root_kms.list_aliases(KeyId=kid)["Aliases"] == []


def test_put_key_policy_on_a_key_pending_deletion(kms):
    c = kms()
    kid = c.create_key()["KeyMetadata"]["KeyId"]
    c.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)
    doc = policy(ROOT_ALL, {"Sid": "any", "Effect": "Allow", "Principal": "*",
                            "Action": "kms:DescribeKey", "Resource": "*"})
    c.put_key_policy(KeyId=kid, PolicyName="default", Policy=doc)
    assert c.get_key_policy(KeyId=kid, PolicyName="default")["Policy"] == doc
    assert c.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    # The lockout safety check still applies in that state.
    locking = policy({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                      "Action": "kms:Decrypt", "Resource": "*"})
    with raises_code("MalformedPolicyDocumentException") as ei:
        c.put_key_policy(KeyId=kid, PolicyName="default", Policy=locking)
    assert message_of(ei) == ("The new key policy will not allow you to update the key policy "
                              "in the future.")


@pytest.mark.parametrize("op", ["EnableKeyRotation", "DisableKeyRotation"])
def test_rotation_of_an_external_key_pending_import_is_an_origin_error(kms, kms_raw, op):
    md = kms().create_key(Origin="EXTERNAL")["KeyMetadata"]
    assert md["KeyState"] == "PendingImport"
    r = kms_raw(op, {"KeyId": md["KeyId"]})
    want = f"{md['Arn']} origin is EXTERNAL which is not valid for this operation."
    assert r.status_code == 400, r.text
    body = r.json()
    assert (body["__type"], body["message"]) == ("UnsupportedOperationException", want)


# --- key policy principals -------------------------------------------------------------------

MALFORMED = [
    f"arn:aws:iam:{ACCOUNT}:root",          # a colon missing
    "not-an-arn",
    f"arn:aws:iam::{ACCOUNT}:user/*",       # no wildcard inside an ARN
    f"arn:aws:iam::{ACCOUNT}:group/admins",  # a group is no principal
    f"arn:aws:s3:::bucket",
    "arn:aws:iam::12345:root",              # not a 12-digit account
    f"arn:aws:iam::{ACCOUNT}:",
]


@pytest.mark.parametrize("bad", MALFORMED)
def test_a_malformed_principal_is_refused(kms, bad):
    c = kms()
    kid = c.create_key()["KeyMetadata"]["KeyId"]
    before = c.get_key_policy(KeyId=kid, PolicyName="default")["Policy"]
    for doc in (naming({"AWS": bad}), naming({"AWS": [f"arn:aws:iam::{ACCOUNT}:root", bad]})):
        with raises_code("MalformedPolicyDocumentException") as ei:
            c.put_key_policy(KeyId=kid, PolicyName="default", Policy=doc)
        assert (message_of(ei), status_of(ei)) == (INVALID_PRINCIPALS, 400)
        with raises_code("MalformedPolicyDocumentException") as ei:
            c.create_key(Policy=doc)
        assert message_of(ei) == INVALID_PRINCIPALS
    assert c.get_key_policy(KeyId=kid, PolicyName="default")["Policy"] == before
    assert len(c.list_keys()["Keys"]) == 1


def test_principals_of_valid_forms_are_kept(kms):
    c = kms()
    kid = c.create_key()["KeyMetadata"]["KeyId"]
    for principal in ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, {"AWS": ACCOUNT}, {"AWS": "*"},
                      "*", {"AWS": "arn:aws:iam::111122223333:root"},
                      {"AWS": f"arn:aws:sts::{ACCOUNT}:assumed-role/app/session"},
                      {"Service": "logs.us-east-1.amazonaws.com"}):
        doc = naming(principal)
        c.put_key_policy(KeyId=kid, PolicyName="default", Policy=doc)
        assert c.get_key_policy(KeyId=kid, PolicyName="default")["Policy"] == doc
        c.create_key(Policy=doc)
    # The default key policy still goes back in as it came out.
    default = c.get_key_policy(KeyId=c.create_key()["KeyMetadata"]["KeyId"],
                               PolicyName="default")["Policy"]
    c.put_key_policy(KeyId=kid, PolicyName="default", Policy=default)


def test_users_and_roles_a_key_policy_names_must_exist(auth_server):
    from test_iam import client

    iam = client(auth_server.endpoint, "iam")
    c = client(auth_server.endpoint, "kms")
    tag = uuid.uuid4().hex[:8]
    user, role = "kp-user-" + tag, "kp-role-" + tag
    iam.create_user(UserName=user, Path="/team/")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                       "Action": "sts:AssumeRole"}]}))
    user_arn = f"arn:aws:iam::{ACCOUNT}:user/team/{user}"
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{role}"
    kid = c.create_key()["KeyMetadata"]["KeyId"]

    good = naming({"AWS": [user_arn, role_arn]})
    c.put_key_policy(KeyId=kid, PolicyName="default", Policy=good)
    assert c.create_key(Policy=good)["KeyMetadata"]["KeyState"] == "Enabled"
    # NotPrincipal names are looked up too.
    c.put_key_policy(KeyId=kid, PolicyName="default", Policy=policy(
        ROOT_ALL, {"Effect": "Deny", "NotPrincipal": {"AWS": [f"arn:aws:iam::{ACCOUNT}:root",
                                                               role_arn]},
                   "Action": "kms:Decrypt", "Resource": "*"}))
    c.put_key_policy(KeyId=kid, PolicyName="default", Policy=good)

    missing = [
        f"arn:aws:iam::{ACCOUNT}:user/nobody-{tag}",
        f"arn:aws:iam::{ACCOUNT}:role/nobody-{tag}",
        f"arn:aws:iam::{ACCOUNT}:user/{user}",          # the user is under /team/
        f"arn:aws:iam::{ACCOUNT}:role/other/{role}",   # not the role's path
        f"arn:aws:iam::111122223333:user/nobody-{tag}",  # another account holds no such user
    ]
    for arn in missing:
        for doc in (naming({"AWS": arn}),
                    policy(ROOT_ALL, {"Effect": "Deny", "NotPrincipal": {"AWS": arn},
                                      "Action": "kms:Decrypt", "Resource": "*"})):
            with raises_code("MalformedPolicyDocumentException") as ei:
                c.put_key_policy(KeyId=kid, PolicyName="default", Policy=doc)
            assert (message_of(ei), status_of(ei)) == (INVALID_PRINCIPALS, 400), arn
            with raises_code("MalformedPolicyDocumentException") as ei:
                c.create_key(Policy=doc)
            assert message_of(ei) == INVALID_PRINCIPALS, arn
    assert c.get_key_policy(KeyId=kid, PolicyName="default")["Policy"] == good

    # A replica's policy is checked alike.
    mrk = c.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    with raises_code("MalformedPolicyDocumentException") as ei:
        c.replicate_key(KeyId=mrk, ReplicaRegion="eu-west-1", Policy=naming({"AWS": missing[0]}))
    assert message_of(ei) == INVALID_PRINCIPALS

    # Once the user is gone, a policy naming it is refused again.
    iam.delete_user(UserName=user)
    with raises_code("MalformedPolicyDocumentException") as ei:
        c.put_key_policy(KeyId=kid, PolicyName="default", Policy=good)
    assert message_of(ei) == INVALID_PRINCIPALS
