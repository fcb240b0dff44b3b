"""IAM service-linked roles through boto3, as Terraform's aws_iam_service_linked_role and
CloudFormation's AWS::IAM::ServiceLinkedRole make them: CreateServiceLinkedRole,
DeleteServiceLinkedRole, GetServiceLinkedRoleDeletionStatus, and the protection of such roles.

The expected answers, by source:
- recorded (LocalStack's AWS-validated TestIAMServiceRoles, through the name table LocalStack
  keeps to pass it): the role names per service (AWSServiceRoleForAutoScaling,
  AWSServiceRoleForECS, AWSServiceRoleForAPIGateway for ops.apigateway), the path
  /aws-service-role/SERVICE/, CustomSuffix taken only by autoscaling, connect and lexv2 and
  joined with "_", the deletion status SUCCEEDED.
- AWS's answers quoted by users: "Service role name X has been taken in this account, please
  try a different suffix." and "Custom suffix is not allowed for S" (InvalidInput 400);
  "Cannot perform the operation on the protected role 'X' - this role is only modifiable by
  AWS" (UnmodifiableEntity 400) for the role's policies and trust policy.
- the API reference: the DeletionTaskId's form task/aws-service-role/SERVICE/ROLE/UUID.
Runs on each store (ARCANA_TEST_STORE)."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT
from test_sts import iam  # noqa: F401 (a fixture)


def err(fn):
    with pytest.raises(ClientError) as e:
        fn()
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Message")


def suffix():
    return uuid.uuid4().hex[:8]


def test_create_names_the_role_as_aws_does(iam):
    s = suffix()
    role = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com",
                                          CustomSuffix=s, Description="for the fleet")["Role"]
    name = f"AWSServiceRoleForAutoScaling_{s}"
    assert (role["RoleName"], role["Path"]) == (name, "/aws-service-role/autoscaling.amazonaws.com/")
    assert role["Arn"] == (f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/"
                           f"autoscaling.amazonaws.com/{name}")
    assert role["RoleId"].startswith("AROA")
    got = iam.get_role(RoleName=name)["Role"]
    assert got["MaxSessionDuration"] == 3600 and got["Description"] == "for the fleet"
    assert got["AssumeRolePolicyDocument"] == {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "autoscaling.amazonaws.com"},
        "Action": "sts:AssumeRole"}]}
    listed = [r["RoleName"] for r in iam.list_roles(PathPrefix="/aws-service-role/")["Roles"]]
    assert name in listed
    assert err(lambda: iam.create_service_linked_role(
        AWSServiceName="autoscaling.amazonaws.com", CustomSuffix=s)) == (
        "InvalidInput", 400,
        f"Service role name {name} has been taken in this account, please try a different "
        "suffix.")
    iam.delete_service_linked_role(RoleName=name)


def test_services_named_by_the_recorded_table(iam):
    for service, expected in (("ops.apigateway.amazonaws.com", "AWSServiceRoleForAPIGateway"),
                              ("ecs.amazonaws.com", "AWSServiceRoleForECS"),
                              ("example-service.amazonaws.com",
                               "AWSServiceRoleForExample-service")):
        role = iam.create_service_linked_role(AWSServiceName=service)["Role"]
        assert role["RoleName"] == expected and role["Path"] == f"/aws-service-role/{service}/"
        iam.delete_service_linked_role(RoleName=expected)
    assert err(lambda: iam.create_service_linked_role(
        AWSServiceName="rds.amazonaws.com", CustomSuffix="x")) == (
        "InvalidInput", 400, "Custom suffix is not allowed for rds.amazonaws.com")
    assert err(lambda: iam.create_service_linked_role(AWSServiceName="example.com"))[:2] == (
        "InvalidInput", 400)


def test_only_the_service_may_change_the_role(iam):
    s = suffix()
    name = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com",
                                          CustomSuffix=s)["Role"]["RoleName"]
    protected = ("UnmodifiableEntity", 400, f"Cannot perform the operation on the protected role "
                 f"'{name}' - this role is only modifiable by AWS")
    doc = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    calls = [
        lambda: iam.delete_role(RoleName=name),
        lambda: iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=doc),
        lambda: iam.delete_role_policy(RoleName=name, PolicyName="p"),
        lambda: iam.attach_role_policy(RoleName=name,
                                       PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess"),
        lambda: iam.detach_role_policy(RoleName=name,
                                       PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess"),
        lambda: iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "sts:AssumeRole"}]})),
        lambda: iam.put_role_permissions_boundary(
            RoleName=name, PermissionsBoundary="arn:aws:iam::aws:policy/ReadOnlyAccess"),
    ]
    for call in calls:
        assert err(call) == protected
    # Its description and tags are the account's to change.
    iam.update_role_description(RoleName=name, Description="edited")
    iam.tag_role(RoleName=name, Tags=[{"Key": "team", "Value": "ops"}])
    assert iam.get_role(RoleName=name)["Role"]["Description"] == "edited"
    iam.delete_service_linked_role(RoleName=name)


def test_deletion_task(iam):
    s = suffix()
    name = iam.create_service_linked_role(AWSServiceName="lexv2.amazonaws.com",
                                          CustomSuffix=s)["Role"]["RoleName"]
    assert name == f"AWSServiceRoleForLexV2Bots_{s}"
    task = iam.delete_service_linked_role(RoleName=name)["DeletionTaskId"]
    assert re.fullmatch(rf"task/aws-service-role/lexv2\.amazonaws\.com/{name}/"
                        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", task)
    status = iam.get_service_linked_role_deletion_status(DeletionTaskId=task)
    assert status["Status"] == "SUCCEEDED" and "Reason" not in status
    assert err(lambda: iam.get_role(RoleName=name))[:2] == ("NoSuchEntity", 404)
    assert err(lambda: iam.get_service_linked_role_deletion_status(
        DeletionTaskId=task.rsplit("/", 1)[0] + "/" + str(uuid.uuid4())))[:2] == (
        "NoSuchEntity", 404)
    assert err(lambda: iam.get_service_linked_role_deletion_status(
        DeletionTaskId="not-a-task"))[:2] == ("InvalidInput", 400)
    # An ordinary role is not deleted this way.
    plain = f"plain-{s}"
    iam.create_role(RoleName=plain, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole"}]}))
    assert err(lambda: iam.delete_service_linked_role(RoleName=plain))[:2] == (
        "NoSuchEntity", 404)
    iam.delete_role(RoleName=plain)
