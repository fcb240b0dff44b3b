"""IAM account entity quotas: CreateUser, CreateGroup, CreateRole and CreatePolicy past the
account's UsersPerAccount, GroupsPerAccount, RolesPerAccount and PoliciesPerAccount quota are
refused as AWS refuses them: LimitExceeded, HTTP 409 (botocore's IAM model,
LimitExceededException), "Cannot exceed quota for RolesPerAccount: 1000" (AWS's answer
quoted in terraform CI logs, e.g. "LimitExceeded: Cannot exceed quota for RolesPerAccount:
1500 status code: 409", and "... UsersPerAccount: 5000" in openshift/cloud-credential-
operator's; the group and policy quotas are named alike), nothing created. GetAccountSummary
reports the quotas enforced.

The quotas are lowered with arcanad's --iam-*-quota options (AWS's defaults otherwise), so a
test need not create 5000 users. Under PostgreSQL the server is two nodes on one database,
and the concurrent creates go through both: the count and the insert are one transaction,
serialised per account and kind, on any number of nodes.
"""

from __future__ import annotations

import os
import subprocess
import threading

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import (ARCANAD, DEV_AKID, DEV_SECRET, IS_PG, ROOT_AKID, ROOT_SECRET, ArcanaServer,
                      cli_store_args, store_url)

USERS, GROUPS, ROLES, POLICIES = 12, 2, 2, 2
QUOTA_ARGS = ["--iam-users-quota", str(USERS), "--iam-groups-quota", str(GROUPS),
              "--iam-roles-quota", str(ROLES), "--iam-policies-quota", str(POLICIES)]
TRUST = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
         '{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}')
DOC = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",'
       '"Resource":"*"}]}')


def iam_client(server: ArcanaServer):
    return boto3.client("iam", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=DEV_AKID, aws_secret_access_key=DEV_SECRET,
                        config=Config(retries={"max_attempts": 0}, max_pool_connections=16))


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    """Two IAM clients on nodes of one store: under PostgreSQL two arcanad processes on one
    database and root key file; under SQLite (one process's store) one server, twice."""
    base = tmp_path_factory.mktemp("iam-quotas")
    a = ArcanaServer(base / "a" / "data", base / "a" / "logs", dev=True, args=QUOTA_ARGS)
    a.start()
    servers = [a]
    if IS_PG:
        b = ArcanaServer(base / "b" / "data", base / "b" / "logs", dev=True, args=QUOTA_ARGS,
                         store=store_url(a.data_dir), root_key_file=a.data_dir / "root.key")
        b.start()
        servers.append(b)
    yield servers
    for s in servers:
        s.stop()


@pytest.fixture
def iam(nodes):
    nodes[0].reset()
    return iam_client(nodes[0])


def creates(iam):
    """kind -> (quota, AWS's quota name, create(name), delete(name), get(name))."""
    def create_policy(n):
        return iam.create_policy(PolicyName=n, PolicyDocument=DOC)

    def policy_arn(n):
        return f"arn:aws:iam::123456789012:policy/{n}"

    return {
        "user": (USERS, "UsersPerAccount", lambda n: iam.create_user(UserName=n),
                 lambda n: iam.delete_user(UserName=n), lambda n: iam.get_user(UserName=n)),
        "group": (GROUPS, "GroupsPerAccount", lambda n: iam.create_group(GroupName=n),
                  lambda n: iam.delete_group(GroupName=n), lambda n: iam.get_group(GroupName=n)),
        "role": (ROLES, "RolesPerAccount",
                 lambda n: iam.create_role(RoleName=n, AssumeRolePolicyDocument=TRUST),
                 lambda n: iam.delete_role(RoleName=n), lambda n: iam.get_role(RoleName=n)),
        "policy": (POLICIES, "PoliciesPerAccount", create_policy,
                   lambda n: iam.delete_policy(PolicyArn=policy_arn(n)),
                   lambda n: iam.get_policy(PolicyArn=policy_arn(n))),
    }


SUMMARY = {"user": ("Users", "UsersQuota"), "group": ("Groups", "GroupsQuota"),
           "role": ("Roles", "RolesQuota"), "policy": ("Policies", "PoliciesQuota")}


def err(e: pytest.ExceptionInfo) -> tuple[str, str, int]:
    r = e.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


