"""AssumeRole evaluates the caller's stored policies itself (the trust policy is the role's):
a stored identity policy the engine cannot compile fails closed there too, as in the
authorizer (auth::PolicyAuthorizer::Decide). IAM refuses such a document before storing it, so
one is written by an older version or edited in the store; dropped, its Deny statements no
longer counted and AssumeRole went through."""
from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT
from test_iam import client, code_of, name
from test_sts import run_store_sql


def _doc(effect, cond=None, action="sts:AssumeRole"):
    st = {"Effect": effect, "Action": action, "Resource": "*"}
    if cond:
        st["Condition"] = cond
    return json.dumps({"Version": "2012-10-17", "Statement": [st]})


def test_assume_role_refused_when_an_identity_policy_does_not_compile(auth_server):
    iam = client(auth_server.endpoint, "iam")
    user, role = name("fc-u"), name("fc-r")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="allow", PolicyDocument=_doc("Allow", action="*"))
    # The Deny's condition key is unique to this test, so the edit below touches it only.
    marker = f"aws:PrincipalTag/{user}"
    iam.put_user_policy(UserName=user, PolicyName="deny", PolicyDocument=_doc(
        "Deny", {"StringNotEquals": {marker: "never"}}))
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/{user}"},
         "Action": "sts:AssumeRole"}]})
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    key = iam.create_access_key(UserName=user)["AccessKey"]
    sts = client(auth_server.endpoint, "sts", key["AccessKeyId"], key["SecretAccessKey"])
    as_user = client(auth_server.endpoint, "iam", key["AccessKeyId"], key["SecretAccessKey"])
    as_user.list_roles(MaxItems=1)  # allowed: the Deny is of sts:AssumeRole only

    def assume():
        return sts.assume_role(RoleArn=role_arn, RoleSessionName="fc-session")

    # The Deny holds while it compiles.
    with pytest.raises(ClientError) as e:
        assume()
    assert code_of(e.value) == ("AccessDenied", 403)

    # Now edited in the store into a condition operator the engine does not know.
    run_store_sql(auth_server, "UPDATE iam_entities SET doc = replace(doc, 'StringNotEquals', "
                       f"'StringNotEqualz') WHERE kind = 'user' AND name = '{user}'")
    # The server reads the store's change rows, not this edit: a write to the user (a tag)
    # makes it read the user again.
    iam.tag_user(UserName=user, Tags=[{"Key": "k", "Value": "v"}])
    doc = iam.get_user_policy(UserName=user, PolicyName="deny")["PolicyDocument"]
    assert "StringNotEqualz" in json.dumps(doc)

    with pytest.raises(ClientError) as e:
        assume()
    assert code_of(e.value) == ("AccessDenied", 403)
    # The authorizer refuses the principal everything too (the same policy, the other path).
    with pytest.raises(ClientError) as e:
        as_user.list_roles(MaxItems=1)
    assert code_of(e.value) == ("AccessDenied", 403)
