"""How IAM calls are authorized beyond the action and the resource ARN: UpdateUser needs
iam:UpdateUser on the new name and path as well as on the old (AWS: "the requester must have
appropriate permissions on both the source object and the target object"), and IAM's condition
keys reach the policies: aws:ResourceTag/* and iam:ResourceTag/* (the user's or role's tags),
iam:PolicyARN (Attach/Detach*Policy), iam:PermissionsBoundary (CreateUser, CreateRole,
Put/Delete*PermissionsBoundary), aws:RequestTag/* and aws:TagKeys (Tag*, Untag*, Create*)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT
from test_iam import TRUST_ACCOUNT, client, code_of, name


@pytest.fixture(scope="module")
def iam(auth_server):
    return client(auth_server.endpoint, "iam")


def user_client(iam, auth_server, statements):
    u = name("caller")
    iam.create_user(UserName=u)
    iam.put_user_policy(UserName=u, PolicyName="p", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": statements}))
    key = iam.create_access_key(UserName=u)["AccessKey"]
    return u, client(auth_server.endpoint, "iam", key["AccessKeyId"], key["SecretAccessKey"])


def denied(call, **kw):
    with pytest.raises(ClientError) as e:
        call(**kw)
    assert code_of(e.value) == ("AccessDenied", 403), e.value.response


def test_rename_needs_permission_on_the_new_name_and_path(iam, auth_server):
    sfx = name("")
    _, c = user_client(iam, auth_server, [
        {"Effect": "Allow", "Action": "iam:UpdateUser",
         "Resource": f"arn:aws:iam::{ACCOUNT}:user/dev{sfx}*"}])
    src = f"dev{sfx}-a"
    iam.create_user(UserName=src)
    denied(c.update_user, UserName=src, NewUserName=f"admin{sfx}")
    denied(c.update_user, UserName=src, NewPath="/ops/")  # user/ops/dev... is not user/dev*
    assert iam.get_user(UserName=src)["User"]["Path"] == "/"
    c.update_user(UserName=src, NewUserName=f"dev{sfx}-b")
    assert iam.get_user(UserName=f"dev{sfx}-b")["User"]["UserName"] == f"dev{sfx}-b"


def test_iam_condition_keys_reach_deny_statements(iam, auth_server):
    sfx = name("")
    protected = f"prod{sfx}"
    iam.create_role(RoleName=protected, AssumeRolePolicyDocument=TRUST_ACCOUNT,
                    Tags=[{"Key": "protected", "Value": "true"}])
    plain = f"plain{sfx}"
    iam.create_role(RoleName=plain, AssumeRolePolicyDocument=TRUST_ACCOUNT)
    admin = iam.create_policy(PolicyName=f"admin{sfx}", PolicyDocument=json.dumps(
        {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))["Policy"]["Arn"]
    boundary = iam.create_policy(PolicyName=f"boundary{sfx}", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}))["Policy"]["Arn"]
    me, c = user_client(iam, auth_server, [
        {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:*", "Resource": "*",
         "Condition": {"StringEquals": {"aws:ResourceTag/protected": "true"}}},
        {"Effect": "Deny", "Action": "iam:UpdateRole", "Resource": "*",
         "Condition": {"StringEquals": {"iam:ResourceTag/team": "red"}}},
        {"Effect": "Deny", "Action": ["iam:AttachUserPolicy", "iam:AttachRolePolicy"],
         "Resource": "*", "Condition": {"ArnEquals": {"iam:PolicyARN": admin}}},
        {"Effect": "Deny", "Action": ["iam:TagRole", "iam:UntagRole", "iam:CreateRole"],
         "Resource": "*",
         "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["protected"]}}},
        {"Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestTag/team": "red"}}},
        {"Effect": "Deny", "Action": ["iam:CreateUser", "iam:PutRolePermissionsBoundary"],
         "Resource": "*", "Condition": {"StringNotEquals": {"iam:PermissionsBoundary": boundary}}},
    ])
    denied(c.update_assume_role_policy, RoleName=protected, PolicyDocument=TRUST_ACCOUNT)
    c.update_assume_role_policy(RoleName=plain, PolicyDocument=TRUST_ACCOUNT)
    iam.tag_role(RoleName=plain, Tags=[{"Key": "team", "Value": "red"}])
    denied(c.update_role, RoleName=plain, Description="x")
    denied(c.attach_user_policy, UserName=me, PolicyArn=admin)
    c.attach_user_policy(UserName=me, PolicyArn=boundary)
    denied(c.tag_role, RoleName=plain, Tags=[{"Key": "protected", "Value": "false"}])
    denied(c.untag_role, RoleName=plain, TagKeys=["protected"])
    c.untag_role(RoleName=plain, TagKeys=["other"])
    denied(c.create_role, RoleName=f"new{sfx}", AssumeRolePolicyDocument=TRUST_ACCOUNT,
           Tags=[{"Key": "protected", "Value": "true"}])
    denied(c.create_user, UserName=f"u{sfx}")  # no boundary
    denied(c.create_user, UserName=f"u{sfx}", PermissionsBoundary=boundary,
           Tags=[{"Key": "team", "Value": "red"}])
    c.create_user(UserName=f"u{sfx}", PermissionsBoundary=boundary)
    denied(c.put_role_permissions_boundary, RoleName=plain, PermissionsBoundary=admin)
    c.put_role_permissions_boundary(RoleName=plain, PermissionsBoundary=boundary)


def test_simulate_principal_policy_takes_a_group(iam):
    g = name("g")
    group = iam.create_group(GroupName=g)["Group"]
    iam.put_group_policy(GroupName=g, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
    results = iam.simulate_principal_policy(
        PolicySourceArn=group["Arn"],
        ActionNames=["secretsmanager:GetSecretValue", "secretsmanager:DeleteSecret"])
    decisions = {r["EvalActionName"]: r["EvalDecision"] for r in results["EvaluationResults"]}
    assert decisions == {"secretsmanager:GetSecretValue": "allowed",
                         "secretsmanager:DeleteSecret": "implicitDeny"}
    with pytest.raises(ClientError) as e:
        iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:group/{name('n')}",
                                      ActionNames=["iam:GetUser"])
    assert code_of(e.value) == ("NoSuchEntity", 404)
