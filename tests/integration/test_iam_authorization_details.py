"""GetAccountAuthorizationDetails as real AWS recorded it.

Each test replays one scenario of LocalStack's AWS-validated snapshot suite
tests/aws/services/iam/test_iam_account_authorization_details.py (recorded against AWS on
2026-02-17) and asserts the members AWS answered for each kind of entity. Left out: the
instance profile the Role-filter scenario adds (Arcana has no instance profiles: its role is
checked without it) and the AWSManagedPolicy scenario (it attaches AWS managed policies this
server does not hold; the filter's answer for the ones it holds is tested in
test_iam_aws_managed_policies.py).
"""

from __future__ import annotations

import json

from conftest import ACCOUNT
from test_iam import name
from test_sts import iam  # noqa: F401 (fixture)

MOCK_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Action": "s3:ListBucket", "Resource": "*", "Effect": "Allow"}]})
ASSUME_ROLE_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
LISTS = ["GroupDetailList", "Policies", "RoleDetailList", "UserDetailList"]


def details(iam, **kw):
    out = iam.get_paginator("get_account_authorization_details").paginate(**kw).build_full_result()
    assert sorted(out) == LISTS
    return out


def only(items, key, value):
    return [i for i in items if i[key] == value]


def test_filter_role(iam):
    """test_get_account_authorization_details_filter_role (without its instance profile): the
    role with its trust policy, attached and inline policies, tags, an empty RoleLastUsed and
    InstanceProfileList, and no Description; the other lists empty."""
    pol = iam.create_policy(PolicyName=name("policy"), PolicyDocument=MOCK_POLICY)["Policy"]
    r = name("role")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=ASSUME_ROLE_POLICY, Path="/my-path/",
                    Description="testing role")
    iam.put_role_policy(RoleName=r, PolicyName="inline-policy", PolicyDocument=MOCK_POLICY)
    iam.attach_role_policy(RoleName=r, PolicyArn=pol["Arn"])
    tags = [{"Key": "somekey", "Value": "somevalue"},
            {"Key": "someotherkey", "Value": "someothervalue"}]
    iam.tag_role(RoleName=r, Tags=tags)
    out = details(iam, Filter=["Role"])
    assert (out["GroupDetailList"], out["Policies"], out["UserDetailList"]) == ([], [], [])
    [role] = only(out["RoleDetailList"], "RoleName", r)
    assert sorted(role) == ["Arn", "AssumeRolePolicyDocument", "AttachedManagedPolicies",
                            "CreateDate", "InstanceProfileList", "Path", "RoleId",
                            "RoleLastUsed", "RoleName", "RolePolicyList", "Tags"]
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/my-path/{r}"
    assert role["AssumeRolePolicyDocument"] == json.loads(ASSUME_ROLE_POLICY)
    assert role["AttachedManagedPolicies"] == [{"PolicyArn": pol["Arn"],
                                                "PolicyName": pol["PolicyName"]}]
    assert role["RolePolicyList"] == [{"PolicyDocument": json.loads(MOCK_POLICY),
                                       "PolicyName": "inline-policy"}]
    assert (role["Tags"], role["RoleLastUsed"], role["InstanceProfileList"]) == (tags, {}, [])


def test_filter_user(iam):
    """test_get_account_authorization_details_filter_user: the user with its inline policy
    list, groups, attached policies and tags."""
    u, g = name("user"), name("group")
    iam.create_user(UserName=u)
    iam.create_group(GroupName=g)
    pol = iam.create_policy(PolicyName=name("policy"), PolicyDocument=MOCK_POLICY)["Policy"]
    iam.put_user_policy(UserName=u, PolicyName="user-inline-policy", PolicyDocument=MOCK_POLICY)
    iam.attach_user_policy(UserName=u, PolicyArn=pol["Arn"])
    iam.add_user_to_group(GroupName=g, UserName=u)
    tags = [{"Key": "somekey", "Value": "somevalue"},
            {"Key": "someotherkey", "Value": "someothervalue"}]
    iam.tag_user(UserName=u, Tags=tags)
    out = details(iam, Filter=["User"])
    assert (out["GroupDetailList"], out["Policies"], out["RoleDetailList"]) == ([], [], [])
    [user] = only(out["UserDetailList"], "UserName", u)
    assert sorted(user) == ["Arn", "AttachedManagedPolicies", "CreateDate", "GroupList", "Path",
                            "Tags", "UserId", "UserName", "UserPolicyList"]
    assert user["GroupList"] == [g] and user["Tags"] == tags
    assert user["UserPolicyList"] == [{"PolicyDocument": json.loads(MOCK_POLICY),
                                       "PolicyName": "user-inline-policy"}]


