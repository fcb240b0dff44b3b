"""Trust policies name users and roles by unique id, as AWS stores them: CreateRole and
UpdateAssumeRolePolicy refuse a principal that does not exist (MalformedPolicyDocument
'Invalid principal in policy: "AWS":"ARN"'), a user or role deleted and re-created under the
trusted name is not trusted, and the policy then shows the old identity's bare unique id."""

from __future__ import annotations

import json
import urllib.parse

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT
from test_iam import client, code_of, name

ASSUME = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]})


@pytest.fixture(scope="module")
def iam(auth_server):
    return client(auth_server.endpoint, "iam")


def trust(*arns):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": list(arns)}, "Action": "sts:AssumeRole"}]})


def user_sts(iam, auth_server, user):
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=ASSUME)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return key, client(auth_server.endpoint, "sts", key["AccessKeyId"], key["SecretAccessKey"])


def shown_principals(iam, role):
    doc = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    if isinstance(doc, str):
        doc = json.loads(urllib.parse.unquote(doc))
    return doc["Statement"][0]["Principal"]["AWS"]


def test_unknown_principals_are_refused(iam):
    ghost = f"arn:aws:iam::{ACCOUNT}:user/{name('ghost')}"
    for call in (lambda: iam.create_role(RoleName=name("r"), AssumeRolePolicyDocument=trust(ghost)),):
        with pytest.raises(ClientError) as e:
            call()
        assert code_of(e.value) == ("MalformedPolicyDocument", 400)
        assert e.value.response["Error"]["Message"] == \
            f'Invalid principal in policy: "AWS":"{ghost}"'
    r = name("r")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ACCOUNT}:root"))
    with pytest.raises(ClientError) as e:
        iam.update_assume_role_policy(RoleName=r, PolicyDocument=trust(ghost))
    assert code_of(e.value) == ("MalformedPolicyDocument", 400)


def test_a_recreated_user_is_not_trusted(iam, auth_server):
    bob = name("bob")
    key, sts = user_sts(iam, auth_server, bob)
    bob_arn = f"arn:aws:iam::{ACCOUNT}:user/{bob}"
    r = name("r")
    role = iam.create_role(RoleName=r, AssumeRolePolicyDocument=trust(bob_arn))["Role"]
    assert shown_principals(iam, r) == [bob_arn]  # shown as written while bob exists
    sts.assume_role(RoleArn=role["Arn"], RoleSessionName="ss")
    bob_id = iam.get_user(UserName=bob)["User"]["UserId"]
    iam.delete_access_key(UserName=bob, AccessKeyId=key["AccessKeyId"])
    iam.delete_user_policy(UserName=bob, PolicyName="p")
    iam.delete_user(UserName=bob)
    assert shown_principals(iam, r) == [bob_id]
    _, new_sts = user_sts(iam, auth_server, bob)
    with pytest.raises(ClientError) as e:
        new_sts.assume_role(RoleArn=role["Arn"], RoleSessionName="ss")
    assert code_of(e.value) == ("AccessDenied", 403)
    assert shown_principals(iam, r) == [bob_id]
    # Naming the new user again trusts it.
    iam.update_assume_role_policy(RoleName=r, PolicyDocument=trust(bob_arn))
    new_sts.assume_role(RoleArn=role["Arn"], RoleSessionName="ss")


def test_trusted_roles_are_bound_too(iam, auth_server):
    sts = client(auth_server.endpoint, "sts")
    caller = name("caller")
    caller_role = iam.create_role(RoleName=caller, AssumeRolePolicyDocument=trust(
        f"arn:aws:iam::{ACCOUNT}:root"))["Role"]
    iam.put_role_policy(RoleName=caller, PolicyName="p", PolicyDocument=ASSUME)
    target = iam.create_role(RoleName=name("t"),
                             AssumeRolePolicyDocument=trust(caller_role["Arn"]))["Role"]
    creds = sts.assume_role(RoleArn=caller_role["Arn"], RoleSessionName="cc")["Credentials"]
    chained = client(auth_server.endpoint, "sts", creds["AccessKeyId"], creds["SecretAccessKey"],
                     creds["SessionToken"])
    chained.assume_role(RoleArn=target["Arn"], RoleSessionName="tt")
