"""IAM and STS answers as real AWS recorded them: the scenarios test_iam_sts_aws_recorded.py does
not replay yet.

Each test replays one scenario of LocalStack's AWS-validated snapshot suites (recorded against
AWS; a scenario counts when its id is in the matching *.validation.json):
tests/aws/services/iam/test_iam_groups.py (TestIAMGroupsCRUD's UpdateGroup scenarios, recorded
2026-02), tests/aws/services/iam/test_iam_instance_profiles.py (ListInstanceProfilesForRole for
a role in no profile and for a missing role, recorded 2026-02) and
tests/aws/services/iam/test_iam.py (TestIAMExtensions: GetUser without a
UserName, user permissions boundaries, a role with a path; TestIAMIntegrations: ListRoles with
a permissions boundary set). The tests assert what AWS answered: error codes, messages and HTTP
statuses, which members a response carries. Volatile values (ids, dates) are compared by
identity between calls, as the snapshots' placeholders do.

Three tests go beyond a recording and say their evidence instead: UpdateGroup needs its
permission on the new ARN too (AWS's API reference), NewPath is named 'newPath' in a
validation message (the member's name, as AWS names members in its recorded messages), and
ListInstanceProfilesForRole is authorized on the role (AWS's service authorization reference).
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT
from test_iam import name
from test_sts import creds_client, iam, sts  # noqa: F401 (iam, sts: fixtures)

GROUP_MEMBERS = ["Arn", "CreateDate", "GroupId", "GroupName", "Path"]
LIST_USERS = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]})
GET_USER = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "sgetuser", "Effect": "Allow", "Action": ["iam:GetUser"], "Resource": "*"}]})


def err(e: pytest.ExceptionInfo) -> tuple[str, str, int]:
    r = e.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def body(r: dict) -> dict:
    return {k: v for k, v in r.items() if k != "ResponseMetadata"}


# ------------------------------------------------------------------------- UpdateGroup

def test_update_group_name(iam):
    """test_iam_groups.py::TestIAMGroupsCRUD::test_update_group_name: UpdateGroup answers
    nothing; the old name is NoSuchEntity 404; the group keeps its id and creation date under
    the new name and ARN."""
    g, new = name("group"), name("group")
    iam.create_group(GroupName=g)
    original = iam.get_group(GroupName=g)["Group"]
    assert body(iam.update_group(GroupName=g, NewGroupName=new)) == {}
    with pytest.raises(ClientError) as e:
        iam.get_group(GroupName=g)
    assert err(e) == ("NoSuchEntity", f"The group with name {g} cannot be found.", 404)
    updated = iam.get_group(GroupName=new)["Group"]
    assert sorted(updated) == GROUP_MEMBERS
    assert updated == {**original, "GroupName": new,
                       "Arn": f"arn:aws:iam::{ACCOUNT}:group/{new}"}


def test_update_group_path(iam):
    """test_iam_groups.py::TestIAMGroupsCRUD::test_update_group_path: a new name and a new path
    in one call; the ARN carries the new path."""
    g, new = name("group"), name("group")
    created = iam.create_group(GroupName=g, Path="/path/")["Group"]
    iam.update_group(GroupName=g, NewGroupName=new, NewPath="/new-path/")
    assert iam.get_group(GroupName=new)["Group"] == {
        "Arn": f"arn:aws:iam::{ACCOUNT}:group/new-path/{new}", "CreateDate": created["CreateDate"],
        "GroupId": created["GroupId"], "GroupName": new, "Path": "/new-path/"}


def test_update_group_not_found_and_duplicate_name(iam):
    """test_iam_groups.py::TestIAMGroupsCRUD::test_update_group_not_found and
    test_update_group_duplicate_name: a missing group is NoSuchEntity 404, a name another group
    holds EntityAlreadyExists 409; the refused rename leaves both groups as they were."""
    with pytest.raises(ClientError) as e:
        iam.update_group(GroupName="nonexisting", NewGroupName="new-name")
    assert err(e) == ("NoSuchEntity", "The group with name nonexisting cannot be found.", 404)
    g1, g2 = name("group"), name("group")
    first = iam.create_group(GroupName=g1)["Group"]
    second = iam.create_group(GroupName=g2)["Group"]
    with pytest.raises(ClientError) as e:
        iam.update_group(GroupName=g1, NewGroupName=g2)
    assert err(e) == ("EntityAlreadyExists", f"Group with name {g2} already exists.", 409)
    assert iam.get_group(GroupName=g1)["Group"] == first
    assert iam.get_group(GroupName=g2)["Group"] == second


def path_invalid(member):
    return (f"The specified value for {member} is invalid. It must begin and end with / and "
            "contain only alphanumeric characters and/or / characters.")


@pytest.mark.parametrize("op, kind", [("create_role", "Role"), ("create_user", "User"),
                                      ("create_group", "Group")])
def test_create_with_a_path_outside_path_type_in_iams_words(iam, op, kind):
    """AWS answers a Path that does not begin and end with '/' in IAM's own words, not the
    model-validation wording (CreateRole with Path "test/": aws-cloudformation/cfn-lint issue
    722 quotes it; emulators copying AWS's text say the same for CreateUser "bad")."""
    n = name(kind.lower())
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole"}]}
    extra = {"AssumeRolePolicyDocument": json.dumps(trust)} if kind == "Role" else {}
    for bad in ("test/", "bad", "/a b/"):
        with pytest.raises(ClientError) as e:
            getattr(iam, op)(**{f"{kind}Name": n, "Path": bad}, **extra)
        assert err(e) == ("ValidationError", path_invalid("path"), 400), bad


@pytest.mark.parametrize("op, kind", [("update_group", "Group"), ("update_user", "User")])
def test_update_new_path_validation_names_new_path(iam, op, kind):
    """A NewPath outside pathType's pattern is ValidationError in the words IAM answers a bad
    Path with, naming the member as AWS's messages do, in lowerCamel ('newPath', as
    'roleSessionName' or 'versionId' in AWS's recorded messages); nothing changes."""
    n = name(kind.lower())
    getattr(iam, f"create_{kind.lower()}")(**{f"{kind}Name": n})
    with pytest.raises(ClientError) as e:
        getattr(iam, op)(**{f"{kind}Name": n, "NewPath": "no-slashes"})
    assert err(e) == ("ValidationError", path_invalid("newPath"), 400)
    assert getattr(iam, f"get_{kind.lower()}")(**{f"{kind}Name": n})[kind]["Path"] == "/"

def test_renamed_group_keeps_members_and_policies(iam, auth_server):
    """A renamed group keeps its members, inline and attached policies (AWS documents that a
    renamed group keeps them); its members list it under the new name and still act with its
    policies."""
    g, new, u = name("group"), name("group"), name("user")
    iam.create_group(GroupName=g)
    user = iam.create_user(UserName=u)["User"]
    iam.add_user_to_group(GroupName=g, UserName=u)
    iam.put_group_policy(GroupName=g, PolicyName="list-users", PolicyDocument=LIST_USERS)
    arn = iam.create_policy(PolicyName=name("policy"), PolicyDocument=LIST_USERS)["Policy"]["Arn"]
    iam.attach_group_policy(GroupName=g, PolicyArn=arn)
    key = iam.create_access_key(UserName=u)["AccessKey"]
    as_user = creds_client(auth_server, "iam", key)
    as_user.list_users()
    iam.update_group(GroupName=g, NewGroupName=new, NewPath="/moved/")
    assert iam.get_group(GroupName=new)["Users"] == [user]
    assert [x["GroupName"] for x in iam.list_groups_for_user(UserName=u)["Groups"]] == [new]
    assert iam.list_group_policies(GroupName=new)["PolicyNames"] == ["list-users"]
    assert iam.list_attached_group_policies(GroupName=new)["AttachedPolicies"] == [
        {"PolicyArn": arn, "PolicyName": arn.rsplit("/", 1)[1]}]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    group_id = iam.get_group(GroupName=new)["Group"]["GroupId"]
    assert iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="Group")["PolicyGroups"] == [
        {"GroupName": new, "GroupId": group_id}]
    # Every page: the shared server's account holds other modules' users too.
    details = [d for page in iam.get_paginator("get_account_authorization_details").paginate(
        Filter=["User"]) for d in page["UserDetailList"]]
    assert [x["GroupList"] for x in details if x["UserName"] == u] == [[new]]
    as_user.list_users()  # the group's policies still apply to its member
    # The group can be emptied and deleted under its new name only.
    iam.remove_user_from_group(GroupName=new, UserName=u)
    with pytest.raises(ClientError) as e:
        as_user.list_users()
    assert err(e)[0] == "AccessDenied"
    iam.delete_group_policy(GroupName=new, PolicyName="list-users")
    iam.detach_group_policy(GroupName=new, PolicyArn=arn)
    iam.delete_group(GroupName=new)
    with pytest.raises(ClientError) as e:
        iam.delete_group(GroupName=g)
    assert err(e) == ("NoSuchEntity", f"The group with name {g} cannot be found.", 404)


