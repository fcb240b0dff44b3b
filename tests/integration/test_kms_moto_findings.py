"""KMS behaviours found by replaying moto's KMS test suite against Arcana, where AWS's answer
(not moto's) is what Arcana gives. Each test names its evidence.

- CreateAlias with ':' in the alias name: the botocore pattern ^[a-zA-Z0-9:/_-]+$ lets it
  through, but KMS refuses it: ValidationException "<name> contains invalid characters for an
  alias" (an AWS response quoted in hashicorp/terraform-provider-aws#12891; moto's tests
  expect the same text).
- CreateAlias / UpdateAlias whose TargetKeyId is an alias: ValidationException "Aliases must
  refer to keys. Not aliases" (the KMS API reference: TargetKeyId takes a key id or key ARN,
  "You cannot specify another alias"; moto's and CloudFormation linters' wording of AWS's
  answer).
- The policy lockout safety check of CreateKey, PutKeyPolicy and ReplicateKey: unless
  BypassPolicyLockoutSafetyCheck is true, the new key policy must allow the caller a later
  PutKeyPolicy; else MalformedPolicyDocumentException "The new key policy will not allow you
  to update the key policy in the future." (KMS API reference, CreateKey, PutKeyPolicy and
  ReplicateKey, BypassPolicyLockoutSafetyCheck).
"""

from __future__ import annotations

import json

import pytest

from conftest import raises_code
from kms_fixtures import kms, kms_raw  # noqa: F401

ACCOUNT = "123456789012"
LOCKOUT = "The new key policy will not allow you to update the key policy in the future."


def message_of(ei) -> str:
    return ei.value.response["Error"]["Message"]


