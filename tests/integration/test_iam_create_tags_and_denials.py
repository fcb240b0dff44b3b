"""IAM authorization as AWS answers it, against a non-dev server with real IAM users (review
findings on IAM authorization):
- a create call with Tags needs the resource type's tagging action too (iam:TagUser for
  CreateUser, iam:TagRole for CreateRole, ...), on the resource it creates, with the request's
  aws:RequestTag/K and aws:TagKeys; refused, nothing is created;
- a denial names an existing user or role as "user NAME" / "role NAME" and CreatePolicy's
  policy as "policy NAME", as AWS's answers are quoted (aws/aws-cdk#27067: "iam:GetRole on
  resource: role cdk-..."; "iam:AttachRolePolicy on resource: role ..."; "iam:CreatePolicy on
  resource: policy eks-S3upload"), while CreateUser and CreateRole name the ARN
  (ysugimoto/aws-lambda-image#153, hashicorp/boundary#4287)."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT
from test_access_control import Admin, admin, allow, deny, doc, trust, uniq  # noqa: F401
from test_iam import code_of

TAGS = [{"Key": "team", "Value": "admins"}]
THUMBPRINT = "a" * 40


def refused(fn, **kw) -> str:
    with pytest.raises(ClientError) as e:
        fn(**kw)
    assert code_of(e.value) == ("AccessDenied", 403), e.value.response
    return e.value.response["Error"]["Message"]


def missing(fn, **kw):
    with pytest.raises(ClientError) as e:
        fn(**kw)
    assert code_of(e.value) == ("NoSuchEntity", 404), e.value.response


def caller(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:user/{name}"


def test_create_calls_with_tags_need_the_tagging_action(admin):
    tag_actions = ["iam:TagUser", "iam:TagRole", "iam:TagPolicy", "iam:TagInstanceProfile",
                   "iam:TagMFADevice", "iam:TagOpenIDConnectProvider"]
    name, creds = admin.user(doc(allow("iam:*"), deny(tag_actions)))
    iam = admin.as_keys("iam", creds)
    me = caller(name)

    def explicit(action, resource):
        return (f"User: {me} is not authorized to perform: {action} on resource: {resource} "
                "with an explicit deny in an identity-based policy")

    user = uniq("tu")
    assert refused(iam.create_user, UserName=user, Tags=TAGS) == explicit(
        "iam:TagUser", f"arn:aws:iam::{ACCOUNT}:user/{user}")
    missing(admin.iam.get_user, UserName=user)
    iam.create_user(UserName=user)

    role = uniq("tr")
    assert refused(iam.create_role, RoleName=role, AssumeRolePolicyDocument=trust(),
                   Tags=TAGS) == explicit("iam:TagRole", f"arn:aws:iam::{ACCOUNT}:role/{role}")
    missing(admin.iam.get_role, RoleName=role)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust())

    policy = uniq("tp")
    assert refused(iam.create_policy, PolicyName=policy, PolicyDocument=doc(allow("s3:*")),
                   Tags=TAGS) == explicit("iam:TagPolicy", f"policy {policy}")
    missing(admin.iam.get_policy, PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/{policy}")

    profile = uniq("ip")
    refused(iam.create_instance_profile, InstanceProfileName=profile, Tags=TAGS)
    missing(admin.iam.get_instance_profile, InstanceProfileName=profile)
    refused(iam.create_virtual_mfa_device, VirtualMFADeviceName=uniq("mfa"), Tags=TAGS)
    url = f"oidc-{uuid.uuid4().hex[:10]}.example.com"
    refused(iam.create_open_id_connect_provider, Url=f"https://{url}",
            ThumbprintList=[THUMBPRINT], Tags=TAGS)
    missing(admin.iam.get_open_id_connect_provider,
            OpenIDConnectProviderArn=f"arn:aws:iam::{ACCOUNT}:oidc-provider/{url}")

    # Only the create action: the missing tagging permission is named.
    name, creds = admin.user(doc(allow("iam:CreateUser")))
    user = uniq("tu")
    assert refused(admin.as_keys("iam", creds).create_user, UserName=user, Tags=TAGS) == (
        f"User: {caller(name)} is not authorized to perform: iam:TagUser on resource: "
        f"arn:aws:iam::{ACCOUNT}:user/{user} because no identity-based policy allows the "
        "iam:TagUser action")

    # The tagging permission sees the request's tags.
    name, creds = admin.user(doc(allow("iam:CreateRole"), allow("iam:TagRole", Condition={
        "StringEquals": {"aws:RequestTag/team": "admins"}})))
    iam = admin.as_keys("iam", creds)
    role = uniq("tr")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust(), Tags=TAGS)
    assert admin.iam.list_role_tags(RoleName=role)["Tags"] == TAGS
    refused(iam.create_role, RoleName=uniq("tr"), AssumeRolePolicyDocument=trust(),
            Tags=[{"Key": "team", "Value": "other"}])


def test_denials_name_users_roles_and_new_policies_as_aws_does(admin):
    name, creds = admin.user(doc(allow("secretsmanager:ListSecrets")))
    me = caller(name)
    iam = admin.as_keys("iam", creds)
    role = uniq("r")
    admin.iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust(), Path="/app/")
    other = uniq("u")
    admin.iam.create_user(UserName=other)

    def no_allow(action, resource):
        return (f"User: {me} is not authorized to perform: {action} on resource: {resource} "
                f"because no identity-based policy allows the {action} action")

    for fn, kw, action in [
            (iam.get_role, {"RoleName": role}, "iam:GetRole"),
            (iam.delete_role, {"RoleName": role}, "iam:DeleteRole"),
            (iam.put_role_policy, {"RoleName": role, "PolicyName": "p",
                                   "PolicyDocument": doc(allow("s3:*"))}, "iam:PutRolePolicy"),
            (iam.attach_role_policy, {"RoleName": role, "PolicyArn":
                                      "arn:aws:iam::aws:policy/ReadOnlyAccess"},
             "iam:AttachRolePolicy"),
            (iam.update_assume_role_policy, {"RoleName": role, "PolicyDocument": trust()},
             "iam:UpdateAssumeRolePolicy")]:
        assert refused(fn, **kw) == no_allow(action, f"role {role}")
    for fn, kw, action in [
            (iam.get_user, {"UserName": other}, "iam:GetUser"),
            (iam.get_user_policy, {"UserName": other, "PolicyName": "p"}, "iam:GetUserPolicy"),
            (iam.get_login_profile, {"UserName": other}, "iam:GetLoginProfile"),
            (iam.create_access_key, {"UserName": other}, "iam:CreateAccessKey")]:
        assert refused(fn, **kw) == no_allow(action, f"user {other}")
    # Without a UserName the call acts on the caller itself.
    assert refused(iam.get_user) == no_allow("iam:GetUser", f"user {name}")
    # A renamed user is named by its new name.
    admin.iam.put_user_policy(UserName=name, PolicyName="upd", PolicyDocument=doc(allow(
        "iam:UpdateUser", f"arn:aws:iam::{ACCOUNT}:user/{other}")))
    assert refused(iam.update_user, UserName=other, NewUserName=other + "x") == no_allow(
        "iam:UpdateUser", f"user {other}x")
    policy = uniq("eks-up")
    assert refused(iam.create_policy, PolicyName=policy,
                   PolicyDocument=doc(allow("s3:*"))) == no_allow("iam:CreatePolicy",
                                                                   f"policy {policy}")
    # The calls that create a user or role name its ARN.
    new_role = uniq("nr")
    assert refused(iam.create_role, RoleName=new_role, AssumeRolePolicyDocument=trust()) == \
        no_allow("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/{new_role}")
    new_user = uniq("nu")
    assert refused(iam.create_user, UserName=new_user) == no_allow(
        "iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/{new_user}")