def test_update_group_needs_permission_on_the_new_arn(iam, auth_server):
    """AWS requires UpdateGroup's permission on the source and the target group ("the requester
    must have appropriate permissions on both the source object and the target object"): a
    caller allowed on the old ARN only is refused and nothing changes."""
    g, new, u = name("group"), name("group"), name("user")
    iam.create_group(GroupName=g)
    iam.create_user(UserName=u)
    iam.put_user_policy(UserName=u, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:UpdateGroup",
             "Resource": f"arn:aws:iam::{ACCOUNT}:group/{g}"}]}))
    key = iam.create_access_key(UserName=u)["AccessKey"]
    with pytest.raises(ClientError) as e:
        creds_client(auth_server, "iam", key).update_group(GroupName=g, NewGroupName=new)
    assert err(e)[0] == "AccessDenied"
    assert iam.get_group(GroupName=g)["Group"]["GroupName"] == g


# ----------------------------------------------------------------------- test_iam.py

def test_get_user_without_username_as_user_and_as_role(iam, sts, auth_server):
    """test_iam.py::TestIAMExtensions::test_get_user_without_username_as_user and
    ..._as_role: GetUser without UserName answers the calling user; an assumed role's call is
    "Must specify userName when calling with non-User credentials"."""
    u = name("user")
    iam.create_user(UserName=u)
    iam.put_user_policy(UserName=u, PolicyName="getuser", PolicyDocument=GET_USER)
    key = iam.create_access_key(UserName=u)["AccessKey"]
    user = creds_client(auth_server, "iam", key).get_user()["User"]
    assert user["UserName"] == u and user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{u}"
    r = name("role")
    caller = sts.get_caller_identity()["Arn"]
    arn = iam.create_role(RoleName=r, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Action": "sts:AssumeRole", "Principal": {"AWS": caller}, "Effect": "Allow"}]}))[
        "Role"]["Arn"]
    iam.put_role_policy(RoleName=r, PolicyName="getuser", PolicyDocument=GET_USER)
    creds = sts.assume_role(RoleArn=arn, RoleSessionName="session-1")["Credentials"]
    with pytest.raises(ClientError) as e:
        creds_client(auth_server, "iam", creds).get_user()
    assert err(e) == ("ValidationError",
                      "Must specify userName when calling with non-User credentials", 400)


