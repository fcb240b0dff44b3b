"""GetAccountSummary and ListEntitiesForPolicy without reading the whole account.

GetAccountSummary's counts are the store's (a count per kind and the sum of the customer
managed policies' attachment counts, in the database): the full SummaryMap must stay what it
was when the call read every user, group, role and policy, i.e. exactly what the account's
lists say, through creates, attaches, boundaries, renames and deletes.

ListEntitiesForPolicy reads the policy's uses (a row per identity that has it attached or as
its boundary, kept in the same store write as the identity), not the account's identities:
the answer must stay what a scan of the identities makes it (groups, roles, users, each by
name; EntityFilter, PathPrefix, PolicyUsageFilter; MaxItems/Marker pages), through attaches,
detaches, boundaries, renames, path changes and deletes; a store written before the rows were
kept has them made once."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import store_sql

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


# ------------------------------------------------------------------------ ListEntitiesForPolicy

LISTS = (("group", "PolicyGroups", "GroupName", "GroupId"),
         ("role", "PolicyRoles", "RoleName", "RoleId"),
         ("user", "PolicyUsers", "UserName", "UserId"))
FILTERS = {"Group": "group", "Role": "role", "User": "user"}


class Account:
    """What the account's identities hold, as a scan of them makes ListEntitiesForPolicy's
    answer (the reference the stored rows must match)."""

    def __init__(self, iam):
        self.iam = iam
        self.ids = {}  # (kind, name) -> {"id", "path", "attached": set, "boundary"}

    def create(self, kind, n, path="/", boundary=None):
        kw = {"Path": path}
        if boundary:
            kw["PermissionsBoundary"] = boundary
        if kind == "user":
            got = self.iam.create_user(UserName=n, **kw)["User"]["UserId"]
        elif kind == "role":
            got = self.iam.create_role(RoleName=n, AssumeRolePolicyDocument=TRUST_ACCOUNT,
                                       **kw)["Role"]["RoleId"]
        else:
            got = self.iam.create_group(GroupName=n, Path=path)["Group"]["GroupId"]
        self.ids[(kind, n)] = {"id": got, "path": path, "attached": set(), "boundary": boundary}

    def attach(self, kind, n, arn):
        getattr(self.iam, f"attach_{kind}_policy")(**{f"{kind.title()}Name": n}, PolicyArn=arn)
        self.ids[(kind, n)]["attached"].add(arn)

    def detach(self, kind, n, arn):
        getattr(self.iam, f"detach_{kind}_policy")(**{f"{kind.title()}Name": n}, PolicyArn=arn)
        self.ids[(kind, n)]["attached"].discard(arn)

    def bound(self, kind, n, arn):
        if arn:
            getattr(self.iam, f"put_{kind}_permissions_boundary")(
                **{f"{kind.title()}Name": n}, PermissionsBoundary=arn)
        else:
            getattr(self.iam, f"delete_{kind}_permissions_boundary")(**{f"{kind.title()}Name": n})
        self.ids[(kind, n)]["boundary"] = arn

    def expected(self, arn, entity=None, usage=None, prefix="/"):
        out = {"IsTruncated": False, "PolicyGroups": [], "PolicyRoles": [], "PolicyUsers": []}
        if entity in ("LocalManagedPolicy", "AWSManagedPolicy"):
            return out
        for kind, key, name_key, id_key in LISTS:
            if entity and FILTERS[entity] != kind:
                continue
            for (k, n), i in sorted(self.ids.items(), key=lambda x: x[0][1].lower()):
                uses = (usage != "PermissionsBoundary" and arn in i["attached"]) or \
                    (usage != "PermissionsPolicy" and i["boundary"] == arn)
                if k == kind and uses and i["path"].startswith(prefix):
                    out[key].append({name_key: n, id_key: i["id"]})
        return out


def answer(iam, **kw):
    got = iam.list_entities_for_policy(**kw)
    return {k: got[k] for k in ("IsTruncated", "PolicyGroups", "PolicyRoles", "PolicyUsers")}


def pages(iam, max_items, **kw):
    """Every page of MaxItems, joined; each page but the last full and truncated."""
    joined = {"IsTruncated": False, "PolicyGroups": [], "PolicyRoles": [], "PolicyUsers": []}
    marker = None
    while True:
        got = iam.list_entities_for_policy(MaxItems=max_items, **kw,
                                           **({"Marker": marker} if marker else {}))
        n = sum(len(got[k]) for _, k, _, _ in LISTS)
        for _, k, _, _ in LISTS:
            joined[k] += got[k]
        if not got["IsTruncated"]:
            assert "Marker" not in got and n <= max_items
            return joined
        assert n == max_items and got["Marker"]
        marker = got["Marker"]


def check(iam, acct, arns):
    for arn in arns:
        for entity in (None, "User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"):
            for usage in (None, "PermissionsPolicy", "PermissionsBoundary"):
                kw = {k: v for k, v in (("EntityFilter", entity), ("PolicyUsageFilter", usage))
                      if v}
                assert answer(iam, PolicyArn=arn, **kw) == acct.expected(arn, entity, usage), kw
        for prefix in ("/eng/", "/ops/"):
            assert answer(iam, PolicyArn=arn, PathPrefix=prefix) == \
                acct.expected(arn, prefix=prefix)
        for max_items in (1, 2, 3):
            assert pages(iam, max_items, PolicyArn=arn) == acct.expected(arn)
        assert pages(iam, 1, PolicyArn=arn, EntityFilter="User") == acct.expected(arn, "User")


def test_list_entities_for_policy_follows_every_change(fresh_dev_server):
    iam = client(fresh_dev_server.endpoint, "iam")
    acct = Account(iam)
    p = iam.create_policy(PolicyName=name("p"), PolicyDocument=DOC)["Policy"]["Arn"]
    # A policy whose ARN starts with the other's: their rows must not mix.
    p_longer = iam.create_policy(PolicyName=p.rsplit("/", 1)[1] + "x",
                                 PolicyDocument=DOC)["Policy"]["Arn"]
    arns = (p, p_longer, ADMIN, POWER)
    users = ["alice", "Bob", "carol", "dave"]
    for i, u in enumerate(users):
        acct.create("user", u, path=("/eng/", "/ops/", "/")[i % 3],
                    boundary=POWER if u == "carol" else None)
    for g in ("Admins", "devs"):
        acct.create("group", g, path="/eng/")
    acct.create("role", "runner", boundary=p)
    acct.create("role", "Deployer", path="/ops/")
    for kind, n in (("user", "alice"), ("user", "Bob"), ("user", "dave"), ("group", "devs"),
                    ("group", "Admins"), ("role", "Deployer")):
        acct.attach(kind, n, p)
    acct.attach("user", "carol", ADMIN)
    acct.attach("role", "runner", ADMIN)
    acct.attach("user", "dave", p_longer)
    acct.bound("user", "alice", p)  # attached and its boundary: listed once
    check(iam, acct, arns)

    # Detach, boundary moves, rename (with a new path) and a case-only rename, deletes.
    acct.detach("user", "dave", p)
    acct.bound("role", "runner", POWER)
    acct.bound("user", "carol", None)
    iam.update_user(UserName="Bob", NewUserName="robert", NewPath="/eng/")
    acct.ids[("user", "robert")] = {**acct.ids.pop(("user", "Bob")), "path": "/eng/"}
    iam.update_user(UserName="alice", NewUserName="Alice")
    acct.ids[("user", "Alice")] = acct.ids.pop(("user", "alice"))
    iam.update_group(GroupName="devs", NewGroupName="developers")
    acct.ids[("group", "developers")] = acct.ids.pop(("group", "devs"))
    iam.update_group(GroupName="Admins", NewPath="/ops/")
    acct.ids[("group", "Admins")]["path"] = "/ops/"
    acct.detach("role", "Deployer", p)
    iam.delete_role(RoleName="Deployer")
    del acct.ids[("role", "Deployer")]
    acct.detach("user", "dave", p_longer)
    iam.delete_user(UserName="dave")
    del acct.ids[("user", "dave")]
    check(iam, acct, arns)
    got = answer(iam, PolicyArn=p)
    assert got["PolicyUsers"] == [{"UserName": "Alice", "UserId": acct.ids[("user", "Alice")]["id"]},
                                  {"UserName": "robert",
                                   "UserId": acct.ids[("user", "robert")]["id"]}]
    assert [g["GroupName"] for g in got["PolicyGroups"]] == ["Admins", "developers"]
    assert got["PolicyRoles"] == []

    # A user bounded by a policy it also has attached, deleted with the boundary in place.
    acct.detach("user", "Alice", p)
    iam.delete_user(UserName="Alice")
    del acct.ids[("user", "Alice")]
    check(iam, acct, (p,))
    with pytest.raises(ClientError):
        iam.delete_policy(PolicyArn=p)  # still attached to robert and both groups


USE_ROWS = ("kind LIKE 'policy-attached:%' OR kind LIKE 'policy-bounds:%' "
            "OR kind = 'policy-uses-indexed'")


def test_a_store_written_before_the_uses_were_kept_makes_them_once(fresh_dev_server):
    srv = fresh_dev_server
    iam = client(srv.endpoint, "iam")
    acct = Account(iam)
    p = iam.create_policy(PolicyName=name("p"), PolicyDocument=DOC)["Policy"]["Arn"]
    acct.create("user", "u1", path="/eng/", boundary=p)
    acct.create("user", "u2")
    acct.create("group", "g1")
    acct.create("role", "r1", boundary=ADMIN)
    acct.attach("user", "u2", p)
    acct.attach("group", "g1", p)
    acct.attach("role", "r1", ADMIN)
    acct.attach("user", "u1", ADMIN)
    check(iam, acct, (p, ADMIN))
    srv.stop()
    # The uses are stored rows (one per identity and use, and the row that says they exist).
    rows = store_sql(srv, f"SELECT kind, name, path FROM iam_entities WHERE {USE_ROWS} "
                          "ORDER BY kind, name")
    assert sorted(map(tuple, rows)) == sorted([
        ("policy-attached:" + p, "group/g1", "/"), ("policy-attached:" + p, "user/u2", "/"),
        ("policy-bounds:" + p, "user/u1", "/eng/"),
        ("policy-attached:" + ADMIN, "role/r1", "/"), ("policy-attached:" + ADMIN, "user/u1", "/eng/"),
        ("policy-bounds:" + ADMIN, "role/r1", "/"),
        ("policy-uses-indexed", "indexed", "/")])
    # As a store written before this change: no use row, no marker.
    store_sql(srv, f"DELETE FROM iam_entities WHERE {USE_ROWS}")
    srv.start()
    iam = client(srv.endpoint, "iam")
    acct.iam = iam
    check(iam, acct, (p, ADMIN))  # made from the identities at the first call
    srv.stop()
    made = store_sql(srv, f"SELECT kind, name, path, revision FROM iam_entities "
                          f"WHERE {USE_ROWS} ORDER BY kind, name")
    assert sorted(tuple(r[:3]) for r in made) == sorted(map(tuple, rows))
    assert {r[3] for r in made} == {"1"}  # made once: every row at its first revision
    # The first change after the upgrade (a detach, a rename) makes them too, then moves them.
    store_sql(srv, f"DELETE FROM iam_entities WHERE {USE_ROWS}")
    srv.start()
    iam = client(srv.endpoint, "iam")
    acct.iam = iam
    acct.detach("group", "g1", p)
    iam.update_user(UserName="u1", NewUserName="u1-renamed")
    acct.ids[("user", "u1-renamed")] = acct.ids.pop(("user", "u1"))
    check(iam, acct, (p, ADMIN))
    assert answer(iam, PolicyArn=p, PolicyUsageFilter="PermissionsBoundary")["PolicyUsers"] == [
        {"UserName": "u1-renamed", "UserId": acct.ids[("user", "u1-renamed")]["id"]}]
    # Rows left without their marker (a store edited by hand): made again over them.
    srv.stop()
    store_sql(srv, "DELETE FROM iam_entities WHERE kind = 'policy-uses-indexed' "
                   "OR (kind LIKE 'policy-bounds:%' AND name = 'role/r1')")
    srv.start()
    iam = client(srv.endpoint, "iam")
    acct.iam = iam
    check(iam, acct, (p, ADMIN))


def test_concurrent_first_uses_make_the_rows_once_and_lose_none(fresh_dev_server):
    # A new account has no rows yet: the first writes race to make them (one wins, the others
    # find its marker) and each then adds its own use: every one is listed.
    iam = client(fresh_dev_server.endpoint, "iam")
    p = iam.create_policy(PolicyName=name("p"), PolicyDocument=DOC)["Policy"]["Arn"]
    users = [f"user{i}" for i in range(8)]
    ids = {u: iam.create_user(UserName=u)["User"]["UserId"] for u in users}

    def use(u):
        c = client(fresh_dev_server.endpoint, "iam")
        c.attach_user_policy(UserName=u, PolicyArn=p)
        c.put_user_permissions_boundary(UserName=u, PermissionsBoundary=p)
        c.update_user(UserName=u, NewUserName=u.upper())

    with ThreadPoolExecutor(len(users)) as pool:
        list(pool.map(use, users))
    want = [{"UserName": u.upper(), "UserId": ids[u]} for u in users]
    for usage in ("PermissionsPolicy", "PermissionsBoundary"):
        assert answer(iam, PolicyArn=p, PolicyUsageFilter=usage)["PolicyUsers"] == want
    assert pages(iam, 3, PolicyArn=p)["PolicyUsers"] == want


def test_the_call_reads_the_policys_uses_not_the_accounts_identities(fresh_dev_server):
    # A user row the call would fail to read (its document corrupted in the store) does not
    # matter to a policy it does not use: the call reads that policy's rows only (it read and
    # parsed every user, group and role of the account: InternalFailure).
    srv = fresh_dev_server
    iam = client(srv.endpoint, "iam")
    p = iam.create_policy(PolicyName=name("p"), PolicyDocument=DOC)["Policy"]["Arn"]
    uid = iam.create_user(UserName="user1")["User"]["UserId"]
    iam.attach_user_policy(UserName="user1", PolicyArn=p)
    # (the first use of an AWS managed policy also makes the account's counts of them)
    iam.attach_user_policy(UserName="user1", PolicyArn=ADMIN)
    iam.create_user(UserName="unrelated")
    iam.create_group(GroupName="unrelated")
    srv.stop()
    store_sql(srv, "UPDATE iam_entities SET doc = 'not a document' "
                   "WHERE kind IN ('user', 'group') AND name = 'unrelated'")
    srv.start()
    iam = client(srv.endpoint, "iam")
    assert answer(iam, PolicyArn=p) == {"IsTruncated": False, "PolicyGroups": [],
                                        "PolicyRoles": [],
                                        "PolicyUsers": [{"UserName": "user1", "UserId": uid}]}
    assert answer(iam, PolicyArn=ADMIN)["PolicyUsers"] == [{"UserName": "user1", "UserId": uid}]
    # GetAccountSummary counts them without reading them.
    assert (iam.get_account_summary()["SummaryMap"]["Users"],
            iam.get_account_summary()["SummaryMap"]["Groups"]) == (2, 1)