def test_filter_group_and_local_managed_policy(iam):
    """test_..._filter_group and test_..._filter_local_managed_policy: a group with its inline
    and attached policies; a policy with its whole PolicyVersionList (documents included)."""
    g = name("group")
    iam.create_group(GroupName=g)
    pol = iam.create_policy(PolicyName=name("policy"), PolicyDocument=MOCK_POLICY)["Policy"]
    iam.put_group_policy(GroupName=g, PolicyName="group-inline-policy", PolicyDocument=MOCK_POLICY)
    iam.attach_group_policy(GroupName=g, PolicyArn=pol["Arn"])
    out = details(iam, Filter=["Group"])
    [group] = only(out["GroupDetailList"], "GroupName", g)
    assert sorted(group) == ["Arn", "AttachedManagedPolicies", "CreateDate", "GroupId",
                             "GroupName", "GroupPolicyList", "Path"]
    assert group["GroupPolicyList"] == [{"PolicyDocument": json.loads(MOCK_POLICY),
                                         "PolicyName": "group-inline-policy"}]
    out = details(iam, Filter=["LocalManagedPolicy"])
    assert (out["GroupDetailList"], out["RoleDetailList"], out["UserDetailList"]) == ([], [], [])
    [p] = only(out["Policies"], "PolicyName", pol["PolicyName"])
    assert sorted(p) == ["Arn", "AttachmentCount", "CreateDate", "DefaultVersionId",
                         "IsAttachable", "Path", "PermissionsBoundaryUsageCount", "PolicyId",
                         "PolicyName", "PolicyVersionList", "UpdateDate"]
    [v] = p["PolicyVersionList"]
    assert (v["Document"], v["IsDefaultVersion"], v["VersionId"]) == \
        (json.loads(MOCK_POLICY), True, "v1")
    iam.detach_group_policy(GroupName=g, PolicyArn=pol["Arn"])
    # No AWS managed policy is attached in this account: the filter selects none of them.
    assert details(iam, Filter=["AWSManagedPolicy"])["Policies"] == []


def test_no_filter_every_kind_with_its_empty_lists(iam):
    """test_get_account_authorization_details_no_filter and _with_tags: without a Filter every
    kind is listed; empty inline-policy lists are absent for users and present for groups and
    roles; Tags always present."""
    u, g, r = name("user"), name("group"), name("role")
    iam.create_user(UserName=u)
    iam.create_group(GroupName=g)
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=ASSUME_ROLE_POLICY)
    pol = iam.create_policy(PolicyName=name("policy"), PolicyDocument=MOCK_POLICY)["Policy"]
    out = details(iam)
    [user] = only(out["UserDetailList"], "UserName", u)
    assert "UserPolicyList" not in user
    assert (user["GroupList"], user["AttachedManagedPolicies"], user["Tags"]) == ([], [], [])
    [group] = only(out["GroupDetailList"], "GroupName", g)
    assert (group["GroupPolicyList"], group["AttachedManagedPolicies"]) == ([], [])
    [role] = only(out["RoleDetailList"], "RoleName", r)
    assert (role["RolePolicyList"], role["Tags"], role["InstanceProfileList"]) == ([], [], [])
    assert only(out["Policies"], "PolicyName", pol["PolicyName"])


def test_pages_cover_every_entity_once(iam):
    """Not recorded: MaxItems pages run across the kinds in order and, together, list each
    entity exactly once (the paginator follows IsTruncated/Marker)."""
    made = [name("page") for _ in range(5)]
    for u in made:
        iam.create_user(UserName=u)
    whole = details(iam)
    paged = {k: [] for k in LISTS}
    for page in iam.get_paginator("get_account_authorization_details").paginate(
            PaginationConfig={"PageSize": 2}):
        assert sum(len(page[k]) for k in LISTS) <= 2
        for k in LISTS:
            paged[k] += page[k]
    key = {"UserDetailList": "UserName", "GroupDetailList": "GroupName",
           "RoleDetailList": "RoleName", "Policies": "PolicyName"}
    for k in LISTS:
        assert [e[key[k]] for e in paged[k]] == [e[key[k]] for e in whole[k]]
    assert set(made) <= {e["UserName"] for e in paged["UserDetailList"]}