def test_user_permissions_boundary(iam):
    """test_iam.py::TestIAMExtensions::test_create_user_with_permission_boundary and
    test_create_user_add_permission_boundary_afterwards: CreateUser and GetUser answer
    PermissionsBoundary {PermissionsBoundaryArn, PermissionsBoundaryType: Policy}; without one
    the member is absent, after DeleteUserPermissionsBoundary too."""
    arn = iam.create_policy(PolicyName=name("policy"), PolicyDocument=GET_USER)["Policy"]["Arn"]
    boundary = {"PermissionsBoundaryArn": arn, "PermissionsBoundaryType": "Policy"}
    u1, u2 = name("user"), name("user")
    assert iam.create_user(UserName=u1, PermissionsBoundary=arn)["User"]["PermissionsBoundary"] \
        == boundary
    assert iam.get_user(UserName=u1)["User"]["PermissionsBoundary"] == boundary
    iam.delete_user_permissions_boundary(UserName=u1)
    assert "PermissionsBoundary" not in iam.get_user(UserName=u1)["User"]
    assert "PermissionsBoundary" not in iam.create_user(UserName=u2)["User"]
    assert "PermissionsBoundary" not in iam.get_user(UserName=u2)["User"]
    iam.put_user_permissions_boundary(UserName=u2, PermissionsBoundary=arn)
    assert iam.get_user(UserName=u2)["User"]["PermissionsBoundary"] == boundary
    iam.delete_user_permissions_boundary(UserName=u2)
    assert "PermissionsBoundary" not in iam.get_user(UserName=u2)["User"]


