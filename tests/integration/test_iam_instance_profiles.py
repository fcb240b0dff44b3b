"""IAM instance profiles through boto3: Create/Get/Delete/ListInstanceProfiles,
Add/RemoveRoleFromInstanceProfile, ListInstanceProfilesForRole, Tag/Untag/ListInstanceProfileTags,
DeleteRole's refusal of a role still in a profile, GetAccountSummary's count and
GetAccountAuthorizationDetails' InstanceProfileList.

The expected answers are AWS's as LocalStack's AWS-validated
tests/aws/services/iam/test_iam_instance_profiles.py recorded them (its snapshot, 2026-02):
the shapes (Tags on Create only when given, on Get always, never in lists; a profile's roles
with Path, RoleName, RoleId, Arn, CreateDate and AssumeRolePolicyDocument only), the ids
(AIPA...) and every refusal's words. DeleteRole's refusal is AWS's as a Java SDK quoted it
(aws-k8s-tester). Runs on each store (ARCANA_TEST_STORE)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT
from test_iam import name
from test_iam_oidc_providers import err
from test_sts import iam  # noqa: F401 (a fixture)

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
ROLE_MEMBERS = {"Path", "RoleName", "RoleId", "Arn", "CreateDate", "AssumeRolePolicyDocument"}


def new_role(iam) -> str:
    r = name("ip-role")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST, Description="d",
                    Tags=[{"Key": "k", "Value": "v"}])
    return r


def no_profile(p: str) -> tuple[str, str, int]:
    return ("NoSuchEntity", f"Instance Profile {p} cannot be found.", 404)


def test_lifecycle_shapes_and_roles(iam):
    p, role = name("ip"), new_role(iam)
    created = iam.create_instance_profile(InstanceProfileName=p, Path="/team/")["InstanceProfile"]
    assert set(created) == {"Path", "InstanceProfileName", "InstanceProfileId", "Arn",
                            "CreateDate", "Roles"}
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:instance-profile/team/{p}"
    assert created["InstanceProfileId"].startswith("AIPA") and created["Roles"] == []
    with pytest.raises(ClientError) as e:
        iam.create_instance_profile(InstanceProfileName=p)
    assert err(e) == ("EntityAlreadyExists", f"Instance Profile {p} already exists.", 409)

    iam.add_role_to_instance_profile(InstanceProfileName=p, RoleName=role)
    got = iam.get_instance_profile(InstanceProfileName=p)["InstanceProfile"]
    assert got["Tags"] == [] and got["InstanceProfileId"] == created["InstanceProfileId"]
    assert [set(r) for r in got["Roles"]] == [ROLE_MEMBERS]
    assert got["Roles"][0]["RoleName"] == role
    assert json.loads(json.dumps(got["Roles"][0]["AssumeRolePolicyDocument"]))["Statement"]

    # One role per profile: the recorded quota, the same role again too.
    other = new_role(iam)
    for r in (other, role):
        with pytest.raises(ClientError) as e:
            iam.add_role_to_instance_profile(InstanceProfileName=p, RoleName=r)
        assert err(e) == ("LimitExceeded",
                          "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1", 409)

    listed = iam.list_instance_profiles(PathPrefix="/team/")["InstanceProfiles"]
    mine = [x for x in listed if x["InstanceProfileName"] == p]
    assert len(mine) == 1 and "Tags" not in mine[0] and mine[0]["Roles"][0]["RoleName"] == role
    assert iam.list_instance_profiles(PathPrefix="/nowhere/")["InstanceProfiles"] == []
    for_role = iam.list_instance_profiles_for_role(RoleName=role)
    assert [x["InstanceProfileName"] for x in for_role["InstanceProfiles"]] == [p]
    assert for_role["IsTruncated"] is False
    assert iam.list_instance_profiles_for_role(RoleName=other)["InstanceProfiles"] == []

    # Neither the profile nor its role can go while they hold each other.
    with pytest.raises(ClientError) as e:
        iam.delete_instance_profile(InstanceProfileName=p)
    assert err(e) == ("DeleteConflict",
                      "Cannot delete entity, must remove roles from instance profile first.", 409)
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName=role)
    assert err(e) == ("DeleteConflict",
                      "Cannot delete entity, must remove roles from instance profile first.", 409)

    with pytest.raises(ClientError) as e:
        iam.remove_role_from_instance_profile(InstanceProfileName=p, RoleName=other)
    assert err(e) == ("NoSuchEntity", f"Role {other} in Instance Profile {p} cannot be found.", 404)
    iam.remove_role_from_instance_profile(InstanceProfileName=p, RoleName=role)
    assert iam.get_instance_profile(InstanceProfileName=p)["InstanceProfile"]["Roles"] == []
    assert iam.list_instance_profiles_for_role(RoleName=role)["InstanceProfiles"] == []
    iam.delete_role(RoleName=role)
    iam.delete_instance_profile(InstanceProfileName=p)
    with pytest.raises(ClientError) as e:
        iam.get_instance_profile(InstanceProfileName=p)
    assert err(e) == no_profile(p)


def test_refusals_of_missing_profiles_and_roles(iam):
    missing, role = name("ip-none"), new_role(iam)
    p = name("ip")
    iam.create_instance_profile(InstanceProfileName=p)
    for call in (lambda: iam.get_instance_profile(InstanceProfileName=missing),
                 lambda: iam.delete_instance_profile(InstanceProfileName=missing),
                 lambda: iam.list_instance_profile_tags(InstanceProfileName=missing),
                 lambda: iam.tag_instance_profile(InstanceProfileName=missing,
                                                  Tags=[{"Key": "a", "Value": "b"}]),
                 lambda: iam.add_role_to_instance_profile(InstanceProfileName=missing,
                                                          RoleName=role),
                 lambda: iam.remove_role_from_instance_profile(InstanceProfileName=missing,
                                                               RoleName=role)):
        with pytest.raises(ClientError) as e:
            call()
        assert err(e) == no_profile(missing)
    no_role = name("nobody")
    for call in (lambda: iam.add_role_to_instance_profile(InstanceProfileName=p, RoleName=no_role),
                 lambda: iam.remove_role_from_instance_profile(InstanceProfileName=p,
                                                               RoleName=no_role),
                 lambda: iam.list_instance_profiles_for_role(RoleName=no_role)):
        with pytest.raises(ClientError) as e:
            call()
        assert err(e) == ("NoSuchEntity", f"The role with name {no_role} cannot be found.", 404)


def test_tags_paging_summary_and_authorization_details(iam):
    p = name("ip")
    created = iam.create_instance_profile(
        InstanceProfileName=p, Tags=[{"Key": "env", "Value": "prod"}])["InstanceProfile"]
    assert created["Tags"] == [{"Key": "env", "Value": "prod"}]
    iam.tag_instance_profile(InstanceProfileName=p, Tags=[{"Key": "team", "Value": "blue"}])
    iam.untag_instance_profile(InstanceProfileName=p, TagKeys=["env"])
    tags = iam.list_instance_profile_tags(InstanceProfileName=p)
    assert tags["Tags"] == [{"Key": "team", "Value": "blue"}] and tags["IsTruncated"] is False
    assert iam.get_instance_profile(InstanceProfileName=p)["InstanceProfile"]["Tags"] == \
        [{"Key": "team", "Value": "blue"}]

    before = iam.get_account_summary()["SummaryMap"]["InstanceProfiles"]
    more = [name("ip-page") for _ in range(3)]
    for n in more:
        iam.create_instance_profile(InstanceProfileName=n, Path="/paged/")
    assert iam.get_account_summary()["SummaryMap"]["InstanceProfiles"] == before + 3
    seen, page = [], iam.list_instance_profiles(PathPrefix="/paged/", MaxItems=1)
    while True:
        seen += [x["InstanceProfileName"] for x in page["InstanceProfiles"]]
        if not page["IsTruncated"]:
            break
        page = iam.list_instance_profiles(PathPrefix="/paged/", MaxItems=1, Marker=page["Marker"])
    assert set(more) <= set(seen) and len(seen) == len(set(seen))

    role = new_role(iam)
    iam.add_role_to_instance_profile(InstanceProfileName=p, RoleName=role)
    details = iam.get_account_authorization_details(Filter=["Role"])
    pages = [details]
    while pages[-1]["IsTruncated"]:
        pages.append(iam.get_account_authorization_details(Filter=["Role"],
                                                           Marker=pages[-1]["Marker"]))
    roles = {r["RoleName"]: r for pg in pages for r in pg["RoleDetailList"]}
    profiles = roles[role]["InstanceProfileList"]
    assert [x["InstanceProfileName"] for x in profiles] == [p]
    assert profiles[0]["Roles"][0]["RoleName"] == role
