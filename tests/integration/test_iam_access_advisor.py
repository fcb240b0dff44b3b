"""IAM's last accessed information ("access advisor") through boto3:
GenerateServiceLastAccessedDetails, GetServiceLastAccessedDetails,
GetServiceLastAccessedDetailsWithEntities and ListPoliciesGrantingServiceAccess.

What the IAM API reference documents: a report lists the services the entity's permissions
policies allow (a user's with its groups'), each with the last authenticated attempt to call it
(LastAuthenticated, LastAuthenticatedEntity: the user, the role, the group member or the entity
a policy is attached to; LastAuthenticatedRegion; TotalAuthenticatedEntities), none for a
service never called; ACTION_LEVEL adds the tracked actions (ActionName without the service
prefix). Attempts count whether or not they were allowed; an assumed role's session counts for
its role. Calls are noted in memory by the node that served them and flushed to the store every
5 s: the serving node reports them at once, another node (PostgreSQL) after the flush.
Runs on each store (ARCANA_TEST_STORE); the two-node case on PostgreSQL only."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ACCOUNT, ROOT_AKID, ROOT_SECRET, wait_for
from test_iam import TRUST_ACCOUNT, client, code_of, name
from test_sts import creds_client, iam, sts  # noqa: F401 (fixtures)


def doc(*actions: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": list(actions), "Resource": "*"}]})


def report(iam, arn: str, granularity: str = "SERVICE_LEVEL") -> tuple[str, dict]:
    """(job id, the report's services by namespace)."""
    job = iam.generate_service_last_accessed_details(Arn=arn, Granularity=granularity)["JobId"]
    assert len(job) == 36
    out = iam.get_service_last_accessed_details(JobId=job)
    assert out["JobStatus"] == "COMPLETED" and out["JobType"] == granularity
    assert out["JobCompletionDate"] >= out["JobCreationDate"]
    assert out["IsTruncated"] is False
    return job, {s["ServiceNamespace"]: s for s in out["ServicesLastAccessed"]}


def user_with_key(iam, policy: str) -> tuple[dict, dict]:
    u = iam.create_user(UserName=name("aa"))["User"]
    iam.put_user_policy(UserName=u["UserName"], PolicyName="p", PolicyDocument=policy)
    return u, iam.create_access_key(UserName=u["UserName"])["AccessKey"]


def as_key(auth_server, service: str, key: dict):
    return client(auth_server.endpoint, service, key["AccessKeyId"], key["SecretAccessKey"])


def test_a_users_report_shows_the_services_it_called_and_not_the_others(iam, auth_server):
    user, key = user_with_key(iam, doc("secretsmanager:*", "kms:Decrypt"))
    sm = as_key(auth_server, "secretsmanager", key)
    sm.list_secrets()
    with pytest.raises(ClientError):  # a failed attempt is an attempt
        sm.get_secret_value(SecretId=name("missing"))
    job, services = report(iam, user["Arn"])
    assert set(services) == {"secretsmanager", "kms"}
    used, unused = services["secretsmanager"], services["kms"]
    assert used["ServiceName"] == "AWS Secrets Manager"
    assert used["LastAuthenticatedEntity"] == user["Arn"]
    assert used["LastAuthenticatedRegion"] == "us-east-1"
    assert used["TotalAuthenticatedEntities"] == 1
    assert used["LastAuthenticated"].year >= 2024
    assert unused == {"ServiceName": "AWS Key Management Service", "ServiceNamespace": "kms",
                      "TotalAuthenticatedEntities": 0}
    # Paged: one service a page, the Marker naming where to go on.
    first = iam.get_service_last_accessed_details(JobId=job, MaxItems=1)
    assert first["IsTruncated"] is True and len(first["ServicesLastAccessed"]) == 1
    rest = iam.get_service_last_accessed_details(JobId=job, Marker=first["Marker"])
    assert [s["ServiceNamespace"] for s in first["ServicesLastAccessed"] +
            rest["ServicesLastAccessed"]] == ["kms", "secretsmanager"]  # by ServiceName
    entities = iam.get_service_last_accessed_details_with_entities(
        JobId=job, ServiceNamespace="secretsmanager")
    assert entities["JobStatus"] == "COMPLETED"
    [only] = entities["EntityDetailsList"]
    assert only["EntityInfo"] == {"Arn": user["Arn"], "Name": user["UserName"], "Type": "USER",
                                  "Id": user["UserId"], "Path": "/"}
    assert only["LastAuthenticated"] == used["LastAuthenticated"]
    # Action level: the tracked actions the policies allow, those called with their time.
    _, detailed = report(iam, user["Arn"], "ACTION_LEVEL")
    actions = {a["ActionName"]: a for a in detailed["secretsmanager"]["TrackedActionsLastAccessed"]}
    assert {"ListSecrets", "GetSecretValue", "CreateSecret"} <= set(actions)
    assert actions["ListSecrets"]["LastAccessedEntity"] == user["Arn"]
    assert actions["ListSecrets"]["LastAccessedRegion"] == "us-east-1"
    assert "LastAccessedTime" in actions["GetSecretValue"]
    assert actions["CreateSecret"] == {"ActionName": "CreateSecret"}
    assert detailed["kms"]["TrackedActionsLastAccessed"] == [{"ActionName": "Decrypt"}]


def test_a_role_session_counts_for_the_role(iam, sts, auth_server):
    role = iam.create_role(RoleName=name("aar"), AssumeRolePolicyDocument=TRUST_ACCOUNT)["Role"]
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="p",
                        PolicyDocument=doc("secretsmanager:ListSecrets", "ssm:GetParameter"))
    creds = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="advisor")["Credentials"]
    creds_client(auth_server, "secretsmanager", creds).list_secrets()
    _, services = report(iam, role["Arn"])
    assert set(services) == {"secretsmanager", "ssm"}
    assert services["secretsmanager"]["LastAuthenticatedEntity"] == role["Arn"]
    assert "LastAuthenticated" not in services["ssm"]
    assert services["ssm"]["ServiceName"] == "AWS Systems Manager"


