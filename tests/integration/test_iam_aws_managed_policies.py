"""AWS managed policies (arn:aws:iam::aws:policy/NAME): the ones Arcana holds verbatim from the
AWS Managed Policy Reference (docs.aws.amazon.com/aws-managed-policy/latest/reference/NAME.html:
description, creation and edit times, default version, JSON document) answer GetPolicy,
GetPolicyVersion and ListPolicyVersions, can be attached to users, groups and roles (and set as
a permissions boundary), are listed by ListPolicies with Scope AWS or All (not Local), by
ListEntitiesForPolicy and, when attached, by GetAccountAuthorizationDetails; their
AttachmentCount is the caller's account's. They cannot be changed: CreatePolicyVersion,
DeletePolicy and TagPolicy are refused (AccessDenied 403). And the policy engine evaluates an
attached one like any managed policy. A policy of the account "aws" Arcana does not hold stays
NoSuchEntity."""

from __future__ import annotations

import json
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import store_sql
from test_iam import ACCOUNT, TRUST_ACCOUNT, client, code_of, name

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
SSM_RO = "arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess"
IAM_RO = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
POWER = "arn:aws:iam::aws:policy/PowerUserAccess"
HELD = {
    "AWSCloudTrail_ReadOnlyAccess", "AmazonEventBridgeFullAccess",
    "AmazonEventBridgeReadOnlyAccess",
    "AWSKeyManagementServicePowerUser", "AWSLambdaBasicExecutionRole", "AWSLambdaExecute",
    "AWSLambdaVPCAccessExecutionRole", "AWSLambda_FullAccess", "AWSLambda_ReadOnlyAccess",
    "AWSSecretsManagerClientReadOnlyAccess",
    "AdministratorAccess", "AmazonSSMFullAccess", "AmazonSSMReadOnlyAccess", "IAMFullAccess",
    "IAMReadOnlyAccess", "PowerUserAccess", "ReadOnlyAccess", "SecretsManagerReadWrite",
    "SecurityAudit", "ViewOnlyAccess",
}


@pytest.fixture(scope="module")
def iam(auth_server):
    return client(auth_server.endpoint, "iam")


def attachments(iam, arn):
    return iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"]


def user_with_key(iam, auth_server, service):
    n = name()
    iam.create_user(UserName=n)
    key = iam.create_access_key(UserName=n)["AccessKey"]
    return n, key, client(auth_server.endpoint, service, key["AccessKeyId"], key["SecretAccessKey"])


def drop_user(iam, n, key, *arns):
    for arn in arns:
        iam.detach_user_policy(UserName=n, PolicyArn=arn)
    iam.delete_access_key(UserName=n, AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=n)