def test_role_with_path_lifecycle_and_list_roles_with_boundary(iam):
    """test_iam.py::TestIAMExtensions::test_role_with_path_lifecycle and
    TestIAMIntegrations::test_list_roles_with_permission_boundary and
    test_create_role_with_assume_role_policy: the path is in the ARN; GetRole adds
    MaxSessionDuration and RoleLastUsed; ListRoles answers MaxSessionDuration but neither the
    PermissionsBoundary nor the tags a role has; PathPrefix is a string prefix; DeleteRole
    answers nothing."""
    r, path = name("role"), f"/{name('path')}/"
    trust = {"Version": "2012-10-17", "Statement": [
        {"Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"},
         "Effect": "Allow"}]}
    created = iam.create_role(RoleName=r, AssumeRolePolicyDocument=json.dumps(trust),
                              Path=path)["Role"]
    assert sorted(created) == ["Arn", "AssumeRolePolicyDocument", "CreateDate", "Path",
                               "RoleId", "RoleName"]
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:role{path}{r}"
    assert created["AssumeRolePolicyDocument"] == trust
    assert iam.get_role(RoleName=r)["Role"] == {**created, "MaxSessionDuration": 3600,
                                                "RoleLastUsed": {}}
    arn = iam.create_policy(PolicyName=name("policy"), PolicyDocument=GET_USER)["Policy"]["Arn"]
    iam.put_role_permissions_boundary(RoleName=r, PermissionsBoundary=arn)
    iam.tag_role(RoleName=r, Tags=[{"Key": "k", "Value": "v"}])
    listed = body(iam.list_roles(PathPrefix=path))
    assert listed == {"IsTruncated": False, "Roles": [{**created, "MaxSessionDuration": 3600}]}
    partial = iam.list_roles(PathPrefix=path[:5])["Roles"]
    assert [x for x in partial if x["RoleName"] == r] == listed["Roles"]
    iam.delete_role_permissions_boundary(RoleName=r)
    assert body(iam.delete_role(RoleName=r)) == {}


# ---------------------------------------------------------------- instance profiles

def test_list_instance_profiles_for_role(iam):
    """test_iam_instance_profiles.py::TestInstanceProfileRoles::test_list_instance_profiles_for_role
    (list-for-role-empty) and test_role_instance_profile_operations_errors
    (list-profiles-nonexistent-role-error): a role in no instance profile answers an empty page
    (Arcana has no instance profiles, so every role is in none); a missing role is NoSuchEntity
    404. The Terraform AWS provider asks this before every DeleteRole and fails the deletion
    when it fails, so a role must be deletable after it."""
    r = name("role")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
             "Action": "sts:AssumeRole"}]}))
    assert body(iam.list_instance_profiles_for_role(RoleName=r)) == {
        "InstanceProfiles": [], "IsTruncated": False}
    assert body(iam.list_instance_profiles_for_role(RoleName=r, MaxItems=10)) == {
        "InstanceProfiles": [], "IsTruncated": False}
    iam.delete_role(RoleName=r)
    with pytest.raises(ClientError) as e:
        iam.list_instance_profiles_for_role(RoleName="nonexistent-role")
    assert err(e) == ("NoSuchEntity", "The role with name nonexistent-role cannot be found.", 404)
    with pytest.raises(ClientError) as e:
        iam.list_instance_profiles_for_role(RoleName=r)
    assert err(e) == ("NoSuchEntity", f"The role with name {r} cannot be found.", 404)


def test_list_instance_profiles_for_role_is_authorized_on_the_role(iam, auth_server):
    """iam:ListInstanceProfilesForRole is authorized on the role's ARN, as AWS's service
    authorization reference lists it (resource type role)."""
    r, other, u = name("role"), name("role"), name("user")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
         "Action": "sts:AssumeRole"}]})
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=trust)
    iam.create_role(RoleName=other, AssumeRolePolicyDocument=trust)
    iam.create_user(UserName=u)
    iam.put_user_policy(UserName=u, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:ListInstanceProfilesForRole",
             "Resource": f"arn:aws:iam::{ACCOUNT}:role/{r}"}]}))
    as_user = creds_client(auth_server, "iam", iam.create_access_key(UserName=u)["AccessKey"])
    assert as_user.list_instance_profiles_for_role(RoleName=r)["InstanceProfiles"] == []
    with pytest.raises(ClientError) as e:
        as_user.list_instance_profiles_for_role(RoleName=other)
    assert err(e)[0] == "AccessDenied"