def test_group_and_policy_reports_count_their_members_and_attachments(iam, auth_server):
    arn = iam.create_policy(PolicyName=name("aap"),
                            PolicyDocument=doc("secretsmanager:List*", "s3:GetObject"))["Policy"]["Arn"]
    group = iam.create_group(GroupName=name("aag"))["Group"]
    iam.attach_group_policy(GroupName=group["GroupName"], PolicyArn=arn)
    caller, idle = (iam.create_user(UserName=name("aam"))["User"] for _ in range(2))
    for u in (caller, idle):
        iam.add_user_to_group(GroupName=group["GroupName"], UserName=u["UserName"])
    key = iam.create_access_key(UserName=caller["UserName"])["AccessKey"]
    as_key(auth_server, "secretsmanager", key).list_secrets()

    job, services = report(iam, group["Arn"])
    assert set(services) == {"secretsmanager", "s3"}
    assert services["secretsmanager"]["LastAuthenticatedEntity"] == caller["Arn"]
    assert services["secretsmanager"]["TotalAuthenticatedEntities"] == 1
    assert services["s3"] == {"ServiceName": "s3", "ServiceNamespace": "s3",
                              "TotalAuthenticatedEntities": 0}
    members = iam.get_service_last_accessed_details_with_entities(
        JobId=job, ServiceNamespace="secretsmanager")["EntityDetailsList"]
    assert [m["EntityInfo"]["Arn"] for m in members] == [caller["Arn"], idle["Arn"]]  # latest first
    assert "LastAuthenticated" in members[0] and "LastAuthenticated" not in members[1]

    job, services = report(iam, arn)
    assert services["secretsmanager"]["LastAuthenticatedEntity"] == caller["Arn"]
    [attached] = iam.get_service_last_accessed_details_with_entities(
        JobId=job, ServiceNamespace="secretsmanager")["EntityDetailsList"]
    assert attached["EntityInfo"]["Type"] == "GROUP"
    assert attached["EntityInfo"]["Arn"] == group["Arn"]
    assert "LastAuthenticated" in attached


def test_policies_granting_service_access(iam):
    managed = iam.create_policy(PolicyName=name("aap"),
                                PolicyDocument=doc("kms:*"))["Policy"]
    group = name("aag")
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="g", PolicyDocument=doc("secretsmanager:Get*"))
    iam.attach_group_policy(GroupName=group, PolicyArn=managed["Arn"])
    user = iam.create_user(UserName=name("aau"))["User"]
    iam.put_user_policy(UserName=user["UserName"], PolicyName="mine",
                        PolicyDocument=doc("secretsmanager:ListSecrets"))
    iam.attach_user_policy(UserName=user["UserName"], PolicyArn=managed["Arn"])
    iam.add_user_to_group(GroupName=group, UserName=user["UserName"])
    out = iam.list_policies_granting_service_access(
        Arn=user["Arn"], ServiceNamespaces=["secretsmanager", "kms", "s3"])
    assert out["IsTruncated"] is False
    by_ns = {e["ServiceNamespace"]: e["Policies"] for e in out["PoliciesGrantingServiceAccess"]}
    assert by_ns["secretsmanager"] == [
        {"PolicyName": "mine", "PolicyType": "INLINE", "EntityType": "USER",
         "EntityName": user["UserName"]},
        {"PolicyName": "g", "PolicyType": "INLINE", "EntityType": "GROUP", "EntityName": group}]
    assert by_ns["kms"] == [{"PolicyName": managed["PolicyName"], "PolicyType": "MANAGED",
                             "PolicyArn": managed["Arn"]}]  # attached twice, listed once
    assert by_ns["s3"] == []
    # A group's own policies only.
    out = iam.list_policies_granting_service_access(
        Arn=f"arn:aws:iam::{ACCOUNT}:group/{group}", ServiceNamespaces=["secretsmanager"])
    assert [p["PolicyName"] for p in out["PoliciesGrantingServiceAccess"][0]["Policies"]] == ["g"]