def test_get_policy_version_and_versions_as_the_reference_publishes_them(iam):
    p = iam.get_policy(PolicyArn=ADMIN)["Policy"]
    assert p["PolicyName"] == "AdministratorAccess" and p["Arn"] == ADMIN
    assert p["PolicyId"] == "ANPAIWMBCKSKIEE64ZLYK" and p["Path"] == "/"
    assert p["DefaultVersionId"] == "v1" and p["IsAttachable"] is True
    assert p["Description"] == "Provides full access to AWS services and resources."
    created = datetime(2015, 2, 6, 18, 39, 46, tzinfo=timezone.utc)
    assert p["CreateDate"] == created and p["UpdateDate"] == created
    v = iam.get_policy_version(PolicyArn=ADMIN, VersionId="v1")["PolicyVersion"]
    assert v["Document"] == {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    assert v["IsDefaultVersion"] is True and v["VersionId"] == "v1"

    ssm = iam.get_policy(PolicyArn=SSM_RO)["Policy"]
    assert ssm["DefaultVersionId"] == "v1"
    assert ssm["CreateDate"] == datetime(2015, 5, 29, 17, 44, tzinfo=timezone.utc)
    doc = iam.get_policy_version(PolicyArn=SSM_RO, VersionId="v1")["PolicyVersion"]["Document"]
    assert doc["Statement"] == [{"Effect": "Allow",
                                 "Action": ["ssm:Describe*", "ssm:Get*", "ssm:List*"],
                                 "Resource": "*"}]

    ro = iam.get_policy(PolicyArn=IAM_RO)["Policy"]
    assert (ro["DefaultVersionId"], ro["PolicyId"]) == ("v4", "ANPAJKSO7NDY4T57MWDSQ")
    assert ro["UpdateDate"] == datetime(2018, 1, 25, 19, 11, tzinfo=timezone.utc)
    versions = iam.list_policy_versions(PolicyArn=IAM_RO)["Versions"]
    assert [(x["VersionId"], x["IsDefaultVersion"]) for x in versions] == [("v4", True)]
    with pytest.raises(ClientError) as e:  # a version Arcana does not hold
        iam.get_policy_version(PolicyArn=IAM_RO, VersionId="v1")
    assert code_of(e.value) == ("NoSuchEntity", 404)
    # Every one held: its default version's document, a 2012-10-17 policy.
    for p in iam.list_policies(Scope="AWS")["Policies"]:
        v = iam.get_policy_version(PolicyArn=p["Arn"], VersionId=p["DefaultVersionId"])
        assert v["PolicyVersion"]["Document"]["Version"] == "2012-10-17", p["PolicyName"]
        assert v["PolicyVersion"]["CreateDate"] == p["UpdateDate"]
    # v12's CreateDate as AWS answers GetPolicyVersion (zoph-io/IAMTrail): to the second.
    assert iam.get_policy(PolicyArn=POWER)["Policy"]["UpdateDate"] == \
        datetime(2026, 2, 12, 17, 59, 14, tzinfo=timezone.utc)
    power = iam.get_policy_version(PolicyArn=POWER, VersionId="v12")["PolicyVersion"]["Document"]
    assert power["Statement"][0] == {"Effect": "Allow",
                                     "NotAction": ["iam:*", "organizations:*", "account:*"],
                                     "Resource": "*"}


def test_a_policy_arcana_does_not_hold_stays_no_such_entity(iam):
    missing = "arn:aws:iam::aws:policy/AmazonEC2FullAccess"
    with pytest.raises(ClientError) as e:
        iam.get_policy(PolicyArn=missing)
    assert code_of(e.value) == ("NoSuchEntity", 404)
    assert e.value.response["Error"]["Message"] == \
        f"Policy {missing} does not exist or is not attachable."
    n = name()
    iam.create_user(UserName=n)
    with pytest.raises(ClientError) as e:
        iam.attach_user_policy(UserName=n, PolicyArn=missing)
    assert code_of(e.value) == ("NoSuchEntity", 404)
    iam.delete_user(UserName=n)


def test_attach_detach_list_and_count_for_users_groups_and_roles(iam):
    before = attachments(iam, ADMIN)
    u, g, r = name(), name("g"), name("r")
    iam.create_user(UserName=u)
    iam.create_group(GroupName=g)
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT)
    iam.attach_user_policy(UserName=u, PolicyArn=ADMIN)
    iam.attach_user_policy(UserName=u, PolicyArn=ADMIN)  # again: no second attachment
    iam.attach_group_policy(GroupName=g, PolicyArn=ADMIN)
    iam.attach_role_policy(RoleName=r, PolicyArn=ADMIN)
    assert attachments(iam, ADMIN) == before + 3
    expected = [{"PolicyName": "AdministratorAccess", "PolicyArn": ADMIN}]
    assert iam.list_attached_user_policies(UserName=u)["AttachedPolicies"] == expected
    assert iam.list_attached_group_policies(GroupName=g)["AttachedPolicies"] == expected
    assert iam.list_attached_role_policies(RoleName=r)["AttachedPolicies"] == expected
    ents = iam.list_entities_for_policy(PolicyArn=ADMIN)
    assert u in [x["UserName"] for x in ents["PolicyUsers"]]
    assert g in [x["GroupName"] for x in ents["PolicyGroups"]]
    assert r in [x["RoleName"] for x in ents["PolicyRoles"]]
    # An attached policy keeps its user from being deleted, as any managed policy does.
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=u)
    assert code_of(e.value) == ("DeleteConflict", 409)
    iam.detach_user_policy(UserName=u, PolicyArn=ADMIN)
    iam.detach_group_policy(GroupName=g, PolicyArn=ADMIN)
    iam.detach_role_policy(RoleName=r, PolicyArn=ADMIN)
    assert attachments(iam, ADMIN) == before
    with pytest.raises(ClientError) as e:
        iam.detach_user_policy(UserName=u, PolicyArn=ADMIN)
    assert code_of(e.value) == ("NoSuchEntity", 404)
    iam.delete_user(UserName=u)
    iam.delete_group(GroupName=g)
    iam.delete_role(RoleName=r)


