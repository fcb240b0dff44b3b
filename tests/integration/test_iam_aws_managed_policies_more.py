"""More AWS managed policies: SecretsManagerReadWrite, AWSSecretsManagerClientReadOnlyAccess and
AmazonSSMFullAccess, each with its current default version as AWS publishes it (AWS Managed
Policy Reference, docs.aws.amazon.com/aws-managed-policy/latest/reference/NAME.md; the
seconds of the dates from AWS's GetPolicyVersion answers where on record). Attaching
arn:aws:iam::aws:policy/SecretsManagerReadWrite answered NoSuchEntity, so a Terraform or
CloudFormation stack that gives a role Secrets Manager access failed. Attached, each one is
enforced by the policy engine statement for statement: what it allows is allowed, what it
leaves out is denied, its resource patterns and conditions hold."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError

from conftest import raw_call
from test_iam import ACCOUNT, TRUST_ACCOUNT, client, code_of, name
from test_sts_source_identity import iam  # noqa: F401  (the module's IAM client)

SMRW = "arn:aws:iam::aws:policy/SecretsManagerReadWrite"
SM_CLIENT_RO = "arn:aws:iam::aws:policy/AWSSecretsManagerClientReadOnlyAccess"
SSM_FULL = "arn:aws:iam::aws:policy/AmazonSSMFullAccess"

SMRW_V6 = {"Version": "2012-10-17", "Statement": [
    {"Sid": "BasePermissions", "Effect": "Allow", "Action": [
        "secretsmanager:*", "cloudformation:CreateChangeSet", "cloudformation:DescribeChangeSet",
        "cloudformation:DescribeStackResource", "cloudformation:DescribeStacks",
        "cloudformation:ExecuteChangeSet", "docdb-elastic:GetCluster",
        "docdb-elastic:ListClusters", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets",
        "ec2:DescribeVpcs", "kms:DescribeKey", "kms:ListAliases", "kms:ListKeys",
        "lambda:ListFunctions", "rds:DescribeDBClusters", "rds:DescribeDBInstances",
        "redshift:DescribeClusters", "redshift-serverless:ListWorkgroups",
        "redshift-serverless:GetNamespace", "tag:GetResources"], "Resource": "*"},
    {"Sid": "LambdaPermissions", "Effect": "Allow", "Action": [
        "lambda:AddPermission", "lambda:CreateFunction", "lambda:GetFunction",
        "lambda:InvokeFunction", "lambda:UpdateFunctionConfiguration"],
     "Resource": "arn:aws:lambda:*:*:function:SecretsManager*"},
    {"Sid": "SARPermissions", "Effect": "Allow", "Action": [
        "serverlessrepo:CreateCloudFormationChangeSet", "serverlessrepo:GetApplication"],
     "Resource": "arn:aws:serverlessrepo:*:*:applications/SecretsManager*"},
    {"Sid": "S3Permissions", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [
        "arn:aws:s3:::awsserverlessrepo-changesets*",
        "arn:aws:s3:::secrets-manager-rotation-apps-*/*"]},
    {"Sid": "CloudFormationTagOnCreate", "Effect": "Allow", "Action": [
        "cloudformation:TagResource", "cloudformation:UntagResource"], "Resource": "*",
     "Condition": {"StringEquals": {
         "cloudformation:CreateAction": ["CreateChangeSet", "ExecuteChangeSet"]}}},
]}

SM_CLIENT_RO_V4 = {"Version": "2012-10-17", "Statement": [
    {"Sid": "SecretsManagerGetAndDescribeSecret", "Effect": "Allow",
     "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
     "Resource": "arn:aws:secretsmanager:*:*:secret:*"},
    {"Sid": "SecretsManagerBatchGetSecrets", "Effect": "Allow",
     "Action": ["secretsmanager:BatchGetSecretValue", "secretsmanager:ListSecrets"],
     "Resource": "*"},
    {"Sid": "KMSDecryptKey", "Effect": "Allow", "Action": ["kms:Decrypt"],
     "Resource": "arn:aws:kms:*:*:key/*", "Condition": {"StringLike": {
         "kms:EncryptionContext:SecretARN": "arn:aws:secretsmanager:*:*:secret:*",
         "kms:ViaService": "secretsmanager.*.amazonaws.com"}}},
]}

SSM_SLR = "arn:aws:iam::*:role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM*"
SSM_FULL_V4 = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": [
        "cloudwatch:PutMetricData", "ds:CreateComputer", "ds:DescribeDirectories",
        "ec2:DescribeInstanceStatus", "logs:*", "ssm:*", "ec2messages:*"], "Resource": "*"},
    {"Effect": "Allow", "Action": "iam:CreateServiceLinkedRole", "Resource": SSM_SLR,
     "Condition": {"StringLike": {"iam:AWSServiceName": "ssm.amazonaws.com"}}},
    {"Effect": "Allow", "Action": [
        "iam:DeleteServiceLinkedRole", "iam:GetServiceLinkedRoleDeletionStatus"],
     "Resource": SSM_SLR},
    {"Effect": "Allow", "Action": [
        "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"], "Resource": "*"},
]}

UTC = timezone.utc
# (ARN, version, created, updated, description, document, PolicyId or None when AWS publishes
# none: then one of AWS's form, the same on every call.)
EXPECTED = [
    (SMRW, "v6", datetime(2018, 4, 4, 18, 5, 29, tzinfo=UTC),
     datetime(2026, 8, 25, 23, 37, 10, tzinfo=UTC),
     "Provides read/write access to AWS Secrets Manager via the AWS Management Console. Note: "
     "this exludes IAM actions, so combine with IAMFullAccess if rotation configuration is "
     "required.", SMRW_V6, None),
    (SM_CLIENT_RO, "v4", datetime(2025, 11, 5, 20, 4, 8, tzinfo=UTC),
     datetime(2026, 6, 2, 20, 42, tzinfo=UTC),
     "Provides access to retrieve and describe secrets from Secrets Manager. This policy also "
     "allows decrypting KMS keys for Secrets Manager secrets.", SM_CLIENT_RO_V4, None),
    (SSM_FULL, "v4", datetime(2015, 5, 29, 17, 39, tzinfo=UTC),
     datetime(2019, 11, 20, 20, 8, 56, tzinfo=UTC),
     "Provides full access to Amazon SSM.", SSM_FULL_V4, "ANPAJA7V6HI4ISQFMDYAG"),
]


def denied(call, **kw):
    with pytest.raises(ClientError) as e:
        call(**kw)
    return e.value.response["Error"]["Code"]


def test_get_policy_and_version_as_aws_publishes_them(iam):
    for arn, version, created, updated, description, document, policy_id in EXPECTED:
        p = iam.get_policy(PolicyArn=arn)["Policy"]
        assert p["PolicyName"] == arn.rsplit("/", 1)[1] and p["Arn"] == arn
        assert p["Path"] == "/" and p["IsAttachable"] is True, arn
        assert p["DefaultVersionId"] == version, arn
        assert (p["CreateDate"], p["UpdateDate"]) == (created, updated), arn
        assert p["Description"] == description, arn
        if policy_id is not None:
            assert p["PolicyId"] == policy_id
        else:
            assert re.fullmatch(r"ANPA[A-Z2-7]{17}", p["PolicyId"]), p["PolicyId"]
            assert iam.get_policy(PolicyArn=arn)["Policy"]["PolicyId"] == p["PolicyId"]
        v = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]
        assert v["Document"] == document, arn
        assert v["IsDefaultVersion"] is True and v["CreateDate"] == updated
        versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
        assert [(x["VersionId"], x["IsDefaultVersion"]) for x in versions] == [(version, True)]
    # SecretsManagerReadWrite's earlier v5 (no CloudFormationTagOnCreate) is not held.
    with pytest.raises(ClientError) as e:
        iam.get_policy_version(PolicyArn=SMRW, VersionId="v5")
    assert code_of(e.value) == ("NoSuchEntity", 404)
    ids = {iam.get_policy(PolicyArn=a)["Policy"]["PolicyId"] for a, *_ in EXPECTED}
    assert len(ids) == len(EXPECTED)


def test_list_policies_scope_aws_lists_them_and_local_does_not(iam):
    aws = iam.get_paginator("list_policies").paginate(
        Scope="AWS", PaginationConfig={"PageSize": 2}).build_full_result()["Policies"]
    arns = [p["Arn"] for p in aws]
    assert {SMRW, SM_CLIENT_RO, SSM_FULL} <= set(arns) and len(arns) == len(set(arns))
    names = [p["PolicyName"] for p in aws]
    assert names == sorted(names, key=str.lower)
    smrw = [p for p in aws if p["Arn"] == SMRW][0]
    assert smrw["DefaultVersionId"] == "v6" and smrw["PolicyName"] == "SecretsManagerReadWrite"
    local = iam.get_paginator("list_policies").paginate(
        Scope="Local").build_full_result()["Policies"]
    assert not {SMRW, SM_CLIENT_RO, SSM_FULL} & {p["Arn"] for p in local}


def test_secrets_manager_read_write_on_a_role_is_enforced(iam, auth_server):
    r = name("r")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT)
    iam.attach_role_policy(RoleName=r, PolicyArn=SMRW)
    assert iam.list_attached_role_policies(RoleName=r)["AttachedPolicies"] == [
        {"PolicyName": "SecretsManagerReadWrite", "PolicyArn": SMRW}]
    kms_root = client(auth_server.endpoint, "kms")
    key_id = kms_root.create_key(Description="smrw test")["KeyMetadata"]["KeyId"]
    creds = client(auth_server.endpoint, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{r}", RoleSessionName="smrw")["Credentials"]
    mk = lambda service: client(auth_server.endpoint, service, creds["AccessKeyId"],  # noqa: E731
                                creds["SecretAccessKey"], creds["SessionToken"])
    sm, kms, ssm, role_iam = mk("secretsmanager"), mk("kms"), mk("ssm"), mk("iam")
    # secretsmanager:*: the whole lifecycle of a secret.
    secret = name("s")
    arn = sm.create_secret(Name=secret, SecretString="one")["ARN"]
    sm.put_secret_value(SecretId=arn, SecretString="two")
    assert sm.get_secret_value(SecretId=arn)["SecretString"] == "two"
    sm.tag_resource(SecretId=arn, Tags=[{"Key": "k", "Value": "v"}])
    assert secret in [s["Name"] for s in sm.list_secrets()["SecretList"]]
    sm.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    # The KMS reads it lists, and no other KMS action.
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyId"] == key_id
    kms.list_keys()
    kms.list_aliases()
    assert denied(kms.create_key) == "AccessDeniedException"
    assert denied(kms.encrypt, KeyId=key_id, Plaintext=b"x") == "AccessDeniedException"
    # Nothing of IAM ("this excludes IAM actions") nor of SSM.
    assert denied(role_iam.list_users) == "AccessDenied"
    assert denied(role_iam.create_user, UserName=name()) == "AccessDenied"
    assert denied(ssm.get_parameter, Name="/any") == "AccessDeniedException"
    kms_root.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    iam.detach_role_policy(RoleName=r, PolicyArn=SMRW)
    iam.delete_role(RoleName=r)


def test_secrets_manager_read_write_resources_and_conditions_in_the_simulator(iam):
    u = name()
    iam.create_user(UserName=u)
    iam.attach_user_policy(UserName=u, PolicyArn=SMRW)
    source = f"arn:aws:iam::{ACCOUNT}:user/{u}"

    def decide(action, resource="*", context=None):
        kw = {"PolicySourceArn": source, "ActionNames": [action], "ResourceArns": [resource]}
        if context:
            kw["ContextEntries"] = context
        r = iam.simulate_principal_policy(**kw)["EvaluationResults"][0]
        return r

    fn = "arn:aws:lambda:us-east-1:{}:function:{}"
    ok = decide("lambda:InvokeFunction", fn.format(ACCOUNT, "SecretsManagerRotation"))
    assert ok["EvalDecision"] == "allowed"
    assert ok["MatchedStatements"][0]["SourcePolicyId"] == SMRW
    assert ok["MatchedStatements"][0]["SourcePolicyType"] == "aws-managed"
    assert decide("lambda:InvokeFunction", fn.format(ACCOUNT, "Other"))["EvalDecision"] == \
        "implicitDeny"
    assert decide("s3:GetObject", "arn:aws:s3:::secrets-manager-rotation-apps-x/k")[
        "EvalDecision"] == "allowed"
    assert decide("s3:GetObject", "arn:aws:s3:::other-bucket/k")["EvalDecision"] == \
        "implicitDeny"
    # CloudFormationTagOnCreate: tagging only while a change set creates the stack.
    create_action = [{"ContextKeyName": "cloudformation:CreateAction",
                      "ContextKeyValues": ["CreateChangeSet"], "ContextKeyType": "string"}]
    assert decide("cloudformation:TagResource", context=create_action)["EvalDecision"] == \
        "allowed"
    assert decide("cloudformation:TagResource")["EvalDecision"] == "implicitDeny"
    assert decide("iam:PassRole")["EvalDecision"] == "implicitDeny"
    iam.detach_user_policy(UserName=u, PolicyArn=SMRW)
    iam.delete_user(UserName=u)


def test_client_read_only_access_reads_and_does_not_write(iam, auth_server):
    root_sm = client(auth_server.endpoint, "secretsmanager")
    secret = name("s")
    arn = root_sm.create_secret(Name=secret, SecretString="v")["ARN"]
    u = name()
    iam.create_user(UserName=u)
    key = iam.create_access_key(UserName=u)["AccessKey"]
    sm = client(auth_server.endpoint, "secretsmanager", key["AccessKeyId"],
                key["SecretAccessKey"])
    assert denied(sm.get_secret_value, SecretId=arn) == "AccessDeniedException"
    r = raw_call(auth_server.endpoint, "BatchGetSecretValue", {"SecretIdList": [arn]},
                 akid=key["AccessKeyId"], secret=key["SecretAccessKey"])
    assert r.status_code == 400 and r.json()["__type"] == "AccessDeniedException", r.text
    iam.attach_user_policy(UserName=u, PolicyArn=SM_CLIENT_RO)
    assert sm.get_secret_value(SecretId=arn)["SecretString"] == "v"
    assert sm.describe_secret(SecretId=arn)["Name"] == secret
    assert secret in [s["Name"] for s in sm.list_secrets()["SecretList"]]
    # BatchGetSecretValue signed by hand: Debian's botocore predates it.
    r = raw_call(auth_server.endpoint, "BatchGetSecretValue", {"SecretIdList": [arn]},
                 akid=key["AccessKeyId"], secret=key["SecretAccessKey"])
    assert r.status_code == 200, r.text
    got = r.json()["SecretValues"]
    assert [(s["Name"], s["SecretString"]) for s in got] == [(secret, "v")]
    assert denied(sm.put_secret_value, SecretId=arn, SecretString="w") == \
        "AccessDeniedException"
    assert denied(sm.create_secret, Name=name("s"), SecretString="x") == "AccessDeniedException"
    assert denied(sm.delete_secret, SecretId=arn) == "AccessDeniedException"
    iam.detach_user_policy(UserName=u, PolicyArn=SM_CLIENT_RO)
    iam.delete_access_key(UserName=u, AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=u)
    root_sm.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)


def test_ssm_full_access_writes_parameters_and_nothing_of_secrets_manager(iam, auth_server):
    g, u = name("g"), name()
    iam.create_group(GroupName=g)
    iam.create_user(UserName=u)
    iam.add_user_to_group(GroupName=g, UserName=u)
    iam.attach_group_policy(GroupName=g, PolicyArn=SSM_FULL)
    key = iam.create_access_key(UserName=u)["AccessKey"]
    mk = lambda service: client(auth_server.endpoint, service, key["AccessKeyId"],  # noqa: E731
                                key["SecretAccessKey"])
    ssm, sm = mk("ssm"), mk("secretsmanager")
    param = "/" + name("p")
    ssm.put_parameter(Name=param, Value="a", Type="String")
    ssm.put_parameter(Name=param, Value="b", Type="String", Overwrite=True)
    assert ssm.get_parameter(Name=param)["Parameter"]["Value"] == "b"
    ssm.delete_parameter(Name=param)
    assert denied(sm.list_secrets) == "AccessDeniedException"
    # iam:CreateServiceLinkedRole only for SSM's own service-linked role.
    slr = (f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/ssm.amazonaws.com/"
           "AWSServiceRoleForAmazonSSM")
    ssm_service = [{"ContextKeyName": "iam:AWSServiceName",
                    "ContextKeyValues": ["ssm.amazonaws.com"], "ContextKeyType": "string"}]
    out = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/{u}",
        ActionNames=["iam:CreateServiceLinkedRole"], ResourceArns=[slr],
        ContextEntries=ssm_service)["EvaluationResults"]
    assert out[0]["EvalDecision"] == "allowed"
    out = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/{u}",
        ActionNames=["iam:CreateServiceLinkedRole"], ResourceArns=[slr])["EvaluationResults"]
    assert out[0]["EvalDecision"] == "implicitDeny"
    iam.detach_group_policy(GroupName=g, PolicyArn=SSM_FULL)
    iam.remove_user_from_group(GroupName=g, UserName=u)
    iam.delete_group(GroupName=g)
    iam.delete_access_key(UserName=u, AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=u)


# --------------------------------------------------------------------------- Lambda's
# Execution roles attach AWS's Lambda policies (the Secrets Manager rotation templates attach
# service-role/AWSLambdaBasicExecutionRole, and AWSLambdaVPCAccessExecutionRole for a function
# in a VPC); attaching one answered NoSuchEntity. Two have the Path /service-role/: their ARN
# carries the path, their PolicyName does not. Documents, versions and dates as the AWS Managed
# Policy Reference publishes them (seconds from AWS's GetPolicyVersion answers, MAMIP).
BASIC_EXEC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
VPC_EXEC = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"

BASIC_EXEC_V1 = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": [
        "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}]}
VPC_EXEC_V3 = {"Version": "2012-10-17", "Statement": [
    {"Sid": "AWSLambdaVPCAccessExecutionPermissions", "Effect": "Allow", "Action": [
        "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
        "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
        "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses"], "Resource": "*"}]}

# (ARN, Path, version, created, updated, description, document, PolicyId or None)
LAMBDA_EXPECTED = [
    (BASIC_EXEC, "/service-role/", "v1", datetime(2015, 4, 9, 15, 3, 43, tzinfo=UTC),
     datetime(2015, 4, 9, 15, 3, 43, tzinfo=UTC),
     "Provides write permissions to CloudWatch Logs.", BASIC_EXEC_V1, "ANPAJNCQGXC42545SKXIK"),
    (VPC_EXEC, "/service-role/", "v3", datetime(2016, 2, 11, 23, 15, 26, tzinfo=UTC),
     datetime(2024, 1, 5, 22, 38, 26, tzinfo=UTC),
     "Provides minimum permissions for a Lambda function to execute while accessing a resource "
     "within a VPC - create, describe, delete network interfaces and write permissions to "
     "CloudWatch Logs.", VPC_EXEC_V3, "ANPAJVTME3YLVNL72YR2K"),
]
SERVICE_ROLE = {BASIC_EXEC, VPC_EXEC}

# Path "/". AWSLambda_FullAccess v7 and AWSLambda_ReadOnlyAccess v5 (2026-02-12) as AWS's
# GetPolicyVersion answers them (zoph-io/IAMTrail); ReadOnly's v5 is the reference page's v3
# document statement for statement.
LAMBDA_EXECUTE = "arn:aws:iam::aws:policy/AWSLambdaExecute"
LAMBDA_FULL = "arn:aws:iam::aws:policy/AWSLambda_FullAccess"
LAMBDA_RO = "arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess"
LAMBDA_EXECUTE_V1 = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["logs:*"], "Resource": "arn:aws:logs:*:*:*"},
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
     "Resource": "arn:aws:s3:::*"}]}
LAMBDA_LOGS = "arn:aws:logs:*:*:log-group:/aws/lambda/*"
LAMBDA_FULL_V7 = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": [
        "cloudformation:DescribeStacks", "cloudformation:ListStackResources",
        "cloudwatch:ListMetrics", "cloudwatch:GetMetricData", "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets", "ec2:DescribeVpcs", "kms:DescribeKey", "kms:ListAliases",
        "iam:GetPolicy", "iam:GetPolicyVersion", "iam:GetRole", "iam:GetRolePolicy",
        "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:ListRoles", "lambda:*",
        "logs:DescribeLogGroups", "states:DescribeStateMachine", "states:ListStateMachines",
        "tag:GetResources", "xray:GetTraceSummaries", "xray:BatchGetTraces"], "Resource": "*"},
    {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": {
        "StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}},
    {"Effect": "Allow", "Action": [
        "logs:DescribeLogStreams", "logs:GetLogEvents", "logs:FilterLogEvents",
        "logs:StartLiveTail", "logs:StopLiveTail"], "Resource": LAMBDA_LOGS},
    {"Effect": "Allow", "Action": "iam:CreateServiceLinkedRole",
     "Resource": "arn:aws:iam::*:role/aws-service-role/lambda.amazonaws.com/"
                 "AWSServiceRoleForLambda",
     "Condition": {"StringEquals": {"iam:AWSServiceName": "lambda.amazonaws.com"}}}]}
LAMBDA_RO_V5 = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": [
        "cloudformation:DescribeStacks", "cloudformation:ListStacks",
        "cloudformation:ListStackResources", "cloudwatch:GetMetricData", "cloudwatch:ListMetrics",
        "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs", "kms:ListAliases",
        "iam:GetPolicy", "iam:GetPolicyVersion", "iam:GetRole", "iam:GetRolePolicy",
        "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:ListRoles",
        "logs:DescribeLogGroups", "lambda:Get*", "lambda:List*", "states:DescribeStateMachine",
        "states:ListStateMachines", "tag:GetResources", "xray:GetTraceSummaries",
        "xray:BatchGetTraces"], "Resource": "*"},
    {"Effect": "Allow", "Action": [
        "logs:DescribeLogStreams", "logs:GetLogEvents", "logs:FilterLogEvents", "logs:StartQuery",
        "logs:StopQuery", "logs:DescribeQueries", "logs:GetLogGroupFields", "logs:GetLogRecord",
        "logs:GetQueryResults", "logs:StartLiveTail", "logs:StopLiveTail"],
     "Resource": LAMBDA_LOGS}]}
LAMBDA_EXPECTED += [
    (LAMBDA_EXECUTE, "/", "v1", datetime(2015, 2, 6, 18, 40, 46, tzinfo=UTC),
     datetime(2015, 2, 6, 18, 40, 46, tzinfo=UTC),
     "Provides Put, Get access to S3 and full access to CloudWatch Logs.", LAMBDA_EXECUTE_V1,
     "ANPAJE5FX7FQZSU5XAKGO"),
    (LAMBDA_FULL, "/", "v7", datetime(2020, 11, 17, 21, 14, 8, tzinfo=UTC),
     datetime(2026, 2, 12, 18, 0, 51, tzinfo=UTC),
     "Grants full access to AWS Lambda service, AWS Lambda console features, and other related "
     "AWS services.", LAMBDA_FULL_V7, "ANPAZKAPJZG4OXQPYWZ5D"),
    (LAMBDA_RO, "/", "v5", datetime(2020, 11, 17, 21, 10, tzinfo=UTC),
     datetime(2026, 2, 12, 18, 2, 55, tzinfo=UTC),
     "Grants read-only access to AWS Lambda service, AWS Lambda console features, and other "
     "related AWS services.", LAMBDA_RO_V5, None),
]

# The services Arcana serves besides: CloudTrail (LookupEvents) and EventBridge. Reference
# pages; EventBridge's current versions as AWS's GetPolicyVersion answers them (IAMTrail).
CT_RO = "arn:aws:iam::aws:policy/AWSCloudTrail_ReadOnlyAccess"
EB_RO = "arn:aws:iam::aws:policy/AmazonEventBridgeReadOnlyAccess"
EB_FULL = "arn:aws:iam::aws:policy/AmazonEventBridgeFullAccess"
CT_RO_V1 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
    "cloudtrail:Get*", "cloudtrail:Describe*", "cloudtrail:List*", "cloudtrail:LookupEvents"],
    "Resource": "*"}]}
EB_RO_V7 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
    "events:DescribeRule", "events:DescribeEventBus", "events:DescribeEventSource",
    "events:ListEventBuses", "events:ListEventSources", "events:ListRuleNamesByTarget",
    "events:ListRules", "events:ListTargetsByRule", "events:TestEventPattern",
    "events:DescribeArchive", "events:ListArchives", "events:DescribeReplay", "events:ListReplays",
    "events:DescribeConnection", "events:ListConnections", "events:DescribeApiDestination",
    "events:ListApiDestinations", "events:DescribeEndpoint", "events:ListEndpoints",
    "events:DescribeSubscriber", "events:ListSubscribers", "events:GetResourcePolicy",
    "events:ListResourcePolicies", "events:ListTagsForResource", "schemas:DescribeCodeBinding",
    "schemas:DescribeDiscoverer", "schemas:DescribeRegistry", "schemas:DescribeSchema",
    "schemas:ExportSchema", "schemas:GetCodeBindingSource", "schemas:GetDiscoveredSchema",
    "schemas:GetResourcePolicy", "schemas:ListDiscoverers", "schemas:ListRegistries",
    "schemas:ListSchemas", "schemas:ListSchemaVersions", "schemas:ListTagsForResource",
    "schemas:SearchSchemas", "scheduler:GetSchedule", "scheduler:GetScheduleGroup",
    "scheduler:ListSchedules", "scheduler:ListScheduleGroups", "scheduler:ListTagsForResource",
    "pipes:DescribePipe", "pipes:ListPipes", "pipes:ListTagsForResource"], "Resource": "*"}]}


def pass_role_to(service):
    return {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::*:role/*",
            "Condition": {"StringLike": {"iam:PassedToService": service}}}


EB_FULL_V7 = {"Version": "2012-10-17", "Statement": [
    {"Sid": "EventBridgeActions", "Effect": "Allow",
     "Action": ["events:*", "schemas:*", "scheduler:*", "pipes:*"], "Resource": "*"},
    {"Sid": "IAMCreateServiceLinkedRoleForApiDestinations", "Effect": "Allow",
     "Action": "iam:CreateServiceLinkedRole",
     "Resource": "arn:aws:iam::*:role/aws-service-role/apidestinations.events.amazonaws.com/"
                 "AWSServiceRoleForAmazonEventBridgeApiDestinations",
     "Condition": {"StringEquals": {"iam:AWSServiceName": "apidestinations.events.amazonaws.com"}}},
    {"Sid": "IAMCreateServiceLinkedRoleForAmazonEventBridgeSchemas", "Effect": "Allow",
     "Action": "iam:CreateServiceLinkedRole",
     "Resource": "arn:aws:iam::*:role/aws-service-role/schemas.amazonaws.com/"
                 "AWSServiceRoleForSchemas",
     "Condition": {"StringEquals": {"iam:AWSServiceName": "schemas.amazonaws.com"}}},
    {"Sid": "SecretsManagerAccessForApiDestinations", "Effect": "Allow", "Action": [
        "secretsmanager:CreateSecret", "secretsmanager:UpdateSecret",
        "secretsmanager:DeleteSecret", "secretsmanager:GetSecretValue",
        "secretsmanager:PutSecretValue"],
     "Resource": "arn:aws:secretsmanager:*:*:secret:events!*"},
    {"Sid": "IAMPassRoleAccessForEventBridge", **pass_role_to("events.amazonaws.com")},
    {"Sid": "IAMPassRoleAccessForScheduler", **pass_role_to("scheduler.amazonaws.com")},
    {"Sid": "IAMPassRoleAccessForPipes", **pass_role_to("pipes.amazonaws.com")},
]}
SERVICES_EXPECTED = [
    (CT_RO, "/", "v1", datetime(2022, 6, 14, 17, 19, 5, tzinfo=UTC),
     datetime(2022, 6, 14, 17, 19, 5, tzinfo=UTC),
     "Provides read only access to AWS CloudTrail.", CT_RO_V1, None),
    (EB_RO, "/", "v7", datetime(2019, 7, 11, 13, 59, tzinfo=UTC),
     datetime(2026, 9, 24, 21, 37, 8, tzinfo=UTC),
     "Provides read only access to Amazon EventBridge.", EB_RO_V7, None),
    (EB_FULL, "/", "v7", datetime(2019, 7, 11, 14, 8, tzinfo=UTC),
     datetime(2026, 2, 12, 17, 58, 25, tzinfo=UTC),
     "Provides full access to Amazon EventBridge.", EB_FULL_V7, None),
]


def test_lambda_policies_as_aws_publishes_them(iam):
    for arn, path, version, created, updated, description, document, policy_id in \
            LAMBDA_EXPECTED + SERVICES_EXPECTED:
        p = iam.get_policy(PolicyArn=arn)["Policy"]
        assert (p["Arn"], p["Path"], p["PolicyName"]) == \
            (arn, path, arn.rsplit("/", 1)[1]), arn
        assert p["IsAttachable"] is True and p["DefaultVersionId"] == version, arn
        assert (p["CreateDate"], p["UpdateDate"]) == (created, updated), arn
        assert p["Description"] == description, arn
        if policy_id is not None:
            assert p["PolicyId"] == policy_id, arn
        else:
            assert re.fullmatch(r"ANPA[A-Z2-7]{17}", p["PolicyId"]), p["PolicyId"]
        v = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]
        assert v["Document"] == document, arn
        assert v["IsDefaultVersion"] is True and v["CreateDate"] == updated, arn
        versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
        assert [(x["VersionId"], x["IsDefaultVersion"]) for x in versions] == [(version, True)]
    # The path is part of the ARN: without it (or with another) there is no such policy, as
    # AWS answers a script that forgets "service-role/".
    for wrong in ("arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole",
                  "arn:aws:iam::aws:policy/other-role/AWSLambdaBasicExecutionRole"):
        with pytest.raises(ClientError) as e:
            iam.get_policy(PolicyArn=wrong)
        assert code_of(e.value) == ("NoSuchEntity", 404)
        assert e.value.response["Error"]["Message"] == \
            f"Policy {wrong} does not exist or is not attachable."


def test_service_role_policies_listed_by_path_prefix(iam):
    def listed(**kw):
        return [p for p in iam.get_paginator("list_policies").paginate(
            Scope="AWS", **kw).build_full_result()["Policies"]]

    pathed = listed(PathPrefix="/service-role/")
    assert SERVICE_ROLE <= {p["Arn"] for p in pathed}
    assert all(p["Path"] == "/service-role/" for p in pathed)
    assert all(p["Arn"].startswith("arn:aws:iam::aws:policy/service-role/") for p in pathed)
    basic = [p for p in pathed if p["Arn"] == BASIC_EXEC][0]
    assert (basic["PolicyName"], basic["DefaultVersionId"]) == ("AWSLambdaBasicExecutionRole",
                                                                "v1")
    # "/" is every path's prefix (and the default); another path's is none of theirs.
    assert SERVICE_ROLE <= {p["Arn"] for p in listed(PathPrefix="/")}
    assert SERVICE_ROLE <= {p["Arn"] for p in listed()}
    assert not SERVICE_ROLE & {p["Arn"] for p in listed(PathPrefix="/aws-service-role/")}
    # The ones of Path "/" are not under /service-role/.
    assert not {LAMBDA_EXECUTE, LAMBDA_FULL, LAMBDA_RO} & {p["Arn"] for p in pathed}
    assert {LAMBDA_EXECUTE, LAMBDA_FULL, LAMBDA_RO} <= {p["Arn"] for p in listed()}
    assert not SERVICE_ROLE & {p["Arn"] for p in iam.get_paginator("list_policies").paginate(
        Scope="Local", PathPrefix="/service-role/").build_full_result()["Policies"]}


def test_service_role_policy_attached_to_a_role(iam):
    r = name("r")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT)
    before = iam.get_policy(PolicyArn=BASIC_EXEC)["Policy"]["AttachmentCount"]
    iam.attach_role_policy(RoleName=r, PolicyArn=BASIC_EXEC)
    iam.attach_role_policy(RoleName=r, PolicyArn=VPC_EXEC)
    iam.attach_role_policy(RoleName=r, PolicyArn=SSM_FULL)
    pathed = [{"PolicyName": "AWSLambdaBasicExecutionRole", "PolicyArn": BASIC_EXEC},
              {"PolicyName": "AWSLambdaVPCAccessExecutionRole", "PolicyArn": VPC_EXEC}]
    assert iam.list_attached_role_policies(RoleName=r)["AttachedPolicies"] == pathed + [
        {"PolicyName": "AmazonSSMFullAccess", "PolicyArn": SSM_FULL}]
    # PathPrefix selects by the policies' paths (which their ARNs carry).
    assert iam.list_attached_role_policies(
        RoleName=r, PathPrefix="/service-role/")["AttachedPolicies"] == pathed
    assert iam.list_attached_role_policies(
        RoleName=r, PathPrefix="/other/")["AttachedPolicies"] == []
    iam.detach_role_policy(RoleName=r, PolicyArn=SSM_FULL)
    assert iam.get_policy(PolicyArn=BASIC_EXEC)["Policy"]["AttachmentCount"] == before + 1
    ents = iam.list_entities_for_policy(PolicyArn=BASIC_EXEC)
    assert r in [x["RoleName"] for x in ents["PolicyRoles"]]
    attached = iam.get_paginator("list_policies").paginate(
        Scope="AWS", OnlyAttached=True, PathPrefix="/service-role/").build_full_result()
    assert SERVICE_ROLE <= {p["Arn"] for p in attached["Policies"]}
    details = iam.get_account_authorization_details(Filter=["AWSManagedPolicy", "Role"])
    got = {p["Arn"]: p for p in details["Policies"]}
    assert got[BASIC_EXEC]["Path"] == "/service-role/"
    assert got[BASIC_EXEC]["PolicyName"] == "AWSLambdaBasicExecutionRole"
    role = [x for x in details["RoleDetailList"] if x["RoleName"] == r][0]
    assert {"PolicyName": "AWSLambdaBasicExecutionRole", "PolicyArn": BASIC_EXEC} in \
        role["AttachedManagedPolicies"]
    # What the role may do: the documents' actions, nothing else.
    sim = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:role/{r}",
        ActionNames=["logs:PutLogEvents", "ec2:CreateNetworkInterface", "ec2:RunInstances",
                     "secretsmanager:GetSecretValue"])["EvaluationResults"]
    assert {x["EvalActionName"]: x["EvalDecision"] for x in sim} == {
        "logs:PutLogEvents": "allowed", "ec2:CreateNetworkInterface": "allowed",
        "ec2:RunInstances": "implicitDeny", "secretsmanager:GetSecretValue": "implicitDeny"}
    ec2 = [x for x in sim if x["EvalActionName"] == "ec2:CreateNetworkInterface"][0]
    assert ec2["MatchedStatements"][0]["SourcePolicyId"] == VPC_EXEC
    assert ec2["MatchedStatements"][0]["SourcePolicyType"] == "aws-managed"
    iam.detach_role_policy(RoleName=r, PolicyArn=VPC_EXEC)
    sim = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:role/{r}",
        ActionNames=["logs:PutLogEvents", "ec2:CreateNetworkInterface"])["EvaluationResults"]
    assert {x["EvalActionName"]: x["EvalDecision"] for x in sim} == {
        "logs:PutLogEvents": "allowed", "ec2:CreateNetworkInterface": "implicitDeny"}
    iam.detach_role_policy(RoleName=r, PolicyArn=BASIC_EXEC)
    assert iam.get_policy(PolicyArn=BASIC_EXEC)["Policy"]["AttachmentCount"] == before
    assert iam.list_attached_role_policies(RoleName=r)["AttachedPolicies"] == []
    iam.delete_role(RoleName=r)


def lambda_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("lambda_function.py", "def lambda_handler(event, context):\n    return 1\n")
    return buf.getvalue()


def test_lambda_read_only_and_full_access_are_enforced(iam, auth_server):
    exec_role = name("exec")
    role_arn = iam.create_role(RoleName=exec_role, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    iam.attach_role_policy(RoleName=exec_role, PolicyArn=BASIC_EXEC)
    root_lambda = client(auth_server.endpoint, "lambda")
    fn = name("fn")
    root_lambda.create_function(FunctionName=fn, Runtime="python3.11", Role=role_arn,
                                Handler="lambda_function.lambda_handler",
                                Code={"ZipFile": lambda_zip()})
    u = name()
    iam.create_user(UserName=u)
    key = iam.create_access_key(UserName=u)["AccessKey"]
    mk = lambda service: client(auth_server.endpoint, service, key["AccessKeyId"],  # noqa: E731
                                key["SecretAccessKey"])
    lam, sm = mk("lambda"), mk("secretsmanager")
    assert denied(lam.list_functions) == "AccessDeniedException"
    assert denied(lam.get_function, FunctionName=fn) == "AccessDeniedException"
    # AWSLambda_ReadOnlyAccess: lambda:Get* and lambda:List*, no write.
    iam.attach_user_policy(UserName=u, PolicyArn=LAMBDA_RO)
    assert fn in [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    assert lam.get_function(FunctionName=fn)["Configuration"]["Role"] == role_arn
    assert denied(lam.delete_function, FunctionName=fn) == "AccessDeniedException"
    fn2 = name("fn")
    create = dict(FunctionName=fn2, Runtime="python3.11", Role=role_arn,
                  Handler="lambda_function.lambda_handler", Code={"ZipFile": lambda_zip()})
    assert denied(lam.create_function, **create) == "AccessDeniedException"
    assert denied(sm.list_secrets) == "AccessDeniedException"
    # AWSLambda_FullAccess: lambda:*, and passing a role to Lambda (iam:PassRole only where
    # iam:PassedToService is lambda.amazonaws.com).
    iam.detach_user_policy(UserName=u, PolicyArn=LAMBDA_RO)
    iam.attach_user_policy(UserName=u, PolicyArn=LAMBDA_FULL)
    assert lam.create_function(**create)["FunctionName"] == fn2
    lam.delete_function(FunctionName=fn2)
    lam.delete_function(FunctionName=fn)
    assert denied(sm.list_secrets) == "AccessDeniedException"
    sim = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/{u}", ActionNames=["iam:PassRole"],
        ResourceArns=[role_arn])["EvaluationResults"]
    assert sim[0]["EvalDecision"] == "implicitDeny"
    iam.detach_user_policy(UserName=u, PolicyArn=LAMBDA_FULL)
    # AWSLambdaExecute: CloudWatch Logs and S3 objects only (neither served here: simulated).
    iam.attach_user_policy(UserName=u, PolicyArn=LAMBDA_EXECUTE)
    def decide(action, resource):
        return iam.simulate_principal_policy(
            PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/{u}", ActionNames=[action],
            ResourceArns=[resource])["EvaluationResults"][0]["EvalDecision"]

    log_stream = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/{fn}:log-stream:s"
    assert decide("logs:PutLogEvents", log_stream) == "allowed"
    assert decide("s3:GetObject", "arn:aws:s3:::bucket/key") == "allowed"
    assert decide("s3:PutObject", "arn:aws:s3:::bucket/key") == "allowed"
    assert decide("s3:DeleteObject", "arn:aws:s3:::bucket/key") == "implicitDeny"
    assert decide("lambda:InvokeFunction", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{fn}") \
        == "implicitDeny"
    iam.detach_user_policy(UserName=u, PolicyArn=LAMBDA_EXECUTE)
    iam.delete_access_key(UserName=u, AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=u)
    iam.detach_role_policy(RoleName=exec_role, PolicyArn=BASIC_EXEC)
    iam.delete_role(RoleName=exec_role)


def test_cloudtrail_and_eventbridge_policies_are_enforced(iam, auth_server):
    u = name()
    iam.create_user(UserName=u)
    key = iam.create_access_key(UserName=u)["AccessKey"]
    mk = lambda service: client(auth_server.endpoint, service, key["AccessKeyId"],  # noqa: E731
                                key["SecretAccessKey"])
    ct, ev = mk("cloudtrail"), mk("events")
    rule = name("rule")
    pattern = json.dumps({"source": ["aws.secretsmanager"]})
    assert denied(ct.lookup_events, MaxResults=1) == "AccessDeniedException"
    assert denied(ev.list_rules) == "AccessDeniedException"
    iam.attach_user_policy(UserName=u, PolicyArn=CT_RO)
    assert "Events" in ct.lookup_events(MaxResults=1)
    assert denied(ev.list_rules) == "AccessDeniedException"
    iam.detach_user_policy(UserName=u, PolicyArn=CT_RO)
    # EventBridge read-only: describes and lists, writes nothing.
    iam.attach_user_policy(UserName=u, PolicyArn=EB_RO)
    assert denied(ct.lookup_events, MaxResults=1) == "AccessDeniedException"
    root_ev = client(auth_server.endpoint, "events")
    theirs = name("rule")
    root_ev.put_rule(Name=theirs, EventPattern=pattern)
    assert theirs in [r["Name"] for r in ev.list_rules()["Rules"]]
    assert ev.describe_rule(Name=theirs)["EventPattern"] == pattern
    assert denied(ev.put_rule, Name=rule, EventPattern=pattern) == "AccessDeniedException"
    assert denied(ev.delete_rule, Name=theirs) == "AccessDeniedException"
    root_ev.delete_rule(Name=theirs)
    iam.detach_user_policy(UserName=u, PolicyArn=EB_RO)
    # EventBridge full access: rules made and removed; Secrets Manager only for events!*.
    iam.attach_user_policy(UserName=u, PolicyArn=EB_FULL)
    ev.put_rule(Name=rule, EventPattern=pattern)
    assert ev.describe_rule(Name=rule)["EventPattern"] == pattern
    ev.delete_rule(Name=rule)
    assert denied(mk("secretsmanager").list_secrets) == "AccessDeniedException"

    def decide(action, resource):
        return iam.simulate_principal_policy(
            PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/{u}", ActionNames=[action],
            ResourceArns=[resource])["EvaluationResults"][0]["EvalDecision"]

    sm = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:"
    assert decide("secretsmanager:GetSecretValue", sm + "events!connection/c/x-AbCdEf") == \
        "allowed"
    assert decide("secretsmanager:GetSecretValue", sm + "db-AbCdEf") == "implicitDeny"
    iam.detach_user_policy(UserName=u, PolicyArn=EB_FULL)
    iam.delete_access_key(UserName=u, AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=u)
