"""Who an audit record names and what it names as touched (issue 11): userIdentity's
sessionContext as the CloudTrail User Guide's userIdentity element gives it (the session's
creationDate and whether MFA authenticated it, the role that issued an assumed role's
session), and IAM's and STS's resources."""

from __future__ import annotations

import json
import re

import boto3
import pytest
from botocore.config import Config

from conftest import ACCOUNT, ROOT_AKID, ROOT_SECRET
from test_audit import records, start
from test_iam_mfa import Device

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def client(srv, service, akid=ROOT_AKID, secret=ROOT_SECRET, token=None):
    return boto3.client(service, endpoint_url=srv.endpoint, region_name="us-east-1",
                        aws_access_key_id=akid, aws_secret_access_key=secret,
                        aws_session_token=token, config=Config(retries={"max_attempts": 1}))


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = start(tmp_path_factory.mktemp("audit-identity"), "data")
    yield s
    s.stop()


def last(srv, name: str, key: str | None = None) -> dict:
    recs = [r for r in records(srv.data_dir) if r["eventName"] == name and
            (key is None or r["userIdentity"].get("accessKeyId") == key)]
    assert recs, name
    return recs[-1]


def user_with_key(iam, name: str, policy: dict | None = None) -> tuple[str, str]:
    iam.create_user(UserName=name)
    if policy:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    k = iam.create_access_key(UserName=name)["AccessKey"]
    return k["AccessKeyId"], k["SecretAccessKey"]


def test_a_session_names_its_creation_and_mfa_and_a_role_session_its_role(srv):
    iam = client(srv, "iam")
    akid, secret = user_with_key(iam, "audit-mfa-user", {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]})
    device = Device(iam)
    device.enable(iam, "audit-mfa-user")
    user_sts = client(srv, "sts", akid, secret)
    cred = user_sts.get_session_token(SerialNumber=device.serial,
                                      TokenCode=device.codes()[0])["Credentials"]
    client(srv, "sts", cred["AccessKeyId"], cred["SecretAccessKey"],
           token=cred["SessionToken"]).get_caller_identity()
    u = last(srv, "GetCallerIdentity", cred["AccessKeyId"])["userIdentity"]
    assert u["type"] == "IAMUser" and u["userName"] == "audit-mfa-user"
    ctx = u["sessionContext"]
    # A GetSessionToken session has no issuer of its own; no expirationDate attribute.
    assert ctx["sessionIssuer"] == {} and ctx["webIdFederationData"] == {}
    assert set(ctx["attributes"]) == {"creationDate", "mfaAuthenticated"}, ctx
    assert ctx["attributes"]["mfaAuthenticated"] == "true"
    assert ISO.match(ctx["attributes"]["creationDate"]), ctx

    role = iam.create_role(RoleName="audit-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}]
    }))["Role"]
    assumed = user_sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1")["Credentials"]
    client(srv, "sts", assumed["AccessKeyId"], assumed["SecretAccessKey"],
           token=assumed["SessionToken"]).get_caller_identity()
    u = last(srv, "GetCallerIdentity", assumed["AccessKeyId"])["userIdentity"]
    assert u["type"] == "AssumedRole"
    assert u["sessionContext"]["sessionIssuer"] == {
        "type": "Role", "principalId": role["RoleId"], "arn": role["Arn"], "accountId": ACCOUNT,
        "userName": "audit-role"}
    attrs = u["sessionContext"]["attributes"]
    assert attrs["mfaAuthenticated"] == "false" and ISO.match(attrs["creationDate"])
    assert "expirationDate" not in attrs
    # AssumeRole's resources: the role and the session's access key.
    res = last(srv, "AssumeRole")["resources"]
    assert {"type": "AWS::IAM::Role", "ARN": role["Arn"], "accountId": ACCOUNT} in res, res
    assert {"type": "AWS::IAM::AccessKey", "ARN": assumed["AccessKeyId"],
            "accountId": ACCOUNT} in res, res


def test_a_federated_users_session_names_the_user_that_issued_it(srv):
    # CloudTrail's userIdentity for GetFederationToken's session: FederatedUser, with the
    # calling IAM user as its sessionContext.sessionIssuer (the User Guide's example).
    iam = client(srv, "iam")
    akid, secret = user_with_key(iam, "audit-fed-issuer", {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:GetFederationToken", "Resource": "*"}]})
    user = iam.get_user(UserName="audit-fed-issuer")["User"]
    cred = client(srv, "sts", akid, secret).get_federation_token(
        Name="fed-bob", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}]}))["Credentials"]
    client(srv, "sts", cred["AccessKeyId"], cred["SecretAccessKey"],
           token=cred["SessionToken"]).get_caller_identity()
    u = last(srv, "GetCallerIdentity", cred["AccessKeyId"])["userIdentity"]
    assert (u["type"], u["principalId"], u["arn"]) == (
        "FederatedUser", f"{ACCOUNT}:fed-bob", f"arn:aws:sts::{ACCOUNT}:federated-user/fed-bob")
    assert u["sessionContext"]["sessionIssuer"] == {
        "type": "IAMUser", "principalId": user["UserId"], "arn": user["Arn"],
        "accountId": ACCOUNT, "userName": "audit-fed-issuer"}


def test_iam_records_name_the_user_role_group_and_policy_touched(srv):
    iam = client(srv, "iam")
    user = iam.create_user(UserName="audit-touched", Path="/team/")["User"]["Arn"]
    group = iam.create_group(GroupName="audit-group")["Group"]["Arn"]
    policy = iam.create_policy(PolicyName="audit-policy", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:ListKeys", "Resource": "*"}]
    }))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="audit-touched", PolicyArn=policy)

    def resources(name):
        return {(r["type"], r["ARN"]) for r in last(srv, name)["resources"]}

    assert resources("CreateUser") == {("AWS::IAM::User", user)}
    assert resources("CreateGroup") == {("AWS::IAM::Group", group)}
    assert resources("CreatePolicy") == {("AWS::IAM::Policy", policy)}
    assert resources("AttachUserPolicy") == {("AWS::IAM::User", user),
                                             ("AWS::IAM::Policy", policy)}
    found = client(srv, "cloudtrail").lookup_events(LookupAttributes=[
        {"AttributeKey": "ResourceName", "AttributeValue": "audit-touched"}])["Events"]
    assert {"CreateUser", "AttachUserPolicy"} <= {e["EventName"] for e in found}, found