def test_list_policies_by_scope(iam):
    aws = iam.list_policies(Scope="AWS")["Policies"]
    assert {p["PolicyName"] for p in aws} == HELD
    assert all(p["Arn"].startswith("arn:aws:iam::aws:policy/") for p in aws)
    # In name order, as IAM compares names: case-insensitively.
    assert [p["PolicyName"] for p in aws] == sorted((p["PolicyName"] for p in aws), key=str.lower)
    assert all("Description" not in p and "Tags" not in p for p in aws)
    local = name("local")
    arn = iam.create_policy(PolicyName=local, PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}))
    arn = arn["Policy"]["Arn"]
    local_names = [p["PolicyName"] for p in iam.get_paginator("list_policies")
                   .paginate(Scope="Local").build_full_result()["Policies"]]
    assert local in local_names and not HELD & set(local_names)
    every = [p["PolicyName"] for p in iam.get_paginator("list_policies")
             .paginate(Scope="All", PaginationConfig={"PageSize": 2})
             .build_full_result()["Policies"]]
    assert local in every and HELD <= set(every) and len(every) == len(set(every))
    # OnlyAttached: an AWS managed policy is listed once the account attaches it.
    n = name()
    iam.create_user(UserName=n)
    iam.attach_user_policy(UserName=n, PolicyArn=SSM_RO)
    attached = iam.list_policies(Scope="AWS", OnlyAttached=True)["Policies"]
    assert SSM_RO in [p["Arn"] for p in attached]
    assert all(p["AttachmentCount"] > 0 for p in attached)
    iam.detach_user_policy(UserName=n, PolicyArn=SSM_RO)
    iam.delete_user(UserName=n)
    iam.delete_policy(PolicyArn=arn)


def test_list_policies_pages_past_an_own_policy_named_as_an_aws_managed_one(iam):
    # An account may create its own AdministratorAccess; a page ending on it went on after
    # that name, which skipped AWS's AdministratorAccess (listed after it) on the next page.
    own = iam.create_policy(PolicyName="AdministratorAccess", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}))
    own = own["Policy"]["Arn"]
    try:
        whole = [p["Arn"] for p in iam.get_paginator("list_policies").paginate(
            Scope="All").build_full_result()["Policies"]]
        assert own in whole and ADMIN in whole
        for size in (1, 2, 3):
            paged = [p["Arn"] for p in iam.get_paginator("list_policies").paginate(
                Scope="All", PaginationConfig={"PageSize": size}).build_full_result()["Policies"]]
            assert paged == whole, size
    finally:
        iam.delete_policy(PolicyArn=own)