def policy(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ROOT_ALL = {"Sid": "root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*", "Resource": "*"}


# --- alias names and targets -----------------------------------------------------------------

@pytest.mark.parametrize("name", ["alias/Service:Test", "alias/my:alias", "alias/trailing:"])
def test_colon_in_a_new_alias_is_invalid_characters(kms, name):
    c = kms()
    kid = c.create_key()["KeyMetadata"]["KeyId"]
    with raises_code("ValidationException") as ei:
        c.create_alias(AliasName=name, TargetKeyId=kid)
    assert message_of(ei) == f"{name} contains invalid characters for an alias"
    assert c.list_aliases(KeyId=kid)["Aliases"] == []


def test_characters_outside_the_pattern_keep_the_pattern_message(kms):
    c = kms()
    kid = c.create_key()["KeyMetadata"]["KeyId"]
    with raises_code("ValidationException") as ei:
        c.create_alias(AliasName="alias/a.b", TargetKeyId=kid)
    assert message_of(ei) == ("1 validation error detected: Value 'alias/a.b' at 'aliasName' failed "
                              "to satisfy constraint: Member must satisfy regular expression "
                              "pattern: ^[a-zA-Z0-9:/_-]+$")
    c.create_alias(AliasName="alias/ok_name-/x", TargetKeyId=kid)


def test_create_alias_targeting_an_alias_is_refused_before_any_lookup(kms):
    c = kms("eu-west-1")
    kid = c.create_key()["KeyMetadata"]["KeyId"]
    c.create_alias(AliasName="alias/first", TargetKeyId=kid)
    alias_arn = f"arn:aws:kms:eu-west-1:{ACCOUNT}:alias/first"
    # An existing alias, its ARN, an alias that does not exist, and the very name being created
    # (which would otherwise be AlreadyExists): all the same ValidationException.
    for target, name in (("alias/first", "alias/second"), (alias_arn, "alias/second"),
                         ("alias/nowhere", "alias/second"), ("alias/first", "alias/first")):
        with raises_code("ValidationException") as ei:
            c.create_alias(AliasName=name, TargetKeyId=target)
        assert message_of(ei) == "Aliases must refer to keys. Not aliases", target
    names = [a["AliasName"] for a in c.list_aliases(KeyId=kid)["Aliases"]]
    assert names == ["alias/first"]


def test_update_alias_targeting_an_alias_is_refused(kms):
    c = kms()
    k1 = c.create_key()["KeyMetadata"]["KeyId"]
    k2 = c.create_key()["KeyMetadata"]["KeyId"]
    c.create_alias(AliasName="alias/one", TargetKeyId=k1)
    c.create_alias(AliasName="alias/two", TargetKeyId=k2)
    with raises_code("ValidationException") as ei:
        c.update_alias(AliasName="alias/one", TargetKeyId="alias/two")
    assert message_of(ei) == "Aliases must refer to keys. Not aliases"
    assert c.describe_key(KeyId="alias/one")["KeyMetadata"]["KeyId"] == k1
    # An alias that does not exist is still NotFound first.
    with raises_code("NotFoundException"):
        c.update_alias(AliasName="alias/none", TargetKeyId="alias/two")


# --- policy lockout safety check -------------------------------------------------------------

LOCKING_POLICIES = [
    # Only another principal is allowed anything (another account: a user or role of this one
    # must exist, or the policy is refused for naming an invalid principal first).
    policy({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "kms:Decrypt", "Resource": "*"}),
    # The caller may use the key but not change its policy.
    policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": ["kms:Describe*", "kms:Encrypt"], "Resource": "*"}),
    # Deny statements only: nothing is allowed.
    policy({"Effect": "Deny", "Principal": "*", "Action": "kms:unknown", "Resource": "*"}),
    # Allowed, then denied PutKeyPolicy explicitly.
    policy(ROOT_ALL, {"Effect": "Deny", "Principal": "*", "Action": "kms:PutKeyPolicy",
                      "Resource": "*"}),
]


@pytest.mark.parametrize("doc", LOCKING_POLICIES)
def test_put_key_policy_that_locks_the_caller_out_is_refused(kms, doc):
    c = kms()
    kid = c.create_key()["KeyMetadata"]["KeyId"]
    before = c.get_key_policy(KeyId=kid, PolicyName="default")["Policy"]
    with raises_code("MalformedPolicyDocumentException") as ei:
        c.put_key_policy(KeyId=kid, PolicyName="default", Policy=doc)
    assert message_of(ei) == LOCKOUT
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert c.get_key_policy(KeyId=kid, PolicyName="default")["Policy"] == before
    # With the check bypassed, AWS takes the policy as it is.
    c.put_key_policy(KeyId=kid, PolicyName="default", Policy=doc,
                     BypassPolicyLockoutSafetyCheck=True)


@pytest.mark.parametrize("doc", LOCKING_POLICIES[:2])
def test_create_key_with_a_locking_policy_is_refused_and_creates_nothing(kms, doc):
    c = kms()
    with raises_code("MalformedPolicyDocumentException") as ei:
        c.create_key(Policy=doc)
    assert message_of(ei) == LOCKOUT
    assert c.list_keys()["Keys"] == []
    md = c.create_key(Policy=doc, BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]
    assert [k["KeyId"] for k in c.list_keys()["Keys"]] == [md["KeyId"]]


def test_policies_that_keep_put_key_policy_are_accepted(kms):
    c = kms()
    kid = c.create_key()["KeyMetadata"]["KeyId"]
    for doc in (policy(ROOT_ALL),
                policy({"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}),
                policy({"Effect": "Allow", "Principal": {"AWS": ACCOUNT},
                        "Action": ["kms:PutKeyPolicy", "kms:GetKeyPolicy"], "Resource": "*"}),
                # A Deny of other actions leaves PutKeyPolicy allowed.
                policy(ROOT_ALL, {"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt",
                                  "Resource": "*"})):
        c.put_key_policy(KeyId=kid, PolicyName="default", Policy=doc)
        assert c.get_key_policy(KeyId=kid, PolicyName="default")["Policy"] == doc
    assert c.create_key(Policy=policy(ROOT_ALL))["KeyMetadata"]["KeyState"] == "Enabled"


def test_replicate_key_with_a_locking_replica_policy_is_refused(kms):
    east, west = kms("us-east-1"), kms("eu-west-1")
    kid = east.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    with raises_code("MalformedPolicyDocumentException") as ei:
        east.replicate_key(KeyId=kid, ReplicaRegion="eu-west-1", Policy=LOCKING_POLICIES[0])
    assert message_of(ei) == LOCKOUT
    with raises_code("NotFoundException"):
        west.describe_key(KeyId=kid)
    r = east.replicate_key(KeyId=kid, ReplicaRegion="eu-west-1", Policy=LOCKING_POLICIES[0],
                           BypassPolicyLockoutSafetyCheck=True)
    assert r["ReplicaPolicy"] == LOCKING_POLICIES[0]
    # Without a Policy member the replica gets the default policy: nothing to check.
    east.replicate_key(KeyId=kid, ReplicaRegion="ap-south-1")


def test_lockout_check_for_an_iam_user(auth_server):
    """An IAM user allowed kms:CreateKey/PutKeyPolicy/GetKeyPolicy by its IAM policy: a key
    policy naming the account root leaves the decision to IAM (accepted); one naming only
    another principal, or denying the user, locks the user out (refused)."""
    import uuid

    from test_iam import client

    iam = client(auth_server.endpoint, "iam")
    name = "kmsuser-" + uuid.uuid4().hex[:8]
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["kms:CreateKey", "kms:PutKeyPolicy",
                                                     "kms:GetKeyPolicy"], "Resource": "*"}]}))
    ak = iam.create_access_key(UserName=name)["AccessKey"]
    c = client(auth_server.endpoint, "kms", ak["AccessKeyId"], ak["SecretAccessKey"])
    user_arn = f"arn:aws:iam::{ACCOUNT}:user/{name}"

    kid = c.create_key(Policy=policy(ROOT_ALL))["KeyMetadata"]["KeyId"]
    # Naming the user itself also keeps PutKeyPolicy.
    mine = policy(ROOT_ALL, {"Effect": "Allow", "Principal": {"AWS": user_arn},
                             "Action": "kms:PutKeyPolicy", "Resource": "*"})
    c.put_key_policy(KeyId=kid, PolicyName="default", Policy=mine)
    for doc in (LOCKING_POLICIES[0],
                policy(ROOT_ALL, {"Effect": "Deny", "Principal": {"AWS": user_arn},
                                  "Action": "kms:PutKeyPolicy", "Resource": "*"})):
        with raises_code("MalformedPolicyDocumentException") as ei:
            c.put_key_policy(KeyId=kid, PolicyName="default", Policy=doc)
        assert message_of(ei) == LOCKOUT
        with raises_code("MalformedPolicyDocumentException"):
            c.create_key(Policy=doc)
    assert c.get_key_policy(KeyId=kid, PolicyName="default")["Policy"] == mine

    # A user whose IAM policy allows CreateKey only: a key policy that gives the account
    # PutKeyPolicy still does not lock it out (IAM may grant it later); one that does not, does.
    name2 = "kmsuser-" + uuid.uuid4().hex[:8]
    iam.create_user(UserName=name2)
    iam.put_user_policy(UserName=name2, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:CreateKey", "Resource": "*"}]}))
    ak2 = iam.create_access_key(UserName=name2)["AccessKey"]
    c2 = client(auth_server.endpoint, "kms", ak2["AccessKeyId"], ak2["SecretAccessKey"])
    assert c2.create_key(Policy=policy(ROOT_ALL))["KeyMetadata"]["KeyState"] == "Enabled"
    with raises_code("MalformedPolicyDocumentException"):
        c2.create_key(Policy=LOCKING_POLICIES[1])