@pytest.mark.parametrize("kind", ["user", "group", "role", "policy"])
def test_create_at_quota_is_limit_exceeded_and_a_delete_frees_a_slot(iam, kind):
    quota, quota_name, create, delete, get = creates(iam)[kind]
    count_key, quota_key = SUMMARY[kind]
    for i in range(quota):
        create(f"{kind}{i}")
    summary = iam.get_account_summary()["SummaryMap"]
    assert (summary[count_key], summary[quota_key]) == (quota, quota)
    with pytest.raises(ClientError) as e:
        create(f"{kind}-over")
    assert err(e) == ("LimitExceeded", f"Cannot exceed quota for {quota_name}: {quota}", 409)
    # Nothing was created.
    with pytest.raises(ClientError) as e:
        get(f"{kind}-over")
    assert err(e)[0] == "NoSuchEntity"
    assert iam.get_account_summary()["SummaryMap"][count_key] == quota
    # A name already taken is EntityAlreadyExists, quota or not.
    with pytest.raises(ClientError) as e:
        create(f"{kind}0")
    assert err(e)[0] == "EntityAlreadyExists"
    # Deleting one frees a slot, for exactly one more.
    delete(f"{kind}0")
    create(f"{kind}-over")
    get(f"{kind}-over")
    with pytest.raises(ClientError) as e:
        create(f"{kind}-over2")
    assert err(e)[0] == "LimitExceeded"


def test_summary_reports_the_quotas_enforced(iam):
    summary = iam.get_account_summary()["SummaryMap"]
    assert {k: summary[k] for k in ("UsersQuota", "GroupsQuota", "RolesQuota", "PoliciesQuota")} \
        == {"UsersQuota": USERS, "GroupsQuota": GROUPS, "RolesQuota": ROLES,
            "PoliciesQuota": POLICIES}


def test_rename_at_quota_is_no_new_entity(iam):
    """UpdateUser/UpdateGroup with a new name moves an entity; at the quota it still works."""
    for i in range(USERS):
        iam.create_user(UserName=f"u{i}")
    iam.update_user(UserName="u0", NewUserName="renamed")
    iam.get_user(UserName="renamed")
    for i in range(GROUPS):
        iam.create_group(GroupName=f"g{i}")
    iam.update_group(GroupName="g0", NewGroupName="renamed-group")
    iam.get_group(GroupName="renamed-group")


@pytest.mark.parametrize("kind", ["user", "group"])
def test_concurrent_creates_through_two_nodes_never_exceed_the_quota(nodes, kind):
    """3 x quota creates at once, half through each node (PostgreSQL: two processes): exactly
    quota of them succeed, every other one is LimitExceeded, and the account holds quota."""
    nodes[0].reset()
    clients = [iam_client(n) for n in (nodes * 2)[:2]]
    quota = creates(clients[0])[kind][0]
    attempts = 3 * quota
    results: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(attempts)

    def run(i):
        create = creates(clients[i % 2])[kind][2]
        start.wait()
        try:
            create(f"{kind}-c{i}")
            outcome = "ok"
        except ClientError as e:
            outcome = e.response["Error"]["Code"]
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(set(results)) == ["LimitExceeded", "ok"], results
    assert results.count("ok") == quota, results
    for c in clients:
        assert c.get_account_summary()["SummaryMap"][SUMMARY[kind][0]] == quota
    listed = clients[0].list_users() if kind == "user" else clients[0].list_groups()
    assert len(listed["Users" if kind == "user" else "Groups"]) == quota


def test_cli_create_user_is_held_to_the_operators_users_quota(nodes):
    """`arcana iam create-user` goes through the IAM service's CreateUser, so it is held to the
    UsersPerAccount quota arcanad enforces, given to it as to arcanad (ARCANA_IAM_USERS_QUOTA or
    --iam-users-quota): it created a user past the operator's quota before (the CLI held every
    account to AWS's default 5000 whatever arcanad was told)."""
    srv = nodes[0]
    srv.reset()
    iam = iam_client(srv)
    for i in range(USERS - 1):
        iam.create_user(UserName=f"u{i}")

    def cli(name, *args):
        return subprocess.run([str(ARCANAD.parent / "arcana"), *cli_store_args(srv.data_dir),
                               "--root-key-file", str(srv.data_dir / "root.key"),
                               "iam", "create-user", name, *args],
                              env={**os.environ, "ARCANA_IAM_USERS_QUOTA": str(USERS)},
                              capture_output=True, text=True, timeout=60)

    made = cli("last")
    assert made.returncode == 0, made.stderr
    iam.get_user(UserName="last")
    for args in ((), ("--iam-users-quota", str(USERS))):
        over = cli("over", *args)
        assert over.returncode != 0, over.stdout
        assert f"Cannot exceed quota for UsersPerAccount: {USERS}" in over.stderr, over.stderr
        with pytest.raises(ClientError) as e:
            iam.get_user(UserName="over")
        assert err(e)[0] == "NoSuchEntity"
    assert iam.get_account_summary()["SummaryMap"]["Users"] == USERS


