"""GetAccountSummary and ListEntitiesForPolicy without reading the whole account.

GetAccountSummary's counts are the store's (a count per kind and the sum of the customer
managed policies' attachment counts, in the database): the full SummaryMap must stay what it
was when the call read every user, group, role and policy, i.e. exactly what the account's
lists say, through creates, attaches, boundaries, renames and deletes."""

from __future__ import annotations

import json

import pytest

from test_iam import TRUST_ACCOUNT, client, name
from test_iam_sts_aws_recorded import ACCOUNT_SUMMARY_QUOTAS

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
POWER = "arn:aws:iam::aws:policy/PowerUserAccess"
DOC = json.dumps({"Version": "2012-10-17",
                  "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]})


def listed(iam, op, key, **kw):
    return [x for page in iam.get_paginator(op).paginate(**kw) for x in page[key]]


def summary_from_lists(iam):
    """The SummaryMap as the account's lists make it: what GetAccountSummary answered when it
    read every entity (counts of users, groups, roles, customer managed policies and OIDC
    providers; PolicyVersionsInUse the customer managed policies' attachments), AWS's quotas
    and 0 for the kinds Arcana does not have."""
    local = listed(iam, "list_policies", "Policies", Scope="Local")
    return {
        **ACCOUNT_SUMMARY_QUOTAS,
        "AccountPasswordPresent": 0, "InstanceProfiles": 0, "MFADevices": 0,
        "MFADevicesInUse": 0, "ServerCertificates": 0,
        "Users": len(listed(iam, "list_users", "Users")),
        "Groups": len(listed(iam, "list_groups", "Groups")),
        "Roles": len(listed(iam, "list_roles", "Roles")),
        "Policies": len(local),
        "PolicyVersionsInUse": sum(p["AttachmentCount"] for p in local),
        "Providers": len(iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]),
    }


def test_account_summary_is_the_accounts_lists_through_every_change(fresh_dev_server):
    iam = client(fresh_dev_server.endpoint, "iam")
    summary = lambda: iam.get_account_summary()["SummaryMap"]  # noqa: E731
    empty = summary()
    assert empty == summary_from_lists(iam)
    assert {k: empty[k] for k in ("Users", "Groups", "Roles", "Policies",
                                  "PolicyVersionsInUse", "Providers")} == dict.fromkeys(
        ("Users", "Groups", "Roles", "Policies", "PolicyVersionsInUse", "Providers"), 0)

    users = [name() for _ in range(3)]
    for i, u in enumerate(users):
        iam.create_user(UserName=u, Path="/eng/" if i else "/")
    g, r = name("g"), name("r")
    iam.create_group(GroupName=g)
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT, PermissionsBoundary=ADMIN)
    p1 = iam.create_policy(PolicyName=name("p"), PolicyDocument=DOC)["Policy"]["Arn"]
    p2 = iam.create_policy(PolicyName=name("p"), Path="/x/", PolicyDocument=DOC)["Policy"]["Arn"]
    iam.create_open_id_connect_provider(Url=f"https://{name('idp')}.example.com",
                                        ThumbprintList=["a" * 40])
    for u in users:
        iam.attach_user_policy(UserName=u, PolicyArn=p1)
    iam.attach_group_policy(GroupName=g, PolicyArn=p1)
    iam.attach_role_policy(RoleName=r, PolicyArn=p2)
    iam.attach_role_policy(RoleName=r, PolicyArn=ADMIN)  # AWS managed: no version in use
    iam.put_user_permissions_boundary(UserName=users[0], PermissionsBoundary=p2)  # no attachment
    s = summary()
    assert s == summary_from_lists(iam)
    assert (s["Users"], s["Groups"], s["Roles"], s["Policies"], s["PolicyVersionsInUse"],
            s["Providers"]) == (3, 1, 1, 2, 5, 1)

    renamed = name()
    iam.update_user(UserName=users[1], NewUserName=renamed, NewPath="/ops/")
    iam.update_group(GroupName=g, NewGroupName=name("g2"))
    iam.detach_user_policy(UserName=users[2], PolicyArn=p1)
    iam.delete_user(UserName=users[2])
    s = summary()
    assert s == summary_from_lists(iam)
    assert (s["Users"], s["Groups"], s["Policies"], s["PolicyVersionsInUse"]) == (2, 1, 2, 4)

    iam.detach_role_policy(RoleName=r, PolicyArn=p2)
    iam.delete_role_permissions_boundary(RoleName=r)
    iam.detach_role_policy(RoleName=r, PolicyArn=ADMIN)
    iam.delete_role(RoleName=r)
    s = summary()
    assert s == summary_from_lists(iam)
    assert (s["Roles"], s["PolicyVersionsInUse"]) == (0, 3)
    with pytest.raises(Exception):
        iam.delete_policy(PolicyArn=p2)  # still bounds users[0]
    assert summary() == s
