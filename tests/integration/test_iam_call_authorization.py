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