def test_a_negative_quota_is_refused_at_start(tmp_path):
    p = subprocess.run([str(ARCANAD), "--dev", "--data-dir", str(tmp_path),
                        "--iam-roles-quota", "-1"], capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert "--iam-roles-quota" in p.stderr + p.stdout


def test_quotas_and_policy_versions_in_use_are_per_account(tmp_path):
    """Each account has its own quotas (AWS: "per account"), and GetAccountSummary counts each
    account's own entities: account A at its user quota does not stop account B, and A's
    customer managed policy attachments are A's PolicyVersionsInUse only."""
    env = {"ARCANA_ROOT_ACCESS_KEY_ID": ROOT_AKID, "ARCANA_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET}
    srv = ArcanaServer(tmp_path / "data", tmp_path / "logs", dev=False, env=env,
                       args=QUOTA_ARGS).start()
    try:
        # Root keys of a second account, made offline as an operator would.
        p = subprocess.run([str(ARCANAD.parent / "arcana"), *cli_store_args(srv.data_dir),
                            "--root-key-file", str(srv.data_dir / "root.key"),
                            "access-key", "create", "--account-id", "210987654321"],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr

        def client(akid, secret):
            return boto3.client("iam", endpoint_url=srv.endpoint, region_name="us-east-1",
                                aws_access_key_id=akid, aws_secret_access_key=secret,
                                config=Config(retries={"max_attempts": 0}))

        a = client(ROOT_AKID, ROOT_SECRET)
        b = client(p.stdout.split("AWS_ACCESS_KEY_ID=")[1].split()[0],
                   p.stdout.split("AWS_SECRET_ACCESS_KEY=")[1].split()[0])
        for i in range(USERS):
            a.create_user(UserName=f"u{i}")
        with pytest.raises(ClientError) as e:
            a.create_user(UserName="over")
        assert err(e)[0] == "LimitExceeded"
        b.create_user(UserName="over")
        arn = a.create_policy(PolicyName="p", PolicyDocument=DOC)["Policy"]["Arn"]
        a.attach_user_policy(UserName="u0", PolicyArn=arn)
        a.attach_user_policy(UserName="u1", PolicyArn=arn)
        b.create_policy(PolicyName="p", PolicyDocument=DOC)
        sa = a.get_account_summary()["SummaryMap"]
        sb = b.get_account_summary()["SummaryMap"]
        assert (sa["Users"], sa["Policies"], sa["PolicyVersionsInUse"]) == (USERS, 1, 2)
        assert (sb["Users"], sb["Policies"], sb["PolicyVersionsInUse"]) == (1, 1, 0)
    finally:
        srv.stop()


def trust_with_sid(sid_len: int, indent: int = 0) -> str:
    import json
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "x" * sid_len, "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
         "Action": "sts:AssumeRole"}]}, indent=indent or None, separators=None if indent
        else (",", ":"))


def test_trust_policy_longer_than_acl_size_per_role_is_limit_exceeded(iam):
    """AWS's "Role trust policy length" quota (AssumeRolePolicySizeQuota 2048): CreateRole and
    UpdateAssumeRolePolicy past it are LimitExceeded 409 "Cannot exceed quota for
    ACLSizePerRole: 2048" (AWS's answer in users' errors: "An error occurred (LimitExceeded)
    when calling the CreateRole operation: Cannot exceed quota for ACLSizePerRole: 2048",
    terraform's "assume role policy: LimitExceeded: ..."), the role unchanged; white space is
    not counted ("IAM doesn't count white space when calculating the size of a policy against
    these limits", IAM quotas). Before, any trust policy up to the model's 131072 passed."""
    base = len(trust_with_sid(0))
    at_limit = trust_with_sid(2048 - base)
    over = trust_with_sid(2049 - base)
    assert (len(at_limit), len(over)) == (2048, 2049)
    assert iam.get_account_summary()["SummaryMap"]["AssumeRolePolicySizeQuota"] == 2048
    quota = ("LimitExceeded", "Cannot exceed quota for ACLSizePerRole: 2048", 409)
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName="big", AssumeRolePolicyDocument=over)
    assert err(e) == quota
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName="big")
    assert err(e)[0] == "NoSuchEntity"
    iam.create_role(RoleName="big", AssumeRolePolicyDocument=at_limit)
    # Indented: far longer than 2048 with its white space, 2048 without.
    spaced = trust_with_sid(2048 - base, indent=40)
    assert len(spaced) > 2300
    iam.update_assume_role_policy(RoleName="big", PolicyDocument=spaced)
    with pytest.raises(ClientError) as e:
        iam.update_assume_role_policy(RoleName="big", PolicyDocument=over)
    assert err(e) == quota
    got = iam.get_role(RoleName="big")["Role"]["AssumeRolePolicyDocument"]
    assert got["Statement"][0]["Sid"] == "x" * (2048 - base)