def test_authorization_details_lists_attached_aws_managed_policies(iam):
    n = name()
    iam.create_user(UserName=n)
    iam.attach_user_policy(UserName=n, PolicyArn=IAM_RO)
    details = iam.get_account_authorization_details(Filter=["AWSManagedPolicy"])
    assert details["UserDetailList"] == [] and details["RoleDetailList"] == []
    got = {p["Arn"]: p for p in details["Policies"]}
    assert IAM_RO in got and all(a.startswith("arn:aws:iam::aws:policy/") for a in got)
    pol = got[IAM_RO]
    assert pol["AttachmentCount"] >= 1 and pol["DefaultVersionId"] == "v4"
    assert pol["PolicyVersionList"][0]["VersionId"] == "v4"
    assert pol["PolicyVersionList"][0]["IsDefaultVersion"] is True
    doc = pol["PolicyVersionList"][0]["Document"]
    if isinstance(doc, str):
        doc = json.loads(urllib.parse.unquote(doc))
    assert "iam:SimulatePrincipalPolicy" in doc["Statement"][0]["Action"]
    local_only = iam.get_account_authorization_details(Filter=["LocalManagedPolicy"])["Policies"]
    assert not any(p["Arn"].startswith("arn:aws:iam::aws:policy/") for p in local_only)
    # Unfiltered and paged three entities at a time, it is there exactly once.
    seen = []
    for page in iam.get_paginator("get_account_authorization_details").paginate(
            PaginationConfig={"PageSize": 3}):
        seen += [p["Arn"] for p in page["Policies"]]
    assert seen.count(IAM_RO) == 1
    iam.detach_user_policy(UserName=n, PolicyArn=IAM_RO)
    after = iam.get_account_authorization_details(Filter=["AWSManagedPolicy"])["Policies"]
    if attachments(iam, IAM_RO) == 0:
        assert IAM_RO not in [p["Arn"] for p in after]
    iam.delete_user(UserName=n)