def test_errors_and_authorization(iam, auth_server):
    def fails(fn, **kw):
        with pytest.raises(ClientError) as e:
            fn(**kw)
        return code_of(e.value)

    gen = iam.generate_service_last_accessed_details
    assert fails(gen, Arn="arn:aws:s3:::bucket-of-something") == ("InvalidInput", 400)
    assert fails(gen, Arn=f"arn:aws:iam::{ACCOUNT}:user/{name('nobody')}") == ("NoSuchEntity", 404)
    assert fails(gen, Arn=f"arn:aws:iam::{ACCOUNT}:policy/{name('nopolicy')}") == \
        ("NoSuchEntity", 404)
    assert fails(iam.get_service_last_accessed_details, JobId=str(uuid.uuid4())) == \
        ("NoSuchEntity", 404)
    assert fails(iam.get_service_last_accessed_details_with_entities, JobId=str(uuid.uuid4()),
                 ServiceNamespace="iam") == ("NoSuchEntity", 404)
    lp = iam.list_policies_granting_service_access
    policy = iam.create_policy(PolicyName=name("aap"), PolicyDocument=doc("iam:Get*"))["Policy"]
    assert fails(lp, Arn=policy["Arn"], ServiceNamespaces=["iam"]) == ("InvalidInput", 400)
    assert fails(lp, Arn=f"arn:aws:iam::{ACCOUNT}:role/{name('norole')}",
                 ServiceNamespaces=["iam"]) == ("NoSuchEntity", 404)

    # Each operation is its IAM action, on the entity its Arn names (Generate, List) or "*".
    user, key = user_with_key(iam, json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:GenerateServiceLastAccessedDetails",
         "Resource": policy["Arn"]},
        {"Effect": "Allow", "Action": "iam:GetServiceLastAccessedDetails", "Resource": "*"}]}))
    mine = as_key(auth_server, "iam", key)
    assert fails(mine.generate_service_last_accessed_details, Arn=user["Arn"]) == \
        ("AccessDenied", 403)
    assert fails(mine.list_policies_granting_service_access, Arn=user["Arn"],
                 ServiceNamespaces=["iam"]) == ("AccessDenied", 403)
    job = mine.generate_service_last_accessed_details(Arn=policy["Arn"])["JobId"]
    assert mine.get_service_last_accessed_details(JobId=job)["JobStatus"] == "COMPLETED"
    # A job is its maker's: another caller cannot read it.
    assert fails(iam.get_service_last_accessed_details, JobId=job) == ("NoSuchEntity", 404)


@pytest.mark.postgresql_only("two nodes need a shared PostgreSQL store")
def test_two_nodes_agree_once_the_serving_node_flushed(tmp_path):
    import pg_cluster
    from test_cluster import Cluster

    cluster = Cluster(pg_cluster.session_cluster(), tmp_path)
    try:
        a, b = cluster.start(2)

        def on(node, service, akid=ROOT_AKID, secret=ROOT_SECRET):
            return boto3.client(service, endpoint_url=node.endpoint, region_name="us-east-1",
                                aws_access_key_id=akid, aws_secret_access_key=secret,
                                config=Config(retries={"max_attempts": 0}))

        ia, ib = on(a, "iam"), on(b, "iam")
        user, key = user_with_key(ia, doc("secretsmanager:*"))
        on(a, "secretsmanager", key["AccessKeyId"], key["SecretAccessKey"]).list_secrets()
        _, here = report(ia, user["Arn"])  # the serving node: at once
        assert here["secretsmanager"]["LastAuthenticatedEntity"] == user["Arn"]

        def seen_on_b():
            return report(ib, user["Arn"])[1]["secretsmanager"].get("LastAuthenticated")
        when = wait_for(seen_on_b, timeout=15, interval=0.5, what="node B to see A's flushed use")
        assert when == here["secretsmanager"]["LastAuthenticated"]
        # The job is in the store: the other node answers it too.
        job, _ = report(ib, user["Arn"])
        assert ia.get_service_last_accessed_details(JobId=job)["ServicesLastAccessed"][0][
            "LastAuthenticatedEntity"] == user["Arn"]
    finally:
        cluster.stop_all()
