"""A managed policy that is a user's or role's permissions boundary is in use: DeletePolicy
refuses it (DeleteConflict 409, as AWS answers) until no user or role has it as boundary (else a
new policy of the same name would become their boundary), and PermissionsBoundaryUsageCount
counts those users and roles."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from test_iam import TRUST_ACCOUNT, client, code_of, name

DOC = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]})


@pytest.fixture(scope="module")
def iam(auth_server):
    return client(auth_server.endpoint, "iam")


def usage(iam, arn):
    return iam.get_policy(PolicyArn=arn)["Policy"]["PermissionsBoundaryUsageCount"]


def delete_conflict(iam, arn):
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=arn)
    assert code_of(e.value) == ("DeleteConflict", 409)
    assert e.value.response["Error"]["Message"] == "Cannot delete a policy attached to entities."


def test_boundary_in_use_blocks_delete_and_is_counted(iam):
    b = iam.create_policy(PolicyName=name("b"), PolicyDocument=DOC)["Policy"]["Arn"]
    other = iam.create_policy(PolicyName=name("o"), PolicyDocument=DOC)["Policy"]["Arn"]
    u, r = name(), name("r")
    iam.create_user(UserName=u, PermissionsBoundary=b)
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT, PermissionsBoundary=b)
    assert usage(iam, b) == 2
    listed = [p for p in iam.list_policies(Scope="Local")["Policies"] if p["Arn"] == b]
    assert listed[0]["PermissionsBoundaryUsageCount"] == 2
    delete_conflict(iam, b)
    iam.put_user_permissions_boundary(UserName=u, PermissionsBoundary=other)  # moves the use
    iam.put_user_permissions_boundary(UserName=u, PermissionsBoundary=other)  # no change
    assert (usage(iam, b), usage(iam, other)) == (1, 1)
    iam.delete_role_permissions_boundary(RoleName=r)
    assert usage(iam, b) == 0
    iam.delete_policy(PolicyArn=b)
    delete_conflict(iam, other)
    iam.delete_user(UserName=u)  # a bounded user can be deleted; its use ends with it
    assert usage(iam, other) == 0
    iam.delete_policy(PolicyArn=other)
    iam.delete_role(RoleName=r)