def test_aws_managed_policies_cannot_be_changed(iam):
    for call, kw, action in [
        (iam.create_policy_version, {"PolicyDocument": json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"}]})}, "CreatePolicyVersion"),
        (iam.delete_policy, {}, "DeletePolicy"),
        (iam.tag_policy, {"Tags": [{"Key": "k", "Value": "v"}]}, "TagPolicy"),
        (iam.delete_policy_version, {"VersionId": "v1"}, "DeletePolicyVersion"),
        (iam.set_default_policy_version, {"VersionId": "v1"}, "SetDefaultPolicyVersion"),
    ]:
        with pytest.raises(ClientError) as e:
            call(PolicyArn=ADMIN, **kw)
        assert code_of(e.value) == ("AccessDenied", 403), action
        assert e.value.response["Error"]["Message"].endswith(
            f"is not authorized to perform: iam:{action} on resource: policy {ADMIN}")
    assert iam.get_policy(PolicyArn=ADMIN)["Policy"]["DefaultVersionId"] == "v1"
    assert iam.list_policy_tags(PolicyArn=ADMIN)["Tags"] == []


def test_permissions_boundary(iam, auth_server):
    n, key, mine = user_with_key(iam, auth_server, "iam")
    iam.attach_user_policy(UserName=n, PolicyArn=ADMIN)
    iam.put_user_permissions_boundary(UserName=n, PermissionsBoundary=IAM_RO)
    assert iam.get_user(UserName=n)["User"]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": IAM_RO}
    assert iam.get_policy(PolicyArn=IAM_RO)["Policy"]["PermissionsBoundaryUsageCount"] >= 1
    ents = iam.list_entities_for_policy(PolicyArn=IAM_RO, PolicyUsageFilter="PermissionsBoundary")
    assert n in [x["UserName"] for x in ents["PolicyUsers"]]
    # Admin, bounded by IAMReadOnlyAccess: reads IAM, creates nothing.
    assert mine.get_user(UserName=n)["User"]["UserName"] == n
    with pytest.raises(ClientError) as e:
        mine.create_user(UserName=name())
    assert code_of(e.value) == ("AccessDenied", 403)
    r = name("r")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT,
                    PermissionsBoundary=IAM_RO)
    iam.put_role_permissions_boundary(RoleName=r, PermissionsBoundary=POWER)
    bound = iam.get_role(RoleName=r)["Role"]["PermissionsBoundary"]
    assert bound["PermissionsBoundaryArn"] == POWER
    iam.delete_role_permissions_boundary(RoleName=r)
    iam.delete_role(RoleName=r)
    iam.delete_user_permissions_boundary(UserName=n)
    drop_user(iam, n, key, ADMIN)


def test_attached_administrator_access_allows_everything(iam, auth_server):
    n, key, sm = user_with_key(iam, auth_server, "secretsmanager")
    with pytest.raises(ClientError) as e:
        sm.create_secret(Name=name("s"), SecretString="x")
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    iam.attach_user_policy(UserName=n, PolicyArn=ADMIN)
    secret = name("s")
    arn = sm.create_secret(Name=secret, SecretString="x")["ARN"]
    assert sm.get_secret_value(SecretId=arn)["SecretString"] == "x"
    sm.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    drop_user(iam, n, key, ADMIN)


def test_ssm_read_only_reads_and_does_not_write(iam, auth_server):
    root_ssm = client(auth_server.endpoint, "ssm")
    param = "/" + name("p")
    root_ssm.put_parameter(Name=param, Value="v", Type="String")
    n, key, ssm = user_with_key(iam, auth_server, "ssm")
    g = name("g")
    iam.create_group(GroupName=g)
    iam.add_user_to_group(GroupName=g, UserName=n)
    iam.attach_group_policy(GroupName=g, PolicyArn=SSM_RO)  # through a group, too
    assert ssm.get_parameter(Name=param)["Parameter"]["Value"] == "v"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=param, Value="w", Type="String", Overwrite=True)
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "is not authorized to perform: ssm:PutParameter" in \
        e.value.response["Error"]["Message"]
    # Simulated as AWS names the source: an AWS managed policy.
    sim = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/{n}",
        ActionNames=["ssm:GetParameter", "ssm:PutParameter"])["EvaluationResults"]
    decisions = {r["EvalActionName"]: r["EvalDecision"] for r in sim}
    assert decisions == {"ssm:GetParameter": "allowed", "ssm:PutParameter": "implicitDeny"}
    allowed = [r for r in sim if r["EvalActionName"] == "ssm:GetParameter"][0]
    assert allowed["MatchedStatements"][0]["SourcePolicyId"] == SSM_RO
    assert allowed["MatchedStatements"][0]["SourcePolicyType"] == "aws-managed"
    # As a session policy (AssumeRole PolicyArns) it narrows an administrator's session.
    r = name("r")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT)
    iam.attach_role_policy(RoleName=r, PolicyArn=ADMIN)
    creds = client(auth_server.endpoint, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{r}", RoleSessionName="narrowed",
        PolicyArns=[{"arn": SSM_RO}])["Credentials"]
    narrowed = client(auth_server.endpoint, "ssm", creds["AccessKeyId"],
                      creds["SecretAccessKey"], creds["SessionToken"])
    assert narrowed.get_parameter(Name=param)["Parameter"]["Value"] == "v"
    with pytest.raises(ClientError) as e:
        narrowed.put_parameter(Name=param, Value="w", Type="String", Overwrite=True)
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    iam.detach_role_policy(RoleName=r, PolicyArn=ADMIN)
    iam.delete_role(RoleName=r)
    iam.detach_group_policy(GroupName=g, PolicyArn=SSM_RO)
    iam.remove_user_from_group(GroupName=g, UserName=n)
    iam.delete_group(GroupName=g)
    drop_user(iam, n, key)
    root_ssm.delete_parameter(Name=param)


# --------------------------------------------------------------------------- stored counts
# An AWS managed policy is no entity of the account, so its AttachmentCount and
# PermissionsBoundaryUsageCount were once computed by reading every user, group and role of the
# account at each GetPolicy, ListPolicies and attach. They are now rows of their own (kind
# "aws-policy-uses" in iam_entities), moved in the same write as each change.

COUNTED = [ADMIN, SSM_RO, IAM_RO, POWER]


