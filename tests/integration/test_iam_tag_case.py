"""Tag keys of IAM users, roles and STS sessions are not case sensitive, but their case is kept
(IAM User Guide, "Tagging IAM resources", case sensitivity): TagUser/TagRole replace a tag of
another spelling and UntagUser/UntagRole remove it; a session tag replaces the role's (or the
federating user's) tag of the same key in any case, so a Deny on aws:PrincipalTag/KEY sees the
session's value. GetFederationToken sessions carry the calling user's tags. In dev mode an
inactive user key is refused as in signed mode, not taken for the account root."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT
from test_iam import TRUST_ACCOUNT, client, code_of, name
from test_sts import creds_client, iam, sts  # noqa: F401 (the root's IAM and STS clients)


ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def get_user_code(iam_client, user) -> str:
    """'OK', or the error code of GetUser(user) as the given credentials call it."""
    try:
        iam_client.get_user(UserName=user)
        return "OK"
    except ClientError as e:
        return code_of(e)[0]


def deny_get_user_if(tag_value: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:GetUser", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalTag/Team": tag_value}}}]})


@pytest.mark.parametrize("kind", ["user", "role"])
def test_user_and_role_tag_keys_are_one_key_in_any_case(iam, kind):
    n = name(kind[0])
    if kind == "user":
        iam.create_user(UserName=n, Tags=[{"Key": "Team", "Value": "red"},
                                          {"Key": "Env", "Value": "dev"}])
        tag, untag, listing, member = iam.tag_user, iam.untag_user, iam.list_user_tags, "UserName"
    else:
        iam.create_role(RoleName=n, AssumeRolePolicyDocument=TRUST_ACCOUNT,
                        Tags=[{"Key": "Team", "Value": "red"}, {"Key": "Env", "Value": "dev"}])
        tag, untag, listing, member = iam.tag_role, iam.untag_role, iam.list_role_tags, "RoleName"
    # The guide: Department=finance then department=hr "replaces the first tag. A second tag
    # is not added." The new spelling and value are kept, in the tag's place.
    tag(**{member: n, "Tags": [{"Key": "team", "Value": "blue"}]})
    assert listing(**{member: n})["Tags"] == [{"Key": "team", "Value": "blue"},
                                              {"Key": "Env", "Value": "dev"}]
    untag(**{member: n, "TagKeys": ["TEAM", "eNV"]})
    assert listing(**{member: n})["Tags"] == []


def test_managed_policy_tag_keys_stay_case_sensitive(iam):
    """The same guide section: a customer managed policy may hold Costcenter and costcenter."""
    arn = iam.create_policy(PolicyName=name("p"), PolicyDocument=ALLOW_ALL,
                            Tags=[{"Key": "Costcenter", "Value": "1234"}])["Policy"]["Arn"]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "costcenter", "Value": "5678"}])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [
        {"Key": "Costcenter", "Value": "1234"}, {"Key": "costcenter", "Value": "5678"}]
    iam.untag_policy(PolicyArn=arn, TagKeys=["COSTCENTER"])
    assert len(iam.list_policy_tags(PolicyArn=arn)["Tags"]) == 2


@pytest.mark.parametrize("session_key", ["Team", "team", "TEAM"])
def test_a_session_tag_replaces_the_roles_tag_in_any_case(iam, sts, auth_server, session_key):
    """Role tag Team=red, session tag <any case of team>=blue: the session is Team=blue only
    (STS: the session tag takes precedence). A Deny on blue applies, a Deny on red does not."""
    r, target = name("r"), name("u")
    iam.create_user(UserName=target)
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT,
                    Tags=[{"Key": "Team", "Value": "red"}])
    arn = f"arn:aws:iam::{ACCOUNT}:role/{r}"
    for denied_value, want in (("blue", "AccessDenied"), ("red", "OK")):
        iam.put_role_policy(RoleName=r, PolicyName="p", PolicyDocument=deny_get_user_if(denied_value))
        creds = sts.assume_role(RoleArn=arn, RoleSessionName="sess",
                                Tags=[{"Key": session_key, "Value": "blue"}])["Credentials"]
        got = get_user_code(creds_client(auth_server, "iam", creds), target)
        assert got == want, (session_key, denied_value)


def list_secrets_code(server, creds) -> str:
    """'OK', or the error code of ListSecrets as the given credentials call it."""
    try:
        creds_client(server, "secretsmanager", creds).list_secrets(MaxResults=1)
        return "OK"
    except ClientError as e:
        return code_of(e)[0]


def test_federation_token_sessions_carry_the_users_tags(iam, auth_server):
    """GetFederationToken (STS API): the calling user's tags are the session's principal tags,
    a session tag overriding a user tag with the same key (in any case). (Federated users may
    call no IAM operation, so Secrets Manager is asked.)"""
    u = name("u")
    iam.create_user(UserName=u, Tags=[{"Key": "Team", "Value": "red"}])
    iam.put_user_policy(UserName=u, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["sts:GetFederationToken", "sts:TagSession"],
             "Resource": "*"},
            {"Effect": "Allow", "Action": "secretsmanager:ListSecrets", "Resource": "*",
             "Condition": {"StringEquals": {"aws:PrincipalTag/Team": "red"}}}]}))
    key = iam.create_access_key(UserName=u)["AccessKey"]
    user_sts = creds_client(auth_server, "sts", key)
    assert list_secrets_code(auth_server, key) == "OK"
    fed = user_sts.get_federation_token(Name="fedu", Policy=ALLOW_ALL)["Credentials"]
    assert list_secrets_code(auth_server, fed) == "OK"
    retagged = user_sts.get_federation_token(Name="fedu", Policy=ALLOW_ALL,
                                             Tags=[{"Key": "team", "Value": "blue"}])["Credentials"]
    assert list_secrets_code(auth_server, retagged) == "AccessDeniedException"


def refusal(call):
    with pytest.raises(ClientError) as e:
        call()
    err = e.value.response["Error"]
    return err["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"], err["Message"]


def test_dev_mode_refuses_an_inactive_user_key_as_signed_mode_does(dev_server, iam, auth_server):
    """An inactive key the store holds is refused (InvalidClientTokenId 403, signed mode's
    answer); it never becomes the dev account's root. A key the store lacks still does."""
    signed = {}
    for label, server, root in (("signed", auth_server, None),
                                ("dev", dev_server, "AKIDANYTHING0000003")):
        admin = iam if root is None else client(server.endpoint, "iam", root, "whatever")
        u = name("u")
        admin.create_user(UserName=u)
        key = admin.create_access_key(UserName=u)["AccessKey"]
        user_sts = creds_client(server, "sts", key)
        assert user_sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{u}"
        admin.update_access_key(UserName=u, AccessKeyId=key["AccessKeyId"], Status="Inactive")
        signed[label] = refusal(user_sts.get_caller_identity)
        # Not the root by another service either.
        assert refusal(creds_client(server, "iam", key).list_users)[:2] == signed[label][:2]
        admin.update_access_key(UserName=u, AccessKeyId=key["AccessKeyId"], Status="Active")
        assert user_sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{u}"
    assert signed["signed"] == (
        "InvalidClientTokenId", 403, "The security token included in the request is invalid.")
    assert signed["dev"] == signed["signed"]
    unknown = client(dev_server.endpoint, "sts", "AKIDANYTHING0000004", "whatever")
    assert unknown.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
