"""Temporary credentials belong to the identity they were issued to (its unique id, AIDA... or
AROA...), not to its name: once the user or role is deleted its sessions stop, and a new
identity created (or renamed) under the same name never revives them, as in AWS."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from test_iam import TRUST_ACCOUNT, client, code_of, name
from test_sts import creds_client as session_client

ADMIN = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"}]})


@pytest.fixture(scope="module")
def iam(auth_server):
    return client(auth_server.endpoint, "iam")


def refused(call):
    with pytest.raises(ClientError) as e:
        call()
    assert code_of(e.value) == ("InvalidClientTokenId", 403)


def user_with_key(iam, user, policy=ADMIN):
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=policy)
    return iam.create_access_key(UserName=user)["AccessKey"]


def delete_user(iam, user, key_id):
    iam.delete_access_key(UserName=user, AccessKeyId=key_id)
    iam.delete_user_policy(UserName=user, PolicyName="p")
    iam.delete_user(UserName=user)


def test_user_sessions_end_with_the_user_and_stay_ended_for_a_same_name_user(iam, auth_server):
    u = name("alice")
    key = user_with_key(iam, u)
    user_sts = session_client(auth_server, "sts", key)
    gst = user_sts.get_session_token(DurationSeconds=900)["Credentials"]
    fed = user_sts.get_federation_token(Name="fed", Policy=ADMIN)["Credentials"]
    assert session_client(auth_server, "sts", gst).get_caller_identity()["Arn"].endswith(u)
    delete_user(iam, u, key["AccessKeyId"])
    for creds in (gst, fed):
        refused(session_client(auth_server, "sts", creds).get_caller_identity)
    # An unrelated user takes the name, with more permissions: the old sessions stay dead.
    new_key = user_with_key(iam, u)
    for creds in (gst, fed):
        refused(session_client(auth_server, "sts", creds).get_caller_identity)
        refused(session_client(auth_server, "iam", creds).list_users)
    delete_user(iam, u, new_key["AccessKeyId"])


def test_a_user_renamed_into_the_name_does_not_inherit_its_sessions(iam, auth_server):
    old, other = name("old"), name("other")
    key = user_with_key(iam, old)
    gst = session_client(auth_server, "sts", key).get_session_token(
        DurationSeconds=900)["Credentials"]
    delete_user(iam, old, key["AccessKeyId"])
    other_key = user_with_key(iam, other)
    iam.update_user(UserName=other, NewUserName=old)
    refused(session_client(auth_server, "sts", gst).get_caller_identity)
    delete_user(iam, old, other_key["AccessKeyId"])


def test_role_sessions_do_not_act_as_a_recreated_role(iam, auth_server):
    sts = client(auth_server.endpoint, "sts")
    r = name("ci")
    role = iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT)["Role"]
    out = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1")
    creds = out["Credentials"]
    assert out["AssumedRoleUser"]["AssumedRoleId"] == role["RoleId"] + ":s1"
    assert session_client(auth_server, "sts", creds).get_caller_identity()["UserId"] == \
        role["RoleId"] + ":s1"
    iam.delete_role(RoleName=r)
    refused(session_client(auth_server, "sts", creds).get_caller_identity)
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT)
    iam.put_role_policy(RoleName=r, PolicyName="admin", PolicyDocument=ADMIN)
    refused(session_client(auth_server, "sts", creds).get_caller_identity)
    refused(session_client(auth_server, "iam", creds).list_roles)
    # The new role's own sessions work.
    fresh = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s2")["Credentials"]
    session_client(auth_server, "iam", fresh).list_roles()
    iam.delete_role_policy(RoleName=r, PolicyName="admin")
    iam.delete_role(RoleName=r)