def uses(iam, arns=COUNTED):
    """{arn: (AttachmentCount, PermissionsBoundaryUsageCount)} by GetPolicy, checked against
    ListPolicies(Scope=AWS, OnlyAttached=True): listed exactly when attached, same count."""
    got = {}
    for arn in arns:
        p = iam.get_policy(PolicyArn=arn)["Policy"]
        got[arn] = (p["AttachmentCount"], p["PermissionsBoundaryUsageCount"])
    listed = {p["Arn"]: p["AttachmentCount"] for p in iam.get_paginator("list_policies")
              .paginate(Scope="AWS", OnlyAttached=True).build_full_result()["Policies"]}
    for arn in arns:
        assert listed.get(arn, 0) == got[arn][0], (arn, listed.get(arn), got[arn])
    return got


def moved(before, **deltas):
    """before with (attached, bounding) deltas by short name."""
    short = {"admin": ADMIN, "ssm": SSM_RO, "iamro": IAM_RO, "power": POWER}
    out = dict(before)
    for k, (a, b) in deltas.items():
        arn = short[k]
        out[arn] = (out[arn][0] + a, out[arn][1] + b)
    return out


def test_counts_follow_attach_detach_boundaries_and_deletes(iam):
    base = uses(iam)
    u, u2, g, r = name(), name(), name("g"), name("r")
    iam.create_user(UserName=u, PermissionsBoundary=IAM_RO)
    iam.create_group(GroupName=g)
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT, PermissionsBoundary=POWER)
    assert uses(iam) == moved(base, iamro=(0, 1), power=(0, 1))
    iam.attach_user_policy(UserName=u, PolicyArn=ADMIN)
    iam.attach_user_policy(UserName=u, PolicyArn=SSM_RO)
    iam.attach_group_policy(GroupName=g, PolicyArn=SSM_RO)
    iam.attach_role_policy(RoleName=r, PolicyArn=SSM_RO)
    iam.attach_role_policy(RoleName=r, PolicyArn=SSM_RO)  # again: not counted twice
    assert uses(iam) == moved(base, admin=(1, 0), ssm=(3, 0), iamro=(0, 1), power=(0, 1))
    # A boundary replaced by another AWS managed one, by itself, by a customer managed one.
    iam.put_user_permissions_boundary(UserName=u, PermissionsBoundary=POWER)
    iam.put_user_permissions_boundary(UserName=u, PermissionsBoundary=POWER)
    assert uses(iam) == moved(base, admin=(1, 0), ssm=(3, 0), power=(0, 2))
    local = iam.create_policy(PolicyName=name("b"), PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}))
    local = local["Policy"]["Arn"]
    iam.put_role_permissions_boundary(RoleName=r, PermissionsBoundary=local)
    assert uses(iam) == moved(base, admin=(1, 0), ssm=(3, 0), power=(0, 1))
    iam.put_role_permissions_boundary(RoleName=r, PermissionsBoundary=IAM_RO)
    assert uses(iam) == moved(base, admin=(1, 0), ssm=(3, 0), iamro=(0, 1), power=(0, 1))
    # A user renamed keeps its uses (counted once, under its new name).
    iam.update_user(UserName=u, NewUserName=u2)
    assert uses(iam) == moved(base, admin=(1, 0), ssm=(3, 0), iamro=(0, 1), power=(0, 1))
    iam.detach_user_policy(UserName=u2, PolicyArn=SSM_RO)
    iam.detach_group_policy(GroupName=g, PolicyArn=SSM_RO)
    assert uses(iam) == moved(base, admin=(1, 0), ssm=(1, 0), iamro=(0, 1), power=(0, 1))
    iam.delete_user_permissions_boundary(UserName=u2)
    iam.delete_user_permissions_boundary(UserName=u2)  # none left: nothing more to count
    assert uses(iam) == moved(base, admin=(1, 0), ssm=(1, 0), iamro=(0, 1))
    # Deleting a bounded user or role gives its boundary use back; a deleted group had none.
    iam.detach_user_policy(UserName=u2, PolicyArn=ADMIN)
    iam.put_user_permissions_boundary(UserName=u2, PermissionsBoundary=ADMIN)
    iam.delete_user(UserName=u2)
    iam.detach_role_policy(RoleName=r, PolicyArn=SSM_RO)
    iam.delete_role(RoleName=r)
    iam.delete_group(GroupName=g)
    assert uses(iam) == base
    iam.delete_policy(PolicyArn=local)


def test_counts_are_stored_rows_kept_out_of_every_list(fresh_dev_server):
    srv = fresh_dev_server
    iam = client(srv.endpoint, "iam")
    u, r = name(), name("r")
    iam.create_user(UserName=u, PermissionsBoundary=IAM_RO)
    iam.attach_user_policy(UserName=u, PolicyArn=ADMIN)
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT)
    iam.attach_role_policy(RoleName=r, PolicyArn=ADMIN)
    assert uses(iam)[ADMIN] == (2, 0) and uses(iam)[IAM_RO] == (0, 1)
    # Nothing but the user, the role and the two policies in use shows anywhere.
    summary = iam.get_account_summary()["SummaryMap"]
    assert (summary["Users"], summary["Groups"], summary["Roles"], summary["Policies"]) == (1, 0, 1, 0)
    assert [x["UserName"] for x in iam.list_users()["Users"]] == [u]
    assert [x["RoleName"] for x in iam.list_roles()["Roles"]] == [r]
    assert iam.list_groups()["Groups"] == []
    assert iam.list_policies(Scope="Local")["Policies"] == []
    details = iam.get_account_authorization_details()
    assert [x["UserName"] for x in details["UserDetailList"]] == [u]
    assert [x["RoleName"] for x in details["RoleDetailList"]] == [r]
    assert details["GroupDetailList"] == []
    assert [(p["Arn"], p["AttachmentCount"]) for p in details["Policies"]] == [(ADMIN, 2)]
    srv.stop()
    # The counts are stored state, one row per policy the account uses (and the row that
    # says they exist), not computed from the users and roles at each read.
    rows = sorted(store_sql(srv, "SELECT name, doc FROM iam_entities "
                                 "WHERE kind = 'aws-policy-uses' ORDER BY name"))
    assert [(n, json.loads(d)) for n, d in rows] == [
        (ADMIN, {"attached": 2, "bounding": 0}), (IAM_RO, {"attached": 0, "bounding": 1}),
        ("counted", {"attached": 0, "bounding": 0})]


def test_a_store_written_before_the_counts_were_kept_counts_them_once(fresh_dev_server):
    srv = fresh_dev_server
    iam = client(srv.endpoint, "iam")
    u, u2, g, r = name(), name(), name("g"), name("r")
    iam.create_user(UserName=u, PermissionsBoundary=POWER)
    iam.create_group(GroupName=g)
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT, PermissionsBoundary=POWER)
    for attach, kw in [(iam.attach_user_policy, {"UserName": u}),
                       (iam.attach_group_policy, {"GroupName": g}),
                       (iam.attach_role_policy, {"RoleName": r})]:
        attach(PolicyArn=SSM_RO, **kw)
    iam.attach_user_policy(UserName=u, PolicyArn=ADMIN)
    expected = {ADMIN: (1, 0), SSM_RO: (3, 0), IAM_RO: (0, 0), POWER: (0, 2)}
    assert uses(iam) == expected
    srv.stop()
    # As a store written before this change: the identities hold their attachments and
    # boundaries, no count row exists.
    store_sql(srv, "DELETE FROM iam_entities WHERE kind = 'aws-policy-uses'")
    assert store_sql(srv, "SELECT count(*) FROM iam_entities "
                          "WHERE kind = 'aws-policy-uses'") == [["0"]]
    srv.start()
    iam = client(srv.endpoint, "iam")
    assert uses(iam) == expected  # counted once, from the identities
    # A first change after the upgrade (here a detach) counts them too, then moves them.
    srv.stop()
    store_sql(srv, "DELETE FROM iam_entities WHERE kind = 'aws-policy-uses'")
    srv.start()
    iam = client(srv.endpoint, "iam")
    iam.detach_group_policy(GroupName=g, PolicyArn=SSM_RO)
    iam.put_user_permissions_boundary(UserName=u, PermissionsBoundary=IAM_RO)
    iam.update_user(UserName=u, NewUserName=u2)
    iam.delete_role_permissions_boundary(RoleName=r)
    expected = {ADMIN: (1, 0), SSM_RO: (2, 0), IAM_RO: (0, 1), POWER: (0, 0)}
    assert uses(iam) == expected
    iam.attach_group_policy(GroupName=g, PolicyArn=ADMIN)
    assert uses(iam) == {**expected, ADMIN: (2, 0)}


def test_concurrent_first_uses_are_each_counted_once(fresh_dev_server):
    # A new account has no counts: the first requests race to count them and to create the
    # row of each policy; every attachment and boundary is counted exactly once.
    iam = client(fresh_dev_server.endpoint, "iam")
    users = [name() for _ in range(8)]
    for u in users:
        iam.create_user(UserName=u)

    def use(u):
        c = client(fresh_dev_server.endpoint, "iam")
        c.attach_user_policy(UserName=u, PolicyArn=ADMIN)
        c.put_user_permissions_boundary(UserName=u, PermissionsBoundary=POWER)
        c.attach_user_policy(UserName=u, PolicyArn=SSM_RO)

    with ThreadPoolExecutor(len(users)) as pool:
        list(pool.map(use, users))
    assert uses(iam) == {ADMIN: (8, 0), SSM_RO: (8, 0), IAM_RO: (0, 0), POWER: (0, 8)}


def test_the_one_count_also_sets_customer_policies_boundary_counts(fresh_dev_server):
    # Boundaries set before policies counted their boundary uses left PermissionsBoundaryUsageCount
    # at 0, so DeletePolicy read every user and role of the account for an unused policy. The
    # account's one count sets them: then DeletePolicy trusts the policy's counts.
    srv = fresh_dev_server
    iam = client(srv.endpoint, "iam")
    doc = json.dumps({"Version": "2012-10-17",
                      "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]})
    b = iam.create_policy(PolicyName=name("b"), PolicyDocument=doc)["Policy"]
    free = iam.create_policy(PolicyName=name("f"), PolicyDocument=doc)["Policy"]["Arn"]
    u, r = name(), name("r")
    iam.create_user(UserName=u, PermissionsBoundary=b["Arn"])
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT,
                    PermissionsBoundary=b["Arn"])
    srv.stop()
    # As a store written before either count was kept.
    store_sql(srv, "DELETE FROM iam_entities WHERE kind = 'aws-policy-uses'")
    (doc_b,), = store_sql(srv, f"SELECT doc FROM iam_entities WHERE kind = 'policy' "
                                f"AND name = '{b['PolicyName']}'")
    stale = json.loads(doc_b)
    assert stale["boundary_uses"] == 2
    stale["boundary_uses"] = 0
    store_sql(srv, "UPDATE iam_entities SET doc = '" + json.dumps(stale) +
                   f"' WHERE kind = 'policy' AND name = '{b['PolicyName']}'")
    srv.start()
    iam = client(srv.endpoint, "iam")
    assert iam.get_policy(PolicyArn=b["Arn"])["Policy"]["PermissionsBoundaryUsageCount"] == 0
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=b["Arn"])
    assert code_of(e.value) == ("DeleteConflict", 409)
    assert iam.get_policy(PolicyArn=b["Arn"])["Policy"]["PermissionsBoundaryUsageCount"] == 2
    iam.delete_policy(PolicyArn=free)
    iam.delete_user(UserName=u)
    iam.delete_role_permissions_boundary(RoleName=r)
    assert iam.get_policy(PolicyArn=b["Arn"])["Policy"]["PermissionsBoundaryUsageCount"] == 0
    iam.delete_policy(PolicyArn=b["Arn"])
